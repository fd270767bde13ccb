"""HTTP API: every endpoint and error path, through the real app (FastAPI TestClient, real tariffs)."""

from __future__ import annotations

import gc
import json
import logging
import shutil
import weakref
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import Settings, create_app
from api.logs import JsonFormatter
from ratecalc import Parcel
from ratecalc.pricing.compact import CompactQuote, compact
from ratecalc.tariffdata.loader import builtin_dir
from ratecalc.units import MAX_WEIGHT_G

PROBLEM = "application/problem+json"
USD_ERA = {"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01"}  # published example #2
GROUP_ERA = {"weight": "1.2kg", "dims": "30x20x10cm", "date": "2025-10-01", "value": "1500RUB"}


def make_settings(**overrides) -> Settings:
    """Explicit values for everything, so a RATECALC_* variable in the environment cannot change a test."""
    base = dict(
        api_token=None,
        admin_token=None,
        cors_origins=[],
        max_batch=10_000,
        max_body_bytes=8 * 1024 * 1024,
        tariff_dirs=[],
        builtin_tariffs=True,
        fast_quotes=True,
    )
    base.update(overrides)
    return Settings(**base)


@pytest.fixture(scope="module")
def client(tariffs):
    with TestClient(create_app(make_settings(), tariffs=tariffs)) as c:
        yield c


def lib_json(tariffs, **kw) -> list[dict]:
    """What the library says for the same parcel, in the compact form (as the CLI's --json)."""
    return [compact(q) for q in tariffs.quote(Parcel.parse(**kw))]


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("urn:ratecalc:")
    assert "Traceback" not in r.text
    return body


def only_error(body: dict) -> dict:
    [err] = body["errors"]
    return err


# --- POST /v1/quotes ---------------------------------------------------------------------------


def test_quote_answer_is_compact_without_nulls_and_about_200_bytes_a_quote(client):
    r = client.post("/v1/quotes", json=GROUP_ERA)
    body = r.json()
    assert len(body["quotes"]) >= 20  # 35 on 2025-10-01: 7,128 bytes (the 25 of before 5,067: 203 a quote)
    size = len(json.dumps(body["quotes"], ensure_ascii=False, separators=(",", ":")).encode())
    assert size <= 215 * len(body["quotes"])
    for q in body["quotes"]:
        CompactQuote.model_validate(q)
        assert None not in q.values() and not {"billing", "tariff", "reason_details"} & set(q)
        assert {"service_id", "service", "carrier_id", "status", "chargeable_weight_g"} <= set(q)
        assert ("price" in q) == (q["status"] == "ok")
        assert q["status"] == "ok" or q["reasons"]


def test_expand_adds_billing_tariff_and_reason_sentences(client, tariffs):
    full = {q.service_id: q for q in tariffs.quote(Parcel.parse("400g", "30x20x15cm", date="2022-07-01"))}
    r = client.post("/v1/quotes?expand=billing,tariff&expand=reasons", json=USD_ERA).json()
    for q in r["quotes"]:
        lib = full[q["service_id"]]
        assert q["billing"]["basis"] == lib.basis and q["billing"]["rule"] == lib.billing.rule
        assert q["billing"]["actual_weight_g"] == lib.actual_weight_g
        assert q["tariff"]["sources"] == lib.tariff.sources
        if lib.reasons:
            assert [d["message"] for d in q["reason_details"]][: len(lib.reasons)] == [x.message for x in lib.reasons]
    assert r["quotes"] == client.post("/v1/quotes?expand=all", json=USD_ERA).json()["quotes"]
    err = only_error(problem(client.post("/v1/quotes?expand=everything", json=USD_ERA), 422))
    assert err["path"] == "query.expand" and err["rule"] == "known_expansion"


