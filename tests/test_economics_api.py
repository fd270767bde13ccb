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
    "acquiring": "1.9",
    "fx_loss": "1.2%",
    "ads": "5",
    "return_rate_pct": "3",  # an older spelling, still accepted
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
    r = client.post("/v1/economics", json={**BODY, "target_margin": "20"})
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
        ({"ads": "150", "sale_price": "1000"}, "$.ads"),
        ({"target_margin": "100"}, "$.target_margin"),
        ({"target_margin_pct": "100"}, "$.target_margin"),  # old spelling, the path in today's vocabulary
    ],
)
def test_invalid_input_is_a_422_problem(client, change, path):
    r = client.post("/v1/economics", json={**BODY, **change})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert path in [e["path"] for e in r.json()["errors"]]


def test_exactly_one_mode(client):
    r = client.post("/v1/economics", json={**BODY, "sale_price": "1000", "target_profit": "5"})
    assert r.status_code == 422
    r = client.post("/v1/economics", json=BODY)
    assert r.status_code == 422


def test_documented_fields_and_old_spellings_give_the_same_answer(client):
    new = client.post("/v1/economics", json={**BODY, "sale_price": "1499", "cbr": False})
    old = {k: v for k, v in BODY.items() if k not in ("acquiring", "ads", "purchase_cost")}
    old.update({"acquiring_pct": "1.9", "ads_pct": "5", "cost": "62CNY", "price": "1499", "use_cbr": False})
    old_r = client.post("/v1/economics", json=old)
    assert new.status_code == old_r.status_code == 200, old_r.text
    assert new.json() == old_r.json()
    assert new.json()["result"]["commission"]["confidence"] == "official"


def test_batch_route_one_row_per_item_and_errors_by_index(client):
    items = [
        {"sku": "A", "weight_g": 250, "length_mm": 200, "width_mm": 150, "height_mm": 100, "category": "Car Products",
         "purchase_cost": "40CNY", "sale_price": "3000"},
        {"sku": "B", "weight_g": "450", "length_mm": "200", "width_mm": "150", "height_mm": "100", "category": "汽车用品",
         "purchase_cost": "62CNY", "target_margin": "20"},
        {"sku": "C", "weight_g": "450", "length_mm": "200", "width_mm": "150", "height_mm": "100", "category": "nope",
         "purchase_cost": "62CNY", "sale_price": "1000"},
    ]  # fmt: skip
    r = client.post("/v1/economics/batch", json={"items": items, "date": "2025-12-05", "fx": {"CNY": "11.5"}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [row["sku"] for row in body["rows"]] == ["A", "B"] and [row["index"] for row in body["rows"]] == [0, 1]
    # B: RETS Economy (2025-09 lanes), 2.85 + 0.0235 x 450 = 13.43 CNY = 154.45 RUB, 1.95 RUB under GUOO Economy's
    # 13.60 CNY: the 20 % margin is reached 1.95 / (1 - 12 % - 2 % - 20 %) = 2.95 RUB lower than the 1317.28 of before
    assert body["rows"][0]["commission_pct"] == "17.00" and body["rows"][1]["sale_price"] == "1314.33"
    assert body["rows"][1]["service_id"] == "rets-economy"
    assert body["errors"][0]["index"] == 2 and body["errors"][0]["column"] == "category"
    bad = client.post(
        "/v1/economics/batch", json={"items": [{"weight_g": 1, "length_mm": 1, "width_mm": 1, "height_mm": 1}]}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "$.items[*].category"


def test_batch_route_refuses_more_items_than_the_batch_limit(client):
    item = {"weight_g": 250, "length_mm": 200, "width_mm": 150, "height_mm": 100, "category": "books",
            "purchase_cost": "100", "sale_price": "1000"}  # fmt: skip
    r = client.post("/v1/economics/batch", json={"items": [item] * 101, "date": "2025-12-05"})
    assert r.status_code == 413 and r.json()["errors"][0]["rule"] == "max_batch"
