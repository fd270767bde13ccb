"""The compact quote: what a person compares, and nothing else unless asked for.

A full `ServiceQuote` repeats the service's billing rule, the tariff's dates and sources and every reason's
sentence; for 30 services that is ~30 KB, a quarter of it nulls. The compact form keeps, per quote, the
service and carrier, status, price, delivery days, chargeable weight, reason codes and the confidence of
the figure, and omits what is absent instead of writing null. The rest is one `expand` away:

- `billing`: the weight rule applied (`basis`, actual / volumetric grams, divisor, rounding, shipment group)
- `tariff`: the tariff version quoted (effective dates, sources, readings used)
- `reasons`: the reasons and warnings as sentences (`reason_details`), not only codes
- `all`: every expansion

This is the default answer of `POST /v1/quotes` (`?expand=...` adds parts) and of `ratecalc quote --json`
(`--full` prints the complete `ServiceQuote`s). The library keeps returning full `ServiceQuote`s.
"""

from __future__ import annotations

from typing import Iterable, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InputError
from ..tariffdata.confidence import Confidence
from .result import BillingOut, CustomsOut, DaysOut, FxOut, Price, ReasonOut, ServiceQuote, TariffRef

EXPANSIONS = ("billing", "tariff", "reasons", "ties")
Expansion = Literal["billing", "tariff", "reasons", "ties", "all"]


def parse_expand(values: Iterable[str], field: str = "expand") -> frozenset[str]:
    """`billing,tariff` (comma-separated, repeatable) -> the set of expansions; `all` means every one."""
    out: set[str] = set()
    for value in values:
        for part in str(value).split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name == "all":
                out.update(EXPANSIONS)
            elif name in EXPANSIONS:
                out.add(name)
            else:
                raise InputError(
                    field,
                    f"unknown expansion {part.strip()!r}; use {', '.join(EXPANSIONS)} or all",
                    rule="known_expansion",
                    limit=[*EXPANSIONS, "all"],
                )
    return frozenset(out)


class CompactBilling(BillingOut):
    """The billing rule of the service and what it made of this parcel."""

    model_config = ConfigDict(defer_build=True)  # a schema for the API; `compact` builds plain dicts

    basis: Literal["actual", "greater_of", "volumetric"] = Field(description="the weight rule applied to this parcel")
    actual_weight_g: int
    volumetric_weight_g: Optional[int] = Field(None, description="absent when the service ignores volume")
    group: Optional[str] = Field(None, description="the parcel's shipment group, when the tariff prices by group")


class CompactQuote(BaseModel):
    """One service's quote, compact. Optional fields are omitted when absent (never null)."""

    model_config = ConfigDict(defer_build=True)  # a schema for the API; `compact` builds plain dicts

    service_id: str
    service: str
    carrier_id: str = Field(description="the carrier (its display name is in GET /v1/carriers and the full quote)")
    delivery_type: Optional[str] = Field(None, description="present when the request quoted several delivery types")
    status: Literal["ok", "unpriced", "ineligible"]
    price: Optional[Price] = Field(None, description="absent unless status is ok")
    days: Optional[DaysOut] = Field(None, description="published delivery time; absent when unknown")
    chargeable_weight_g: int
    reasons: Optional[list[str]] = Field(None, description="reason codes (why ineligible or unpriced)")
    warnings: Optional[list[str]] = Field(None, description="warning codes")
    confidence: Optional[Confidence] = Field(
        None,
        description="confidence of the tariff figures, when the data states it (best first: official, "
        "carrier_sheet, third_party, inferred)",
    )
    # RUB figures, present only when they were asked for (see ServiceQuote)
    fx: Optional[FxOut] = None
    price_rub: Optional[Price] = None
    ozon_fee_rub: Optional[Price] = None
    ozon_fee_rule: Optional[str] = None
    total_rub: Optional[Price] = None
    rub_missing_reason: Optional[str] = None
    customs: Optional[CustomsOut] = None
    billing: Optional[CompactBilling] = Field(None, description="with expand=billing")
    tariff: Optional[TariffRef] = Field(None, description="with expand=tariff")
    reason_details: Optional[list[ReasonOut]] = Field(None, description="with expand=reasons: reasons and warnings")
    tied_with: Optional[list[str]] = Field(
        None,
        description="with expand=ties: the other services with the same price, days and rules (ratecalc.pricing.ties); "
        "absent when the service ties with none",
    )


_RUB_FIELDS = ("fx", "price_rub", "ozon_fee_rub", "ozon_fee_rule", "total_rub", "rub_missing_reason", "customs")


def _price(p: Optional[Price]) -> Optional[dict]:
    return None if p is None else {"amount": p.amount, "currency": p.currency}


def compact(q: ServiceQuote, expand: frozenset[str] = frozenset(), *, delivery_type: bool = False) -> dict:
    """The compact quote as JSON-ready data (the shape of `CompactQuote`, absent fields left out)."""
    d = q.__dict__  # plain reads: this runs once per quote of every answer
    out: dict = {
        "service_id": d["service_id"],
        "service": d["service"],
        "carrier_id": d["carrier_id"],
    }
    if delivery_type:
        out["delivery_type"] = d["delivery_type"]
    out["status"] = d["status"]
    price = d["price"]
    if price is not None:
        out["price"] = {"amount": price.amount, "currency": price.currency}
    days = d["delivery_days"]
    if days is not None:
        out["days"] = {"min": days.min, "max": days.max}
    out["chargeable_weight_g"] = d["chargeable_weight_g"]
    if d["reasons"]:
        out["reasons"] = [r.code for r in d["reasons"]]
    if d["warnings"]:
        out["warnings"] = [r.code for r in d["warnings"]]
    confidence = d["tariff"].__dict__.get("confidence")  # stated by tariff data that has it
    if confidence is not None:
        out["confidence"] = confidence
    for name in _RUB_FIELDS:
        value = d.get(name)
        if value is not None:
            out[name] = value.model_dump(mode="json", exclude_none=True) if isinstance(value, BaseModel) else value
    if expand:
        if "billing" in expand:
            billing = {k: v for k, v in q.billing.model_dump().items() if v is not None}
            billing.update(basis=q.basis, actual_weight_g=q.actual_weight_g)
            if q.group is not None and q.group.name:
                billing["group"] = q.group.name
            if q.volumetric_weight_g is not None:
                billing["volumetric_weight_g"] = q.volumetric_weight_g
            out["billing"] = billing
        if "tariff" in expand:
            out["tariff"] = q.tariff.model_dump(mode="json", exclude_none=True)
        if "reasons" in expand and (q.reasons or q.warnings):
            out["reason_details"] = [{"code": r.code, "message": r.message} for r in (*q.reasons, *q.warnings)]
    return out
