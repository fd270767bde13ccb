"""The pricing engine: integer numpy arithmetic over (parcels x services in force).

Parcels are split into *blocks* that share an epoch, a delivery type and a shipment group; inside a block
every service has exactly one row, so every row parameter is a *scalar per service*. The engine walks the
services of a block once per cache-sized chunk of parcels: each service's arithmetic is a handful of
vector-by-scalar operations on parcel columns (numpy divides by a scalar with libdivide, far faster than an
element-wise divide), work shared between services with the same billing rule is done once, and checks a
service does not have (no limit published, no battery in the chunk) are skipped outright. Nothing is
(parcels x services) except the four outputs, which are int32 where an exact bound allows and are reused
from block to block once the caller has let go of them (fresh memory pages cost more than the arithmetic).
A block of a few parcels (one quote) is computed in plain Python: numpy's per-call cost would dominate.

Units: grams, millimetres, mm^3, money in micro-units (10^-6) until the final rounding to the currency's
minor unit, which is **half-up** (a price of 10.505 CNY is 10.51 CNY). Weight rounding follows each
tariff's step and direction (up: ceil, down: floor, nearest: half-up); the volumetric weight of a parcel is
(L x W x H mm^3) / divisor grams, kept as an exact fraction until it is stepped.
"""

from __future__ import annotations

import bisect
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator, NamedTuple, Optional, Union

import numpy as np

from ..tariffdata.compile import (
    BIG,
    CURRENCIES,
    FLAG_NO_GROUP,
    FLAG_NO_ROW,
    MICRO,
    CompiledTariffs,
    RowTable,
)
from ..units import CURRENCY_EXPONENT

if TYPE_CHECKING:  # imported by `_pool`: concurrent.futures loads logging (~0.01 s), which one quote never needs
    from concurrent.futures import ThreadPoolExecutor

# Blocking reasons (bits 0-15) make a service ineligible; warnings (bits 16+) do not.
R_NO_ROW = FLAG_NO_ROW
R_WEIGHT_MAX = 1 << 1
R_WEIGHT_MIN = 1 << 2
R_DIMS = 1 << 3
R_SUM = 1 << 4
R_LONGEST = 1 << 5
R_VALUE = 1 << 6
R_BATTERY = 1 << 7
R_LIQUID = 1 << 8
R_NO_GROUP = FLAG_NO_GROUP
W_VALUE_UNCHECKED = 1 << 16
W_BATTERY_MSDS = 1 << 17
W_BATTERY_UNKNOWN = 1 << 18
W_LIQUID_UNKNOWN = 1 << 19
W_BILLED_BELOW_ACTUAL = 1 << 20  # volumetric-above-threshold billing charged less than the actual weight
BLOCKING = (1 << 16) - 1

# The one table of reason codes: bit -> stable code, in the order quotes list them (so the first blocking
# bit in this order is a quote's first reason). Two bits take another code in context, and every caller
# (result.py for single quotes, columnar.py for catalogues) applies the same two substitutions:
REASON_CODES: dict[int, str] = {
    R_NO_GROUP: "no_shipment_group",
    R_NO_ROW: "delivery_type_unavailable",
    R_WEIGHT_MAX: "weight_above_max",
    R_WEIGHT_MIN: "weight_below_min",
    R_DIMS: "dimensions_above_max",
    R_SUM: "sum_of_sides_above_max",
    R_LONGEST: "longest_side_above_max",
    R_VALUE: "declared_value_above_max",
    R_BATTERY: "batteries_forbidden",
    R_LIQUID: "liquids_forbidden",
    W_VALUE_UNCHECKED: "declared_value_unchecked",
    W_BATTERY_MSDS: "batteries_need_msds",
    W_BATTERY_UNKNOWN: "battery_policy_unpublished",
    W_LIQUID_UNKNOWN: "liquid_policy_unpublished",
    W_BILLED_BELOW_ACTUAL: "billed_weight_below_actual",
}
CODE_DECLARED_VALUE_REQUIRED = "declared_value_required"  # R_NO_GROUP when no value was declared
CODE_NO_RATE_FOR_GROUP = "no_rate_for_group"  # R_NO_ROW when a shipment group applies to the row
CODE_RATE_UNPUBLISHED = "rate_unpublished"  # not a bit: the reason an eligible service is unpriced

STATUS_OK, STATUS_UNPRICED, STATUS_INELIGIBLE = 0, 1, 2
STATUS_NAMES = ("ok", "unpriced", "ineligible")

