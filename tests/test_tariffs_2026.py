"""The built-in 2026 tariffs, confidence on every surface, the no-rates notice, and `tariffs diff`."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import Settings, create_app
from ratecalc import Parcel
from ratecalc.cli import app
from ratecalc.errors import InputError
from ratecalc.pricing.tariff_diff import diff, side
from ratecalc.tariffdata.confidence import CONFIDENCE_LEVELS

XS = dict(weight="300g", dims="20x15x5cm", value="1000RUB")
runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), env={"COLUMNS": "250"})


def quotes(tariffs, day, **kw):
    return tariffs.quote(Parcel.parse(**{**XS, **kw}, date=day))


def test_every_built_in_tariff_version_states_its_confidence(tariffs):
    for svc in tariffs.services:
        for v in svc.model.versions:
            assert v.confidence in CONFIDENCE_LEVELS and v.confidence_note, (svc.id, v.effective_from)


@pytest.mark.parametrize(
    "day, confidence, first",
    [("2026-11-30", "third_party", "3.37"), ("2026-05-01", "official", "2.6"), ("2026-01-10", "inferred", "2.6")],
)
def test_every_2026_date_prices_each_lane_with_its_confidence(tariffs, day, confidence, first):
    got = quotes(tariffs, day)
    ok = [q for q in got if q.status == "ok"]
    assert len(ok) >= 24 and all(q.status in ("ok", "ineligible") for q in got)
    # the only ineligible services have no Extra Small lane at all (GBS ships Budget/Small/Premium Small)
    assert {q.service_id for q in got if q.status == "ineligible"} <= {
        "gbs-economy-groups",
        "gbs-express",
        "gbs-standard",
    }
    assert all(q.tariff.confidence == confidence and q.tariff.confidence_note for q in got)
    assert all(q.delivery_days.basis == "dropoff_to_sorting_centre" for q in ok)
    cheapest_express = min(Decimal(q.price.amount) for q in ok if q.tier == "Express")
    base = Decimal(first)
    assert cheapest_express > base  # base + per gram x 300 g, never the base alone


def test_july_set_is_the_april_main_set_plus_eight_percent(tariffs):
    apr = {q.service_id: q for q in quotes(tariffs, "2026-05-01")}
    jul = {q.service_id: q for q in quotes(tariffs, "2026-08-01")}
    cel = Decimal(jul["cel-express-groups"].price.amount) / Decimal(apr["cel-express-groups"].price.amount)
    assert Decimal("1.07") < cel < Decimal("1.09")
    assert jul["cel-express-groups"].price.amount == "18.52"  # 3.37 + 0.0505 x 300


def test_uni_and_leader_end_with_the_last_rates_held(tariffs):
    before = {q.carrier_id for q in quotes(tariffs, "2025-10-01")}
    after = {q.carrier_id for q in quotes(tariffs, "2025-12-17")}
    assert {"unitrade", "leader"} <= before
    assert not {"unitrade", "leader"} & after
    uni = tariffs.service("uni-express").model
    assert "Not in force after 2025-12-16" in (uni.notes or "")
    assert max(v.effective_until for v in uni.versions) == dt.date(2025, 12, 16)


def test_from_the_april_file_big_bills_greater_of_and_takes_30_kg_and_310_cm(tariffs):
    # 3000 g, 50x40x30 cm: volumetric 60000/12 = 5000 g; Big in the April file
    got = {
        q.service_id: q for q in tariffs.quote(Parcel.parse("3kg", "50x40x30cm", value="3000RUB", date="2026-05-01"))
    }
    q = got["cel-standard"]
    assert q.group.name == "Big" and q.basis == "greater_of" and q.chargeable_weight_g == 5000
    assert q.tariff.readings == []  # settled by Ozon's file: no reading applies
    heavy = {
        q.service_id: q for q in tariffs.quote(Parcel.parse("29kg", "150x100x55cm", value="3000RUB", date="2026-05-01"))
    }
    assert heavy["cel-standard"].status == "ok"  # 305 cm sum and 29 kg are inside Big's 310 cm / 30 kg


def test_min_confidence_drops_what_is_less_sure(tariffs):
    assert quotes(tariffs, "2026-11-30") and not [
        q for q in tariffs.quote(Parcel.parse(**XS, date="2026-11-30"), min_confidence="official")
    ]
    kept = tariffs.quote(Parcel.parse(**XS, date="2026-11-30"), min_confidence="third_party")
    assert kept and all(q.tariff.confidence == "third_party" for q in kept)
    with pytest.raises(InputError) as exc:
        tariffs.quote(Parcel.parse(**XS, date="2026-11-30"), min_confidence="sure")
    assert exc.value.field == "min_confidence"


def test_cli_marks_confidence_below_official_and_filters_it():
    r = run("quote", "--weight", "300g", "--dims", "20x15x5cm", "--value", "1000RUB", "--date", "2026-08-01")
    assert r.exit_code == 0, r.output
    assert re.search(r"CNY\s+\d+–\d+ to SC\s+\d+ g\s+third_party", r.output)  # the Confidence column
    r = run("quote", "--weight", "300g", "--dims", "20x15x5cm", "--value", "1000RUB", "--date", "2026-05-01")
    table = r.output.split("Confidence", 1)[1]
    assert r.exit_code == 0 and "official" in table and "third_party" not in table and "inferred" not in table
    r = run(
        "quote", "--weight", "300g", "--dims", "20x15x5cm", "--value", "1000RUB", "--date", "2026-08-01", "--json",
        "--min-confidence", "official",
    )  # fmt: skip
    assert r.exit_code == 0 and json.loads(r.stdout) == []
    r = run("quote", "--weight", "300g", "--dims", "20x15x5cm", "--value", "1000RUB", "--min-confidence", "sure")
    assert r.exit_code == 2 and "min_confidence" in r.output


def test_a_date_without_rates_says_so_once_with_the_nearest_dates(tariffs):
    gap = tariffs.coverage(dt.date(2025, 3, 10))
    assert not gap.priced and gap.in_force > 0
    assert gap.previous == dt.date(2024, 12, 4) and gap.next == dt.date(2025, 9, 14)
    assert "2025-09-14" in gap.message and "ratecalc tariffs import" in gap.message
    assert tariffs.coverage(dt.date(2026, 5, 1)).message is None
    future = tariffs.coverage(dt.date(2030, 1, 1))
    assert future.priced and "2026-07-24" in future.message and "ratecalc tariffs import" in future.message
    r = run("quote", "--weight", "300g", "--dims", "20x15x5cm", "--value", "1000RUB", "--date", "2025-03-10")
    assert r.exit_code == 0 and r.output.count("No rates are held for orders on 2025-03-10") == 1


def test_api_filters_by_confidence_and_adds_the_notice(tariffs):
    settings = Settings(
        api_token=None,
        admin_token=None,
        cors_origins=[],
        max_batch=100,
        max_body_bytes=1 << 20,
        tariff_dirs=[],
        builtin_tariffs=True,
    )
    with TestClient(create_app(settings, tariffs=tariffs)) as client:
        body = {**XS, "date": "2026-08-01", "filters": {"min_confidence": "official"}}
        r = client.post("/v1/quotes", json=body)
        assert r.status_code == 200, r.text
        assert r.json()["quotes"] == [] and r.json()["filtered_out"] >= 24
        r = client.post("/v1/quotes", json={**XS, "date": "2025-03-10"})
        assert r.status_code == 200 and "No rates are held" in r.json()["notice"]
        r = client.post("/v1/quotes", json={**XS, "date": "2026-05-01"})
        # the compact answer leaves an absent notice out and names each quote's confidence at the top level
        assert "notice" not in r.json() and r.json()["quotes"][0]["confidence"] == "official"
        r = client.post("/v1/quotes", json={**XS, "filters": {"min_confidence": "sure"}})
        assert r.status_code == 422


def test_diff_april_to_july_shows_the_eight_percent_rise(tariffs):
    result = diff(side("2026-05-01"), side("2026-08-01"))
    assert result.median_pct("fixed_pct") == Decimal("8.0")
    assert Decimal("7.5") <= result.median_pct("per_pct") <= Decimal("8.5")
    removed = {(c.service, c.group) for c in result.changes if c.kind == "removed"}
    assert ("zto-economy", "Budget") in removed  # in April, absent from the July conversion
    assert any("tanais" in s for s, _ in removed)


def test_cli_diff_prices_a_catalogue_on_both_sides(tmp_path):
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("weight,dims,value,quantity\n300g,20x15x5cm,1000RUB,10\n", encoding="utf-8")
    r = run("tariffs", "diff", "2026-05-01", "2026-08-01", "--catalogue", str(catalogue))
    assert r.exit_code == 0, r.output
    assert "median change: base +8.0%" in r.output
    # cheapest Extra Small, 300 g, x 10: ATC Economy 2.6 + 0.024 x 300 = 9.80 in April (its own prices);
    # every Economy lane 3.37 + 0.0281 x 300 = 11.80 in July
    assert "CNY: 98.00 -> 118.00" in r.output
    r = run("tariffs", "diff", "2026-05-01", "not-a-date")
    assert r.exit_code == 2 and "neither a directory nor a date" in r.output


def test_literal_volumetric_reading_warns_when_it_bills_below_the_actual_weight(tariffs):
    # CEL Express, USD era: above 80 cm the volumetric weight (/6000) is billed: 40x30x20 cm = 4000 g < 5000 g
    [q] = [
        q for q in tariffs.quote(Parcel.parse("5kg", "40x30x20cm", date="2022-07-01")) if q.service_id == "cel-express"
    ]
    assert q.chargeable_weight_g == 4000
    assert "billed_weight_below_actual" in [w.code for w in q.warnings]
    [alt] = [
        q
        for q in tariffs.quote(
            Parcel.parse("5kg", "40x30x20cm", date="2022-07-01"), readings=["volumetric-above-threshold-greater-of"]
        )
        if q.service_id == "cel-express"
    ]
    assert alt.chargeable_weight_g == 5000 and not alt.warnings


def test_a_user_layer_takes_over_a_service_from_its_own_start_date(tmp_path, tariffs):
    from ratecalc.tariffdata.loader import layer_service

    lower = tariffs.service("cel-express-groups").model
    upper = lower.model_copy(
        update={"versions": [lower.versions[-1].model_copy(update={"effective_from": dt.date(2026, 12, 1)})]}
    )
    merged = layer_service(lower, upper)
    spans = [(v.effective_from, v.effective_until) for v in merged.versions]
    assert spans[-2] == (dt.date(2026, 7, 24), dt.date(2026, 11, 30)) and spans[-1][0] == dt.date(2026, 12, 1)
    assert spans[: len(lower.versions) - 1] == [(v.effective_from, v.effective_until) for v in lower.versions[:-1]]


def test_compiled_tariffs_memoise_only_in_their_declared_cache(tariffs):
    from dataclasses import fields

    compiled = tariffs.compiled()
    tariffs.quote(Parcel.parse(**XS, date="2026-05-01"))
    tariffs.coverage(dt.date(2026, 5, 1))
    assert set(vars(compiled)) == {f.name for f in fields(compiled)}
    assert {"engine_plans", "result_rows", "priced_epochs"} <= set(compiled.cache)
