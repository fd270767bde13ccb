"""Where a command reads and writes: paths checked before any work, outputs replaced atomically.

An input is a regular file: a directory, a FIFO, a device or a socket is refused by name ("is a
directory"), never reported as missing nor as an internal error, and never opened (a FIFO with no writer
would hang the command, `/dev/zero` would never end; a catalogue is read twice when it has no rows).

The rules for outputs (docs/input.md, "Output files"):

* an output is a regular file or a path that does not exist yet. A directory, FIFO, device or socket is
  refused before any work (exit 2 on the command line), and is never renamed over nor unlinked: `-o
  /dev/full` or `--errors /dev/null` once replaced or deleted the device node when run as root;
* an output is never one of the run's inputs, nor another output of the same run (symlinks are followed
  and hard links compared by inode): `--errors` equal to the input deleted the input, `-o` equal to it
  overwrote it;
* a file is written beside its target under a hidden name unique to the run (`.NAME.PID.TOKEN.partial`)
  and renamed onto the target only when complete, so a failed or killed run leaves the previous file or
  none. The run holds a lock on its partial file while it lives; another run deletes a partial file only
  when nobody holds its lock, so two runs on one output never delete each other's files (not even from
  two PID namespaces sharing a volume, where a PID says nothing);
* the output and its errors file are put in place together under a lock on the output's directory, so
  the pair on disk is always one run's: two runs on one output cannot leave the output of one with the
  errors file of the other, or without its own errors file.

A path that is a symlink is written where it leads (the link stays a link).
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Sequence, Tuple, Union

from ..errors import InputError
from ..tariffdata.safefile import kind_of

try:  # POSIX: locks on partial files and on the output directory (elsewhere the PID check alone)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

PathLike = Union[str, "os.PathLike[str]"]
Role = Tuple[str, Optional[PathLike]]  # (field, path): the field names the option in messages (`errors`)
PARTIAL_TRIES = 8
"""Attempts at a fresh partial file when another run's clean-up takes one between its creation and its lock."""


def target_of(path: PathLike) -> Path:
    """Where writing `path` lands: symlinks followed (a dangling link: where it points)."""
    return Path(os.path.realpath(os.fspath(path)))


def _identity(path: PathLike) -> tuple:
    """One value per file: (device, inode) for an existing file (hard links are one file), else the path
    it resolves to."""
    real = target_of(path)
    try:
        st = os.stat(real)
    except OSError:
        return ("path", str(real))
    return ("inode", st.st_dev, st.st_ino)


def check_input(field: str, path: PathLike) -> None:
    """An input that exists and is a regular file (symlinks followed); InputError naming `field` else."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(field, f"{os.fspath(path)} does not exist", rule="exists") from None
    except OSError as exc:
        raise InputError(field, f"cannot read {os.fspath(path)} ({reason(exc)})") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            field, f"{os.fspath(path)} is {kind_of(st.st_mode)}, not a regular file to read", rule="input_kind"
        )


def check_output(field: str, path: PathLike, *, directory: bool = False) -> None:
    """A regular file or a new path (`directory`: a directory or a new path); InputError naming `field`."""
    try:
        st = os.stat(target_of(path))
    except FileNotFoundError:
        return
    except OSError as exc:  # a path through a file, a loop of links, no permission: say so before any work
        raise cannot_write(field, path, exc) from None
    if directory and stat.S_ISDIR(st.st_mode):
        return
    if not directory and stat.S_ISREG(st.st_mode):
        return
    want = "a directory or a new path" if directory else "a regular file or a new path"
    raise InputError(
        field, f"{os.fspath(path)} is {kind_of(st.st_mode)}; write to {want}", rule="output_kind", limit=want
    )


_NOUNS = {"output": "the output", "errors": "the errors file", "rates_file": "the rates file"}


def check_paths(outputs: Sequence[Role], inputs: Sequence[Role] = (), *, directories: Sequence[str] = ()) -> None:
    """The rules of the module docstring for one run, before any work: each output is a regular file or a
    new path (the fields in `directories`: a directory or a new path), none is an input, no two are one
    file. Outputs given as None are skipped. Raises InputError naming the output's field and the path."""
    seen: dict[tuple, tuple[str, PathLike]] = {}
    for field, path in inputs:
        if path is not None:
            seen.setdefault(_identity(path), (field, path))
    for field, path in outputs:
        if path is None:
            continue
        check_output(field, path, directory=field in directories)
        key = _identity(path)
        other = seen.get(key)
        if other is not None:
            is_input = any(f == other[0] for f, _ in inputs)
            what = _NOUNS.get(other[0], "the input" if is_input else "another output")
            raise InputError(
                field,
                f"{os.fspath(path)} is also {what} of this run ({os.fspath(other[1])}); give it a path of its own",
                rule="output_distinct",
                limit=other[0],
            )
        seen[key] = (field, path)


