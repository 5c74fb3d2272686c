"""Where a redirect that a request names (``?next=``, a form's ``next``) may go.

Every redirect whose target comes from user input goes through :func:`safe_next`: only a
path on this site survives. Browsers ignore tabs and newlines inside URLs and read a backslash
as a slash, so ``/\\t/evil.example`` or ``/\\\\evil.example`` would leave the site; those, and
anything with a scheme or a host, fall back to the default.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_NEXT_LENGTH = 2000


def is_safe_path(target: str | None) -> bool:
    """True when ``target`` is a same-origin absolute path (``/settings/profile?x=1``)."""
    if not target or len(target) > MAX_NEXT_LENGTH:
        return False
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    if "\\" in target or not target.startswith("/") or target.startswith("//"):
        return False
    try:
        parts = urlsplit(target)
    except ValueError:
        return False
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str, prefix: str = "/") -> str:
    """``target`` when it is a safe path under ``prefix``, else ``default``."""
    if is_safe_path(target) and target.startswith(prefix):
        return target
    return default
