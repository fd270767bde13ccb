"""What a return costs, by the rule Ozon states for the quoted row's group (sheet columns T–V), worked by
hand: an Extra Small return (destroyed: the goods are lost), a Small return (back at 1.5 × the
China-to-Russia rate), an order nobody collected (back, no surcharge), the USD era (no rule stated: the
older formula), border-warehouse storage past its free days; and the catalogue, the API and the CLI give
the same kopecks as the single-SKU answer."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

import pyarrow as pa
import pytest

from ratecalc import Parcel, TariffSet
from ratecalc.errors import InputError
from ratecalc.files.catalogue import Options, cost_catalogue
from ratecalc.money.economics import EconomicsInput, economics
from ratecalc.money.fx import build_chain
from ratecalc.money.returns import read_words, rules_for
from ratecalc.units import Money

FX = build_chain(["CNY=11.5", "USD=51.158"], cbr=False)
APRIL = "2026-05-01"  # Ozon's sheet of 2026-04-07 (official), which states the return rules per row


def sku(date=APRIL, dims="20x15x5cm", **kw) -> EconomicsInput:
    base = dict(
        parcel=Parcel.parse("250g", dims, date=date),
        category="pharmacy",
        purchase_cost=Money(D(40), "CNY"),  # 460.00 RUB
        packaging=Money(D(5), "CNY"),  # 57.50 RUB
        first_mile=Money(D(2), "CNY"),  # 23.00 RUB
    )
    base.update(kw)
    return EconomicsInput(**base)


def line(tariffs, inp, price, service_id="ural-express"):
    [ln] = [x for x in economics(tariffs, inp, price, FX, cliffs=False).lines if x.service_id == service_id]
    return ln


def test_an_extra_small_return_loses_the_goods(tariffs):
    # 1000 RUB, 250 g: Extra Small. Ural Express Extra Small (中国 rFBS!9): 3.12 + 0.0468 × 250 = 14.82 CNY
    # = 170.43 RUB (× 11.5 = 170.43). Destroyed, no surcharge: 5 % × (460.00 + 170.43 + 57.50 + 23.00)
    # = 5 % × 710.93 = 35.5465 -> 35.55 RUB. (The older formula, goods back: 5 % × 250.93 = 12.55.)
    ln = line(tariffs, sku(return_rate=D(5)), "1000")
    assert (ln.group, ln.carrier_rub) == ("Extra Small", 17043)
    assert ln.returns_rub == 3555
    rule = ln.to_dict()["returns_rule"]["returned"]
    assert rule["rule"] == "destroyed" and rule["text"] == "destroyed, no surcharge"
    assert rule["source_row"] == "中国 rFBS!9" and "China_scoring_ENG_CN_7_04_26" in rule["source"]
    assert rule["formula"] == "return % × (purchase + carrier + packaging + first mile)"
    # the purchase cost is now part of what a return loses: profit falls by exactly the difference
    without = line(tariffs, sku(return_rate=D(0)), "1000")
    assert without.profit_rub - ln.profit_rub == 3555


def test_a_small_return_comes_back_at_one_and_a_half_times_the_rate(tariffs):
    # 2000 RUB, 250 g: Small. Ural Express Small (中国 rFBS!64): 16.64 + 0.0468 × 250 = 28.34 CNY = 325.91 RUB.
    # Back at 1.5 × the China-to-Russia rate, on top of the forward leg:
    # 5 % × (325.91 + 1.5 × 325.91 + 57.50 + 23.00) = 5 % × 895.275 = 44.76375 -> 44.76 RUB.
    ln = line(tariffs, sku(return_rate=D(5)), "2000")
    assert (ln.group, ln.carrier_rub) == ("Small", 32591)
    assert ln.returns_rub == 4476
    assert ln.returns_rule.surcharge == Fraction(3, 2) and ln.returns_rule.source_row == "中国 rFBS!64"
    assert ln.to_dict()["returns_rule"]["returned"]["formula"] == "return % × (carrier × 2.5 + packaging + first mile)"


def test_not_collected_comes_back_with_no_surcharge(tariffs):
    # 10 % not collected, "returned, no surcharge": the forward costs are lost, the goods come back.
    # Extra Small: 10 % × (170.43 + 57.50 + 23.00) = 25.093 -> 25.09; Small: 10 % × 406.41 = 40.641 -> 40.64.
    xs = line(tariffs, sku(not_collected_rate=D(10)), "1000")
    small = line(tariffs, sku(not_collected_rate=D(10)), "2000")
    assert (xs.not_collected_rub, small.not_collected_rub) == (2509, 4064)
    assert xs.returns_rub == small.returns_rub == 0
    assert xs.not_collected_rule.text == "returned, no surcharge" and xs.not_collected_rule.rule == "back"
    both = line(tariffs, sku(return_rate=D(5), not_collected_rate=D(10)), "1000")
    assert (both.returns_rub, both.not_collected_rub) == (3555, 2509)
    assert both.costs_rub - xs.costs_rub == 3555


def test_the_usd_era_states_no_rule_and_keeps_the_older_formula(tariffs):
    # gbs-broker, 2022: 9.00 USD × 51.158 = 460.42 RUB; 3 % × (460.42 + 38.21 packaging) = 14.9589 -> 14.96
    inp = EconomicsInput(
        parcel=Parcel.parse("500g", "10x10x10cm", date="2022-07-01"),
        category="kids",
        purchase_cost=Money(D(62), "CNY"),
        packaging=Money(D(5), "CNY"),
        return_rate=D(3),
    )
    fx = build_chain(["USD=51.158", "CNY=7.6415"], cbr=False)
    r = economics(tariffs, inp, "1499", fx, cliffs=False)
    [ln] = [x for x in r.lines if x.service_id == "gbs-broker"]
    assert ln.returns_rub == 1496 and ln.returns_rule.rule == "unstated"
    assert any("no return rule stated" in w and "gbs-broker" in w for w in r.warnings)


def test_rule_words_are_read_in_english_and_in_the_sheet_s_chinese():
    assert read_words("destroyed, no surcharge")[:2] == ("destroyed", 0)
    assert read_words("无附加费销毁")[:2] == ("destroyed", 0)
    assert read_words("无附加费退回")[:2] == ("back", 0)
    assert read_words("从中国运往俄罗斯的运费费率 × 1,5")[:2] == ("back", Fraction(3, 2))
    assert read_words("China-to-Russia shipping rate x 2")[:2] == ("back", 2)
    assert read_words("returned to the seller's warehouse at cost")[:2] == ("unknown", 0)
    assert read_words(None)[:2] == ("unstated", 0)
    returned, not_collected = rules_for({"before_customs": "destroyed, no surcharge"}, None, ["a sheet"])
    assert (returned.column, returned.outcome, not_collected.outcome) == ("before_customs", "destroyed", "unstated")


def test_a_rule_by_order_value_applies_its_part_at_the_sale_price():
    # Ozon's FBP list of 2026-09-01, Small and Big after customs: destroyed below 5000 RUB, 1.5 x above
    words = (
        "destroyed, no surcharge, if the order value is below 5000 RUB; "
        "China-to-Russia shipping rate x 1.5 if it is above 5000 RUB"
    )
    assert read_words(words) == ("back", Fraction(3, 2), 500000, ("destroyed", Fraction(0)))
    returned, _ = rules_for({"after_customs": words}, None, ["the FBP list"])
    assert returned.rule == "by_order_value"
    assert (returned.at(500000).rule, returned.at(500001).rule) == ("destroyed", "back_with_surcharge")
    assert returned.formula().startswith("up to 5000.00 RUB: return % × (purchase + carrier")
    assert (
        read_words("destroyed, no surcharge, if the order value is below 5000 RUB; moon if it is above 5000 RUB")[0]
        == "unknown"
    )


UNKNOWN_RULE = """
schema_version: 1
carrier: Test Lane
carrier_id: testlane
services:
- id: testlane-standard
  name: Test Lane Standard
  versions:
  - effective_from: 2026-04-07
    effective_until: 2026-07-23
    sources: [a test sheet]
    billing: {basis: actual, rounding: {step_g: 1}}
    rates:
    - {group: Extra Small, fixed: 3, per_step: 0.04, step_g: 1, currency: CNY,
       returns: {not_collected: 'returned, no surcharge', after_customs: 'returned to a warehouse in Minsk'}}