def test_batch_quotes_are_compact_and_expand_like_single_quotes(client):
    parcels = [USD_ERA, {**USD_ERA, "weight": "900g"}]
    body = client.post("/v1/quotes/batch?expand=tariff", json={"parcels": parcels}).json()
    for item, parcel in zip(body["results"], parcels):
        single = client.post("/v1/quotes?expand=tariff", json=parcel).json()
        assert item["quotes"] == single["quotes"] and all(
            "tariff" in q and None not in q.values() for q in item["quotes"]
        )
    err = only_error(problem(client.post("/v1/quotes/batch?expand=nope", json={"parcels": parcels}), 422))
    assert err["path"] == "query.expand"


def test_quote_answer_is_gzipped_when_the_client_accepts_it(client):
    r = client.post("/v1/quotes", json=USD_ERA, headers={"accept-encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip" and r.json()["quotes"]
    plain = client.post("/v1/quotes", json=USD_ERA, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_quote_matches_library_and_published_example(client, tariffs):
    r = client.post("/v1/quotes", json=USD_ERA)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["quotes"] == lib_json(tariffs, weight="400g", dims="30x20x15cm", date="2022-07-01")
    [gbs] = [q for q in body["quotes"] if q["service_id"] == "gbs-broker"]
    assert (gbs["chargeable_weight_g"], gbs["price"]) == (1800, {"amount": "24.60", "currency": "USD"})
    echo = body["request"]
    assert (echo["weight_g"], echo["dims_mm"], echo["order_date"]) == (400, [300, 200, 150], "2022-07-01")
    assert echo["delivery_types"] == ["pickup_point"] and echo["sort"] == "price" and body["filtered_out"] == 0


def test_integer_units_and_money_object_quote_the_same(client):
    text = client.post("/v1/quotes", json=GROUP_ERA).json()
    ints = client.post(
        "/v1/quotes",
        json={
            "weight_g": 1200,
            "dims_mm": [300, 200, 100],
            "date": "2025-10-01",
            "value": {"amount": "1500", "currency": "rub"},
        },
    ).json()
    assert text["quotes"] == ints["quotes"] and any(q["status"] == "ok" for q in text["quotes"])
    assert text["request"]["weight_g"] == ints["request"]["weight_g"] == 1200
    assert ints["request"]["declared_value"] == {"amount": "1500", "currency": "RUB"}


def test_units_round_up_in_the_echo(client):
    r = client.post("/v1/quotes", json={"weight": "1.2345kg", "dims": "30.25x20x10cm", "date": "2022-07-01"})
    assert r.json()["request"]["weight_g"] == 1235 and r.json()["request"]["dims_mm"] == [303, 200, 100]


def test_filters_services_carriers_statuses(client):
    full = client.post("/v1/quotes", json=USD_ERA).json()["quotes"]
    r = client.post("/v1/quotes", json={**USD_ERA, "filters": {"services": ["gbs-broker"]}}).json()
    assert [q["service_id"] for q in r["quotes"]] == ["gbs-broker"] and r["filtered_out"] == len(full) - 1
    r = client.post("/v1/quotes", json={**USD_ERA, "filters": {"carriers": ["GBS"]}}).json()
    assert r["quotes"] and {q["carrier_id"] for q in r["quotes"]} == {"gbs"}
    assert len(r["quotes"]) == sum(q["carrier_id"] == "gbs" for q in full)
    r = client.post("/v1/quotes", json={**USD_ERA, "filters": {"statuses": ["ineligible", "unpriced"]}}).json()
    assert {q["status"] for q in r["quotes"]} <= {"ineligible", "unpriced"}
    assert len(r["quotes"]) == sum(q["status"] != "ok" for q in full)


def test_filter_max_days_and_sort_by_days(client):
    full = client.post("/v1/quotes", json=GROUP_ERA).json()["quotes"]
    with_days = [q for q in full if "days" in q]
    assert with_days, "the group-era tariffs publish delivery times"
    cut = sorted(q["days"]["max"] for q in with_days)[len(with_days) // 2]
    r = client.post("/v1/quotes", json={**GROUP_ERA, "filters": {"max_days": cut}, "sort": "days"}).json()
    kept = r["quotes"]
    assert kept and all("days" in q and q["days"]["max"] <= cut for q in kept)
    assert r["filtered_out"] == len(full) - len(kept)
    active = [q for q in kept if q["status"] != "ineligible"]
    keys = [(q["days"]["max"], q["days"]["min"]) for q in active]
    assert keys == sorted(keys)
    assert [q["status"] for q in kept] == sorted((q["status"] for q in kept), key=lambda s: s == "ineligible")


def test_sort_by_price_keeps_ok_cheapest_first(client):
    quotes = client.post("/v1/quotes", json={**GROUP_ERA, "filters": {"statuses": ["ok"]}}).json()["quotes"]
    by_ccy: dict[str, list[Decimal]] = {}
    for q in quotes:
        by_ccy.setdefault(q["price"]["currency"], []).append(Decimal(q["price"]["amount"]))
    assert by_ccy and all(v == sorted(v) for v in by_ccy.values())


def test_delivery_types_filter_quotes_both(client):
    both = client.post(
        "/v1/quotes", json={**GROUP_ERA, "filters": {"delivery_types": ["pickup_point", "courier"]}}
    ).json()
    pickup = client.post("/v1/quotes", json=GROUP_ERA).json()["quotes"]
    courier = client.post("/v1/quotes", json={**GROUP_ERA, "delivery": "courier"}).json()["quotes"]
    assert len(both["quotes"]) == len(pickup) + len(courier)
    assert {q["delivery_type"] for q in both["quotes"]} == {"pickup_point", "courier"}
    assert both["request"]["delivery_types"] == ["pickup_point", "courier"]


# --- 422 invalid input -------------------------------------------------------------------------


def test_both_weight_forms_is_422_exactly_one_of(client):
    err = only_error(problem(client.post("/v1/quotes", json={**USD_ERA, "weight_g": 400}), 422))
    assert err == {
        "path": "$.weight",
        "message": "give exactly one of weight or weight_g",
        "rule": "exactly_one_of",
        "limit": ["weight", "weight_g"],
    }


def test_missing_dims_is_422(client):
    body = problem(client.post("/v1/quotes", json={"weight": "1kg"}), 422)
    assert only_error(body)["path"] == "$.dims"


def test_weight_above_input_limit_names_rule_and_limit(client):
    err = only_error(problem(client.post("/v1/quotes", json={**USD_ERA, "weight": "2000kg"}), 422))
    assert (err["path"], err["rule"], err["limit"]) == ("$.weight", "less_than_equal", MAX_WEIGHT_G)
    err = only_error(problem(client.post("/v1/quotes", json={"weight_g": MAX_WEIGHT_G + 1, "dims": "1x1x1cm"}), 422))
    assert (err["path"], err["rule"], err["limit"]) == ("$.weight_g", "less_than_equal", MAX_WEIGHT_G)


def test_bad_strings_name_their_field(client):
    for field, bad in (("weight", "12 stone"), ("dims", "30x20cm"), ("value", "1500XYZ"), ("date", "2023-02-30")):
        err = only_error(problem(client.post("/v1/quotes", json={**USD_ERA, field: bad}), 422))
        assert err["path"] == f"$.{field}", (field, err)


def test_dims_mm_wrong_length_and_side_limit(client):
    err = only_error(problem(client.post("/v1/quotes", json={"weight_g": 5, "dims_mm": [1, 2]}), 422))
    assert (err["path"], err["rule"], err["limit"]) == ("$.dims_mm", "too_short", 3)
    err = only_error(problem(client.post("/v1/quotes", json={"weight_g": 5, "dims_mm": [1, 2, 10_001]}), 422))
    assert (err["path"], err["rule"], err["limit"]) == ("$.dims_mm[2]", "less_than_equal", 10_000)


def test_unknown_field_reading_carrier_service(client):
    err = only_error(problem(client.post("/v1/quotes", json={**USD_ERA, "colour": "red"}), 422))
    assert (err["path"], err["rule"]) == ("$.colour", "extra_forbidden")
    body = problem(
        client.post(
            "/v1/quotes", json={**USD_ERA, "readings": ["nope"], "filters": {"carriers": ["zz"], "services": ["x"]}}
        ),
        422,
    )
    rules = {e["path"]: e["rule"] for e in body["errors"]}
    assert rules == {
        "$.readings[0]": "known_reading",
        "$.filters.carriers[0]": "known_carrier",
        "$.filters.services[0]": "known_service",
    }
    assert "gbs" in next(e for e in body["errors"] if e["rule"] == "known_carrier")["limit"]


def test_group_era_without_value_is_422_on_value(client):
    err = only_error(problem(client.post("/v1/quotes", json={**GROUP_ERA, "value": None}), 422))
    assert (err["path"], err["rule"]) == ("$.value", "required")


def test_delivery_and_delivery_types_conflict(client):
    body = {**USD_ERA, "delivery": "courier", "filters": {"delivery_types": ["pickup_point"]}}
    assert only_error(problem(client.post("/v1/quotes", json=body), 422))["rule"] == "conflicts_with"


def test_malformed_and_non_utf8_bodies_are_422(client):
    for raw in (b"{bad", b"\xff\xfe{}", b"[1, 2]"):
        body = problem(client.post("/v1/quotes", content=raw, headers={"content-type": "application/json"}), 422)
        assert body["errors"]


def test_problem_carries_request_id_from_header(client):
    r = client.post("/v1/quotes", json={}, headers={"X-Request-ID": "abc-123"})
    assert problem(r, 422)["request_id"] == "abc-123" and r.headers["x-request-id"] == "abc-123"
    r = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces" and len(r.headers["x-request-id"]) == 32


# --- 413 body size -----------------------------------------------------------------------------


def test_body_over_limit_is_413_with_and_without_content_length(tariffs):
    with TestClient(create_app(make_settings(max_body_bytes=1024), tariffs=tariffs)) as c:
        big = {**USD_ERA, "readings": ["x" * 60] * 30}
        err = only_error(problem(c.post("/v1/quotes", json=big), 413))
        assert (err["rule"], err["limit"]) == ("max_body_bytes", 1024)

        def chunks():  # no Content-Length: the limit must hold while the body streams in
            for _ in range(10):
                yield b" " * 200
            yield json.dumps(USD_ERA).encode()

        problem(c.post("/v1/quotes", content=chunks(), headers={"content-type": "application/json"}), 413)
        assert c.post("/v1/quotes", json=USD_ERA).status_code == 200


# --- POST /v1/quotes/batch ---------------------------------------------------------------------


def test_batch_partial_success_in_order(client):
    parcels = [
        {"weight": "250g", "dims": "20x15x10cm", "date": "2022-05-20"},
        {"weight": "abc", "dims": "1x1x1cm"},
        7,
        {"weight_g": 400, "dims_mm": [300, 200, 150], "date": "2022-07-01"},
        {**GROUP_ERA, "value": None},
        GROUP_ERA,
    ]
    r = client.post("/v1/quotes/batch", json={"parcels": parcels})
    assert r.status_code == 200
    body = r.json()
    assert (body["count"], body["succeeded"], body["failed"]) == (6, 3, 3)
    assert [it["index"] for it in body["results"]] == list(range(6))
    assert [it["status"] for it in body["results"]] == ["ok", "error", "error", "ok", "error", "ok"]
    assert only_error(body["results"][1]["error"])["path"] == "$.parcels[1].weight"
    assert only_error(body["results"][2]["error"])["path"] == "$.parcels[2]"
    assert only_error(body["results"][4]["error"])["path"] == "$.parcels[4].value"
    for i in (0, 3, 5):
        single = client.post("/v1/quotes", json=parcels[i]).json()
        assert body["results"][i]["quotes"] == single["quotes"]
        assert body["results"][i]["request"]["weight_g"] == single["request"]["weight_g"]


def test_batch_options_apply_to_every_parcel(client):
    body = client.post(
        "/v1/quotes/batch",
        json={"parcels": [USD_ERA, USD_ERA], "filters": {"services": ["gbs-broker"]}, "sort": "days"},
    ).json()
    assert [[q["service_id"] for q in it["quotes"]] for it in body["results"]] == [["gbs-broker"]] * 2


def test_batch_envelope_errors_fail_the_request(client):
    assert (
        only_error(problem(client.post("/v1/quotes/batch", json={"parcels": [], "sort": "weight"}), 422))["path"]
        == "$.sort"
    )
    body = problem(client.post("/v1/quotes/batch", json={"parcel": []}), 422)
    assert {(e["path"], e["rule"]) for e in body["errors"]} == {
        ("$.parcels", "missing"),
        ("$.parcel", "extra_forbidden"),
    }
    body = problem(client.post("/v1/quotes/batch", json={"parcels": [USD_ERA], "filters": {"carriers": ["nope"]}}), 422)
    assert only_error(body)["path"] == "$.filters.carriers[0]"
    problem(client.post("/v1/quotes/batch?sort=days", json={"parcels": [USD_ERA]}), 422)
    problem(client.post("/v1/quotes/batch", content=b"a,b", headers={"content-type": "text/csv"}), 415)


def test_batch_over_maximum_is_413(tariffs):
    with TestClient(create_app(make_settings(max_batch=3), tariffs=tariffs)) as c:
        err = only_error(problem(c.post("/v1/quotes/batch", json={"parcels": [USD_ERA] * 4}), 413))
        assert (err["path"], err["rule"], err["limit"]) == ("$.parcels", "max_batch", 3)
        lines = "\n".join(json.dumps(USD_ERA) for _ in range(4))
        problem(c.post("/v1/quotes/batch", content=lines, headers={"content-type": "application/x-ndjson"}), 413)
        assert c.post("/v1/quotes/batch", json={"parcels": [USD_ERA] * 3}).json()["succeeded"] == 3


def test_batch_ndjson_in_and_out(client):
    lines = [
        json.dumps(USD_ERA),
        "",
        "not json",
        json.dumps({"weight_g": 500, "dims_mm": [100, 100, 100], "date": "2022-07-01"}),
    ]
    r = client.post(
        "/v1/quotes/batch?service=gbs-broker&sort=days",
        content="\n".join(lines) + "\n",
        headers={"content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    *items, summary = [json.loads(x) for x in r.text.splitlines()]
    assert [(it["index"], it["status"]) for it in items] == [(0, "ok"), (1, "error"), (2, "ok")]
    assert summary == {"summary": True, "count": 3, "succeeded": 2, "failed": 1}
    assert only_error(items[1]["error"])["rule"] == "json_invalid"
    assert [q["service_id"] for q in items[0]["quotes"]] == ["gbs-broker"]


def test_batch_json_in_ndjson_out_and_ndjson_in_json_out(client):
    r = client.post("/v1/quotes/batch", json={"parcels": [USD_ERA] * 3}, headers={"accept": "application/x-ndjson"})
    assert r.headers["content-type"].startswith("application/x-ndjson") and len(r.text.splitlines()) == 3 + 1
    r = client.post(
        "/v1/quotes/batch",
        content=json.dumps(USD_ERA) + "\n",
        headers={"content-type": "application/x-ndjson", "accept": "application/json"},
    )
    assert r.json()["count"] == 1 and r.json()["results"][0]["status"] == "ok"


def test_batch_ndjson_streams_across_chunks(client):
    from api.routers import batch as batch_module

    n = batch_module.CHUNK + 5
    parcels = [{"weight_g": 100 + i, "dims_mm": [100, 100, 100], "date": "2022-07-01"} for i in range(n)]
    parcels[batch_module.CHUNK + 2] = {"weight_g": -1, "dims_mm": [1, 1, 1]}
    with client.stream(
        "POST",
        "/v1/quotes/batch",
        json={"parcels": parcels, "filters": {"services": ["gbs-broker"]}},
        headers={"accept": "application/x-ndjson"},
    ) as r:
        *items, summary = [json.loads(line) for line in r.iter_lines() if line]
    assert summary == {"summary": True, "count": n, "succeeded": n - 1, "failed": 1}
    assert [it["index"] for it in items] == list(range(n))
    assert [it["status"] for it in items].count("error") == 1 and items[batch_module.CHUNK + 2]["status"] == "error"
    assert items[-1]["request"]["weight_g"] == 100 + n - 1


# --- catalog -----------------------------------------------------------------------------------


def test_carriers_list_every_service_once(client, tariffs):
    body = client.get("/v1/carriers").json()
    ids = [s["id"] for c in body["carriers"] for s in c["services"]]
    every = [s.id for scheme in ("rfbs", "fbp") for s in tariffs.compiled(scheme=scheme).services]
    assert sorted(ids) == sorted(every) and len(ids) == len(set(ids))
    gbs = next(c for c in body["carriers"] if c["carrier_id"] == "gbs")
    assert gbs["carrier"] == "GBS" and all(s["periods"] for s in gbs["services"])


def test_service_detail_has_versions_rates_sources(client, tariffs):
    body = client.get("/v1/services/gbs-broker").json()
    svc = tariffs.service("gbs-broker")
    assert body["carrier_id"] == svc.carrier_id and body["service"]["id"] == "gbs-broker"
    versions = body["service"]["versions"]
    assert len(versions) == len(svc.model.versions) > 1
    assert all(v["sources"] and v["rates"] for v in versions)
    assert versions == [v.model_dump(mode="json") for v in svc.model.versions]


def test_unknown_service_is_404_problem(client):
    body = problem(client.get("/v1/services/no-such-service"), 404)
    assert body["type"] == "urn:ratecalc:problem:unknown-service" and "no-such-service" in body["detail"]


def test_tariffs_describe_the_loaded_set(client, tariffs):
    body = client.get("/v1/tariffs").json()
    assert body["checksum"] == tariffs.checksum and body["version"] == tariffs.checksum[:12]
    assert {f["name"] for f in body["files"]} == {f.path.name for f in tariffs.documents.files}
    assert body["services"] == len(tariffs.services) and body["loaded_at"]


# --- operations --------------------------------------------------------------------------------


def test_health_ready_and_not_ready(tariffs):
    app = create_app(make_settings(), tariffs=tariffs)
    bare = TestClient(app)  # no `with`: lifespan not run, tariffs not loaded
    assert bare.get("/healthz").json() == {"status": "ok", "checksum": None}
    problem(bare.get("/readyz"), 503)
    problem(bare.post("/v1/quotes", json=USD_ERA), 503)
    with TestClient(app) as c:
        assert c.get("/readyz").json()["status"] == "ready"


def _metric(text: str, name: str, **labels) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_quotes_latency(client):
    before = client.get("/metrics").text
    client.post("/v1/quotes", json=USD_ERA)
    client.post("/v1/quotes/batch", json={"parcels": [USD_ERA, USD_ERA, {"weight": "x"}]})
    after = client.get("/metrics").text
    assert (
        _metric(after, "ratecalc_quotes_computed_total", endpoint="single")
        - _metric(before, "ratecalc_quotes_computed_total", endpoint="single")
        == 1
    )
    assert (
        _metric(after, "ratecalc_quotes_computed_total", endpoint="batch")
        - _metric(before, "ratecalc_quotes_computed_total", endpoint="batch")
        == 2
    )
    assert _metric(after, "ratecalc_batch_item_errors_total") - _metric(before, "ratecalc_batch_item_errors_total") == 1
    n = _metric(after, "ratecalc_http_requests_total", method="POST", route="/v1/quotes", status="200")
    assert n - _metric(before, "ratecalc_http_requests_total", method="POST", route="/v1/quotes", status="200") == 1
    assert _metric(after, "ratecalc_http_request_duration_seconds_count", route="/v1/quotes") >= 1
    assert 'le="0.01"' in after and "ratecalc_tariff_reloads" in after


def test_openapi_and_docs(client):
    spec = client.get("/openapi.json").json()
    assert {
        "/v1/quotes",
        "/v1/quotes/batch",
        "/v1/carriers",
        "/v1/services/{service_id}",
        "/v1/tariffs",
        "/healthz",
        "/readyz",
        "/metrics",
    } <= set(spec["paths"])
    assert "/v1/admin/reload" not in spec["paths"]  # off without an admin token
    err = spec["paths"]["/v1/quotes"]["post"]["responses"]["422"]["content"]
    assert list(err) == [PROBLEM]
    assert "BatchRequest" in spec["components"]["schemas"] and "CompactQuote" in spec["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_unknown_route_and_method_are_problems(client):
    problem(client.get("/v2/quotes"), 404)
    problem(client.get("/v1/quotes"), 405)


def test_unexpected_error_is_a_500_problem_without_traceback(tariffs):
    app = create_app(make_settings(), tariffs=tariffs)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
        body = problem(r, 500)
        assert "secret internals" not in r.text and body["request_id"]


def test_bearer_token_guards_v1_only(tariffs):
    with TestClient(create_app(make_settings(api_token="s3cret"), tariffs=tariffs)) as c:
        r = c.post("/v1/quotes", json=USD_ERA)
        problem(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")
        problem(c.get("/v1/carriers", headers={"Authorization": "Bearer wrong"}), 401)
        assert c.post("/v1/quotes", json=USD_ERA, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/healthz").status_code == 200 and c.get("/metrics").status_code == 200
        assert "401" in c.get("/openapi.json").json()["paths"]["/v1/quotes"]["post"]["responses"]


def test_cors_only_for_configured_origins(tariffs):
    with TestClient(create_app(make_settings(cors_origins=["https://app.example"]), tariffs=tariffs)) as c:
        pre = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
        r = c.options("/v1/quotes", headers=pre)
        assert r.headers["access-control-allow-origin"] == "https://app.example"
        r = c.options("/v1/quotes", headers={**pre, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers
    with TestClient(create_app(make_settings(), tariffs=tariffs)) as c:
        assert "access-control-allow-origin" not in c.get("/healthz", headers={"Origin": "https://app.example"}).headers


def test_settings_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RATECALC_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("RATECALC_TARIFF_DIRS", f"{tmp_path}/x:{tmp_path}/y")
    monkeypatch.setenv("RATECALC_MAX_BATCH", "50")
    monkeypatch.setenv("RATECALC_API_TOKEN", "")
    s = Settings()
    assert s.cors_origins == ["https://a.example", "https://b.example"]
    assert s.tariff_dirs == [tmp_path / "x", tmp_path / "y"] and s.max_batch == 50 and s.api_token is None


# --- reload ------------------------------------------------------------------------------------


@pytest.fixture()
def tariff_dir(tmp_path) -> Path:
    for f in builtin_dir().glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_admin_reload_refuses_broken_set_and_keeps_serving(tariff_dir):
    settings = make_settings(admin_token="adm", builtin_tariffs=False, tariff_dirs=[tariff_dir])
    with TestClient(create_app(settings)) as c:
        auth = {"Authorization": "Bearer adm"}
        problem(c.post("/v1/admin/reload"), 401)
        before = c.get("/v1/tariffs").json()["checksum"]
        (tariff_dir / "zz-broken.yaml").write_text("kind: carrier\nservices: [\n", encoding="utf-8")
        body = problem(c.post("/v1/admin/reload", headers=auth), 409)
        assert body["errors"][0]["path"].endswith("zz-broken.yaml:3") and "YAML" in body["errors"][0]["message"]
        assert c.get("/v1/tariffs").json()["checksum"] == before
        assert c.post("/v1/quotes", json=USD_ERA).status_code == 200
        (tariff_dir / "zz-broken.yaml").unlink()
        (tariff_dir / "gbs.yaml").write_text(
            (tariff_dir / "gbs.yaml").read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8"
        )
        r = c.post("/v1/admin/reload", headers=auth)
        assert r.status_code == 200 and r.json()["previous_checksum"] == before and r.json()["checksum"] != before
        assert c.get("/v1/tariffs").json()["checksum"] == r.json()["checksum"]
        text = c.get("/metrics").text
        assert _metric(text, "ratecalc_tariff_reloads_total", result="refused", trigger="admin") == 1
        assert _metric(text, "ratecalc_tariff_reloads_total", result="ok", trigger="admin") == 1


def _collector_sees(obj: object) -> bool:
    """Whether `obj` is in a generation the garbage collector walks (frozen objects are in none)."""
    return any(o is obj for o in gc.get_objects())


def test_the_served_tariff_set_is_out_of_the_collectors_reach_and_a_reload_frees_the_old_one(tariff_dir):
    settings = make_settings(admin_token="adm", builtin_tariffs=False, tariff_dirs=[tariff_dir])
    with TestClient(create_app(settings)) as c:
        holder = c.app.state.holder
        first = holder.current
        assert first is not None and not _collector_sees(first) and not _collector_sees(first.compiled())
        gone = weakref.ref(first)
        del first
        r = c.post("/v1/admin/reload", headers={"Authorization": "Bearer adm"})
        assert r.status_code == 200
        assert gone() is None  # nothing keeps the old set: frozen objects are still freed
        assert not _collector_sees(holder.current)
        assert c.post("/v1/quotes", json=USD_ERA).status_code == 200


def test_broken_set_at_start_up_fails_start(tariff_dir):
    (tariff_dir / "zz-broken.yaml").write_text("not: [valid\n", encoding="utf-8")
    from ratecalc import TariffError

    with pytest.raises(TariffError):
        with TestClient(create_app(make_settings(builtin_tariffs=False, tariff_dirs=[tariff_dir]))):
            pass


# --- logs --------------------------------------------------------------------------------------


def test_access_log_is_json_with_request_id(client):
    records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(JsonFormatter().format(record))

    logger = logging.getLogger("ratecalc.api.access")
    handler = Capture()
    logger.addHandler(handler)
    try:
        client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    finally:
        logger.removeHandler(handler)
    [line] = [json.loads(r) for r in records]
    assert line["request_id"] == "trace-42" and line["route"] == "/healthz" and line["status"] == 200
    assert line["msg"] == "request" and isinstance(line["duration_ms"], float)


def test_economics_route_is_under_v1_and_behind_the_api_token(tariffs):
    with TestClient(create_app(make_settings(api_token="t"), tariffs=tariffs)) as c:
        problem(c.post("/v1/economics", json={}), 401)
        # with the token the route answers (an empty body is invalid input, not a missing route)
        problem(c.post("/v1/economics", json={}, headers={"Authorization": "Bearer t"}), 422)


def test_group_era_without_value_for_two_delivery_types_names_value(client):
    body = {**GROUP_ERA, "value": None, "filters": {"delivery_types": ["pickup_point", "courier"]}}
    err = only_error(problem(client.post("/v1/quotes", json=body), 422))
    assert (err["path"], err["rule"]) == ("$.value", "required")
