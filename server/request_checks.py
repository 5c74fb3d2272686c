"""Checks every request passes before any view sees it.

A NUL character cannot be stored in or compared with a PostgreSQL text column (the driver
refuses it), so a path, query string or form field holding one is refused here with a clear
400 on every backend, instead of failing deep inside whichever query first meets it.
"""

from __future__ import annotations

from flask import Flask, request

from .errors import BadRequest

NUL = "\x00"


def _has_nul(pairs) -> bool:
    return any(NUL in key or NUL in value for key, value in pairs)


def refuse_nul_characters() -> None:
    """Raises BadRequest ``invalid_characters`` for a NUL in the path, query or (console) form.

    Only console forms are read here: the body of an upload to a signed storage URL may be
    labelled as a form (``curl --data-binary`` does) and must reach the storage untouched."""
    form = (
        request.blueprint == "console" and request.mimetype == "application/x-www-form-urlencoded"
    )
    # In a query string a NUL can only be "%00" or the raw byte: parse it only then.
    query = request.query_string
    if (
        NUL in request.path
        or ((b"%00" in query or b"\x00" in query) and _has_nul(request.args.items(multi=True)))
        or (form and _has_nul(request.form.items(multi=True)))
    ):
        raise BadRequest(
            "The request contains a NUL (\\u0000) character, which Outpost does not accept.",
            code="invalid_characters",
        )


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