"""


def test_a_rule_whose_words_are_not_understood_is_not_costed(tmp_path):
    (tmp_path / "testlane.yaml").write_text(UNKNOWN_RULE, encoding="utf-8")
    ts = TariffSet.load([tmp_path])
    r = economics(ts, sku(return_rate=D(5)), "1000", FX, cliffs=False)
    [skip] = [s for s in r.skipped if s.service_id == "testlane-standard"]
    assert skip.status == "no_return_rule" and "returned to a warehouse in Minsk" in skip.reason
    # without a return rate the words do not matter, and the lane is costed
    r0 = economics(ts, sku(not_collected_rate=D(5)), "1000", FX, cliffs=False)
    assert "testlane-standard" in {x.service_id for x in r0.lines}
    out = cost_catalogue(
        _table([["T", "250", "200", "150", "50", "pharmacy", "40CNY", "1000", APRIL]]),
        ts.compiled(()),
        FX,
        Options(return_rate=D(5)),
    ).table.to_pylist()[0]
    assert out["service_id"] != "testlane-standard"


# --------------------------------------------------------------------------- border-warehouse storage


def test_storage_past_ninety_days(tariffs):
    # 40 × 30 × 20 cm = 0.024 m³. 120 days: 30 charged × 4 CNY × 0.024 m³ = 2.88 CNY × 11.5 = 33.12 RUB.
    # 91 days: 1 × 4 × 0.024 = 0.096 CNY = 1.104 -> 1.10 RUB. 90 days: free.
    box = dict(date="2026-09-15", dims="40x30x20cm", scheme="fbp")
    r = economics(tariffs, sku(storage_days=120, **box), "1000", FX, cliffs=False)
    assert r.lines and {ln.storage_rub for ln in r.lines} == {3312}
    assert any("border-warehouse-2026-09" in n and "30 charged" in n and "33.12 RUB" in n for n in r.notes)
    st = r.to_dict()["storage"]
    assert (st["charged_days"], st["volume_m3"], st["amount_rub"], st["confidence"]) == (
        30,
        "0.024",
        "33.12",
        "third_party",
    )
    for days, kopecks in ((91, 110), (90, 0), (0, 0)):
        r = economics(tariffs, sku(storage_days=days, **box), "1000", FX, cliffs=False)
        assert {ln.storage_rub for ln in r.lines} == {kopecks}, days
    base = economics(tariffs, sku(**box), "1000", FX, cliffs=False)
    assert any("storage not costed" in n for n in base.notes)
    assert [ln.profit_rub - 3312 for ln in base.lines] == [
        ln.profit_rub for ln in economics(tariffs, sku(storage_days=120, **box), "1000", FX, cliffs=False).lines
    ]


def test_storage_is_refused_where_it_does_not_apply(tariffs):
    with pytest.raises(InputError) as exc:
        sku(storage_days=120, date="2026-09-15")  # rfbs: the seller's own warehouse
    assert exc.value.field == "storage_days" and "fbp" in exc.value.message
    with pytest.raises(InputError) as exc:
        economics(tariffs, sku(storage_days=120, scheme="fbp", date="2026-08-15"), "1000", FX)
    assert exc.value.field == "storage_days" and "2026-09-01" in exc.value.message
    with pytest.raises(InputError) as exc:
        sku(storage_days=-1, scheme="fbp")
    assert exc.value.field == "storage_days"
    with pytest.raises(InputError) as exc:
        sku(return_rate=D(60), not_collected_rate=D(40))
    assert exc.value.field == "not_collected_rate"


# --------------------------------------------------------------------------- every surface, the same kopecks

HEADER = ["sku", "weight_g", "length_mm", "width_mm", "height_mm", "category", "purchase_cost", "sale_price"]
HEADER += ["order_date"]


def _table(rows) -> pa.Table:
    return pa.table({h: pa.array([r[i] for r in rows], pa.string()) for i, h in enumerate(HEADER)})


@pytest.mark.parametrize("day,category", [("2022-07-01", "kids"), ("2025-12-05", "pharmacy"), (APRIL, "pharmacy")])
def test_the_catalogue_costs_returns_as_the_single_sku(tariffs, day, category):
    rows = [
        ["XS", "250", "200", "150", "50", category, "40CNY", "1000", day],
        ["S", "250", "200", "150", "50", category, "40CNY", "2000", day],
        ["B", "2500", "300", "200", "150", category, "40CNY", "3000", day],
        ["PS", "900", "300", "200", "150", category, "400CNY", "9000", day],
    ]
    opts = Options(return_rate=D("7.5"), not_collected_rate=D(4))
    out = cost_catalogue(_table(rows), tariffs.compiled(()), FX, opts).table.to_pylist()
    assert [o["sku"] for o in out] == [r[0] for r in rows]
    for r, o in zip(rows, out):
        inp = EconomicsInput(
            parcel=Parcel.parse(f"{r[1]}g", f"{r[2]}x{r[3]}x{r[4]}mm", date=day),
            category=category,
            purchase_cost=Money(D(r[6][:-3]), "CNY"),
            return_rate=D("7.5"),
            not_collected_rate=D(4),
        )
        best = economics(tariffs, inp, r[7], FX, cliffs=False).lines[0]
        assert o["service_id"] == best.service_id, r[0]
        assert (o["returns_rub"], o["not_collected_rub"]) == (
            D(best.returns_rub) / 100,
            D(best.not_collected_rub) / 100,
        ), r[0]
        assert o["profit_rub"] == D(best.profit_rub) / 100
        assert o["returns_rule"] == best.returns_rule.rule
        assert o["returns_source"] == (best.returns_rule.source_row or best.returns_rule.source)


def test_the_catalogue_costs_storage_per_row(tariffs):
    rows = [
        ["A", "250", "400", "300", "200", "pharmacy", "40CNY", "1000", "2026-09-15"],
        ["B", "250", "400", "300", "200", "pharmacy", "40CNY", "1000", "2026-09-15"],
    ]
    t = _table(rows).append_column("storage_days", pa.array(["120", None], pa.string()))
    fbp = tariffs.compiled((), "fbp")
    res = cost_catalogue(t, fbp, FX, Options(scheme="fbp", storage_days=91))
    out = {o["sku"]: o for o in res.table.to_pylist()}
    assert (out["A"]["storage_rub"], out["B"]["storage_rub"]) == (D("33.12"), D("1.10"))
    assert out["A"]["service_id"].split("-")[1] == "fbp"  # the border warehouse's lanes
    bad = t.set_column(t.column_names.index("storage_days"), "storage_days", pa.array(["many", "10"]))
    res = cost_catalogue(bad, fbp, FX, Options(scheme="fbp"))
    assert [o["sku"] for o in res.table.to_pylist()] == ["B"]
    assert res.errors.column == ["storage_days"] and res.errors.value == ["many"]
    with pytest.raises(InputError) as exc:
        cost_catalogue(t, tariffs.compiled(()), FX, Options())
    assert exc.value.field == "storage_days"


def test_the_cli_takes_the_not_collected_rate_and_storage_days(tmp_path):
    cli = [sys.executable, "-c", "from ratecalc.cli import main; main()"]
    args = ["economics", "--weight", "250g", "--dims", "20x15x5cm", "--date", APRIL, "--category", "pharmacy"]
    args += ["--purchase-cost", "40CNY", "--packaging", "5CNY", "--first-mile", "2CNY", "--fx", "CNY=11.5"]
    args += ["--sale-price", "1000", "--return-rate", "5", "--not-collected-rate", "10", "--json"]
    done = subprocess.run(cli + args, capture_output=True, text=True, check=True)
    [ln] = [x for x in json.loads(done.stdout)["lines"] if x["service_id"] == "ural-express"]
    assert (ln["rub"]["returns"], ln["rub"]["not_collected"]) == ("35.55", "25.09")
    assert ln["returns_rule"]["returned"]["source_row"] == "中国 rFBS!9"
    table = subprocess.run(cli + args[:-1], capture_output=True, text=True, check=True, env={"COLUMNS": "80"})
    assert "destroyed, no surcharge" in table.stdout and "中国 rFBS!9" in table.stdout
    bad = subprocess.run(cli + args[:-1] + ["--storage-days", "120"], capture_output=True, text=True)
    assert bad.returncode == 2 and "storage_days" in bad.stderr and "fbp" in bad.stderr


def test_the_api_takes_the_same_inputs(tariffs):
    from fastapi.testclient import TestClient

    from api import Settings, create_app

    with TestClient(create_app(Settings(), tariffs=tariffs)) as client:
        _api_checks(client)


def _api_checks(client) -> None:
    body = dict(weight="250g", dims="20x15x5cm", date=APRIL, category="pharmacy", purchase_cost="40CNY")
    body |= dict(packaging="5CNY", first_mile="2CNY", fx={"CNY": "11.5"}, sale_price="1000")
    body |= dict(return_rate="5", not_collected_rate="10")
    res = client.post("/v1/economics", json=body)
    assert res.status_code == 200, res.text
    [ln] = [x for x in res.json()["result"]["lines"] if x["service_id"] == "ural-express"]
    assert (ln["rub"]["returns"], ln["rub"]["not_collected"]) == ("35.55", "25.09")
    assert ln["returns_rule"]["returned"]["rule"] == "destroyed"
    res = client.post("/v1/economics", json=body | {"storage_days": 120})
    assert res.status_code == 422 and "storage_days" in res.text
    item = dict(sku="A", weight_g=250, length_mm=400, width_mm=300, height_mm=200, purchase_cost="40CNY")
    batch = dict(items=[item | {"sale_price": "1000", "storage_days": 120}], category="pharmacy", scheme="fbp")
    batch |= dict(date="2026-09-15", fx={"CNY": "11.5"}, return_rate="5", not_collected_rate="10")
    res = client.post("/v1/economics/batch", json=batch)
    assert res.status_code == 200, res.text
    [row] = res.json()["rows"]
    assert row["storage_rub"] == "33.12" and row["returns_rule"] in ("destroyed", "back_with_surcharge")


def test_the_rule_is_data_written_once_with_ozons_groups(tariffs):
    """The words are in tariffs/ozon-groups.yaml (each group's rules), not a constant in the code; a carrier
    row takes them, and a user's tariff file can state others (see the test of words not understood)."""
    text = (Path(__file__).resolve().parent.parent / "tariffs" / "ozon-groups.yaml").read_text(encoding="utf-8")
    assert "destroyed, no surcharge" in text and "China-to-Russia shipping rate x 1.5" in text
    parcel = Parcel.parse("250g", "20x15x5cm", date=APRIL, value="1000RUB")
    [q] = [q for q in tariffs.quote(parcel) if q.service_id == "ural-express"]
    assert q.tariff.returns == {
        "not_collected": "returned, no surcharge",
        "before_customs": "destroyed, no surcharge",
        "after_customs": "destroyed, no surcharge",
    }


def test_the_fbp_rule_by_order_value_switches_at_5000_rub(tariffs):
    # FBP list of 2026-09-01, CEL FBP Standard Small: 17.97 + 0.0393 x 1000 = 57.27 CNY = 658.61 RUB (658.605 up).
    # Up to 5000.00 RUB the return is destroyed: 5 % x (460.00 + 658.61 + 57.50 + 23.00) = 59.9555 -> 59.96;
    # above, back at 1.5 x: 5 % x (2.5 x 658.61 + 57.50 + 23.00) = 86.35125 -> 86.35.
    inp = dataclasses.replace(
        sku(date="2026-09-15", scheme="fbp", return_rate=D(5)),
        parcel=Parcel.parse("1kg", "20x15x10cm", date="2026-09-15"),
    )
    at, above = (line(tariffs, inp, p, "cel-fbp-standard") for p in ("5000", "5000.01"))
    assert at.carrier_rub == above.carrier_rub == 65861
    assert (at.returns_rub, at.returns_rule.rule) == (5996, "destroyed")
    assert (above.returns_rub, above.returns_rule.rule) == (8635, "back_with_surcharge")
    assert "below 5000 RUB" in at.returns_rule.text
    rows = [["A", "1000", "200", "150", "100", "pharmacy", "40CNY", p, "2026-09-15"] for p in ("5000", "5000.01")]
    t = (
        _table(rows)
        .append_column("packaging", pa.array(["5CNY"] * 2))
        .append_column("first_mile", pa.array(["2CNY"] * 2))
    )
    out = cost_catalogue(t, tariffs.compiled((), "fbp"), FX, Options(scheme="fbp", return_rate=D(5))).table
    by = {(r["sale_price"], r["service_id"]): r for r in out.to_pylist()}
    for price in (D("5000.00"), D("5000.01")):
        r = next(r for (p, _), r in by.items() if p == price)
        best = economics(tariffs, inp, str(price), FX, cliffs=False).lines[0]
        assert (r["service_id"], r["returns_rub"]) == (best.service_id, D(best.returns_rub) / 100)
        assert r["returns_rule"] == best.returns_rule.rule
