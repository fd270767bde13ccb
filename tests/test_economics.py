"""Unit economics: forward figures line by line, reverse pricing (hypothesis: the price found meets the
target and one kopeck less does not), cliffs, and input errors."""

from __future__ import annotations

import dataclasses
from decimal import Decimal as D

import pytest
from exploring import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecalc import Parcel
from ratecalc.errors import InputError
from ratecalc.money.economics import EconomicsInput, Target, economics, meets, reverse_price
from ratecalc.money.fx import build_chain
from ratecalc.units import Money

FX = build_chain(["USD=51.158", "CNY=11.5", "EUR=90"], cbr=False)


def usd_era(**kw) -> EconomicsInput:
    base = dict(
        parcel=Parcel.parse("500g", "10x10x10cm", date="2022-07-01"),
        category="kids",
        purchase_cost=Money(D("62"), "CNY"),
        packaging=Money(D("5"), "CNY"),
        acquiring=D("1.9"),
        fx_loss=D("1.2"),
        ads=D("5"),
        return_rate=D("3"),
    )
    base.update(kw)
    return EconomicsInput(**base)


def group_era(weight="250g", **kw) -> EconomicsInput:
    base = dict(
        parcel=Parcel.parse(weight, "20x15x10cm", date="2025-12-05"),
        category="pharmacy",
        purchase_cost=Money(D("40"), "CNY"),
    )
    base.update(kw)
    return EconomicsInput(**base)


def line(result, service_id):
    [ln] = [x for x in result.lines if x.service_id == service_id]
    return ln


def test_forward_every_line_gbs_broker(tariffs):
    fx = build_chain(["USD=51.158", "CNY=7.6415"], cbr=False)
    r = economics(tariffs, usd_era(), "1499", fx)
    d = line(r, "gbs-broker").to_dict()
    assert d["carrier_price"] == {"amount": "9.00", "currency": "USD"}  # 3.00 + 5 x 1.20 (users.md A3)
    assert d["rub"] == {
        "purchase": "473.77",  # 62 x 7.6415 = 473.773
        "packaging": "38.21",  # 5 x 7.6415 = 38.2075
        "first_mile": "0.00",
        "carrier": "460.42",  # 9.00 x 51.158 = 460.422
        "commission": "74.95",  # 5 % of 1499 (kids, 2022-03-31 table)
        "ozon_fee": "15.00",  # flat, USD era
        "acquiring": "28.48",  # 1.9 % = 28.481
        "fx_loss": "17.99",  # 1.2 % = 17.988
        "ads": "74.95",
        "returns": "14.96",  # 3 % x (460.42 + 38.21) = 14.9589: the USD era states no return rule
        "not_collected": "0.00",
        "storage": "0.00",
        "costs": "1198.73",
        "profit": "300.27",
    }
    assert d["returns_rule"]["returned"]["rule"] == "unstated"
    assert "no rule stated" in d["returns_rule"]["returned"]["text"]
    assert d["margin_pct"] == "20.03"  # 300.27 / 1499
    assert d["roi_pct"] == "30.88"  # 300.27 / (473.77 + 38.21 + 460.42)
    assert d["ozon_fee_rule"] == "flat-15" and d["fx"]["source"] == "explicit"
    assert [x.service_id for x in r.lines][:2] == ["hecny", "gbs-broker"]  # most profitable first
    assert all(s.status == "unpriced" for s in r.skipped if s.service_id == "gbs-economy")


def test_a1_commission_through_economics(tariffs):
    inp = usd_era(
        purchase_cost=Money(D("0"), "RUB"),
        packaging=None,
        acquiring=D(0),
        fx_loss=D(0),
        ads=D(0),
        return_rate=D(0),
    )
    d = line(economics(tariffs, inp, "5780", FX), "gbs-broker").to_dict()
    assert d["rub"]["commission"] == "289.00"  # users.md A1: 5 % of 5780


