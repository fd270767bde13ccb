"""Ties: services with the same price, days and rules are one choice, on every surface, by one rule."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from ratecalc import Parcel, TariffSet
from ratecalc.files.columnar import ingest, quote_best, quote_ingested
from ratecalc.money.bands import band_ties, cheapest_bands
from ratecalc.pricing.curves import price_curves
from ratecalc.pricing.ties import group_ties, quote_keys, tie_codes, tied_with

ROOT = Path(__file__).resolve().parents[1]
JULY = Parcel.parse("1.2kg", "30x20x10cm", date="2026-08-01", value="1500RUB")
BODY = {"weight": "1.2kg", "dims": "30x20x10cm", "value": "1500RUB", "date": "2026-08-01"}


@pytest.fixture(scope="module")
def ts() -> TariffSet:
    return TariffSet.load()


def test_the_july_2026_set_is_three_choices_not_22_rows(ts):
    ties = group_ties(ts.quote(JULY))
    assert [(t.tier, len(t.quotes), t.first.price.amount) for t in ties] == [
        ("Economy", 8, "48.75"),
        ("Standard", 10, "59.55"),
        ("Express", 4, "70.35"),
    ]
    assert ties[0].label() == "Economy: ABT, ATC, CEL, GBS, GUOO, OYX, RETS, XY"


def test_a_different_day_or_rule_breaks_a_tie(ts):
    quotes = [q for q in ts.quote(JULY) if q.tier == "Economy" and q.status == "ok"]
    assert len(group_ties(quotes)) == 1
    slower = quotes[1].model_copy(update={"delivery_days": quotes[1].delivery_days.model_copy(update={"max": 30})})
    volumetric = quotes[2].model_copy(update={"billing": quotes[2].billing.model_copy(update={"divisor": 6000})})
    split = group_ties([quotes[0], slower, volumetric, *quotes[3:]])
    assert sorted(len(t.quotes) for t in split) == [1, 1, len(quotes) - 2]


def test_a_catalogue_ties_by_the_same_rule_as_one_parcels_quotes(ts):
    """row_keys (columns of a catalogue) and quote_keys (quotes of one parcel) group the same services."""
    compiled = ts.compiled()
    table = pa.table({"weight_g": ["1200"], "length_mm": ["300"], "width_mm": ["200"], "height_mm": ["100"],
                      "declared_value": ["1500"], "currency": ["RUB"], "order_date": ["2026-08-01"]})  # fmt: skip
    long = quote_ingested(compiled, ingest(table, compiled=compiled))
    ok = np.flatnonzero(long.status == 0)
    from ratecalc.pricing.ties import row_keys

    codes = tie_codes(row_keys(compiled.table, long.table_row[ok], long.price_minor[ok]))
    ids = [compiled.services[s].id for s in long.service[ok]]
    by_rows = sorted(sorted(i for i, c in zip(ids, codes) if c == k) for k in set(codes.tolist()))
    by_quotes = sorted(sorted(t.service_ids) for t in group_ties(ts.quote(JULY)))
    assert by_rows == by_quotes
    assert len(tie_codes(quote_keys([q for q in ts.quote(JULY) if q.status == "ok"]))) == 22


def test_the_strip_names_the_tie_not_the_first_of_it(ts):
    curves = price_curves(ts, JULY)
    bands = cheapest_bands(curves, "price")
    tied = band_ties(curves, bands)
    assert bands.bands[0].service == "ABT Economy"  # the winner alone would be the first name of a tie...
    names = [n for _, n in tied[0]]
    assert len(names) >= 7 and "RETS Economy" in names and "XY Economy" in names  # ...which the strip names


def test_the_api_answer_is_unchanged_unless_ties_are_asked_for(ts):
    from api.app import create_app

    with TestClient(create_app()) as c:
        plain = c.post("/v1/quotes", json=BODY).json()
        tied = c.post("/v1/quotes?expand=ties", json=BODY).json()
        batch = c.post("/v1/quotes/batch?expand=ties", json={"parcels": [BODY]}).json()
    assert all("tied_with" not in q for q in plain["quotes"])
    by_id = {q["service_id"]: q.get("tied_with") for q in tied["quotes"]}
    assert by_id == {q["service_id"]: q.get("tied_with") for q in batch["results"][0]["quotes"]}
    expected = tied_with(ts.quote(JULY))
    assert {k: v for k, v in by_id.items() if v} == expected
    assert set(by_id["abt-economy"]) == {"atc-economy", "cel-economy-groups", "gbs-economy-groups", "guoo-economy",
                                          "oyx-economy", "rets-economy", "xy-economy"}  # fmt: skip
    assert all(q.get("tied_with") is None for q in tied["quotes"] if q["status"] != "ok")


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "80", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "ratecalc", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def test_the_quote_table_groups_ties_and_all_lists_every_service():
    args = ["quote", "-w", "1.2kg", "-d", "30x20x10cm", "--value", "1500RUB", "--date", "2026-08-01"]
    grouped, every = _run(*args), _run(*args, "--all")
    assert grouped.returncode == every.returncode == 0
    assert "Economy (8) ABT, ATC, CEL," in grouped.stdout and "XY Economy" not in grouped.stdout
    assert grouped.stdout.count("48.75 CNY") == 1 and every.stdout.count("48.75 CNY") == 8
    assert "XY Economy" in every.stdout and "(8)" not in every.stdout
    assert max(len(line) for line in grouped.stdout.splitlines()) <= 80


CATALOGUE = (
    "sku,weight_g,length_mm,width_mm,height_mm,declared_value,currency,order_date\n"
    "july,1200,300,200,100,1500,RUB,2026-08-01\n"
    "october,400,300,200,150,1000,RUB,2025-10-01\n"
)


def test_batch_best_names_the_services_tied_with_its_choice(tmp_path, ts):
    src = tmp_path / "in.csv"
    src.write_text(CATALOGUE)
    run = _run("batch", str(src), "-o", str(tmp_path / "out.csv"), "--best", "cheapest", "--no-progress")
    assert run.returncode == 0, run.stderr
    rows = {r["sku"]: r for r in csv.DictReader((tmp_path / "out.csv").read_text().splitlines())}
    july = tied_with(ts.quote(JULY))[rows["july"]["service_id"]]
    assert rows["july"]["service_id"] == "abt-economy" and rows["july"]["tied_with"] == ", ".join(sorted(july))
    october = Parcel.parse("400g", "30x20x15cm", date="2025-10-01", value="1000RUB")
    assert rows["october"]["tied_with"] == ", ".join(sorted(tied_with(ts.quote(october)).get("guoo-economy", [])))


def test_both_ways_of_choosing_the_best_name_the_same_ties(ts):
    compiled = ts.compiled()
    src = pa.table({"weight_g": ["1200", "400", "2500"], "length_mm": ["300", "300", "400"],
                    "width_mm": ["200", "200", "300"], "height_mm": ["100", "150", "200"],
                    "declared_value": ["1500", "1000", "4000"], "currency": ["RUB"] * 3,
                    "order_date": ["2026-08-01", "2025-10-01", "2026-08-01"]})  # fmt: skip
    ing = ingest(src, compiled=compiled)
    long_form = quote_ingested(compiled, ing).best("cheapest").column("tied_with").to_pylist()
    blocks = quote_best(compiled, ing, "cheapest").column("tied_with").to_pylist()
    assert long_form == blocks and long_form[0].startswith("atc-economy, cel-economy-groups")


def test_catalogue_economics_names_the_ties_of_its_choice(tmp_path):
    src = tmp_path / "cat.csv"
    src.write_text(
        "sku,weight_g,length_mm,width_mm,height_mm,order_date,category,purchase_cost,sale_price,target_margin\n"
        "fwd,1200,300,200,100,2026-08-01,Car Products,62CNY,1500,\n"
        "rev,1200,300,200,100,2026-08-01,Car Products,62CNY,,25\n"
    )
    run = _run("economics", "-i", str(src), "-o", str(tmp_path / "out.csv"), "--fx", "CNY=11.2", "--no-progress")
    assert run.returncode == 0, run.stderr
    rows = {r["sku"]: r for r in csv.DictReader((tmp_path / "out.csv").read_text().splitlines())}
    assert rows["fwd"]["service_id"] == "abt-economy"
    assert rows["fwd"]["tied_with"].split(", ")[:2] == ["atc-economy", "cel-economy-groups"]
    assert "xy-economy" in rows["rev"]["tied_with"]
