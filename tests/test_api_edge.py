"""The HTTP edge in-process: answers from the worker processes equal the answers given in this process,
the edge settings refuse what they cannot mean, and with a token the operational routes are open as
stated (all five by default). The real-server cases are in tests/hostile/test_http_round2.py."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api import Settings, create_app
from api.settings import OPERATIONAL_ROUTES

PARCEL = {"weight": "450g", "dims": "20x15x10cm", "date": "2025-12-05", "value": "1499RUB"}
ECONOMICS = {"weight": "450g", "dims": "20x15x10cm", "date": "2025-12-05", "category": "Car Products",
             "purchase_cost": "62CNY", "fx": {"CNY": "11.5"}}  # fmt: skip
ITEM = {"weight_g": "450", "length_mm": "200", "width_mm": "150", "height_mm": "100", "category": "Car Products",
        "purchase_cost": "62CNY"}  # fmt: skip


def settings(**overrides) -> Settings:
    base = dict(api_token=None, admin_token=None, cors_origins=[], tariff_dirs=[], builtin_tariffs=True)
    return Settings(**{**base, **overrides})


REQUESTS = [
    ("POST", "/v1/quotes/batch", {"json": {"parcels": [PARCEL, {**PARCEL, "weight": "3kg"}, {"weight": "x"}]}}),
    (
        "POST",
        "/v1/quotes/batch?sort=days",
        {
            "content": (json.dumps(PARCEL) + "\n" + "{oops\n").encode(),
            "headers": {"content-type": "application/x-ndjson"},
        },
    ),
    ("POST", "/v1/economics", {"json": {**ECONOMICS, "target_margin": "80"}}),
    ("POST", "/v1/economics", {"json": {**ECONOMICS, "sale_price": "1499"}}),
    ("POST", "/v1/economics", {"json": {**ECONOMICS, "category": "spaceships", "sale_price": "1499"}}),
    (
        "POST",
        "/v1/economics/batch",
        {"json": {"items": [{**ITEM, "target_margin": "25"}], "date": "2025-12-05", "fx": {"CNY": "11.5"}}},
    ),  # fmt: skip
    ("GET", "/v1/curves?weight=1kg&dims=20x15x10cm&date=2025-12-05&value=1499RUB", {}),
    ("GET", "/v1/curves?weight=nope&dims=20x15x10cm", {}),
]


def test_worker_processes_answer_exactly_as_this_process_does(tariffs):
    with TestClient(create_app(settings(processes=1), tariffs=tariffs)) as offloaded:
        with TestClient(create_app(settings(processes=0), tariffs=tariffs)) as here:
            for method, path, kw in REQUESTS:
                headers = {**kw.get("headers", {}), "X-Request-ID": "same-id"}
                args = {k: v for k, v in kw.items() if k != "headers"}
                a = offloaded.request(method, path, headers=headers, **args)
                b = here.request(method, path, headers=headers, **args)
                assert (a.status_code, a.headers.get("content-type"), a.content) == (
                    b.status_code,
                    b.headers.get("content-type"),
                    b.content,
                ), path
            # the quotes counted in the worker are in this process's metrics
            metrics = offloaded.get("/metrics").text
            assert 'ratecalc_quotes_computed_total{endpoint="batch"} 3.0' in metrics
            assert "ratecalc_batch_item_errors_total 2.0" in metrics


def test_a_large_answer_is_compressed_in_the_worker_when_asked(tariffs):
    with TestClient(create_app(settings(processes=1), tariffs=tariffs)) as c:
        r = c.post("/v1/quotes/batch", json={"parcels": [PARCEL] * 20}, headers={"accept-encoding": "gzip"})
        assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
        assert len(r.json()["results"]) == 20


def test_a_worker_that_dies_mid_answer_is_a_503_and_is_replaced(tariffs):
    app = create_app(settings(processes=1), tariffs=tariffs)
    with TestClient(app) as c:
        assert c.post("/v1/quotes/batch", json={"parcels": [PARCEL]}).status_code == 200  # a worker is up
        [worker] = app.state.workers._all
        answer: dict = {}
        big = threading.Thread(
            target=lambda: answer.update(r=c.post("/v1/quotes/batch", json={"parcels": [PARCEL] * 10_000}))
        )
        big.start()
        time.sleep(0.5)  # the request is in the worker: 10,000 parcels take seconds, answered all at once
        worker.proc.kill()
        big.join(60)
        r = answer["r"]
        assert r.status_code == 503 and r.headers["retry-after"] == "2"
        assert r.headers["content-type"] == "application/problem+json" and "Traceback" not in r.text
        again = c.post("/v1/quotes/batch", json={"parcels": [PARCEL]})
        assert again.status_code == 200 and app.state.workers._all[0] is not worker  # replaced


@pytest.mark.parametrize(
    "field, value",
    [
        ("max_header_bytes", 100),
        ("header_timeout", 0),
        ("idle_timeout", -1),
        ("max_connections", 1),
        ("max_concurrent_batches", 0),
        ("processes", -1),
        ("open_routes", "healthz,secrets"),
    ],
)
def test_edge_settings_refuse_what_they_cannot_mean(field, value):
    with pytest.raises(ValidationError):
        settings(**{field: value})


def test_open_routes_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("RATECALC_OPEN_ROUTES", " Healthz, readyz ")
    assert Settings().open_routes == ["healthz", "readyz"]
    monkeypatch.setenv("RATECALC_OPEN_ROUTES", "")
    assert Settings().open_routes == []
    monkeypatch.delenv("RATECALC_OPEN_ROUTES")
    assert Settings().open_routes == list(OPERATIONAL_ROUTES)


def test_with_a_token_every_operational_route_stays_open_by_default(tariffs):
    with TestClient(create_app(settings(api_token="t", processes=0), tariffs=tariffs)) as c:
        for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
            assert c.get(path).status_code == 200, path
        assert c.get("/v1/carriers").status_code == 401


def test_serve_refuses_a_bad_limit_with_its_variable_name():
    cli = [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", "1"]
    for flag, value, name in (
        ("--max-header-bytes", "100", "RATECALC_MAX_HEADER_BYTES"),
        ("--open-routes", "metrics,secrets", "RATECALC_OPEN_ROUTES"),
    ):
        r = subprocess.run(cli + [flag, value], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and name in r.stderr and "Traceback" not in r.stderr, r.stderr
