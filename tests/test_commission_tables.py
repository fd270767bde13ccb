"""The earlier 2025 tables reproduce the reference file row by row, with each row's confidence and what
was derived; dates without a table are refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml

from ratecalc.errors import InputError
from ratecalc.money.commissions import commission, table_for

REFERENCE = yaml.safe_load((Path(__file__).parent / "data" / "ozon-commissions-reference.yaml").read_text("utf-8"))
TABLES = {t["id"]: t for t in REFERENCE["tables"]}


@pytest.mark.parametrize(
    "day, ref, n, tiers",
    [
        (dt.date(2025, 1, 3), "cn_2025-01-03", 98, [D(1500), None]),
        (dt.date(2025, 8, 5), "cn_2025-08-05_partial", 10, [D(1500), D(5000), None]),
    ],
)
def test_every_row_and_its_confidence_comes_from_the_reference(day, ref, n, tiers):
    table = table_for(day)
    assert table.tiers_rub == tiers and len(table.categories) == n
    by_zh = {c.zh: c for c in table.categories}
    for scheme in ("rFBS", "FBP"):
        for row in TABLES[f"{ref}_{scheme}"]["categories"]:
            cat = by_zh[row["zh"]]
            assert [D(str(t["percent"])) for t in row["tiers"]] == cat.percent[scheme.lower()], row["zh"]
            want = {"high": "official", "low": "third_party"}[row["confidence"]]
            assert (cat.confidence or table.confidence) == want, row["zh"]
            if scheme == "FBP" and row.get("derived"):
                assert "FBP derived" in (cat.derived or ""), row["zh"]


def test_official_rows_and_low_rows_say_so_in_the_answer():
    official = commission(D("2000"), "Clothing & Accessories", dt.date(2025, 6, 1), "fbp")
    assert (official.percent, official.confidence) == (D("19.5"), "official")
    low = commission(D("2000"), "三星微波炉", dt.date(2025, 6, 1), "fbp")
    assert (low.percent, low.confidence) == (D("12"), "third_party") and "FBP derived" in (low.category.derived or "")
    assert commission(D("1500"), "underwear-hosiery", dt.date(2025, 6, 1)).percent == D("12")  # old id kept


def test_beauty_block_from_2025_08_05_and_nothing_else_guessed():
    assert commission(D("6000"), "Underwear & Hosiery", dt.date(2025, 9, 1)).percent == D("22.5")
    with pytest.raises(InputError, match="partial"):
        commission(D("1000"), "Toys", dt.date(2025, 9, 1))
    with pytest.raises(InputError, match="no commission table covers 2025-11-15"):
        commission(D("1000"), "Footwear", dt.date(2025, 11, 15))
