"""The target-price solver (`ratecalc.money.target_price`): the lowest kopeck meeting a margin or profit
target, checked against every kopeck of the stretch; the single-SKU path (`reverse_price`, behind
POST /v1/economics and `ratecalc economics --target-margin`) and the catalogue path (`cost_catalogue`,
behind POST /v1/economics/batch and `--input`) give the same answers; and the work is bounded whatever
the target."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecalc import Parcel
from ratecalc.files.catalogue import Options, cost_catalogue
from ratecalc.money import target_price as TP
from ratecalc.money.economics import EconomicsInput, Target, reverse_price
from ratecalc.money.fees import rule_by_id
from ratecalc.money.fx import build_chain
from ratecalc.units import Money

RULES = [rule_by_id("flat-15"), rule_by_id("percent-2")]
FX = build_chain(["USD=51.158", "CNY=11.5"], cbr=False)


def every_kopeck(t: TP.Terms) -> np.ndarray:
    """The answer by brute force: the first kopeck of each stretch whose exact test passes."""
    out = []
    for i in range(len(t.lo)):
        p = np.arange(t.lo[i], t.hi[i] + 1)
        ok = np.flatnonzero(TP.gap(t, np.full(len(p), i), p) >= 0)
        out.append(p[ok[0]] if len(ok) else TP.NONE)
    return np.array(out)


def break_even_margin(rate: int, fee_rule: int, pcts: list[tuple[int, int]]) -> Fraction:
    """The margin (%) at which profit stops rising with the price: the solver's hardest case."""
    others = sum((Fraction(n, d * 100) for n, d in pcts), Fraction(0))
    fee = Fraction(2, 100) if fee_rule == 1 else 0
    return (1 - Fraction(rate, 10_000) - fee - others) * 100


