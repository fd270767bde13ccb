"""The command line as a seller reads it: 80 columns, no broken words, units required, rate cards,
weight bands, charts and RUB rankings. Real subprocesses (COLUMNS=80), as a terminal runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ratecalc import __version__

ROOT = Path(__file__).resolve().parents[1]
CNY = ["--weight", "400g", "--dims", "30x20x15cm", "--value", "1000RUB", "--date", "2025-10-01"]
USD = ["--weight", "400g", "--dims", "30x20x15cm", "--date", "2022-07-01"]


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "80", "PYTHONPATH": str(ROOT)}
    env.pop("RATECALC_TARIFFS", None)
    return subprocess.run(
        [sys.executable, "-m", "ratecalc", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def flat(text: str) -> str:
    """The text with line breaks and runs of spaces as single spaces (a broken word stays broken)."""
    return re.sub(r"\s+", " ", text)


def fits(text: str) -> None:
    assert all(len(line) <= 80 for line in text.splitlines()), max(text.splitlines(), key=len)


def test_quote_fits_80_columns_priced_first_and_counts_the_rest():
    r = cli("quote", *USD)
    assert r.returncode == 0, r.stderr
    fits(r.stdout)
    assert "6.60 USD" in r.stdout and "24.60 USD" in r.stdout and "official" in r.stdout
    assert "28 without a published rate, 1 cannot carry it (--all" in flat(r.stdout)
    assert "Xingyuan Small" not in r.stdout and len(r.stdout.splitlines()) < 12


def test_quote_all_lists_every_service_with_its_reasons_unbroken():
    r = cli("quote", *USD, "--all")
    assert r.returncode == 0, r.stderr
    fits(r.stdout)
    quotes = json.loads(cli("quote", *USD, "--json", "--full").stdout)
    text = flat(r.stdout)
    for q in quotes:
        assert q["service"] in text
        for reason in q["reasons"]:
            assert flat(reason["message"]) in text  # every word whole, in order


def test_quote_top_carrier_and_sort_by_days():
    r = cli("quote", *CNY, "--top", "3")
    rows = [line for line in r.stdout.splitlines() if " CNY " in line]
    assert len(rows) == 3 and rows[0].startswith("RETS Economy")  # 2.85 + 0.0235 x 400 = 12.25 CNY
    assert "32 more priced" in flat(r.stdout)
    r = cli("quote", *CNY, "--carrier", "tanais", "--sort", "days")
    rows = [line.split("  ")[0] for line in r.stdout.splitlines() if " CNY " in line]
    assert rows == ["Tanais Express", "Tanais Standard", "Tanais Economy"]


def test_quote_refuses_an_unknown_carrier_or_order_naming_the_flag():
    r = cli("quote", *CNY, "--carrier", "nope")
    assert r.returncode == 2 and "--carrier" in r.stderr and "tanais" in r.stderr
    r = cli("quote", *CNY, "--sort", "speed")
    assert r.returncode == 2 and "--sort" in r.stderr


@pytest.mark.parametrize(
    "flag, given, units",
    [("--weight", "1", "1kg or 1g"), ("--dims", "30x20x15", "30x20x15cm or 30x20x15mm")],
)
def test_a_bare_number_is_refused_naming_the_units(flag, given, units):
    args = dict(zip(CNY[::2], CNY[1::2])) | {flag: given}
    r = cli("quote", *[x for kv in args.items() for x in kv])
    assert r.returncode == 2 and f"{flag}:" in r.stderr and units in r.stderr and "Traceback" not in r.stderr


def test_a_missing_declared_value_names_the_flag_on_the_command_line():
    r = cli("quote", "--weight", "400g", "--dims", "30x20x15cm", "--date", "2025-10-01")
    assert r.returncode == 2 and "--value:" in r.stderr


def test_version():
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"ratecalc {__version__}"


def test_tariffs_list_says_per_period_whether_it_has_rates():
    r = cli("tariffs", "list")
    assert r.returncode == 0
    fits(r.stdout)
    lines = r.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("guoo-economy "))
    assert lines[start].rstrip().endswith("2024-12-05 → 2025-09-13   no rates")
    assert lines[start + 1].rstrip().endswith("2025-09-14 → 2025-12-16   rates")


def test_tariffs_show_is_a_rate_card_and_json_is_the_data():
    r = cli("tariffs", "show", "gbs-broker")
    assert r.returncode == 0
    fits("\n".join(line for line in r.stdout.splitlines() if not line.startswith("  http")))  # a URL is one word
    assert "2022-06-01 → 2024-12-04: rates: pickup point only" in r.stdout
    assert re.search(r"pickup point\s+3\.00 USD\s+1\.20 USD\s+100 g", r.stdout)
    assert "Not published (any group / courier)" in r.stdout
    data = json.loads(cli("tariffs", "show", "gbs-broker", "--json").stdout)
    assert data["name"] == "GBS Broker" and data["versions"]


def test_sweep_prints_the_cheapest_service_per_weight_band():
    r = cli("sweep", "--dims", "30x20x15cm", "--value", "1000RUB", "--date", "2025-10-01", "--max-weight", "10kg")
    assert r.returncode == 0, r.stderr
    fits(r.stdout)
    assert re.search(r"25 g–100 g\s+GUOO Economy", r.stdout) and re.search(r"125 g–10 kg\s+RETS Economy", r.stdout)
    j = json.loads(cli("sweep", "--dims", "30x20x15cm", "--value", "1000RUB", "--date", "2025-10-01", "--json").stdout)
    assert [b["service_id"] for b in j["bands"]] == ["guoo-economy", "rets-economy"]


def test_sweep_by_days_in_rub():
    r = cli(
        "sweep",
        "--dims",
        "30x20x15cm",
        "--value",
        "1000RUB",
        "--date",
        "2025-10-01",
        "--by",
        "days",
        "--fx",
        "CNY=12.5",
    )
    assert r.returncode == 0 and "prices in RUB" in r.stdout and "Tanais Express" in r.stdout


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<svg"), (".png", b"\x89PNG"), (".html", b"<svg")])
def test_chart_writes_the_picture(tmp_path, suffix, magic):
    out = tmp_path / f"chart{suffix}"
    r = cli("chart", "-o", str(out), *CNY)
    assert r.returncode == 0, r.stderr
    data = out.read_bytes()
    assert magic in data[:4096] if suffix != ".html" else magic in data
    if suffix == ".svg":
        assert b"GUOO Economy" in data and b"your parcel" in data


def test_chart_refuses_an_unknown_format(tmp_path):
    r = cli("chart", "-o", str(tmp_path / "c.pdf"), *CNY)
    assert r.returncode == 2 and ".svg, .png or .html" in r.stderr


CATALOGUE = "sku,weight_g,length_mm,width_mm,height_mm,declared_value,currency,order_date\nA,400,300,200,150,1000,RUB,2025-10-01\nB,400,300,200,150,,,2022-07-01\n"


def test_batch_best_compares_in_rub_when_given_rates(tmp_path):
    (tmp_path / "in.csv").write_text(CATALOGUE)
    r = cli(
        "batch",
        "in.csv",
        "-o",
        "out.csv",
        "--best",
        "cheapest",
        "--fx",
        "CNY=12.5",
        "--fx",
        "USD=92.45",
        "--no-progress",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert "compared prices in RUB" in r.stderr
    rows = (tmp_path / "out.csv").read_text().splitlines()
    assert rows[1].startswith('0,"A","rets-economy"') and rows[2].startswith('1,"B","hecny"')  # 2.85 + 0.0235 x 400


def test_batch_best_says_when_it_cannot_compare_in_rub(tmp_path):
    (tmp_path / "in.csv").write_text(CATALOGUE)
    r = cli("batch", "in.csv", "-o", "out.csv", "--best", "cheapest", "--fx", "CNY=12.5", "--no-progress", cwd=tmp_path)
    assert r.returncode == 2 and "no USD rate for 2022-07-01" in r.stderr
    assert not (tmp_path / "out.csv").exists()
    r = cli("batch", "in.csv", "-o", "out.csv", "--best", "cheapest", "--no-progress", cwd=tmp_path)
    assert r.returncode == 0 and "each carrier's currency" in flat(r.stderr)
    r = cli("batch", "in.csv", "-o", "out.csv", "--fx", "CNY=12.5", "--no-progress", cwd=tmp_path)
    assert r.returncode == 2 and "--best" in r.stderr
