"""Hostile files, round 2: spreadsheets, user tariff YAML and the compiled-tariff cache, replayed through the
real command line as subprocesses, each under a memory cap (RLIMIT_AS) and a time limit.

Every hostile file is made here, in tmp_path, by a small generator (`hostile_files`); FIFOs and device
nodes are made with os.mkfifo / os.mknod in tmp_path, never the host's own (skipped where not allowed).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import resource
import stat
import subprocess
import zipfile
from pathlib import Path
from typing import Optional

import pytest
from hostile_files import (
    LAUGHS,
    XXE,
    commission_row,
    commission_sheet,
    inflating_entry,
    lying_size,
    parts,
    replace_parts,
    row_xml,
    shared_strings,
    sheet_xml,
    with_prolog,
    write_zip,
)
from hostile_helpers import CLI, server_env

ROOT = Path(__file__).resolve().parents[2]
APRIL = ROOT / "tests" / "data" / "ozon-2026" / "China_scoring_ENG_CN_7_04_26_1775544002.xlsx"
APRIL_SHEET = "xl/worksheets/sheet3.xml"  # the visible sheet, '中国 rFBS', 164 rows, 142 of them rates
MINE = """\
# A seller's own tariff, in the full form (one rate row per delivery type), as a user writes one.
schema_version: 1
carrier: Mine
carrier_id: mine
services:
- id: mine-express
  name: Mine Express
  origin: CN
  versions:
  - effective_until: 2024-12-04
    sources:
    - https://example.com/mine-express-rates
    confidence: official
    confidence_note: the carrier's own rate card
    billing:
      basis: actual
      rounding:
        step_g: 100
        direction: up
        stated: true
    rates:
    - delivery: pickup_point
      fixed: 4.00
      per_step: 0.65
      step_g: 100
      currency: USD
"""
MEMORY = 1 << 30  # address space of one command: ~10x what a real import or quote uses
TIMEOUT = 60


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_capped(
    *args: str, cwd: Optional[Path] = None, env: Optional[dict] = None, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess:
    """The real command line, at most MEMORY of address space and `timeout` seconds."""
    return subprocess.run(
        CLI + list(args),
        cwd=cwd,
        env={**server_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        preexec_fn=_cap_memory,
    )


def one_line_error(r: subprocess.CompletedProcess, *words: str) -> str:
    """Exit 2, no traceback, exactly one line on stderr, starting `error:` and holding every word."""
    assert r.returncode == 2, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr + r.stdout and "internal error" not in r.stderr, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr[-2000:]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def commissions_import(path: Path, out: Path) -> subprocess.CompletedProcess:
    return run_capped("commissions", "import", str(path), "-o", str(out), "--effective-from", "2025-12-01")


def tariffs_import(path: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_capped("tariffs", "import", str(path), "-o", str(out), "--effective-from", "2026-04-07", *extra)


IMPORTERS = {"commissions import": commissions_import, "tariffs import": tariffs_import}


def _char_device(path: Path) -> Path:
    """A copy of /dev/zero (char 1:5) made in tmp_path; skipped where mknod is not allowed."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 5))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    return path


# ---------------------------------------------------------------------------------------------------------
# 1. Spreadsheet importers: every malformed workbook is one line naming the file and why, exit 2


def _good(tmp_path: Path) -> dict[str, bytes]:
    return parts(commission_sheet(3))


