"""Reading a file a user named, whole, without letting its kind or its size decide what happens.

Why: `Path.read_bytes()` on a FIFO waits for a writer forever, on `/dev/zero` (or a symlink to it named
`rates.yaml`) it reads until memory runs out, and on a directory it fails with an error no one asked for.
Every importer and the tariff loader read through `read_regular` instead: the file is opened
non-blocking (a FIFO opens at once, with no writer), checked on the open descriptor (no window between
the check and the read), and read up to a cap that depends on what the file is.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Union

from ..errors import RatecalcError


class UnreadableFile(RatecalcError):
    """A file that is not there, not a regular file, too big or unreadable; the message names it."""

    def __init__(self, path: Union[str, Path], reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, in words (every refusal of a file's kind says it so)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def size_text(n: int) -> str:
    """Bytes as a person reads them: `64 MiB`, `512 KiB`, `300 bytes`."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) or value >= 10 else f"{value:.1f} {unit}"
    return f"{n} bytes"


def open_regular(path: Union[str, Path]) -> tuple[int, os.stat_result]:
    """A descriptor of `path` (symlinks followed) and its stat; UnreadableFile unless it is a regular file.

    The kind is checked before the open (a device or FIFO is never opened) and again on the open file (it
    cannot have been swapped in between); O_NONBLOCK: should a FIFO appear in between, opening it does not
    wait for a writer. The caller closes the fd.
    """
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise UnreadableFile(path, "does not exist") from None
    except PermissionError:
        raise UnreadableFile(path, "cannot be read (permission denied)") from None
    except OSError as exc:
        raise UnreadableFile(path, f"cannot be opened ({exc.strerror or exc})") from None
    if not stat.S_ISREG(before.st_mode):
        raise UnreadableFile(path, f"is {kind_of(before.st_mode)}, not a regular file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UnreadableFile(path, "does not exist") from None
    except IsADirectoryError:  # some systems refuse to open a directory at all
        raise UnreadableFile(path, "is a directory, not a file") from None
    except PermissionError:
        raise UnreadableFile(path, "cannot be read (permission denied)") from None
    except OSError as exc:
        raise UnreadableFile(path, f"cannot be opened ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise UnreadableFile(path, f"cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnreadableFile(path, f"is {kind_of(info.st_mode)}, not a regular file")
    return fd, info


def read_regular(path: Union[str, Path], limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them (else UnreadableFile naming both sizes).

    `what` names the kind of file in the refusal ("a tariff file may be at most 16 MiB").
    """
    fd, info = open_regular(path)
    try:
        if info.st_size > limit:
            raise UnreadableFile(path, f"is {size_text(info.st_size)}; a {what} may be at most {size_text(limit)}")
        chunks = []
        left = limit + 1  # a file that grows while it is read is caught too
        while left > 0:
            try:
                chunk = os.read(fd, min(left, 1 << 20))
            except OSError as exc:
                raise UnreadableFile(path, f"cannot be read ({exc.strerror or exc})") from None
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise UnreadableFile(path, f"grew past {size_text(limit)} while it was read; a {what} may be at most that")
        return data
    finally:
        os.close(fd)


__all__ = ["UnreadableFile", "open_regular", "read_regular", "size_text"]
