"""Compile validated tariff documents into flat numpy tables, once per tariff set.

The engine never looks at YAML models. Every (service version x rate row x delivery type x group)
becomes one *row* of parameter arrays; the date axis is cut into *epochs* (between any two effective
dates nothing changes), and per epoch a small table says which row prices a service for a delivery type
and shipment group. A quote is then: find each parcel's epoch and group, look up one row per service,
and do integer arithmetic with broadcast arrays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, Optional

import numpy as np

from ..units import CURRENCY_EXPONENT
from .loader import TariffDocuments
from .schema import (
    DELIVERY_TYPES,
    MONEY_DECIMALS,
    Billing,
    GroupOverride,
    GroupVersion,
    Limits,
    RateRow,
    Reading,
    Service,
    Version,
)

BIG = np.iinfo(np.int64).max // 4  # "no limit": far above any input the parser admits
MICRO = 10**MONEY_DECIMALS
CURRENCIES: tuple[str, ...] = tuple(sorted(CURRENCY_EXPONENT))
CURRENCY_INDEX = {c: i for i, c in enumerate(CURRENCIES)}
BASIS = {"actual": 0, "greater_of": 1, "volumetric_above_threshold": 2}
DIRECTION = {"up": 0, "down": 1, "nearest": 2}
POLICY = {"allowed": 0, "forbidden": 1, "msds_required": 2, "unknown": 3}
EPOCH_DAY0 = dt.date(1970, 1, 1)

# Row flags set by the lookup table (not by arithmetic): why a looked-up row does not really apply.
FLAG_NO_ROW = 1 << 0  # the service has no rate for this delivery type (or this group)
FLAG_NO_GROUP = 1 << 9  # the parcel falls in no shipment group (or its price is not known in RUB)


def day_number(day: dt.date) -> int:
    return (day - EPOCH_DAY0).days


def _mm(cm: Optional[Decimal]) -> int:
    return BIG if cm is None else int(cm * 10)


def _micro(amount: Optional[Decimal]) -> int:
    return 0 if amount is None else int(amount * MICRO)


def _minor(amount: Decimal, currency: str) -> int:
    return int(amount * 10 ** CURRENCY_EXPONENT[currency])


@dataclass(frozen=True)
class ServiceInfo:
    index: int
    id: str
    name: str
    carrier: str
    carrier_id: str
    origin: str
    tier: Optional[str]
    notes: Optional[str]
    file: str
    layer: int
    model: Service


@dataclass(frozen=True)
class GroupInfo:
    name: str
    price_min_minor: int
    price_max_minor: int
    price_currency: str
    weight_min_g: int
    weight_max_g: int
    version: GroupVersion
    readings: tuple[str, ...]  # readings that shaped this group's limits or billing


@dataclass(frozen=True)
class RowInfo:
    """Python-side description of a row, for messages and the `tariff` block of a quote."""

    service: int
    version: Version
    rate: RateRow
    delivery: str
    group: Optional[str]
    billing: Billing
    limits: Limits
    readings: tuple[str, ...]


@dataclass
class Epoch:
    """A date range over which nothing in the tariff set changes."""

    start: Optional[dt.date]
    end: Optional[dt.date]  # inclusive
    services: np.ndarray  # (S,) global service indices in force
    groups: list[GroupInfo]
    group_price_lo: np.ndarray  # (G,) minor units of groups' price currency
    group_price_hi: np.ndarray
    group_w_lo: np.ndarray
    group_w_hi: np.ndarray
    group_currency: int  # currency index of the group price bands (-1: no groups)
    rows: np.ndarray  # (S, D, G+1) row index; column G is "no group"
    flags: np.ndarray  # (S, D, G+1) FLAG_* bits


@dataclass
class RowTable:
    """Struct-of-arrays of every row's parameters (length R)."""

    basis: np.ndarray
    threshold_mm: np.ndarray  # volume counts when sum of sides > this; -1: always
    divisor: np.ndarray  # cm^3/kg; 0 for actual
    round_step: np.ndarray
    round_dir: np.ndarray
    min_bill: np.ndarray
    min_w: np.ndarray
    max_w: np.ndarray
    max_d0: np.ndarray  # sorted limits, longest first, mm
    max_d1: np.ndarray
    max_d2: np.ndarray
    max_sum: np.ndarray
    sum_strict: np.ndarray
    max_long: np.ndarray
    max_val: np.ndarray  # minor units of val_ccy
    val_ccy: np.ndarray  # -1: no value limit
    batteries: np.ndarray
    liquids: np.ndarray
    published: np.ndarray
    fixed_micro: np.ndarray
    per_micro: np.ndarray
    rate_step: np.ndarray
    currency: np.ndarray
    days_min: np.ndarray  # -1: not published
    days_max: np.ndarray


