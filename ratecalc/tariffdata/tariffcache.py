"""The compiled-tariff cache: a cold `ratecalc quote` reads one file instead of parsing and compiling YAML.

Why: parsing the built-in YAML (its constructors run in Python even on libyaml's parser) and compiling it
cost ~0.8 s of CPU on every start of the command line; reading the compiled result back costs ~0.05 s.

What is stored: the validated documents and the tariff set compiled with the default readings (the pair
`TariffSet.load` builds), in one file per list of tariff directories under
`$RATECALC_TARIFF_CACHE` (default `<cache root>/tariffs/`, the cache root being `$RATECALC_CACHE_DIR`,
`$XDG_CACHE_HOME/ratecalc` or `~/.cache/ratecalc`). `RATECALC_TARIFF_CACHE=off` (or empty, `0`, `no`,
`false`) turns it off.

When it is used: only when its key matches. The key is the sha256 of every tariff file's bytes (each
directory's `*.yaml`/`*.yml`, as `load_documents` reads them) with the directories themselves, the
source of ratecalc's top-level modules (its version is in `__init__.py`; a changed compiler never reads an
old result), and the Python, numpy, pydantic and PyYAML versions. Hashing ~1 MB of YAML and ~0.5 MB of source takes a
few milliseconds. A file with another key, a damaged file (its payload carries its own sha256) or one
that cannot be read is ignored and rebuilt: the cache never serves a result a fresh load would not give.

Format and safety: the payload is a pickle, because the compiled set holds the validated pydantic models
that results quote from (rates, limits, billing); rebuilding them from a neutral format (JSON, npz) would
re-validate ~12,000 models and cost what the cache saves. Before it is stored, equal Decimals and equal
frozen models of the set are made one object (`ratecalc.tariffdata.sharing`): the file is a third smaller and reads
back about three times faster.

Unpickling a file someone else wrote would run their code, so the cache unpickles only what it provably
wrote itself: every entry carries an HMAC-SHA256 of its header and payload under a random 32-byte secret,
`key`, made on first use in the cache directory, 0600, and checked before anything is unpickled. The
secret and the entries are used only when:
- the cache directory is an absolute path (a relative `RATECALC_TARIFF_CACHE` would be whatever the working
  directory holds: a git clone, an extracted archive), is a real directory (not a symlink), belongs to the
  current user and no one else may write to it (it is made 0700; group or other write bits turn the cache off);
- the secret is a regular file of 32 bytes that belongs to the user and that no one else may read or write;
- an entry is a regular file (opened non-blocking and checked on the open file: a FIFO planted at an
  entry's path is never waited on), belongs to the user, is not group- or world-writable, and is at most
  MAX_ENTRY_BYTES.
A file that fails any check is ignored and rebuilt; a planted pickle without the secret's HMAC is never
unpickled. Entries are written 0600.

Eviction: after each write, the directory keeps the KEEP newest entries (by last use) within
MAX_TOTAL_BYTES; older ones, and temporary files of writes that died, are deleted.

Writes are atomic (a temporary file in the same directory, then `os.replace`) and never fatal: a
read-only or full cache directory costs the time saved, never the quote.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import os
import pickle
import stat
import sys
from dataclasses import replace
from importlib.util import find_spec
from pathlib import Path
from typing import Optional, Sequence

from ..cachedir import cache_root
from .compile import CompiledTariffs, compile_tariffs
from .loader import MAX_FILE_BYTES, TariffDocuments, load_documents
from .safefile import UnreadableFile, read_regular

ENV_VAR = "RATECALC_TARIFF_CACHE"
OFF = ("", "off", "0", "no", "false")
FORMAT = b"ratecalc-compiled-tariffs 2\n"
"""First line of every cache file; bump the number when the layout below changes."""
SECRET_NAME = "key"
SECRET_BYTES = 32
KEEP = 8
"""Entries kept after a write (one per list of tariff directories used lately)."""
MAX_ENTRY_BYTES = 64 << 20
"""One entry (the built-in set's is ~0.7 MB)."""
MAX_TOTAL_BYTES = 128 << 20
"""All entries together, after eviction."""
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def cache_dir() -> Optional[Path]:
    """The directory compiled tariffs are cached in, or None when the cache is turned off (or when the
    owner of a file cannot be checked, as on Windows: see `read`)."""
    if not hasattr(os, "getuid"):
        return None
    env = os.environ.get(ENV_VAR)
    if env is not None:
        if env.strip().lower() in OFF or not os.path.isabs(env):
            return None  # relative: whatever the working directory holds, never a cache to trust
        return Path(env)
    root = cache_root()
    # no home directory (a container's nameless user): "~" would stay literal, a folder in the working directory
    return root / "tariffs" if root.is_absolute() else None


def _sha256(path: Path) -> str:
    return hashlib.sha256(read_regular(path, MAX_FILE_BYTES, "tariff file")).hexdigest()


def _environment() -> list[str]:
    """What, besides the tariff files, decides the cached objects: code and library versions."""
    import numpy
    import pydantic
    import pydantic_core

    # ratecalc's version is in the source of __init__.py, hashed below with every other top-level module
    lines = [
        f"python {sys.version}",
        f"numpy {numpy.__version__}",
        f"pydantic {pydantic.VERSION} core {pydantic_core.__version__}",
    ]
    spec = find_spec("yaml")  # without importing it: a cache hit never needs PyYAML
    if spec is not None and spec.origin:
        info = os.stat(spec.origin)
        lines.append(f"yaml {spec.origin} {info.st_size} {info.st_mtime_ns}")
    package = Path(__file__).resolve().parent.parent  # ratecalc/: every module but the command line's
    sources = sorted(p for p in package.rglob("*.py") if "cli" not in p.relative_to(package).parts[:-1])
    lines += [f"source {p.relative_to(package).as_posix()} {_sha256(p)}" for p in sources]
    return lines


def cache_key(dirs: Sequence[Path]) -> Optional[str]:
    """sha256 of everything a load of `dirs` depends on; None when a directory or file cannot be read
    (the load itself then reports the problem, and nothing is cached)."""
    lines = _environment()
    try:
        for layer, directory in enumerate(dirs):
            lines.append(f"dir {layer} {directory} {directory.resolve()}")
            paths = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
            lines += [f"file {layer} {p.name} {_sha256(p)}" for p in paths]
    except (OSError, UnreadableFile):  # a FIFO, a device, a huge file: the load says what is wrong
        return None
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def cache_file(directory: Path, dirs: Sequence[Path]) -> Path:
    """One file per list of tariff directories, so a new version of a file replaces the old entry."""
    slot = hashlib.sha256("\n".join(str(d.resolve()) for d in dirs).encode()).hexdigest()[:24]
    return directory / f"tariffs-{slot}.pickle"


def _private_dir(directory: Path) -> bool:
    """True when `directory` is a real directory of the current user that no one else may write to."""
    try:
        info = os.lstat(directory)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


def _read_secret(directory: Path) -> Optional[bytes]:
    """The cache's HMAC secret if it is there and provably private; None otherwise."""
    path = directory / SECRET_NAME
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None
        secret = os.read(fd, SECRET_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return secret if len(secret) == SECRET_BYTES else None


def secret(directory: Path, create: bool) -> Optional[bytes]:
    """The HMAC secret of the cache in `directory` (made, with the directory, when `create`); None when
    the directory or the secret is not provably the user's own (module docstring)."""
    if create:
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return None
    if not _private_dir(directory):
        return None
    found = _read_secret(directory)
    if found is not None or not create:
        return found
    import tempfile

    tmp: Optional[str] = None
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".key-", suffix=".tmp")  # mode 0600
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(SECRET_BYTES))
        os.link(tmp, directory / SECRET_NAME)  # never over an existing name: two first runs agree on one
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return _read_secret(directory)


