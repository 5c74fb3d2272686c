"""Copying an upload's body into a file: bounded memory, the size limit checked as it arrives.

Receiving and writing overlap: while one buffer is being written to the file by a helper
thread, the next is filled from the body (both release the GIL, one blocked on the network,
the other on the disk). Done one after the other, an upload took the time of the transfer
plus the time of the write; overlapped it takes about the longer of the two. Two buffers of
``CHUNK`` bytes are all that is ever held, whatever the size of the body.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from .errors import UploadTooLarge

CHUNK = 1024 * 1024


class Readable(Protocol):
    def readinto(self, buffer: memoryview) -> int | None: ...


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data) :]


def _fill(source: Readable, buffer: memoryview) -> int:
    """Read into ``buffer`` until it is full or the body ends; return the byte count."""
    filled = 0
    while filled < len(buffer) and (n := source.readinto(buffer[filled:])):
        filled += n
    return filled


def _counted(written: int, limit: int | None) -> int:
    if limit is not None and written > limit:
        raise UploadTooLarge(f"Upload exceeds the {limit} bytes it was signed for.")
    return written


def copy_to_file(source: Readable, fd: int, limit: int | None) -> int:
    """Copy ``source`` (anything with ``readinto``) to the open file ``fd``; return the byte
    count. Raises UploadTooLarge as soon as more than ``limit`` bytes arrived (nothing past the
    limit is written), and whatever reading or writing raises. Every write has finished when
    this returns or raises, so the caller may close ``fd``."""
    buffers = [memoryview(bytearray(CHUNK)), memoryview(bytearray(CHUNK))]
    first = _fill(source, buffers[0])
    written = _counted(first, limit)
    if first < CHUNK:  # the whole body: no second buffer, no thread
        _write_all(fd, buffers[0][:first])
        return written
    with ThreadPoolExecutor(1, thread_name_prefix="outpost-upload-write") as writer:
        pending: Future = writer.submit(_write_all, fd, buffers[0])
        turn = 1
        while n := _fill(source, buffers[turn]):
            written = _counted(written + n, limit)
            pending.result()  # the other buffer is written: it may be filled next turn
            pending = writer.submit(_write_all, fd, buffers[turn][:n])
            turn ^= 1
        pending.result()
    return written
