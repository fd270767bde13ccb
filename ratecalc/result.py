"""The quote result: a public contract shared by the library, the CLI's `--json` and the HTTP API.

Engine arrays become one `ServiceQuote` per service in force on the order date, each with the reasons
a person needs ("weight 26000 g exceeds the maximum 25000 g") and the tariff version it came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterator, Literal, Optional, Sequence, Union, overload

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from . import engine as E
from .compile import CURRENCIES, CompiledTariffs, RowInfo, ServiceInfo
from .confidence import confidence_rank
from .parcels import Parcel
from .units import CURRENCY_EXPONENT, Money

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


# ---------------------------------------------------------------------------------------------------------
# Building results from engine arrays.
#
# Inputs were validated at the edge (Parcel, the tariff schema) and every value below comes from the engine's
# integer arrays or the compiled tariffs, so the models are built without a validation pass (`_trusted`):
# validating ~30 quotes of ~20 fields each cost more than quoting them. `tests/test_result_build.py` checks
# that every trusted quote equals its validated copy. Parts that depend only on the tariff row (billing,
# delivery days, tariff reference) are built once per compiled tariffs and shared between quotes; those
# models are frozen, so sharing them cannot leak a change from one quote to another.

_set_attr = object.__setattr__


def _trusted(cls: Any, values: dict, fields_set: Optional[set] = None) -> Any:
    """`cls` instance holding `values` (every field, already of the declared types), without validation.

    Same object as pydantic's `model_construct` minus its per-field default handling: the caller passes
    every field, so there is nothing left to fill in. `fields_set` may be one set shared by many instances
    of a frozen model: pydantic only adds to it on assignment, which a frozen model refuses, and
    `model_copy` copies it first.
    """
    m = cls.__new__(cls)
    _set_attr(m, "__dict__", values)
    _set_attr(m, "__pydantic_fields_set__", set(values) if fields_set is None else fields_set)
    _set_attr(m, "__pydantic_extra__", None)
    _set_attr(m, "__pydantic_private__", None)
    return m


@dataclass(frozen=True)
class _Row:
    """What a quote takes from its tariff row, computed once per (compiled tariffs, row)."""

    svc: ServiceInfo
    row: RowInfo
    currency: str
    minor_exp: int
    grouped: bool
    rule: str
    threshold_mm: Optional[int]
    billing: BillingOut
    days: Optional[DaysOut]
    unpublished: ReasonOut
    readings: tuple[str, ...]
    tariff_refs: dict  # readings tuple -> TariffRef (frozen, shared)
    reason_key: tuple  # everything of the row that the reason sentences quote (rows with equal keys share them)
    basis_fixed: Optional[str]  # the basis when it does not depend on the parcel's size
    tariff_ref: Optional[TariffRef]  # the TariffRef when it does not depend on the parcel's group

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
                ),
            )
        return found

    def basis(self, total_mm: int) -> str:
        """Which weight was billed: actual at or under the service's sum-of-sides threshold, else its basis rule."""
        if self.rule == "actual" or (self.threshold_mm is not None and total_mm <= self.threshold_mm):
            return "actual"
        return "greater_of" if self.rule == "greater_of" else "volumetric"


def _row(tariffs: CompiledTariffs, svc_i: int, row_i: int) -> _Row:
    cache = tariffs.cache.setdefault("result_rows", {})
    found = cache.get(row_i)
    if found is not None:
        return found
    row = tariffs.rows[row_i]
    b = row.billing
    days = row.rate.delivery_days or row.version.delivery_days
    currency = CURRENCIES[int(tariffs.table.currency[row_i])]
    found = _Row(
        svc=tariffs.services[svc_i],
        row=row,
        currency=currency,
        minor_exp=CURRENCY_EXPONENT[currency],
        grouped=any(r.group is not None for r in row.version.rates),
        rule=b.basis,
        threshold_mm=None if b.threshold_sum_cm is None else int(b.threshold_sum_cm * 10),
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
        reason_key=_reason_key(row),
        basis_fixed="actual" if b.basis == "actual" else None,
        tariff_ref=None,
    )
    if not found.grouped:
        object.__setattr__(found, "tariff_ref", found.tariff(found.readings))
    cache[row_i] = found
    return found


def _block_rows(tariffs: CompiledTariffs, block: E.Block) -> list[_Row]:
    """The row parts of every service of a block, per (epoch, delivery, group): one lookup per block."""
    cache = tariffs.cache.setdefault("result_block_rows", {})
    key = (block.epoch, block.delivery, block.group)
    found = cache.get(key)
    if found is None:
        found = cache[key] = [_row(tariffs, s, r) for s, r in zip(block.services.tolist(), block.rows.tolist())]
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


