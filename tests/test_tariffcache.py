"""The compiled-tariff cache gives exactly what a fresh load gives, and never serves what a fresh load would not.

Every test points RATECALC_TARIFF_CACHE at its own tmp_path (the session default, set in conftest, is a
temporary directory too: no test touches the user's cache).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ratecalc import Parcel, TariffSet
from ratecalc.tariffdata import tariffcache
from ratecalc.tariffdata.compile import VOLUMETRIC_GREATER_OF
from ratecalc.tariffdata.loader import builtin_dir, tariff_dirs

ROOT = Path(__file__).resolve().parent.parent
DATES = ["2022-06-01", "2023-06-01", "2024-12-04", "2025-03-01", "2026-01-15", "2026-04-10", "2026-08-01"]
PARCELS = [
    Parcel.parse(weight, dims, date=day, value=value, delivery=delivery, battery=battery)
    for day in DATES
    for weight, dims, value, delivery, battery in (
        ("300g", "20x15x5cm", "1000RUB", "pickup_point", False),
        ("1.2kg", "30x20x10cm", "3000RUB", "courier", False),
        ("45g", "10x8x2cm", "50RUB", "pickup_point", True),
        ("7.5kg", "60x40x35cm", "250000RUB", "courier", False),
        ("24kg", "120x50x40cm", "120000RUB", "pickup_point", False),
    )
]


def _dumps(ts: TariffSet, **kw) -> list[list[dict]]:
    return [[q.model_dump(mode="json") for q in quotes] for quotes in ts.quote_many(PARCELS, **kw)]


class _Counter:
    """Wraps `load_documents` in the cache module, counting the loads that really parse YAML."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.calls = 0
        real = tariffcache.load_documents

        def counted(dirs):
            self.calls += 1
            return real(dirs)

        monkeypatch.setattr(tariffcache, "load_documents", counted)


def _small_dir(tmp_path: Path) -> Path:
    """Two small carrier files, a tariff set of its own (loads in milliseconds)."""
    d = tmp_path / "tariffs"
    d.mkdir()
    for name in ("hecny.yaml", "cainiao.yaml"):
        shutil.copy(builtin_dir() / name, d / name)
    return d


def _only_file(cache: Path) -> Path:
    [found] = [p for p in cache.iterdir() if p.suffix == ".pickle"]
    return found


@pytest.fixture(scope="module")
def fresh() -> TariffSet:
    """The built-in set loaded and compiled from YAML, the cache off."""
    mp = pytest.MonkeyPatch()
    mp.setenv("RATECALC_TARIFF_CACHE", "off")
    try:
        return TariffSet.load()
    finally:
        mp.undo()


def test_built_in_set_from_the_cache_quotes_exactly_as_a_fresh_compile(fresh, tmp_path, monkeypatch):
    monkeypatch.setenv("RATECALC_TARIFF_CACHE", str(tmp_path))
    counter = _Counter(monkeypatch)
    TariffSet.load()  # fills the cache
    cached = TariffSet.load()
    assert counter.calls == 1, "the second load must come from the cache"
    assert cached.checksum == fresh.checksum
    assert [s.id for s in cached.services] == [s.id for s in fresh.services]
    assert _dumps(cached) == _dumps(fresh)
    # another reading is compiled on demand from the cached documents
    assert _dumps(cached, readings=[VOLUMETRIC_GREATER_OF]) == _dumps(fresh, readings=[VOLUMETRIC_GREATER_OF])
    assert len(PARCELS) == 35 and any(len(q) for q in _dumps(cached))


