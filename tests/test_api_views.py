"""What a person meets over HTTP: GET /v1/curves, the page at `/`, /docs with no CDN, readable errors."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from test_api import make_settings, only_error, problem

from api import create_app

PARCEL = {"weight": "400g", "dims": "30x20x15cm", "value": "1000RUB", "date": "2025-10-01"}


@pytest.fixture(scope="module")
def client(tariffs):
    with TestClient(create_app(make_settings(), tariffs=tariffs)) as c:
        yield c


def test_curves_give_every_service_a_price_per_grid_weight_and_the_bands(client):
    r = client.get("/v1/curves", params=PARCEL)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["weight_g"] == 400 and 400 in body["weights_g"] and body["weights_g"][-1] == 5000
    assert all(len(s["prices"]) == len(body["weights_g"]) for s in body["series"])
    assert [b["service_id"] for b in body["cheapest"]["bands"]] == ["guoo-economy", "rets-economy"]
    assert body["cheapest"]["compared_in"] == "CNY"
    assert body["fastest"]["bands"][0]["service_id"] == "tanais-express"


def test_curves_at_the_parcel_weight_equal_the_quotes_route(client):
    body = client.get("/v1/curves", params=PARCEL).json()
    k = body["weights_g"].index(400)
    at_parcel = {s["service_id"]: s["prices"][k] for s in body["series"]}
    quotes = client.post("/v1/quotes", json=PARCEL).json()["quotes"]
    assert {q["service_id"]: q["price"]["amount"] if q["price"] else None for q in quotes} == at_parcel


def test_curves_grid_is_set_by_weight_max_and_step(client):
    body = client.get("/v1/curves", params={**PARCEL, "weight_max": "1kg", "step_g": 100}).json()
    assert body["weights_g"] == [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]


def test_curves_errors_name_the_query_parameter(client):
    no_value = {k: v for k, v in PARCEL.items() if k != "value"}
    err = only_error(problem(client.get("/v1/curves", params=no_value), 422))
    assert err["path"] == "query.value" and "--" not in err["message"]
    err = only_error(problem(client.get("/v1/curves", params={**PARCEL, "step_g": 1, "weight_max": "1000kg"}), 422))
    assert err["path"] == "query.step_g" and err["limit"] == 2000


def test_a_weight_that_is_not_a_weight_is_explained_in_words_not_a_regex(client):
    err = only_error(problem(client.post("/v1/quotes", json={**PARCEL, "weight": "abc"}), 422))
    assert err["path"] == "$.weight" and "write it like 1.2kg" in err["message"]
    assert "\\d" not in err["message"] and "^" not in err["message"]
    err = only_error(problem(client.get("/v1/curves", params={**PARCEL, "dims": "big"}), 422))
    assert err["path"] == "query.dims" and "30x20x10cm" in err["message"]


def test_api_errors_speak_json_paths_not_cli_flags(client):
    body = problem(client.post("/v1/quotes", json={k: v for k, v in PARCEL.items() if k != "value"}), 422)
    assert only_error(body)["path"] == "$.value"
    assert "--" not in body["detail"]
    batch = client.post("/v1/quotes/batch", json={"parcels": [{k: v for k, v in PARCEL.items() if k != "value"}]})
    item = batch.json()["results"][0]
    assert item["status"] == "error" and "--" not in item["error"]["detail"]


def test_docs_are_served_from_the_app_without_a_cdn(client):
    r = client.get("/docs")
    assert r.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert urls and all(u.startswith("/") for u in urls), urls
    assert "cdn" not in r.text.lower()
    for u in urls:
        assert client.get(u).status_code == 200, u


def test_the_page_answers_a_shared_link_with_the_table_chart_and_bands(client):
    r = client.get("/", params=PARCEL)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert 'id="quotes"' in html and "<svg" in html and 'class="strip wide"' in html
    assert 'data-service="guoo-economy"' in html and "12.40 CNY" in html
    assert re.search(r'id="f-weight"[^>]*value="400g"', html)
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html


def test_the_empty_page_defaults_the_date_to_today_and_gives_an_example(client):
    import datetime as dt

    html = client.get("/").text
    assert f'value="{dt.date.today().isoformat()}"' in html and "weight=400g" in html


def test_a_bad_field_is_shown_next_to_it_with_422(client):
    r = client.get("/", params={**PARCEL, "weight": "1lb"})
    assert r.status_code == 422
    assert 'id="e-weight"' in r.text and "unknown weight unit" in r.text


def test_the_page_is_not_served_when_the_api_needs_a_token(tariffs):
    with TestClient(create_app(make_settings(api_token="secret"), tariffs=tariffs)) as c:
        assert c.get("/").status_code == 404
        assert c.get("/docs").status_code == 200


def test_economics_takes_the_fields_the_readme_names_old_spellings_included(client):
    base = {"weight": "250g", "dims": "20x15x10cm", "date": "2025-12-05", "category": "pharmacy", "fx": {"CNY": "11.5"}}
    new = client.post(
        "/v1/economics", json={**base, "purchase_cost": "40CNY", "sale_price": "1560", "acquiring_pct": "1.9"}
    )
    old = client.post("/v1/economics", json={**base, "cost": "40CNY", "price": "1560", "acquiring": "1.9%"})
    assert new.status_code == old.status_code == 200, old.text
    assert new.json()["result"]["lines"] == old.json()["result"]["lines"]
    reverse = client.post("/v1/economics", json={**base, "cost": "40CNY", "target_margin": "25%"})
    assert reverse.status_code == 200 and reverse.json()["mode"] == "reverse"


def test_the_page_lists_each_service_that_cannot_carry_the_parcel_with_its_reason(client):
    html = client.get("/", params={"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01"}).text
    assert re.search(
        r'data-service="xingyuan-small"><b>Xingyuan Small</b>: weight 400 g exceeds the maximum 200 g', html
    )


def test_the_page_orders_by_days_when_asked(client):
    html = client.get("/", params={**PARCEL, "sort": "days"}).text
    assert re.findall(r'<tr class="quote" data-service="([^"]+)"', html)[0] == "tanais-express"


def test_a_date_without_published_rates_says_so_instead_of_an_empty_chart(client):
    html = client.get("/", params={**PARCEL, "date": "2025-01-15"}).text
    assert "No service has a published price" in html and "No chart: no service has a price" in html
    assert "No rates are held for orders on 2025-01-15" in html  # the tariff set's coverage notice
    assert "change the order date above" in html and "--date" not in html
    assert 'class="chart' not in html


def test_the_page_warns_when_the_date_is_long_after_the_newest_rates_held(client):
    late = client.get("/", params={**PARCEL, "date": "2026-11-30"}).text  # 129 days after the July 2026 set
    assert "may be out of date" in late and "ratecalc tariffs import" in late
    assert "may be out of date" not in client.get("/", params=PARCEL).text
