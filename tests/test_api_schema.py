"""Schemathesis against the app's own OpenAPI schema, every check on (`--checks all`), NDJSON bodies too.

The app is loaded in-process (ASGI, no network). Two checks are sharpened rather than left out:
- positive_data_acceptance: the schema says every *shape* the server checks (patterns, lengths, digits,
  one-of rules, nullability), but not what depends on data the schema cannot hold: the tariffs (a carrier
  id that does not exist, a 1-tonne limit inside "2000kg", a declared RUB price needed from 2024-12-05), the
  calendar (2023-02-30) or exchange rates. So a schema-valid request may get 422, but only for one of those
  reasons: `refused_only_beyond_the_schema` fails on any shape rule in a 422 to schema-valid data.
- negative_data_rejection on the batch route: a schema-invalid *parcel* is answered with an error entry
  and 200 by design (partial success); whole-request errors there are tested in test_api.py.
"""

from __future__ import annotations

import json

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from api import Settings, create_app

# Rules the schema itself states: a schema-valid request must never be refused for one of these.
SHAPE_RULES = {
    "string_pattern_mismatch",
    "string_too_long",
    "string_too_short",
    "too_long",
    "too_short",
    "missing",
    "extra_forbidden",
    "literal_error",
    "string_type",
    "int_type",
    "bool_type",
    "list_type",
    "dict_type",
    "model_type",
    "json_invalid",
    "max_depth",
    "max_digits",
    "max_decimals",
    "max_length",
    "exactly_one_of",
    "value_error",
}


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx, value) -> bytes:
    return (json.dumps(value) + "\n").encode()


@schemathesis.check
def refused_only_beyond_the_schema(ctx, response, case):
    """positive_data_acceptance, minus what a schema cannot know (tariffs, calendar, rates)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    rules = {e.get("rule") for e in response.json().get("errors", [])}
    shape = rules & SHAPE_RULES
    assert not shape, f"schema-valid request refused for a rule the schema states: {shape}: {response.text[:300]}"
    return None


def _app():
    # Schemathesis runs the app's lifespan once (tariffs load as at start-up). A small batch maximum keeps
    # generated batches cheap and exercises the 413 path too.
    return create_app(
        Settings(api_token=None, admin_token=None, cors_origins=[], max_batch=20, tariff_dirs=[], builtin_tariffs=True)
    )


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    if case.operation.path == "/v1/economics" and isinstance(case.body, dict):
        case.body["use_cbr"] = False  # the live CBR feed has no place in an offline property test
    excluded = [positive_data_acceptance]
    if case.operation.path == "/v1/quotes/batch":
        excluded.append(negative_data_rejection)
    case.call_and_validate(excluded_checks=excluded, additional_checks=[refused_only_beyond_the_schema])
