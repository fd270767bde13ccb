"""Quotes built from engine arrays without a validation pass are exactly what validation would produce."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from ratecalc import Parcel, TariffSet
from ratecalc.pricing.compact import compact
from ratecalc.pricing.result import ServiceQuote, sort_quotes
from ratecalc.units import Money

DATES = ["2022-07-01", "2023-07-19", "2024-12-05", "2025-10-01", "2026-01-10"]


@pytest.fixture(scope="module")
def tariffs() -> TariffSet:
    return TariffSet.load()


def _parcels(n: int, seed: int = 5) -> list[Parcel]:
    rnd = random.Random(seed)
    out = []
    for k in range(n):
        value = None if k % 7 == 0 else Money.from_minor(rnd.randint(1, 600_000), "RUB" if k % 5 else "USD")
        if value is None and k % 14 == 0:
            day = dt.date(2023, 7, 19)  # no price needed before the group model
        else:
            day = dt.date.fromisoformat(rnd.choice(DATES))
        if value is None or value.currency != "RUB":
            day = min(day, dt.date(2024, 12, 4))
        out.append(
            Parcel(
                weight_g=rnd.randint(1, 40_000),
                dims_mm=(rnd.randint(10, 1600), rnd.randint(10, 900), rnd.randint(1, 700)),
                order_date=day,
                declared_value=value,
                delivery=rnd.choice(["pickup_point", "courier"]),
                battery=rnd.random() < 0.2,
                liquid=rnd.random() < 0.1,
            )
        )
    return out


def test_every_quote_built_without_validation_equals_its_validated_copy(tariffs):
    parcels = _parcels(300)
    statuses = set()
    for quotes in tariffs.quote_many(parcels):
        assert quotes, "every parcel is quoted by the services in force"
        for q in quotes:
            statuses.add(q.status)
            again = ServiceQuote.model_validate(q.model_dump(exclude_unset=True))
            assert again == q
            assert again.model_dump_json() == q.model_dump_json()
            assert q.model_fields_set == again.model_fields_set
    assert statuses == {"ok", "unpriced", "ineligible"}


def test_a_single_quote_built_without_validation_equals_its_validated_copy(tariffs):
    """`TariffSet.quote` builds from the one-parcel engine path: same contract as the bulk path above."""
    statuses = set()
    for parcel in _parcels(300, seed=6):
        quotes = tariffs.quote(parcel)
        assert quotes == sort_quotes(quotes)
        for q in quotes:
            statuses.add(q.status)
            again = ServiceQuote.model_validate(q.model_dump(exclude_unset=True))
            assert again == q
            assert repr(again) == repr(q), "fields in declaration order"
            assert again.model_dump_json() == q.model_dump_json()
    assert statuses == {"ok", "unpriced", "ineligible"}


def test_bulk_quotes_are_sorted_as_sort_quotes_and_equal_one_at_a_time(tariffs):
    parcels = _parcels(200, seed=9)
    for parcel, bulk in zip(parcels, tariffs.quote_many(parcels)):
        assert bulk == sort_quotes(bulk)
        assert bulk == tariffs.quote(parcel)


def test_shared_parts_of_a_quote_cannot_be_changed_in_place(tariffs):
    q = tariffs.quote(Parcel.parse("400g", "30x20x15cm", date="2022-07-01"))[0]
    with pytest.raises(Exception, match="frozen"):
        q.billing.divisor = 1  # type: ignore[misc]
    with pytest.raises(Exception, match="frozen"):
        q.tariff.effective_from = None  # type: ignore[misc]


def test_the_compact_answer_built_from_the_engine_equals_the_compact_form_of_the_full_quotes(tariffs):
    """`TariffSet.quote_compact` skips the `ServiceQuote`s; it must say exactly what `compact(q)` says of
    them, field for field and in the same key order (the HTTP answer's bytes), over every status, epoch,
    group, confidence filter and the reason codes that depend on a declared value or a group."""
    seen: set[tuple[str, ...]] = set()
    for k, parcel in enumerate(_parcels(600, seed=11)):
        level = (None, "official", "third_party")[k % 3]
        direct = tariffs.quote_compact(parcel, min_confidence=level)
        via_models = [compact(q) for q in tariffs.quote(parcel, min_confidence=level)]
        assert direct == via_models
        assert [list(d) for d in direct] == [list(d) for d in via_models], "same key order"
        for d in direct:
            seen.add((d["status"], *d.get("reasons", ()), *d.get("warnings", ())))
    statuses = {s[0] for s in seen}
    codes = {c for s in seen for c in s[1:]}
    assert statuses == {"ok", "unpriced", "ineligible"}
    assert {
        "rate_unpublished",
        "no_shipment_group",
        "no_rate_for_group",
        "declared_value_unchecked",
        "weight_above_max",
        "billed_weight_below_actual",
    } <= codes, codes
