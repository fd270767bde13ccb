"""Arbitrary text at every string field of every surface: never a 5xx, never a traceback, always an answer.

The time bound is a hang detector (a request that stalls the server, a parse that goes quadratic), far
above a normal answer; it is not a speed test.
"""

from __future__ import annotations

import json
import time

import pyarrow as pa
from exploring import examples
from hostile_helpers import ECONOMICS, USD_ERA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ratecalc import InputError, Parcel
from ratecalc.cli import app
from ratecalc.files.columnar import ingest

BOUND_S = 10.0  # a hang detector with a wide margin (a stall took 22 s), not a speed test
FUZZ = settings(max_examples=examples(40), deadline=None, suppress_health_check=list(HealthCheck))

# Plain text, number-shaped text with absurd digit counts, and a few shapes that broke parsers before.
hostile_text = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"-?[0-9]{0,400}([.,][0-9]{0,40})?\s?[a-zA-Z]{0,4}", fullmatch=True),
    st.from_regex(r"[0-9]{1,30}x[0-9]{1,30}x[0-9]{1,30}(mm|cm|m|A)", fullmatch=True),
    st.from_regex(r"[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}", fullmatch=True),
    st.sampled_from(["9" * 5000 + "g", "1e400", "NaN", "Infinity", "-0", "0X0X0A", "\x00", "2023-02-30"]),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)

QUOTE_BASE = USD_ERA
QUOTE_FIELDS = ["weight", "dims", "date", "value", "delivery"]
ECONOMICS_BASE = ECONOMICS
ECONOMICS_FIELDS = [
    "weight",
    "dims",
    "date",
    "category",
    "purchase_cost",
    "packaging",
    "acquiring_pct",
    "sale_price",
    "target_margin_pct",
]


def _answered(r, started: float) -> None:
    assert r.status_code < 500, r.text[:300]
    assert "Traceback" not in r.text
    assert time.monotonic() - started < BOUND_S


@FUZZ
@given(field=st.sampled_from(QUOTE_FIELDS), text=hostile_text)
def test_quote_fields_never_5xx(live, field, text):
    started = time.monotonic()
    _answered(live.post("/v1/quotes", json={**QUOTE_BASE, field: text}), started)


@FUZZ
@given(field=st.sampled_from(ECONOMICS_FIELDS), text=hostile_text)
def test_economics_fields_never_5xx(live, field, text):
    body = {**ECONOMICS_BASE, field: text}
    if field in ("target_margin_pct",):
        body.pop("sale_price")
    started = time.monotonic()
    _answered(live.post("/v1/economics", json=body), started)


@FUZZ
@given(field=st.sampled_from(QUOTE_FIELDS), value=json_values)
def test_batch_entries_never_5xx_and_keep_their_place(live, field, value):
    body = {"parcels": [QUOTE_BASE, {**QUOTE_BASE, field: value}, QUOTE_BASE]}
    started = time.monotonic()
    r = live.post("/v1/quotes/batch", json=body)
    _answered(r, started)
    assert r.status_code == 200 and [it["index"] for it in r.json()["results"]] == [0, 1, 2]


@FUZZ
@given(lines=st.lists(st.one_of(json_values.map(json.dumps), hostile_text), min_size=1, max_size=8))
def test_ndjson_bodies_never_5xx_and_end_with_a_true_summary(live, lines):
    body = "\n".join(line.replace("\n", " ").replace("\r", " ") for line in lines) + "\n"
    started = time.monotonic()
    r = live.post(
        "/v1/quotes/batch",
        content=body.encode("utf-8", "surrogatepass"),
        headers={"content-type": "application/x-ndjson"},
    )
    _answered(r, started)
    if r.status_code == 200:
        *items, summary = [json.loads(x) for x in r.text.splitlines()]
        expected = sum(1 for x in body.encode("utf-8", "surrogatepass").split(b"\n") if x.strip())
        assert summary["summary"] is True and summary["count"] == len(items) == expected
        assert summary["succeeded"] == sum(1 for it in items if it["status"] == "ok")


@FUZZ
@given(field=st.sampled_from(["weight", "dims", "date", "value", "delivery"]), text=hostile_text)
def test_library_parse_raises_only_input_errors(field, text):
    args = {"weight": "400g", "dims": "30x20x15cm", "date": "2022-07-01", "value": None, "delivery": "pickup_point"}
    args[field] = text
    started = time.monotonic()
    try:
        Parcel.parse(args.pop("weight"), args.pop("dims"), **args)
    except InputError:
        pass
    assert time.monotonic() - started < BOUND_S


@FUZZ
@given(option=st.sampled_from(["--weight", "--dims", "--date", "--value"]), text=hostile_text)
def test_cli_quote_exits_0_or_2_without_a_traceback(option, text):
    args = {"--weight": "400g", "--dims": "30x20x15cm", "--date": "2022-07-01"}
    args[option] = text
    argv = ["quote"] + [x for kv in args.items() for x in kv]
    r = CliRunner().invoke(app, argv)
    assert r.exit_code in (0, 2), (argv, r.output, r.exception)
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "internal error" not in r.output
    assert "Traceback" not in r.output and "internal error" not in r.output


@FUZZ
@given(
    column=st.sampled_from(
        ["weight_g", "length_mm", "declared_value", "currency", "order_date", "delivery", "battery"]
    ),
    texts=st.lists(hostile_text, min_size=1, max_size=6),
)
def test_file_columns_become_rows_or_error_rows(tariffs, column, texts):
    n = len(texts)
    data = {
        "weight_g": ["400"] * n,
        "length_mm": ["300"] * n,
        "width_mm": ["200"] * n,
        "height_mm": ["150"] * n,
        "declared_value": ["10USD"] * n,
        "order_date": ["2022-07-01"] * n,
    }
    data[column] = texts
    ing = ingest(pa.table({k: pa.array(v, pa.string()) for k, v in data.items()}), compiled=tariffs.compiled())
    failed = set(ing.errors.row)
    assert set(ing.rows.tolist()) | failed == set(range(n)) and not failed & set(ing.rows.tolist())


ECONOMICS_ARGV = ["economics", "-w", "450g", "-d", "20x15x10cm", "--date", "2025-12-05", "--category", "pharmacy"]


@FUZZ
@given(option=st.sampled_from(["--price", "--acquiring", "--packaging", "--fx", "--cost"]), text=hostile_text)
def test_cli_economics_exits_0_or_2_without_a_traceback(option, text):
    args = {"--cost": "62CNY", "--fx": "CNY=11.5", "--price": "1499"}
    args[option] = f"CNY={text}" if option == "--fx" else text
    argv = ECONOMICS_ARGV + [x for kv in args.items() for x in kv]
    r = CliRunner().invoke(app, argv)
    assert r.exit_code in (0, 2), (argv, r.output, r.exception)
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "internal error" not in r.output
