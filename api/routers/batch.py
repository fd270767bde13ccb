"""POST /v1/quotes/batch: many parcels, one result per parcel in order, partial success.

A bad parcel becomes an error entry at its index and never fails the others. JSON in / JSON out by
default; NDJSON (`application/x-ndjson`, one parcel per line) is split into lines as it streams in (and
refused with 413 the moment it passes the maximum), and NDJSON out (asked for with
`Accept: application/x-ndjson`, or implied by an NDJSON body) is written chunk by chunk as the engine
finishes them and always ends with one summary line (`{"summary": true, "count", "succeeded", "failed"}`):
the status line leaves before the work is done, so a stream cut by a dying server is told apart from a
complete one by that last line. Parsing, validation, quoting and serialisation run in worker threads so a 10,000-parcel
batch does not stall health checks and single quotes (it still shares the GIL with them).
"""

from __future__ import annotations

import json
import logging
from typing import Any, AsyncIterator, Literal, Optional, Sequence

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ratecalc import InputError, Parcel, TariffSet
from ratecalc.pricing.compact import parse_expand

from ..deps import tariffs
from ..errors import (
    MAX_JSON_DEPTH,
    ApiProblem,
    FieldError,
    Problem,
    body_error,
    from_input_error,
    from_pydantic,
    invalid,
    json_depth,
)
from ..models import (
    BatchItem,
    BatchResponse,
    ItemError,
    QuoteFilters,
    QuoteOptions,
    QuoteParcel,
    Readings,
    Short,
    Sort,
)
from ..patterns import EXPAND_SCHEMA
from ..quoting import Invalid, check_options, normalised_parcel, quote_parcels, quotes_json, to_parcel

router = APIRouter(prefix="/v1", tags=["quotes"])
log = logging.getLogger("ratecalc.api")

NDJSON = "application/x-ndjson"
_NDJSON_TYPES = {NDJSON, "application/ndjson", "application/jsonl", "application/x-jsonlines"}
CHUNK = 1000  # parcels per engine run when streaming: first lines leave early, engine still vectorised
PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}


class BatchSummary(BaseModel):
    """The last line of every NDJSON answer: counts over the whole batch. No summary line = cut stream."""

    summary: Literal[True] = Field(True, description="marks the final line")
    count: int
    succeeded: int
    failed: int


class _Envelope(QuoteOptions):
    """The JSON body with parcels left raw, so each parcel is validated (and may fail) on its own."""

    model_config = ConfigDict(extra="forbid")
    parcels: list[Any]


def _too_many(limit: int, path: str) -> ApiProblem:
    return ApiProblem(
        413,
        "batch-too-large",
        "Batch too large",
        f"a batch holds at most {limit} parcels",
        [FieldError(path=path, message=f"more than {limit} parcels", rule="max_batch", limit=limit)],
    )


def _item_error(index: int, errors: list[FieldError]) -> BatchItem:
    detail = "; ".join(f"{e.path}: {e.message}" for e in errors)
    return BatchItem(index=index, status="error", error=ItemError(title="Invalid parcel", detail=detail, errors=errors))


class _Batch:
    """Parcels in request order; each slot holds a Parcel to quote or the error answering it."""

    def __init__(self, options: QuoteOptions, root: str):
        self.options = options
        self.root = root
        self.expand: frozenset[str] = frozenset()  # parts added to each compact quote (`?expand=`)
        self.slots: list[Parcel | BatchItem] = []

    def add(self, raw: Any) -> None:
        i = len(self.slots)
        where = f"{self.root}[{i}]"
        try:
            item = QuoteParcel.model_validate(raw)
        except ValidationError as exc:
            self.slots.append(_item_error(i, from_pydantic(exc.errors(), where)))
            return
        try:
            self.slots.append(to_parcel(item, self.options, where))
        except Invalid as exc:
            self.slots.append(_item_error(i, exc.errors))

    def add_error(self, errors: list[FieldError]) -> None:
        self.slots.append(_item_error(len(self.slots), errors))


