"""The API-keys page: the key shown once, usable against the API, deleted with a form."""

from server.extensions import db
from server.models import ApiKey
from tests.factories import bearer, csrf_token, login, make_user


def test_create_use_and_delete_a_key_in_the_console(client):
    make_user("ada")
    login(client, "ada")
    page = client.get("/settings/api-keys")
    assert "No API keys yet" in page.get_data(as_text=True)
    created = client.post(
        "/settings/api-keys",
        data={"name": "notebook", "csrf_token": csrf_token(page.get_data(as_text=True))},
    )
    # Post/Redirect/Get: the key is shown on the page the POST redirects to, once.
    assert created.status_code == 302 and created.headers["Location"] == "/settings/api-keys"
    html = client.get("/settings/api-keys").get_data(as_text=True)
    assert "Copy it now" in html
    full_key = html.split('id="new-key" readonly value="', 1)[1].split('"', 1)[0]
    assert client.get("/api/v1/viewer", headers=bearer(full_key)).json["username"] == "ada"

    # A reload shows the list without the key and creates nothing.
    listing = client.get("/settings/api-keys").get_data(as_text=True)
    assert full_key not in listing and full_key[:15] in listing
    assert db.session.query(ApiKey).count() == 1
    client.post(
        f"/settings/api-keys/{full_key[:15]}/delete",
        data={"csrf_token": csrf_token(listing)},
    )
    assert client.get("/api/v1/viewer", headers=bearer(full_key)).status_code == 401
