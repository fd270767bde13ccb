"""From validated request bodies to quotes: parcel conversion, option checks, filters and sort orders.

Routes stay thin; this module is where a request's words ("1.2kg", "courier", a carrier id) meet the
library, and where every refusal is turned into a FieldError that names the JSON path it came from.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Optional, Sequence, Union

import numpy as np

from ratecalc import InputError, Parcel, TariffSet
from ratecalc.pricing.compact import compact, parse_expand
from ratecalc.pricing.groups import group_input_error, require_group_inputs
from ratecalc.pricing.parcels import to_arrays
from ratecalc.pricing.result import STATUS_RANK, ServiceQuote, sort_quotes
from ratecalc.tariffdata.confidence import confidence_rank
from ratecalc.units import Money

from .errors import FieldError, from_input_error, invalid
from .jsonout import dumps
from .models import (
    MoneyIn,
    NormalisedParcel,
    NormalisedRequest,
    QuoteFilters,
    QuoteOptions,
    QuoteParcel,
    QuoteRequest,
)


class Invalid(Exception):
    """A request part that cannot be quoted, with every broken field found."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))
        self.errors = errors


def _delivery_types(options: QuoteOptions) -> Optional[list[str]]:
    f = options.filters
    return list(dict.fromkeys(f.delivery_types)) if f is not None and f.delivery_types else None


def to_parcel(item: QuoteParcel, options: QuoteOptions, root: str = "$") -> Parcel:
    """The library's Parcel for one request parcel; raises Invalid naming the JSON path of the bad field."""
    errors = []
    for text, ints in (("weight", "weight_g"), ("dims", "dims_mm")):
        if (getattr(item, text) is None) == (getattr(item, ints) is None):
            errors.append(
                FieldError(
                    path=f"{root}.{text}",
                    message=f"give exactly one of {text} or {ints}",
                    rule="exactly_one_of",
                    limit=[text, ints],
                )
            )
    if _delivery_types(options) is not None and "delivery" in item.model_fields_set:
        errors.append(
            FieldError(
                path=f"{root}.delivery",
                message="give either delivery or filters.delivery_types, not both",
                rule="conflicts_with",
                limit="filters.delivery_types",
            )
        )
    if errors:
        raise Invalid(errors)
    names = {
        "weight": "weight" if item.weight is not None else "weight_g",
        "dims": "dims" if item.dims is not None else "dims_mm",
    }
    value = item.value
    try:
        money: Optional[str | Money]
        if isinstance(value, MoneyIn):
            names["value"] = "value.currency"
            money = Money(Decimal(value.amount), value.currency.upper())
        else:
            money = value
        return Parcel.parse(
            item.weight if item.weight is not None else item.weight_g,
            item.dims if item.dims is not None else item.dims_mm,
            date=item.date,
            value=money,
            delivery=item.delivery,
            battery=item.battery,
            liquid=item.liquid,
        )
    except InputError as exc:
        raise Invalid([from_input_error(exc, f"{root}.{names.get(exc.field, exc.field)}")]) from None


def check_options(ts: TariffSet, options: QuoteOptions, root: str = "$") -> None:
    """Readings and filters must name things that exist: a typo must not silently empty the answer."""
    errors = []
    known_readings = ts.compiled(scheme=options.scheme).available_readings
    for i, name in enumerate(options.readings):
        if name not in known_readings:
            errors.append(
                FieldError(
                    path=f"{root}.readings[{i}]",
                    message=f"unknown reading {name!r}",
                    rule="known_reading",
                    limit=sorted(known_readings),
                )
            )
    f = options.filters
    if f is not None:
        services_of = ts.compiled(scheme=options.scheme).services
        carriers = sorted({s.carrier_id for s in services_of})
        for i, c in enumerate(f.carriers or ()):
            if c.lower() not in carriers:
                errors.append(
                    FieldError(
                        path=f"{root}.filters.carriers[{i}]",
                        message=f"unknown carrier {c!r}",
                        rule="known_carrier",
                        limit=carriers,
                    )
                )
        services = {s.id for s in services_of}
        for i, s in enumerate(f.services or ()):
            if s not in services:
                errors.append(
                    FieldError(
                        path=f"{root}.filters.services[{i}]",
                        message=f"unknown service {s!r} (see GET /v1/carriers)",
                        rule="known_service",
                        limit=None,
                    )
                )
    if errors:
        raise Invalid(errors)
    try:
        ts.compiled(options.readings, options.scheme)
    except InputError as exc:  # e.g. readings that cannot be combined
        raise Invalid([from_input_error(exc, f"{root}.readings")]) from None


