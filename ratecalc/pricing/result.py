"""The quote result: a public contract shared by the library, the CLI's `--json` and the HTTP API.

Engine arrays become one `ServiceQuote` per service in force on the order date, each with the reasons
a person needs ("weight 26000 g exceeds the maximum 25000 g") and the tariff version it came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Iterator, Literal, NamedTuple, Optional, Sequence, Union, overload

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..tariffdata.compile import CURRENCIES, CompiledTariffs, RowInfo, ServiceInfo
from ..tariffdata.confidence import confidence_rank
from ..tariffdata.schema import DELIVERY_TYPES
from ..units import CURRENCY_EXPONENT, Money
from . import engine as E
from .parcels import Parcel

# Frozen: parts shared between quotes (see BlockQuotes.build). defer_build: quotes are built from engine
# arrays without validation, so pydantic's validators and serialisers are made the first time something
# validates or dumps a quote, not on import (a table-printing `ratecalc quote` never needs them).
_SHARED = ConfigDict(frozen=True, defer_build=True)


class Price(BaseModel):
    model_config = _SHARED

    amount: str = Field(description="decimal string, exact (never a float)", examples=["9.00"])
    currency: str


class ReasonOut(BaseModel):
    model_config = _SHARED

    code: str
    message: str


class DaysOut(BaseModel):
    model_config = _SHARED

    min: int
    max: int
    basis: Optional[str] = Field(
        default=None,
        description="what the days count: to_buyer, dropoff_to_sorting_centre (Ozon's 2026 sheets), carrier_stated",
    )


class TariffRef(BaseModel):
    model_config = _SHARED

    # open ends are null in the full answer and left out of the compact one, so neither is required
    effective_from: Optional[dt.date] = None
    effective_until: Optional[dt.date] = None
    date_basis: Optional[str] = None
    sources: list[str]
    readings: list[str] = Field(default_factory=list, description="named readings used (conflicts)")
    confidence: Optional[Literal["official", "carrier_sheet", "third_party", "inferred"]] = Field(
        default=None, description="how sure the tariff version's numbers are (best first); null: not stated"
    )
    confidence_note: Optional[str] = Field(default=None, description="one line: why this confidence")
    loss_compensation_cap: Optional[Price] = Field(default=None, description="the most paid for a lost parcel")
    returns: Optional[dict[str, str]] = Field(default=None, description="what happens to cancelled parcels")
    source_row: Optional[str] = Field(default=None, description="the rate sheet row, e.g. `中国 rFBS!9`")


class BillingOut(BaseModel):
    model_config = _SHARED

    rule: Literal["actual", "greater_of", "volumetric_above_threshold"]
    threshold_sum_cm: Optional[str] = None
    divisor: Optional[int] = None
    rounding_step_g: int
    rounding_direction: str
    rounding_stated: bool
    min_billable_g: Optional[int] = None


class GroupOut(BaseModel):
    model_config = _SHARED

    name: Optional[str]
    reason: str


class FxOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    currency: str
    rate: str = Field(description="RUB per 1 unit of `currency`, exact decimal string")
    date: dt.date = Field(description="date the rate is set for (may precede the order date)")
    source: str


class CustomsOut(BaseModel):
    model_config = ConfigDict(defer_build=True)
    rule: Optional[str] = Field(description="id of the customs rule in force on the order date")
    duty_free: Optional[bool] = None
    duty_eur: Optional[str] = None
    duty_rub: Optional[str] = None
    paid_by: str = "buyer"
    explanation: str


class ServiceQuote(BaseModel):
    """One service's answer for one parcel: the price (or why there is none), the weights it was billed
    on, and the tariff and sources behind the number."""

    # Frozen: a quote is a statement of what the tariff says; change one with `model_copy(update=...)`.
    model_config = _SHARED

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
    # Filled only when RUB figures were asked for (ratecalc.money.costs.with_rub); optional and additive.
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
    """Millimetres as centimetres, exact: 125 -> "12.5", 120 -> "12"."""
    return f"{mm // 10}.{mm % 10}" if mm % 10 else str(mm // 10)


class _Sizes(NamedTuple):
    """A parcel's sides as its reason sentences quote them, worked out once per parcel."""

    sides: str  # "30x20x10"
    total: str  # sum of sides
    longest: str

    @classmethod
    def of(cls, parcel: Parcel) -> _Sizes:
        dims = sorted(parcel.dims_mm, reverse=True)
        return cls("x".join(_cm(d) for d in dims), _cm(sum(dims)), _cm(dims[0]))


