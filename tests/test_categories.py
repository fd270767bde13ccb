"""Commission categories as people name them (Russian, Chinese, English, any case, or the slug), brand rows,
the closest matches for an unknown name, and `ratecalc categories`."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal as D

import pytest

from ratecalc.errors import InputError
from ratecalc.money.commissions import commission, find_category, resolve, search, table_for

DAY_2026 = dt.date(2026, 3, 1)
CLI = [sys.executable, "-c", "from ratecalc.cli import main; main()"]


@pytest.mark.parametrize(
    "name", ["Car Products", "car products", "CAR-PRODUCTS", "Автотовары", "автотовары", "汽车用品"]
)
def test_car_products_on_a_2026_date_costs_17_rfbs_and_16_fbp_by_any_name(name):
    rfbs = commission(D("3000"), name, DAY_2026, "rfbs")
    fbp = commission(D("3000"), name, DAY_2026, "fbp")
    assert rfbs.category.id == fbp.category.id == "car-products"
    assert (rfbs.percent, rfbs.amount_rub) == (D("17"), D("510.00"))
    assert (fbp.percent, fbp.amount_rub) == (D("16"), D("480.00"))
    assert rfbs.confidence == "official" and rfbs.tier_label == "1500.01–5000 RUB"


def test_a_full_name_wins_over_a_part_of_a_chinese_name():
    table = table_for(dt.date(2025, 12, 1))
    assert find_category(table, "家具").id == "furniture"  # not kids-electronics-furniture-accessories (…、家具、…)


def test_unknown_name_lists_the_closest():
    table = table_for(dt.date(2025, 12, 1))
    with pytest.raises(InputError) as exc:
        find_category(table, "electronics")
    assert exc.value.field == "category"
    assert "closest:" in exc.value.message and "electronics-accessories" in exc.value.limit


def test_search_finds_by_a_part_in_any_language():
    table = table_for(dt.date(2025, 12, 1))
    assert "car-products" in [c.id for c in search(table, "авто")]
    assert "car-products" in [c.id for c in search(table, "汽车")]
    assert len(search(table, "")) == 80


def test_brand_rows_apply_to_their_categories_only():
    table = table_for(dt.date(2025, 12, 1))
    cat, note = resolve(table, "Smartphones & Tablets", "apple")
    assert cat.id == "apple-devices" and note is None
    assert commission(D("30000"), "smartphones-and-tablets", DAY_2026, "fbp", brand="Apple").percent == D("6")
    assert commission(D("30000"), "smartphones-and-tablets", DAY_2026, "rfbs", brand="Samsung").percent == D("8")
    books = commission(D("3000"), "books", DAY_2026, brand="Apple")
    assert books.percent == D("22") and "no Apple brand row for books" in (books.note or "")
    with pytest.raises(InputError, match="dyson-accessories.*dyson-devices"):
        resolve(table, "household-electronic-appliances", "Dyson")
    with pytest.raises(InputError, match="brand"):
        resolve(table, "apple-devices", "Samsung")


def test_dates_without_a_table_are_refused_in_plain_words():
    with pytest.raises(InputError) as exc:
        commission(D("1000"), "books", dt.date(2024, 12, 10))
    msg = exc.value.message
    assert "no commission table covers 2024-12-10" in msg and "2025-01-03..2025-08-04, 2025-08-05..2025-10-31" in msg
    assert "ratecalc commissions import" in msg


def test_categories_command_searches_and_shows_tiers():
    res = subprocess.run(CLI + ["categories", "汽车", "--date", "2026-03-01", "--json"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["table"] == "cross-border-2025-12-01" and doc["tiers_rub"] == ["≤ 1500", "1500.01–5000", "> 5000"]
    car = next(c for c in doc["categories"] if c["id"] == "car-products")
    assert car["percent"] == {"rfbs": ["12", "17", "17"], "fbp": ["11", "16", "16"]} and car["confidence"] == "official"
    none = subprocess.run(CLI + ["categories", "zzzqqq", "--date", "2026-03-01"], capture_output=True, text=True)
    assert none.returncode == 1 and "no category matches" in none.stderr


@pytest.mark.parametrize("name", ["Car Products", "Автотовары", "汽车用品"])
def test_economics_cli_on_a_2026_date_shows_the_commission(name):
    base = CLI + ["economics", "-w", "250g", "-d", "20x15x10cm", "--category", name, "--price", "3000"]
    base += ["--purchase-cost", "40CNY", "--fx", "CNY=11.5", "--date", "2026-03-01"]
    for scheme, pct, rub in (("rfbs", "17.00", "510.00"), ("fbp", "16.00", "480.00")):
        res = subprocess.run(base + ["--scheme", scheme, "--json"], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        com = json.loads(res.stdout)["commission"]
        assert (com["category"], com["percent"], com["amount_rub"], com["confidence"]) == (
            "car-products",
            pct,
            rub,
            "official",
        )
