"""The page at `/` in a real browser (headless Chromium) against a real server (`ratecalc serve`).

A seller types a parcel and presses Enter; the table must show exactly the API's prices, the chart must
be drawn, the link must reproduce the answer, back must return to the previous answer, and the page
must fit a phone. Screenshots land in test-artifacts/ (desktop and phone) for a person to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from browser import Browser, find_chromium
from procs import stop

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("RATECALC_TEST_ARTIFACTS", ROOT / "test-artifacts"))
PARCEL = {"weight": "400g", "dims": "30x20x15cm", "value": "1000RUB", "date": "2025-10-01"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    port = _free_port()
    env = {**os.environ, "RATECALC_API_TOKEN": "", "RATECALC_ADMIN_TOKEN": "", "PYTHONPATH": str(ROOT)}
    env.pop("RATECALC_TARIFFS", None)
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise AssertionError("the server did not become ready")
        time.sleep(0.2)
    yield url
    stop(proc)
    log.close()


@pytest.fixture(scope="module")
def browser():
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    b = Browser(binary)
    yield b
    b.close()


# every service the table names (a tie's row names several), with the row's exact amount and currency
TABLE = """[...document.querySelectorAll('#quotes tr.quote')].flatMap(tr => tr.dataset.services.split(' ').map(
  id => [id, tr.querySelector('.price').dataset.amount + ' ' + tr.querySelector('.price').dataset.currency]))
  .sort((a, b) => a[0] < b[0] ? -1 : 1)"""


def _api_prices(base_url: str, parcel: dict) -> list[list[str]]:
    r = httpx.post(base_url + "/v1/quotes", json=parcel, timeout=30)
    assert r.status_code == 200, r.text
    return sorted(
        [q["service_id"], f"{q['price']['amount']} {q['price']['currency']}"]
        for q in r.json()["quotes"]
        if q["status"] == "ok"
    )


def _fill_and_submit(b: Browser, parcel: dict) -> None:
    b.type_into("#f-weight", parcel["weight"])
    b.type_into("#f-dims", parcel["dims"])
    b.js(f"document.querySelector('#f-date').value = '{parcel['date']}'")
    b.type_into("#f-value", parcel["value"])
    b.press_enter()  # keyboard only: Enter in the last field submits


def test_a_seller_fills_the_form_and_sees_the_apis_prices_and_a_chart(base_url, browser):
    browser.viewport(1280, 900)
    browser.goto(base_url + "/")
    assert browser.js("document.querySelector('#quotes')") is None  # nothing asked yet
    _fill_and_submit(browser, PARCEL)

    query = parse_qs(urlparse(browser.js("location.href")).query)
    for field, value in PARCEL.items():
        assert query[field] == [value]  # the link carries the API's field names

    shown = browser.js(TABLE)
    assert shown and shown == _api_prices(base_url, PARCEL)

    drawn = browser.js(
        """(() => { const svg = document.querySelector('svg.chart.wide'); const box = svg.getBoundingClientRect();
        const curves = [...svg.querySelectorAll('path.curve')].filter(p => p.getTotalLength() > 50);
        return {width: box.width, height: box.height, curves: curves.length,
                parcel: svg.querySelectorAll('line.parcel').length,
                bands: document.querySelectorAll('svg.strip.wide rect.band').length}; })()"""
    )
    assert drawn["width"] > 600 and drawn["height"] > 200
    assert drawn["curves"] == len(shown) and drawn["parcel"] == 1 and drawn["bands"] >= 1  # a curve per service
    bands = browser.js("[...document.querySelectorAll('#bands li')].map(li => li.dataset.service)")
    assert bands[0] == "guoo-economy"  # cheapest up to 500 g at this size and price
    browser.screenshot(ARTIFACTS / "web-desktop.png")


def test_a_shared_link_opens_filled_and_answered(base_url, browser):
    link = base_url + "/?" + "&".join(f"{k}={v}" for k, v in PARCEL.items())
    browser.goto(link)
    assert browser.js("document.querySelector('#f-weight').value") == "400g"
    assert browser.js(TABLE) == _api_prices(base_url, PARCEL)


def test_back_returns_to_the_previous_answer(base_url, browser):
    browser.goto(base_url + "/?" + "&".join(f"{k}={v}" for k, v in PARCEL.items()))
    first = browser.js(TABLE)
    _fill_and_submit(browser, {**PARCEL, "weight": "2kg"})
    second = browser.js(TABLE)
    assert second != first and second == _api_prices(base_url, {**PARCEL, "weight": "2kg"})
    browser.back()
    assert browser.js("document.querySelector('#f-weight').value") == "400g"
    assert browser.js(TABLE) == first


def test_the_page_fits_a_phone(base_url, browser):
    browser.viewport(390, 844, mobile=True)
    try:
        browser.goto(base_url + "/?" + "&".join(f"{k}={v}" for k, v in PARCEL.items()))
        overflow = browser.js("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1
        # the narrow drawing is the one shown, and it fills the width without overflowing
        shown = browser.js("[...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().width)")
        assert shown[0] == 0 and 300 < shown[1] <= 390
        browser.screenshot(ARTIFACTS / "web-phone.png")
    finally:
        browser.viewport(1280, 900)


def test_a_bad_weight_is_explained_next_to_its_field(base_url, browser):
    browser.goto(base_url + "/?weight=abc&dims=30x20x15cm&value=1000RUB&date=2025-10-01")
    message = browser.js("document.querySelector('#e-weight').textContent")
    assert "write it like 1.2kg" in message
    assert browser.js("document.querySelector('#f-weight').getAttribute('aria-invalid')") == "true"


def test_the_api_docs_render_from_the_apps_own_assets(base_url, browser):
    browser.viewport(1280, 900)
    browser.goto(base_url + "/docs")
    operations = browser.wait_for("document.querySelectorAll('.opblock').length", timeout=60)
    assert operations >= 8
    loaded = browser.js("performance.getEntriesByType('resource').map(r => r.name)")
    assert loaded and all(url.startswith(base_url) for url in loaded), loaded
    browser.screenshot(ARTIFACTS / "docs.png")
