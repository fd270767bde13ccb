"""The quote result: a public contract shared by the library, the CLI's `--json` and the HTTP API.

Engine arrays become one `ServiceQuote` per service in force on the order date, each with the reasons
a person needs ("weight 26000 g exceeds the maximum 25000 g") and the tariff version it came from.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal, Optional

from pydantic import BaseModel, Field, TypeAdapter

from . import engine as E
from .compile import CURRENCIES, CompiledTariffs, RowInfo
from .parcels import Parcel
from .units import Money


class Price(BaseModel):
    amount: str = Field(description="decimal string, exact (never a float)", examples=["9.00"])
    currency: str


class ReasonOut(BaseModel):
    code: str
    message: str


class DaysOut(BaseModel):
    min: int
    max: int
    basis: Optional[str] = Field(
        default=None,
        description="what the days count: to_buyer, dropoff_to_sorting_centre (Ozon's 2026 sheets), carrier_stated",
    )


class TariffRef(BaseModel):
    effective_from: Optional[dt.date]
    effective_until: Optional[dt.date]
    date_basis: Optional[str] = None
    sources: list[str]
    readings: list[str] = Field(default_factory=list, description="named readings used (conflicts)")
    confidence: Optional[Literal["official", "carrier_sheet", "third_party", "inferred"]] = Field(
        default=None, description="how sure the tariff version's numbers are (best first); null: not stated"
    )
    confidence_note: Optional[str] = Field(default=None, description="one line: why this confidence")
    loss_compensation_cap: Optional[Price] = Field(default=None, description="the most paid for a lost parcel")
    returns: Optional[dict[str, str]] = Field(default=None, description="what happens to cancelled parcels")


class BillingOut(BaseModel):
    rule: Literal["actual", "greater_of", "volumetric_above_threshold"]
    threshold_sum_cm: Optional[str] = None
    divisor: Optional[int] = None
    rounding_step_g: int
    rounding_direction: str
    rounding_stated: bool
    min_billable_g: Optional[int] = None


class GroupOut(BaseModel):
    name: Optional[str]
    reason: str


class FxOut(BaseModel):
    currency: str
    rate: str = Field(description="RUB per 1 unit of `currency`, exact decimal string")
    date: dt.date = Field(description="date the rate is set for (may precede the order date)")
    source: str


class CustomsOut(BaseModel):
    rule: Optional[str] = Field(description="id of the customs rule in force on the order date")
    duty_free: Optional[bool] = None
    duty_eur: Optional[str] = None
    duty_rub: Optional[str] = None
    paid_by: str = "buyer"
    explanation: str


class ServiceQuote(BaseModel):
    """One service's answer for one parcel: the price (or why there is none), the weights it was billed
    on, and the tariff and sources behind the number."""

    carrier: str
    carrier_id: str
    service: str
    service_id: str
    tier: Optional[str] = None
    delivery_type: str
    status: Literal["ok", "unpriced", "ineligible"]
    reasons: list[ReasonOut] = Field(default_factory=list)
    warnings: list[ReasonOut] = Field(default_factory=list)
    actual_weight_g: int
    volumetric_weight_g: Optional[int]
    chargeable_weight_g: int
    basis: Literal["actual", "greater_of", "volumetric"] = Field(description="the weight rule applied to this parcel")
    billing: BillingOut
    group: Optional[GroupOut] = None
    price: Optional[Price]
    delivery_days: Optional[DaysOut]
    tariff: TariffRef
    # Filled only when RUB figures were asked for (ratecalc.costs.with_rub); optional and additive.
    fx: Optional[FxOut] = Field(default=None, description="exchange rate used for the RUB figures")
    price_rub: Optional[Price] = Field(default=None, description="carrier price × rate, half-up to the kopeck")
    ozon_fee_rub: Optional[Price] = Field(default=None, description="Ozon's fee per delivered shipment")
    ozon_fee_rule: Optional[str] = Field(default=None, description="id of the Ozon fee rule applied")
    total_rub: Optional[Price] = Field(default=None, description="price_rub + ozon_fee_rub (the seller's cost)")
    rub_missing_reason: Optional[str] = Field(default=None, description="why RUB figures are missing")
    customs: Optional[CustomsOut] = Field(default=None, description="duty the BUYER pays; not in total_rub")


STATUS_RANK = {"ok": 0, "unpriced": 1, "ineligible": 2}


def sort_quotes(quotes: list[ServiceQuote]) -> list[ServiceQuote]:
    """ok by price (then currency), then unpriced, then ineligible; ties by service name."""

    def key(q: ServiceQuote) -> tuple:
        amount = Decimal(q.price.amount) if q.price else Decimal(0)
        currency = q.price.currency if q.price else ""
        return (STATUS_RANK[q.status], currency, amount, q.service, q.service_id)

    return sorted(quotes, key=key)


def _cm(mm: int) -> str:
    return f"{Decimal(mm) / 10:f}".rstrip("0").rstrip(".") if mm % 10 else str(mm // 10)


def _reasons(row: RowInfo, bits: int, parcel: Parcel, group_name: Optional[str]) -> tuple[list, list]:
    lim = row.limits
    dims = sorted(parcel.dims_mm, reverse=True)
    total = sum(dims)
    out: list[ReasonOut] = []
    warn: list[ReasonOut] = []

    def add(target: list, code: str, message: str) -> None:
        target.append(dict(code=code, message=message))

    if bits & E.R_NO_GROUP:
        if parcel.declared_value is None:
            add(
                out, E.CODE_DECLARED_VALUE_REQUIRED, "the group model needs the declared price (in RUB) to pick a group"
            )
        else:
            add(
                out,
                E.REASON_CODES[E.R_NO_GROUP],
                f"price {parcel.declared_value} and weight {parcel.weight_g} g fit no shipment group",
            )
    if bits & E.R_NO_ROW:
        if row.group is not None or group_name is not None:
            add(out, E.CODE_NO_RATE_FOR_GROUP, f"the service has no rate for group {group_name!r}")
        else:
            add(out, E.REASON_CODES[E.R_NO_ROW], f"the service does not offer {parcel.delivery} delivery")
    if bits & E.R_WEIGHT_MAX:
        add(out, E.REASON_CODES[E.R_WEIGHT_MAX], f"weight {parcel.weight_g} g exceeds the maximum {lim.max_weight_g} g")
    if bits & E.R_WEIGHT_MIN:
        add(
            out, E.REASON_CODES[E.R_WEIGHT_MIN], f"weight {parcel.weight_g} g is below the minimum {lim.min_weight_g} g"
        )
    if bits & E.R_DIMS:
        lim_dims = "x".join(str(d) for d in sorted(lim.max_dims_cm or [], reverse=True))
        add(
            out,
            E.REASON_CODES[E.R_DIMS],
            f"sides {'x'.join(_cm(d) for d in dims)} cm exceed the maximum {lim_dims} cm (compared longest to longest)",
        )
    if bits & E.R_SUM:
        rule = "must be less than" if lim.sum_strict else "exceeds the maximum"
        add(out, E.REASON_CODES[E.R_SUM], f"sum of sides {_cm(total)} cm {rule} {lim.max_sum_cm} cm")
    if bits & E.R_LONGEST:
        add(
            out,
            E.REASON_CODES[E.R_LONGEST],
            f"longest side {_cm(dims[0])} cm exceeds the maximum {lim.max_longest_cm} cm",
        )
    if bits & E.R_VALUE:
        mv = lim.max_declared_value
        assert mv is not None, "the engine flags a value only against a published value limit"
        add(
            out,
            E.REASON_CODES[E.R_VALUE],
            f"declared value {parcel.declared_value} exceeds the maximum {mv.amount} {mv.currency}",
        )
    if bits & E.R_BATTERY:
        add(out, E.REASON_CODES[E.R_BATTERY], "the service does not carry batteries")
    if bits & E.R_LIQUID:
        add(out, E.REASON_CODES[E.R_LIQUID], "the service does not carry liquids")
    if bits & E.W_VALUE_UNCHECKED:
        mv = lim.max_declared_value
        declared = parcel.declared_value
        assert mv is not None and declared is not None, "an unchecked value needs a value and a value limit"
        add(
            warn,
            E.REASON_CODES[E.W_VALUE_UNCHECKED],
            f"the value limit {mv.amount} {mv.currency} was not checked: declared in {declared.currency}"
            " and no exchange rate is applied",
        )
    if bits & E.W_BATTERY_MSDS:
        add(warn, E.REASON_CODES[E.W_BATTERY_MSDS], "batteries are accepted with an (M)SDS document")
    if bits & E.W_BATTERY_UNKNOWN:
        add(warn, E.REASON_CODES[E.W_BATTERY_UNKNOWN], "the battery policy of this service is not published")
    if bits & E.W_LIQUID_UNKNOWN:
        add(warn, E.REASON_CODES[E.W_LIQUID_UNKNOWN], "the liquids policy of this service is not published")
    if bits & E.W_BILLED_BELOW_ACTUAL:
        add(
            warn,
            E.REASON_CODES[E.W_BILLED_BELOW_ACTUAL],
            f"the billed weight is below the actual weight {parcel.weight_g} g: above the size threshold this "
            "service bills the volumetric weight (literal reading of its rules; reading "
            "volumetric-above-threshold-greater-of bills the greater of the two)",
        )
    return out, warn


def _row_static(tariffs: CompiledTariffs, svc_i: int, row_i: int) -> dict:
    """Everything of a quote that depends only on the service row, computed once per compiled tariffs.

    Why: a one-parcel quote builds one ServiceQuote per service in force (31+); re-deriving billing,
    days and sources for each would dominate the latency. The cached values are plain data; every quote
    still gets its own model instances (nothing is shared between quotes).
    """
    cache = tariffs.cache.setdefault("result_rows", {})
    found = cache.get(row_i)
    if found is not None:
        return found
    svc = tariffs.services[svc_i]
    row = tariffs.rows[row_i]
    b = row.billing
    days = row.rate.delivery_days or row.version.delivery_days
    found = {
        "svc": svc,
        "row": row,
        "currency": CURRENCIES[int(tariffs.table.currency[row_i])],
        "grouped": any(r.group is not None for r in row.version.rates),
        "billing": dict(
            rule=b.basis,
            threshold_sum_cm=None if b.threshold_sum_cm is None else f"{b.threshold_sum_cm:f}",
            divisor=b.divisor,
            rounding_step_g=b.rounding.step_g,
            rounding_direction=b.rounding.direction,
            rounding_stated=b.rounding.stated,
            min_billable_g=b.min_billable_g,
        ),
        "days": None if days is None else (days.min, days.max, days.basis),
        "tariff": dict(
            effective_from=row.version.effective_from,
            effective_until=row.version.effective_until,
            date_basis=row.version.date_basis,
            confidence=row.version.confidence,
            confidence_note=row.version.confidence_note,
            loss_compensation_cap=None
            if row.rate.loss_compensation_cap is None
            else dict(
                amount=f"{row.rate.loss_compensation_cap.amount:f}", currency=row.rate.loss_compensation_cap.currency
            ),
            returns=None if row.rate.returns is None else row.rate.returns.model_dump(exclude_none=True),
        ),
        "sources": tuple(row.version.sources),
        "threshold_mm": None if b.threshold_sum_cm is None else int(b.threshold_sum_cm * 10),
    }
    cache[row_i] = found
    return found


def _basis_of(static: dict, total_mm: int) -> str:
    """Which weight was billed: actual at or under the service's sum-of-sides threshold, else its basis rule."""
    rule = static["billing"]["rule"]
    if rule == "actual":
        return "actual"
    threshold = static["threshold_mm"]
    if threshold is not None and total_mm <= threshold:
        return "actual"
    return "greater_of" if rule == "greater_of" else "volumetric"


