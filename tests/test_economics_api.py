"""POST /v1/economics through the real app (in-process): forward, reverse, and 422 problems naming the field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import Settings, create_app

BODY = {
    "weight": "500g",
    "dims": "10x10x10cm",
    "date": "2022-07-01",
    "category": "kids",
    "purchase_cost": "62CNY",
    "packaging": {"amount": "5", "currency": "CNY"},
    "acquiring_pct": "1.9",
    "fx_loss_pct": "1.2%",
    "ads_pct": "5",
    "return_rate_pct": "3",
    "fx": {"USD": "51.158", "CNY": "7.6415"},
}


@pytest.fixture(scope="module")
def client():
    settings = Settings(
        api_token=None, admin_token=None, cors_origins=[], max_batch=100, tariff_dirs=[], builtin_tariffs=True
    )
    with TestClient(create_app(settings)) as c:
        yield c


def test_forward(client):
    r = client.post("/v1/economics", json={**BODY, "sale_price": "1499"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "forward"
    [gbs] = [ln for ln in body["result"]["lines"] if ln["service_id"] == "gbs-broker"]
    assert gbs["rub"]["profit"] == "300.27" and gbs["rub"]["carrier"] == "460.42" and gbs["roi_pct"] == "30.88"


def test_reverse(client):
    r = client.post("/v1/economics", json={**BODY, "target_margin_pct": "20"})
    assert r.status_code == 200, r.text
    lines = {ln["service_id"]: ln for ln in r.json()["result"]["lines"]}
    assert lines["gbs-broker"]["price_rub"] is not None
    assert float(lines["gbs-broker"]["economics"]["margin_pct"]) >= 20


@pytest.mark.parametrize(
    "change, path",
    [
        ({"category": "spaceships", "sale_price": "1000"}, "$.category"),
        ({"fx": {"USD": "51"}, "sale_price": "1000"}, "$.purchase_cost"),
        ({"fx": {"USD": "0", "CNY": "7"}, "sale_price": "1000"}, "$.fx"),
        ({"sale_price": "0"}, "$.sale_price"),
        ({"ads_pct": "150", "sale_price": "1000"}, "$.ads_pct"),
        ({"target_margin_pct": "100"}, "$.target_margin_pct"),
    ],
)
def test_invalid_input_is_a_422_problem(client, change, path):
    r = client.post("/v1/economics", json={**BODY, **change})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert path in [e["path"] for e in r.json()["errors"]]


def test_exactly_one_mode(client):
    r = client.post("/v1/economics", json={**BODY, "sale_price": "1000", "target_profit_rub": "5"})
    assert r.status_code == 422
    r = client.post("/v1/economics", json=BODY)
    assert r.status_code == 422