def test_group_era_uses_percent_fee_and_the_group_of_the_sale_price(tariffs):
    r = economics(tariffs, group_era(), "1000", FX)
    ln = line(r, "atc-economy")
    assert ln.group == "Extra Small" and ln.carrier_price.currency == "CNY"
    assert ln.ozon_fee_rule == "percent-2" and ln.ozon_fee_rub == 2000  # 2 % of 1000
    assert ln.commission.percent == D("12.0") and ln.commission_rub == 12000
    r2 = economics(tariffs, group_era(), "1500.01", FX)
    assert line(r2, "atc-economy").group == "Small"
    assert line(r2, "atc-economy").commission.percent == D("14.0")


def test_cliff_lowering_to_1500_says_by_how_much(tariffs):
    inp = group_era()
    r = economics(tariffs, inp, "1560", FX)
    [cliff] = [c for c in r.cliffs if c.kind == "lower_price" and c.at == "1500.00 RUB"]
    # said in the direction of the move: down into the lower tier and the lower group, out of the upper ones
    assert cliff.what.startswith("into commission tier up to 1500 RUB, shipment group Extra Small")
    assert "out of commission tier above 1500 RUB, shipment group Small" in cliff.what
    at_1500 = economics(tariffs, inp, "1500", FX, cliffs=False)
    for sid, delta in cliff.deltas_rub.items():
        assert D(delta) == D(line(at_1500, sid).profit_rub - line(r, sid).profit_rub) / 100
    assert cliff.message.startswith("lowering the price to 1500.00 RUB")
    # read in the direction of the move: the lower price lands the parcel in Extra Small, out of Small
    assert f"({cliff.what})" in cliff.message


def test_weight_cliff(tariffs):
    r = economics(tariffs, group_era("520g"), "1400", FX)
    [cliff] = [c for c in r.cliffs if c.kind == "lighter_parcel"]
    assert cliff.at == "500 g" and "20 g lighter" in cliff.message  # Budget -> Extra Small band


def test_reverse_finds_the_price_below_the_cliff(tariffs):
    """Profit 150 RUB is reachable at <= 1500 RUB (Extra Small, 12 %) - a search over one band would miss it."""
    inp = group_era()
    res = reverse_price(tariffs, inp, Target("profit", D("150")), FX)
    got = {r.service_id: r for r in res.lines}["atc-economy"]
    assert got.price_minor is not None and got.price_minor <= 150000
    assert got.line.profit_rub >= 15000