def _run(ts: TariffSet, batch: _Batch, start: int, stop: int) -> list[BatchItem]:
    """Quote slots[start:stop] in one engine run; errors keep their place."""
    part = batch.slots[start:stop]
    todo = [(k, s) for k, s in enumerate(part) if isinstance(s, Parcel)]
    parcels = [p for _, p in todo]
    try:
        results = quote_parcels(ts, parcels, batch.options) if todo else []
    except InputError:
        # A refusal the pre-checks did not foresee fails the whole engine run: isolate it parcel by
        # parcel so it lands on its own index and the others are still quoted.
        results = []
        for p in parcels:
            try:
                results += quote_parcels(ts, [p], batch.options)
            except InputError as exc:
                results.append(exc)
    out: list[BatchItem] = [s for s in part]  # type: ignore[misc]
    for (k, parcel), outcome in zip(todo, results):
        if isinstance(outcome, InputError):
            out[k] = _item_error(start + k, [from_input_error(outcome, f"{batch.root}[{start + k}].{outcome.field}")])
            continue
        quotes, hidden = outcome
        out[k] = BatchItem(
            index=start + k,
            status="ok",
            request=normalised_parcel(parcel),
            quotes=quotes_json(quotes, batch.options, batch.expand),
            filtered_out=hidden,
        )
    return out


def _wants_ndjson(request: Request, ndjson_in: bool) -> bool:
    accept = request.headers.get("accept", "")
    if any(t in accept for t in _NDJSON_TYPES):
        return True
    return ndjson_in and "application/json" not in accept


def _query_options(
    reading: Optional[Sequence[str]],
    carrier: Optional[Sequence[str]],
    service: Optional[Sequence[str]],
    delivery_type: Optional[Sequence[str]],
    max_days: Optional[int],
    status: Optional[Sequence[str]],
    sort: Optional[str],
    scheme: Optional[str] = None,
) -> Optional[QuoteOptions]:
    raw_filters = {
        k: v
        for k, v in (
            ("carriers", carrier),
            ("services", service),
            ("delivery_types", None if delivery_type is None else list(dict.fromkeys(delivery_type))),
            ("max_days", max_days),
            ("statuses", None if status is None else list(dict.fromkeys(status))),  # repeats change nothing
        )
        if v is not None
    }
    if not raw_filters and reading is None and sort is None and scheme is None:
        return None
    data: dict[str, Any] = {"filters": QuoteFilters.model_validate(raw_filters) if raw_filters else None}
    if scheme is not None:
        data["scheme"] = scheme
    if reading is not None:
        data["readings"] = reading
    if sort is not None:
        data["sort"] = sort
    return QuoteOptions.model_validate(data)


# NDJSON in: the body is text, one QuoteParcel per line, so the schema says a string of bytes (what client
# generators turn into a file or bytes argument) and the description says the lines. Descriptions sit on the
# request body and the response, never on a media type (OpenAPI 3.1 has no such field).
_BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": "JSON: a BatchRequest. NDJSON (`Content-Type: application/x-ndjson`): one QuoteParcel JSON "
        "object per line, options as query parameters; the answer is NDJSON unless the request asks for JSON "
        "(`Accept: application/json`).",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/BatchRequest"}},
            NDJSON: {
                "schema": {
                    "type": "string",
                    "format": "binary",
                    "description": "UTF-8 text: one QuoteParcel JSON object per line",
                }
            },
        },
    }
}