@dataclass
class CompiledTariffs:
    services: list[ServiceInfo]
    rows: list[RowInfo]
    table: RowTable
    epochs: list[Epoch]
    boundaries: np.ndarray  # sorted day numbers where an epoch starts (epoch k starts at boundaries[k-1])
    readings: frozenset[str]
    available_readings: dict[str, str] = field(default_factory=dict)  # id -> description
    scheme: str = "rfbs"  # the services of one scheme only (rfbs: partner delivery, fbp: border warehouse)
    # Derived lookups the engine and result builder memoise per compiled set (plans, row statics). Keyed by
    # the consumer's own name; not part of equality or repr.
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def epoch_of(self, days: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.boundaries, days, side="right")


def _select_readings(version: GroupVersion, chosen: frozenset[str]) -> list[Reading]:
    """Per conflict: the user's choice if given, else that conflict's default (one reading per conflict).

    Choosing an alternative for one conflict must not drop the defaults of the others, so selection is
    per conflict, never a flat set. The schema guarantees one default per conflict; `compile_tariffs`
    has already refused two choices for one conflict.
    """
    by_conflict: dict[str, Reading] = {}
    for reading in version.readings:
        if reading.default:
            by_conflict.setdefault(reading.conflict, reading)
    for reading in version.readings:
        if reading.id in chosen:
            by_conflict[reading.conflict] = reading
    return list(by_conflict.values())


def _merge_group(version: GroupVersion, chosen: frozenset[str]) -> list[tuple[GroupOverride, tuple[str, ...]]]:
    """The group definitions of a version with the selected (or default) readings applied.

    Only fields a file sets are merged (`exclude_unset`), so a group that says nothing about, say,
    batteries leaves the carrier version's battery policy alone. Each group carries the ids of the
    readings that shaped it, so a quote in that group can say which reading it used.
    """
    selected = _select_readings(version, chosen)
    out = []
    for group in version.groups:
        merged = group.model_dump(exclude_unset=True)
        used: list[str] = []
        for reading in selected:
            for override in reading.groups:
                if override.name != group.name:
                    continue
                used.append(reading.id)
                for key, value in override.model_dump(exclude_unset=True).items():
                    if key == "name":
                        continue
                    if isinstance(value, dict) and isinstance(merged.get(key), dict):
                        merged[key] = {**merged[key], **value}
                    else:
                        merged[key] = value
        out.append((GroupOverride.model_validate(merged), tuple(dict.fromkeys(used))))
    return out


# The literal reading of "above the threshold, freight is calculated by volumetric weight" bills the
# volumetric weight even when it is below the actual weight (a 101 g parcel can bill 100 g). Sources state
# it for whole carriers rather than for a shipment group, so the alternative is a built-in reading that
# every service with that basis answers to, rather than a group override in a shipment_groups file.
VOLUMETRIC_CONFLICT = "volumetric-above-threshold"
VOLUMETRIC_LITERAL = "volumetric-above-threshold-literal"
VOLUMETRIC_GREATER_OF = "volumetric-above-threshold-greater-of"
BUILTIN_READINGS: dict[str, tuple[str, str, bool]] = {  # id -> (conflict, description, default)
    VOLUMETRIC_LITERAL: (
        VOLUMETRIC_CONFLICT,
        "Services billed 'by volumetric weight above a size threshold' bill the volumetric weight above it, "
        "even when that is below the actual weight (the literal reading of the published Chinese text).",
        True,
    ),
    VOLUMETRIC_GREATER_OF: (
        VOLUMETRIC_CONFLICT,
        "Services billed 'by volumetric weight above a size threshold' bill the greater of actual and "
        "volumetric weight above it (the usual industry practice; not what the text says).",
        False,
    ),
}