def _mac(secret_: bytes, key: str, payload: bytes) -> str:
    mac = hmac.new(secret_, FORMAT + key.encode() + b"\n", hashlib.sha256)
    mac.update(payload)
    return mac.hexdigest()


def _header(secret_: bytes, key: str, payload: bytes) -> bytes:
    return FORMAT + f"{key} {_mac(secret_, key, payload)}\n".encode()


def _read_entry(path: Path) -> Optional[bytes]:
    """The bytes of the entry at `path` if it is a regular file of ours, not writable by others; else None.

    Checked before the open (a FIFO, a device or a link planted at the path is never opened), opened
    non-blocking and without following a symlink, and checked again on the open file.
    """
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
            return None
        if info.st_size > MAX_ENTRY_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def read(path: Path, key: str) -> Optional[tuple[TariffDocuments, CompiledTariffs]]:
    """The cached pair if `path` holds one for `key` that this cache wrote (its HMAC checks); None otherwise
    (never raises)."""
    secret_ = secret(path.parent, create=False)
    if secret_ is None:
        return None
    data = _read_entry(path)
    if data is None:
        return None
    expected = FORMAT + key.encode() + b" "
    if not data.startswith(expected):
        return None
    end = data.find(b"\n", len(expected))
    if end < 0:
        return None
    mac, payload = data[len(expected) : end], data[end + 1 :]
    if not hmac.compare_digest(_mac(secret_, key, payload).encode(), mac):
        return None  # not written by this cache (or damaged): never unpickled
    collecting = gc.isenabled()
    gc.disable()  # ~100,000 new objects would set off collections that find nothing to free (~40% of the load)
    try:
        loaded = pickle.loads(payload)  # noqa: S301 - authenticated above: this cache wrote it
    except Exception:  # a damaged payload can fail in many ways; all mean "rebuild"
        return None
    finally:
        if collecting:
            gc.enable()
    if (
        isinstance(loaded, tuple)
        and len(loaded) == 2
        and isinstance(loaded[0], TariffDocuments)
        and isinstance(loaded[1], CompiledTariffs)
    ):
        try:
            os.utime(path)  # last use, for eviction
        except OSError:
            pass
        return loaded
    return None


