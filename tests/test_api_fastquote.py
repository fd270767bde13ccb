"""The direct path of POST /v1/quotes (api.fastquote) answers exactly as the FastAPI route does.

Every request is sent to two apps over the same tariffs: the default one (direct path on) and one with
`fast_quotes=False` (every request through FastAPI's routing, dependencies and validation, the path the
OpenAPI schema describes). Status, headers (but the date) and body bytes must be the same, for answers
and for every refusal, gzip or not, token or not.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import logging
import random

import pytest
from fastapi.testclient import TestClient
from test_api import make_settings

import api.routers.quotes as quotes_route
from api import create_app
from api.logs import HANDLER_NAME, JsonFormatter, json_handler, request_id_var, setup_logging, write_direct
from api.models import QuoteRequest
from api.quoting import normalised_request, normalised_request_json, to_parcel


@pytest.fixture(scope="module")
def pair(tariffs):
    """(direct path on, direct path off), same tariffs."""
    with TestClient(create_app(make_settings(), tariffs=tariffs)) as fast:
        with TestClient(create_app(make_settings(fast_quotes=False), tariffs=tariffs)) as slow:
            yield fast, slow


def sample_parcels(n: int, seed: int = 11) -> list[dict]:
    """Varied parcels in every written form: both eras, text and integer units, money as text and object."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        p: dict = {}
        if rnd.random() < 0.5:
            p["weight_g"] = rnd.randint(50, 30_000)
        else:
            p["weight"] = rnd.choice([f"{rnd.randint(1, 30)}kg", f"{rnd.randint(50, 3000)}g", "1.25KG"])
        if rnd.random() < 0.5:
            p["dims_mm"] = [rnd.randint(50, 700), rnd.randint(50, 500), rnd.randint(20, 400)]
        else:
            p["dims"] = f"{rnd.randint(5, 60)}x{rnd.randint(5, 40)}x{rnd.randint(2, 30)}cm"
        era = rnd.random()
        if era < 0.4:
            p["date"] = f"2022-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        elif era < 0.9:
            p["date"] = f"{rnd.choice([2025, 2026])}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
            p["value"] = (
                f"{rnd.randint(1, 400_000)}RUB"
                if rnd.random() < 0.7
                else {"amount": f"{rnd.randint(1, 9000)}.50", "currency": "rub"}
            )
        else:
            p["date"] = "2030-01-01"  # no rates held: the answer carries a notice
        if rnd.random() < 0.2:
            p["delivery"] = "courier"
        if rnd.random() < 0.1:
            p["battery"] = True
        if rnd.random() < 0.05:
            p["liquid"] = True
        if i % 7 == 3:
            p["sort"] = "days"
        if i % 9 == 4:
            p["filters"] = {"statuses": ["ok"], "max_days": 30}
            p.pop("delivery", None)
        if i % 11 == 5:
            p["filters"] = {"delivery_types": ["pickup_point", "courier"], "min_confidence": "third_party"}
            p.pop("delivery", None)
        out.append(p)
    return out


def same(a, b) -> None:
    """Same status, headers (the date aside) and body bytes."""
    assert a.status_code == b.status_code, (a.text, b.text)
    ha = [(k, v) for k, v in a.headers.raw if k.lower() != b"date"]
    hb = [(k, v) for k, v in b.headers.raw if k.lower() != b"date"]
    assert ha == hb
    assert a.content == b.content


def post(client, body, *, query: str = "", headers: dict | None = None, raw: bytes | None = None):
    h = {"X-Request-ID": "same-id", "Content-Type": "application/json", **(headers or {})}
    data = raw if raw is not None else json.dumps(body).encode()
    return client.post("/v1/quotes" + query, content=data, headers=h)


def test_answers_are_byte_identical_to_the_fastapi_route_for_varied_parcels(pair):
    fast, slow = pair
    statuses = set()
    for body in sample_parcels(120):
        a, b = post(fast, body), post(slow, body)
        same(a, b)
        statuses.add(a.status_code)
    assert 200 in statuses  # the sample is mostly quotable; refusals are compared as well