def _uses_volumetric_threshold(docs: TariffDocuments) -> bool:
    return any(
        v.billing.basis == "volumetric_above_threshold"
        or any(r.billing and r.billing.basis == "volumetric_above_threshold" for r in v.rates)
        for _, s, _ in docs.services
        for v in s.versions
    )


def check_readings(docs: TariffDocuments, readings: frozenset[str]) -> dict[str, str]:
    """Refuse unknown readings and two readings of one conflict; return id -> description of all known.

    InputError names the field `readings` (CLI `--reading`, request field `readings`).
    """
    from ..errors import InputError

    available: dict[str, str] = {}
    conflict_of: dict[str, str] = {}
    for gdoc, _ in docs.groups:
        for version in gdoc.versions:
            for reading in version.readings:
                available[reading.id] = reading.description
                conflict_of[reading.id] = reading.conflict
    if _uses_volumetric_threshold(docs):
        for rid, (conflict, description, _default) in BUILTIN_READINGS.items():
            available[rid] = description
            conflict_of[rid] = conflict
    unknown = set(readings) - set(available)
    if unknown:
        raise InputError(
            "readings",
            f"unknown reading(s) {sorted(unknown)}; known: {sorted(available) or 'none'}",
        )
    per_conflict: dict[str, list[str]] = {}
    for rid in sorted(readings):
        per_conflict.setdefault(conflict_of[rid], []).append(rid)
    for conflict, ids in per_conflict.items():
        if len(ids) > 1:
            raise InputError(
                "readings",
                f"readings {ids} answer the same conflict {conflict!r}; choose one of them",
            )
    return available


def _merge_limits(base: Limits, over: Optional[Limits], rate: RateRow) -> Limits:
    """Version limits, then the group's, then the row's own; the row's battery/liquid policy last."""
    data = base.model_dump(exclude_unset=True)
    for layer in (over, rate.limits):
        if layer is not None:
            data.update(layer.model_dump(exclude_unset=True))
    if rate.batteries is not None:
        data["batteries"] = rate.batteries
    if rate.liquids is not None:
        data["liquids"] = rate.liquids
    return Limits.model_validate(data)


def _volumetric_reading(billing: Billing, readings: frozenset[str]) -> tuple[Billing, tuple[str, ...]]:
    """Apply the built-in volumetric-threshold reading to a row's billing; say which reading it took."""
    if billing.basis != "volumetric_above_threshold":
        return billing, ()
    if VOLUMETRIC_GREATER_OF in readings:
        return billing.model_copy(update={"basis": "greater_of"}), (VOLUMETRIC_GREATER_OF,)
    return billing, (VOLUMETRIC_LITERAL,)


def _boundaries(docs: TariffDocuments) -> np.ndarray:
    days: set[int] = set()
    versions: list = [v for _, s, _ in docs.services for v in s.versions]
    versions += [v for g, _ in docs.groups for v in g.versions]
    for v in versions:
        if v.effective_from is not None:
            days.add(day_number(v.effective_from))
        if v.effective_until is not None:
            days.add(day_number(v.effective_until) + 1)
    return np.array(sorted(days), dtype=np.int64)


class EpochSpan(NamedTuple):
    """An epoch's inclusive dates (None = open) and the day used to ask what is in force over it."""

    start: Optional[dt.date]
    end: Optional[dt.date]
    probe: dt.date


