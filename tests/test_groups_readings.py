"""Conflicting sources as named readings: per-conflict defaults, a user's choice, validation, and which
reading every affected quote says it used. Plus the group-input helpers batch callers reuse.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from exploring import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from ratecalc import Parcel
from ratecalc.errors import InputError, TariffError
from ratecalc.pricing.engine import assign_groups
from ratecalc.pricing.groups import (
    MISSING,
    WRONG_CURRENCY,
    combine_items,
    group_input_error,
    group_input_problems,
    in_group_model,
    require_group_inputs,
)
from ratecalc.pricing.parcels import to_arrays
from ratecalc.pricing.tariffset import TariffSet
from ratecalc.tariffdata.loader import builtin_dir, load_documents
from ratecalc.units import Money

DATE = "2025-10-01"
DEFAULTS = {"group-billing-actual", "max-weight-30kg", "extra-small-sum-under-90"}


def only(quotes, service_id):
    [q] = [q for q in quotes if q.service_id == service_id]
    return q


def uni(tariffs, weight, dims, value, readings=()):
    return only(tariffs.quote(Parcel.parse(weight, dims, date=DATE, value=value), readings=readings), "uni-standard")


# ---------------------------------------------------------------- which reading each quote used


@pytest.mark.parametrize(
    "weight, dims, value, group, used",
    [
        ("300g", "20x15x5cm", "1000RUB", "Extra Small", {"extra-small-sum-under-90"}),
        ("1200g", "20x15x10cm", "1000RUB", "Budget", {"max-weight-30kg"}),
        ("800g", "20x15x10cm", "3000RUB", "Small", set()),
        ("3000g", "50x40x30cm", "5000RUB", "Big", {"group-billing-actual", "max-weight-30kg"}),
        ("1000g", "20x15x10cm", "8000RUB", "Premium Small", set()),
        ("6000g", "60x50x40cm", "8000RUB", "Premium Big", {"group-billing-actual", "max-weight-30kg"}),
    ],
)
def test_every_affected_quote_lists_its_default_readings(tariffs, weight, dims, value, group, used):
    q = uni(tariffs, weight, dims, value)
    assert q.group.name == group
    assert set(q.tariff.readings) == used


def test_choosing_one_alternative_keeps_the_other_defaults(tariffs):
    """The fixed gap: choosing max-weight-25kg must not drop group-billing-actual (Big stays actual)."""
    q = uni(tariffs, "3000g", "50x40x30cm", "5000RUB", readings=["max-weight-25kg"])
    assert set(q.tariff.readings) == {"group-billing-actual", "max-weight-25kg"}
    assert (q.basis, q.price.amount) == ("actual", "111.00")
    xs = uni(tariffs, "300g", "30x30x30cm", "1000RUB", readings=["max-weight-25kg"])
    assert xs.tariff.readings == ["extra-small-sum-under-90"] and xs.status == "ineligible"


def test_two_alternatives_of_different_conflicts_combine(tariffs):
    chosen = ["group-billing-volumetric-12000", "max-weight-25kg"]
    q = uni(tariffs, "6000g", "60x50x40cm", "8000RUB", readings=chosen)
    # Premium Big: 60x50x40 / 12000 = 10 kg -> 62 + 0.028 x 10000
    assert set(q.tariff.readings) == set(chosen)
    assert (q.chargeable_weight_g, q.price.amount) == (10000, "342.00")
    default = uni(tariffs, "6000g", "60x50x40cm", "8000RUB")
    assert (default.chargeable_weight_g, default.price.amount) == (6000, "230.00")


@pytest.mark.parametrize(
    "weight, readings, status",
    [
        ("25000g", (), "ok"),
        ("25001g", (), "ok"),
        ("25000g", ("max-weight-25kg",), "ok"),
        ("25001g", ("max-weight-25kg",), "ineligible"),
        ("27000g", ("max-weight-25kg",), "ineligible"),
    ],
)
def test_max_weight_reading(tariffs, weight, readings, status):
    q = uni(tariffs, weight, "40x30x30cm", "1000RUB", readings=readings)
    assert q.group.name == "Budget" and q.status == status
    if status == "ineligible":
        assert [r.code for r in q.reasons] == ["weight_above_max"] and "25000 g" in q.reasons[0].message


@pytest.mark.parametrize(
    "dims, readings, status",
    [
        ("40x30x19.9cm", (), "ok"),  # 89.9 cm
        ("40x30x20cm", (), "ineligible"),  # exactly 90 cm: "must be less than 90"
        ("40x30x20cm", ("extra-small-sum-up-to-90",), "ok"),
        ("40x30x20.1cm", ("extra-small-sum-up-to-90",), "ineligible"),  # 90.1 cm
        ("60x15x10cm", (), "ok"),  # longest side 60 cm, sum 85
        ("61x15x10cm", (), "ineligible"),  # longest 61 cm
    ],
)
def test_extra_small_sum_of_sides_reading(tariffs, dims, readings, status):
    q = uni(tariffs, "300g", dims, "1000RUB", readings=readings)
    assert q.group.name == "Extra Small" and q.status == status
    expected = "extra-small-sum-up-to-90" if readings else "extra-small-sum-under-90"
    assert q.tariff.readings == [expected]


def test_two_readings_of_one_conflict_are_refused(tariffs):
    with pytest.raises(InputError) as exc:
        tariffs.quote(
            Parcel.parse("300g", "20x15x5cm", date=DATE, value="1000RUB"),
            readings=["max-weight-25kg", "max-weight-30kg"],
        )
    assert exc.value.field == "readings" and "group-max-weight" in exc.value.message


def test_unknown_reading_is_refused(tariffs):
    with pytest.raises(InputError) as exc:
        tariffs.quote(Parcel.parse("300g", "20x15x5cm", date=DATE, value="1000RUB"), readings=["max-weight-40kg"])
    assert exc.value.field == "readings" and "max-weight-25kg" in exc.value.message


def test_usd_era_quotes_use_no_group_reading(tariffs):
    quotes = tariffs.quote(Parcel.parse("400g", "30x20x15cm", date="2022-07-01"), readings=["max-weight-25kg"])
    assert quotes and all("max-weight-25kg" not in q.tariff.readings for q in quotes)


def test_volumetric_threshold_services_say_they_took_the_literal_reading(tariffs):
    quotes = tariffs.quote(Parcel.parse("400g", "30x20x15cm", date="2022-07-01"))
    literal = [q for q in quotes if q.billing.rule == "volumetric_above_threshold"]
    assert literal and all(q.tariff.readings == ["volumetric-above-threshold-literal"] for q in literal)
    others = [q for q in quotes if q.billing.rule != "volumetric_above_threshold"]
    assert all(q.tariff.readings == [] for q in others)


def test_greater_of_reading_never_bills_below_the_actual_weight(tariffs):
    parcel = Parcel.parse("2000g", "40x30x20cm", date="2022-07-01")  # volumetric 4000 g at /6000
    light = Parcel.parse("900g", "30x30x30cm", date="2022-07-01")  # sum 90 cm > 80; volumetric 4500 g /6000
    for p in (parcel, light):
        alt = tariffs.quote(p, readings=["volumetric-above-threshold-greater-of"])
        changed = [q for q in alt if "volumetric-above-threshold-greater-of" in q.tariff.readings]
        assert changed and all(q.chargeable_weight_g >= q.actual_weight_g for q in changed)
        assert all(q.billing.rule == "greater_of" for q in changed)


def test_groups_file_documents_each_conflict_and_its_sources():
    data = yaml.safe_load((builtin_dir() / "ozon-groups.yaml").read_text(encoding="utf-8"))
    version, settled = data["versions"]  # the readings' era, then Ozon's 2026 file (no conflicts left)
    assert not settled.get("readings") and str(settled["effective_from"]) == "2025-12-17"
    conflicts: dict[str, list] = {}
    for r in version["readings"]:
        conflicts.setdefault(r["conflict"], []).append(r)
        assert r["sources"] and r["description"]
    assert set(conflicts) == {"big-group-billing", "group-max-weight", "extra-small-sum-of-sides"}
    for readings in conflicts.values():
        assert len(readings) == 2 and sum(bool(r.get("default")) for r in readings) == 1
    assert {r["id"] for rs in conflicts.values() for r in rs if r.get("default")} == DEFAULTS


# ---------------------------------------------------------------- validation of a groups file


def _broken_copy(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load((builtin_dir() / "ozon-groups.yaml").read_text(encoding="utf-8"))
    mutate(data["versions"][0]["readings"])
    (tmp_path / "groups.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda rs: rs[1].update(default=True), "exactly one default"),  # two defaults for big-group-billing
        (lambda rs: rs[0].update(default=False), "exactly one default"),  # none
        (lambda rs: rs[0].pop("conflict"), "conflict"),
        (lambda rs: rs[0]["groups"][0].update(name="Huge"), "unknown group 'Huge'"),
        (lambda rs: rs[1].update(id=rs[0]["id"]), "reading ids repeat"),
    ],
)
def test_groups_file_is_validated(tmp_path, mutate, message):
    with pytest.raises(TariffError) as exc:
        load_documents([_broken_copy(tmp_path, mutate)])
    assert message in str(exc.value)


# ---------------------------------------------------------------- helpers for batch callers


def test_require_group_inputs_mask_per_row(tariffs):
    parcels = [
        Parcel.parse("300g", "20x15x5cm", date=DATE, value="1000RUB"),
        Parcel.parse("300g", "20x15x5cm", date=DATE),
        Parcel.parse("300g", "20x15x5cm", date=DATE, value="10USD"),
        Parcel.parse("300g", "20x15x5cm", date="2024-12-04"),
        Parcel.parse("300g", "20x15x5cm", date="2024-12-05"),
    ]
    compiled = tariffs.compiled()
    arrays = to_arrays(parcels)
    assert require_group_inputs(compiled, arrays).tolist() == [False, True, True, False, True]
    assert group_input_problems(compiled, arrays).tolist() == [0, MISSING, WRONG_CURRENCY, 0, MISSING]
    assert group_input_error(compiled, arrays, 1).field == "value"
    assert "USD" in group_input_error(compiled, arrays, 2).message
    assert in_group_model(compiled, Parcel.parse("1g", "1x1x1cm", date="2024-12-05").order_date)
    assert not in_group_model(compiled, Parcel.parse("1g", "1x1x1cm", date="2024-12-04").order_date)
    assert require_group_inputs(compiled, to_arrays([])).shape == (0,)


def test_combine_items_sums_weights_and_prices(tariffs):
    grams, price = combine_items([(300, Money(Decimal("900"), "RUB")), (250, Money(Decimal("700.50"), "RUB"))])
    assert (grams, price) == (550, Money(Decimal("1600.50"), "RUB"))
    q = only(
        tariffs.quote(Parcel(grams, (200, 150, 100), Parcel.parse("1g", "1x1x1cm", date=DATE).order_date, price)),
        "uni-standard",
    )
    assert q.group.name == "Small"  # neither item alone would be Small: the sums choose the group
    with pytest.raises(InputError) as exc:
        combine_items([(300, Money(Decimal("900"), "RUB")), (250, Money(Decimal("7"), "USD"))])
    assert exc.value.field == "items[1].price"
    with pytest.raises(InputError):
        combine_items([])


# ---------------------------------------------------------------- group choice against a plain reference

BANDS = [  # (name, price min, price max in kopecks, weight min, weight max): the sources' bands
    ("Extra Small", 100, 150000, 1, 500),
    ("Budget", 100, 150000, 501, 30000),
    ("Small", 150001, 700000, 1, 2000),
    ("Big", 150001, 700000, 2001, 30000),
    ("Premium Small", 700001, 25000000, 1, 5000),
    ("Premium Big", 700001, 25000000, 5001, 30000),
]


def reference_group(kopecks: int, grams: int):
    for name, plo, phi, wlo, whi in BANDS:
        if plo <= kopecks <= phi and wlo <= grams <= whi:
            return name
    return None


@settings(max_examples=examples(100), deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 26_000_000), st.integers(1, 31_000)),
        min_size=1,
        max_size=50,
    )
)
def test_group_choice_matches_the_bands(tariffs, rows):
    compiled = tariffs.compiled()
    parcels = [
        Parcel(grams, (100, 100, 100), Parcel.parse("1g", "1x1x1cm", date=DATE).order_date, Money.from_minor(k, "RUB"))
        for k, grams in rows
    ]
    arrays = to_arrays(parcels)
    epoch_of = compiled.epoch_of(arrays.day)
    groups = compiled.epochs[int(epoch_of[0])].groups
    got = assign_groups(compiled, arrays, epoch_of)
    names = [groups[g].name if g < len(groups) else None for g in got]
    assert names == [reference_group(k, grams) for k, grams in rows]


def test_a_user_layer_can_replace_a_group_era_service(tmp_path):
    """A seller who holds another Leader Standard rate layers it over the built-in one; groups still apply."""
    text = (builtin_dir() / "leader.yaml").read_text(encoding="utf-8")
    mine = text.replace(
        "{group: Extra Small, fixed: 3, per_step: 0.0345,", "{group: Extra Small, fixed: 4, per_step: 0.0345,"
    )
    assert mine != text
    (tmp_path / "leader.yaml").write_text(mine, encoding="utf-8")
    ts = TariffSet.load([tmp_path])
    q = only(ts.quote(Parcel.parse("300g", "20x15x5cm", date=DATE, value="1000RUB")), "leader-standard")
    assert q.price.amount == "14.35" and q.tariff.readings == ["extra-small-sum-under-90"]
