"""Hostile input to the real command line (subprocesses): one line and exit 2, or error rows and exit 1."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pyarrow.parquet as pq
import pytest
from hostile_helpers import CLI, run_cli, server_env

from ratecalc import InputError, Parcel

HEADER = "sku,weight_g,length_mm,width_mm,height_mm,order_date"


def _one_line_error(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    return lines[0]


def test_quote_refuses_a_17_digit_value_with_exit_2_and_one_line():
    line = _one_line_error(run_cli("quote", "-w", "1kg", "-d", "10x10x10cm", "--value", "99999999999999999RUB"))
    assert "value" in line and "12 integer digits" in line


def test_quote_says_negative_for_a_negative_value():
    line = _one_line_error(run_cli("quote", "-w", "1kg", "-d", "10x10x10cm", "--value", "-5RUB"))
    assert "negative" in line and "not an amount" not in line


def test_quote_refuses_impossible_dates():
    for date in ("2023-02-30", "2023-2-3"):
        assert "date" in _one_line_error(run_cli("quote", "-w", "1kg", "-d", "10x10x10cm", "--date", date))


def test_library_refuses_oversized_text_before_any_arithmetic():
    for kwargs in ({"weight": "9" * 5000 + "g"}, {"value": "9" * 40 + "RUB"}, {"value": "99999999999999999RUB"}):
        args = {"weight": "1kg", "dims": "10x10x10cm", **kwargs}
        with pytest.raises(InputError):
            Parcel.parse(args.pop("weight"), args.pop("dims"), **args)
    for date in ("2023-02-30", "2023-2-3"):
        with pytest.raises(InputError):
            Parcel.parse("1kg", "10x10x10cm", date=date)


def _catalogue(path, n: int, broken: dict[int, bytes]) -> None:
    lines = [HEADER.encode()] + [f"s{i},{100 + i % 900},300,200,150,2022-07-01".encode() for i in range(n)]
    for line_no, raw in broken.items():  # line_no as a spreadsheet shows it: header = 1
        lines[line_no - 1] = raw
    path.write_bytes(b"\n".join(lines) + b"\n")


def test_malformed_csv_lines_become_error_rows_and_every_other_row_goes_through(tmp_path):
    src = tmp_path / "cat.csv"
    broken = {
        1001: b"s999,400,300,200",  # short row
        2001: b"s1999,400,300,200,150,2022-07-01,extra",  # extra field
        3001: b'"s2999,400,300,200,150,2022-07-01',  # unclosed quote
        4001: b"s3999,4\xff00,300,200,150,2022-07-01",  # not UTF-8
        5001: b"s4999,400,300,200,150,2023-02-30",  # impossible date
        5002: b"s5000,400,300,200,150,2023-2-3",  # not YYYY-MM-DD
    }
    _catalogue(src, 6000, broken)
    out = tmp_path / "best.csv"
    r = run_cli("batch", str(src), "-o", str(out), "--best", "cheapest", "--no-progress")
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and "6,000 rows: 5,994 quoted, 6 failed" in r.stderr
    errors = (tmp_path / "best.errors.csv").read_text(encoding="utf-8").splitlines()
    assert errors[0] == '"line","row","sku","column","value","reason"'
    got = {int(e.split(",")[0]): e for e in errors[1:]}
    assert sorted(got) == sorted(broken)
    assert "4 fields where the header has 6" in got[1001] and "s999,400,300,200" in got[1001]
    assert "7 fields" in got[2001] and "unexpected end of data" in got[3001] and "not UTF-8" in got[4001]
    assert '"s4999","order_date","2023-02-30"' in got[5001] and '"s5000"' in got[5002]
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1 + 5994


def test_unusable_parquet_exits_2_with_one_line_and_writes_nothing(tmp_path):
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"PAR1 this is not parquet" * 50)
    empty = tmp_path / "empty.parquet"
    empty.write_bytes(b"")
    for src in (garbage, empty):
        out = tmp_path / f"{src.stem}-out.csv"
        line = _one_line_error(run_cli("batch", str(src), "-o", str(out), "--no-progress"))
        assert "not a readable Parquet file" in line
        assert not out.exists() and not list(tmp_path.glob(".*.partial"))


def test_an_unknown_output_format_names_the_real_flag(tmp_path):
    src = tmp_path / "cat.csv"
    _catalogue(src, 3, {})
    line = _one_line_error(run_cli("batch", str(src), "-o", str(tmp_path / "q.xlsx"), "--no-progress"))
    assert "--output-format" in line and "--format " not in line


def test_no_errors_file_when_nothing_failed_and_a_stale_one_is_removed(tmp_path):
    src = tmp_path / "cat.csv"
    _catalogue(src, 10, {})
    (tmp_path / "o.errors.csv").write_text("line,row,column,value,reason\n2,0,weight_g,,stale\n")
    r = run_cli("batch", str(src), "-o", str(tmp_path / "o.parquet"), "--no-progress")
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "o.errors.csv").exists() and pq.read_table(tmp_path / "o.parquet").num_rows > 0


def test_a_killed_run_leaves_the_previous_output_never_a_partial_one(tmp_path):
    src = tmp_path / "big.csv"
    _catalogue(src, 300_000, {})
    out = tmp_path / "out.parquet"
    out.write_bytes(b"previous")
    (tmp_path / "out.errors.csv").write_text("previous errors")
    proc = subprocess.Popen(
        CLI + ["batch", str(src), "-o", str(out), "--no-progress"],
        env=server_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".out.parquet.*.partial")):  # it is writing: kill it mid-run
            assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
            time.sleep(0.05)
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert out.read_bytes() == b"previous"
    assert (tmp_path / "out.errors.csv").read_text() == "previous errors"
    # the next run cleans the dead run's partial file and replaces the output atomically
    small = tmp_path / "small.csv"
    _catalogue(small, 5, {})
    assert run_cli("batch", str(small), "-o", str(out), "--no-progress").returncode == 0
    assert pq.read_table(out).num_rows > 0 and not list(tmp_path.glob(".out.parquet.*.partial"))
