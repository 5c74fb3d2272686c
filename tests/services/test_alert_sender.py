"""The background alert sender outside a request: a process that queued an alert sends it
before it exits (as a stopping server does), against the real SMTP sink on 127.0.0.1."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

QUEUE_THEN_EXIT = """
import sys
from server.services import alert_sender
from server.services.alert_delivery import EmailAlert
from server.services.mail import SmtpConfig

smtp = SmtpConfig("127.0.0.1", int(sys.argv[1]), "none", "", "", "outpost@example.test", "Outpost")
queued = alert_sender.submit(EmailAlert("ada", "ada@example.test", "Sent at exit", "Bye.", smtp))
print("queued" if queued else "dropped")
"""


def test_a_process_sends_its_queued_alerts_before_it_exits(smtp_sink):
    done = subprocess.run(
        [sys.executable, "-c", QUEUE_THEN_EXIT, str(smtp_sink.port)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "queued"
    (mail,) = smtp_sink.messages
    assert mail.subject == "Sent at exit" and mail.recipients == ["ada@example.test"]
    assert mail.text().strip() == "Bye."
