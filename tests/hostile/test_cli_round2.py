"""Hostile input, second round, through the real command line (subprocesses under memory and time caps).

Output paths that are inputs, each other or special files; rich markup in user text; output that cannot
be written; the one number grammar on every surface; spreadsheet formulas in CSV outputs; full-width
category names. Device nodes are copies made with mknod in the test's own directory (1,7 behaves as
/dev/full, 1,3 as /dev/null), never the host's; the tests that need one skip where mknod is not allowed.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import pytest
from hostile_helpers import CLI, ECONOMICS, USD_ERA, server_env

MEMORY_CAP = 3 << 30  # bytes of address space per command (~1.6 GB of it is reserved, ~150 MB resident)
TIME_CAP = 120.0  # seconds per command; none of these takes more than a few
HEADER = "sku,weight_g,length_mm,width_mm,height_mm,order_date"


def _cli(*args: str, cwd: Optional[Path] = None, close_stdout: bool = False, stdout: Optional[Path] = None):
    """The command line as an operator runs it, capped: RLIMIT_AS and a timeout (a hang fails the test)."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
        if close_stdout:
            os.close(1)

    out = open(stdout, "w") if stdout is not None else subprocess.PIPE  # noqa: SIM115 - closed below
    try:
        r = subprocess.run(
            CLI + list(args),
            cwd=cwd,
            env=server_env(),
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=TIME_CAP,
            check=False,
            preexec_fn=limits,
        )
    finally:
        if stdout is not None:
            out.close()  # type: ignore[union-attr]
    return r


