"""The page's catalogue: an uploaded CSV or XLSX comes back row for row as `ratecalc economics --input` writes it."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ratecalc import InputError
from ratecalc.files.xlsx import read_sheet, write_book

ROOT = Path(__file__).resolve().parents[1]
HEADER = (
    "sku,weight_g,length_mm,width_mm,height_mm,category,purchase_cost,sale_price,target_margin,packaging,order_date"
)
QUERY = {"fx": "CNY=11.2", "scheme": "rfbs", "return_rate": "5", "date": "2026-08-01"}


def catalogue(n: int) -> str:
    """n SKUs over the July 2026 set: forward and reverse rows, several groups, a few bad lines."""
    cats = ["Car Products", "汽车用品", "Одежда и аксессуары", "Books"]
    lines = [HEADER]
    for i in range(n):
        weight = 120 + (i * 137) % 4800
        mode = f"{900 + (i * 53) % 6000},," if i % 3 else f",{10 + i % 25},"
        lines.append(f"S{i},{weight},{200 + i % 150},{150},{40 + i % 90},{cats[i % 4]},{30 + i % 70}CNY,{mode}5CNY,")
    lines[5] = "S4,-1,200,150,40,Books,30CNY,1000,,,"  # a negative weight
    lines[9] = "S8,300,200,150,40,no such category,30CNY,1000,,,"
    return "\n".join(lines) + "\n"


def cli_rows(tmp_path: Path, text: str) -> tuple[list[str], list[list[str]], list[dict]]:
    src, out = tmp_path / "cli.csv", tmp_path / "cli-out.csv"
    src.write_text(text, encoding="utf-8")
    args = ["economics", "-i", str(src), "-o", str(out), "--fx", QUERY["fx"], "--scheme", "rfbs",
            "--return-rate", "5", "--date", QUERY["date"], "--no-progress"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "ratecalc", *args], capture_output=True, text=True, env=env, cwd=ROOT)
    assert run.returncode in (0, 1), run.stderr
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    errors = list(csv.DictReader((tmp_path / "cli-out.errors.csv").read_text(encoding="utf-8").splitlines()))
    return rows[0], rows[1:], errors


@pytest.fixture(scope="module")
def client():
    from api.app import create_app

    with TestClient(create_app()) as c:
        yield c


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, data: bytes, name: str, **query) -> list[dict]:
    """POST the file as the page's script does: the file as the body, its media type as the browser gives it."""
    media = XLSX if name.endswith(".xlsx") else "text/csv"
    r = client.post(
        "/catalogue", params={"name": name, **QUERY, **query}, content=data, headers={"content-type": media}
    )
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines()]


def test_an_uploaded_csv_comes_back_as_the_command_line_writes_it(client, tmp_path):
    text = catalogue(600)  # more rows than one slice: progress is reported between slices
    header, rows, errors = cli_rows(tmp_path, text)
    messages = upload(client, text.encode(), "mine.csv")
    progress = [m for m in messages if m["type"] == "progress"]
    [result] = [m for m in messages if m["type"] == "result"]
    assert [m["done"] for m in progress] == sorted(m["done"] for m in progress) and len(progress) >= 3
    assert progress[-1]["done"] == progress[-1]["total"] == 600
    assert result["header"] == header and result["rows"] == rows  # row for row, every column
    assert [(e["line"], e["column"]) for e in result["errors"]] == [(e["line"], e["column"]) for e in errors]
    assert ("6", "weight_g") in [(e["line"], e["column"]) for e in result["errors"]]
    assert result["summary"]["failed"] == 2 and result["summary"]["reasons"]
    saved = list(csv.reader(base64.b64decode(result["csv"]).decode().splitlines()))
    assert saved == [header, *rows]
    book = read_sheet(base64.b64decode(result["xlsx"]))
    assert book.header == header and len(book.rows) == len(rows)
    i = header.index("profit_rub")
    assert [float(r[i] or 0) for r in book.rows] == [float(r[i] or 0) for r in rows]


