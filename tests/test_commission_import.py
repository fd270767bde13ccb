"""`ratecalc commissions import`: Ozon's 2025-12-01 workbook export reproduces the built-in table, every
category × six rates, read independently from the CSV here; other encodings, XLSX and bad files."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

from ratecalc.errors import InputError
from ratecalc.money.commission_import import import_file, parse_rows, read_workbook, to_yaml
from ratecalc.money.commissions import table_for

DATA = Path(__file__).parent / "data"
EXPORT = DATA / "Tarifs_CN_01_12_2025_1761720496.utf8.csv"
BUILTIN = Path(__file__).parent.parent / "tariffs" / "economics" / "commissions-2025-12-01.yaml"


def _export_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(EXPORT.read_text(encoding="utf-8"))))


def _export_rates() -> dict[str, set[tuple[D, ...]]]:
    """Per Russian MP category, the distinct six-rate sets of its rows: plain csv, no ratecalc code."""
    rows = _export_rows()[2:]
    out: dict[str, set[tuple[D, ...]]] = collections.defaultdict(set)
    for r in rows:
        out[" ".join(r[6].split())].add(tuple(D(x.rstrip("%")) for x in r[10:16]))
    return out


def test_all_80_categories_and_their_six_rates_come_from_the_export():
    expected = _export_rates()
    assert len(expected) == 80 and all(len(v) == 1 for v in expected.values())
    table = table_for(dt.date(2025, 12, 1))
    assert table.complete and table.confidence == "official"
    got = {c.ru: tuple(c.percent["rfbs"]) + tuple(c.percent["fbp"]) for c in table.categories}
    assert set(got) == set(expected)
    for ru, rates in got.items():
        assert {tuple(D(x) for x in rates)} == expected[ru], ru
    assert table.tiers_rub == [D(1500), D(5000), None]


def test_the_committed_table_is_exactly_what_the_importer_writes():
    assert import_file(EXPORT) == BUILTIN.read_text(encoding="utf-8")


def test_names_are_each_categorys_most_common_and_brand_rows_know_their_categories():
    table = table_for(dt.date(2025, 12, 1))
    by_id = {c.id: c for c in table.categories}
    car = by_id["car-products"]
    assert (car.ru, car.zh, car.en) == ("Автотовары", "汽车用品", "Car Products")
    apple = by_id["apple-devices"]
    assert apple.brand == "Apple" and [str(x) for x in apple.percent["rfbs"]] == ["7", "7", "7"]
    assert {"smartphones-and-tablets", "laptops"} <= set(apple.applies_to)
    assert {c.brand for c in table.categories if c.brand} == {"Apple", "Dyson", "Samsung", "Sony"}


def test_gb18030_export_reads_the_same(tmp_path):
    gb = tmp_path / "Tarifs.csv"
    gb.write_bytes(EXPORT.read_text(encoding="utf-8").encode("gb18030"))
    assert import_file(gb) == import_file(EXPORT).replace(EXPORT.name, gb.name)


def test_xlsx_with_percent_numbers(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Full ChinaHK"
    head = _export_rows()[:2]
    ws.append(head[0])
    ws.append(head[1])
    ws.append(["Фильтр масляный", "机油滤清器", "Oil Filter", "Автофильтры", "汽车滤清器", "Car Filters", "Автотовары"])
    ws.cell(3, 8, "汽车用品")
    ws.cell(3, 9, "Car Products")
    ws.cell(3, 10, "All")
    for j, v in enumerate((0.12, 0.17, 0.17, 0.11, 0.16, 0.16)):
        ws.cell(3, 11 + j, v)
    path = tmp_path / "Tarifs_CN.xlsx"
    wb.save(path)
    text = import_file(path)
    assert "effective_from: 2025-12-01" in text
    assert (
        '{id: car-products, ru: "Автотовары", zh: "汽车用品", en: "Car Products", percent: {rfbs: [12, 17, 17], fbp: [11, 16, 16]}}'
        in text
    )


def test_rows_of_one_category_that_disagree_are_refused():
    head = _export_rows()[:2]
    row = ["t", "", "", "c", "", "", "Автотовары", "汽车用品", "Car Products", "All"]
    a = row + ["12%", "17%", "17%", "11%", "16%", "16%"]
    b = row + ["12%", "18%", "17%", "11%", "16%", "16%"]
    wb = parse_rows(head + [a, b])
    with pytest.raises(InputError, match="different rates, e.g. 'Автотовары'"):
        to_yaml(wb, source="x")


def test_no_start_date_needs_effective_from():
    head = _export_rows()[1:2]
    row = ["t", "", "", "c", "", "", "Книги", "书籍", "Books", "All", "12%", "22%", "22%", "11%", "21%", "21%"]
    wb = parse_rows(head + [row])
    with pytest.raises(InputError, match="--effective-from"):
        to_yaml(wb, source="x")
    assert "effective_from: 2026-05-01" in to_yaml(wb, source="x", effective_from=dt.date(2026, 5, 1))


def test_a_file_without_rate_columns_is_refused(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="no header row with rate columns"):
        read_workbook(bad)


def test_cli_import_writes_a_table_the_loader_takes(tmp_path):
    out = tmp_path / "commissions-2025-12-01.yaml"
    cmd = [
        sys.executable,
        "-c",
        "from ratecalc.cli import main; main()",
        "commissions",
        "import",
        str(EXPORT),
        "-o",
        str(out),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "10,795 rows -> 80 categories" in res.stderr
    assert out.read_text(encoding="utf-8") == BUILTIN.read_text(encoding="utf-8")
    missing = subprocess.run(cmd[:-3] + [str(tmp_path / "nope.csv")], capture_output=True, text=True)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