MALFORMED = {
    "not a zip": (lambda d: _bytes(d / "notzip.xlsx", b"this is not a workbook\n" * 20), "not a zip archive"),
    "empty": (lambda d: _bytes(d / "empty.xlsx", b""), "is empty"),
    "truncated": (
        lambda d: _bytes(d / "truncated.xlsx", _zip_bytes(_good(d))[: len(_zip_bytes(_good(d))) // 2]),
        "not a zip archive, or a truncated one",
    ),
    "a directory named .xlsx": (lambda d: _mkdir(d / "dir.xlsx"), "is a directory"),
    "a FIFO named .xlsx": (lambda d: _fifo(d / "pipe.xlsx"), "FIFO"),
    "billion laughs in the sheet": (
        lambda d: write_zip(d / "laughs.xlsx", parts(with_prolog(commission_sheet(3), LAUGHS, b"&lol9;"))),
        "xl/worksheets/sheet1.xml declares a DTD",
    ),
    "XXE in the sheet": (
        lambda d: write_zip(d / "xxe.xlsx", parts(with_prolog(commission_sheet(3), XXE, b"&xxe;"))),
        "xl/worksheets/sheet1.xml declares a DTD",
    ),
    "billion laughs in shared strings": (
        lambda d: write_zip(d / "laughs-ss.xlsx", parts(commission_sheet(3), shared=shared_strings(LAUGHS, b"&lol9;"))),
        "xl/sharedStrings.xml declares a DTD",
    ),
    "XXE in shared strings": (
        lambda d: write_zip(d / "xxe-ss.xlsx", parts(commission_sheet(3), shared=shared_strings(XXE, b"&xxe;"))),
        "xl/sharedStrings.xml declares a DTD",
    ),
    "a DTD in a part of any name": (
        lambda d: write_zip(
            d / "hidden.xlsx",
            {**_good(d), "xl/worksheets/sheet9.dat": with_prolog(commission_sheet(3), LAUGHS, b"&lol9;")},
        ),
        "xl/worksheets/sheet9.dat declares a DTD",
    ),
    "an entry whose size lies": (
        lambda d: lying_size(
            d / "lying.xlsx", _good(d), "xl/worksheets/sheet2.xml", b"<a>" + b" " * (8 << 20) + b"</a>", 1000
        ),
        "damaged",
    ),
    "a zip of a text file": (
        lambda d: write_zip(d / "text.xlsx", {"readme.txt": b"hello"}),
        "not a readable XLSX workbook",
    ),
}


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", list(IMPORTERS))
@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_workbook_is_one_line_naming_the_file_and_why(command, case, tmp_path):
    make, reason = MALFORMED[case]
    path = make(tmp_path)
    out = tmp_path / "out"
    one_line_error(IMPORTERS[command](path, out), path.name, reason)
    assert not out.exists(), "nothing is written for a refused workbook"


def test_a_refused_sheet_whose_name_gives_the_date_is_still_one_line(tmp_path):
    path = write_zip(
        tmp_path / "China_scoring_ENG_CN_7_04_26_1775544002.xlsx",
        parts(with_prolog(commission_sheet(3), XXE, b"&xxe;")),
    )
    r = run_capped("tariffs", "import", str(path), "-o", str(tmp_path / "out"))
    one_line_error(r, path.name, "declares a DTD")


@pytest.mark.parametrize("command", list(IMPORTERS))
def test_a_device_named_xlsx_is_refused_without_reading_it(command, tmp_path):
    device = _char_device(tmp_path / "zero-device")
    link = tmp_path / "rates.xlsx"
    link.symlink_to(device)
    one_line_error(IMPORTERS[command](link, tmp_path / "out"), "rates.xlsx", "character device")


# ---------------------------------------------------------------------------------------------------------
# 2. Memory bomb: the width and the height read are bounded, and anything past them refused at once

_LAST_ROW = 1_048_576


@pytest.mark.parametrize("command", list(IMPORTERS))
@pytest.mark.parametrize("column", ["A", "XFD"])
def test_a_sheet_declaring_a1_xfd1048576_with_one_row_at_the_end_is_refused_at_once(command, column, tmp_path):
    last = f'<row r="{_LAST_ROW}"><c r="{column}{_LAST_ROW}" t="inlineStr"><is><t>y</t></is></c></row>'.encode()
    sheet = sheet_xml([row_xml(1, ["x"]), last], dimension="A1:XFD1048576")
    path = write_zip(tmp_path / "bomb.xlsx", parts(sheet))
    assert path.stat().st_size < 64_000
    one_line_error(IMPORTERS[command](path, tmp_path / "out"), "bomb.xlsx", "1,048,576", "at most 100,000 rows")


@pytest.mark.parametrize("command", list(IMPORTERS))
def test_a_cell_past_column_iv_is_refused_naming_the_limit(command, tmp_path):
    wide = b'<row r="3"><c r="XFD3" t="inlineStr"><is><t>far</t></is></c></row>'
    sheet = sheet_xml([row_xml(1, ["x"]), row_xml(2, ["y"]), wide])
    path = write_zip(tmp_path / "wide.xlsx", parts(sheet))
    one_line_error(IMPORTERS[command](path, tmp_path / "out"), "wide.xlsx", "at most 256 columns")


@pytest.fixture(scope="module")
def inflating(tmp_path_factory) -> dict[str, Path]:
    """Per part, a ~4.5 MB workbook whose part inflates to 1 GiB (made once: deflating 1 GiB takes seconds)."""
    base = parts(commission_sheet(3))
    around = {"xl/worksheets/sheet1.xml": commission_sheet(3)}
    out = {}
    for i, part in enumerate(("xl/worksheets/sheet1.xml", "xl/media/pad.bin")):
        d = tmp_path_factory.mktemp(f"inflating{i}")
        out[part] = inflating_entry(d / "inflating.xlsx", base, part, 1 << 30, around.get(part, b""))
    return out


@pytest.mark.parametrize("command", list(IMPORTERS))
@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/media/pad.bin"])
def test_a_zip_entry_inflating_to_1_gib_is_refused_before_it_is_inflated(command, part, inflating, tmp_path):
    path = inflating[part]
    assert path.stat().st_size < 6 << 20  # ~4.5 MB on disk
    one_line_error(IMPORTERS[command](path, tmp_path / "out"), "inflating.xlsx", part, "at most 128 MiB")


# ---------------------------------------------------------------------------------------------------------
# 3. Silent row loss: rows past the declared <dimension> are read, or the sheet is refused


def _april_sheet() -> bytes:
    with zipfile.ZipFile(APRIL) as z:
        return z.read(APRIL_SHEET)


def test_the_april_sheet_with_its_dimension_set_to_a1_v100_imports_all_142_rows(tmp_path):
    sheet = _april_sheet()
    assert b'<dimension ref="A1:V164"/>' in sheet
    lying = replace_parts(
        APRIL,
        tmp_path / "april.xlsx",
        {APRIL_SHEET: sheet.replace(b'<dimension ref="A1:V164"/>', b'<dimension ref="A1:V100"/>')},
    )
    out = tmp_path / "out"
    r = tariffs_import(lying, out)
    assert r.returncode == 0, r.stderr
    assert "ok: 142 rows of sheet '中国 rFBS'" in r.stdout and "17 separator rows skipped" in r.stdout
    honest = tariffs_import(APRIL, tmp_path / "honest")
    assert honest.returncode == 0, honest.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(p.name for p in (tmp_path / "honest").iterdir())
    for name in files:  # the same documents, but for the source file's name and digest
        a = (out / name).read_text(encoding="utf-8").count("source_row:")
        b = (tmp_path / "honest" / name).read_text(encoding="utf-8").count("source_row:")
        assert a == b
    assert sum((out / n).read_text(encoding="utf-8").count("source_row:") for n in files) == 142


def test_commission_rows_past_the_declared_dimension_are_all_imported(tmp_path):
    path = write_zip(tmp_path / "short-dimension.xlsx", parts(commission_sheet(50, dimension="A1:P3")))
    r = commissions_import(path, tmp_path / "table.yaml")
    assert r.returncode == 0, r.stderr
    assert "50 rows -> 1 categories" in r.stderr


def _rows_past_the_dimension(n: int, start: int = 165) -> bytes:
    row = b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>'
    return b"".join(row % (i, i) for i in range(start, start + n))


def test_a_million_rows_appended_past_the_dimension_are_refused_not_ignored(tmp_path):
    sheet = _april_sheet()
    end = sheet.index(b"</sheetData>")
    path = replace_parts(
        APRIL, tmp_path / "million.xlsx", {APRIL_SHEET: sheet[:end] + _rows_past_the_dimension(1_000_000) + sheet[end:]}
    )
    out = tmp_path / "out"
    one_line_error(tariffs_import(path, out), "million.xlsx", "at most 100,000 rows")
    assert not out.exists()


def test_thousands_of_bad_rows_print_a_capped_summary(tmp_path):
    sheet = _april_sheet()
    end = sheet.index(b"</sheetData>")
    bad = b"".join(
        row_xml(i, ["A group", "Tier", None, "Method", None, None, "¥ oops"]) for i in range(165, 165 + 5000)
    )
    path = replace_parts(APRIL, tmp_path / "bad.xlsx", {APRIL_SHEET: sheet[:end] + bad + sheet[end:]})
    out = tmp_path / "out"
    r = tariffs_import(path, out)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-2000:]
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 22, lines[:3]
    assert lines[0].startswith("bad row 中国 rFBS!G165:") and lines[19].startswith("bad row 中国 rFBS!G184:")
    assert "and 4,980 more bad rows" in lines[20]
    assert lines[21].startswith("error: 5000 row(s)") and "nothing written" in lines[21]
    assert not out.exists()


def test_a_good_commission_workbook_still_imports(tmp_path):
    path = write_zip(tmp_path / "good.xlsx", parts(commission_sheet(3)))
    out = tmp_path / "table.yaml"
    r = commissions_import(path, out)
    assert r.returncode == 0 and "3 rows -> 1 categories" in r.stderr, r.stderr
    assert "cross-border-2025-12-01" in out.read_text(encoding="utf-8")
    assert commission_row(0)[6] in out.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------
# 4. User tariff YAML: file:line: why, exit 2


def _user_dir(tmp_path: Path, text: str, name: str = "mine.yaml") -> tuple[Path, Path]:
    d = tmp_path / "mine"
    d.mkdir(exist_ok=True)
    path = d / name
    path.write_text(text, encoding="utf-8")
    return d, path


def _quote_with(d: Path, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    return run_capped(
        "quote", "-w", "1250g", "-d", "20x10x5cm", "--date", "2023-06-01", "--tariffs", str(d), timeout=timeout
    )


def _tariff_error(r: subprocess.CompletedProcess, where: str, *words: str) -> str:
    """Exit 2, no traceback; the problem line starts with `where` (file:line) and holds every word."""
    assert r.returncode == 2, (r.returncode, r.stdout[-1000:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr[-2000:]
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert lines[0] == "error: the tariff set is broken:", lines
    [problem] = [line for line in lines[1:]]
    assert problem.startswith(where), (where, problem)
    for word in words:
        assert word in problem, (word, problem)
    return problem


_FIXED = MINE.index("      fixed: 4.00\n")
FIXED_LINE = MINE[:_FIXED].count("\n") + 1
UNTIL_LINE = MINE[: MINE.index("effective_until: 2024-12-04")].count("\n") + 1

VALUES = {
    ".nan": ("fixed: .nan", "not a finite number"),
    ".inf": ("fixed: .inf", "not a finite number"),
    "-.inf": ("fixed: -.Inf", "not a finite number"),
    "sexagesimal float 1:30.5": ("fixed: 1:30.5", "base-60"),
    "sexagesimal int 1:30": ("fixed: 1:30", "base-60"),
    "octal 017": ("fixed: 017", "octal"),
    "1e14": ("fixed: 1e14", "too large"),
    "1.0e+400": ("fixed: 1.0e+400", "too large"),
}


@pytest.mark.parametrize("case", list(VALUES))
def test_a_value_yaml_allows_but_a_tariff_cannot_hold_is_refused_with_its_line(case, tmp_path):
    value, words = VALUES[case]
    d, path = _user_dir(tmp_path, MINE.replace("fixed: 4.00", value))
    _tariff_error(_quote_with(d), f"{path}:{FIXED_LINE}:", words)


def test_a_date_that_does_not_exist_is_refused_with_its_line(tmp_path):
    d, path = _user_dir(tmp_path, MINE.replace("effective_until: 2024-12-04", "effective_until: 2022-02-30"))
    _tariff_error(_quote_with(d), f"{path}:{UNTIL_LINE}:", "2022-02-30 is not a date that exists")


def test_a_duplicate_key_is_refused_naming_both_lines_never_last_wins(tmp_path):
    d, path = _user_dir(tmp_path, MINE.replace("      fixed: 4.00\n", "      fixed: 4.00\n      fixed: 400.00\n"))
    _tariff_error(
        _quote_with(d),
        f"{path}:{FIXED_LINE + 1}:",
        "'fixed' appears twice",
        f"line {FIXED_LINE} and line {FIXED_LINE + 1}",
    )


@pytest.mark.parametrize(
    "nesting",
    [
        pytest.param("[" * 10_000 + "]" * 10_000, id="10000-deep-sequences"),
        pytest.param("{a: " * 10_000 + "1" + "}" * 10_000, id="10000-deep-mappings"),
    ],
)
def test_ten_thousand_deep_nesting_is_refused_with_its_line(nesting, tmp_path):
    d, path = _user_dir(tmp_path, MINE + "deep: " + nesting + "\n")
    line = MINE.count("\n") + 1
    _tariff_error(_quote_with(d), f"{path}:{line}:", "nested more than 64 levels deep")


def test_deep_block_nesting_is_refused_with_its_line(tmp_path):
    block = "".join(" " * i + "a:\n" for i in range(1, 2000)) + " " * 2000 + "1\n"
    d, path = _user_dir(tmp_path, MINE + "deep:\n" + block)
    line = MINE.count("\n") + 1 + 64
    _tariff_error(_quote_with(d), f"{path}:{line}:", "nested more than 64 levels deep")


def _bomb_line(prev: str, name: str) -> str:
    item = "*" + prev if prev else '"lol"'
    return f"{name}: &{name} [{', '.join([item] * 9)}]\n"


ALIAS_BOMB = "".join(_bomb_line(prev, name) for prev, name in zip([""] + list("abcdefgh"), "abcdefghi"))


def test_a_1_kb_alias_bomb_is_bounded_and_refused_with_its_line(tmp_path):
    assert len(ALIAS_BOMB) < 1024
    d, path = _user_dir(tmp_path, MINE.replace("carrier: Mine\n", "carrier: Mine\n" + ALIAS_BOMB))
    bomb_at = MINE[: MINE.index("carrier: Mine\n")].count("\n") + 2
    _tariff_error(_quote_with(d, timeout=30), f"{path}:", "alias", "100,000 values")
    # the line named is the alias that crosses the bound, inside the bomb
    r = _quote_with(d, timeout=30)
    line = int(r.stderr.split(f"{path}:")[1].split(":")[0])
    assert bomb_at <= line < bomb_at + 9


def test_aliases_within_the_bound_still_load(tmp_path):
    text = MINE.replace("    rates:\n", "    rates: &rows\n", 1) + "extra_rows: *rows\n"
    d, path = _user_dir(tmp_path, text)
    r = _quote_with(d)
    # the alias loads; the schema then refuses the unknown top-level key, with its line
    _tariff_error(r, f"{path}:", "at extra_rows: Extra inputs are not permitted")


def test_a_fifo_named_yaml_is_refused_without_waiting_for_a_writer(tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    os.mkfifo(d / "pipe.yaml")
    _tariff_error(_quote_with(d, timeout=30), f"{d / 'pipe.yaml'}:", "FIFO", "not a regular file")


def test_a_symlink_to_a_zero_device_named_yaml_is_refused_without_reading_it(tmp_path):
    device = _char_device(tmp_path / "zero-device")
    d = tmp_path / "mine"
    d.mkdir()
    (d / "zero.yaml").symlink_to(device)
    _tariff_error(_quote_with(d, timeout=30), f"{d / 'zero.yaml'}:", "character device")


def test_a_tariff_file_over_8_mib_is_refused_by_its_size(tmp_path):
    d, path = _user_dir(tmp_path, MINE + "# " + "x" * (8 << 20) + "\n")
    _tariff_error(_quote_with(d), f"{path}:", "at most 8 MiB")


def _versions(n: int) -> str:
    """MINE with `n` one-day versions of its service."""
    import datetime as dt

    head, body = MINE.split("  versions:\n")
    assert body.startswith("  - effective_until: 2024-12-04\n")
    rest = body.removeprefix("  - effective_until: 2024-12-04\n")
    out = []
    for i in range(n):
        day = dt.date(2000, 1, 1) + dt.timedelta(days=i)
        out.append(f"  - effective_from: {day}\n    effective_until: {day}\n" + rest)
    return head + "  versions:\n" + "".join(out)


def test_more_versions_than_the_supported_scale_are_refused_at_once(tmp_path):
    text = _versions(201)
    d, path = _user_dir(tmp_path, text)
    first = text[: text.index("  versions:\n")].count("\n") + 2  # the first version
    _tariff_error(_quote_with(d, timeout=30), f"{path}:{first} at services[0].versions:", "201 versions", "at most 200")


def test_the_supported_scale_itself_loads(tmp_path):
    d, _ = _user_dir(tmp_path, _versions(200))
    r = run_capped("tariffs", "check", str(d), timeout=120)
    assert r.returncode == 0 and "ok: 1 files, 1 services" in r.stdout, r.stderr[-2000:]


# ---------------------------------------------------------------------------------------------------------
# 5. The compiled-tariff cache

QUOTE = ["quote", "-w", "300g", "-d", "20x15x5cm", "--value", "1000RUB", "--date", "2026-08-01", "--json"]


def _planted_pickle(marker: Path) -> bytes:
    class Boom:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    return pickle.dumps(Boom())


def _entry_path(cache: Path) -> Path:
    """Where the command line's default load (the built-in tariffs) keeps its entry in `cache`."""
    from ratecalc.tariffdata import tariffcache
    from ratecalc.tariffdata.loader import tariff_dirs

    return tariffcache.cache_file(cache, tariff_dirs(()))


def _plant(cache: Path, marker: Path, version: bytes) -> Path:
    """A pickle that runs `touch marker` at the entry path, with a header that names the right key and the
    payload's own sha256 (all the old format asked for)."""
    from ratecalc.tariffdata import tariffcache
    from ratecalc.tariffdata.loader import tariff_dirs

    cache.mkdir(parents=True, exist_ok=True)
    key = tariffcache.cache_key(tariff_dirs(()))
    assert key is not None
    payload = _planted_pickle(marker)
    entry = _entry_path(cache)
    head = b"ratecalc-compiled-tariffs " + version + b"\n" + f"{key} {hashlib.sha256(payload).hexdigest()}\n".encode()
    entry.write_bytes(head + payload)
    entry.chmod(0o644)
    return entry


@pytest.fixture(scope="module")
def reference_quote(tmp_path_factory) -> str:
    r = run_capped(*QUOTE, env={"RATECALC_TARIFF_CACHE": "off"})
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_a_pickle_planted_in_a_relative_cache_directory_is_never_executed(tmp_path, reference_quote):
    marker = tmp_path / "PWNED"
    _plant(tmp_path / "cache", marker, b"1")  # the format the cache wrote before it authenticated entries
    r = run_capped(*QUOTE, cwd=tmp_path, env={"RATECALC_TARIFF_CACHE": "cache"})
    assert r.returncode == 0 and r.stdout == reference_quote, r.stderr
    assert not marker.exists(), "the planted pickle ran"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [_entry_path(tmp_path / "cache").name], (
        "a relative location is not a cache: nothing is read or written there"
    )


@pytest.mark.parametrize("version", [b"1", b"2"])
def test_a_pickle_planted_in_the_private_cache_without_its_hmac_is_never_executed(version, tmp_path, reference_quote):
    cache = tmp_path / "cache"
    first = run_capped(*QUOTE, env={"RATECALC_TARIFF_CACHE": str(cache)})  # the cache and its secret exist
    assert first.returncode == 0 and (cache / "key").stat().st_mode & 0o777 == 0o600
    marker = tmp_path / "PWNED"
    _plant(cache, marker, version).chmod(0o600)
    r = run_capped(*QUOTE, env={"RATECALC_TARIFF_CACHE": str(cache)})
    assert r.returncode == 0 and r.stdout == reference_quote, r.stderr
    assert not marker.exists(), "the planted pickle ran"
    assert _entry_path(cache).read_bytes().startswith(b"ratecalc-compiled-tariffs 2\n") and (
        b"PWNED" not in _entry_path(cache).read_bytes()
    ), "the planted entry is replaced by a real one"


def test_a_fifo_at_the_entry_path_never_hangs_a_command(tmp_path, reference_quote):
    cache = tmp_path / "cache"
    assert run_capped(*QUOTE, env={"RATECALC_TARIFF_CACHE": str(cache)}).returncode == 0
    entry = _entry_path(cache)
    entry.unlink()
    os.mkfifo(entry)
    r = run_capped(*QUOTE, env={"RATECALC_TARIFF_CACHE": str(cache)}, timeout=60)
    assert r.returncode == 0 and r.stdout == reference_quote, r.stderr
    assert stat.S_ISREG(entry.lstat().st_mode), "the FIFO is replaced by a real entry"


@pytest.mark.skipif(os.getuid() != 0, reason="only root can give a FIFO to another user")
def test_another_users_fifo_in_a_world_writable_cache_directory_is_never_opened(tmp_path, reference_quote):
    cache = tmp_path / "shared-cache"
    cache.mkdir()
    cache.chmod(0o1777)
    entry = _entry_path(cache)
    os.mkfifo(entry)
    os.chown(entry, 65534, 65534)
    r = run_capped(*QUOTE, env={"RATECALC_TARIFF_CACHE": str(cache)}, timeout=60)
    assert r.returncode == 0 and r.stdout == reference_quote, r.stderr
    assert sorted(p.name for p in cache.iterdir()) == [entry.name], "a directory others can write is not used"


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722])
def test_a_cache_directory_others_can_write_is_neither_read_nor_written(mode, tmp_path, reference_quote):
    cache = tmp_path / "cache"
    assert run_capped(*QUOTE, env={"RATECALC_TARIFF_CACHE": str(cache)}).returncode == 0
    marker = tmp_path / "PWNED"
    entry = _plant(cache, marker, b"2")
    entry.chmod(0o600)
    cache.chmod(mode)
    r = run_capped(*QUOTE, env={"RATECALC_TARIFF_CACHE": str(cache)})
    assert r.returncode == 0 and r.stdout == reference_quote, r.stderr
    assert not marker.exists() and b"touch" in entry.read_bytes(), "not read, and not rewritten either"


@pytest.mark.skipif(os.getuid() != 0, reason="only root can give a directory to another user")
def test_a_cache_directory_of_another_user_is_not_used(tmp_path, reference_quote):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    os.chown(cache, 65534, 65534)
    r = run_capped(*QUOTE, env={"RATECALC_TARIFF_CACHE": str(cache)})
    assert r.returncode == 0 and r.stdout == reference_quote, r.stderr
    assert list(cache.iterdir()) == []


def test_the_cache_keeps_only_the_newest_entries(tmp_path):
    cache = tmp_path / "cache"
    env = {"RATECALC_TARIFF_CACHE": str(cache)}
    assert run_capped(*QUOTE, env=env).returncode == 0
    entry = _entry_path(cache)
    for i in range(12):  # entries of other tariff directory lists, older than the real one
        fake = cache / f"tariffs-{i:024d}.pickle"
        fake.write_bytes(b"x" * 1000)
        os.utime(fake, (1_000_000 + i, 1_000_000 + i))
    os.utime(entry, (2_000_000, 2_000_000))
    d = tmp_path / "small"
    d.mkdir()
    (d / "mine.yaml").write_text(MINE, encoding="utf-8")
    r = run_capped("tariffs", "list", "--tariffs", str(d), env=env)
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in cache.glob("tariffs-*.pickle"))
    assert len(names) == 8 and entry.name in names
    fakes = [f"tariffs-{i:024d}.pickle" for i in range(12)]  # a real entry's hex name may start with 0 too
    assert fakes[6:] == [n for n in names if n in fakes]