def evict(directory: Path, keep: int = KEEP, max_bytes: int = MAX_TOTAL_BYTES) -> list[Path]:
    """Delete all but the `keep` most recently used entries (and those past `max_bytes` together), and
    temporary files older than an hour; only regular files of the user's. The paths deleted."""
    import time

    entries: list[tuple[float, int, Path]] = []
    stale: list[Path] = []
    try:
        names = list(directory.iterdir())
    except OSError:
        return []
    now = time.time()
    for p in names:
        try:
            info = os.lstat(p)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            continue
        if p.name.startswith("tariffs-") and p.suffix == ".pickle":
            entries.append((info.st_mtime, info.st_size, p))
        elif p.name.startswith((".tariffs-", ".key-")) and p.suffix == ".tmp" and now - info.st_mtime > 3600:
            stale.append(p)
    entries.sort(key=lambda e: e[0], reverse=True)
    total = 0
    for i, (_, size, p) in enumerate(entries):
        total += size
        if i >= keep or total > max_bytes:
            stale.append(p)
    removed = []
    for p in stale:
        try:
            p.unlink()
            removed.append(p)
        except OSError:
            pass
    return removed


def write(path: Path, key: str, documents: TariffDocuments, compiled: CompiledTariffs) -> bool:
    """Store the pair atomically, then evict old entries; False (and nothing left behind) when the
    directory cannot take it or is not provably private."""
    import tempfile

    try:
        payload = pickle.dumps((documents, replace(compiled, cache={})), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an object that cannot be stored (say a user's plugin in the set): no cache, same quote
        return False
    if len(payload) > MAX_ENTRY_BYTES:
        return False
    secret_ = secret(path.parent, create=True)
    if secret_ is None:
        return False
    tmp: Optional[str] = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tariffs-", suffix=".tmp")  # mode 0600
        with os.fdopen(fd, "wb") as f:
            f.write(_header(secret_, key, payload))
            f.write(payload)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False
    evict(path.parent)
    return True


def load_compiled(dirs: Sequence[Path]) -> tuple[TariffDocuments, CompiledTariffs]:
    """The documents of `dirs` and their compiled set (default readings), from the cache when it holds
    them for exactly these files and this code, else loaded and compiled (TariffError as ever) and stored."""
    directory = cache_dir()
    key = cache_key(dirs) if directory is not None else None
    if directory is None or key is None:
        documents = load_documents(dirs)
        return documents, compile_tariffs(documents)
    path = cache_file(directory, dirs)
    found = read(path, key)
    if found is not None:
        return found
    from .sharing import share_equal  # only a start that stores the set needs it

    documents = load_documents(dirs)
    compiled = compile_tariffs(documents)
    share_equal(documents, compiled)  # what the file will hold, and so what every later start reads
    write(path, key, documents, compiled)
    return documents, compiled