@pytest.mark.parametrize("query", ["?expand=billing", "?expand=all", "?expand=tariff&expand=reasons", "?x=1"])
def test_expansions_and_other_query_parameters_answer_the_same(pair, query):
    fast, slow = pair
    for body in sample_parcels(12, seed=3):
        same(post(fast, body, query=query), post(slow, body, query=query))


def test_gzip_when_accepted_is_the_same_compressed_answer(pair):
    fast, slow = pair
    body = {"weight": "1.2kg", "dims": "30x20x10cm", "date": "2025-10-01", "value": "1500RUB"}
    for accept in ("gzip", "gzip, deflate, br", "identity", "br"):
        a = post(fast, body, headers={"Accept-Encoding": accept})
        b = post(slow, body, headers={"Accept-Encoding": accept})
        same(a, b)
        assert a.headers.get("vary") == "Accept-Encoding"
        assert (a.headers.get("content-encoding") == "gzip") == ("gzip" in accept)


REFUSED = [
    b"",
    b"{",
    b"[]",
    b'{"weight": "1kg"}',
    b'{"weight": "1kg", "dims": "10x10x10cm", "colour": "red"}',
    b'{"weight": "1kg", "weight_g": 100, "dims": "10x10x10cm"}',
    b'{"weight": "-1kg", "dims": "10x10x10cm"}',
    b'{"weight_g": 2000000, "dims_mm": [1, 2, 3]}',
    b'{"weight_g": true, "dims_mm": [10, 20, 30]}',
    b'{"weight_g": 100, "dims_mm": [10, 20, 30], "date": "2023-02-30"}',
    b'{"weight_g": 100, "dims_mm": [10, 20, 30], "date": "2025-10-01"}',  # group era, no declared value
    b'{"weight_g": 100, "dims_mm": [10, 20, 30], "value": {"amount": "1", "currency": "XYZ"}, "date": "2025-10-01"}',
    b'{"weight_g": 100, "dims_mm": [10, 20, 30], "readings": ["no-such-reading"]}',
    b'{"weight_g": 100, "dims_mm": [10, 20, 30], "filters": {"carriers": ["nobody"]}}',
    b'{"weight_g": 100, "dims_mm": [10, 20, 30], "delivery": "courier", "filters": {"delivery_types": ["courier"]}}',
    b'{"weight_g": NaN, "dims_mm": [10, 20, 30]}',
    b"\xef\xbb\xbf" + b'{"weight_g": 100, "dims_mm": [10, 20, 30]}',  # a byte-order mark
    b"[" * 5000 + b"]" * 5000,  # nested past the depth limit
    b'{"weight_g": 100, "dims_mm": [10, 20, 30], "date": "2022-07-01", "x": "\xff"}',  # not UTF-8
]


@pytest.mark.parametrize("raw", REFUSED, ids=range(len(REFUSED)))
def test_refusals_are_the_fastapi_routes_own(pair, raw):
    fast, slow = pair
    a, b = post(fast, None, raw=raw), post(slow, None, raw=raw)
    same(a, b)
    assert a.status_code != 200 or raw.startswith(b"\xef\xbb\xbf")


def test_bad_expansion_is_the_routes_problem(pair):
    fast, slow = pair
    body = {"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01"}
    a, b = post(fast, body, query="?expand=everything"), post(slow, body, query="?expand=everything")
    same(a, b)
    assert a.status_code == 422 and a.json()["errors"][0]["path"] == "query.expand"


@pytest.mark.parametrize(
    "ctype", ["text/plain", "application/json; charset=utf-8", "application/vnd.api+json", "APPLICATION/JSON", None]
)
def test_other_media_types_answer_as_the_route_does(pair, ctype):
    fast, slow = pair
    data = json.dumps({"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01"}).encode()
    h = {"X-Request-ID": "same-id"} | ({"Content-Type": ctype} if ctype else {})
    a = fast.post("/v1/quotes", content=data, headers=h)
    b = slow.post("/v1/quotes", content=data, headers=h)
    same(a, b)