def _reasons(
    row: RowInfo, bits: int, parcel: Parcel, sizes: _Sizes, group_name: Optional[str]
) -> tuple[list[ReasonOut], list[ReasonOut]]:
    """The reason and warning sentences for these engine bits."""
    lim = row.limits
    out: list[ReasonOut] = []
    warn: list[ReasonOut] = []
    if bits & E.R_NO_GROUP:
        if parcel.declared_value is None:
            out.append(
                _said(
                    E.CODE_DECLARED_VALUE_REQUIRED, "the group model needs the declared price (in RUB) to pick a group"
                )
            )
        else:
            out.append(
                _said(
                    E.REASON_CODES[E.R_NO_GROUP],
                    f"price {compared_value(parcel)} and weight {parcel.weight_g} g fit no shipment group",
                )
            )
    if bits & E.R_NO_ROW:
        if row.group is not None or group_name is not None:
            out.append(_said(E.CODE_NO_RATE_FOR_GROUP, f"the service has no rate for group {group_name!r}"))
        else:
            out.append(_said(E.REASON_CODES[E.R_NO_ROW], f"the service does not offer {parcel.delivery} delivery"))
    if bits & E.R_WEIGHT_MAX:
        out.append(
            _said(
                E.REASON_CODES[E.R_WEIGHT_MAX], f"weight {parcel.weight_g} g exceeds the maximum {lim.max_weight_g} g"
            )
        )
    if bits & E.R_WEIGHT_MIN:
        out.append(
            _said(
                E.REASON_CODES[E.R_WEIGHT_MIN], f"weight {parcel.weight_g} g is below the minimum {lim.min_weight_g} g"
            )
        )
    if bits & E.R_DIMS:
        lim_dims = "x".join(str(d) for d in sorted(lim.max_dims_cm or [], reverse=True))
        out.append(
            _said(
                E.REASON_CODES[E.R_DIMS],
                f"sides {sizes.sides} cm exceed the maximum {lim_dims} cm (compared longest to longest)",
            )
        )
    if bits & E.R_SUM:
        rule = "must be less than" if lim.sum_strict else "exceeds the maximum"
        out.append(_said(E.REASON_CODES[E.R_SUM], f"sum of sides {sizes.total} cm {rule} {lim.max_sum_cm} cm"))
    if bits & E.R_LONGEST:
        out.append(
            _said(
                E.REASON_CODES[E.R_LONGEST],
                f"longest side {sizes.longest} cm exceeds the maximum {lim.max_longest_cm} cm",
            )
        )
    if bits & E.R_VALUE:
        mv = lim.max_declared_value
        assert mv is not None, "the engine flags a value only against a published value limit"
        out.append(
            _said(
                E.REASON_CODES[E.R_VALUE],
                f"declared value {compared_value(parcel)} exceeds the maximum {mv.amount} {mv.currency}",
            )
        )
    if bits & E.R_BATTERY:
        out.append(_said(E.REASON_CODES[E.R_BATTERY], "the service does not carry batteries"))
    if bits & E.R_LIQUID:
        out.append(_said(E.REASON_CODES[E.R_LIQUID], "the service does not carry liquids"))
    if bits & E.W_VALUE_UNCHECKED:
        mv = lim.max_declared_value
        declared = parcel.declared_value
        assert mv is not None and declared is not None, "an unchecked value needs a value and a value limit"
        warn.append(
            _said(
                E.REASON_CODES[E.W_VALUE_UNCHECKED],
                f"the value limit {mv.amount} {mv.currency} was not checked: declared in {declared.currency}"
                " and no exchange rate is applied",
            )
        )
    if bits & E.W_BATTERY_MSDS:
        warn.append(_said(E.REASON_CODES[E.W_BATTERY_MSDS], "batteries are accepted with an (M)SDS document"))
    if bits & E.W_BATTERY_UNKNOWN:
        warn.append(_said(E.REASON_CODES[E.W_BATTERY_UNKNOWN], "the battery policy of this service is not published"))
    if bits & E.W_LIQUID_UNKNOWN:
        warn.append(_said(E.REASON_CODES[E.W_LIQUID_UNKNOWN], "the liquids policy of this service is not published"))
    if bits & E.W_BILLED_BELOW_ACTUAL:
        warn.append(
            _said(
                E.REASON_CODES[E.W_BILLED_BELOW_ACTUAL],
                f"the billed weight is below the actual weight {parcel.weight_g} g: above the size threshold this "
                "service bills the volumetric weight (literal reading of its rules; reading "
                "volumetric-above-threshold-greater-of bills the greater of the two)",
            )
        )
    return out, warn


