"""A client generated from the live `/openapi.json`, as an integrator makes one, answers what the library answers.

A real `ratecalc serve` runs on a free port. Its schema must validate as OpenAPI 3.1 (openapi-spec-validator),
openapi-python-client must generate a client from it without a single warning (docs/openapi-python-client.yaml,
the settings README and docs/client.md give), and every request body must come out as a typed model. The
generated client then asks for a quote, a batch (JSON and NDJSON), unit economics and price curves, and each
answer is compared with what the library computes for the same input.

The generator runs in an environment of its own (`uv tool run`, from PyPI): it caps typer and httpx below
what ratecalc itself installs, and the project's environment must stay what a user installs.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import os
import pkgutil
import socket
import subprocess
import sys
import time
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import attrs
import httpx
import pytest
from openapi_spec_validator import validate
from procs import stop
from pydantic_core import to_jsonable_python

from ratecalc import Parcel, TariffSet
from ratecalc.money.bands import cheapest_bands
from ratecalc.money.economics import EconomicsInput, economics
from ratecalc.money.fx import build_chain
from ratecalc.pricing.compact import compact
from ratecalc.pricing.curves import price_curves
from ratecalc.units import Money, parse_money

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "docs" / "openapi-python-client.yaml"
OPERATIONS = {  # operation id -> the generated module, by tag
    "quote": "quotes.quote",
    "quoteBatch": "quotes.quote_batch",
    "economics": "economics.economics",
    "economicsBatch": "economics.economics_batch",
    "curves": "curves.curves",
    "carriers": "tariffs.carriers",
    "service": "tariffs.service",
    "tariffs": "tariffs.tariffs",
    "healthz": "operations.healthz",
    "readyz": "operations.readyz",
    "metrics": "operations.metrics",
}
PARCEL = {"weight": "1.2kg", "dims": "30x20x10cm", "date": "2023-06-01", "value": "1500RUB"}
GROUP_ERA = {"weight": "400g", "dims": "30x20x15cm", "date": "2025-10-01", "value": "1000RUB"}
SKU = {
    "weight": "450g",
    "dims": "20x15x10cm",
    "date": "2025-12-05",
    "category": "pharmacy",
    "purchase_cost": "62CNY",
    "fx": {"CNY": "11.5"},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    """`ratecalc serve` on built-in tariffs, as an integrator runs it."""
    env = {**os.environ, "RATECALC_API_TOKEN": "", "RATECALC_ADMIN_TOKEN": ""}
    for name in ("RATECALC_TARIFFS", "RATECALC_RATES_FILE", "RATECALC_SUPERVISOR_PID"):
        env.pop(name, None)
    port = _free_port()
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    serve = [sys.executable, "-c", "from ratecalc_api.cli import main; main()", "serve", "--port", str(port)]
    proc = subprocess.Popen(serve + ["--log-level", "warning"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"the server exited with {proc.returncode}"
            try:
                if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        yield url
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="module")
def schema(base_url) -> dict:
    return httpx.get(base_url + "/openapi.json", timeout=30).json()


@pytest.fixture(scope="module")
def rc(base_url, tmp_path_factory) -> Iterator[Any]:
    """The package openapi-python-client generates from the live schema, imported."""
    out = tmp_path_factory.mktemp("client")
    command = [
        *("uv", "--quiet", "tool", "run", "--python", sys.executable, "--from", "openapi-python-client"),
        *("openapi-python-client", "generate", "--url", base_url + "/openapi.json"),
        *("--config", str(CONFIG), "--meta", "none", "--output-path", str(out / "ratecalc_client")),
    ]
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", *command], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    printed = done.stdout + done.stderr  # the generator's own (uv is quiet): its warnings go to stderr
    assert done.returncode == 0, printed
    assert "warning" not in printed.lower() and "error" not in printed.lower(), printed
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("ratecalc_client")
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == "ratecalc_client" or n.startswith("ratecalc_client.")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def client(rc, base_url) -> Iterator[Any]:
    with rc.Client(base_url=base_url, raise_on_unexpected_status=True, timeout=httpx.Timeout(60)) as c:
        yield c


def _op(rc: Any, operation_id: str) -> Any:
    return importlib.import_module(f"ratecalc_client.api.{OPERATIONS[operation_id]}")


def _plain(model: Any) -> Any:
    """A generated model as the JSON it stands for."""
    return json.loads(json.dumps(model.to_dict(), default=str))


def test_the_schema_validates_as_openapi_3_1(schema):
    assert schema["openapi"].startswith("3.1")
    validate(schema)  # raises on the first violation


def test_operation_ids_are_short_and_stable(schema):
    ids = {op["operationId"] for ops in schema["paths"].values() for op in ops.values()}
    assert ids == set(OPERATIONS)


def test_every_operation_is_a_module_and_every_body_a_typed_model(rc):
    api = importlib.import_module("ratecalc_client.api")
    modules = {
        f"{tag.name}.{op.name}"
        for tag in pkgutil.iter_modules(api.__path__)
        for op in pkgutil.iter_modules([str(Path(api.__path__[0]) / tag.name)])
    }
    assert modules == set(OPERATIONS.values())
    bodies = {}
    for operation_id in OPERATIONS:
        hints = typing.get_type_hints(_op(rc, operation_id).sync_detailed)
        if "body" in hints:
            kinds = [t for t in typing.get_args(hints["body"]) or [hints["body"]] if t is not rc.types.Unset]
            assert all(attrs.has(t) for t in kinds), (operation_id, hints["body"])  # no Any, no dict
            bodies[operation_id] = sorted(t.__name__ for t in kinds)
    assert bodies == {
        "quote": ["QuoteRequest"],
        "quoteBatch": ["BatchRequest", "File"],
        "economics": ["EconomicsRequest"],
        "economicsBatch": ["CatalogueRequest"],
    }


def _library_quotes(tariffs: TariffSet, parcel: dict) -> list[dict]:
    p = Parcel.parse(parcel["weight"], parcel["dims"], date=parcel["date"], value=parcel.get("value"))
    return [compact(q) for q in tariffs.quote(p)]


def _by_service(quotes: list[dict]) -> dict[str, dict]:
    return {q["service_id"]: q for q in quotes}


def test_a_quote_is_the_librarys(rc, client, tariffs):
    body = rc.models.QuoteRequest(
        weight=PARCEL["weight"], dims=PARCEL["dims"], date=dt.date(2023, 6, 1), value=PARCEL["value"]
    )
    answer = _op(rc, "quote").sync(client=client, body=body)
    assert isinstance(answer, rc.models.QuoteResponse)
    got = [_plain(q) for q in answer.quotes]
    assert [q["status"] for q in got].count("ok") >= 1
    assert _by_service(got) == _by_service(_library_quotes(tariffs, PARCEL))
    assert answer.request.weight_g == 1200 and answer.request.order_date == "2023-06-01"


def test_a_batch_is_the_librarys_in_json_and_in_ndjson(rc, client, tariffs):
    parcels = [PARCEL, GROUP_ERA, {**PARCEL, "weight": "-1kg"}]
    body = rc.models.BatchRequest(parcels=[rc.models.QuoteParcel.from_dict(p) for p in parcels])
    answer = _op(rc, "quoteBatch").sync(client=client, body=body)
    assert isinstance(answer, rc.models.BatchResponse)
    assert (answer.count, answer.succeeded, answer.failed) == (3, 2, 1)
    for item, parcel in zip(answer.results[:2], parcels):
        assert _by_service([_plain(q) for q in item.quotes]) == _by_service(_library_quotes(tariffs, parcel))
    assert answer.results[2].status.value == "error" and answer.results[2].error.errors[0].path == "$.parcels[2].weight"

    # NDJSON up, JSON back: the same answer, typed
    lines = "".join(json.dumps(p) + "\n" for p in parcels).encode()
    ndjson = rc.types.File(payload=io.BytesIO(lines), file_name="parcels.ndjson", mime_type="application/x-ndjson")
    with client.with_headers({"Accept": "application/json"}) as asks_json:
        again = _op(rc, "quoteBatch").sync(client=asks_json, body=ndjson)
    assert isinstance(again, rc.models.BatchResponse)
    assert [_plain(r)["quotes"] for r in again.results[:2]] == [_plain(r)["quotes"] for r in answer.results[:2]]
    assert again.results[2].status.value == "error"


def _library_economics(tariffs: TariffSet, sale_price: str) -> dict:
    parcel = Parcel.parse(SKU["weight"], SKU["dims"], date=SKU["date"])
    inp = EconomicsInput(parcel=parcel, category=SKU["category"], purchase_cost=parse_money(SKU["purchase_cost"]))
    chain = build_chain(SKU["fx"], None, cbr=False)
    return to_jsonable_python(economics(tariffs, inp, Decimal(sale_price), chain).to_dict())


def test_economics_is_the_librarys(rc, client, tariffs):
    body = rc.models.EconomicsRequest.from_dict({**SKU, "sale_price": "1499"})
    assert isinstance(body.fx, rc.models.EconomicsRequestFx) and body.fx["CNY"] == "11.5"
    answer = _op(rc, "economics").sync(client=client, body=body)
    assert isinstance(answer, rc.models.EconomicsResponse)
    assert answer.mode.value == "forward"
    assert _plain(answer.result) == _library_economics(tariffs, "1499")
    lines = answer.result["lines"]
    assert lines and all(line["sale_price_rub"] == "1499.00" and "profit" in line["rub"] for line in lines)


def test_economics_refuses_two_modes_with_a_typed_problem(rc, client):
    body = rc.models.EconomicsRequest.from_dict({**SKU, "sale_price": "1499", "target_margin": "20"})
    problem = _op(rc, "economics").sync(client=client, body=body)
    assert isinstance(problem, rc.models.Problem) and problem.status == 422
    assert "exactly one of sale_price, target_margin, target_profit" in problem.detail


def test_curves_are_the_librarys(rc, client, tariffs):
    answer = _op(rc, "curves").sync(
        client=client, weight="400g", dims="30x20x15cm", value="1000RUB", date=dt.date(2025, 10, 1)
    )
    assert isinstance(answer, rc.models.CurvesResponse)
    parcel = Parcel.parse("400g", "30x20x15cm", date="2025-10-01", value="1000RUB")
    curves = price_curves(tariffs, parcel)
    assert answer.weights_g == curves.weights_g.tolist()
    assert [s.service_id for s in answer.series] == [c.service_id for c in curves.services]
    for series, curve in zip(answer.series, curves.services):
        want = [None if v < 0 else Money.from_minor(v, curve.currency).amount for v in curve.price_minor.tolist()]
        assert [None if p is None else Decimal(p) for p in series.prices] == want, series.service_id
    cheapest = cheapest_bands(curves, "price")
    assert [(b.from_g, b.to_g, b.service_id) for b in answer.cheapest.bands] == [
        (b.from_g, b.to_g, b.service_id) for b in cheapest.bands
    ]
    assert any(s is not None for series in answer.series for s in series.prices)
