"""The page's money part: a link with the API's names answers with exactly the numbers of POST /v1/economics."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from fastapi.testclient import TestClient
from test_i18n import english_left

PARCEL = {"weight": "1.2kg", "dims": "30x20x10cm", "value": "1500RUB", "date": "2026-08-01"}
MONEY = {"category": "Car Products", "purchase_cost": "62CNY", "fx": "CNY=11.2", "return_rate": "5"}
API = {k: v for k, v in PARCEL.items() if k != "value"} | {"category": "Car Products", "purchase_cost": "62CNY",
                                                           "fx": {"CNY": "11.2"}, "return_rate": "5"}  # fmt: skip


@pytest.fixture(scope="module")
def client():
    from api.app import create_app

    with TestClient(create_app()) as c:
        yield c


def rows(page: str) -> list[dict[str, str]]:
    """The money table's rows as their data-* attributes (the exact decimal strings the page was given)."""
    out = []
    for attrs in re.findall(r'<tr class="econ"([^>]*)>', page):
        out.append({k: htmllib.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', attrs)})
    return out


def api_lines(client, body: dict) -> list[tuple[str, dict]]:
    r = client.post("/v1/economics", json=body)
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    if r.json()["mode"] == "forward":
        return [(ln["service_id"], ln | {"price": result["sale_price_rub"]}) for ln in result["lines"]]
    return [
        (ln["service_id"], ln["economics"] | {"price": ln["price_rub"]}) for ln in result["lines"] if ln["price_rub"]
    ]


def expanded(page_rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {sid: r for r in page_rows for sid in r["services"].split()}


@pytest.mark.parametrize("mode", [{"sale_price": "1600"}, {"target_margin": "25"}, {"target_profit": "300"}])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_money_part_shows_exactly_what_the_api_answers(client, mode, lang):
    page = client.get("/", params={**PARCEL, **MONEY, **mode, "lang": lang})
    assert page.status_code == 200
    shown = expanded(rows(page.text))
    answer = api_lines(client, API | mode)
    assert shown and set(shown) == {sid for sid, _ in answer}  # every costed service, none twice
    for sid, ln in answer:
        row, rub = shown[sid], ln["rub"]
        assert (row["price"], row["carrier"], row["commission"], row["ozon-fee"], row["returns"], row["profit"]) == (
            ln["price"], rub["carrier"], rub["commission"], rub["ozon_fee"], rub["returns"], rub["profit"],
        )  # fmt: skip
        assert (row["margin"], row["roi"]) == (ln["margin_pct"], ln["roi_pct"] or "")


def test_services_that_tie_share_one_money_row(client):
    page = client.get("/", params={**PARCEL, **MONEY, "sale_price": "1600"}).text
    found = rows(page)
    assert len(found) == 3 and len(found[0]["services"].split()) == 10  # Economy in the Small group at 1600 RUB
    assert "Cliffs nearby" in page and "1500.00 RUB" in page  # the group boundary under the price


def test_the_money_part_speaks_the_pages_language_and_takes_categories_in_it(client):
    for lang, category in (("zh", "汽车用品"), ("ru", "Автотовары")):
        page = client.get("/", params={**PARCEL, **MONEY, "category": category, "target_margin": "25", "lang": lang})
        assert page.status_code == 200 and rows(page.text)
        assert f'<option value="{category}">' in page.text  # the suggestions are in the page's language
        assert english_left(page.text) == [], lang


def test_a_bad_money_field_is_explained_next_to_it(client):
    page = client.get("/", params={**PARCEL, **MONEY, "sale_price": "12,5,0", "lang": "ru"})
    assert page.status_code == 422
    assert 'id="e-sale_price"' in page.text and "это не цена в рублях" in page.text
    page = client.get("/", params={**PARCEL, **MONEY, "category": "no such thing", "sale_price": "1600"})
    assert page.status_code == 422 and 'id="e-category"' in page.text


def test_a_link_without_money_fields_asks_nothing_of_the_economics(client):
    page = client.get("/", params=PARCEL).text
    assert 'id="economics"' not in page and 'id="f-sale_price"' in page
