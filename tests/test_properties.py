"""Properties every service must have, whatever its data: monotone prices, honest rounding."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from exploring import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from ratecalc import Money, Parcel

DAYS = st.dates(dt.date(2021, 6, 1), dt.date(2027, 6, 30))
SIDES = st.tuples(*(st.integers(10, 1600) for _ in range(3)))


def _parcel(weight, dims, day):
    # a declared price keeps the group model (from 2024-12-05) quotable; 1000 RUB = one band
    return Parcel(weight_g=weight, dims_mm=dims, order_date=day, declared_value=Money(Decimal(1000), "RUB"))


@settings(max_examples=examples(120), deadline=None)
@given(st.integers(1, 30_000), st.integers(1, 5_000), SIDES, DAYS)
def test_price_never_decreases_with_weight(tariffs, weight, extra, dims, day):
    light = {q.service_id: q for q in tariffs.quote(_parcel(weight, dims, day))}
    heavy = {q.service_id: q for q in tariffs.quote(_parcel(weight + extra, dims, day))}
    for sid, a in light.items():
        b = heavy[sid]
        same_rate = a.group == b.group and a.tariff == b.tariff
        if a.price and b.price and same_rate:
            assert Decimal(b.price.amount) >= Decimal(a.price.amount), sid
        assert b.chargeable_weight_g >= a.chargeable_weight_g or not same_rate, sid


@settings(max_examples=examples(120), deadline=None)
@given(st.integers(1, 30_000), SIDES, DAYS)
def test_chargeable_weight_is_honest(tariffs, weight, dims, day):
    for q in tariffs.quote(_parcel(weight, dims, day)):
        b = q.billing
        if b.rule in ("actual", "greater_of") and b.rounding_direction == "up":
            assert q.chargeable_weight_g >= q.actual_weight_g, q.service_id
        if b.rule == "greater_of" and q.basis == "greater_of":
            assert q.chargeable_weight_g >= q.volumetric_weight_g, q.service_id
        if not b.min_billable_g or q.chargeable_weight_g > b.min_billable_g:
            assert q.chargeable_weight_g % b.rounding_step_g == 0, q.service_id
        if q.volumetric_weight_g is None:
            assert b.rule == "actual"
