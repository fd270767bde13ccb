"""Commission tables: every published figure (users.md §2 A1, A5, B6) and the data's own consistency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ratecalc.errors import InputError
from ratecalc.money.commissions import commission, find_category, table_for
from ratecalc.money.economics_schema import load_commission_tables


def test_a1_five_percent_of_5780():
    """A1: commission 5 %, price 5780 RUB -> 289 RUB; seller income 5491 RUB (kids 兒童用品 is a 5 % row)."""
    r = commission(D("5780"), "兒童用品", dt.date(2022, 7, 1))
    assert (r.percent, r.amount_rub) == (D("5"), D("289.00"))
    assert D("5780") - r.amount_rub == D("5491.00")


@pytest.mark.parametrize(
    "price, scheme, percent",
    [
        ("1500", "rfbs", "12.0"),
        ("1500.01", "rfbs", "14.0"),
        ("1501", "rfbs", "14.0"),
        ("5000", "rfbs", "14.0"),
        ("5001", "rfbs", "18.0"),
        ("1500", "fbp", "11.0"),
        ("5000", "fbp", "13.0"),
        ("5001", "fbp", "17.0"),
    ],
)
def test_a5_pharmacy_tiers_from_2025_12_01(price, scheme, percent):
    r = commission(D(price), "Pharmacy", dt.date(2025, 12, 1), scheme)
    assert r.percent == D(percent)
    assert r.amount_rub == (D(price) * D(percent) / 100).quantize(D("0.01"))


@pytest.mark.parametrize(
    "category, rfbs, fbp",
    [
        ("orthopedics", ["12", "17", "17"], ["11", "16", "16"]),
        ("Adult Products", ["12", "14", "21"], ["11", "13", "20"]),
        ("parapharmaceuticals", ["12", "15", "15"], ["11", "14", "14"]),
        ("E-Cigarette & Heating System Accessories", ["12", "24", "24"], ["11", "23", "23"]),
        ("药店", ["12", "14", "18"], ["11", "13", "17"]),  # B6: 药店 / 医疗器械 -> [12, 14, 18], [11, 13, 17]
    ],
)
def test_a5_rows(category, rfbs, fbp):
    day = dt.date(2026, 3, 1)
    for price, want_r, want_f in zip(("1000", "3000", "9000"), rfbs, fbp):
        assert commission(D(price), category, day, "rfbs").percent == D(want_r)
        assert commission(D(price), category, day, "fbp").percent == D(want_f)


def test_2025_01_two_tiers():
    day = dt.date(2025, 6, 1)
    assert commission(D("1500"), "Underwear & Hosiery", day).percent == D("12")
    assert commission(D("1500.01"), "underwear-hosiery", day).percent == D("22.5")
    assert commission(D("99999"), "Professional Beauty Machines", day, "fbp").percent == D("6.5")


@pytest.mark.parametrize(
    "day, category, percent",
    [
        (dt.date(2021, 6, 15), "服裝、鞋類和配飾", "5"),
        (dt.date(2022, 3, 14), "日用雜貨", "5"),
        (dt.date(2022, 3, 15), "筆記本電腦", "4"),
        (dt.date(2022, 3, 30), "Apple iPhones", "5"),
        (dt.date(2022, 3, 31), "iphones", "3"),
        (dt.date(2022, 7, 31), "Computer hardware", "4"),
        (dt.date(2021, 7, 1), "oral-care", "8"),
        (dt.date(2022, 4, 1), "oral-care", "8"),  # alias into the combined 2022 row
        (dt.date(2022, 4, 1), "電子煙和電子吸煙器", "15"),  # part of a combined Chinese row
    ],
)
def test_archived_tables_by_date(day, category, percent):
    assert commission(D("1000"), category, day).percent == D(percent)


def test_unknown_category_lists_the_closest_ones():
    with pytest.raises(InputError) as exc:
        commission(D("1000"), "Pharmcy", dt.date(2025, 12, 1))
    assert exc.value.field == "category"
    assert "pharmacy (Pharmacy / Аптека / 药店)" in exc.value.message
    assert "pharmacy" in exc.value.limit
    with pytest.raises(InputError, match="none close among its 80 categories; list them with `ratecalc categories"):
        commission(D("1000"), "spaceships", dt.date(2025, 12, 1))


def test_no_table_for_the_date():
    with pytest.raises(InputError, match="no commission table covers 2022-09-01"):
        commission(D("1000"), "books", dt.date(2022, 9, 1))
    with pytest.raises(InputError, match="scheme"):
        commission(D("1000"), "books", dt.date(2022, 5, 1), "fbo")


def test_tables_are_sourced_and_categories_unique_per_table():
    tables = load_commission_tables()
    assert [t.id for t in tables] == sorted(t.id for t in tables)
    for t in tables:
        assert t.sources
        keys = [k for c in t.categories for k in {c.id, c.en.casefold()}]
        assert len(keys) == len(set(keys)), t.id
    assert table_for(dt.date(2022, 3, 15)).id == "cross-border-2022-03-15"
    assert find_category(table_for(dt.date(2021, 6, 15)), "fresh-food").zh == "新鮮食品"
