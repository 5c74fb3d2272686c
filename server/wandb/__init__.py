"""The W&B protocol door: the unmodified ``wandb`` SDK logs to Outpost through it.

It parses the SDK's requests (GraphQL on ``/graphql``, the run stream on ``/files/...``),
calls the same services and ``authorize`` as the REST API and the console, and translates
W&B's shapes at its edge. It holds no queries, transactions or permission rules of its own.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, jsonify, request

from ..errors import OutpostError, Unauthenticated


def _error_response(error: OutpostError):
    if isinstance(error, Unauthenticated) and g.get("auth_error"):
        error = Unauthenticated(g.auth_error, code="invalid_api_key")
    if request.path == "/graphql":
        from .graphql import error_entry

        response = jsonify({"data": None, "errors": [error_entry(error)]})
    else:
        response = jsonify(error.to_dict())
    response.status_code = error.status
    return response


def init_app(app: Flask) -> None:
    from ..extensions import csrf
    from .file_stream import file_stream
    from .graphql import graphql_endpoint

    bp = Blueprint("wandb", __name__)
    bp.add_url_rule("/graphql", "graphql", graphql_endpoint, methods=["POST"])
    bp.add_url_rule(
        "/files/<entity>/<project>/<run>/file_stream",
        "file_stream",
        file_stream,
        methods=["POST"],
    )
    bp.register_error_handler(OutpostError, _error_response)
    # The SDK authenticates with an API key in a header, never with the session cookie.
    csrf.exempt(bp)
    app.register_blueprint(bp)