def _epoch_spans(boundaries: np.ndarray) -> list[EpochSpan]:
    n = len(boundaries) + 1
    spans = []
    for k in range(n):
        start = None if k == 0 else EPOCH_DAY0 + dt.timedelta(days=int(boundaries[k - 1]))
        end = None if k == n - 1 else EPOCH_DAY0 + dt.timedelta(days=int(boundaries[k]) - 1)
        spans.append(EpochSpan(start, end, start or (end if end is not None else dt.date(2000, 1, 1))))
    return spans


def _read_services(docs: TariffDocuments) -> list[ServiceInfo]:
    """Every service, in a stable order (carrier id, service id) that fixes its global index."""
    services: list[ServiceInfo] = []
    ordered = sorted(docs.services, key=lambda t: (t[0].carrier_id, t[1].id))
    for i, (carrier, service, loaded) in enumerate(ordered):
        services.append(
            ServiceInfo(
                index=i,
                id=service.id,
                name=service.name,
                carrier=carrier.carrier,
                carrier_id=carrier.carrier_id,
                origin=service.origin,
                tier=service.tier,
                notes=service.notes,
                file=str(loaded.path),
                layer=loaded.layer,
                model=service,
            )
        )
    return services


@dataclass
class GroupsInForce:
    """The shipment groups of one epoch, with the chosen readings applied."""

    infos: list[GroupInfo]
    merged: dict[str, tuple[GroupOverride, tuple[str, ...]]]


def _read_groups(docs: TariffDocuments, probe: dt.date, readings: frozenset[str]) -> GroupsInForce:
    infos: list[GroupInfo] = []
    merged: dict[str, tuple[GroupOverride, tuple[str, ...]]] = {}
    for gdoc, _ in docs.groups:
        for gv in gdoc.versions:
            if not (
                (gv.effective_from is None or gv.effective_from <= probe)
                and (gv.effective_until is None or probe <= gv.effective_until)
            ):
                continue
            cur = gv.price_currency
            for group, used in _merge_group(gv, readings):
                merged[group.name] = (group, used)
                infos.append(
                    GroupInfo(
                        name=group.name,
                        price_min_minor=_minor(group.price.min, cur) if group.price.min is not None else 0,
                        price_max_minor=_minor(group.price.max, cur) if group.price.max is not None else BIG,
                        price_currency=cur,
                        weight_min_g=int(group.weight_g.min) if group.weight_g.min is not None else 0,
                        weight_max_g=int(group.weight_g.max) if group.weight_g.max is not None else BIG,
                        version=gv,
                        readings=used,
                    )
                )
    return GroupsInForce(infos, merged)


class _Rows:
    """The row list being built: equal rows are stored once, stand-ins once per (service, version, delivery)."""

    def __init__(self) -> None:
        self.rows: list[RowInfo] = []
        self._keys: dict[tuple, int] = {}
        self._stand_ins: dict[tuple[int, int, str], int] = {}
        self._limits: dict[tuple, tuple[object, Limits]] = {}

    def limits(self, base: Limits, over: Optional[Limits], rate: RateRow) -> Limits:
        """`_merge_limits`, one object per distinct input (the models are frozen): the rows of a version
        share their limits, which keeps the compiled set, and the compiled-tariff cache that stores it,
        thousands of models smaller. The memo holds its inputs, so an id is never reused while it is kept."""
        inputs = (base, over, rate.limits, rate.batteries, rate.liquids)
        key = (id(base), id(over), id(rate.limits), rate.batteries, rate.liquids)
        found = self._limits.get(key)
        if found is None:
            found = self._limits[key] = (inputs, _merge_limits(base, over, rate))
        return found[1]

    def add(self, info: RowInfo) -> int:
        key = (
            info.service,
            id(info.version),
            id(info.rate),
            info.delivery,
            info.group,
            info.readings,
            id(info.billing),
        )
        found = self._keys.get(key)
        if found is None:
            found = self._keys[key] = len(self.rows)
            self.rows.append(info)
        return found

    def stand_in(self, service: int, version: Version, delivery: str, readings: frozenset[str]) -> int:
        """The row of a cell the service has no rate for (this delivery type, this group, or no group at all).

        The cell is ineligible anyway (FLAG_NO_ROW / FLAG_NO_GROUP); it still needs a billing rule for the
        chargeable weight it reports. It takes the version's own billing and limits - never another group's
        row, whose limits would add reasons that do not apply (an Extra Small sum of sides on a Big parcel).
        """
        key = (service, id(version), delivery)
        found = self._stand_ins.get(key)
        if found is None:
            rate = RateRow(
                delivery=[delivery],
                currency=version.rates[0].currency,
                unpublished="the service has no rate for this parcel's delivery type or shipment group",
            )
            billing, used = _volumetric_reading(version.billing, readings)
            info = RowInfo(service, version, rate, delivery, None, billing, version.limits, used)
            found = self._stand_ins[key] = len(self.rows)
            self.rows.append(info)
        return found