@router.post(
    "/quotes/batch",
    operation_id="quoteBatch",
    response_model=BatchResponse,
    responses={
        200: {
            "description": "JSON: a BatchResponse. NDJSON (asked with `Accept: application/x-ndjson`, or implied by "
            "an NDJSON body): one BatchItem per line, in order, then one BatchSummary line (the schema of a line)",
            "content": {
                NDJSON: {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/BatchItem"},
                            {"$ref": "#/components/schemas/BatchSummary"},
                        ]
                    },
                }
            },
        },
        413: PROBLEM,
        415: PROBLEM,
        422: PROBLEM,
    },
    openapi_extra=_BODY_DOC,
    summary="Quote many parcels (partial success)",
)
async def quote_batch(
    request: Request,
    ts: TariffSet = Depends(tariffs),
    reading: Optional[Readings] = Query(None, description="NDJSON bodies only: a named reading (repeatable)"),
    carrier: Optional[list[Short]] = Query(
        None, max_length=64, description="NDJSON bodies only: keep this carrier id (repeatable)"
    ),
    service: Optional[list[Short]] = Query(
        None, max_length=256, description="NDJSON bodies only: keep this service id (repeatable)"
    ),
    delivery_type: Optional[list[Literal["pickup_point", "courier"]]] = Query(
        None, description="NDJSON bodies only: quote for this delivery type (repeatable)"
    ),
    max_days: Optional[int] = Query(
        None, ge=1, le=365, description="NDJSON bodies only: published max days at most this"
    ),
    status: Optional[list[Literal["ok", "unpriced", "ineligible"]]] = Query(None, description="NDJSON bodies only"),
    sort: Optional[Sort] = Query(None, description="NDJSON bodies only: price or days"),
    expand: list[str] = Query(
        [],
        description="add parts to each quote: billing, tariff, reasons, ties or all; comma-separated or repeated",
        json_schema_extra=EXPAND_SCHEMA,
    ),
    scheme: Optional[Literal["rfbs", "fbp"]] = Query(
        None, description="NDJSON bodies only: rfbs (default) or fbp, the border warehouse's lanes"
    ),
) -> Response:
    """One result per parcel, in order; a bad parcel yields an error entry and does not fail the others.

    JSON body: `{"parcels": [...], "readings", "filters", "sort"}`. NDJSON body: one parcel per line,
    options as query parameters. The response is NDJSON when asked with `Accept: application/x-ndjson`
    (or by sending NDJSON without asking for JSON), one BatchItem per line.
    """
    limit: int = request.app.state.settings.max_batch
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    ndjson_in = ctype in _NDJSON_TYPES
    if not ndjson_in and ctype != "application/json" and not ctype.endswith("+json"):
        raise ApiProblem(
            415, "unsupported-media-type", "Unsupported media type", f"send application/json or {NDJSON}, not {ctype!r}"
        )
    try:
        q_options = _query_options(reading, carrier, service, delivery_type, max_days, status, sort, scheme)
    except ValidationError as exc:
        raise invalid(from_pydantic(exc.errors(), "query")) from None

    # Parsing and validating up to 10,000 parcels, quoting them and writing the answer are CPU work: all of
    # it runs in worker threads so the event loop keeps answering health checks and single quotes.
    if ndjson_in:
        options = q_options or QuoteOptions()
        batch = _Batch(options, "$")
        lines = await _read_ndjson(request, limit)
        await anyio.to_thread.run_sync(_add_lines, batch, lines)
        root = "query"
    else:
        if q_options is not None:
            raise invalid(
                [
                    FieldError(
                        path="query",
                        message="query options are for NDJSON bodies; put them in the JSON body",
                        rule="ndjson_only",
                        limit=None,
                    )
                ]
            )
        raw_body = await request.body()
        env = await anyio.to_thread.run_sync(_parse_json, raw_body, limit)
        options = env
        batch = _Batch(options, "$.parcels")
        await anyio.to_thread.run_sync(_add_all, batch, env.parcels)
        root = "$"
    try:
        check_options(ts, options, root)
        batch.expand = parse_expand(expand)
    except Invalid as exc:
        raise invalid(exc.errors) from None
    except InputError as exc:
        raise invalid([from_input_error(exc, "query.expand")]) from None

    metrics = request.app.state.metrics
    if _wants_ndjson(request, ndjson_in):
        return StreamingResponse(_stream(ts, batch, metrics), media_type=NDJSON)
    body = await anyio.to_thread.run_sync(_answer_json, ts, batch, metrics)
    return Response(body, media_type="application/json")