def _said(code: str, message: str) -> ReasonOut:
    return _trusted(ReasonOut, {"code": code, "message": message}, _REASON_FIELDS)


# ---------------------------------------------------------------------------------------------------------
# Building results from engine arrays.
#
# Inputs were validated at the edge (Parcel, the tariff schema) and every value below comes from the engine's
# integer arrays or the compiled tariffs, so the models are built without a validation pass (`_trusted`):
# validating ~30 quotes of ~20 fields each cost more than quoting them. `tests/test_result_build.py` checks
# that every trusted quote equals its validated copy. Parts that depend only on the tariff row (billing,
# delivery days, tariff reference) are built once per compiled tariffs and shared between quotes; those
# models are frozen, so sharing them cannot leak a change from one quote to another.

# The slots every pydantic model instance has, set through their descriptors (what `object.__setattr__`
# ends up calling, minus its attribute lookup: measurably cheaper at ~30 quotes per parcel).
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _trusted(cls: Any, values: dict, fields_set: Optional[set] = None) -> Any:
    """`cls` instance holding `values` (every field, already of the declared types), without validation.

    Same object as pydantic's `model_construct` minus its per-field default handling: the caller passes
    every field, so there is nothing left to fill in. `fields_set` may be one set shared by many instances
    of a frozen model: pydantic only adds to it on assignment, which a frozen model refuses, and
    `model_copy` copies it first.
    """
    m = object.__new__(cls)
    _set_dict(m, values)
    _set_fields_set(m, set(values) if fields_set is None else fields_set)
    _set_extra(m, None)
    _set_private(m, None)
    return m


@dataclass(frozen=True)
class _Row:
    """What a quote takes from its tariff row, computed once per (compiled tariffs, row)."""

    svc: ServiceInfo
    row: RowInfo
    currency: str
    minor_exp: int
    grouped: bool
    rule: str  # the basis billed above the threshold: "actual", "greater_of" or "volumetric"
    threshold_cut: int  # sums of sides up to this bill the actual weight (-1: no threshold)
    billing: BillingOut
    days: Optional[DaysOut]
    unpublished: ReasonOut
    readings: tuple[str, ...]
    tariff_refs: dict  # readings tuple -> TariffRef (frozen, shared)
    reason_id: int  # rows whose limits read the same in a reason sentence share an id (and the sentences)
    basis_fixed: Optional[str]  # the basis when it does not depend on the parcel's size
    tariff_ref: Optional[TariffRef]  # the TariffRef when it does not depend on the parcel's group
    template: dict  # a quote's fields in declaration order, those fixed by the row filled in
    name_rank: int  # position of the service in (name, id) order: the tie-break of the price order
    ccy_rank: int

    def tariff(self, readings: tuple[str, ...]) -> TariffRef:
        found = self.tariff_refs.get(readings)
        if found is None:
            v, rate = self.row.version, self.row.rate
            cap = rate.loss_compensation_cap
            found = self.tariff_refs[readings] = TariffRef.model_validate(
                dict(
                    effective_from=v.effective_from,
                    effective_until=v.effective_until,
                    date_basis=v.date_basis,
                    sources=list(v.sources),
                    readings=list(readings),
                    confidence=v.confidence,
                    confidence_note=v.confidence_note,
                    loss_compensation_cap=None
                    if cap is None
                    else dict(amount=f"{cap.amount:f}", currency=cap.currency),
                    returns=None if rate.returns is None else rate.returns.model_dump(exclude_none=True),
                    source_row=rate.source_row,
                ),
            )
        return found


