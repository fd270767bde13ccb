"""The vectorized engine against the simple reference pricer, over random parcels and dates.

Dates and sizes are drawn with a bias towards the places where rules change (every effective date and
the day before it; sums of sides at every threshold -1/0/+1 mm), where a misreading would hide.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecalc import Money, Parcel
from reference import RefParcel, reference_quote

BLOCKING_CODES = {
    "delivery_type_unavailable",
    "weight_above_max",
    "weight_below_min",
    "dimensions_above_max",
    "sum_of_sides_above_max",
    "longest_side_above_max",
    "declared_value_above_max",
    "batteries_forbidden",
    "liquids_forbidden",
}


def _interesting(tariffs):
    dates, thresholds = set(), set()
    for svc in tariffs.services:
        for v in svc.model.versions:
            for d in (v.effective_from, v.effective_until):
                if d is not None:
                    dates |= {d - dt.timedelta(days=1), d, d + dt.timedelta(days=1)}
            t = v.billing.threshold_sum_cm
            if t is not None:
                thresholds.add(int(t * 10))
            if v.limits.max_sum_cm is not None:
                thresholds.add(int(v.limits.max_sum_cm * 10))
    return sorted(dates), sorted(thresholds) or [600]


@st.composite
def parcels(draw, dates, thresholds):
    if draw(st.booleans()):
        day = draw(st.sampled_from(dates))
    else:
        day = draw(st.dates(dt.date(2021, 1, 1), dt.date(2027, 12, 31)))
    if draw(st.booleans()):
        total = draw(st.sampled_from(thresholds)) + draw(st.integers(-1, 1))
        a = draw(st.integers(1, max(1, total - 2)))
        b = draw(st.integers(1, max(1, total - a - 1)))
        c = total - a - b
        dims = (a, b, c) if c >= 1 else (a, b, 1)
    else:
        dims = tuple(draw(st.integers(1, 2000)) for _ in range(3))
    weight = draw(
        st.one_of(
            st.integers(1, 40_000),
            st.sampled_from([1, 99, 100, 101, 199, 200, 201, 500, 501, 1000, 1001, 2000, 2001, 25_000, 25_001]),
        )
    )
    value = draw(
        st.one_of(
            st.none(),
            st.tuples(
                st.decimals(min_value=0, max_value=400_000, places=2, allow_nan=False),
                st.sampled_from(["RUB", "CNY", "USD"]),
            ),
        )
    )
    return RefParcel(
        weight_g=weight,
        dims_mm=dims,
        day=day,
        delivery=draw(st.sampled_from(["pickup_point", "courier"])),
        value=value,
        battery=draw(st.booleans()),
        liquid=draw(st.booleans()),
    )


def _to_parcel(p: RefParcel) -> Parcel:
    return Parcel(
        weight_g=p.weight_g,
        dims_mm=p.dims_mm,
        order_date=p.day,
        declared_value=None if p.value is None else Money(Decimal(p.value[0]), p.value[1]),
        delivery=p.delivery,
        battery=p.battery,
        liquid=p.liquid,
    )


def _ungrouped(version) -> bool:
    return all(r.group is None for r in version.rates)


def test_engine_matches_reference(tariffs):
    dates, thresholds = _interesting(tariffs)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(parcels(dates, thresholds), min_size=1, max_size=12))
    def check(batch):
        # Only parcels the group model does not need a price for (tested separately with groups).
        quotes = tariffs.quote_many([_to_parcel(p) for p in batch]) if _quotable(tariffs, batch) else None
        if quotes is None:
            return
        for parcel, got in zip(batch, quotes):
            by_id = {q.service_id: q for q in got}
            for svc in tariffs.services:
                ref = reference_quote(svc.model, parcel)
                version = next((v for v in svc.model.versions if v.covers(parcel.day)), None)
                if ref is None:
                    assert svc.id not in by_id, f"{svc.id} quoted outside its dates on {parcel.day}"
                    continue
                if not _ungrouped(version):
                    continue
                q = by_id[svc.id]
                where = f"{svc.id} {parcel}"
                assert q.chargeable_weight_g == ref.chargeable_g, where
                assert q.volumetric_weight_g == ref.volumetric_g, where
                assert q.status == ref.status, f"{where}: {q.reasons}"
                got_codes = [r.code for r in q.reasons if r.code in BLOCKING_CODES | {"rate_unpublished"}]
                assert sorted(got_codes) == sorted(ref.codes), where
                if ref.price is None:
                    assert q.price is None
                else:
                    assert (Decimal(q.price.amount), q.price.currency) == (ref.price, ref.currency), where

    check()


def _quotable(tariffs, batch) -> bool:
    from ratecalc.errors import InputError

    try:
        tariffs.quote_many([_to_parcel(p) for p in batch])
    except InputError:
        return False
    return True


def test_one_parcel_is_a_batch_of_one(tariffs):
    batch = [
        Parcel.parse("250g", "20x15x10cm", date="2022-05-20"),
        Parcel.parse("1.5kg", "40x30x20cm", date="2023-06-10", delivery="courier"),
        Parcel.parse("26kg", "160x20x20cm", date="2023-04-30", battery=True),
    ]
    together = tariffs.quote_many(batch)
    for parcel, quotes in zip(batch, together):
        assert tariffs.quote(parcel) == quotes