def test_an_uploaded_xlsx_comes_back_as_the_command_line_writes_its_csv(client, tmp_path):
    text = catalogue(40)
    header, rows, errors = cli_rows(tmp_path, text)
    table = list(csv.reader(io.StringIO(text)))
    data = write_book(table[0], table[1:], numeric=("weight_g", "length_mm", "width_mm", "height_mm"))
    [result] = [m for m in upload(client, data, "mine.xlsx") if m["type"] == "result"]
    assert result["header"] == header and result["rows"] == rows
    assert [(e["line"], e["column"]) for e in result["errors"]] == [(e["line"], e["column"]) for e in errors]


def test_a_file_over_the_limit_is_refused_with_a_pointer_to_the_cli_and_api(client):
    big = (HEADER + "\n" + "x,1,1,1,1,Books,1CNY,1,,,\n" * 200_000).encode()
    r = client.post("/catalogue", params={"name": "big.csv"}, content=big, headers={"content-type": "text/csv"})
    assert r.status_code == 413
    assert "ratecalc economics --input" in r.json()["message"] and "POST /v1/economics/batch" in r.json()["message"]
    many = (HEADER + "\n" + "x,100,10,10,10,Books,1CNY,100,,,\n" * 5_001).encode()
    [error] = [m for m in upload(client, many, "many.csv") if m["type"] == "error"]
    assert "5,000" in error["message"] and "ratecalc economics --input" in error["message"]


def test_a_file_that_is_not_a_catalogue_is_said_so(client):
    r = client.post(
        "/catalogue", params={"name": "x.pdf"}, content=b"%PDF", headers={"content-type": "application/pdf"}
    )
    assert r.status_code == 415
    [error] = [m for m in upload(client, b"not a workbook", "x.xlsx", lang="zh") if m["type"] == "error"]
    assert "无法读取文件" in error["message"]


@pytest.mark.parametrize("lang", ["en", "zh", "ru"])
def test_the_templates_are_catalogues_the_page_prices(client, lang):
    csv_text = client.get("/catalogue/template.csv", params={"lang": lang}).text
    book = client.get("/catalogue/template.xlsx", params={"lang": lang}).content
    assert csv_text.splitlines()[0] == HEADER
    for data, name in ((csv_text.encode(), "t.csv"), (book, "t.xlsx")):
        [result] = [m for m in upload(client, data, name, lang=lang) if m["type"] == "result"]
        assert result["summary"] == {**result["summary"], "rows": 2, "costed": 2, "failed": 0}


def test_the_page_states_the_limit_and_offers_the_templates(client):
    page = client.get("/", params={"lang": "ru"}).text
    assert "до 2,0 МБ и 5\u00a0000 строк" in page
    assert 'href="/catalogue/template.xlsx?lang=ru"' in page and 'href="/catalogue/template.csv?lang=ru"' in page


def test_bad_lines_are_said_in_the_pages_language_and_the_files_keep_the_librarys_words(client):
    text = HEADER + "\nS1,-5,200,150,40,Books,30CNY,1000,,,\n"
    [result] = [m for m in upload(client, text.encode(), "c.csv", lang="zh") if m["type"] == "result"]
    assert [(e["line"], e["column"], e["reason"]) for e in result["errors"]] == [("2", "weight_g", "不能为负数")]
    assert result["summary"]["reasons"] == [["weight_g: 不能为负数", 1]]
    assert "must not be negative" in base64.b64decode(result["errors_csv"]).decode()


def _with_sheet_part(book: bytes, change) -> bytes:
    """The workbook with its first sheet's XML changed by `change` (bytes -> bytes)."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(book))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, change(data) if info.filename == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


def test_an_uploaded_workbook_declaring_entities_is_refused_before_it_is_parsed():
    book = write_book(["sku", "weight_g"], [["a", "100"]], numeric=("weight_g",))
    laughs = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    hostile = _with_sheet_part(book, lambda xml: laughs + xml.split(b"?>", 1)[-1])
    with pytest.raises(InputError) as refused:
        read_sheet(hostile)
    assert refused.value.field == "input" and "DTD" in refused.value.message


def test_an_uploaded_workbook_understating_its_size_is_read_to_its_last_row():
    import re

    book = write_book(["sku", "weight_g"], [[f"s{i}", str(100 + i)] for i in range(50)], numeric=("weight_g",))
    understated = _with_sheet_part(
        book, lambda xml: re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:B5"/>', xml)
    )
    sheet = read_sheet(understated)
    assert len(sheet.rows) == 50 and sheet.rows[-1] == ["s49", "149"]
