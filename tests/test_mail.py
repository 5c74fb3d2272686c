"""Outgoing e-mail against a real SMTP server (aiosmtpd on 127.0.0.1): plain, login, STARTTLS,
implicit TLS, and the errors an admin sees when something is wrong."""

import pytest

from server.errors import Conflict, ServiceUnavailable
from server.extensions import db
from server.models import AuditEvent
from server.services import mail, system_settings
from tests.fixtures.ports import free_port


def _configure(sink, **overrides):
    system_settings.update_settings(sink.settings(**overrides))


def test_without_an_smtp_host_sending_is_refused_clearly(app):
    with pytest.raises(Conflict) as refused:
        mail.send_mail("ada@example.test", "Hello", "Hi")
    assert refused.value.code == "smtp_not_configured"
    assert "Admin › Settings" in refused.value.message


def test_a_message_arrives_with_text_and_html(app, smtp_sink):
    _configure(smtp_sink)
    system_settings.update_settings({"instance_name": "Acme ML"})
    mail.send_mail("ada@example.test", "Welcome", "Plain body", html="<p>HTML body</p>")
    [received] = smtp_sink.messages
    assert received.recipients == ["ada@example.test"]
    assert received.sender == "outpost@example.test"
    assert received.subject == "Welcome"
    assert received.message["From"] == "Acme ML <outpost@example.test>"
    assert received.text().strip() == "Plain body"
    html = received.message.get_body(preferencelist=("html",)).get_content()
    assert "<p>HTML body</p>" in html


def test_sender_defaults_to_the_instance_host(make_app, smtp_sink):
    app = make_app(url="https://ml.acme.test")
    with app.app_context():
        _configure(smtp_sink, smtp_from="")
        mail.send_mail("ada@example.test", "S", "T")
    assert smtp_sink.messages[0].sender == "outpost@ml.acme.test"


def test_login_with_the_right_password(app, make_smtp_sink):
    sink = make_smtp_sink(username="mailer", password="s3cret-Pass")
    _configure(sink)
    mail.send_mail("ada@example.test", "Auth", "ok")
    assert [m.subject for m in sink.messages] == ["Auth"]


def test_a_wrong_password_fails_without_revealing_it(app, make_smtp_sink):
    sink = make_smtp_sink(username="mailer", password="s3cret-Pass")
    _configure(sink, smtp_password="wrong-Password-123")
    with pytest.raises(ServiceUnavailable) as failed:
        mail.send_mail("ada@example.test", "Auth", "no")
    error = failed.value
    assert error.code == "smtp_failed"
    assert "refused the user name or password" in error.details["reason"]
    assert "wrong-Password-123" not in str(error.to_dict())
    assert sink.messages == []


def test_starttls_upgrades_the_connection(app, make_smtp_sink):
    sink = make_smtp_sink(security="starttls", username="mailer", password="pw-over-tls")
    _configure(sink)
    mail.send_mail("ada@example.test", "Over TLS", "secret")
    assert [m.subject for m in sink.messages] == ["Over TLS"]


def test_starttls_against_a_server_without_it(app, smtp_sink):
    _configure(smtp_sink, smtp_security="starttls")
    with pytest.raises(ServiceUnavailable) as failed:
        mail.send_mail("ada@example.test", "S", "T")
    assert failed.value.code == "smtp_failed"
    assert "does not offer STARTTLS" in failed.value.details["reason"]


def test_implicit_tls(app, make_smtp_sink):
    sink = make_smtp_sink(security="ssl")
    _configure(sink)
    mail.send_mail("ada@example.test", "Implicit TLS", "x")
    assert [m.subject for m in sink.messages] == ["Implicit TLS"]


def test_an_untrusted_certificate_is_refused(app, make_smtp_sink):
    sink = make_smtp_sink(security="ssl", trusted=False)
    _configure(sink)
    with pytest.raises(ServiceUnavailable) as failed:
        mail.send_mail("ada@example.test", "S", "T")
    assert failed.value.details["reason"].startswith("TLS failed")
    assert "CERTIFICATE_VERIFY_FAILED" in failed.value.details["reason"]
    assert sink.messages == []


def test_nobody_listening(app):
    system_settings.update_settings(
        {"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_security": "none"}
    )
    with pytest.raises(ServiceUnavailable) as failed:
        mail.send_mail("ada@example.test", "S", "T")
    assert failed.value.details["reason"] == "the connection was refused"
    assert "127.0.0.1:" in failed.value.message


def test_the_test_email_is_audited_both_ways(app, smtp_sink):
    with pytest.raises(Conflict):
        mail.send_test_email("ada@example.test")
    _configure(smtp_sink)
    server = mail.send_test_email("ada@example.test")
    assert server == f"127.0.0.1:{smtp_sink.port}"
    assert "test e-mail" in smtp_sink.messages[0].subject
    events = db.session.query(AuditEvent).filter_by(action="system:test_email").all()
    assert [(e.result, e.target_name) for e in events] == [
        ("failure", "ada@example.test"),
        ("success", "ada@example.test"),
    ]
    assert events[0].details["code"] == "smtp_not_configured"
