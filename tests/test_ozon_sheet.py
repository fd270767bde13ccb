"""Importing Ozon's rate sheet: the real April 2026 file cell by cell, and a synthetic workbook per irregularity."""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml

from ratecalc import Parcel, TariffSet
from ratecalc.tariffdata.loader import builtin_dir, load_documents
from ratecalc.tariffdata.ozon_sheet import SheetError, date_from_name, known_services, read_sheet, to_documents
from ratecalc.tariffdata.schema import parse_document

DATA = Path(__file__).parent / "data" / "ozon-2026"
APRIL = DATA / "China_scoring_ENG_CN_7_04_26_1775544002.xlsx"
REPO = Path(__file__).resolve().parent.parent


def D(x) -> Decimal:
    return Decimal(str(x))


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "250"}
    env.pop("RATECALC_TARIFFS", None)
    return subprocess.run(
        [sys.executable, "-c", "from ratecalc.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="module")
def april():
    return read_sheet(APRIL)


def test_the_real_april_file_reproduces_every_transcribed_row(april):
    ref = yaml.safe_load((DATA / "rates-2026-04-07.yaml").read_text(encoding="utf-8"))
    assert april.sheet == "中国 rFBS" and april.header_row == ref["meta"]["header_row"]
    assert april.problems == [] and april.skipped_separators == len(ref["meta"]["separator_rows"]["rows"])
    assert len(april.rows) == len(ref["rows"]) == 142
    for got, want in zip(april.rows, ref["rows"]):
        where = f"row {want['sheet_row']}"
        assert got.row == want["sheet_row"], where
        assert (got.group, got.tier, got.carrier, got.method) == (
            want["group"],
            want["tier"],
            want["carrier"],
            want["delivery_method"],
        ), where
        assert got.rating == want["ozon_rating"], where
        assert f"{got.days[0]}-{got.days[1]}" == want["days_dropoff_to_ozon_sc"], where
        assert (got.base, got.per_gram) == (D(want["base_cny"]), D(want["per_gram_cny"])), where
        assert (got.batteries, got.liquids) == (want["battery"], want["liquids"]), where
        assert (got.max_sum_cm, got.max_longest_cm) == (
            D(want["sum_of_sides_max_cm"]),
            D(want["longest_side_max_cm"]),
        ), where
        assert (got.weight_min_g, got.weight_max_g) == (want["weight_min_g"], want["weight_max_g"]), where
        for cur, lo, hi in got.values:
            c = cur.lower()
            assert (lo, hi) == (D(want[f"value_{c}_min"]), D(want[f"value_{c}_max"])), f"{where} {cur}"
        billing = {"actual weight": "actual", "max(actual weight, volumetric weight)": "greater_of"}
        assert got.billing == billing[want["tarification_type"]], where
        assert got.divisor == want["volumetric_divisor"], where
        assert got.loss_cap_rub == D(want["loss_cap_rub"]), where
        assert got.returns == (
            want["reverse_not_collected"],
            want["reverse_before_customs"],
            want["reverse_after_customs"],
        ), where


def test_the_file_name_gives_the_date():
    assert date_from_name(APRIL.name) == dt.date(2026, 4, 7)
    assert date_from_name("China_scoring_ENG_CN_24_07_26_1784197567.xlsx") == dt.date(2026, 7, 24)
    assert date_from_name("rates.xlsx") is None


HEADER_EN = [
    "Scoring Group",
    "Service Level",
    "3PL",
    "Delivery Method",
    "Ozon rating",
    "Time-limits (from PUDO drop-off point to Ozon sorting centre), days",
    "Rates (PUDO drop-off / courier pick-up)",
    "Batteries",
    "Liquids",
    "Measurements, max cm",
    "Shipment weight limit / min g",
    "Shipment weight limit / max g",
    "Shipment cost limit min-max RUB",
    "Shipment cost limit min-max CNY",
    "Shipment cost limit min-max USD",
    "Shipment cost limit min-max EUR",
    "Tarification type",
    "Volumetric weight formula",
    "Loss compensation cap, RUB",
    "Reverse: cancelled shipment not collected at drop-off point",
    "Reverse: cancelled before import customs declaration started",
    "Reverse: cancelled after import customs declaration started",
]


def _row(
    rate="¥3.12 + ¥0.0468/1 g",
    days="5-14",
    size="边长总和 ≤ 90 cm, 长边 ≤ 60 cm",
    rub="1 - 1500",
    cny="0.01 - 135",
    **kw,
):
    cells = {
        "A": "Extra Small",
        "B": "Express",
        "C": "ZTO ",
        "D": "ZTO Express Extra Small",
        "E": 3,
        "F": days,
        "G": rate,
        "H": "forbidden",
        "I": "allowed",
        "J": size,
        "K": 1,
        "L": 500,
        "M": rub,
        "N": cny,
        "O": "0.01 - 20",
        "P": "0.01 - 20",
        "Q": "实际重量",
        "R": "-",
        "S": 1500,
        "T": "无附加费退回",
        "U": "无附加费销毁",
        "V": "无附加费销毁",
    }
    cells.update(kw)
    return [cells[c] for c in "ABCDEFGHIJKLMNOPQRSTUV"]


def _workbook(path: Path, rows: list[list], header_at: int = 3) -> Path:
    wb = openpyxl.Workbook()
    stale = wb.active
    stale.title = "Лист1"
    stale.append(HEADER_EN)
    stale.append(_row(rate="¥99 + ¥9/1 g"))  # a stale table on a hidden sheet must never be read
    stale.sheet_state = "hidden"
    ws = wb.create_sheet("CHINA rFBS")
    for _ in range(header_at - 1):
        ws.append([None])
    ws.append(HEADER_EN)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_every_irregularity_of_the_real_file_reads_as_the_intended_number(tmp_path):
    sep = ["переход"] * 12 + [None] * 4 + ["переход"] * 6
    sep[4] = "h-2"
    rows = [
        _row(rate="￥3.12 + ￥0.0468/1 g"),
        _row(rate="¥2,6 + ¥0,035/1g"),
        _row(rate="¥3.12 + ¥.0.0468/1 g"),
        sep,
        _row(rate="¥3.1+ ¥0.0364/1 g"),
        _row(
            A="Premium Big",
            size="边长总和 ≤ 250 cm, 长边 ≤ 150 cm,",
            rub="7001 - 250 000",
            cny="135. 01 - 635",
            Q="最大实际重量与体积重量",
            R="长 × 宽 × 高 (cm) ÷ 12 000",
            S="250 000",
            K=5001,
            L=30000,
        ),
    ]
    imp = read_sheet(_workbook(tmp_path / "synthetic.xlsx", rows))
    assert imp.problems == [] and imp.sheet == "CHINA rFBS" and imp.header_row == 3 and imp.skipped_separators == 1
    rates = [(r.base, r.per_gram) for r in imp.rows]
    assert rates == [
        (D("3.12"), D("0.0468")),
        (D("2.6"), D("0.035")),
        (D("3.12"), D("0.0468")),
        (D("3.1"), D("0.0364")),
        (D("3.12"), D("0.0468")),
    ]
    assert imp.rows[0].carrier == "ZTO" and imp.rows[0].row == 4  # trailing space gone; true sheet row
    big = imp.rows[-1]
    assert (big.max_sum_cm, big.max_longest_cm) == (D(250), D(150))
    assert dict((c, (lo, hi)) for c, lo, hi in big.values)["RUB"] == (D(7001), D(250000))
    assert dict((c, (lo, hi)) for c, lo, hi in big.values)["CNY"] == (D("135.01"), D(635))
    assert (big.billing, big.divisor, big.loss_cap_rub) == ("greater_of", 12000, D(250000))


@pytest.mark.parametrize(
    "cells, column, words",
    [
        ({"rate": "¥3.12 + 0.0468 per kg"}, "G", "not '¥BASE + ¥PER/1 g'"),
        ({"days": dt.datetime(2026, 5, 14)}, "F", "turned a range like '5-14' into a date"),
        ({"days": "5月14日"}, "F", "into a date"),
        ({"size": "big enough"}, "J", "size limit"),
        ({"rub": "1 to 1500"}, "M", "value limit"),
        ({"H": "maybe"}, "H", "neither allowed"),
        ({"Q": "chargeable"}, "Q", "billing type"),
        ({"Q": "最大实际重量与体积重量", "R": "volumetric"}, "R", "no '÷ DIVISOR'"),
        ({"K": 600}, "K", "above the maximum"),
    ],
)
def test_a_row_that_cannot_be_read_is_reported_with_its_cell(tmp_path, cells, column, words):
    imp = read_sheet(_workbook(tmp_path / "bad.xlsx", [_row(), _row(**cells)]))
    assert len(imp.rows) == 1
    [problem] = imp.problems
    assert (problem.sheet, problem.row, problem.column) == ("CHINA rFBS", 5, column)
    assert words in problem.message
    assert str(problem).startswith(f"CHINA rFBS!{column}5: ")


def test_a_sheet_without_the_header_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["something else"])
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(SheetError, match="no header row"):
        read_sheet(tmp_path / "x.xlsx")


def test_a_changed_column_layout_is_refused_naming_the_column(tmp_path):
    path = _workbook(tmp_path / "moved.xlsx", [_row()])
    wb = openpyxl.load_workbook(path)
    wb["CHINA rFBS"]["G3"] = "Comment"
    wb.save(path)
    with pytest.raises(SheetError, match="column G reads 'Comment'"):
        read_sheet(path)


def test_a_csv_re_save_whose_days_became_dates_is_refused(tmp_path):
    path = tmp_path / "China_scoring_ENG_CN_7_04_26_1775544002.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER_EN, _row(days="5月14日")])
    with pytest.raises(SheetError, match="CSV re-save whose delivery days became dates"):
        read_sheet(path)
    r = cli("tariffs", "import", str(path), "-o", str(tmp_path / "out"))
    assert r.returncode == 2 and "CSV re-save" in r.stderr and not (tmp_path / "out").exists()


def test_cli_refuses_a_bad_row_unless_told_to_skip_it(tmp_path):
    path = _workbook(tmp_path / "China_scoring_ENG_CN_1_12_26_1796083200.xlsx", [_row(), _row(rate="¥ oops")])
    r = cli("tariffs", "import", str(path), "-o", str(tmp_path / "out"))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "CHINA rFBS!G5" in r.stderr and "nothing written" in r.stderr and not (tmp_path / "out").exists()
    r = cli("tariffs", "import", str(path), "-o", str(tmp_path / "out"), "--skip-bad-rows")
    assert r.returncode == 0, r.stderr
    assert "taken from the file name" in r.stderr and "1 bad rows skipped" in r.stdout
    assert (tmp_path / "out" / "zto.yaml").is_file()


def test_an_imported_sheet_layers_over_the_built_in_set_from_its_date(tmp_path):
    out = tmp_path / "imported"
    r = cli("tariffs", "import", str(APRIL), "--effective-from", "2026-12-01", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "142 rows" in r.stdout and "effective from 2026-12-01" in r.stdout
    assert sorted(p.name for p in out.iterdir())[:3] == ["abt.yaml", "atc.yaml", "cel.yaml"]
    text = (out / "cel.yaml").read_text(encoding="utf-8")
    assert "91d76012371e7d6fc6ef331436b25d9bbf81f24468c8195792c6ca58a10d8e18" in text and "source_row:" in text

    ts = TariffSet.load([out])
    parcel = dict(weight="300g", dims="20x15x5cm", value="1000RUB")
    after = {q.service_id: q for q in ts.quote(Parcel.parse(**parcel, date="2026-12-05"))}
    before = {q.service_id: q for q in ts.quote(Parcel.parse(**parcel, date="2026-11-30"))}
    cel = after["cel-express-groups"]
    assert cel.tariff.confidence == "official" and "sha256 91d76012" in cel.tariff.sources[0]
    assert cel.price.amount == "17.16"  # 3.12 + 0.0468 x 300: the April file's CEL Express Extra Small
    assert before["cel-express-groups"].tariff.confidence == "third_party"  # the built-in July set until then
    assert "zto-express" in after and all(q.tariff.confidence == "official" for q in after.values())
    r = cli("tariffs", "check", str(out))
    assert r.returncode == 0, r.stderr


def test_the_import_writes_rows_compact_and_loading_gives_back_every_cell_of_the_sheet(april, tmp_path):
    """Rows state the carrier's own cells; the group's limits, value ranges, billing, loss cap and returns come
    from tariffs/ozon-groups.yaml on load, and are then exactly the cells `to_documents` reads into full rows."""
    out = tmp_path / "imported"
    r = cli("tariffs", "import", str(APRIL), "--effective-from", "2026-12-01", "-o", str(out))
    assert r.returncode == 0, r.stderr
    text = (out / "cel.yaml").read_text(encoding="utf-8")
    assert text.count("group_rules: ozon-groups") == 3
    assert "value_ranges" not in text and "loss_compensation_cap" not in text and "override" not in text
    full = to_documents(april, dt.date(2026, 12, 1), known_services(TariffSet.load().services))
    loaded = [f for f in load_documents([builtin_dir(), out]).files if f.layer == 1]
    assert sorted(f.path.stem for f in loaded) == sorted(full)
    for f in loaded:
        expected = parse_document(full[f.path.stem]).model_dump(exclude_unset=True)
        assert f.document.model_dump(exclude_unset=True) == expected, f.path.name