def test_body_over_the_single_parcel_limit_is_the_routes_413(pair):
    fast, slow = pair
    raw = b'{"weight": "' + b"1" * (70 << 10) + b'"}'
    same(post(fast, None, raw=raw), post(slow, None, raw=raw))
    assert post(fast, None, raw=raw).status_code == 413


def test_token_is_checked_the_same_way(tariffs):
    body = {"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01"}
    with TestClient(create_app(make_settings(api_token="s3cret"), tariffs=tariffs)) as fast:
        with TestClient(create_app(make_settings(api_token="s3cret", fast_quotes=False), tariffs=tariffs)) as slow:
            for auth in (None, "Bearer s3cret", "bearer  s3cret ", "Bearer wrong", "Basic s3cret", "Bearer", "s3cret"):
                h = {"Authorization": auth} if auth else {}
                a, b = post(fast, body, headers=h), post(slow, body, headers=h)
                same(a, b)
                assert a.status_code == (200 if auth in ("Bearer s3cret", "bearer  s3cret ") else 401)


def test_cors_requests_answer_the_same(tariffs):
    body = {"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01"}
    cors = dict(cors_origins=["https://app.example"])
    with TestClient(create_app(make_settings(**cors), tariffs=tariffs)) as fast:
        with TestClient(create_app(make_settings(**cors, fast_quotes=False), tariffs=tariffs)) as slow:
            for origin in ("https://app.example", "https://elsewhere.example", None):
                h = {"Origin": origin} if origin else {}
                a, b = post(fast, body, headers=h), post(slow, body, headers=h)
                same(a, b)
            assert post(fast, body, headers={"Origin": "https://app.example"}).headers[
                "access-control-allow-origin"
            ] == ("https://app.example")


def test_plain_requests_never_reach_the_fastapi_route(pair, monkeypatch):
    fast, _ = pair

    def refuse(*args, **kwargs):
        raise AssertionError("the FastAPI route answered")

    monkeypatch.setattr(quotes_route, "quote_answer", refuse)
    r = post(fast, {"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01"})
    assert r.status_code == 200 and r.json()["quotes"]


def _metric(client, name: str, **labels) -> float:
    text = client.get("/metrics").text
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name}{{{want}}}")


def test_metrics_count_direct_answers_under_the_route_and_quotes_once(tariffs):
    with TestClient(create_app(make_settings(), tariffs=tariffs)) as c:
        body = {"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01"}
        for _ in range(3):
            assert post(c, body).status_code == 200
        assert post(c, {"weight": "400g"}).status_code == 422  # handed to the route: not a quote
        ok = dict(method="POST", route="/v1/quotes", status="200")
        assert _metric(c, "ratecalc_http_requests_total", **ok) == 3
        assert _metric(c, "ratecalc_http_requests_total", method="POST", route="/v1/quotes", status="422") == 1
        assert _metric(c, "ratecalc_quotes_computed_total", endpoint="single") == 3
        assert _metric(c, "ratecalc_http_request_duration_seconds_count", method="POST", route="/v1/quotes") == 4


def _asgi_post(app, chunks: list[bytes]) -> tuple[int, bytes]:
    """POST /v1/quotes with the body in several ASGI messages (as a slow client's TCP segments arrive)."""
    sent: list[dict] = []

    async def run() -> None:
        pending = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

        async def receive() -> dict:
            return pending.pop(0) if pending else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/v1/quotes",
            "raw_path": b"/v1/quotes",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"test"), (b"content-type", b"application/json"), (b"x-request-id", b"rid")],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)

    asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_a_body_in_several_pieces_is_read_whole_on_both_paths(tariffs):
    good = json.dumps({"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01"}).encode()
    bad = json.dumps({"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01", "oops": 1}).encode()
    for raw in (good, bad):
        pieces = [raw[:7], raw[7:20], raw[20:]]
        answers = [
            _asgi_post(create_app(make_settings(fast_quotes=fast), tariffs=tariffs), pieces) for fast in (True, False)
        ]
        assert answers[0] == answers[1]
        assert answers[0][0] == (200 if raw is good else 422)


