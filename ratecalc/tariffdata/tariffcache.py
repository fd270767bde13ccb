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
back about three times faster. Unpickling a file someone else wrote would run
their code, so a file is read only if it belongs to the current user and no one else may write it (not
group- or world-writable), checked on the open file; files are written 0600 in a directory made 0700.

Writes are atomic (a temporary file in the same directory, then `os.replace`) and never fatal: a
read-only or full cache directory costs the time saved, never the quote.
"""

from __future__ import annotations

import gc
import hashlib
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
from .loader import TariffDocuments, load_documents

ENV_VAR = "RATECALC_TARIFF_CACHE"
OFF = ("", "off", "0", "no", "false")
FORMAT = b"ratecalc-compiled-tariffs 1\n"
"""First line of every cache file; bump the number when the layout below changes."""


def cache_dir() -> Optional[Path]:
    """The directory compiled tariffs are cached in, or None when the cache is turned off (or when the
    owner of a file cannot be checked, as on Windows: see `read`)."""
    if not hasattr(os, "getuid"):
        return None
    env = os.environ.get(ENV_VAR)
    if env is not None:
        return None if env.strip().lower() in OFF else Path(env)
    root = cache_root()
    # no home directory (a container's nameless user): "~" would stay literal, a folder in the working directory
    return root / "tariffs" if root.is_absolute() else None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    except OSError:
        return None
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def cache_file(directory: Path, dirs: Sequence[Path]) -> Path:
    """One file per list of tariff directories, so a new version of a file replaces the old entry."""
    slot = hashlib.sha256("\n".join(str(d.resolve()) for d in dirs).encode()).hexdigest()[:24]
    return directory / f"tariffs-{slot}.pickle"


def _header(key: str, payload: bytes) -> bytes:
    return FORMAT + f"{key} {hashlib.sha256(payload).hexdigest()}\n".encode()


def read(path: Path, key: str) -> Optional[tuple[TariffDocuments, CompiledTariffs]]:
    """The cached pair if `path` holds one for `key`, is ours and is intact; None otherwise (never raises)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
            return None  # someone else could have written it: unpickling it would run their code
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read()
    except OSError:
        return None
    finally:
        os.close(fd)
    expected = FORMAT + key.encode() + b" "
    if not data.startswith(expected):
        return None
    end = data.find(b"\n", len(expected))
    if end < 0:
        return None
    digest, payload = data[len(expected) : end], data[end + 1 :]
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        return None
    collecting = gc.isenabled()
    gc.disable()  # ~100,000 new objects would set off collections that find nothing to free (~40% of the load)
    try:
        loaded = pickle.loads(payload)  # noqa: S301 - our own file, checked above
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
        return loaded
    return None


def write(path: Path, key: str, documents: TariffDocuments, compiled: CompiledTariffs) -> bool:
    """Store the pair atomically; False (and nothing left behind) when the directory cannot take it."""
    import tempfile

    try:
        payload = pickle.dumps((documents, replace(compiled, cache={})), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an object that cannot be stored (say a user's plugin in the set): no cache, same quote
        return False
    tmp: Optional[str] = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tariffs-", suffix=".tmp")  # mode 0600
        with os.fdopen(fd, "wb") as f:
            f.write(_header(key, payload))
            f.write(payload)
        os.replace(tmp, path)
        return True
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


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
