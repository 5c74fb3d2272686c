"""SCIM 2.0 (RFC 7643/7644): the door identity providers provision users, teams and custom
roles through. Served at ``/scim/v2`` and, for clients configured with W&B's paths, ``/scim``.

Like the API and the console, it translates its wire format at its edge and calls services;
it holds no queries, transactions or permission rules. It is described by its own
``/Schemas`` and ``/ResourceTypes``, not by the REST API's OpenAPI document.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from ..errors import ERROR_RENDERERS_KEY

PREFIXES = {"scim": "/scim/v2", "scim_compat": "/scim"}


def _routes():
    from . import discovery, groups, roles, users

    routes = [
        ("/ServiceProviderConfig", "GET", discovery.service_config),
        ("/ResourceTypes", "GET", discovery.list_resource_types),
        ("/ResourceTypes/<resource_id>", "GET", discovery.resource_type),
        ("/Schemas", "GET", discovery.list_schemas),
        ("/Schemas/<resource_id>", "GET", discovery.schema),
        ("/.search", "POST", discovery.search_everything),
    ]
    for noun, module in (("Users", users), ("Groups", groups), ("Roles", roles)):
        one = noun[:-1].lower()
        routes += [
            (f"/{noun}", "GET", getattr(module, f"list_{noun.lower()}")),
            (f"/{noun}", "POST", getattr(module, f"create_{one}")),
            (f"/{noun}/.search", "POST", getattr(module, f"search_{noun.lower()}")),
            (f"/{noun}/<resource_id>", "GET", getattr(module, f"get_{one}")),
            (f"/{noun}/<resource_id>", "PUT", getattr(module, f"replace_{one}")),
            (f"/{noun}/<resource_id>", "PATCH", getattr(module, f"patch_{one}")),
            (f"/{noun}/<resource_id>", "DELETE", getattr(module, f"delete_{one}")),
        ]
    return routes


def _blueprint(name: str) -> Blueprint:
    bp = Blueprint(name, __name__)
    for rule, method, view in _routes():
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=[method])
    return bp


def init_app(app: Flask) -> None:
    from ..extensions import csrf
    from .protocol import render_error

    for name, prefix in PREFIXES.items():
        bp = _blueprint(name)
        # Credentials come in a header, never from the session cookie: CSRF does not apply.
        csrf.exempt(bp)
        app.register_blueprint(bp, url_prefix=prefix)
    app.extensions.setdefault(ERROR_RENDERERS_KEY, []).append(("/scim", render_error))
