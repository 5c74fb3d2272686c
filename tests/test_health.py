def test_healthz_answers_without_auth(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"]["database"] == "ok"


def test_readyz_reports_a_failing_dependency(app, client):
    def broken():
        raise ConnectionError("storage down")

    app.extensions["outpost_readiness_checks"]["storage"] = broken
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "storage": "unavailable"}


def test_healthz_touches_neither_database_nor_storage(tmp_path):
    """With the database down and the storage directory unusable, the process is still up."""
    from server import create_app
    from tests.conftest import SECRET
    from tests.fixtures.ports import free_port

    (tmp_path / "storage").write_text("not a directory")
    app = create_app(
        {
            "database_url": f"postgresql+psycopg://outpost@127.0.0.1:{free_port()}/outpost",
            "secret_key": SECRET,
            "data_dir": str(tmp_path),
            "log_level": "ERROR",
        }
    )
    client = app.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"] == {"database": "unavailable", "storage": "unavailable"}
