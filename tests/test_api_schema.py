"""Schemathesis against the app's own OpenAPI schema, every check on (`--checks all`), NDJSON bodies too.

The app is loaded in-process (ASGI, no network). Generation is seeded (the hypothesis profile of
tests/exploring.py): the default run sends the same requests every time, and RATECALC_EXPLORE=1 sends new
ones, ten times as many.

Two checks are sharpened rather than left out:
- positive_data_acceptance: the schema states every rule on the *form* of a request (patterns, lengths,
  digits, units, currencies, input limits, one-of rules, which columns a catalogue needs), but not what
  depends on data the schema cannot hold: the tariffs, readings and categories, exchange rates, which
  dates need a declared RUB price. So a schema-valid request may get 422, but only for one of those
  reasons: `refused_only_beyond_the_schema` fails on any other refusal of schema-valid data.
- negative_data_rejection on the batch route: a schema-invalid *parcel* is answered with an error entry
  and 200 by design (partial success); whole-request errors there are tested in test_api.py.
"""

from __future__ import annotations

import json
import re

import schemathesis
from exploring import examples
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from api import Settings, create_app

# What may refuse a schema-valid request: (rule, JSON path it names, why the schema cannot say it).
BEYOND_THE_SCHEMA = [
    ("known_carrier", r"", "carrier ids are tariff data"),
    ("known_service", r"", "service ids are tariff data"),
    ("known_reading", r"", "readings are tariff data"),
    ("invalid_value", r"\.readings$", "readings are tariff data (the library's own check)"),
    ("commission_category", r"\.category$", "categories are commission data"),
    ("commission_table_period", r"\.date$", "which dates have commission tables is commission data"),
    ("fx_required", r"", "exchange rates are data (none is configured offline)"),
    ("required", r"\.value$", "which dates need a declared RUB price is tariff data"),
    ("currency", r"\.value$", "which dates need the declared price in RUB is tariff data"),
    ("conflicts_with", r"\.delivery$", "delivery and filters.delivery_types: a rule across two objects"),
    ("ndjson_only", r"^query$", "query options go with NDJSON bodies only: a rule across body and query"),
    ("max_points", r"\.step_g$", "step_g against the grid's range: arithmetic across parameters"),
    ("scheme", r"\.storage_days$", "storage days go with scheme fbp: a rule across two fields"),
    ("invalid_value", r"\.not_collected_rate$", "return rate + not-collected rate below 100 %: a sum of two fields"),
]


def beyond_the_schema(rule: str, path: str) -> bool:
    return any(rule == r and re.search(where, path) for r, where, _ in BEYOND_THE_SCHEMA)


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx, value) -> bytes:
    """An NDJSON body is text (the schema says a string of bytes); anything else is sent as one JSON line."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    return (json.dumps(value) + "\n").encode()


@schemathesis.check
def refused_only_beyond_the_schema(ctx, response, case):
    """positive_data_acceptance, minus what a schema cannot know (tariff, commission and rate data)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    if case.media_type == "application/x-ndjson":
        return None  # a string of bytes is schema-valid; the lines must be UTF-8 JSON (test_api.py)
    errors = response.json().get("errors", [])
    refused = [(e.get("rule"), e.get("path")) for e in errors if not beyond_the_schema(e.get("rule"), e.get("path"))]
    assert not refused, (
        f"schema-valid request refused for a rule the schema could state: {refused}: {response.text[:300]}"
    )
    return None


def _app():
    # Schemathesis runs the app's lifespan once (tariffs load as at start-up). A small batch maximum keeps
    # generated batches cheap and exercises the 413 path too.
    return create_app(
        Settings(api_token=None, admin_token=None, cors_origins=[], max_batch=20, tariff_dirs=[], builtin_tariffs=True)
    )


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=examples(15), suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    body = case.body
    if case.operation.path in ("/v1/economics", "/v1/economics/batch") and isinstance(body, dict):
        # The live CBR feed has no place in an offline property test. Only `true` is turned off: a `cbr` of
        # the wrong type may be the very part a negative case got wrong.
        if body.get("cbr") is True or (case.meta and case.meta.generation.mode.is_positive):
            body["cbr"] = False
    excluded = [positive_data_acceptance]
    if case.operation.path == "/v1/quotes/batch":
        excluded.append(negative_data_rejection)
    case.call_and_validate(excluded_checks=excluded, additional_checks=[refused_only_beyond_the_schema])
