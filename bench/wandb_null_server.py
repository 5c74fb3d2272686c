"""A null W&B server for bench/wandb_ingest.py: it speaks the same protocol as Outpost's door
(viewer, upsertBucket, createRunFiles, file_stream, uploads) and keeps nothing.

    gunicorn -b 127.0.0.1:PORT 'bench.wandb_null_server:app'
"""

from __future__ import annotations

import base64

from flask import Flask, request
from graphql import parse

from server.wandb.executor import Context, complete, fragments_of, operation_of

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = None


def _bucket(data):
    name = data.get("name") or "run"
    return {
        "id": base64.b64encode(f"Run:{name}".encode()).decode(),
        "name": name,
        "displayName": name,
        "config": "{}",
        "historyLineCount": 0,
        "project": {
            "id": "UHJvamVjdDox",
            "name": data.get("modelName"),
            "entity": {"id": "RW50aXR5OjE=", "name": data.get("entityName") or "lab"},
        },
    }


def _files(input=None, **_):
    names = (input or {}).get("files") or []
    base = request.host_url.rstrip("/")
    return {
        "runID": "UnVuOjE=",
        "uploadHeaders": [],
        "files": [{"name": n, "uploadUrl": f"{base}/null-upload/{n}"} for n in names],
    }


ROOTS = {
    "viewer": lambda **_: {
        "id": "VXNlcjox",
        "entity": "lab",
        "username": "bob",
        "flags": "{}",
        "teams": {"edges": [{"node": {"name": "lab"}}]},
    },
    "serverInfo": lambda **_: {"features": []},
    "upsertBucket": lambda input=None, **_: {"bucket": _bucket(input or {}), "inserted": True},
    "createRunFiles": _files,
}


@app.post("/graphql")
def graphql():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return {"errors": [{"message": "send a GraphQL query"}]}, 400
    document = parse(body["query"])
    operation = operation_of(document, body.get("operationName") or None)
    ctx = Context(fragments_of(document), body.get("variables") or {})
    data = {}
    for node in ctx.fields(operation.selection_set):
        resolver = ROOTS.get(node.name.value)
        value = resolver(**ctx.arguments(node)) if resolver else None
        data[node.alias.value if node.alias else node.name.value] = complete(
            ctx, value, node.selection_set
        )
    return {"data": data}


@app.post("/files/<entity>/<project>/<run>/file_stream")
def file_stream(entity, project, run):
    request.get_data()
    return {"exitcode": None, "limits": {}}


@app.put("/null-upload/<path:name>")
def upload(name):
    request.get_data()
    return "", 200