def _one_line(r: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2, no traceback, exactly one line on stderr, `error: ...` holding every fragment."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + (r.stdout or "") and "internal error" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def _catalogue(path: Path, rows: int = 3, *, bad: int = 0) -> Path:
    lines = [HEADER] + [f"s{i},{100 + i % 900},300,200,150,2022-07-01" for i in range(rows)]
    lines += [f"b{i},-5,300,200,150,2022-07-01" for i in range(bad)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _node(tmp_path: Path, name: str, major: int, minor: int) -> Path:
    """A character device node in the test's directory (a copy of /dev/full or /dev/null by number)."""
    path = tmp_path / name
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"mknod is not allowed here ({exc})")
    return path


def _fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


def _still(path: Path, kind: Callable[[int], bool], rdev: Optional[int] = None) -> None:
    """The special file is still there, still of its kind (and device number)."""
    st = os.lstat(path)
    assert kind(st.st_mode), oct(st.st_mode)
    if rdev is not None:
        assert st.st_rdev == rdev


def _no_partials(directory: Path) -> None:
    assert not list(directory.glob(".*.partial")), list(directory.glob(".*"))


# --------------------------------------------------------------------------- 6. output paths


def test_errors_file_equal_to_the_input_is_refused_and_the_input_kept(tmp_path):
    src = _catalogue(tmp_path / "cat.csv")
    before = src.read_bytes()
    r = _cli("batch", str(src), "-o", str(tmp_path / "out.csv"), "--errors", str(src), "--no-progress")
    _one_line(r, "--errors", str(src), "the input")
    assert src.read_bytes() == before and not (tmp_path / "out.csv").exists()
    _no_partials(tmp_path)


def test_errors_file_equal_to_the_output_is_refused(tmp_path):
    src = _catalogue(tmp_path / "cat.csv", bad=1)
    out = tmp_path / "out.csv"
    _one_line(_cli("batch", str(src), "-o", str(out), "--errors", str(out), "--no-progress"), "--errors", "output")
    assert not out.exists()
    # an output named so that its default errors file is itself
    same = tmp_path / "o.errors.csv"
    _one_line(_cli("batch", str(src), "-o", str(same), "--no-progress"), "--errors", str(same))
    assert not same.exists()


@pytest.mark.parametrize("how", ["same path", "symlink", "hard link", "relative"])
def test_output_equal_to_the_input_is_refused_however_it_is_reached(tmp_path, how):
    src = _catalogue(tmp_path / "cat.csv")
    before = src.read_bytes()
    out = {"same path": src, "symlink": tmp_path / "link.csv", "hard link": tmp_path / "hard.csv"}.get(how)
    if how == "symlink":
        out.symlink_to(src)
    elif how == "hard link":
        os.link(src, out)
    args = ["-o", str(out)] if out is not None else ["-o", "./cat.csv"]
    r = _cli("batch", "cat.csv" if how == "relative" else str(src), *args, "--no-progress", cwd=tmp_path)
    _one_line(r, "--output", "the input")
    assert src.read_bytes() == before


def test_rates_file_as_the_output_is_refused(tmp_path):
    src = _catalogue(tmp_path / "cat.csv")
    rates = tmp_path / "rates.csv"
    rates.write_text("date,currency,rate\n2022-07-01,USD,60\n")
    r = _cli("batch", str(src), "-o", str(rates), "--best", "cheapest", "--rates-file", str(rates), "--no-progress")
    _one_line(r, "--output", "rates file")
    assert rates.read_text() == "date,currency,rate\n2022-07-01,USD,60\n"


def test_device_outputs_are_refused_and_survive(tmp_path):
    src = _catalogue(tmp_path / "cat.csv", bad=1)
    full = _node(tmp_path, "full.csv", 1, 7)
    null = _node(tmp_path, "null.csv", 1, 3)
    _one_line(_cli("batch", str(src), "-o", str(full), "--no-progress"), "--output", "character device")
    for failing in (src, _catalogue(tmp_path / "clean.csv")):  # rows failing (errors written) or not (removed)
        r = _cli("batch", str(failing), "-o", str(tmp_path / "o.csv"), "--errors", str(null), "--no-progress")
        _one_line(r, "--errors", "character device")
    _still(full, stat.S_ISCHR, os.makedev(1, 7))
    _still(null, stat.S_ISCHR, os.makedev(1, 3))
    assert not (tmp_path / "o.csv").exists()
    _no_partials(tmp_path)


def test_fifo_and_directory_outputs_are_refused_without_hanging(tmp_path):
    src = _catalogue(tmp_path / "cat.csv")
    fifo = _fifo(tmp_path, "pipe.csv")
    started = time.monotonic()
    _one_line(_cli("batch", str(src), "-o", str(fifo), "--no-progress"), "--output", "FIFO")
    assert time.monotonic() - started < 60
    _still(fifo, stat.S_ISFIFO)
    (tmp_path / "dir.csv").mkdir()
    _one_line(_cli("batch", str(src), "-o", str(tmp_path / "dir.csv"), "--no-progress"), "--output", "a directory")
    assert (tmp_path / "dir.csv").is_dir()


def test_economics_catalogue_outputs_follow_the_same_rules(tmp_path):
    src = tmp_path / "cat.csv"
    src.write_text(
        "sku,weight_g,length_mm,width_mm,height_mm,order_date,category,purchase_cost,sale_price\n"
        "a,450,200,150,100,2025-12-05,pharmacy,62CNY,1499\n",
        encoding="utf-8",
    )
    before = src.read_bytes()
    base = ["economics", "--input", str(src), "--fx", "CNY=11.5", "--no-progress"]
    _one_line(_cli(*base, "-o", str(src)), "--output", "the input")
    null = _node(tmp_path, "null.csv", 1, 3)
    _one_line(_cli(*base, "-o", str(tmp_path / "o.csv"), "--errors", str(null)), "--errors", "character device")
    (tmp_path / "in.csv").mkdir()
    _one_line(
        _cli(*base[:1], "--input", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv")), "--input", "directory"
    )
    assert src.read_bytes() == before
    _still(null, stat.S_ISCHR, os.makedev(1, 3))


def test_single_file_outputs_refuse_devices_and_inputs(tmp_path):
    full = _node(tmp_path, "full.svg", 1, 7)
    chart = ["chart", "-w", "400g", "-d", "20x15x10cm", "--date", "2023-06-01", "-o"]
    _one_line(_cli(*chart, str(full)), "--output", "character device")
    fifo = _fifo(tmp_path, "schema.json")
    _one_line(_cli("tariffs", "schema", "-o", str(fifo)), "--output", "FIFO")
    workbook = tmp_path / "commissions.csv"
    workbook.write_text("not read: refused before", encoding="utf-8")
    _one_line(_cli("commissions", "import", str(workbook), "-o", str(workbook)), "--output", "the input")
    assert workbook.read_text(encoding="utf-8") == "not read: refused before"
    _still(full, stat.S_ISCHR, os.makedev(1, 7))
    _still(fifo, stat.S_ISFIFO)
    # a good chart is written whole, and nothing else is left beside it
    r = _cli(*chart, str(tmp_path / "c.svg"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "c.svg").read_text(encoding="utf-8").rstrip().endswith("</svg>")
    _no_partials(tmp_path)


def _locked_partial(target: Path, pid: int) -> tuple[Path, int]:
    """A partial file of a live run this process cannot see by PID (another PID namespace): locked by us."""
    import fcntl

    path = target.with_name(f".{target.name}.{pid}.feedbeef.partial")
    path.write_bytes(b"another run's rows")
    old = time.time() - 3600
    os.utime(path, (old, old))
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return path, fd


def test_a_run_never_deletes_another_live_runs_partial_file(tmp_path):
    src = _catalogue(tmp_path / "cat.csv", bad=1)
    out = tmp_path / "out.csv"
    unseen_pid = 4_194_000  # above any pid_max default: not a process here, as one in another namespace
    live_out, fd_out = _locked_partial(out, unseen_pid)
    live_err, fd_err = _locked_partial(tmp_path / "out.errors.csv", unseen_pid)
    dead = tmp_path / f".out.csv.{unseen_pid}.partial"  # an old-style partial of a run that is gone
    dead.write_bytes(b"left by a killed run")
    try:
        r = _cli("batch", str(src), "-o", str(out), "--no-progress")
        assert r.returncode == 1, r.stderr
        assert live_out.read_bytes() == b"another run's rows" and live_err.exists()
        assert not dead.exists()
        assert out.exists() and (tmp_path / "out.errors.csv").exists()
    finally:
        os.close(fd_out)
        os.close(fd_err)


def test_two_runs_on_one_output_leave_one_runs_output_with_its_own_errors_file(tmp_path):
    big = _catalogue(tmp_path / "big.csv", 60_000, bad=3)  # failing rows: an errors file
    small = _catalogue(tmp_path / "small.csv", 5)  # no failing row: no errors file
    out = tmp_path / "out.csv"
    cmd = CLI + ["batch", "-o", str(out), "--best", "cheapest", "--no-progress"]
    slow = subprocess.Popen(cmd + [str(big)], env=server_env(), stderr=subprocess.PIPE, text=True)
    try:
        fast = _cli("batch", str(small), "-o", str(out), "--best", "cheapest", "--no-progress")
        assert fast.returncode == 0, fast.stderr
        _, err = slow.communicate(timeout=TIME_CAP)
    finally:
        if slow.poll() is None:
            slow.kill()
    assert slow.returncode == 1, err
    rows = out.read_text(encoding="utf-8").count("\n") - 1
    errors = tmp_path / "out.errors.csv"
    if rows == 60_000:  # the big run finished last: its output (a row per quoted parcel), with its errors file
        assert errors.read_text(encoding="utf-8").count("must not be negative") == 3
    else:  # the small run finished last: its output, and no errors file claiming failures it did not have
        assert rows == 5 and not errors.exists()
    _no_partials(tmp_path)


# --------------------------------------------------------------------------- 7. rich markup in user text


def test_markup_in_a_weight_is_printed_as_typed():
    _one_line(_cli("quote", "-w", "[/]kg", "-d", "10x10x10cm"), "--weight", "'[/]kg' is not a weight")
    _one_line(_cli("quote", "-w", "[bold red]x[/]", "-d", "10x10x10cm"), "'[bold red]x[/]' is not a weight")
    _one_line(_cli("quote", "-w", ":smile:", "-d", "10x10x10cm"), "':smile:'")


def test_markup_in_a_category_and_in_paths_is_printed_as_typed(tmp_path):
    econ = ["economics", "-w", "450g", "-d", "20x15x10cm", "--cost", "62CNY", "--price", "1499"]
    _one_line(_cli(*econ, "--fx", "CNY=11.5", "--date", "2025-12-05", "-c", "[/]"), "unknown category '[/]'")
    _one_line(_cli("batch", str(tmp_path / "[/]in.csv"), "-o", str(tmp_path / "o.csv")), "[/]in.csv does not exist")
    src = _catalogue(tmp_path / "cat.csv")
    (tmp_path / "[b]").mkdir()
    out = tmp_path / "[b]" / "[/]out.csv"
    r = _cli("batch", str(src), "-o", str(out), "--no-progress")
    assert r.returncode == 0 and f"output: {out}" in r.stderr, r.stderr
    assert out.exists()


def test_a_service_named_with_markup_in_a_user_tariff_directory(tmp_path):
    user = tmp_path / "tariffs"
    user.mkdir()
    (user / "mine.yaml").write_text(
        "carrier: Test Carrier\ncarrier_id: test\nservices:\n"
        '  - id: mine-express\n    name: "Mine [/] Express"\n    versions:\n'
        "      - sources: [https://example.invalid/contract]\n"
        "        billing: {basis: greater_of, divisor: 6000, rounding: {step_g: 100}}\n"
        "        rates:\n          - {delivery: pickup_point, fixed: 1.10, per_step: 0.35, currency: USD}\n",
        encoding="utf-8",
    )
    for args in (
        ["quote", "-w", "250g", "-d", "10x10x10cm", "--date", "2023-01-01"],
        ["quote", "-w", "250g", "-d", "10x10x10cm", "--date", "2023-01-01", "--all"],
        ["sweep", "-d", "10x10x10cm", "--date", "2023-01-01"],
        ["tariffs", "show", "mine-express"],
    ):
        r = _cli(*args, "--tariffs", str(user))
        assert r.returncode == 0 and "Traceback" not in r.stderr, (args, r.stderr)
        assert "Mine [/] Express" in r.stdout, (args, r.stdout)


# --------------------------------------------------------------------------- 8. other internal errors


def test_an_input_that_is_a_directory_is_named_as_one(tmp_path):
    (tmp_path / "cat.csv").mkdir()
    _one_line(_cli("batch", str(tmp_path / "cat.csv"), "-o", str(tmp_path / "o.csv")), "INPUT", "is a directory")
    (tmp_path / "sheet.xlsx").mkdir()
    for args in (["tariffs", "import", "--effective-from", "2025-01-01"], ["commissions", "import"]):
        r = _cli(*args, str(tmp_path / "sheet.xlsx"), cwd=tmp_path)
        _one_line(r, "FILE", "sheet.xlsx is a directory")
    r = _cli("tariffs", "diff", "2023-01-01", "2024-01-01", "--catalogue", str(tmp_path / "cat.csv"))
    _one_line(r, "--catalogue", "is a directory")


def test_inputs_that_are_fifos_are_refused_without_hanging(tmp_path):
    fifo = _fifo(tmp_path, "cat.csv")
    _one_line(_cli("batch", str(fifo), "-o", str(tmp_path / "o.csv"), "--no-progress"), "INPUT", "FIFO")
    rates = _fifo(tmp_path, "rates.csv")
    r = _cli("quote", "-w", "1kg", "-d", "10x10x10cm", "--date", "2023-06-01", "--rates-file", str(rates))
    _one_line(r, "--rates-file", "not a regular file")
    _still(fifo, stat.S_ISFIFO)
    _still(rates, stat.S_ISFIFO)


@pytest.mark.parametrize(
    "args",
    [
        ["quote", "-w", "1kg", "-d", "10x10x10cm", "--date", "2023-06-01"],
        ["quote", "-w", "1kg", "-d", "10x10x10cm", "--date", "2023-06-01", "--json"],
        ["tariffs", "list"],
        ["categories", "--json"],
        ["--help"],
        ["--version"],
    ],
)
def test_standard_output_on_a_full_device_is_one_line_and_exit_2(tmp_path, args):
    full = _node(tmp_path, "full", 1, 7)
    r = _cli(*args, stdout=full)
    _one_line(r, "cannot write to standard output", "No space left on device")
    _still(full, stat.S_ISCHR, os.makedev(1, 7))


@pytest.mark.parametrize(
    "args",
    [
        ["quote", "-w", "1kg", "-d", "10x10x10cm", "--date", "2023-06-01"],
        ["quote", "-w", "1kg", "-d", "10x10x10cm", "--date", "2023-06-01", "--json"],
        ["--version"],
    ],
)
def test_a_closed_standard_output_is_not_a_success(args):
    r = _cli(*args, close_stdout=True)
    _one_line(r, "cannot write to standard output", "closed")


def test_a_batch_with_a_closed_standard_output_still_writes_its_files(tmp_path):
    src = _catalogue(tmp_path / "cat.csv")
    r = _cli("batch", str(src), "-o", str(tmp_path / "o.csv"), "--no-progress", close_stdout=True)
    assert r.returncode == 0, r.stderr  # it prints nothing on stdout: nothing is lost
    assert (tmp_path / "o.csv").read_text(encoding="utf-8").startswith('"row"')


# --------------------------------------------------------------------------- 11. one number grammar


@pytest.mark.parametrize(
    "flag, text, fragment",
    [
        ("-w", "3٠٠g", "non-ASCII digits"),
        ("-w", "３００ｇ", "write it as 300g"),
        ("-w", "३००g", "non-ASCII digits"),
        ("-w", "1,000kg", "write 1000kg or 1.000kg"),
        ("-w", "300", "has no unit"),
        ("--value", "1,000RUB", "write 1000RUB or 1.000RUB"),
        ("--value", "１５００RUB", "write it as 1500RUB"),
        ("-d", "30,500x20x10cm", "ambiguous"),
    ],
)
def test_the_command_line_speaks_the_one_grammar(flag, text, fragment):
    args = {"-w": "400g", "-d": "30x20x15cm", "--value": "1500RUB"} | {flag: text}
    r = _cli("quote", "--date", "2025-01-10", *[x for kv in args.items() for x in kv])
    _one_line(r, fragment)


def test_http_speaks_the_same_grammar(live):
    for weight, rule in (("3٠٠g", "ascii_digits"), ("３００ｇ", "ascii_digits"), ("1,000kg", "ambiguous_comma")):
        r = live.post("/v1/quotes", json={**USD_ERA, "weight": weight})
        assert r.status_code == 422, (weight, r.text)
        [err] = r.json()["errors"]
        assert err["path"] == "$.weight" and err["rule"] == rule, err
    r = live.post("/v1/quotes", json={**USD_ERA, "weight": "300"})
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "unit_required", r.text
    r = live.post("/v1/quotes", json={**USD_ERA, "weight": "1,5kg"})
    assert r.status_code == 200 and r.json()["request"]["weight_g"] == 1500
    assert live.post("/v1/quotes", json={**USD_ERA, "weight": "1,0000kg"}).json()["request"]["weight_g"] == 1000
    econ = live.post("/v1/economics", json={**ECONOMICS, "fx": {"CNY": "11,500"}})
    assert econ.status_code == 422, econ.text
    [err] = econ.json()["errors"]
    assert err["path"].startswith("$.fx") and err["rule"] == "ambiguous_comma", err
    assert live.post("/v1/economics", json={**ECONOMICS, "fx": {"CNY": "11,5"}}).status_code == 200


def test_catalogue_columns_speak_the_same_grammar(tmp_path):
    src = tmp_path / "cat.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER.split(","))
        for sku, weight, date in (
            ("a", "1,000", "2022-07-01"),
            ("b", "３００", "2022-07-01"),
            ("c", "3٠٠", "2022-07-01"),
            ("d", "1,5", "2022-07-01"),
            ("e", "400", "２０２２-07-01"),
        ):
            w.writerow([sku, weight, "300", "200", "150", date])
    r = _cli("batch", str(src), "-o", str(tmp_path / "o.csv"), "--best", "cheapest", "--no-progress")
    assert r.returncode == 1, r.stderr
    with open(tmp_path / "o.errors.csv", encoding="utf-8", newline="") as fh:
        reasons = {row["sku"]: row["reason"] for row in csv.DictReader(fh)}
    assert "write 1000 or 1.000" in reasons["a"]
    assert "write it as 300" in reasons["b"] and "non-ASCII digits" in reasons["c"]
    assert "d" not in reasons and "e" in reasons  # 1,5 g is a weight; a date in full-width digits is not a date


def test_a_sub_kopeck_value_is_stated_as_compared():
    r = _cli(
        "quote", "-w", "400g", "-d", "20x15x10cm", "--value", "0.999RUB", "--date", "2026-01-10", "--json", "--full"
    )
    assert r.returncode == 0, r.stderr
    reasons = {q["group"]["reason"] for q in json.loads(r.stdout) if q.get("group") and q["group"].get("reason")}
    assert reasons, r.stdout[:500]
    for reason in reasons:
        assert reason.startswith("price 1.00 RUB (0.999 RUB rounded half-up to 2 decimals) in band 1.00–"), reason


# --------------------------------------------------------------------------- 12. formulas in CSV, category


def test_text_cells_that_a_spreadsheet_would_run_are_neutralised_numbers_are_not(tmp_path):
    src = tmp_path / "cat.csv"
    src.write_text(
        "sku,weight_g,length_mm,width_mm,height_mm,order_date,category,purchase_cost,sale_price\n"
        "=HYPERLINK(1),400,300,200,150,2025-12-05,pharmacy,62CNY,100\n"
        "+1,400,300,200,150,2025-12-05,pharmacy,62CNY,1499\n"
        "@SUM(A1),=1+2,300,200,150,2025-12-05,pharmacy,62CNY,1499\n"
        "-5,400,300,200,150,2025-12-05,pharmacy,62CNY,1499\n",
        encoding="utf-8",
    )

    def rows(path: Path) -> list[dict]:
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    parcels = tmp_path / "parcels.csv"  # the same rows before the group model (no declared price needed)
    parcels.write_text(src.read_text(encoding="utf-8").replace("2025-12-05", "2022-07-01"), encoding="utf-8")
    r = _cli("batch", str(parcels), "-o", str(tmp_path / "long.csv"), "--no-progress")
    assert r.returncode == 1, r.stderr
    skus = {row["sku"] for row in rows(tmp_path / "long.csv")}
    assert skus == {"'=HYPERLINK(1)", "'+1", "'-5"}
    [err] = rows(tmp_path / "long.errors.csv")
    assert (err["sku"], err["value"]) == ("'@SUM(A1)", "'=1+2")
    r = _cli("economics", "--input", str(src), "-o", str(tmp_path / "econ.csv"), "--fx", "CNY=11.5", "--no-progress")
    assert r.returncode == 1, r.stderr
    econ = rows(tmp_path / "econ.csv")
    assert {row["sku"] for row in econ} == {"'=HYPERLINK(1)", "'+1", "'-5"}
    profits = [row["profit_rub"] for row in econ if row["sku"] == "'=HYPERLINK(1)"]
    assert profits and all(p.startswith("-") and float(p) < 0 for p in profits)  # a number, not neutralised


def test_a_full_width_category_is_folded():
    args = ["economics", "-w", "450g", "-d", "20x15x10cm", "--cost", "62CNY", "--price", "1499", "--fx", "CNY=11.5"]
    r = _cli(*args, "--date", "2025-12-05", "-c", "ｐｈａｒｍａｃｙ")
    assert r.returncode == 0, r.stderr
    assert "Pharmacy" in r.stdout


def test_the_caps_hold(tmp_path):
    """The cap is real: a command that needs more address space than MEMORY_CAP fails instead of growing."""
    probe = [sys.executable, "-c", f"bytearray({MEMORY_CAP})"]
    r = subprocess.run(
        probe,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP)),
        capture_output=True,
        timeout=TIME_CAP,
        check=False,
    )
    assert r.returncode != 0 and b"MemoryError" in r.stderr