def _row(tariffs: CompiledTariffs, svc_i: int, row_i: int) -> _Row:
    cache = tariffs.cache.setdefault("result_rows", {})
    found = cache.get(row_i)
    if found is not None:
        return found
    row = tariffs.rows[row_i]
    b = row.billing
    days = row.rate.delivery_days or row.version.delivery_days
    currency = CURRENCIES[int(tariffs.table.currency[row_i])]
    svc = tariffs.services[svc_i]
    reason_ids = tariffs.cache.setdefault("result_reason_ids", {})
    found = _Row(
        svc=svc,
        row=row,
        currency=currency,
        minor_exp=CURRENCY_EXPONENT[currency],
        grouped=any(r.group is not None for r in row.version.rates),
        rule="greater_of" if b.basis == "greater_of" else "actual" if b.basis == "actual" else "volumetric",
        threshold_cut=-1 if b.threshold_sum_cm is None else int(b.threshold_sum_cm * 10),
        billing=BillingOut.model_validate(
            dict(
                rule=b.basis,
                threshold_sum_cm=None if b.threshold_sum_cm is None else f"{b.threshold_sum_cm:f}",
                divisor=b.divisor,
                rounding_step_g=b.rounding.step_g,
                rounding_direction=b.rounding.direction,
                rounding_stated=b.rounding.stated,
                min_billable_g=b.min_billable_g,
            ),
        ),
        days=None if days is None else DaysOut(min=days.min, max=days.max, basis=days.basis),
        unpublished=ReasonOut(code=E.CODE_RATE_UNPUBLISHED, message=row.rate.unpublished or "rate not published"),
        readings=tuple(row.readings),
        tariff_refs={},
        reason_id=reason_ids.setdefault(_reason_key(row), len(reason_ids)),
        basis_fixed="actual" if b.basis == "actual" else None,
        tariff_ref=None,
        template={},
        name_rank=_service_ranks(tariffs)[svc.id],
        ccy_rank=_CCY_RANK[currency],
    )
    if not found.grouped:
        object.__setattr__(found, "tariff_ref", found.tariff(found.readings))
    found.template.update(
        {name: f.default for name, f in ServiceQuote.model_fields.items()},
        carrier=svc.carrier,
        carrier_id=svc.carrier_id,
        service=svc.name,
        service_id=svc.id,
        tier=svc.tier,
        basis=found.basis_fixed,
        billing=found.billing,
        group=None,
        price=None,
        delivery_days=found.days,
        tariff=found.tariff_ref,
    )
    cache[row_i] = found
    return found


class _RowSet(NamedTuple):
    """What one (epoch, delivery, group) block fixes for every parcel in it, built once per compiled tariffs.

    `templates[j][status]` is a quote of column j with every field the block fixes filled in: the row's
    (service, billing, days), the block's delivery type, the tariff reference of the block's group and the
    status. A quote is a copy with the parcel's values written in.
    """

    rows: list[_Row]
    name_order: list[int]  # the columns in (name, id) order
    group: _Group
    templates: list[tuple[dict, dict, dict]]  # indexed by STATUS_OK, STATUS_UNPRICED, STATUS_INELIGIBLE