def _undefined_group(svc: ServiceInfo, group: str, probe: dt.date) -> Exception:
    from ..errors import TariffError, TariffProblem

    return TariffError(
        [
            TariffProblem(
                svc.file,
                f"{svc.id}.rates",
                f"group {group!r} is not defined by any shipment_groups file in force on {probe.isoformat()}",
            )
        ]
    )


def _compile_cell(
    svc: ServiceInfo,
    version: Version,
    delivery: str,
    group_name: Optional[str],
    groups: GroupsInForce,
    readings: frozenset[str],
    rows: _Rows,
    probe: dt.date,
) -> tuple[int, int]:
    """(row index, FLAG_* bits) pricing one service version for one delivery type and shipment group."""
    match = next(
        (r for r in version.rates if delivery in r.delivery and (r.group is None or r.group == group_name)), None
    )
    if match is None:
        grouped = any(r.group is not None for r in version.rates)
        flag = FLAG_NO_GROUP if (grouped and group_name is None) else FLAG_NO_ROW
        return rows.stand_in(svc.index, version, delivery, readings), flag
    billing, over = version.billing, None
    used: tuple[str, ...] = ()
    if match.group is not None:
        if match.group not in groups.merged:
            raise _undefined_group(svc, match.group, probe)
        group, used = groups.merged[match.group]
        billing = group.billing or billing
        over = group.limits
    billing = match.billing or billing  # a rate sheet's own row states its billing: it wins
    billing, vol_used = _volumetric_reading(billing, readings)
    info = RowInfo(
        service=svc.index,
        version=version,
        rate=match,
        delivery=delivery,
        group=match.group,
        billing=billing,
        limits=rows.limits(version.limits, over, match),
        readings=tuple(used) + vol_used,
    )
    return rows.add(info), 0


def _compile_epoch(
    span: EpochSpan,
    services: list[ServiceInfo],
    docs: TariffDocuments,
    readings: frozenset[str],
    rows: _Rows,
) -> Epoch:
    groups = _read_groups(docs, span.probe, readings)
    G = len(groups.infos)
    active = [(s, v) for s in services for v in s.model.versions if v.covers(span.probe)]
    table = np.zeros((len(active), len(DELIVERY_TYPES), G + 1), dtype=np.int64)
    flags = np.zeros((len(active), len(DELIVERY_TYPES), G + 1), dtype=np.uint32)
    names: list[Optional[str]] = [g.name for g in groups.infos] + [None]
    for si, (svc, version) in enumerate(active):
        for di, delivery in enumerate(DELIVERY_TYPES):
            for col, gname in enumerate(names):
                table[si, di, col], flags[si, di, col] = _compile_cell(
                    svc, version, delivery, gname, groups, readings, rows, span.probe
                )
    infos = groups.infos
    return Epoch(
        start=span.start,
        end=span.end,
        services=np.array([s.index for s, _ in active], dtype=np.int64),
        groups=infos,
        group_price_lo=np.array([g.price_min_minor for g in infos], dtype=np.int64),
        group_price_hi=np.array([g.price_max_minor for g in infos], dtype=np.int64),
        group_w_lo=np.array([g.weight_min_g for g in infos], dtype=np.int64),
        group_w_hi=np.array([g.weight_max_g for g in infos], dtype=np.int64),
        group_currency=CURRENCY_INDEX[infos[0].price_currency] if infos else -1,
        rows=table,
        flags=flags,
    )