def _answer_json(ts: TariffSet, batch: _Batch, metrics: Any) -> bytes:
    n = len(batch.slots)
    items = _run(ts, batch, 0, n)
    _count(metrics, items)
    ok = sum(1 for it in items if it.status == "ok")
    return BatchResponse(count=n, succeeded=ok, failed=n - ok, results=items).model_dump_json().encode()


def _count(metrics: Any, items: list[BatchItem]) -> None:
    ok = sum(1 for it in items if it.status == "ok")
    metrics.quotes.labels("batch").inc(ok)
    metrics.batch_item_errors.inc(len(items) - ok)


async def _stream(ts: TariffSet, batch: _Batch, metrics: Any) -> AsyncIterator[bytes]:
    """BatchItem lines, then one BatchSummary line: a stream without it was cut and is incomplete."""
    succeeded = 0
    for start in range(0, len(batch.slots), CHUNK):
        try:  # quoted and written in a worker thread: the event loop only passes the bytes on
            lines, ok = await anyio.to_thread.run_sync(_run_lines, ts, batch, start, metrics)
        except Exception:  # the status line is already sent: answer these parcels with error lines
            log.exception("batch chunk failed", extra={"start": start})
            stop = min(start + CHUNK, len(batch.slots))
            err = [
                FieldError(
                    path=batch.root, message="internal error; logged with this request id", rule="internal_error"
                )
            ]
            lines, ok = _lines([_item_error(i, err) for i in range(start, stop)], metrics)
        succeeded += ok
        yield lines
    n = len(batch.slots)
    yield (BatchSummary(count=n, succeeded=succeeded, failed=n - succeeded).model_dump_json() + "\n").encode()


def _run_lines(ts: TariffSet, batch: _Batch, start: int, metrics: Any) -> tuple[bytes, int]:
    """One chunk's NDJSON lines and how many of them succeeded."""
    return _lines(_run(ts, batch, start, start + CHUNK), metrics)


def _lines(items: list[BatchItem], metrics: Any) -> tuple[bytes, int]:
    _count(metrics, items)
    return "".join(it.model_dump_json() + "\n" for it in items).encode(), sum(1 for it in items if it.status == "ok")


def _load(text: bytes) -> Any:
    """json.loads, refusing bodies nested deeper than MAX_JSON_DEPTH (raises ValueError/RecursionError)."""
    data = json.loads(text)
    if json_depth(data) > MAX_JSON_DEPTH:
        raise RecursionError("too deep")
    return data


def _parse_json(raw: bytes, limit: int) -> _Envelope:
    try:
        data = _load(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise invalid([body_error(exc)]) from None
    if isinstance(data, dict) and isinstance(data.get("parcels"), list) and len(data["parcels"]) > limit:
        raise _too_many(limit, "$.parcels")
    try:
        return _Envelope.model_validate(data)
    except ValidationError as exc:
        raise invalid(from_pydantic(exc.errors())) from None


def _add_all(batch: _Batch, parcels: list[Any]) -> None:
    for raw in parcels:
        batch.add(raw)


def _add_lines(batch: _Batch, lines: list[bytes]) -> None:
    for text in lines:
        try:
            raw = _load(text)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            err = body_error(exc)
            err.path = f"$[{len(batch.slots)}]"
            batch.add_error([err])
            continue
        batch.add(raw)


async def _read_ndjson(request: Request, limit: int) -> list[bytes]:
    """The non-blank lines, read as they arrive; refuses (413) as soon as the batch passes the limit."""
    buf = b""
    lines: list[bytes] = []

    def take(parts: list[bytes]) -> None:
        for text in parts:
            if text.strip():
                if len(lines) >= limit:
                    raise _too_many(limit, f"$[{limit}]")
                lines.append(text)

    async for chunk in request.stream():
        buf += chunk
        *parts, buf = buf.split(b"\n")
        take(parts)
    take([buf])
    return lines