def _block_rows(tariffs: CompiledTariffs, key: tuple[int, int, int], services: list, rows: list) -> _RowSet:
    """Per (epoch, delivery, group): one lookup per block (or per single quote)."""
    cache = tariffs.cache.setdefault("result_block_rows", {})
    found = cache.get(key)
    if found is None:
        epoch, delivery, g = key
        parts = [_row(tariffs, s, r) for s, r in zip(services, rows)]
        group = _Group(tariffs, epoch, g)
        templates = []
        for r in parts:
            fixed = dict(r.template, delivery_type=DELIVERY_TYPES[delivery], volumetric_weight_g=None)
            if r.grouped:  # the readings that shaped the block's group (none for a stand-in row of no group)
                fixed["tariff"] = r.tariff(group.readings)
            ok, unpriced, ineligible = (dict(fixed, status=name) for name in E.STATUS_NAMES)
            templates.append((ok, unpriced, ineligible))
        order = sorted(range(len(parts)), key=lambda j: parts[j].name_rank)
        found = cache[key] = _RowSet(parts, order, group, templates)
    return found


def _reason_key(row: RowInfo) -> tuple:
    lim = row.limits
    mv = lim.max_declared_value
    return (
        row.group is not None,
        lim.max_weight_g,
        lim.min_weight_g,
        tuple(lim.max_dims_cm or ()),
        lim.max_sum_cm,
        lim.sum_strict,
        lim.max_longest_cm,
        None if mv is None else (mv.amount, mv.currency),
    )


def _amount(minor: int, exp: int) -> str:
    """Minor units as the exact decimal string `Money.from_minor(...).amount` prints ("9.00", "-0.50")."""
    if exp == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}"


def compared_value(parcel: Parcel) -> str:
    """The declared value as the engine compared it with bands and limits: in minor units, rounded half-up
    (`Money.to_minor`), with the value as given when the rounding changed it. Printing the value as given
    alone made "0.999 RUB in band 1.00–1500.00" say the opposite of what was decided."""
    value = parcel.declared_value
    if value is None:
        return "none"
    used = Money.from_minor(value.to_minor(), value.currency)
    if used.amount == value.amount:  # as given ("1000 RUB"): the engine compared exactly this
        return str(value)
    return f"{used} ({value} rounded half-up to {CURRENCY_EXPONENT.get(value.currency, 2)} decimals)"


def _group_out(ep, g_index: int, parcel: Parcel) -> GroupOut:
    g = ep.groups[g_index]
    hi_p = "" if g.price_max_minor >= E.BIG else f"{Money.from_minor(g.price_max_minor, g.price_currency).amount}"
    hi_w = "" if g.weight_max_g >= E.BIG else f"{g.weight_max_g}"
    reason = (
        f"price {compared_value(parcel)} in band "
        f"{Money.from_minor(g.price_min_minor, g.price_currency).amount}–{hi_p} {g.price_currency}, "
        f"weight {parcel.weight_g} g in band {g.weight_min_g}–{hi_w} g"
    )
    return GroupOut(name=g.name, reason=reason)  # once per parcel: validated


# made without validation: a validated instance here would build GroupOut's validator at import
_NO_GROUP = _trusted(GroupOut, {"name": None, "reason": "no shipment group fits the parcel's price and weight"})


class _Group:
    """The shipment group of a block's parcels, as quotes of grouped services state it."""

    __slots__ = ("epoch", "index", "grouped", "name", "readings")

    def __init__(self, tariffs: CompiledTariffs, epoch: int, group: int):
        ep = self.epoch = tariffs.epochs[epoch]
        self.index = group
        self.grouped = group < len(ep.groups)
        self.name = ep.groups[group].name if self.grouped else None
        self.readings: tuple[str, ...] = tuple(ep.groups[group].readings) if self.grouped else ()

    def out(self, parcel: Parcel) -> GroupOut:
        return _group_out(self.epoch, self.index, parcel) if self.grouped else _NO_GROUP


def _kept(rows: list[_Row], max_rank: Optional[int]) -> Optional[set[int]]:
    """Columns whose tariff confidence ranks at most `max_rank` (None: all); unstated confidence ranks last."""
    if max_rank is None:
        return None
    return {j for j, r in enumerate(rows) if confidence_rank(r.row.version.confidence) <= max_rank}