def test_a_changed_tariff_file_is_recompiled_never_served_from_the_old_entry(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("RATECALC_TARIFF_CACHE", str(cache))
    d = _small_dir(tmp_path)
    parcel = Parcel.parse("1250g", "20x10x5cm", date="2023-06-01")
    before = {q.service_id: q for q in TariffSet.load([d], builtin=False).quote(parcel)}
    assert before["hecny"].price is not None and before["hecny"].price.amount == "12.45"
    text = (d / "hecny.yaml").read_text(encoding="utf-8")
    assert text.count("fixed: 4.00") == 1
    (d / "hecny.yaml").write_text(text.replace("fixed: 4.00", "fixed: 5.00"), encoding="utf-8")
    counter = _Counter(monkeypatch)
    after = {q.service_id: q for q in TariffSet.load([d], builtin=False).quote(parcel)}
    assert counter.calls == 1
    assert after["hecny"].price is not None and after["hecny"].price.amount == "13.45"
    assert len([p for p in cache.iterdir() if p.suffix == ".pickle"]) == 1, "the entry is replaced, not added"


def test_the_key_covers_the_files_the_directories_and_the_code(tmp_path, monkeypatch):
    d = _small_dir(tmp_path)
    key = tariffcache.cache_key([d])
    assert key is not None and key == tariffcache.cache_key([d])
    (d / "extra.yml").write_text("# a new file in the directory\n", encoding="utf-8")
    assert tariffcache.cache_key([d]) != key
    (d / "extra.yml").unlink()
    assert tariffcache.cache_key([d]) == key
    copy = shutil.copytree(d, tmp_path / "copy")
    assert tariffcache.cache_key([copy]) != key, "the same files in another directory are another load"
    monkeypatch.setattr(tariffcache, "_environment", lambda: ["ratecalc 999"])
    assert tariffcache.cache_key([d]) != key
    assert tariffcache.cache_key([tmp_path / "missing"]) is None


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[: len(b) // 2], id="truncated"),
        pytest.param(lambda b: b[:-100] + bytes(x ^ 0xFF for x in b[-100:]), id="flipped-bytes"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b"not a cache file at all\n", id="foreign"),
    ],
)
def test_a_damaged_cache_file_is_ignored_and_rebuilt(damage, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("RATECALC_TARIFF_CACHE", str(cache))
    d = _small_dir(tmp_path)
    good = TariffSet.load([d], builtin=False)
    entry = _only_file(cache)
    entry.write_bytes(damage(entry.read_bytes()))
    counter = _Counter(monkeypatch)
    again = TariffSet.load([d], builtin=False)
    assert counter.calls == 1, "the damaged file was not served"
    assert _dumps(again) == _dumps(good)
    TariffSet.load([d], builtin=False)
    assert counter.calls == 1, "the rebuilt file is whole again"


def _filled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A cache holding the small set: (its one entry, the key it was stored under)."""
    monkeypatch.setenv("RATECALC_TARIFF_CACHE", str(tmp_path / "cache"))
    d = _small_dir(tmp_path)
    TariffSet.load([d], builtin=False)
    key = tariffcache.cache_key(tariff_dirs([d], builtin=False))
    assert key is not None
    return _only_file(tmp_path / "cache"), key


def test_a_payload_with_a_matching_hmac_but_not_a_tariff_set_is_refused(tmp_path, monkeypatch):
    import pickle

    entry, key = _filled(tmp_path, monkeypatch)
    assert tariffcache.read(entry, key) is not None
    payload = pickle.dumps({"not": "tariffs"})
    secret = tariffcache.secret(entry.parent, create=False)
    assert secret is not None
    entry.write_bytes(tariffcache._header(secret, key, payload) + payload)
    assert tariffcache.read(entry, key) is None


def test_a_cache_file_others_could_have_written_is_never_unpickled(tmp_path, monkeypatch):
    entry, key = _filled(tmp_path, monkeypatch)
    cache = entry.parent
    assert entry.stat().st_mode & 0o777 == 0o600 and cache.stat().st_mode & 0o777 == 0o700
    entry.chmod(0o620)  # group-writable
    assert tariffcache.read(entry, key) is None
    entry.chmod(0o602)  # world-writable
    assert tariffcache.read(entry, key) is None
    entry.chmod(0o600)
    assert tariffcache.read(entry, key) is not None
    link = cache / "link.pickle"
    link.symlink_to(entry)
    assert tariffcache.read(link, key) is None, "a symlink is not followed"
    if os.getuid() == 0:  # only root can give a file to another user
        os.chown(entry, 65534, -1)
        assert tariffcache.read(entry, key) is None


def test_an_unwritable_cache_directory_still_quotes(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("RATECALC_TARIFF_CACHE", str(blocker / "cache"))  # cannot be created, even by root
    d = _small_dir(tmp_path)
    quotes = TariffSet.load([d], builtin=False).quote(Parcel.parse("1250g", "20x10x5cm", date="2023-06-01"))
    assert any(q.service_id == "hecny" and q.price is not None for q in quotes)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "tariffs"]


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("RATECALC_TARIFF_CACHE", str(cache))

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tariffcache.os, "replace", refuse)
    d = _small_dir(tmp_path)
    assert TariffSet.load([d], builtin=False).services
    assert [p.name for p in cache.iterdir()] == ["key"], "only the cache's secret, no temporary file"


def test_a_set_that_cannot_be_stored_still_quotes(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("RATECALC_TARIFF_CACHE", str(cache))

    def refuse(obj, protocol=None):
        raise TypeError("cannot pickle '_thread.lock' object")

    monkeypatch.setattr(tariffcache.pickle, "dumps", refuse)
    assert TariffSet.load([_small_dir(tmp_path)], builtin=False).services
    assert not cache.exists() or list(cache.iterdir()) == []


@pytest.mark.parametrize("value", ["off", "", "0", "OFF", "false"])
def test_the_cache_can_be_turned_off(value, tmp_path, monkeypatch):
    monkeypatch.setenv("RATECALC_TARIFF_CACHE", value)
    assert tariffcache.cache_dir() is None
    monkeypatch.chdir(tmp_path)  # a relative "off" directory would appear here
    TariffSet.load([_small_dir(tmp_path)], builtin=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tariffs"]


def test_the_default_cache_directory_follows_the_cache_root(tmp_path, monkeypatch):
    monkeypatch.delenv("RATECALC_TARIFF_CACHE", raising=False)
    monkeypatch.delenv("RATECALC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert tariffcache.cache_dir() == tmp_path / "xdg" / "ratecalc" / "tariffs"
    monkeypatch.setenv("RATECALC_CACHE_DIR", str(tmp_path / "root"))
    assert tariffcache.cache_dir() == tmp_path / "root" / "tariffs"
    monkeypatch.delenv("RATECALC_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: Path("~")))  # what a user without a home gets
    assert tariffcache.cache_dir() is None


def test_a_broken_tariff_set_is_refused_and_nothing_is_cached(tmp_path, monkeypatch):
    from ratecalc.errors import TariffError

    cache = tmp_path / "cache"
    monkeypatch.setenv("RATECALC_TARIFF_CACHE", str(cache))
    d = _small_dir(tmp_path)
    (d / "broken.yaml").write_text("carrier: [\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(TariffError):
            TariffSet.load([d], builtin=False)
    assert not cache.exists() or not any(cache.iterdir())


def _cli(args: list[str], cache: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120", "RATECALC_TARIFF_CACHE": cache}
    return subprocess.run(
        [sys.executable, "-m", "ratecalc", *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def test_the_command_line_answers_the_same_from_the_cache_and_without_it(tmp_path):
    args = ["quote", "--weight", "300g", "--dims", "20x15x5cm", "--value", "1000RUB", "--date", "2026-08-01", "--json"]
    cache = tmp_path / "cache"
    first, second = _cli(args, str(cache)), _cli(args, str(cache))
    off = _cli(args, "off")
    assert first.returncode == second.returncode == off.returncode == 0, first.stderr + second.stderr + off.stderr
    assert first.stdout == second.stdout == off.stdout and '"service_id"' in first.stdout
    assert len(list(cache.glob("*.pickle"))) == 1
    blocked = tmp_path / "a-file"
    blocked.write_text("x", encoding="utf-8")
    unwritable = _cli(args, str(blocked / "cache"))
    assert unwritable.returncode == 0 and unwritable.stdout == off.stdout, unwritable.stderr


def test_dates_around_every_epoch_boundary_quote_the_same_from_the_cache(fresh, tmp_path, monkeypatch):
    monkeypatch.setenv("RATECALC_TARIFF_CACHE", str(tmp_path))
    TariffSet.load()
    cached = TariffSet.load()
    days = []
    for start in fresh.compiled().boundaries.tolist():
        day = dt.date(1970, 1, 1) + dt.timedelta(days=start)
        days += [day - dt.timedelta(days=1), day]
    parcels = [Parcel.parse("500g", "25x20x10cm", date=d, value="3000RUB") for d in days]
    a = [[q.model_dump(mode="json") for q in qs] for qs in cached.quote_many(parcels)]
    b = [[q.model_dump(mode="json") for q in qs] for qs in fresh.quote_many(parcels)]
    assert a == b and len(parcels) >= 10


def test_the_tariff_models_describe_themselves_when_none_was_ever_validated(tmp_path):
    """A start that reads the cache builds no tariff validator (defer_build); the API's OpenAPI still encodes
    the models' defaults (a `Limits()` on every version) with their own serialisers."""
    probe = (
        "import sys\n"
        "from pydantic import TypeAdapter\n"
        "from ratecalc import TariffSet\n"
        "TariffSet.load()\n"
        "from ratecalc.tariffdata.schema import GroupOverride, Service\n"
        "props = TypeAdapter(Service).json_schema()['$defs']['Version']['properties']\n"
        "print(props['limits']['default']['batteries'], 'price' in TypeAdapter(GroupOverride).json_schema()['properties'])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RATECALC_TARIFF_CACHE": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True) for _ in range(2)]
    assert [r.stdout.split() for r in runs] == [["unknown", "True"]] * 2, runs[-1].stderr