def _lock(fd: int, blocking: bool) -> Optional[bool]:
    """An exclusive flock on `fd`: True when taken, False when another process holds it (non-blocking),
    None when the system or the file system has no locks (the caller goes on without)."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    except OSError:  # ENOLCK and the like: no locking here
        return None
    return True


@contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """Held while a run puts its output and errors file in place (see the module docstring); a directory
    that cannot be locked (no flock on its file system) is used unlocked."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield
        return
    try:
        _lock(fd, blocking=True)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class Partial:
    """A run's hidden file beside `target`, locked while the run lives; `commit` renames it onto the target.

    Only the run's own partial file is ever deleted by it (`discard`), and a dead run's by the next run
    (`remove_stale_partials`); the target is replaced only when it is a regular file or absent.
    """

    def __init__(self, target: PathLike, field: str = "output"):
        self.target = target_of(target)
        self.field = field
        self.path = self._new_name()
        self._fd: Optional[int] = None

    def _new_name(self) -> Path:
        return self.target.with_name(f".{self.target.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")

    def create(self) -> None:
        """Make the partial file (new, never an existing one) and take its lock; the caller then writes to
        `self.path` by name (pyarrow and matplotlib open it themselves).

        Between the file's creation and its lock, another run's clean-up may take the file for a dead
        run's: then the lock is not ours, or the name no longer leads to our file, and a new name is tried.
        """
        self.target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(self.target)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        for _ in range(PARTIAL_TRIES):
            fd = os.open(self.path, flags, 0o666)
            if _lock(fd, blocking=False) is not False and _still_named(fd, self.path):
                self._fd = fd
                return
            os.close(fd)
            self.path = self._new_name()
        raise FileExistsError(errno.EBUSY, "other runs keep taking its partial file", str(self.path))

    def commit(self) -> None:
        """fsync the partial file and rename it onto the target (refused if the target became a special
        file since the run was checked: it is never renamed over)."""
        with open(self.path, "rb") as fh:
            os.fsync(fh.fileno())  # the data is on disk before the name points at it
        check_output(self.field, self.target)
        os.replace(self.path, self.target)
        self._release()

    def discard(self) -> None:
        """Delete the partial file. Cleaning up after an error never replaces that error: a partial file
        that cannot be deleted is left to the next run's clean-up of dead runs' files."""
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass
        self._release()

    def _release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


def _still_named(fd: int, path: Path) -> bool:
    """Whether `path` still leads to the file open as `fd` (not deleted, not replaced)."""
    try:
        a, b = os.fstat(fd), os.lstat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def remove_stale_partials(target: Path) -> None:
    """Partial files of runs that are gone: unlocked and not of a process alive here. Regular files only;
    each is deleted while this run holds its lock, so never one in use."""
    for old in target.parent.glob(f".{target.name}.*.partial"):
        tag = old.name[len(target.name) + 2 : -len(".partial")]
        pid = tag.partition(".")[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        try:
            if not stat.S_ISREG(os.lstat(old).st_mode):
                continue
            fd = os.open(old, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if _lock(fd, blocking=False) is not False:  # taken (its run is gone), or no locks here
                old.unlink(missing_ok=True)
        except OSError:
            pass
        finally:
            os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def remove_output(path: PathLike) -> None:
    """Delete an earlier run's output file at `path` (where it leads): a regular file only, never a
    device, FIFO or directory."""
    real = target_of(path)
    try:
        if stat.S_ISREG(os.lstat(real).st_mode):
            real.unlink()
    except FileNotFoundError:
        pass


def write_atomic(path: PathLike, data: bytes, field: str = "output") -> None:
    """`data` as the whole file at `path`, put in place only when written (small outputs: a chart, a YAML
    file). Raises InputError naming `field` when the system refuses it."""
    partial = Partial(path, field)
    try:
        partial.create()
        with open(partial.path, "wb") as fh:
            fh.write(data)
        partial.commit()
    except OSError as exc:
        partial.discard()
        raise cannot_write(field, path, exc) from None
    except BaseException:
        partial.discard()
        raise


def cannot_write(field: str, path: PathLike, exc: OSError) -> InputError:
    """The InputError for an output the system refuses (no such directory, no space, a file in the way),
    naming `field` and the path: exit code 2 on the command line, not an internal error."""
    why = reason(exc)
    if isinstance(exc, (FileExistsError, NotADirectoryError)):  # mkdir or open under a file
        in_the_way = next((d for d in Path(path).parents if d.exists()), None)
        if in_the_way is not None and not in_the_way.is_dir():
            why = f"{in_the_way} is a file, not a directory"
    return InputError(field, f"cannot write {os.fspath(path)} ({why})")


def reason(exc: OSError) -> str:
    """An OSError in words, without the path (the message names it): "No space left on device"."""
    if exc.errno:
        return os.strerror(exc.errno)
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = [
    "Partial",
    "check_input",
    "check_output",
    "cannot_write",
    "check_paths",
    "directory_lock",
    "kind_of",
    "reason",
    "remove_output",
    "remove_stale_partials",
    "target_of",
    "write_atomic",
]