def _days_key(q: ServiceQuote) -> tuple:
    d = q.delivery_days
    price = (q.price.currency, Decimal(q.price.amount)) if q.price else ("", Decimal(0))
    return (
        q.status == "ineligible",
        d is None,
        d.max if d else 0,
        d.min if d else 0,
        STATUS_RANK[q.status],
        price,
        q.service,
        q.service_id,
    )


def _keep(q: ServiceQuote, f: QuoteFilters) -> bool:
    if f.carriers and q.carrier_id not in {c.lower() for c in f.carriers}:
        return False
    if f.services and q.service_id not in f.services:
        return False
    if f.statuses and q.status not in f.statuses:
        return False
    if f.max_days is not None and (q.delivery_days is None or q.delivery_days.max > f.max_days):
        return False
    if f.min_confidence is not None and confidence_rank(q.tariff.confidence) > confidence_rank(f.min_confidence):
        return False
    return True


def finish(quotes: list[ServiceQuote], options: QuoteOptions, merged: bool) -> tuple[list[ServiceQuote], int]:
    """Apply filters then the sort order; returns (kept, number filtered out)."""
    kept = quotes
    if options.filters is not None:
        kept = [q for q in quotes if _keep(q, options.filters)]
    if options.sort == "days":
        kept = sorted(kept, key=_days_key)
    elif merged:  # one list per delivery type: restore the library's price order over the union
        kept = sort_quotes(kept)
    return kept, len(quotes) - len(kept)


def _input_problems(
    ts: TariffSet, parcels: Sequence[Parcel], readings: Sequence[str], scheme: str = "rfbs"
) -> dict[int, InputError]:
    """Parcels the engine would refuse as a whole batch (e.g. no declared RUB price in the group era).

    The library raises for the first such parcel of a batch; the API answers each one at its own index
    instead, so the others are still quoted (partial success).
    """
    compiled = ts.compiled(readings, scheme)
    arrays = to_arrays(parcels)
    flagged = np.flatnonzero(require_group_inputs(compiled, arrays))
    return {int(i): group_input_error(compiled, arrays, int(i)) for i in flagged}


Outcome = Union[tuple[list[ServiceQuote], int], InputError]


def quote_parcels(ts: TariffSet, parcels: Sequence[Parcel], options: QuoteOptions) -> list[Outcome]:
    """One engine run for all quotable parcels (times the delivery types asked for), in input order.

    Each slot is (quotes, number filtered out) or the InputError that parcel alone is refused with.
    """
    if len(parcels) == 1:  # one parcel: the library's own refusal is about this parcel; no pre-check needed
        try:
            return [_quote_one(ts, parcels[0], options)]
        except InputError as exc:
            return [_this_parcel(exc)]
    refused = _input_problems(ts, parcels, options.readings, options.scheme) if parcels else {}
    return _quote_known(ts, parcels, options, refused)


def _this_parcel(exc: InputError) -> InputError:
    """The library's refusal of a one-parcel request, about the request's own fields: the library names the
    row it checked ("parcels[0].value")."""
    field = re.sub(r"^parcels\[\d+\]\.", "", exc.field)
    return InputError(field, exc.message, rule=exc.rule, limit=exc.limit)


def _quote_one(ts: TariffSet, parcel: Parcel, options: QuoteOptions) -> tuple[list[ServiceQuote], int]:
    """One parcel through `TariffSet.quote` (the library's one-parcel path, without the arrays of
    `quote_many`: ~40 % less CPU for a single quote), once per delivery type asked for."""
    deliveries = _delivery_types(options)
    if not deliveries:
        return finish(ts.quote(parcel, readings=options.readings, scheme=options.scheme), options, merged=False)
    merged = [
        q
        for d in deliveries
        for q in ts.quote(dataclasses.replace(parcel, delivery=d), readings=options.readings, scheme=options.scheme)
    ]
    return finish(merged, options, merged=len(deliveries) > 1)