def build_quotes(tariffs: CompiledTariffs, parcel: Parcel, block: E.Block, i: int = 0) -> list[ServiceQuote]:
    """The quotes of row `i` of `block` (the parcel at that position), unsorted.

    The quotes are built as plain dicts and validated in one call (`TypeAdapter(list[ServiceQuote])`):
    one pass in pydantic's core instead of ~4 model constructors per service, which dominated latency.
    """
    ep = tariffs.epochs[block.epoch]
    group_name = ep.groups[block.group].name if block.group < len(ep.groups) else None
    statuses = block.status[i].tolist()
    bits_of = block.reasons[i].tolist()
    charges = block.chargeable_g[i].tolist()
    prices = block.price_minor[i].tolist()
    vols = block.volumetric_g[i].tolist()
    total_mm = sum(parcel.dims_mm)
    group_of_parcel: Optional[dict] = None
    group_readings: list[str] = []
    if group_name is not None:
        g = ep.groups[block.group]
        group_readings = list(g.readings)
    out = []
    for j, (svc_i, row_i) in enumerate(zip(block.services.tolist(), block.rows.tolist())):
        static = _row_static(tariffs, svc_i, row_i)
        svc, row = static["svc"], static["row"]
        status = E.STATUS_NAMES[statuses[j]]
        bits = bits_of[j]
        if bits:
            reasons, warnings = _reasons(row, bits, parcel, group_name)
        else:
            reasons, warnings = [], []
        if status == "unpriced":
            reasons.append(dict(code=E.CODE_RATE_UNPUBLISHED, message=row.rate.unpublished or "rate not published"))
        price = None
        if status == "ok":
            money = Money.from_minor(prices[j], static["currency"])
            price = dict(amount=f"{money.amount:f}", currency=money.currency)
        vol = vols[j]
        group = None
        used_readings = list(row.readings)
        if static["grouped"]:
            # the readings that shaped the parcel's group (not those of a stand-in row for a missing group)
            used_readings = list(group_readings)
            if group_name is None:
                group = dict(name=None, reason="no shipment group fits the parcel's price and weight")
            else:
                if group_of_parcel is None:
                    g = ep.groups[block.group]
                    hi_p = (
                        ""
                        if g.price_max_minor >= E.BIG
                        else f"{Money.from_minor(g.price_max_minor, g.price_currency).amount}"
                    )
                    hi_w = "" if g.weight_max_g >= E.BIG else f"{g.weight_max_g}"
                    group_of_parcel = dict(
                        name=group_name,
                        reason=(
                            f"price {parcel.declared_value} in band "
                            f"{Money.from_minor(g.price_min_minor, g.price_currency).amount}–{hi_p} {g.price_currency}, "
                            f"weight {parcel.weight_g} g in band {g.weight_min_g}–{hi_w} g"
                        ),
                    )
                group = dict(group_of_parcel)
        days = static["days"]
        out.append(
            dict(
                carrier=svc.carrier,
                carrier_id=svc.carrier_id,
                service=svc.name,
                service_id=svc.id,
                tier=svc.tier,
                delivery_type=parcel.delivery,
                status=status,
                reasons=reasons,
                warnings=warnings,
                actual_weight_g=parcel.weight_g,
                volumetric_weight_g=None if vol < 0 else vol,
                chargeable_weight_g=charges[j],
                basis=_basis_of(static, total_mm),
                billing=static["billing"],
                group=group,
                price=price,
                delivery_days=None if days is None else dict(min=days[0], max=days[1], basis=days[2]),
                tariff=dict(**static["tariff"], sources=list(static["sources"]), readings=used_readings),
            )
        )
    return _QUOTES.validate_python(out)


_QUOTES = TypeAdapter(list[ServiceQuote])