def _price_order(rows: _RowSet, status: list[int], price: list[int], kept: Optional[set[int]]) -> list[int]:
    """Columns of one parcel in price order: ok by (currency, price), then unpriced, then ineligible; ties
    by service name and id (the order `sort_quotes` gives, from the integers instead of the models)."""
    # a stable sort by status of the columns in name order (ok, unpriced, ineligible: 0, 1, 2), then the ok
    # ones by (currency, price), stable again, so that equal prices stay in name order
    order = sorted(rows.name_order, key=status.__getitem__)
    n_ok = status.count(E.STATUS_OK)
    if n_ok > 1:
        parts = rows.rows
        order[:n_ok] = sorted(order[:n_ok], key=lambda j: (parts[j].ccy_rank, price[j]))
    return order if kept is None else [j for j in order if j in kept]


def _build(
    rows: _RowSet,
    columns: Iterable[int],
    parcel: Parcel,
    statuses: list[int],
    bits_of: list[int],
    charges: list[int],
    prices: list[int],
    vols: list[int],
) -> list[ServiceQuote]:
    """The quotes of one parcel for these service columns, from its engine values (one list per output).

    Each quote is its block template (`_RowSet.templates`) with the parcel's values written in, made a
    `ServiceQuote` without validation (see `_trusted`).
    """
    total_mm = sum(parcel.dims_mm)
    sizes: Optional[_Sizes] = None
    quote_group: Optional[GroupOut] = None
    weight_g = parcel.weight_g
    ok, unpriced = E.STATUS_OK, E.STATUS_UNPRICED
    parts, templates, group = rows.rows, rows.templates, rows.group
    out = []
    new, set_dict, set_fields_set, set_extra, set_private = (
        object.__new__,
        _set_dict,
        _set_fields_set,
        _set_extra,
        _set_private,
    )
    said: dict[tuple[int, int], tuple[list[ReasonOut], list[ReasonOut]]] = {}
    for j in columns:
        st = statuses[j]
        d = templates[j][st].copy()
        d["actual_weight_g"] = weight_g
        d["chargeable_weight_g"] = charges[j]
        vol = vols[j]
        if vol >= 0:
            d["volumetric_weight_g"] = vol
        r = parts[j]
        if st == ok:
            d["price"] = _trusted(
                Price, {"amount": _amount(prices[j], r.minor_exp), "currency": r.currency}, _PRICE_FIELDS
            )
        bits = bits_of[j]
        if bits:
            # services with the same limits say the same sentences: built once per parcel, shared
            # (ReasonOut is frozen), each quote gets its own lists
            found = said.get((bits, r.reason_id))
            if found is None:
                if sizes is None:
                    sizes = _Sizes.of(parcel)
                found = said[(bits, r.reason_id)] = _reasons(r.row, bits, parcel, sizes, group.name)
            d["reasons"] = found[0] + [r.unpublished] if st == unpriced else found[0][:]
            d["warnings"] = found[1][:]
        elif st == unpriced:
            d["reasons"] = [r.unpublished]
            d["warnings"] = []
        else:
            d["reasons"] = []
            d["warnings"] = []
        if r.grouped:
            if quote_group is None:
                quote_group = group.out(parcel)
            d["group"] = quote_group
        if r.basis_fixed is None:
            d["basis"] = "actual" if total_mm <= r.threshold_cut else r.rule
        # `_trusted(ServiceQuote, d, _SET_FIELDS)`, inlined: this runs once per quote
        q = new(ServiceQuote)
        set_dict(q, d)
        set_fields_set(q, _SET_FIELDS)
        set_extra(q, None)
        set_private(q, None)
        out.append(q)
    return out


def build_one(
    tariffs: CompiledTariffs, one: E.ScalarQuotes, parcel: Parcel, *, max_rank: Optional[int] = None
) -> list[ServiceQuote]:
    """One parcel's quotes in price order, from the engine's one-parcel answer (`engine.quote_one`)."""
    rows = _block_rows(tariffs, (one.epoch, one.delivery, one.group), one.services, one.rows)
    order = _price_order(rows, one.status, one.price_minor, _kept(rows.rows, max_rank))
    return _build(rows, order, parcel, one.status, one.reasons, one.chargeable_g, one.price_minor, one.volumetric_g)