def _quote_known(
    ts: TariffSet, parcels: Sequence[Parcel], options: QuoteOptions, refused: dict[int, InputError]
) -> list[Outcome]:
    """`quote_parcels` once the refused parcels are known."""
    good = [p for i, p in enumerate(parcels) if i not in refused]
    deliveries = _delivery_types(options)
    k = len(deliveries) if deliveries else 1
    expanded = [dataclasses.replace(p, delivery=d) for p in good for d in deliveries] if deliveries else good
    raw = ts.quote_many(expanded, readings=options.readings, scheme=options.scheme) if expanded else []
    out: list[Outcome] = []
    j = 0
    for i in range(len(parcels)):
        if i in refused:
            out.append(refused[i])
            continue
        merged = [q for chunk in raw[j * k : (j + 1) * k] for q in chunk]
        out.append(finish(merged, options, merged=k > 1))
        j += 1
    return out


def quotes_json(
    quotes: Sequence[ServiceQuote], options: QuoteOptions, expand: frozenset[str] = frozenset()
) -> list[dict]:
    """The answer's quotes in their compact form (`ratecalc.pricing.compact`); `delivery_type` is named on each
    quote only when the request asked for several delivery types."""
    several = len(_delivery_types(options) or ()) > 1
    out = [compact(q, expand, delivery_type=several) for q in quotes]
    if "ties" in expand:  # the one tie rule (same price, days and rules), asked for with ?expand=ties
        from ratecalc.pricing.ties import tied_with

        ties = tied_with(quotes)
        for d in out:
            if d["service_id"] in ties:
                d["tied_with"] = ties[d["service_id"]]
    return out


def normalised_parcel(parcel: Parcel) -> NormalisedParcel:
    return NormalisedParcel.model_validate(parcel.to_dict())


def normalised_request(parcel: Parcel, options: QuoteOptions) -> NormalisedRequest:
    return NormalisedRequest.model_validate(normalised_request_json(parcel, options))


def normalised_request_json(parcel: Parcel, options: QuoteOptions) -> dict:
    """`normalised_request(...).model_dump(mode="json")` without building the model: on every single quote
    (the model's round trip cost more than the rest of the echo); tests hold the two equal."""
    out = parcel.to_dict()
    out["scheme"] = options.scheme
    out["readings"] = list(options.readings)
    out["delivery_types"] = _delivery_types(options) or [parcel.delivery]
    out["filters"] = None if options.filters is None else options.filters.model_dump(mode="json")
    out["sort"] = options.sort
    return out


def _compact_outcome(
    ts: TariffSet, parcel: Parcel, body: QuoteRequest, parts: frozenset[str]
) -> Union[tuple[list[dict], int], InputError]:
    """The answer's compact quotes and the number filtered out, or the library's refusal of this parcel.

    The everyday request (no filters, price order, no expansion) is answered by `TariffSet.quote_compact`,
    which skips building the full quotes; anything else goes through the full quotes and `finish`.
    """
    if body.filters is None and body.sort == "price" and not parts:
        try:
            return ts.quote_compact(parcel, readings=body.readings, scheme=body.scheme), 0
        except InputError as exc:
            return _this_parcel(exc)
    [outcome] = quote_parcels(ts, [parcel], body)
    if isinstance(outcome, InputError):
        return outcome
    quotes, hidden = outcome
    return quotes_json(quotes, body, parts), hidden


def quote_answer(ts: TariffSet, body: QuoteRequest, expand: Sequence[str]) -> bytes:
    """The JSON answer of `POST /v1/quotes` for a validated body and the raw `expand` query values.

    Raises the 422 problem (every broken field: expansions, options, the parcel) or the library's refusal
    of this parcel. One function for the FastAPI route and the direct path (`api.fastquote`), so both
    answer byte for byte the same.
    """
    errors = []
    try:
        parts = parse_expand(expand)
    except InputError as exc:
        errors.append(from_input_error(exc, "query.expand"))
    try:
        check_options(ts, body)
    except Invalid as exc:
        errors += exc.errors
    try:
        parcel = to_parcel(body, body)
    except Invalid as exc:
        errors += exc.errors
    if errors:
        raise invalid(errors)
    outcome = _compact_outcome(ts, parcel, body, parts)
    if isinstance(outcome, InputError):  # e.g. the group model needs a declared RUB price
        field = "value.currency" if isinstance(body.value, MoneyIn) and outcome.rule == "currency" else outcome.field
        raise invalid([from_input_error(outcome, f"$.{field}")])
    quotes, hidden = outcome
    notice = ts.coverage(parcel.order_date, readings=body.readings, scheme=body.scheme).message
    out: dict = {
        "request": normalised_request_json(parcel, body),
        "quotes": quotes,
        "filtered_out": hidden,
    }
    if notice is not None:  # absent, not null, like every optional part of the answer
        out["notice"] = notice
    return dumps(out)
