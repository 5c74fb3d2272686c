"""How stored bytes are served: the one place that decides it, for every provider.

Whatever a user uploaded (run files, artifact files, pictures) is sent back either as an
inert type a browser only displays (raster images, plain text, audio and video), or as an
``application/octet-stream`` attachment that a browser saves instead of rendering. The type
comes from the file's name and this allowlist, never from what the uploader sent.

* The filesystem provider's own route sends :func:`delivery_for`'s headers, plus
  ``X-Content-Type-Options: nosniff`` and ``Content-Security-Policy: sandbox`` so that even
  a mislabelled file cannot run script as the Outpost origin.
* S3 and GCS pre-signed GETs carry the same type and disposition as response overrides
  (``response-content-type``, ``response-content-disposition``), so the bucket serves them the
  same way; those bytes come from the bucket's origin, never from Outpost's.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from urllib.parse import quote

# Types no browser executes or renders as a document that could run script.
INLINE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
        "text/plain",
        "audio/mpeg",
        "audio/wav",
        "audio/x-wav",
        "audio/ogg",
        "audio/flac",
        "video/mp4",
        "video/webm",
        "video/ogg",
    }
)
ATTACHMENT_TYPE = "application/octet-stream"
# Sent with every stored-bytes response the server itself serves.
SAFETY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
}
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._ +()\[\]-]")
_EXTRA_TYPES = {".webp": "image/webp", ".flac": "audio/flac", ".log": "text/plain"}


@dataclass(frozen=True)
class Delivery:
    """The Content-Type and Content-Disposition a stored object is served with."""

    content_type: str
    disposition: str

    @property
    def inline(self) -> bool:
        return self.disposition.startswith("inline")

    def headers(self) -> dict[str, str]:
        """Every header of a response carrying the object's bytes from this server."""
        return {
            "Content-Type": self.content_type,
            "Content-Disposition": self.disposition,
            **SAFETY_HEADERS,
        }


def _guess_type(filename: str) -> str | None:
    lowered = filename.lower()
    for suffix, kind in _EXTRA_TYPES.items():
        if lowered.endswith(suffix):
            return kind
    return mimetypes.guess_type(lowered, strict=False)[0]


def content_disposition(kind: str, filename: str) -> str:
    """``inline``/``attachment`` with the file name, ASCII-safe plus RFC 6266 ``filename*``."""
    fallback = _UNSAFE_FILENAME.sub("_", filename) or "download"
    value = f'{kind}; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


def delivery_for(name: str) -> Delivery:
    """How to serve an object whose file name (or key) is ``name``.

    Only names whose extension maps to an allowlisted inert type are shown inline, with that
    type; everything else (HTML, SVG, XHTML, XML, PDF, unknown) is an octet-stream attachment.
    """
    filename = name.rsplit("/", 1)[-1] or "download"
    kind = _guess_type(filename)
    if kind in INLINE_TYPES:
        shown = f"{kind}; charset=utf-8" if kind == "text/plain" else kind
        return Delivery(shown, content_disposition("inline", filename))
    return Delivery(ATTACHMENT_TYPE, content_disposition("attachment", filename))