class _CompactRow(NamedTuple):
    """What the compact form of a quote takes from its row (see `ratecalc.pricing.compact`)."""

    head: dict  # service_id, service, carrier_id
    days: Optional[tuple[int, int]]
    confidence: Optional[str]


def _compact_rows(tariffs: CompiledTariffs, key: tuple[int, int, int], rows: _RowSet) -> list[_CompactRow]:
    cache = tariffs.cache.setdefault("result_compact_rows", {})
    found = cache.get(key)
    if found is None:
        found = cache[key] = [
            _CompactRow(
                {"service_id": r.svc.id, "service": r.svc.name, "carrier_id": r.svc.carrier_id},
                None if r.days is None else (r.days.min, r.days.max),
                t[E.STATUS_OK]["tariff"].confidence,
            )
            for r, t in zip(rows.rows, rows.templates)
        ]
    return found


def _codes(
    tariffs: CompiledTariffs, r: _Row, bits: int, parcel: Parcel, group: _Group
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The reason and warning codes `_reasons` gives for these bits, without their sentences.

    A code depends on the bits, the row's limits (its reason id), whether a value was declared and whether
    the parcel has a shipment group, never on the parcel's numbers: so the codes are asked of `_reasons`
    once per such key and kept.
    """
    cache = tariffs.cache.setdefault("result_reason_codes", {})
    key = (bits, r.reason_id, parcel.declared_value is None, group.name is None)
    found = cache.get(key)
    if found is None:
        reasons, warnings = _reasons(r.row, bits, parcel, _Sizes.of(parcel), group.name)
        found = cache[key] = (tuple(x.code for x in reasons), tuple(x.code for x in warnings))
    return found


def build_compact_one(
    tariffs: CompiledTariffs, one: E.ScalarQuotes, parcel: Parcel, *, max_rank: Optional[int] = None
) -> list[dict]:
    """`[compact(q) for q in build_one(...)]`, without making the `ServiceQuote`s: one parcel's compact quotes
    (no RUB figures, no expansions, one delivery type), in price order.

    Why a second builder: the HTTP API's everyday answer is this form, and building 31 full quotes to keep a
    third of their fields was most of a request's CPU. `tests/test_result_build.py` holds the two equal over
    every status, epoch and shipment group.
    """
    key = (one.epoch, one.delivery, one.group)
    rows = _block_rows(tariffs, key, one.services, one.rows)
    compact_rows = _compact_rows(tariffs, key, rows)
    parts, group = rows.rows, rows.group
    statuses, bits_of, prices, charges = one.status, one.reasons, one.price_minor, one.chargeable_g
    names, ok, unpriced = E.STATUS_NAMES, E.STATUS_OK, E.STATUS_UNPRICED
    out = []
    for j in _price_order(rows, statuses, prices, _kept(parts, max_rank)):
        c = compact_rows[j]
        st = statuses[j]
        d = c.head.copy()
        d["status"] = names[st]
        if st == ok:
            r = parts[j]
            d["price"] = {"amount": _amount(prices[j], r.minor_exp), "currency": r.currency}
        if c.days is not None:
            d["days"] = {"min": c.days[0], "max": c.days[1]}
        d["chargeable_weight_g"] = charges[j]
        bits = bits_of[j]
        if bits:
            reasons, warnings = _codes(tariffs, parts[j], bits, parcel, group)
            if st == unpriced:
                reasons += (E.CODE_RATE_UNPUBLISHED,)
            if reasons:
                d["reasons"] = list(reasons)
            if warnings:
                d["warnings"] = list(warnings)
        elif st == unpriced:
            d["reasons"] = [E.CODE_RATE_UNPUBLISHED]
        if c.confidence is not None:
            d["confidence"] = c.confidence
        out.append(d)
    return out


class BlockQuotes:
    """A block of engine results, ready to become quotes: one per block, shared by its parcels' views.

    Holds the block's arrays (numpy, which the garbage collector never scans) and each service's row
    parts. Nothing per (parcel, service) is a Python object until someone reads that quote.
    """

    def __init__(self, tariffs: CompiledTariffs, block: E.Block, *, max_rank: Optional[int] = None):
        """`max_rank`: keep only services whose tariff confidence ranks at most this (0 = official; see
        `TariffSet.quote(min_confidence=...)`); a version that states no confidence is left out too."""
        self.block = block
        self.row_set = _block_rows(
            tariffs, (block.epoch, block.delivery, block.group), block.services.tolist(), block.rows.tolist()
        )
        self.rows = self.row_set.rows
        self._volumetric: Optional[np.ndarray] = None
        self.kept = _kept(self.rows, max_rank)

    def volumetric(self, i: int) -> list[int]:
        """Volumetric grams of parcel `i` per service (-1: the service ignores volume)."""
        if self._volumetric is None:
            self._volumetric = self.block.volumetric_g
        return self._volumetric[i].tolist()

    def order_of(self, i: int) -> list[int]:
        """Service columns of parcel `i` in price order, without those `max_rank` drops."""
        b = self.block
        return _price_order(self.row_set, b.status[i].tolist(), b.price_minor[i].tolist(), self.kept)

    def view(self, i: int, parcel: Parcel) -> QuoteList:
        return QuoteList(self, i, parcel)

    def build(self, i: int, parcel: Parcel, columns: Sequence[int]) -> list[ServiceQuote]:
        """The quotes of the block's parcel `i` (`parcel`), for these service columns, in that order."""
        b = self.block
        return _build(
            self.row_set,
            columns,
            parcel,
            b.status[i].tolist(),
            b.reasons[i].tolist(),
            b.chargeable_g[i].tolist(),
            b.price_minor[i].tolist(),
            self.volumetric(i),
        )


class QuoteList(Sequence[ServiceQuote]):
    """One parcel's quotes in price order, as a view over its block: a `ServiceQuote` is built when read.

    Why: a list of 10,000 parcels x 31 services held ~440 Python objects per parcel, and the garbage
    collector's full passes over them cost more than quoting. A view is one object per parcel; reading it
    (iterating, indexing, `list(view)`) builds the quotes, each time it is read. Compares equal to a list
    of the same quotes.
    """

    __slots__ = ("_src", "_i", "_parcel")

    def __init__(self, src: BlockQuotes, i: int, parcel: Parcel):
        self._src = src
        self._i = i
        self._parcel = parcel

    @property
    def parcel(self) -> Parcel:
        return self._parcel

    def __len__(self) -> int:
        kept = self._src.kept
        return len(self._src.rows) if kept is None else len(kept)

    def __iter__(self) -> Iterator[ServiceQuote]:
        return iter(self._src.build(self._i, self._parcel, self._src.order_of(self._i)))

    @overload
    def __getitem__(self, k: int) -> ServiceQuote: ...

    @overload
    def __getitem__(self, k: slice) -> list[ServiceQuote]: ...

    def __getitem__(self, k: Union[int, slice]) -> Union[ServiceQuote, list[ServiceQuote]]:
        order = self._src.order_of(self._i)
        if isinstance(k, slice):
            return self._src.build(self._i, self._parcel, order[k])
        return self._src.build(self._i, self._parcel, [order[k]])[0]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, QuoteList)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<QuoteList of {len(self)} quotes for a {self._parcel.weight_g} g parcel on {self._parcel.order_date}>"


def _service_ranks(tariffs: CompiledTariffs) -> dict[str, int]:
    """Service id -> position in (name, id) order: the tie-break of the price order."""
    found = tariffs.cache.get("result_service_ranks")
    if found is None:
        ordered = sorted(tariffs.services, key=lambda s: (s.name, s.id))
        found = tariffs.cache["result_service_ranks"] = {s.id: k for k, s in enumerate(ordered)}
    return found


_CCY_RANK = {c: k for k, c in enumerate(sorted(CURRENCIES))}


_SET_FIELDS = set(
    (
        "carrier carrier_id service service_id tier delivery_type status reasons warnings actual_weight_g "
        "volumetric_weight_g chargeable_weight_g basis billing group price delivery_days tariff"
    ).split()
)
_PRICE_FIELDS = {"amount", "currency"}
_REASON_FIELDS = {"code", "message"}