def compile_tariffs(
    docs: TariffDocuments, readings: frozenset[str] = frozenset(), scheme: str = "rfbs"
) -> CompiledTariffs:
    """Validated documents -> epochs and row tables (see the module docstring), for the services of one
    scheme: a quote lists the lanes of the way the seller ships (rfbs) or Ozon's border warehouse (fbp)."""
    readings = frozenset(readings)
    docs = docs.for_scheme(scheme)
    services = _read_services(docs)
    available = check_readings(docs, readings)
    boundaries = _boundaries(docs)
    rows = _Rows()
    epochs = [_compile_epoch(span, services, docs, readings, rows) for span in _epoch_spans(boundaries)]
    return CompiledTariffs(
        services=services,
        rows=rows.rows,
        table=_row_table(rows.rows),
        epochs=epochs,
        boundaries=boundaries,
        readings=readings,
        available_readings=available,
        scheme=scheme,
    )


def _row_table(rows: list[RowInfo]) -> RowTable:
    def arr(values: list, dtype=np.int64) -> np.ndarray:
        return np.array(values, dtype=dtype)

    def col(fn, dtype=np.int64) -> np.ndarray:
        return arr([fn(r) for r in rows], dtype)

    def sorted_dim(r: RowInfo, i: int) -> int:
        dims = r.limits.max_dims_cm
        return BIG if dims is None else sorted((_mm(d) for d in dims), reverse=True)[i]

    def val_limit(r: RowInfo) -> tuple[int, int]:
        lim = r.limits.max_declared_value
        if lim is None:
            return BIG, -1
        return _minor(lim.amount, lim.currency), CURRENCY_INDEX[lim.currency]

    def days(r: RowInfo) -> tuple[int, int]:
        d = r.rate.delivery_days or r.version.delivery_days
        return (-1, -1) if d is None else (d.min, d.max)

    return RowTable(
        basis=col(lambda r: BASIS[r.billing.basis], np.int8),
        threshold_mm=col(lambda r: -1 if r.billing.threshold_sum_cm is None else _mm(r.billing.threshold_sum_cm)),
        divisor=col(lambda r: r.billing.divisor or 0),
        round_step=col(lambda r: r.billing.rounding.step_g),
        round_dir=col(lambda r: DIRECTION[r.billing.rounding.direction], np.int8),
        min_bill=col(lambda r: r.billing.min_billable_g or 0),
        min_w=col(lambda r: r.limits.min_weight_g or 0),
        max_w=col(lambda r: r.limits.max_weight_g or BIG),
        max_d0=col(lambda r: sorted_dim(r, 0)),
        max_d1=col(lambda r: sorted_dim(r, 1)),
        max_d2=col(lambda r: sorted_dim(r, 2)),
        max_sum=col(lambda r: _mm(r.limits.max_sum_cm)),
        sum_strict=col(lambda r: r.limits.sum_strict, bool),
        max_long=col(lambda r: _mm(r.limits.max_longest_cm)),
        max_val=col(lambda r: val_limit(r)[0]),
        val_ccy=col(lambda r: val_limit(r)[1]),
        batteries=col(lambda r: POLICY[r.limits.batteries], np.int8),
        liquids=col(lambda r: POLICY[r.limits.liquids], np.int8),
        published=col(lambda r: r.rate.published, bool),
        fixed_micro=col(lambda r: _micro(r.rate.fixed)),
        per_micro=col(lambda r: _micro(r.rate.per_step)),
        rate_step=col(lambda r: r.rate.step_g),
        currency=col(lambda r: CURRENCY_INDEX[r.rate.currency]),
        days_min=col(lambda r: days(r)[0]),
        days_max=col(lambda r: days(r)[1]),
    )