def test_normalised_echo_equals_the_models_dump(tariffs):
    for body in sample_parcels(60, seed=5):
        req = QuoteRequest.model_validate(body)
        try:
            parcel = to_parcel(req, req)
        except Exception:
            continue
        assert normalised_request_json(parcel, req) == normalised_request(parcel, req).model_dump(mode="json")


def own_access_logger(stream: io.StringIO) -> logging.Logger:
    """The access logger as `setup_logging` builds it (one JSON handler, not propagating, INFO), but the
    test's own: made with `logging.Logger`, outside logging's registry, so no handler that a test runner's
    log capture attaches to registered loggers can reach it."""
    logger = logging.Logger("ratecalc.api.access", logging.INFO)
    logger.propagate = False
    logger.addHandler(json_handler(stream))
    return logger


def test_setup_logging_gives_each_api_logger_one_json_handler_of_its_own():
    setup_logging("INFO")
    setup_logging("INFO")  # idempotent: a second app adds nothing
    for name in ("ratecalc.api", "ratecalc.api.access", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        ours = [h for h in logger.handlers if h.get_name() == HANDLER_NAME]
        assert len(ours) == 1 and isinstance(ours[0].formatter, JsonFormatter), name
        assert not logger.propagate and logger.level == logging.INFO


def test_direct_access_log_line_is_the_formatters_line():
    buf = io.StringIO()
    logger = own_access_logger(buf)
    token = request_id_var.set("rid-1")
    try:
        extra = {"method": "POST", "path": "/v1/quotes", "route": "/v1/quotes", "status": 200, "duration_ms": 0.5}
        assert write_direct(logger, "request", extra)
        logger.info("request", extra=extra)
    finally:
        request_id_var.reset(token)
    direct, usual = (json.loads(line) for line in buf.getvalue().splitlines())
    assert direct.pop("ts")[:19] == usual.pop("ts")[:19]
    assert direct == usual and list(direct) == list(usual) and direct["request_id"] == "rid-1"


def test_direct_access_log_steps_aside_for_other_handlers():
    buf = io.StringIO()
    logger = own_access_logger(buf)
    assert write_direct(logger, "request", {"status": 200})  # alone, it writes
    extra_handler = logging.Handler()
    logger.addHandler(extra_handler)
    assert not write_direct(logger, "request", {"status": 200})
    logger.removeHandler(extra_handler)
    logger.addFilter(lambda record: True)
    assert not write_direct(logger, "request", {"status": 200})
    logger.filters.clear()
    [handler] = logger.handlers
    handler.setLevel(logging.WARNING)
    assert not write_direct(logger, "request", {"status": 200})
    assert len(buf.getvalue().splitlines()) == 1  # only the first call wrote


def test_json_formatter_keeps_what_json_dumps_wrote():
    f = JsonFormatter()
    logger = logging.getLogger("ratecalc.test")
    record = logger.makeRecord(
        "ratecalc.test",
        logging.INFO,
        "",
        0,
        "m",
        (),
        None,
        extra={"big": 2**70, "when": __import__("datetime").date(2025, 1, 2), "s": "ü"},
    )
    line = json.loads(f.format(record))
    assert line["big"] == 2**70 and line["when"] == "2025-01-02" and line["s"] == "ü"


def test_gzip_answer_decompresses_to_the_plain_answer(pair):
    fast, _ = pair
    body = {"weight": "1.2kg", "dims": "30x20x10cm", "date": "2025-10-01", "value": "1500RUB"}
    plain = post(fast, body)
    with fast.stream(
        "POST",
        "/v1/quotes",
        content=json.dumps(body).encode(),
        headers={"Accept-Encoding": "gzip", "X-Request-ID": "same-id", "Content-Type": "application/json"},
    ) as r:
        compressed = b"".join(r.iter_raw())
    assert r.headers["content-encoding"] == "gzip" and int(r.headers["content-length"]) == len(compressed)
    assert gzip.decompress(compressed) == plain.content


def test_single_quote_answers_equal_the_batch_engines(pair):
    """One parcel goes through the library's one-parcel path, a batch through the vector engine: same quotes."""
    fast, _ = pair
    bodies = [b for b in sample_parcels(40, seed=9) if "filters" not in b and "sort" not in b]
    batch = fast.post("/v1/quotes/batch", json={"parcels": bodies}).json()["results"]
    compared = 0
    for body, item in zip(bodies, batch):
        single = post(fast, body)
        if item["status"] == "ok":
            assert single.status_code == 200 and single.json()["quotes"] == item["quotes"]
            compared += 1
        else:
            assert single.status_code == 422
    assert compared >= 20


def test_generated_request_ids_are_version_4_uuids_in_hex(pair):
    import uuid

    fast, _ = pair
    seen = set()
    for _ in range(20):
        r = fast.post("/v1/quotes", json={"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01"})
        rid = r.headers["x-request-id"]
        u = uuid.UUID(hex=rid)
        assert u.hex == rid and u.version == 4 and u.variant == uuid.RFC_4122
        seen.add(rid)
    assert len(seen) == 20


def test_one_access_log_line_per_request_answered_directly_or_handed_on(tariffs):
    lines: list[dict] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(JsonFormatter().format(record)))

    logger = logging.getLogger("ratecalc.api.access")
    handler = Capture()
    with TestClient(create_app(make_settings(), tariffs=tariffs)) as c:
        logger.addHandler(handler)
        try:
            post(c, {"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01"})  # direct
            post(c, {"weight": "400g"})  # invalid: handed to the route
            post(c, None, raw=b"x", headers={"Content-Type": "text/plain"})  # not for the direct path
        finally:
            logger.removeHandler(handler)
    assert [(line["route"], line["status"], line["request_id"]) for line in lines] == [
        ("/v1/quotes", 200, "same-id"),
        ("/v1/quotes", 422, "same-id"),
        ("/v1/quotes", 415, "same-id"),  # a JSON-only route refuses other media types (api/edge.py)
    ]


