"""Schemathesis against the app's own OpenAPI schema: no server errors, responses match the schema.

The app is loaded in-process (ASGI, no network). Two checks are left out, on purpose:
- positive_data_acceptance: the schema cannot say everything the library checks (a date-dependent
  declared-price requirement, the 1-tonne input limit inside "2000kg", unknown carrier ids), so a
  schema-valid request may rightly get 422; the 422 bodies are still checked against the schema.
- negative_data_rejection on the batch route only: a schema-invalid *parcel* is answered with an error
  entry and 200 by design (partial success); whole-request errors there are tested in test_api.py.
"""

from __future__ import annotations

import json

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from api import Settings, create_app


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx, value) -> bytes:
    return (json.dumps(value) + "\n").encode()


def _app():
    # Schemathesis runs the app's lifespan once (tariffs load as at start-up). A small batch maximum keeps
    # generated batches cheap and exercises the 413 path too.
    return create_app(
        Settings(api_token=None, admin_token=None, cors_origins=[], max_batch=20, tariff_dirs=[], builtin_tariffs=True)
    )


# POST /v1/economics is left to its own tests: its `use_cbr`
# flag fetches live exchange rates, which has no place in an offline, bounded property test.
schema = schemathesis.openapi.from_asgi("/openapi.json", _app()).exclude(path_regex=r"^/v1/economics")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    excluded = [positive_data_acceptance]
    if case.operation.path == "/v1/quotes/batch":
        excluded.append(negative_data_rejection)
    case.call_and_validate(excluded_checks=excluded)