entry = st.fixed_dictionaries(
    {
        "lo": st.integers(1, 2_000_000),
        "span": st.integers(0, 30_000),
        "fixed": st.integers(0, 200_000),
        "rate": st.sampled_from([0, 500, 1200, 1500, 1900, 2500, 3300]),
        "fee": st.integers(0, 1),
        "kind": st.sampled_from(["margin", "profit", "break-even"]),
        "margin": st.integers(-500_000, 999_999),  # ten-thousandths of a percent
        "profit": st.integers(0, 100_000),
        "nudge": st.integers(-3, 3),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entries=st.lists(entry, min_size=1, max_size=8),
    pcts=st.lists(st.tuples(st.integers(0, 600), st.sampled_from([1, 10, 100, 1000])), max_size=3),
)
def test_the_solver_finds_what_trying_every_kopeck_finds(entries, pcts):
    m_num, m_den, goal, fixed = [], [], [], []
    for e in entries:
        if e["kind"] == "break-even":  # a margin a hair from where the profit line turns flat
            m = break_even_margin(e["rate"], e["fee"], pcts) * 10_000 + e["nudge"]
            m_num.append(int(m)), m_den.append(10_000), goal.append(0), fixed.append(e["fixed"] % 50)
        else:
            margin = e["kind"] == "margin"
            m_num.append(e["margin"] if margin else 0), m_den.append(10_000 if margin else 1)
            goal.append(0 if margin else e["profit"]), fixed.append(e["fixed"])
    lo = np.array([e["lo"] for e in entries])
    t = TP.terms(
        lo,
        lo + np.array([e["span"] for e in entries]),
        fixed,
        [e["rate"] for e in entries],
        [e["fee"] for e in entries],
        RULES,
        pcts,
        m_num,
        m_den,
        goal,
    )
    assert TP.lowest(t).tolist() == every_kopeck(t).tolist()


def test_a_nearly_flat_profit_line_is_solved_through_the_period(monkeypatch):
    """12 % commission, flat 15 RUB fee, margin 87.99 %: g rises 0.0001 kopeck per kopeck of price, so the
    prices where rounding decides span 20,000 kopecks (about 150,000 RUB), far more than the rounding's
    period (25 kopecks)."""
    used = []
    real = TP._by_residue
    monkeypatch.setattr(TP, "_by_residue", lambda *a: used.append(1) or real(*a))
    t = TP.terms(14_900_000, 15_100_000, [0, 5, 9, 13], 1200, 0, RULES, [], 879_900, 10_000, 0)
    assert used == [] and TP.lowest(t).tolist() == every_kopeck(t).tolist()
    assert used, "the residue method was not exercised"


def test_the_fee_is_cut_where_it_leaves_its_minimum_and_reaches_its_maximum():
    """2 % of the price, at least 15 and at most 200 RUB: one stretch across 750 and 10,000 RUB."""
    t = TP.terms(70_000, 1_010_000, 50_000, 1500, 1, RULES, [(19, 10)], [300_000, 0], [10_000, 1], [0, 100_000])
    assert TP.lowest(t).tolist() == every_kopeck(t).tolist()


# --------------------------------------------------------------------------- both surfaces, one answer

SKUS = [
    ("450g", "20x15x10cm", "2025-12-05", "Car Products", "62CNY", {}),
    ("250g", "20x15x10cm", "2025-12-05", "pharmacy", "40CNY", {"acquiring": D("1.9"), "ads": D("5")}),
    ("1200g", "30x20x15cm", "2025-12-05", "books", "700", {"fx_loss": D("1.2"), "return_rate": D("3")}),
    ("500g", "10x10x10cm", "2022-07-01", "kids", "62CNY", {"acquiring": D("1.9"), "ads": D("5")}),
    # returns and uncollected orders by the row's own rule (destroyed, or back with a surcharge)
    ("250g", "20x15x5cm", "2026-05-01", "pharmacy", "40CNY", {"return_rate": D("7.5"), "not_collected_rate": D(4)}),
    # the border warehouse: a return rule by order value (5000 RUB) and storage
    (
        "900g",
        "30x20x15cm",
        "2026-09-15",
        "pharmacy",
        "400CNY",
        {"scheme": "fbp", "storage_days": 120, "return_rate": D(5), "not_collected_rate": D(3)},
    ),
]


@pytest.mark.parametrize("margin", ["25", "80", "90", "99.9999"])
def test_one_sku_and_the_catalogue_give_the_same_lowest_price(tariffs, margin):
    rows = {k: [] for k in ("sku", "weight_g", "length_mm", "width_mm", "height_mm", "category", "purchase_cost")}
    for i, (w, dims, day, cat, cost, _) in enumerate(SKUS):
        parcel = Parcel.parse(w, dims, date=day)
        for k, v in zip(("weight_g", "length_mm", "width_mm", "height_mm"), (parcel.weight_g, *parcel.dims_mm)):
            rows[k].append(str(v))
        rows["sku"].append(str(i)), rows["category"].append(cat), rows["purchase_cost"].append(cost)
    answers = []
    for i, (w, dims, day, cat, cost, pcts) in enumerate(SKUS):
        money = Money(D(cost), "RUB") if cost.isdigit() else Money(D(cost[:-3]), cost[-3:])
        inp = EconomicsInput(parcel=Parcel.parse(w, dims, date=day), category=cat, purchase_cost=money, **pcts)
        single = reverse_price(tariffs, inp, Target("margin", D(margin)), FX)
        reached = [ln for ln in single.lines if ln.price_minor is not None]
        table = pa.table({k: pa.array(v[i : i + 1], pa.string()) for k, v in rows.items()})
        table = table.append_column("target_margin", pa.array([margin], pa.string()))
        compiled = tariffs.compiled((), pcts.get("scheme", "rfbs"))
        cat_res = cost_catalogue(table, compiled, FX, Options(**pcts), date=day)
        [row] = cat_res.table.to_pylist()
        if not reached:
            assert row["sale_price"] is None and row["no_choice"] == "target_not_reached", (i, margin)
            answers.append(None)
            continue
        low = min(ln.price_minor for ln in reached)
        assert row["sale_price"] == D(low) / 100, (i, margin)
        assert row["service_id"] in {ln.service_id for ln in reached if ln.price_minor == low}
        answers.append(low)
    if margin in ("25", "80"):
        assert any(a is not None for a in answers)  # the comparison held on prices, not only on "none"


def test_reverse_price_work_is_bounded_at_any_margin(tariffs, monkeypatch):
    """Exact prices evaluated per answer: a few hundred (none at 90 %), where the search it replaced tried
    2,000 kopecks in every segment of every service (~350,000 at 90 %)."""
    seen: list[int] = []
    real = TP.gap
    monkeypatch.setattr(TP, "gap", lambda t, i, p: seen.append(len(p)) or real(t, i, p))
    w, dims, day, cat, cost, _ = SKUS[0]
    inp = EconomicsInput(parcel=Parcel.parse(w, dims, date=day), category=cat, purchase_cost=Money(D(62), "CNY"))
    for margin in ("25", "80", "90", "99.9999"):
        seen.clear()
        reverse_price(tariffs, inp, Target("margin", D(margin)), FX)
        assert sum(seen) < 2_000, (margin, sum(seen))
