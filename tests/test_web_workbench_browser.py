"""The seller's workbench in a real browser (headless Chromium) against a real server, in zh, ru and en:
no English label left in Chinese or Russian, ties as one row, the money part equal to POST /v1/economics,
an uploaded CSV and XLSX equal row for row to `ratecalc economics --input`, shared links and back/forward.

Screenshots land in test-artifacts/ (desktop and phone, each language) for a person to look at.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from test_i18n import NAMES
from test_web_browser import ARTIFACTS, ROOT, base_url, browser  # noqa: F401  (the server and the browser)

from ratecalc.files.xlsx import write_book

PARCEL = {"weight": "1.2kg", "dims": "30x20x10cm", "value": "1500RUB", "date": "2026-08-01"}
MONEY = {"category": "Car Products", "purchase_cost": "62CNY", "fx": "CNY=11.2", "return_rate": "5"}
CATEGORY = {"en": "Car Products", "zh": "汽车用品", "ru": "Автотовары"}

# the visible words of the page (innerText: what a reader sees, hidden parts and scripts excluded)
LEFT = """(() => { const names = new Set(%s);
  const words = document.body.innerText.match(/[A-Za-z][A-Za-z()]+/g) || [];
  return [...new Set(words.filter(w => !names.has(w.replace(/[()]/g, '')) && !/^\\(?M\\)?SDS$/.test(w)))]; })()"""


def _page(b, base: str, query: dict) -> None:
    b.goto(base + "/?" + urlencode(query))


def _english_left(b) -> list[str]:
    b.js("document.querySelectorAll('details').forEach(d => d.open = true)")  # what opens is read too
    b.js("document.querySelectorAll('.json a').forEach(a => a.hidden = true)")  # a URL of the API, not words
    return b.js(LEFT % json.dumps(sorted(NAMES)))


@pytest.mark.parametrize("lang", ["zh", "ru"])
def test_no_english_label_is_left_in_chinese_or_russian(base_url, browser, lang):  # noqa: F811
    browser.viewport(1280, 900)
    _page(browser, base_url, {**PARCEL, **MONEY, "category": CATEGORY[lang], "target_margin": "25", "lang": lang})
    assert browser.js("document.documentElement.lang").startswith(lang)
    assert _english_left(browser) == []
    _page(browser, base_url, {"lang": lang})  # the empty form too
    assert _english_left(browser) == []


def test_the_english_page_is_found_english_by_the_same_check(base_url, browser):  # noqa: F811
    _page(browser, base_url, PARCEL)
    assert {"Compare", "Weight"} <= set(_english_left(browser))


def test_ties_are_one_row_that_opens_to_what_differs(base_url, browser):  # noqa: F811
    _page(browser, base_url, {**PARCEL, "lang": "en"})
    rows = browser.js(
        "[...document.querySelectorAll('#quotes tr.quote')].map(tr => tr.dataset.services.split(' ').length)"
    )
    assert rows == [8, 10, 4]
    browser.js("document.querySelector('#quotes tr.members details').open = true")
    differ = browser.js(
        "[...document.querySelectorAll('#quotes tr.members table.differ thead th')].map(t => t.textContent)"
    )
    assert differ[0] == "Service" and {"Batteries", "Liquids"} <= set(differ)
    assert browser.js("document.querySelector('#bands li').dataset.tied.split(' ').length") >= 7


def _economics(base: str, body: dict) -> dict[str, dict]:
    r = httpx.post(base + "/v1/economics", json=body, timeout=60)
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    if r.json()["mode"] == "forward":
        return {
            ln["service_id"]: {
                "price": result["sale_price_rub"],
                "profit": ln["rub"]["profit"],
                "carrier": ln["rub"]["carrier"],
                "margin": ln["margin_pct"],
            }
            for ln in result["lines"]
        }
    return {ln["service_id"]: {"price": ln["price_rub"], "profit": ln["economics"]["rub"]["profit"],
                               "carrier": ln["economics"]["rub"]["carrier"], "margin": ln["economics"]["margin_pct"]}
            for ln in result["lines"] if ln["price_rub"]}  # fmt: skip


SHOWN = """Object.fromEntries([...document.querySelectorAll('#economics tr.econ')].flatMap(tr =>
  tr.dataset.services.split(' ').map(id => [id, {price: tr.dataset.price, profit: tr.dataset.profit,
  carrier: tr.dataset.carrier, margin: tr.dataset.margin}])))"""


@pytest.mark.parametrize("lang", ["en", "zh", "ru"])
def test_the_money_part_equals_the_api_for_the_same_query(base_url, browser, lang):  # noqa: F811
    browser.viewport(1280, 900)
    for mode in ({"sale_price": "1600"}, {"target_margin": "25"}):
        _page(browser, base_url, {**PARCEL, **MONEY, "category": CATEGORY[lang], **mode, "lang": lang})
        body = {k: v for k, v in PARCEL.items() if k != "value"} | MONEY | {"category": CATEGORY[lang]} | mode
        body["fx"] = {"CNY": "11.2"}
        assert browser.js(SHOWN) == _economics(base_url, body)
    browser.js("document.querySelector('#money').scrollIntoView()")
    browser.screenshot(ARTIFACTS / f"money-target-{lang}-desktop.png")


def test_a_typed_money_query_is_a_link_and_back_returns_to_the_previous_answer(base_url, browser):  # noqa: F811
    _page(browser, base_url, {**PARCEL, "lang": "ru"})
    assert browser.js("document.querySelector('#economics')") is None
    browser.type_into("#f-category", "Автотовары")
    browser.type_into("#f-purchase_cost", "62CNY")
    browser.type_into("#f-fx", "CNY=11.2")
    browser.type_into("#f-target_margin", "25")
    browser.press_enter()
    link = browser.js("location.href")
    assert "target_margin=25" in link and "lang=ru" in link and "category=" in link
    answered = browser.js(SHOWN)
    assert answered
    browser.back()
    assert browser.js("document.querySelector('#economics')") is None
    browser.goto(link)  # the shared link opens filled and answered
    assert browser.js("document.querySelector('#f-target_margin').value") == "25"
    assert browser.js(SHOWN) == answered


HEADER = (
    "sku,weight_g,length_mm,width_mm,height_mm,category,purchase_cost,sale_price,target_margin,packaging,order_date"
)


def _catalogue_text() -> str:
    lines = [HEADER]
    for i in range(30):
        mode = f"{900 + i * 97},," if i % 2 else f",{15 + i % 20},"
        cat = ("Car Products", "汽车用品", "Одежда и аксессуары")[i % 3]
        lines.append(f"S{i},{150 + i * 131},{200 + i * 3},150,{40 + i},{cat},{30 + i}CNY,{mode}5CNY,")
    lines.append("BAD,-5,200,150,40,Books,30CNY,1000,,,")
    return "\n".join(lines) + "\n"


def _cli(tmp: Path, text: str) -> list[list[str]]:
    src, out = tmp / "in.csv", tmp / "out.csv"
    src.write_text(text, encoding="utf-8")
    args = ["economics", "-i", str(src), "-o", str(out), "--fx", "CNY=11.2", "--date", PARCEL["date"],
            "--return-rate", "5", "--no-progress"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "ratecalc", *args], capture_output=True, text=True, env=env, cwd=ROOT)
    assert run.returncode == 1, run.stderr  # the bad line
    return list(csv.reader(out.read_text(encoding="utf-8").splitlines()))


def _upload(b, path: Path) -> None:
    b.js("document.querySelector('#catalogue').dataset.state = ''")
    b.set_files("#f-file", [path])
    b.click("#upload button[type=submit]")
    deadline = time.monotonic() + 120
    while b.js("document.querySelector('#catalogue').dataset.state") in ("", "pricing"):
        assert time.monotonic() < deadline, "the upload did not finish"
        time.sleep(0.2)
    assert b.js("document.querySelector('#catalogue').dataset.state") == "done", b.js(
        "document.querySelector('#upload-status').textContent"
    )


DOWNLOADED = "fetch(document.querySelector('#dl-csv').href).then(r => r.text())"


@pytest.mark.parametrize("lang", ["en", "zh", "ru"])
def test_an_uploaded_csv_and_xlsx_come_back_as_the_command_line_writes_them(base_url, browser, tmp_path, lang):  # noqa: F811
    text = _catalogue_text()
    expected = _cli(tmp_path, text)
    table = list(csv.reader(io.StringIO(text)))
    xlsx = tmp_path / "catalogue.xlsx"
    xlsx.write_bytes(write_book(table[0], table[1:], numeric=("weight_g", "length_mm", "width_mm", "height_mm")))
    (tmp_path / "catalogue.csv").write_text(text, encoding="utf-8")
    browser.viewport(1280, 900)
    _page(browser, base_url, {**PARCEL, **MONEY, "lang": lang})
    for path in (tmp_path / "catalogue.csv", xlsx):
        _upload(browser, path)
        got = list(csv.reader(browser.js(DOWNLOADED).splitlines()))
        assert got == expected, path.name  # row for row, every column, as `ratecalc economics --input`
        shown = browser.js("document.querySelector('#catalogue-table').dataset.rows")
        assert int(shown) == len(expected) - 1
        lines = browser.js("[...document.querySelectorAll('#bad-lines tbody tr')].map(tr => tr.dataset.line)")
        assert lines == ["32"]  # the bad line, by its line in the file (the header is line 1)
    # the table sorts: by profit, highest first after two clicks
    browser.js("document.querySelector('#catalogue-table th[data-column=profit_rub]').click()")
    browser.js("document.querySelector('#catalogue-table th[data-column=profit_rub]').click()")
    col = browser.js(
        "[...document.querySelectorAll('#catalogue-table thead th')].findIndex(th => th.dataset.column === 'profit_rub')"
    )
    profits = browser.js(
        f"[...document.querySelectorAll('#catalogue-table tbody tr')].map(tr => Number(tr.children[{col}].textContent))"
    )
    assert profits == sorted(profits, reverse=True)
    browser.js("document.querySelector('#catalogue').scrollIntoView()")
    browser.screenshot(ARTIFACTS / f"catalogue-{lang}-desktop.png")


@pytest.mark.parametrize("lang", ["en", "zh", "ru"])
def test_every_part_fits_a_phone(base_url, browser, tmp_path, lang):  # noqa: F811
    browser.viewport(390, 844, mobile=True)
    try:
        _page(browser, base_url, {**PARCEL, **MONEY, "category": CATEGORY[lang], "target_margin": "25", "lang": lang})
        browser.js("document.querySelectorAll('details').forEach(d => d.open = true)")
        # nothing wider than the phone: no sideways scrolling, and no layout viewport grown past 390
        assert browser.js("[document.documentElement.scrollWidth, window.innerWidth]") == [390, 390]
        browser.screenshot(ARTIFACTS / f"workbench-{lang}-phone.png")
        path = tmp_path / "c.csv"
        path.write_text(_catalogue_text(), encoding="utf-8")
        _upload(browser, path)
        assert browser.js("[document.documentElement.scrollWidth, window.innerWidth]") == [390, 390]
        browser.js("document.querySelector('#catalogue').scrollIntoView()")
        browser.screenshot(ARTIFACTS / f"catalogue-{lang}-phone.png")
    finally:
        browser.viewport(1280, 900)


@pytest.mark.parametrize("lang", ["en", "zh", "ru"])
def test_desktop_screenshots_of_the_ties(base_url, browser, lang):  # noqa: F811
    browser.viewport(1280, 900)
    _page(browser, base_url, {**PARCEL, "lang": lang})
    browser.js("document.querySelector('#quotes tr.members details').open = true")
    assert browser.js("document.documentElement.scrollWidth - window.innerWidth") <= 1
    browser.screenshot(ARTIFACTS / f"ties-{lang}-desktop.png")
