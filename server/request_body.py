"""A large request body read straight from the connection, for the storage upload route.

Through the WSGI stream every piece of an upload is copied several times (gunicorn's buffers,
then Werkzeug's ``LimitedStream``) before it reaches the file: the filesystem provider took
2-3x as long to receive a file as a program writing it takes. Under gunicorn, for a body of
known length, :func:`upload_body` returns a reader that ``recv_into``\\s the caller's buffer
from the socket, after handing out what gunicorn had already read past the headers. It reads
exactly ``Content-Length`` bytes and keeps gunicorn's count of what is left, so a body cut
short is drained (or the connection closed) by gunicorn as for any other request, and the
next request on a kept-alive connection starts where it should.

Anything else (another server, a chunked body, a body already partly read, a gunicorn whose
request objects look different) gets the ordinary stream.
"""

from __future__ import annotations

import io

from .storage.copying import Readable


class SocketBody:
    """``readinto`` from gunicorn's socket; ``reader`` is its ``LengthReader`` (its ``length``
    is what remains of the body, kept current here)."""

    def __init__(self, sock, reader, pending: bytes):
        self._sock, self._reader = sock, reader
        self._pending = memoryview(pending)

    def readinto(self, buffer: memoryview) -> int:
        if self._pending:
            n = min(len(buffer), len(self._pending))
            buffer[:n] = self._pending[:n]
            self._pending = self._pending[n:]
            return n
        wanted = min(len(buffer), self._reader.length)
        if wanted <= 0:
            return 0
        try:
            got = self._sock.recv_into(buffer, wanted)
        except OSError:  # reset or timed out: the upload is incomplete, as at end of stream
            return 0
        self._reader.length -= got
        return got


def _gunicorn_parts(environ):
    """(socket, LengthReader, unreader) of an unread gunicorn body of known length, or None."""
    body, sock = environ.get("wsgi.input"), environ.get("gunicorn.socket")
    reader = getattr(body, "reader", None)
    unreader = getattr(reader, "unreader", None)
    if (
        sock is None
        or type(reader).__name__ != "LengthReader"
        or not isinstance(getattr(reader, "length", None), int)
        or getattr(unreader, "sock", None) is not sock
        or not isinstance(getattr(body, "buf", None), io.BytesIO)
        or body.buf.getbuffer().nbytes
        or not isinstance(getattr(unreader, "buf", None), io.BytesIO)
    ):
        return None
    return sock, reader, unreader


def upload_body(environ, stream) -> Readable:
    """The fastest reader of this request's body: the socket under gunicorn, else ``stream``
    (which must have ``readinto``, as Werkzeug's request stream does)."""
    parts = _gunicorn_parts(environ)
    if parts is None:
        return stream
    sock, reader, unreader = parts
    buffered = unreader.buf.getvalue()
    # What gunicorn read past the headers: ours up to the body's length, the rest (a pipelined
    # next request) stays with gunicorn.
    pending, rest = buffered[: reader.length], buffered[reader.length :]
    unreader.buf = io.BytesIO()
    unreader.buf.write(rest)
    reader.length -= len(pending)
    return SocketBody(sock, reader, pending)