def _plain(obj: object, models: dict[int, object]) -> object:
    """`obj` as nested plain values: a model by class, fields and the fields it was given (what
    `exclude_unset` reads), a Decimal by its text, an array by dtype and values. `models` collects every
    model object met, by id."""
    from decimal import Decimal

    import numpy as np
    from pydantic import BaseModel

    if isinstance(obj, BaseModel):
        models[id(obj)] = obj
        fields = {k: _plain(v, models) for k, v in obj.__dict__.items()}
        return (type(obj).__name__, fields, sorted(obj.__pydantic_fields_set__))
    if isinstance(obj, Decimal):
        return ("Decimal", str(obj))
    if isinstance(obj, np.ndarray):
        return ("array", str(obj.dtype), obj.shape, obj.tolist())
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_plain(v, models) for v in obj])
    if isinstance(obj, dict):
        return ("dict", [(k, _plain(v, models)) for k, v in obj.items()])
    if hasattr(obj, "__dataclass_fields__"):  # not the memo of derived lookups (`compare=False`)
        fields = [f.name for f in obj.__dataclass_fields__.values() if f.compare]
        return (type(obj).__name__, {f: _plain(getattr(obj, f), models) for f in fields})
    return (type(obj).__name__, obj)


@pytest.mark.slow  # ~20 s: walks every field of every model of both sets (the other tests here quote both)
def test_the_cached_set_shares_equal_values_and_holds_exactly_what_a_fresh_load_holds(fresh, tmp_path, monkeypatch):
    monkeypatch.setenv("RATECALC_TARIFF_CACHE", str(tmp_path))
    TariffSet.load()  # fills the cache
    cached = TariffSet.load()
    fresh_models: dict[int, object] = {}
    cached_models: dict[int, object] = {}
    fresh_view = _plain((fresh.documents, fresh.compiled()), fresh_models)
    cached_view = _plain((cached.documents, cached.compiled()), cached_models)
    assert cached_view == fresh_view, "sharing changed a value, a type or the fields a model was given"
    # every rate row restates its service's limits: shared, the cached set holds far fewer model objects
    assert len(cached_models) * 2 < len(fresh_models)
    ranges = [m for m in cached_models.values() if type(m).__name__ == "MoneyRange"]
    assert len(ranges) == len({(r.min, r.max, r.currency) for r in ranges}), "one object per distinct range"


