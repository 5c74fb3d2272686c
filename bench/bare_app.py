"""A bare Flask app answering like ``/api/v1/viewer`` without auth or database: the baseline."""

from flask import Flask

app = Flask(__name__)


@app.get("/api/v1/viewer")
def viewer():
    return {"username": "bench", "display_name": "bench", "state": "active"}