def test_reverse_is_lowest_on_a_rouble_grid(tariffs):
    """No whole-rouble price below the answer meets the target (checked through the forward path)."""
    inp = group_era()
    target = Target("margin", D("10"))
    res = reverse_price(tariffs, inp, target, FX)
    found = {r.service_id: r.price_minor for r in res.lines if r.price_minor is not None}
    assert found, "some service must reach a 10 % margin"
    sid, best = min(found.items(), key=lambda kv: kv[1])
    for rub in range(1, best // 100):
        ln = [x for x in economics(tariffs, inp, str(rub), FX, cliffs=False).lines if x.service_id == sid]
        assert not (ln and meets(ln[0], target)), rub
    # reachable first, cheapest first; unpriced services say why
    prices = [r.price_minor for r in res.lines if r.price_minor is not None]
    assert prices == sorted(prices)
    assert all(r.reason for r in res.lines if r.price_minor is None)


def test_unreachable_target_says_so(tariffs):
    res = reverse_price(tariffs, usd_era(), Target("margin", D("95")), FX, max_price=D("20000"))
    gbs = {r.service_id: r for r in res.lines}["gbs-broker"]
    assert gbs.price_minor is None and "not reached at any price up to 20000.00 RUB" in gbs.reason
    unpriced = {r.service_id: r for r in res.lines}["gbs-economy"]
    assert unpriced.reason.startswith("not priced at any sale price")


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    era=st.sampled_from(["usd", "group"]),
    weight=st.integers(min_value=50, max_value=6000),
    cost=st.integers(min_value=0, max_value=3000),
    ads=st.decimals(min_value=0, max_value=15, places=1),
    target=st.one_of(
        st.builds(Target, st.just("margin"), st.decimals(min_value=-20, max_value=45, places=2)),
        st.builds(Target, st.just("profit"), st.decimals(min_value=0, max_value=5000, places=2)),
    ),
)
def test_reverse_price_fed_forward_meets_target_and_one_kopeck_less_does_not(tariffs, era, weight, cost, ads, target):
    inp = usd_era() if era == "usd" else group_era()
    inp = dataclasses.replace(
        inp,
        parcel=dataclasses.replace(inp.parcel, weight_g=weight),
        purchase_cost=Money(D(cost), "CNY"),
        ads=ads,
    )
    res = reverse_price(tariffs, inp, target, FX)
    checked = 0
    for r in res.lines:
        if r.price_minor is None:
            continue
        price = Money.from_minor(r.price_minor, "RUB")
        at = [x for x in economics(tariffs, inp, price, FX, cliffs=False).lines if x.service_id == r.service_id]
        assert at and meets(at[0], target), (r.service_id, price)
        assert at[0].profit_rub == r.line.profit_rub
        if r.price_minor > 1:
            below = Money.from_minor(r.price_minor - 1, "RUB")
            ln = [x for x in economics(tariffs, inp, below, FX, cliffs=False).lines if x.service_id == r.service_id]
            assert not (ln and meets(ln[0], target)), (r.service_id, below)
        checked += 1
        if checked >= 6:
            break


def test_input_errors(tariffs):
    with pytest.raises(InputError) as exc:
        economics(tariffs, usd_era(category="spaceships"), "1000", FX)
    assert exc.value.field == "category" and "ratecalc categories --date 2022-03-31" in exc.value.message
    with pytest.raises(InputError, match="must be in RUB"):
        economics(tariffs, usd_era(), Money(D("10"), "USD"), FX)
    with pytest.raises(InputError, match="positive"):
        economics(tariffs, usd_era(), "0", FX)
    with pytest.raises(InputError) as exc:
        economics(tariffs, usd_era(), "1000", build_chain(cbr=False))
    assert exc.value.field == "purchase_cost" and exc.value.rule == "fx_required"
    with pytest.raises(InputError, match="percentage"):
        usd_era(ads=D("120"))
    with pytest.raises(InputError, match="scheme"):
        economics(tariffs, usd_era(scheme="fbo"), "1000", FX)
    with pytest.raises(InputError, match="below 100"):
        Target("margin", D("100"))


def test_missing_rate_keeps_carrier_price_and_says_why(tariffs):
    fx = build_chain(["CNY=11.5"], cbr=False)  # no USD rate
    r = economics(tariffs, usd_era(), "1499", fx)
    assert not r.lines and r.warnings
    gbs = [s for s in r.skipped if s.service_id == "gbs-broker"][0]
    assert gbs.status == "no_rate" and "9.00 USD" in gbs.reason and "no explicit USD rate" in gbs.reason


def test_customs_is_shown_for_the_buyer_not_costed(tariffs):
    fx = build_chain(["USD=51.158", "CNY=11.5", "EUR=100"], cbr=False)
    r = economics(tariffs, usd_era(), "30000", fx, cliffs=False)  # 300 EUR -> tariff-facts #17: 15 EUR
    assert (r.customs.duty_eur, r.customs.duty_rub, r.customs.duty_free) == (D("15.00"), D("1500.00"), False)
    gbs = line(r, "gbs-broker").to_dict()
    assert "customs" not in gbs["rub"] and r.to_dict()["customs"]["paid_by"] == "buyer"
    r2 = economics(tariffs, usd_era(), "1499", fx, cliffs=False)
    assert r2.customs.duty_free is True
