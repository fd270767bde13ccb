"""`ratecalc economics` and `ratecalc quote --fx`: real CLI runs, JSON checked, errors exit 2 with one line."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from ratecalc.cli import app

runner = CliRunner()
BASE = [
    "economics",
    "--weight",
    "500g",
    "--dims",
    "10x10x10cm",
    "--date",
    "2022-07-01",
    "--category",
    "kids",
    "--no-cbr",
    "--fx",
    "USD=51.158",
    "--fx",
    "CNY=7.6415",
]


def test_forward_json_matches_the_library():
    res = runner.invoke(
        app,
        BASE
        + [
            "--cost",
            "62CNY",
            "--packaging",
            "5CNY",
            "--acquiring",
            "1.9%",
            "--fx-loss",
            "1.2",
            "--ads",
            "5",
            "--return-rate",
            "3",
            "--price",
            "1499",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    [gbs] = [ln for ln in data["lines"] if ln["service_id"] == "gbs-broker"]
    assert gbs["rub"]["profit"] == "300.27" and gbs["margin_pct"] == "20.03"


def test_forward_table_and_reverse():
    res = runner.invoke(app, BASE + ["--cost", "62CNY", "--price", "1499"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "GBS Broker" in res.stdout and "Profit" in res.stdout and "Not costed (unpriced" in res.stdout
    rev = runner.invoke(app, BASE + ["--cost", "62CNY", "--target-profit", "300", "--json"])
    assert rev.exit_code == 0, rev.output
    lines = {ln["service_id"]: ln for ln in json.loads(rev.stdout)["lines"]}
    assert float(lines["gbs-broker"]["economics"]["rub"]["profit"]) >= 300


def test_errors_are_one_line_exit_2():
    res = runner.invoke(app, BASE + ["--cost", "62CNY"])
    assert res.exit_code == 2 and "exactly one of --sale-price" in res.output
    res = runner.invoke(app, BASE + ["--cost", "62CNY", "--price", "1000", "--category", "spaceships"])
    assert res.exit_code == 2 and "ratecalc categories" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, BASE + ["--cost", "62CNY", "--price", "1000", "--ads", "lots"])
    assert res.exit_code == 2 and "ads" in res.output


def test_quote_with_fx_adds_rub_and_sorts_by_total():
    res = runner.invoke(
        app,
        [
            "quote",
            "--weight",
            "500g",
            "--dims",
            "10x10x10cm",
            "--date",
            "2022-07-01",
            "--value",
            "1000RUB",
            "--fx",
            "USD=51.158",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    ok = [q for q in json.loads(res.stdout) if q["status"] == "ok"]
    assert [q["service_id"] for q in ok] == ["hecny", "gbs-broker"]
    gbs = ok[1]
    assert gbs["price_rub"] == {"amount": "460.42", "currency": "RUB"}
    assert gbs["ozon_fee_rub"]["amount"] == "15.00" and gbs["total_rub"]["amount"] == "475.42"
    assert gbs["fx"] == {"currency": "USD", "rate": "51.158", "date": "2022-07-01", "source": "explicit"}
    assert gbs["customs"]["paid_by"] == "buyer"


def test_quote_without_a_rate_keeps_usd_and_says_why():
    res = runner.invoke(
        app, ["quote", "--weight", "500g", "--dims", "10x10x10cm", "--date", "2022-07-01", "--fx", "CNY=7.6", "--json"]
    )
    assert res.exit_code == 0, res.output
    [gbs] = [q for q in json.loads(res.stdout) if q["service_id"] == "gbs-broker"]
    assert gbs["price"] == {"amount": "9.00", "currency": "USD"} and "total_rub" not in gbs  # compact: absent, not null
    assert "no explicit USD rate" in gbs["rub_missing_reason"]


JULY = ["economics", "-w", "1.2kg", "-d", "30x20x10cm", "--date", "2026-08-01", "-c", "Car Products",
        "--cost", "62CNY", "--fx", "CNY=11.2", "--return-rate", "5"]  # fmt: skip


@pytest.mark.parametrize("mode", [["--price", "1600"], ["--target-margin", "25"]])
@pytest.mark.parametrize("lang", ["en", "zh", "ru"])
def test_the_economics_table_fits_80_columns_with_ties_grouped(mode, lang):
    from ratecalc.cli._wrap import cells

    res = runner.invoke(app, [*JULY, *mode, "--lang", lang], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert max(cells(line) for line in lines) <= 80
    assert not [x for x in lines if "…" in x and not x.startswith(("Note", "    "))]  # no cell cut short
    assert sum("(10)" in line for line in lines) >= 1  # ten services that tie, one row
    for word in ("Standard", "Economy", "Express", "ZTO", "GUOO"):
        assert re.search(rf"\b{word}\b", res.stdout), word  # whole, never "Standar" + "d"
    every = runner.invoke(app, [*JULY, *mode, "--all"], env={"COLUMNS": "80"})
    assert every.exit_code == 0 and "XY Economy" in every.stdout and "(10)" not in every.stdout
    assert max(cells(line) for line in every.stdout.splitlines()) <= 80


def test_the_economics_table_groups_only_what_ties():
    res = runner.invoke(app, [*JULY, "--price", "1600"], env={"COLUMNS": "120"})
    rows = [line for line in res.stdout.splitlines() if re.match(r"^(Economy|Standard|Express) \(\d+\)", line)]
    assert [r.split(" (")[0] for r in rows] == ["Economy", "Standard", "Express"]
    lines = {
        ln["service_id"]: ln
        for ln in json.loads(runner.invoke(app, [*JULY, "--price", "1600", "--json"]).stdout)["lines"]
    }
    profits = [row.split()[-3] for row in rows]  # Carrier, Ozon fee, Returns, Profit, Margin %, ROI %
    assert all(p in {ln["rub"]["profit"] for ln in lines.values()} for p in profits)  # the library's numbers
    assert profits == sorted(profits, key=float, reverse=True) and len(set(profits)) == 3
