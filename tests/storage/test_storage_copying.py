"""Copying an upload into a file while the next piece is received (server/storage/copying.py):
the bytes land whole and in order, the size limit holds, and a failed write is reported."""

import io
import os

import pytest

from server.storage import UploadTooLarge
from server.storage.copying import CHUNK, copy_to_file


class Trickle(io.RawIOBase):
    """A body handed out in uneven pieces, as a socket does."""

    def __init__(self, data: bytes, piece: int = 70_001):
        self.data, self.offset, self.piece = data, 0, piece

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.piece, len(self.data) - self.offset)
        buffer[:n] = self.data[self.offset : self.offset + n]
        self.offset += n
        return n


@pytest.mark.parametrize("size", [0, 5, CHUNK - 1, CHUNK, 3 * CHUNK + 12345])
def test_the_file_holds_the_body_byte_for_byte(tmp_path, size):
    body = os.urandom(size)
    target = tmp_path / "object"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT)
    try:
        assert copy_to_file(Trickle(body), fd, limit=size) == size
    finally:
        os.close(fd)
    assert target.read_bytes() == body


def test_a_body_over_the_limit_stops_before_the_excess_is_written(tmp_path):
    limit = 2 * CHUNK + 10
    fd = os.open(tmp_path / "object", os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(UploadTooLarge):
            copy_to_file(Trickle(os.urandom(4 * CHUNK)), fd, limit=limit)
        assert os.fstat(fd).st_size <= limit
    finally:
        os.close(fd)


def test_a_write_that_fails_is_raised_to_the_caller(tmp_path):
    (tmp_path / "object").write_bytes(b"")
    fd = os.open(tmp_path / "object", os.O_RDONLY)  # every write fails: EBADF
    try:
        with pytest.raises(OSError):
            copy_to_file(Trickle(os.urandom(3 * CHUNK)), fd, limit=None)
    finally:
        os.close(fd)
