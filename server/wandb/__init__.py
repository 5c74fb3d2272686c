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


def _signed_in(view):
    """Refuse a request without a valid API key before anything it names is looked up (a
    resource loader would otherwise answer 404 for what an anonymous caller may not see)."""
    from functools import wraps

    from flask_login import current_user

    from ..auth.declare import ACCESS_ATTR

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user or not current_user.is_authenticated:
            raise Unauthenticated("Send an API key (WANDB_API_KEY).", code="unauthenticated")
        return view(*args, **kwargs)

    setattr(guarded, ACCESS_ATTR, getattr(view, ACCESS_ATTR))
    return guarded


def init_app(app: Flask) -> None:
    from ..extensions import csrf
    from .file_stream import file_stream
    from .graphql import graphql_endpoint

    bp = Blueprint("wandb", __name__)
    bp.add_url_rule("/graphql", "graphql", _signed_in(graphql_endpoint), methods=["POST"])
    bp.add_url_rule(
        "/files/<entity>/<project>/<run>/file_stream",
        "file_stream",
        _signed_in(file_stream),
        methods=["POST"],
    )
    bp.register_error_handler(OutpostError, _error_response)
    # The SDK authenticates with an API key in a header, never with the session cookie.
    csrf.exempt(bp)
    app.register_blueprint(bp)