def _group_out(ep, g_index: int, parcel: Parcel) -> GroupOut:
    g = ep.groups[g_index]
    hi_p = "" if g.price_max_minor >= E.BIG else f"{Money.from_minor(g.price_max_minor, g.price_currency).amount}"
    hi_w = "" if g.weight_max_g >= E.BIG else f"{g.weight_max_g}"
    reason = (
        f"price {parcel.declared_value} in band "
        f"{Money.from_minor(g.price_min_minor, g.price_currency).amount}–{hi_p} {g.price_currency}, "
        f"weight {parcel.weight_g} g in band {g.weight_min_g}–{hi_w} g"
    )
    return GroupOut(name=g.name, reason=reason)  # once per parcel: validated


_NO_GROUP = GroupOut(name=None, reason="no shipment group fits the parcel's price and weight")


class BlockQuotes:
    """A block of engine results, ready to become quotes: one per block, shared by its parcels' views.

    Holds the block's arrays (numpy, which the garbage collector never scans), each service's row parts
    and the price order of every parcel's quotes (one `lexsort` for the whole block). Nothing per
    (parcel, service) is a Python object until someone reads that quote.
    """

    def __init__(self, tariffs: CompiledTariffs, block: E.Block, *, max_rank: Optional[int] = None):
        """`max_rank`: keep only services whose tariff confidence ranks at most this (0 = official; see
        `TariffSet.quote(min_confidence=...)`); a version that states no confidence is left out too."""
        self.tariffs = tariffs
        self.block = block
        ep = tariffs.epochs[block.epoch]
        self.epoch = ep
        self.grouped_parcels = block.group < len(ep.groups)
        self.group_name = ep.groups[block.group].name if self.grouped_parcels else None
        self.group_readings: tuple[str, ...] = tuple(ep.groups[block.group].readings) if self.grouped_parcels else ()
        self.rows = _block_rows(tariffs, block)
        self._volumetric: Optional[np.ndarray] = None
        self._order: Optional[np.ndarray] = None
        self.kept: Optional[set[int]] = (
            None
            if max_rank is None
            else {j for j, r in enumerate(self.rows) if confidence_rank(r.row.version.confidence) <= max_rank}
        )

    def volumetric(self, i: int) -> list[int]:
        """Volumetric grams of parcel `i` per service (-1: the service ignores volume)."""
        b = self.block
        if len(b.parcels) == 1:  # one parcel (the latency path): plain Python beats a numpy round trip
            volume = int(b.volume_mm3[0])
            return [-(-volume // d) if d > 0 else -1 for d in b.divisor.tolist()]
        if self._volumetric is None:
            self._volumetric = b.volumetric_g
        return self._volumetric[i].tolist()

    def order_of(self, i: int) -> list[int]:
        """Service columns of parcel `i` in price order (see `order`), without those `max_rank` drops."""
        order = self._order_of(i)
        return order if self.kept is None else [j for j in order if j in self.kept]

    def _order_of(self, i: int) -> list[int]:
        b = self.block
        if len(b.parcels) == 1:
            ranks = _service_ranks(self.tariffs)
            status, prices = b.status[0].tolist(), b.price_minor[0].tolist()
            rows = self.rows
            keys = [
                (st, rows[j].currency, prices[j], ranks[rows[j].svc.id])
                if st == E.STATUS_OK
                else (st, "", 0, ranks[rows[j].svc.id])
                for j, st in enumerate(status)
            ]
            return sorted(range(len(keys)), key=keys.__getitem__)
        return self.order[i].tolist()

    @property
    def order(self) -> np.ndarray:
        """(P, S) column order per parcel: ok by (currency, price), then unpriced, then ineligible; ties by
        service name and id (the order `sort_quotes` gives, from the integers instead of the models)."""
        if self._order is None:
            b = self.block
            ranks = _service_ranks(self.tariffs)
            name_rank = np.asarray([ranks[r.svc.id] for r in self.rows], np.int64)[None, :]
            ccy_rank = np.asarray([_CCY_RANK[r.currency] for r in self.rows], np.int64)[None, :]
            ok = b.status == E.STATUS_OK
            shape = b.status.shape
            keys = (
                np.broadcast_to(name_rank, shape),
                np.where(ok, b.price_minor, 0),
                np.where(ok, ccy_rank, -1),
                b.status,
            )
            self._order = np.lexsort(keys, axis=-1)
        return self._order

    def view(self, i: int, parcel: Parcel) -> QuoteList:
        return QuoteList(self, i, parcel)

    def build(self, i: int, parcel: Parcel, columns: Optional[Sequence[int]] = None) -> list[ServiceQuote]:
        """The quotes of the block's parcel `i` (`parcel`), for these service columns (default: all, in
        block order)."""
        b = self.block
        statuses, bits_of = b.status[i].tolist(), b.reasons[i].tolist()
        charges, prices, vols = b.chargeable_g[i].tolist(), b.price_minor[i].tolist(), self.volumetric(i)
        total_mm = sum(parcel.dims_mm)
        group: Optional[GroupOut] = None
        weight_g, delivery = parcel.weight_g, parcel.delivery
        rows = self.rows
        out = []
        new, set_attr = object.__new__, _set_attr
        said: dict[tuple, tuple[list[ReasonOut], list[ReasonOut]]] = {}
        for j in range(len(rows)) if columns is None else columns:
            r = rows[j]
            svc = r.svc
            st = statuses[j]
            bits = bits_of[j]
            if bits:
                # services with the same limits say the same sentences: built once per parcel, shared
                # (ReasonOut is frozen), each quote gets its own lists
                found = said.get((bits, r.reason_key))
                if found is None:
                    raw_reasons, raw_warnings = _reasons(r.row, bits, parcel, self.group_name)
                    found = said[(bits, r.reason_key)] = (
                        [_trusted(ReasonOut, x, _REASON_FIELDS) for x in raw_reasons],
                        [_trusted(ReasonOut, x, _REASON_FIELDS) for x in raw_warnings],
                    )
                reasons, warnings = list(found[0]), list(found[1])
            else:
                reasons, warnings = [], []
            price = None
            if st == E.STATUS_OK:
                price = _trusted(
                    Price, {"amount": _amount(prices[j], r.minor_exp), "currency": r.currency}, _PRICE_FIELDS
                )
            elif st == E.STATUS_UNPRICED:
                reasons.append(r.unpublished)
            quote_group = None
            readings = r.readings
            if r.grouped:
                # the readings that shaped the parcel's group (not those of a stand-in row for a missing group)
                readings = self.group_readings
                if group is None:
                    group = _group_out(self.epoch, b.group, parcel) if self.grouped_parcels else _NO_GROUP
                quote_group = group
            vol = vols[j]
            # `_trusted(ServiceQuote, ...)`, inlined: this line runs once per quote
            q = new(ServiceQuote)
            set_attr(
                q,
                "__dict__",
                {
                    "carrier": svc.carrier,
                    "carrier_id": svc.carrier_id,
                    "service": svc.name,
                    "service_id": svc.id,
                    "tier": svc.tier,
                    "delivery_type": delivery,
                    "status": E.STATUS_NAMES[st],
                    "reasons": reasons,
                    "warnings": warnings,
                    "actual_weight_g": weight_g,
                    "volumetric_weight_g": None if vol < 0 else vol,
                    "chargeable_weight_g": charges[j],
                    "basis": r.basis_fixed or r.basis(total_mm),
                    "billing": r.billing,
                    "group": quote_group,
                    "price": price,
                    "delivery_days": r.days,
                    "tariff": r.tariff_ref or r.tariff(readings),
                    **_LATER,
                },
            )
            set_attr(q, "__pydantic_fields_set__", _SET_FIELDS)
            set_attr(q, "__pydantic_extra__", None)
            set_attr(q, "__pydantic_private__", None)
            out.append(q)
        return out


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


def build_quotes(tariffs: CompiledTariffs, parcel: Parcel, block: E.Block, i: int = 0) -> list[ServiceQuote]:
    """The quotes of row `i` of `block` (the parcel at that position), in block order (unsorted)."""
    return BlockQuotes(tariffs, block).build(i, parcel)


_SET_FIELDS = set(
    (
        "carrier carrier_id service service_id tier delivery_type status reasons warnings actual_weight_g "
        "volumetric_weight_g chargeable_weight_g basis billing group price delivery_days tariff"
    ).split()
)
_PRICE_FIELDS = {"amount", "currency"}
_REASON_FIELDS = {"code", "message"}
_LATER = {name: f.default for name, f in ServiceQuote.model_fields.items() if name not in _SET_FIELDS}
"""Fields a quote gets after pricing (RUB figures, customs: `ratecalc.costs`), None until then."""
