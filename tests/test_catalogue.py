"""Catalogue economics (`ratecalc economics --input`): one row per SKU of mixed categories, the same kopecks as
the single-SKU `economics` / `reverse_price`, bad rows in the errors file, exit codes as `ratecalc batch`."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ratecalc.files.catalogue import Options, cost_catalogue
from ratecalc.money.economics import EconomicsInput, Target, economics, reverse_price
from ratecalc.money.fx import build_chain
from ratecalc.pricing.parcels import Parcel
from ratecalc.units import Money

DAY = "2025-12-05"
FX = ["CNY=11.5"]
CLI = [sys.executable, "-c", "from ratecalc.cli import main; main()"]
HEADER = ["sku", "weight_g", "length_mm", "width_mm", "height_mm", "category", "brand", "purchase_cost"]
HEADER += ["sale_price", "target_margin", "target_profit", "order_date"]
ROWS = [
    ["A", "250", "200", "150", "100", "Car Products", "", "40CNY", "3000", "", "", DAY],
    ["B", "450", "200", "150", "100", "Аптека", "", "62CNY", "1499", "", "", DAY],
    ["C", "450", "200", "150", "100", "汽车用品", "", "62CNY", "", "20", "", DAY],
    ["D", "1200", "300", "200", "150", "books", "", "700", "", "", "500", DAY],
    ["E", "300", "150", "100", "50", "smartphones-and-tablets", "Apple", "300CNY", "9000", "", "", DAY],
    ["F", "900", "250", "200", "100", "Одежда и аксессуары", "", "80CNY", "", "35%", "", DAY],
]
BAD = [
    ["X1", "450", "200", "150", "100", "spaceships", "", "62CNY", "1000", "", "", DAY],
    ["X2", "-5", "200", "150", "100", "pharmacy", "", "62CNY", "1000", "", "", DAY],
    ["X3", "300", "200", "150", "100", "pharmacy", "", "62CNY", "", "", "", DAY],
    ["X4", "300", "200", "150", "100", "pharmacy", "", "62USD", "1000", "", "", DAY],
]


def _table(rows) -> pa.Table:
    return pa.table({h: pa.array([r[i] for r in rows], pa.string()) for i, h in enumerate(HEADER)})


def _write(path: Path, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def _single(tariffs, r):
    sku, w, l_, wd, h, cat, brand, cost, price, margin, profit, day = r
    parcel = Parcel.parse(f"{w}g", f"{l_}x{wd}x{h}mm", date=day)
    money = Money(D(cost), "RUB") if cost.replace(".", "").isdigit() else Money(D(cost[:-3]), cost[-3:])
    inp = EconomicsInput(parcel=parcel, category=cat, purchase_cost=money, brand=brand or None)
    chain = build_chain(FX, cbr=False)
    if price:
        return economics(tariffs, inp, price, chain, cliffs=False)
    target = Target("margin", D(margin.rstrip("%"))) if margin else Target("profit", D(profit))
    return reverse_price(tariffs, inp, target, chain)


@pytest.mark.parametrize("day", [DAY, "2026-05-01"])
def test_each_sku_matches_the_single_sku_answer_to_the_kopeck(tariffs, day):
    rows = [r[:-1] + [day] for r in ROWS]
    res = cost_catalogue(_table(rows), tariffs.compiled(()), build_chain(FX, cbr=False), Options())
    out = res.table.to_pylist()
    assert [o["sku"] for o in out] == [r[0] for r in rows] and not len(res.errors)
    assert all(o["service_id"] for o in out)
    for r, o in zip(rows, out):
        single = _single(tariffs, r)
        if r[8]:  # forward: the most profitable line
            best = single.lines[0]
            assert o["service_id"] == best.service_id, r[0]
            assert o["profit_rub"] == D(best.profit_rub) / 100
            assert o["commission_rub"] == D(best.commission_rub) / 100
            assert o["ozon_fee_rub"] == D(best.ozon_fee_rub) / 100
            assert o["sale_price"] == D(r[8])
        else:  # reverse: the lowest price over every service
            reached = [x for x in single.lines if x.price_minor is not None]
            low = min(x.price_minor for x in reached)
            assert o["sale_price"] == D(low) / 100, r[0]
            assert o["service_id"] in {x.service_id for x in reached if x.price_minor == low}
            line = next(x.line for x in reached if x.service_id == o["service_id"])
            assert o["profit_rub"] == D(line.profit_rub) / 100


def test_commission_columns_show_rate_brand_and_confidence(tariffs):
    out = cost_catalogue(_table(ROWS), tariffs.compiled(()), build_chain(FX, cbr=False), Options()).table
    rows = {r["sku"]: r for r in out.to_pylist()}
    assert (rows["A"]["category"], rows["A"]["commission_pct"]) == ("car-products", D("17.00"))
    assert (rows["E"]["category"], rows["E"]["brand"], rows["E"]["commission_pct"]) == (
        "apple-devices",
        "Apple",
        D("7.00"),
    )
    assert {r["commission_confidence"] for r in rows.values()} == {"official"}
    row = [ROWS[0][:-1] + ["2026-09-15"]]  # the FBP lanes held start on 2026-07-24
    fbp = cost_catalogue(_table(row), tariffs.compiled((), "fbp"), build_chain(FX, cbr=False), Options(scheme="fbp"))
    assert fbp.table.to_pylist()[0]["commission_pct"] == D("16.00")


def test_bad_rows_go_to_errors_with_row_column_and_reason(tariffs):
    res = cost_catalogue(_table(ROWS + BAD), tariffs.compiled(()), build_chain(FX, cbr=False), Options())
    assert res.table.num_rows == len(ROWS)
    errs = res.errors.to_arrow().to_pylist()
    by_row = {e["row"]: e for e in errs}
    n = len(ROWS)
    assert by_row[n]["column"] == "category" and "unknown category 'spaceships'" in by_row[n]["reason"]
    assert by_row[n + 1]["column"] == "weight_g"
    assert by_row[n + 2]["column"] == "sale_price" and "exactly one of" in by_row[n + 2]["reason"]
    assert by_row[n + 3]["column"] == "purchase_cost" and "needs a USD rate" in by_row[n + 3]["reason"]


def test_cli_file_in_file_out_exit_codes_and_parquet(tmp_path):
    good = _write(tmp_path / "good.csv", ROWS)
    out = tmp_path / "out.parquet"
    cmd = CLI + ["economics", "--input", str(good), "-o", str(out), "--fx", "CNY=11.5", "--no-progress"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    table = pq.read_table(out)
    assert table.column("sku").to_pylist() == [r[0] for r in ROWS]
    assert {"service_id", "carrier_id", "price", "currency", "days_min", "profit_rub", "margin_pct", "roi_pct"} <= set(
        table.column_names
    )
    assert not (tmp_path / "out.errors.csv").exists() and "errors: none" in res.stderr  # as `batch`
    mixed = _write(tmp_path / "mixed.csv", ROWS + BAD)
    res = subprocess.run(CLI + ["economics", "--input", str(mixed), "-o", str(tmp_path / "m.csv"), "--fx", "CNY=11.5", "--no-progress"], capture_output=True, text=True)  # fmt: skip
    assert res.returncode == 1 and "6 costed, 4 failed" in res.stderr
    assert len((tmp_path / "m.errors.csv").read_text().strip().splitlines()) == 1 + len(BAD)
    nocat = tmp_path / "nocat.csv"
    nocat.write_text("weight_g,length_mm,width_mm,height_mm,purchase_cost,sale_price\n300,100,100,100,10,1000\n")
    res = subprocess.run(CLI + ["economics", "--input", str(nocat), "-o", str(tmp_path / "n.csv")], capture_output=True, text=True)  # fmt: skip
    assert res.returncode == 2 and "no 'category' column" in res.stderr
    res = subprocess.run(CLI + ["economics", "--input", str(nocat), "-o", str(tmp_path / "n.csv"), "--category", "books", "--date", DAY, "--no-progress"], capture_output=True, text=True)  # fmt: skip
    assert res.returncode == 0, res.stderr


def test_old_column_spellings_are_read_and_a_declared_value_is_refused(tariffs):
    t = _table(ROWS[:1]).rename_columns([{"purchase_cost": "cost", "sale_price": "price"}.get(c, c) for c in HEADER])
    out = cost_catalogue(t, tariffs.compiled(()), build_chain(FX, cbr=False), Options()).table
    assert out.num_rows == 1 and out.column("sale_price").to_pylist() == [D("3000.00")]
    with pytest.raises(Exception, match="sale price is the declared price"):
        cost_catalogue(t.append_column("declared_value", pa.array(["1"])), tariffs.compiled(()), None, Options())


def test_empty_catalogue_gives_an_empty_output_with_the_columns(tmp_path):
    src = _write(tmp_path / "empty.csv", [])
    out = tmp_path / "e.csv"
    res = subprocess.run(CLI + ["economics", "--input", str(src), "-o", str(out), "--date", DAY, "--no-progress"], capture_output=True, text=True)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert out.read_text().startswith('"row","sku","category"')


def test_money_columns_are_never_read_from_floats(tariffs):
    t = _table(ROWS[:1]).drop_columns(["sale_price"]).append_column("sale_price", pa.array([3000.0]))
    with pytest.raises(Exception, match="never read from a float"):
        cost_catalogue(t, tariffs.compiled(()), build_chain(FX, cbr=False), Options())


def test_each_row_names_its_commission_table(tariffs):
    out = cost_catalogue(_table(ROWS[:1]), tariffs.compiled(()), build_chain(FX, cbr=False), Options()).table
    assert out.column("commission_table").to_pylist() == ["cross-border-2025-12-01"]


def test_economics_columns_can_be_mapped_like_parcel_columns(tariffs):
    t = _table(ROWS[:1]).rename_columns([{"category": "Kategorie", "weight_g": "Gewicht"}.get(c, c) for c in HEADER])
    res = cost_catalogue(
        t,
        tariffs.compiled(()),
        build_chain(FX, cbr=False),
        Options(),
        mapping={"category": "Kategorie", "weight_g": "Gewicht"},
    )
    assert res.table.column("category").to_pylist() == ["car-products"]


def test_a_malformed_line_is_one_error_with_its_line_number(tmp_path):
    src = _write(tmp_path / "bad.csv", ROWS[:2])
    src.write_text(src.read_text() + 'Z,"unclosed,300\n' + ",".join(ROWS[0]) + "\n")
    out = tmp_path / "o.csv"
    res = subprocess.run(CLI + ["economics", "--input", str(src), "-o", str(out), "--fx", "CNY=11.5", "--no-progress"], capture_output=True, text=True)  # fmt: skip
    assert res.returncode == 1, res.stderr
    errs = list(csv.DictReader(io.StringIO((tmp_path / "o.errors.csv").read_text())))
    assert len(errs) == 1 and errs[0]["line"] == "4" and errs[0]["column"] == ""
    assert [r["sku"] for r in csv.DictReader(io.StringIO(out.read_text()))] == ["A", "B", "A"]