def test_a_relative_cache_location_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("RATECALC_TARIFF_CACHE", "cache")
    assert tariffcache.cache_dir() is None
    monkeypatch.chdir(tmp_path)
    TariffSet.load([_small_dir(tmp_path)], builtin=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tariffs"]


def test_entries_are_trusted_only_under_a_private_secret_in_a_private_directory(tmp_path, monkeypatch):
    entry, key = _filled(tmp_path, monkeypatch)
    cache, secret = entry.parent, entry.parent / "key"
    assert secret.stat().st_mode & 0o777 == 0o600 and len(secret.read_bytes()) == 32
    assert tariffcache.read(entry, key) is not None
    secret.chmod(0o640)  # readable by the group: anyone there could forge an entry
    assert tariffcache.read(entry, key) is None
    secret.chmod(0o600)
    cache.chmod(0o770)  # others may write the directory: they could replace the secret
    assert tariffcache.read(entry, key) is None
    cache.chmod(0o700)
    assert tariffcache.read(entry, key) is not None
    secret.write_bytes(os.urandom(32))  # another secret: the entry's HMAC no longer checks
    assert tariffcache.read(entry, key) is None


def test_eviction_keeps_the_most_recently_used_entries(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    for i in range(12):
        p = cache / f"tariffs-{i:024d}.pickle"
        p.write_bytes(b"x" * 100)
        os.utime(p, (1_000_000 + i, 1_000_000 + i))
    stale = cache / ".tariffs-dead.tmp"
    stale.write_bytes(b"half a write")
    os.utime(stale, (1_000_000, 1_000_000))
    fresh_tmp = cache / ".tariffs-running.tmp"
    fresh_tmp.write_bytes(b"a write in progress")
    (cache / "key").write_bytes(os.urandom(32))
    removed = tariffcache.evict(cache, keep=3)
    assert len(removed) == 10
    left = sorted(p.name for p in cache.iterdir())
    assert left == [".tariffs-running.tmp", "key"] + [f"tariffs-{i:024d}.pickle" for i in (9, 10, 11)]
    tariffcache.evict(cache, keep=3, max_bytes=250)
    assert sorted(p.name for p in cache.glob("*.pickle")) == [f"tariffs-{i:024d}.pickle" for i in (10, 11)]