def test_bounded_integers_state_their_bounds_in_the_schema_and_errors(pair):
    """weight_g, dims_mm and max_days are checked by pydantic-core; the schema states the bounds in JSON Schema's
    own keywords (what validators, generators and fuzzers read) and the errors name rule and limit."""
    fast, _ = pair
    schema = fast.get("/openapi.json").json()["components"]["schemas"]["QuoteRequest"]["properties"]
    bounds = ("type", "exclusiveMinimum", "maximum")
    assert {k: schema["weight_g"][k] for k in bounds} == {
        "type": "integer",
        "exclusiveMinimum": 0,
        "maximum": 1_000_000,
    }
    assert schema["dims_mm"]["items"] == {"type": "integer", "exclusiveMinimum": 0, "maximum": 10_000}
    max_days = fast.get("/openapi.json").json()["components"]["schemas"]["QuoteFilters"]["properties"]["max_days"]
    assert {"type": "integer", "minimum": 1, "maximum": 365} in max_days["anyOf"]
    cases = [
        ({"weight_g": 0, "dims_mm": [1, 2, 3]}, "$.weight_g", "greater_than", 0),
        ({"weight_g": 5.0, "dims_mm": [1, 2, 10_001]}, "$.dims_mm[2]", "less_than_equal", 10_000),
        (
            {"weight_g": 5, "dims_mm": [1, 2, 3], "filters": {"max_days": 0}},
            "$.filters.max_days",
            "greater_than_equal",
            1,
        ),
        ({"weight_g": 5.5, "dims_mm": [1, 2, 3]}, "$.weight_g", "int_type", None),
    ]
    for body, path, rule, limit in cases:
        [err] = post(fast, body).json()["errors"]
        assert (err["path"], err["rule"], err["limit"]) == (path, rule, limit)