_MINOR_DIV = np.array([MICRO // 10 ** CURRENCY_EXPONENT[c] for c in CURRENCIES], dtype=np.int64)

CHUNK = 8_192  # parcels per pass over the services: the chunk's columns stay in L2 cache
PARALLEL_MIN = 2 * CHUNK  # blocks this big are split over threads (numpy releases the GIL)
MAX_BLOCK = 2 * CHUNK  # default cap per yielded block: its reused outputs stay in L3 (see iter_blocks)


@dataclass
class ParcelArrays:
    """Columnar parcels, validated and in integer units (see `parcels.py` for how they are built)."""

    weight_g: np.ndarray  # (P,) int64
    dims_mm: np.ndarray  # (P, 3) int64 sorted longest first
    value_minor: np.ndarray  # (P,) int64, -1 = not declared
    value_ccy: np.ndarray  # (P,) int64 currency index, -1 = not declared
    day: np.ndarray  # (P,) int64 days since 1970-01-01
    delivery: np.ndarray  # (P,) int64 index into DELIVERY_TYPES
    battery: np.ndarray  # (P,) bool
    liquid: np.ndarray  # (P,) bool

    def __len__(self) -> int:
        return int(self.weight_g.shape[0])

    def take(self, idx: np.ndarray) -> ParcelArrays:
        return ParcelArrays(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


@dataclass
class Block:
    """Quotes for a set of parcels against every service in force for them.

    The (P, S) outputs are transposed views of service-major (S, P) arrays (Fortran order): index them
    as [parcel, service]; `np.ascontiguousarray` when a parcel-major buffer is needed. `volumetric_g` is derived from the parcels' volumes and
    the services' divisors on first access: it is not needed to price, so a catalogue run never pays for it.
    """

    epoch: int
    delivery: int
    group: int  # index into the epoch's groups; len(groups) = none
    parcels: np.ndarray  # (P,) positions in the input
    services: np.ndarray  # (S,) global service indices
    rows: np.ndarray  # (S,) row indices
    status: np.ndarray  # (P, S) uint8
    reasons: np.ndarray  # (P, S) uint32
    chargeable_g: np.ndarray  # (P, S) int32 where provably enough (see _output_dtypes), else int64
    price_minor: np.ndarray  # (P, S) int32/int64 likewise; -1 = no price
    volume_mm3: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))  # (P,)
    divisor: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.int64))  # (S,)
    _volumetric: Optional[np.ndarray] = field(default=None, repr=False)

    @property
    def volumetric_g(self) -> np.ndarray:
        """(P, S) int64: ceil(volume / divisor) grams; -1 = the service ignores volume."""
        if self._volumetric is None:
            has = self.divisor > 0
            safe = np.where(has, self.divisor, 1)
            v = self.volume_mm3[:, None]
            self._volumetric = np.where(has[None, :], -((-v) // safe[None, :]), -1).astype(np.int64)
        return self._volumetric


def assign_groups(tariffs: CompiledTariffs, parcels: ParcelArrays, epoch_of: np.ndarray) -> np.ndarray:
    """Each parcel's shipment group index within its epoch (len(groups) when none applies)."""
    group = np.zeros(len(parcels), dtype=np.int64)
    if not any(ep.groups for ep in tariffs.epochs) or len(parcels) == 0:
        return group
    lo, hi = int(epoch_of.min()), int(epoch_of.max())
    for e in range(lo, hi + 1):
        ep = tariffs.epochs[e]
        G = len(ep.groups)
        if G == 0:
            continue
        sel = np.nonzero(epoch_of == e)[0] if lo != hi else np.arange(len(parcels))
        if len(sel) == 0:
            continue
        v = parcels.value_minor[sel][:, None]
        w = parcels.weight_g[sel][:, None]
        priced = (parcels.value_ccy[sel] == ep.group_currency)[:, None]
        fits = (
            priced
            & (v >= ep.group_price_lo[None, :])
            & (v <= ep.group_price_hi[None, :])
            & (w >= ep.group_w_lo[None, :])
            & (w <= ep.group_w_hi[None, :])
        )
        any_fit = fits.any(axis=1)
        group[sel] = np.where(any_fit, fits.argmax(axis=1), G)
    return group


def _block_of_one(tariffs: CompiledTariffs, parcels: ParcelArrays) -> tuple[int, int, int]:
    """(epoch, delivery, group) of a single parcel: the scalar twin of `block_keys` + `assign_groups`."""
    return _block_index(
        tariffs,
        int(parcels.day[0]),
        int(parcels.delivery[0]),
        int(parcels.value_minor[0]),
        int(parcels.value_ccy[0]),
        int(parcels.weight_g[0]),
    )


def _block_index(tariffs: CompiledTariffs, day: int, delivery: int, v: int, ccy: int, w: int) -> tuple[int, int, int]:
    e, g, _ = _locate(tariffs, day, v, ccy, w)
    return e, delivery, g


_OneIndex = tuple[list[int], list[tuple[int, int, list[tuple[int, int, int, int]], list[list[Optional["_Plan"]]]]]]


def _one_index(tariffs: CompiledTariffs) -> _OneIndex:
    """What `_locate` reads, as Python lists kept on the compiled tariffs: the epoch boundaries and per epoch
    its group count, group currency, group bands (price lo/hi, weight lo/hi) and its plans by
    [delivery][group] (filled as parcels need them)."""
    epochs = []
    for ep in tariffs.epochs:
        G = len(ep.groups)
        bands = list(
            zip(ep.group_price_lo.tolist(), ep.group_price_hi.tolist(), ep.group_w_lo.tolist(), ep.group_w_hi.tolist())
        )
        plans: list[list[Optional[_Plan]]] = [[None] * (G + 1) for _ in range(ep.rows.shape[1])]
        epochs.append((G, int(ep.group_currency), bands, plans))
    return tariffs.boundaries.tolist(), epochs


def _locate(
    tariffs: CompiledTariffs, day: int, v: int, ccy: int, w: int
) -> tuple[int, int, list[list[Optional[_Plan]]]]:
    """(epoch, group, the epoch's plans by [delivery][group]) of one parcel: the scalar twin of `block_keys` +
    `assign_groups` (the first band that holds the declared value and the weight; none: group = G)."""
    index = tariffs.cache.get("engine_one_index")
    if index is None:
        index = tariffs.cache["engine_one_index"] = _one_index(tariffs)
    e = bisect.bisect_right(index[0], day)  # = searchsorted(side="right")
    G, group_ccy, bands, plans = index[1][e]
    if G and ccy == group_ccy:
        for k, (p_lo, p_hi, w_lo, w_hi) in enumerate(bands):
            if p_lo <= v <= p_hi and w_lo <= w <= w_hi:
                return e, k, plans
    return e, G, plans


def block_keys(tariffs: CompiledTariffs, parcels: ParcelArrays) -> tuple[np.ndarray, int]:
    """Per parcel, the block it belongs to: (epoch * 2 + delivery) * n_groups + group."""
    day = parcels.day
    if len(day) and day.min() == day.max():  # a catalogue quoted on one date: one lookup
        epoch_of = np.full(len(day), int(tariffs.epoch_of(day[:1])[0]), dtype=np.int64)
    else:
        epoch_of = tariffs.epoch_of(day)
    group = assign_groups(tariffs, parcels, epoch_of)
    n_groups = max(len(e.groups) for e in tariffs.epochs) + 1
    return (epoch_of * 2 + parcels.delivery) * n_groups + group, n_groups


def iter_blocks(
    tariffs: CompiledTariffs,
    parcels: ParcelArrays,
    *,
    threads: Optional[int] = None,
    max_block: Optional[int] = MAX_BLOCK,
) -> Iterator[Block]:
    """Quote every parcel against every service in force on its date, block by block.

    `threads`: worker threads over the chunks of a large block (default 1: in the caller, see
    `default_threads`).
    `max_block`: blocks hold at most this many parcels (None: no cap). A consumer that handles a block and
    lets it go keeps memory bounded and lets the allocator reuse the same pages, which on first touch cost
    more than the arithmetic (measured: 640 MB of fresh pages take ~3 s here, refilling them 0.1 s).
    """
    if len(parcels) == 0:
        return
    if len(parcels) == 1:  # one parcel: find its block in plain Python (numpy calls cost more here)
        e, d, g = _block_of_one(tariffs, parcels)
        yield _quote_block(tariffs, parcels, np.zeros(1, np.int64), e, d, g, threads, contiguous=True)
        return
    key, n_groups = block_keys(tariffs, parcels)
    lo, hi = int(key.min()), int(key.max())
    parts: list[tuple[int, Optional[np.ndarray]]]
    if lo == hi:  # one block: no sort, no copy
        parts = [(lo, None)]
    else:
        # keys are small: a uint16 stable argsort is a radix sort (linear); parcels are not copied per
        # block, each chunk gathers its own rows while they are in cache
        small = key - lo
        order = np.argsort(small.astype(np.uint16) if hi - lo < 1 << 16 else small, kind="stable")
        cuts = np.flatnonzero(np.diff(key[order])) + 1
        parts = [(int(key[idx[0]]), idx) for idx in np.split(order, cuts)]
    pool = _OutputPool()
    for k, idx in parts:
        e, rest = divmod(k, 2 * n_groups)
        d, g = divmod(rest, n_groups)
        n = len(parcels) if idx is None else len(idx)
        cap = n if not max_block else max_block
        for start in range(0, n, cap):
            sel = slice(start, start + cap)
            if idx is None:
                positions = np.arange(start, min(start + cap, n))
                yield _quote_block(tariffs, parcels, positions, e, d, g, threads, contiguous=True, pool=pool)
            else:
                yield _quote_block(tariffs, parcels, idx[sel], e, d, g, threads, contiguous=False, pool=pool)


# ---------------------------------------------------------------------------------------------------------
# Per-block plan: the scalars of every service's row, and which services share a billing rule.


class BillingKey(NamedTuple):
    """A billing rule as the engine applies it; services with equal keys share one chargeable-weight pass."""

    basis: int  # 0 actual, 1 greater of actual and volumetric, 2 volumetric above the threshold
    threshold_mm: int  # sum of sides above which volume counts; -1 = always
    divisor: int  # mm³ per gram of volumetric weight
    step: int  # rounding step, grams
    direction: int  # 0 up, 1 down, 2 nearest
    min_bill: int  # minimum billable grams (0 = none)


class PriceTerms(NamedTuple):
    """A service row's rate in integer micro-units: `fixed + per x started rate steps`."""

    published: bool
    fixed_micro: int
    per_micro: int
    rate_step: int  # grams per rate step
    minor_div: int  # micro-units per minor unit of the currency


class LimitKey(NamedTuple):
    """What a service accepts; services with equal keys share one eligibility pass (31 services had 7)."""

    max_w: int
    min_w: int
    max_d0: int  # sides, longest first (BIG = no limit)
    max_d1: int
    max_d2: int
    max_sum: int
    sum_strict: bool  # the sum must be strictly less than max_sum
    max_long: int
    val_ccy: int  # currency index of the declared-value limit (-1 = none)
    max_val: int
    batteries: int  # policy: 0 accepted, 1 refused, 2 with (M)SDS, 3 unknown
    liquids: int  # policy: 0 accepted, 1 refused, 3 unknown


_OneParcelFn = Callable[["ParcelScalars"], "ScalarQuotes"]  # a plan's generated function (`_scalar_source`)


@dataclass
class _Plan:
    rows: np.ndarray
    services: np.ndarray
    divisor: np.ndarray  # (S,)
    billing_keys: list[BillingKey]  # unique
    billing_of: list[int]  # per service, index into billing_keys
    prices: list[PriceTerms]  # per service
    flags: list[int]  # per service: reason bits fixed by the tariff row (e.g. no rate for the group)
    limits: list[LimitKey]  # per service
    dtypes: tuple = (np.uint8, np.uint32, np.int64, np.int64)  # status, reasons, chargeable, price
    block: tuple[int, int, int] = (0, 0, 0)  # (epoch, delivery, group)
    _scalar: Optional[_OneParcelFn] = field(default=None, repr=False)

    def scalar_source(self) -> str:
        """The source of the one-parcel function (see `_scalar_source`)."""
        divisors = self.divisor.tolist()
        return _scalar_source(self.billing_keys, self.billing_of, self.prices, self.flags, self.limits, divisors)

    def scalar(self) -> _OneParcelFn:
        """The one-parcel function, compiled on first use: ~2 ms a plan, which the vector path never pays
        (a run over every epoch makes 84 plans). Two threads here compile the same function; either is kept."""
        fn = self._scalar
        if fn is None:
            block, services, rows = self.block, self.services.tolist(), self.rows.tolist()
            fn = self._scalar = _compile_scalar(self.scalar_source(), self.billing_keys, block, services, rows)
        return fn

    def __getstate__(self) -> dict:
        """Pickled without the compiled function (a function made by `exec` does not pickle; it is compiled
        again on first use), so a compiled tariff set that has quoted still pickles with its cache."""
        return {**self.__dict__, "_scalar": None}


_plans_lock = threading.Lock()


def _row_keys(t: RowTable, r: int) -> tuple[BillingKey, PriceTerms, LimitKey]:
    """One compiled row's billing rule, price terms and limits, as the hashable keys services share."""
    bkey = BillingKey(
        int(t.basis[r]), int(t.threshold_mm[r]), int(t.divisor[r]),
        int(t.round_step[r]), int(t.round_dir[r]), int(t.min_bill[r]),
    )  # fmt: skip
    if bkey.basis == 0:  # actual weight: threshold and divisor play no part
        bkey = bkey._replace(threshold_mm=0, divisor=0)
    terms = PriceTerms(
        bool(t.published[r]), int(t.fixed_micro[r]), int(t.per_micro[r]),
        int(t.rate_step[r]), int(_MINOR_DIV[t.currency[r]]),
    )  # fmt: skip
    limits = LimitKey(
        int(t.max_w[r]), int(t.min_w[r]), int(t.max_d0[r]), int(t.max_d1[r]), int(t.max_d2[r]),
        int(t.max_sum[r]), bool(t.sum_strict[r]), int(t.max_long[r]), int(t.val_ccy[r]), int(t.max_val[r]),
        int(t.batteries[r]), int(t.liquids[r]),
    )  # fmt: skip
    return bkey, terms, limits


def _plan(tariffs: CompiledTariffs, e: int, d: int, g: int) -> _Plan:
    """Built once per (tariffs, epoch, delivery, group) and kept on the compiled tariffs object."""
    with _plans_lock:
        cache = tariffs.cache.setdefault("engine_plans", {})
        found = cache.get((e, d, g))
    if found is not None:
        return found
    ep = tariffs.epochs[e]
    rows = ep.rows[:, d, g]
    flags = ep.flags[:, d, g]
    t = tariffs.table
    keys: dict[BillingKey, int] = {}
    billing_of: list[int] = []
    prices: list[PriceTerms] = []
    limits: list[LimitKey] = []
    for r in rows.tolist():
        bkey, terms, lkey = _row_keys(t, r)
        billing_of.append(keys.setdefault(bkey, len(keys)))
        prices.append(terms)
        limits.append(lkey)
    billing_keys = list(keys)
    dtypes = _output_dtypes(billing_keys, prices)
    divisor = t.divisor[rows].astype(np.int64)
    flag_list = [int(f) for f in flags.tolist()]
    plan = _Plan(
        rows=rows,
        services=ep.services,
        divisor=divisor,
        billing_keys=billing_keys,
        billing_of=billing_of,
        prices=prices,
        flags=flag_list,
        limits=limits,
        dtypes=dtypes,
        block=(e, d, g),
    )
    with _plans_lock:
        cache[(e, d, g)] = plan
    return plan


_INT32_MAX = int(np.iinfo(np.int32).max)


def _output_dtypes(billing_keys: list[BillingKey], prices: list[PriceTerms]) -> tuple:
    """int32 chargeable weights and prices where no admissible parcel can exceed int32 (less memory
    traffic: the outputs are most of the engine's work); int64 otherwise. The bound is exact: the
    largest weight and box the input parser admits, stepped up, then priced."""
    from ..units import MAX_SIDE_MM, MAX_WEIGHT_G

    max_charge = 0
    for k in billing_keys:
        top = -(-MAX_WEIGHT_G // k.step) * k.step
        if k.basis != 0:
            top = max(top, -(-(MAX_SIDE_MM**3) // (k.divisor * k.step)) * k.step)
        max_charge = max(max_charge, top + k.step, k.min_bill)
    max_price = 0
    for pt in prices:
        if pt.published:
            steps = -(-max_charge // pt.rate_step)
            max_price = max(max_price, (pt.fixed_micro + pt.per_micro * steps + pt.minor_div // 2) // pt.minor_div)
    charge_t = np.int32 if max_charge < _INT32_MAX else np.int64
    price_t = np.int32 if max_price < _INT32_MAX else np.int64
    return (np.uint8, np.uint32, charge_t, price_t)


def _units(numer: np.ndarray, unit: int, direction: int) -> np.ndarray:
    """numer / unit rounded to a whole number of units in the row's direction (scalar divisor)."""
    if direction == 0:
        return -((-numer) // unit) if unit != 1 else numer
    if direction == 1:
        return numer // unit
    return (2 * numer + unit) // (2 * unit)


def _charge(
    key: BillingKey, w: np.ndarray, volume: np.ndarray, total: np.ndarray
) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """(chargeable grams, the same in whole rounding steps or None when a minimum breaks the steps)."""
    step, min_bill = key.step, key.min_bill
    units = _units(w, step, key.direction)
    if key.basis != 0:
        vol = _units(volume, key.divisor * step, key.direction)
        if key.threshold_mm < 0:  # volume always counts
            units = np.maximum(units, vol) if key.basis == 1 else vol
        else:
            over = total > key.threshold_mm
            units = np.where(over, np.maximum(units, vol) if key.basis == 1 else vol, units)
    if min_bill > 0 and min_bill % step == 0:
        units = np.maximum(units, min_bill // step)
        min_bill = 0
    charge = units * step if step != 1 else units
    if min_bill > 0:
        return np.maximum(charge, min_bill), None
    return charge, units


class _Chunk(NamedTuple):
    """One chunk's parcel columns, taken once: every service of the block reads the same arrays."""

    n: int
    w: np.ndarray
    d0: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    total: np.ndarray  # sum of the sides
    volume: np.ndarray
    vccy: np.ndarray
    vminor: np.ndarray
    batt: np.ndarray
    liq: np.ndarray
    any_batt: bool
    any_liq: bool
    any_declared: bool


def _chunk(p: ParcelArrays, rows: Union[slice, np.ndarray]) -> _Chunk:
    dims = p.dims_mm[rows]
    d0 = np.ascontiguousarray(dims[:, 0])
    d1 = np.ascontiguousarray(dims[:, 1])
    d2 = np.ascontiguousarray(dims[:, 2])
    total = d0 + d1
    total += d2
    volume = d0 * d1
    volume *= d2
    vccy = p.value_ccy[rows]
    batt = p.battery[rows]
    liq = p.liquid[rows]
    return _Chunk(
        len(d0), p.weight_g[rows], d0, d1, d2, total, volume, vccy, p.value_minor[rows], batt, liq,
        bool(batt.any()), bool(liq.any()), bool((vccy >= 0).any()),
    )  # fmt: skip


class _LimitChecks:
    """Reason bits per limit set. Services sharing limits share their bits: computed once per chunk (31
    services had 7 sets). Each entry is (reason bits, blocked mask, status arrays by `published`)."""

    def __init__(self, c: _Chunk) -> None:
        self.c = c
        self.bit = np.empty(c.n, np.uint32)
        self.ccy: dict[int, np.ndarray] = {}
        self.done: dict[LimitKey, tuple[np.ndarray, np.ndarray, dict]] = {}

    def __call__(self, lim: LimitKey) -> tuple[np.ndarray, np.ndarray, dict]:
        found = self.done.get(lim)
        if found is None:
            r = self._reasons(lim)
            found = self.done[lim] = (r, np.bitwise_and(r, np.uint32(BLOCKING)) != 0, {})
        return found

    def _add(self, condition: np.ndarray, flag: int, r: np.ndarray) -> None:
        np.multiply(condition, np.uint32(flag), out=self.bit)
        r |= self.bit

    def _same_currency(self, val_ccy: int) -> tuple[np.ndarray, np.ndarray]:
        """(declared in the limit's currency, declared in another one), cached per currency."""
        c = self.c
        same = self.ccy.get(val_ccy)
        if same is None:
            same = self.ccy[val_ccy] = c.vccy == val_ccy
        other = self.ccy.get(-2 - val_ccy)
        if other is None:
            other = self.ccy[-2 - val_ccy] = (c.vccy >= 0) & ~same
        return same, other

    def _reasons(self, lim: LimitKey) -> np.ndarray:
        c, add = self.c, self._add
        r = np.zeros(c.n, np.uint32)
        if lim.max_w < BIG:
            add(c.w > lim.max_w, R_WEIGHT_MAX, r)
        if lim.min_w > 0:
            add(c.w < lim.min_w, R_WEIGHT_MIN, r)
        m0, m1, m2 = lim.max_d0, lim.max_d1, lim.max_d2
        if m0 < BIG or m1 < BIG or m2 < BIG:
            dm = c.d0 > m0
            if m1 < BIG:
                dm |= c.d1 > m1
            if m2 < BIG:
                dm |= c.d2 > m2
            add(dm, R_DIMS, r)
        if lim.max_sum < BIG:
            add(c.total >= lim.max_sum if lim.sum_strict else c.total > lim.max_sum, R_SUM, r)
        if lim.max_long < BIG:
            add(c.d0 > lim.max_long, R_LONGEST, r)
        if lim.val_ccy >= 0 and c.any_declared:
            same, other = self._same_currency(lim.val_ccy)
            add(same & (c.vminor > lim.max_val), R_VALUE, r)
            add(other, W_VALUE_UNCHECKED, r)
        if c.any_batt and lim.batteries:
            add(c.batt, (0, R_BATTERY, W_BATTERY_MSDS, W_BATTERY_UNKNOWN)[lim.batteries], r)
        if c.any_liq and lim.liquids in (1, 3):
            add(c.liq, R_LIQUID if lim.liquids == 1 else W_LIQUID_UNKNOWN, r)
        return r


def _started_steps(charge: np.ndarray, units: Optional[np.ndarray], step: int, rate_step: int) -> np.ndarray:
    """Rate steps started by the charged weight (the first step is charged too)."""
    if rate_step == 1:
        return charge
    if units is not None and step % rate_step == 0:  # charge is whole steps: no division
        return units if step == rate_step else units * (step // rate_step)
    return -((-charge) // rate_step)


def _write_prices(pj: np.ndarray, steps: np.ndarray, fixed: int, per: int, div: int, blocked: np.ndarray) -> None:
    """fixed + per × steps, in micro-units, rounded once half-up to the currency's minor unit; -1 where blocked."""
    if fixed % div == 0 and per % div == 0:  # exact in minor units: no rounding happens
        np.multiply(steps, per // div, out=pj)
        pj += fixed // div
    else:  # micro-units overflow int32: compute in int64, store the minor units
        micro = steps * per
        micro += fixed + div // 2
        micro //= div
        pj[...] = micro
    np.copyto(pj, -1, where=blocked)


def _quote_chunk(plan: _Plan, p: ParcelArrays, rows: Union[slice, np.ndarray], lo: int, hi: int, out: tuple) -> None:
    """Fill block columns lo:hi of the (S, P) outputs from input parcels `rows`, service by service."""
    status_out, reasons_out, charge_out, price_out = out
    c = _chunk(p, rows)
    charges = [_charge(k, c.w, c.volume, c.total) for k in plan.billing_keys]
    below_cache: dict[int, np.ndarray] = {}
    steps_cache: dict[tuple[int, int], np.ndarray] = {}
    limits = _LimitChecks(c)
    for j in range(len(plan.rows)):
        flags = plan.flags[j]
        base, blocked, statuses = limits(plan.limits[j])
        r = reasons_out[j, lo:hi]
        if flags:
            np.bitwise_or(base, np.uint32(flags), out=r)
        else:
            r[...] = base
        b = plan.billing_of[j]
        charge, units = charges[b]
        charge_out[j, lo:hi] = charge
        if plan.billing_keys[b].basis == 2:  # the literal volumetric reading can bill below the actual weight
            below = below_cache.get(b)
            if below is None:
                below = below_cache[b] = (charge < c.w).astype(np.uint32) * np.uint32(W_BILLED_BELOW_ACTUAL)
            r |= below
        terms = plan.prices[j]
        s = status_out[j, lo:hi]
        pj = price_out[j, lo:hi]
        if flags & BLOCKING:
            s.fill(STATUS_INELIGIBLE)
            pj.fill(-1)
            continue
        st = statuses.get(terms.published)
        if st is None:  # ok / ineligible, or unpriced / ineligible
            ok = STATUS_OK if terms.published else STATUS_UNPRICED
            st = statuses[terms.published] = np.where(blocked, STATUS_INELIGIBLE, ok).astype(np.uint8)
        s[...] = st
        if not terms.published:
            pj.fill(-1)
            continue
        steps = steps_cache.get((b, terms.rate_step))
        if steps is None:
            steps = _started_steps(charge, units, plan.billing_keys[b].step, terms.rate_step)
            steps_cache[(b, terms.rate_step)] = steps
        _write_prices(pj, steps, terms.fixed_micro, terms.per_micro, terms.minor_div, blocked)


SMALL = 4  # blocks of at most this many parcels are quoted in plain Python (one-parcel latency)

# The one-parcel path. Everything the tariffs alone decide is settled once per plan: `_scalar_source` writes
# one straight-line Python function with the rules' numbers in it as constants, each billing rule and limit
# set computed once into a local (checks a limit set does not have are not written at all; statuses no limit
# can block are constants), the services reduced to the few distinct cases they fall in (31 services: 9 rules,
# 7 limit sets, 12 reason cases, 3 volumetric divisors) and the per-service answers built as list displays of
# those locals. Like `dataclasses` and `namedtuple` do, the source is compiled (on the plan's first one-parcel
# use: `_Plan.scalar`; `_Plan.scalar_source()` shows it).
# Measured (CPU, bench_latency's 2000 parcels on the 31-service day; each step interleaved with the one before):
#   - per-service comprehensions over generic rule/limit functions (before): quote_one 40 µs, of which 29 in
#     the arithmetic;
#   - per-rule and per-limit-set closures, distinct cases, itemgetter gathers: 28 µs (each comprehension
#     costs ~0.4 µs on Python 3.11, each call ~0.15 µs: still 9 + 7 calls and 4 comprehensions);
#   - the generated function: ~10 µs; with the block's plan found through one list index (`_locate`: no
#     lock, no cache keys; -1 µs) and the answer tuple made by `tuple.__new__` (-0.5 µs): ~6-8 µs, of which
#     ~3 µs is building the five 31-item answer lists and ~0.7 µs finding the block;
#   - limit sets that differ only in battery/liquid policy sharing their checks, prices under one status
#     test per case: the 27-service blocks of the 2026-07-24 epoch (parcels of 2026-11-30) 6.6 -> 5.3 µs for
#     the function alone (the 31-service day: unchanged).
# The first one-parcel quote of a block compiles its function once: ~1 ms, the 31-service one ~2.5 ms; blocks
# with the same rules share the code (`_compiled_sources`): all 84 plans of the committed tariffs, 59 ms.


def _units_py(numer: int, unit: int, direction: int) -> int:
    """numer / unit in whole units, rounded the row's way (0 up, 1 down, 2 half-up): `_units`' scalar twin."""
    if direction == 0:
        return -((-numer) // unit)
    if direction == 1:
        return numer // unit
    return (2 * numer + unit) // (2 * unit)


def _charge_py(key: BillingKey, w: int, volume: int, total: int) -> int:
    """Chargeable grams under any billing rule: the scalar twin of `_charge` (its first answer). The
    generated code calls it for rules it has no inline form for (rounding down or to nearest, a minimum)."""
    basis, threshold_mm, divisor, step, direction, min_bill = key
    units = _units_py(w, step, direction)
    if basis != 0 and (threshold_mm < 0 or total > threshold_mm):
        vol = _units_py(volume, divisor * step, direction)
        units = max(units, vol) if basis == 1 else vol
    if min_bill > 0 and min_bill % step == 0:
        units = max(units, min_bill // step)
        min_bill = 0
    return max(units * step, min_bill)


def _charge_lines(b: int, key: BillingKey, weight_units: dict[int, str]) -> list[str]:
    """Source setting `c{b}`, the chargeable grams of billing rule `b` (the scalar twin of `_charge`)."""
    basis, threshold, divisor, step, direction, min_bill = key
    if direction != 0 or min_bill != 0:
        return [f"c{b} = _charge_py(KEY{b}, w, volume, total)"]
    lines = []
    if step == 1:  # whole grams: the weight itself
        weight_units[1] = "w"
    if step not in weight_units:  # actual weight in whole steps, rounded up: shared by rules with this step
        weight_units[step] = f"u{step}"
        lines += [f"u{step} = -(-w // {step})", f"a{step} = u{step} * {step}"]
    u = weight_units[step]
    a = "w" if step == 1 else f"a{step}"  # the actual weight stepped, in grams
    if basis == 0:
        return lines + [f"c{b} = {a}"]
    vol = f"-(-volume // {divisor * step})"
    if basis == 1:  # the greater of actual and volumetric
        body = [f"v = {vol}", f"c{b} = v * {step} if v > {u} else {a}"]
    else:  # basis 2: the volumetric weight alone
        body = [f"c{b} = {vol} * {step}"]
    if threshold < 0:  # volume always counts
        return lines + body
    return lines + [f"if total > {threshold}:", *("    " + x for x in body), "else:", f"    c{b} = {a}"]


def _check_lines(name: str, lim: LimitKey) -> list[str]:
    """Source adding to `name` the size, weight and value bits of a limit set: the checks of `_quote_chunk`,
    only those the set has (an unpublished limit is BIG, a missing minimum 0: the vector path skips them too).
    Every bit but W_VALUE_UNCHECKED blocks."""
    max_w, min_w, m0, m1, m2, max_sum, strict, max_long, val_ccy, max_val, _, _ = lim
    out = []
    if max_w < BIG:
        out += [f"if w > {max_w}:", f"    {name} |= {R_WEIGHT_MAX}"]
    if min_w > 0:
        out += [f"if w < {min_w}:", f"    {name} |= {R_WEIGHT_MIN}"]
    sides = " or ".join(f"{d} > {m}" for d, m in (("d0", m0), ("d1", m1), ("d2", m2)) if m < BIG)
    if sides:
        out += [f"if {sides}:", f"    {name} |= {R_DIMS}"]
    if max_sum < BIG:
        out += [f"if total {'>=' if strict else '>'} {max_sum}:", f"    {name} |= {R_SUM}"]
    if max_long < BIG:
        out += [f"if d0 > {max_long}:", f"    {name} |= {R_LONGEST}"]
    if val_ccy >= 0:  # declared in the limit's currency: compared; in another: a warning
        out += [
            f"if vccy == {val_ccy}:",
            f"    if vminor > {max_val}:",
            f"        {name} |= {R_VALUE}",
            "elif vccy >= 0:",
            f"    {name} |= {W_VALUE_UNCHECKED}",
        ]
    return out


def _goods_bits(lim: LimitKey) -> tuple[int, int, int, int]:
    """A limit set's battery and liquid bits, by 2 x battery + liquid."""
    batt = (0, R_BATTERY, W_BATTERY_MSDS, W_BATTERY_UNKNOWN)[lim.batteries]
    liq = R_LIQUID if lim.liquids == 1 else W_LIQUID_UNKNOWN if lim.liquids == 3 else 0
    return (0, liq, batt, batt | liq)


def _limit_lines(limits: list[LimitKey]) -> tuple[list[str], dict[LimitKey, int], list[bool]]:
    """Source setting `l{i}`, the reason bits of each distinct limit set i; the sets' ids; and per set
    whether it can set a blocking bit (if not, its services' status is known without looking). Sets that
    differ only in their battery and liquid policies share one pass of checks (`m{i}`)."""
    ids: dict[LimitKey, int] = {}
    for lim in limits:
        ids.setdefault(lim, len(ids))
    checks: dict[LimitKey, list[LimitKey]] = {}  # the sets by their checks (policies left out)
    for lim in ids:
        checks.setdefault(lim._replace(batteries=0, liquids=0), []).append(lim)
    out: list[str] = []
    can_block = [False] * len(ids)
    for n, (shape, sets) in enumerate(checks.items()):
        lines = _check_lines(f"m{n}" if len(sets) > 1 else f"l{ids[sets[0]]}", shape)
        if len(sets) > 1:
            out += [f"m{n} = 0", *lines]
        for lim in sets:
            i, table = ids[lim], _goods_bits(lim)
            can_block[i] = bool(lines) or any(bits & BLOCKING for bits in table)  # each check can block
            goods = f"{table}[bl]" if any(table) else "0"
            if len(sets) > 1:
                out.append(f"l{i} = m{n} | {goods}" if any(table) else f"l{i} = m{n}")
            else:
                out += [f"l{i} = {goods}", *lines]
    return out, ids, can_block


def _scalar_source(
    billing_keys: list[BillingKey],
    billing_of: list[int],
    prices: list[PriceTerms],
    flags: list[int],
    limits: list[LimitKey],
    divisors: list[int],
) -> str:
    """The source of a plan's one-parcel function `quote(p)` (see the note above `_units_py`).

    Long by nature: a code generator, one emitted line per rule, read best beside its output
    (`_Plan.scalar_source()`).

    Per service j: reasons = limit bits | fixed flags | W_BILLED_BELOW_ACTUAL (volumetric-only rule billing
    below the actual weight); status = ineligible if a blocking bit, else ok or unpriced as published;
    price = (fixed + per x started rate steps + div // 2) // div when ok (half-up to the minor unit; a whole
    number of rounding steps divides exactly, so this equals the vector path's `units * (step // rate_step)`).
    Prices are computed under one test per status (`if s == 0:`), each distinct formula once.
    """
    body = [
        "w, d0, d1, d2, vminor, vccy, _, _, battery, liquid = p",
        "total = d0 + d1 + d2",
        "volume = d0 * d1 * d2",
        "bl = 2 * battery + liquid",
    ]
    weight_units: dict[int, str] = {}
    for b, key in enumerate(billing_keys):
        body += _charge_lines(b, key, weight_units)
    lines, limit_ids, can_block = _limit_lines(limits)
    body += lines
    cases: dict[tuple[int, int, int], str] = {}  # (limit set, flags, volumetric-only rule or -1) -> local
    statuses: dict[tuple[str, bool], str] = {}  # (case, published) -> local or constant
    priced: dict[str, dict[str, str]] = {}  # status -> price formula -> local
    reason_of, status_of, price_of = [], [], []
    for j, terms in enumerate(prices):
        b = billing_of[j]
        case = (limit_ids[limits[j]], flags[j], b if billing_keys[b].basis == 2 else -1)
        if case not in cases:
            lid, flag, vb = case
            if not flag and vb < 0:  # the limit set's bits as they are
                cases[case] = f"l{lid}"
            else:
                k = cases[case] = f"k{len(cases)}"
                base = f"l{lid} | {flag}" if flag else f"l{lid}"
                if vb >= 0:
                    body.append(f"{k} = {base} | {W_BILLED_BELOW_ACTUAL} if c{vb} < w else {base}")
                else:
                    body.append(f"{k} = {base}")
        k = cases[case]
        if (k, terms.published) not in statuses:
            if flags[j] & BLOCKING:
                statuses[(k, terms.published)] = str(STATUS_INELIGIBLE)
            elif not can_block[case[0]]:  # only warnings possible (flags and W_BILLED_BELOW_ACTUAL are)
                statuses[(k, terms.published)] = str(STATUS_OK if terms.published else STATUS_UNPRICED)
            else:
                s = statuses[(k, terms.published)] = f"s{len(statuses)}"
                ok = STATUS_OK if terms.published else STATUS_UNPRICED
                body.append(f"{s} = {STATUS_INELIGIBLE} if {k} & {BLOCKING} else {ok}")
        s = statuses[(k, terms.published)]
        reason_of.append(k)
        status_of.append(s)
        if not terms.published or s == str(STATUS_INELIGIBLE):
            price_of.append("-1")
            continue
        steps = f"c{b}" if terms.rate_step == 1 else f"-(-c{b} // {terms.rate_step})"
        price = f"({terms.fixed_micro + terms.minor_div // 2} + {terms.per_micro} * {steps}) // {terms.minor_div}"
        formulas = priced.setdefault(s, {})
        price_of.append(formulas.setdefault(price, f"p{j}"))
    for s, formulas in priced.items():
        assign = [f"{local} = {price}" for price, local in formulas.items()]
        if s == str(STATUS_OK):
            body += assign
        else:
            body += [f"if {s} == {STATUS_OK}:", *("    " + x for x in assign), "else:"]
            body.append("    " + " = ".join(formulas.values()) + " = -1")
    for dv in sorted({dv for dv in divisors if dv > 0}):
        body.append(f"v{dv} = -(-volume // {dv})")
    volumetric_of = [f"v{dv}" if dv > 0 else "-1" for dv in divisors]

    def listed(items: list[str]) -> str:
        return "[" + ", ".join(items) + "]"

    lists = [status_of, reason_of, [f"c{b}" for b in billing_of], price_of, volumetric_of]
    body.append(f"return _new(ScalarQuotes, (E, D, G, SERVICES, ROWS, {', '.join(map(listed, lists))}))")
    return "def quote(p):\n" + "".join(f"    {line}\n" for line in body)


def _compile_scalar(
    source: str, billing_keys: list[BillingKey], block: tuple[int, int, int], services: list[int], rows: list[int]
) -> _OneParcelFn:
    """The function `source` defines. Its names: the block (E, D, G), its SERVICES and ROWS (shared by every
    answer: read-only), `_charge_py` and the rules it calls it with (KEY0...), and `_new`, the tuple
    constructor (`ScalarQuotes(...)` goes through a Python-level `__new__`: 0.5 µs more per answer)."""
    namespace: dict = {
        "_charge_py": _charge_py,
        **{f"KEY{b}": k for b, k in enumerate(billing_keys)},
        "_new": tuple.__new__,
        "ScalarQuotes": ScalarQuotes,
        "E": block[0],
        "D": block[1],
        "G": block[2],
        "SERVICES": services,
        "ROWS": rows,
    }
    code = _compiled_sources.get(source)
    if code is None:
        if len(_compiled_sources) >= 4096:  # tariff sets reloaded many times over: start again
            _compiled_sources.clear()
        code = _compiled_sources[source] = compile(source, "<ratecalc.pricing.engine one-parcel plan>", "exec")
    exec(code, namespace)  # our own source: numbers only
    return namespace["quote"]


# Compiled sources by text: blocks with the same rules share the code (the committed tariffs' 84 plans have
# 37 distinct sources; compiling one costs ~1 ms, the 31-service one ~2.5 ms).
_compiled_sources: dict = {}


class ParcelScalars(NamedTuple):
    """One parcel in the engine's integer units (the scalar twin of a `ParcelArrays` row)."""

    weight_g: int
    d0: int  # sides in mm, longest first
    d1: int
    d2: int
    value_minor: int  # -1 = not declared
    value_ccy: int  # currency index, -1 = not declared
    day: int  # days since 1970-01-01
    delivery: int  # index into DELIVERY_TYPES
    battery: bool
    liquid: bool


class ScalarQuotes(NamedTuple):
    """One parcel against every service of its block, as plain lists (what `Block` holds for one row)."""

    epoch: int
    delivery: int
    group: int
    services: list[int]  # global service indices
    rows: list[int]  # row indices
    status: list[int]
    reasons: list[int]
    chargeable_g: list[int]
    price_minor: list[int]  # -1 = no price
    volumetric_g: list[int]  # -1 = the service ignores volume


def _quote_scalar(plan: _Plan, p: ParcelScalars) -> tuple[list[int], list[int], list[int], list[int]]:
    """(status, reasons, chargeable, price) of one parcel per service of the plan, in plain Python.

    The scalar twin of `_quote_chunk` (same bits, same integers): numpy's per-call cost would dominate
    for a few parcels (31 services x 15 calls). It runs the plan's generated function (`_Plan.scalar`);
    `tests/test_columnar_engine.py` (committed tariffs) and `tests/test_scalar_engine.py` (random rules,
    parcels on their edges) hold it equal to the vector path.
    """
    q = plan.scalar()(p)
    return q.status, q.reasons, q.chargeable_g, q.price_minor


def _scalars_at(p: ParcelArrays, pos: int) -> ParcelScalars:
    d0, d1, d2 = (int(x) for x in p.dims_mm[pos])
    return ParcelScalars(
        int(p.weight_g[pos]),
        d0,
        d1,
        d2,
        int(p.value_minor[pos]),
        int(p.value_ccy[pos]),
        int(p.day[pos]),
        int(p.delivery[pos]),
        bool(p.battery[pos]),
        bool(p.liquid[pos]),
    )


def _quote_small(plan: _Plan, p: ParcelArrays, positions: np.ndarray, out: tuple) -> None:
    """A few parcels in plain Python, written into the block's outputs."""
    status_out, reasons_out, charge_out, price_out = out
    for col, pos in enumerate(positions.tolist()):
        st, rs, ch, pr = _quote_scalar(plan, _scalars_at(p, pos))
        status_out[:, col] = st
        reasons_out[:, col] = rs
        charge_out[:, col] = ch
        price_out[:, col] = pr


def quote_one(tariffs: CompiledTariffs, p: ParcelScalars) -> ScalarQuotes:
    """One parcel against every service in force on its date, without numpy: the one-quote latency path.

    Same block choice as `iter_blocks` (`_locate`, which `_block_index` also uses) and the same arithmetic
    (the plan's generated function, which `_quote_scalar` runs); the answer is lists, because a single quote
    is read back as Python values anyway.
    """
    e, g, plans = _locate(tariffs, p.day, p.value_minor, p.value_ccy, p.weight_g)
    d = p.delivery
    plan = plans[d][g]
    if plan is None:  # first parcel of this block (two threads here store the same plan)
        plan = plans[d][g] = _plan(tariffs, e, d, g)
    return plan.scalar()(p)


_executor: Optional[ThreadPoolExecutor] = None


def _pool(threads: int) -> ThreadPoolExecutor:
    from concurrent.futures import ThreadPoolExecutor

    global _executor
    if _executor is None or _executor._max_workers < threads:
        _executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ratecalc-engine")
    return _executor


def default_threads() -> int:
    """1: measured on the 2-core development machine, splitting a block's chunks over threads was slower
    (the per-chunk numpy calls are short, so the threads mostly trade the GIL). Pass `threads=` to try."""
    return 1


_OUT_DTYPES = (np.uint8, np.uint32, np.int64, np.int64)


class _OutputPool:
    """Output buffers reused across the blocks of one `iter_blocks` run, when provably free.

    Why: fresh pages cost more than the arithmetic (first touch of 650 MB: ~0.3 s of a 31 M-cell run
    here; refilling touched memory: 0.07 s). A buffer set is reused only when nothing but this pool
    references its arrays: a Block (or any view of it) still held by the caller keeps its set busy,
    so results handed out are never overwritten.
    """

    def __init__(self, keep: int = 3):
        self.sets: list[list[np.ndarray]] = []
        self.keep = keep

    @staticmethod
    def _free(arrs: list[np.ndarray]) -> bool:
        return all(sys.getrefcount(a) <= 3 for a in arrs)  # the list slot, the loop variable, the argument

    def get(self, S: int, P: int, dtypes: tuple = _OUT_DTYPES) -> tuple[np.ndarray, ...]:
        for arrs in self.sets:
            if (
                arrs[0].shape[0] >= S
                and arrs[0].shape[1] >= P
                and tuple(a.dtype for a in arrs) == tuple(np.dtype(d) for d in dtypes)
                and self._free(arrs)
            ):
                return tuple(a[:S, :P] for a in arrs)
        arrs = [np.empty((S, P), dt) for dt in dtypes]
        if len(self.sets) < self.keep:
            self.sets.append(arrs)
        return tuple(arrs)


def _quote_block(
    tariffs: CompiledTariffs,
    parcels: ParcelArrays,
    positions: np.ndarray,
    e: int,
    d: int,
    g: int,
    threads: Optional[int] = None,
    contiguous: bool = False,
    pool: Optional[_OutputPool] = None,
) -> Block:
    """Quote the input parcels at `positions` (all in block e/d/g); `contiguous`: positions is a range."""
    plan = _plan(tariffs, e, d, g)
    P, S = len(positions), len(plan.rows)
    # service-major, so that each service writes contiguous runs; the Block sees (P, S) views
    out = pool.get(S, P, plan.dtypes) if pool is not None else tuple(np.empty((S, P), dt) for dt in plan.dtypes)
    base = int(positions[0]) if P else 0

    def rows_of(lo: int, hi: int) -> Union[slice, np.ndarray]:
        return slice(base + lo, base + hi) if contiguous else positions[lo:hi]

    if S and P <= SMALL:
        _quote_small(plan, parcels, np.asarray(positions), out)
    elif S:
        spans = [(lo, min(lo + CHUNK, P)) for lo in range(0, P, CHUNK)]
        n_threads = default_threads() if threads is None else max(1, threads)
        if n_threads > 1 and P >= PARALLEL_MIN:
            list(_pool(n_threads).map(lambda s: _quote_chunk(plan, parcels, rows_of(*s), s[0], s[1], out), spans))
        else:
            for lo, hi in spans:
                _quote_chunk(plan, parcels, rows_of(lo, hi), lo, hi, out)
    dims = parcels.dims_mm[rows_of(0, P)]
    return Block(
        epoch=e,
        delivery=d,
        group=g,
        parcels=positions,
        services=plan.services,
        rows=plan.rows,
        status=out[0].T,
        reasons=out[1].T,
        chargeable_g=out[2].T,
        price_minor=out[3].T,
        volume_mm3=dims[:, 0] * dims[:, 1] * dims[:, 2],
        divisor=plan.divisor,
    )


__all__ = [
    "BIG",
    "Block",
    "ParcelArrays",
    "REASON_CODES",
    "STATUS_NAMES",
    "assign_groups",
    "block_keys",
    "iter_blocks",
]
