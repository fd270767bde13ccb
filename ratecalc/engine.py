"""The pricing engine: integer numpy arithmetic over (parcels x services in force).

Parcels are split into *blocks* that share an epoch, a delivery type and a shipment group; inside a block
every service has exactly one row, so each row parameter is a vector over services broadcast against
vectors over parcels: no per-cell gathers, no Python loop over parcels. One parcel is a block of one.

Units: grams, millimetres, mm^3, money in micro-units (10^-6) until the final rounding to the currency's
minor unit, which is **half-up** (a price of 10.505 CNY is 10.51 CNY). Weight rounding follows each
tariff's step and direction; the volumetric weight of a parcel is (L x W x H mm^3) / divisor grams, kept as
an exact fraction until it is stepped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .compile import (
    BIG,
    CURRENCIES,
    FLAG_NO_GROUP,
    FLAG_NO_ROW,
    MICRO,
    CompiledTariffs,
)
from .units import CURRENCY_EXPONENT

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
BLOCKING = (1 << 16) - 1

STATUS_OK, STATUS_UNPRICED, STATUS_INELIGIBLE = 0, 1, 2
STATUS_NAMES = ("ok", "unpriced", "ineligible")

_MINOR_DIV = np.array([MICRO // 10 ** CURRENCY_EXPONENT[c] for c in CURRENCIES], dtype=np.int64)


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

    def take(self, idx: np.ndarray) -> "ParcelArrays":
        return ParcelArrays(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


@dataclass
class Block:
    """Quotes for a set of parcels against every service in force for them."""

    epoch: int
    delivery: int
    group: int  # index into the epoch's groups; len(groups) = none
    parcels: np.ndarray  # (P,) positions in the input
    services: np.ndarray  # (S,) global service indices
    rows: np.ndarray  # (S,) row indices
    status: np.ndarray  # (P, S) uint8
    reasons: np.ndarray  # (P, S) uint32
    volumetric_g: np.ndarray  # (P, S) int64; -1 = the service ignores volume
    chargeable_g: np.ndarray  # (P, S) int64
    price_minor: np.ndarray  # (P, S) int64; -1 = no price


def _ceil_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return -((-a) // b)


def _step(numer: np.ndarray, denom: np.ndarray, step: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Round numer/denom grams to a multiple of `step` in the row's direction, exactly."""
    unit = denom * step
    out = _ceil_div(numer, unit)
    if (direction != 0).any():
        out = np.where(direction == 1, numer // unit, out)
        out = np.where(direction == 2, (2 * numer + unit) // (2 * unit), out)
    return out * step


def assign_groups(tariffs: CompiledTariffs, parcels: ParcelArrays, epoch_of: np.ndarray) -> np.ndarray:
    """Each parcel's shipment group index within its epoch (len(groups) when none applies)."""
    group = np.zeros(len(parcels), dtype=np.int64)
    for e in np.unique(epoch_of):
        ep = tariffs.epochs[e]
        sel = np.nonzero(epoch_of == e)[0]
        G = len(ep.groups)
        if G == 0:
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


def iter_blocks(tariffs: CompiledTariffs, parcels: ParcelArrays) -> Iterator[Block]:
    """Quote every parcel against every service in force on its date, block by block."""
    if len(parcels) == 0:
        return
    epoch_of = tariffs.epoch_of(parcels.day)
    group = assign_groups(tariffs, parcels, epoch_of)
    n_groups = max(len(e.groups) for e in tariffs.epochs) + 1
    key = (epoch_of * 2 + parcels.delivery) * n_groups + group
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    cuts = np.flatnonzero(np.diff(sorted_key)) + 1
    for idx in np.split(order, cuts):
        k = int(key[idx[0]])
        e, rest = divmod(k, 2 * n_groups)
        d, g = divmod(rest, n_groups)
        yield _quote_block(tariffs, parcels.take(idx), idx, e, d, g)


def _quote_block(
    tariffs: CompiledTariffs, p: ParcelArrays, positions: np.ndarray, e: int, d: int, g: int
) -> Block:
    ep = tariffs.epochs[e]
    rows = ep.rows[:, d, g]
    flags = ep.flags[:, d, g]
    t = tariffs.table

    def col(a: np.ndarray) -> np.ndarray:
        return a[rows][None, :]

    w = p.weight_g[:, None]
    d0, d1, d2 = (p.dims_mm[:, i][:, None] for i in range(3))
    total = d0 + d1 + d2
    volume = d0 * d1 * d2

    basis = col(t.basis)
    divisor = col(t.divisor)
    step = col(t.round_step)
    direction = col(t.round_dir)
    has_volume = divisor > 0
    safe_div = np.where(has_volume, divisor, 1)
    over = total > col(t.threshold_mm)

    actual_step = _step(w, np.ones_like(step), step, direction)
    vol_step = _step(volume, safe_div, step, direction)
    charge = np.where(
        basis == 0,
        actual_step,
        np.where(
            over,
            np.where(basis == 1, np.maximum(actual_step, vol_step), vol_step),
            actual_step,
        ),
    )
    charge = np.maximum(charge, col(t.min_bill))
    volumetric = np.where(has_volume, _ceil_div(volume, safe_div), -1)

    u32 = np.uint32
    reasons = np.broadcast_to(flags[None, :].astype(u32), charge.shape).copy()
    reasons |= (w > col(t.max_w)).astype(u32) * u32(R_WEIGHT_MAX)
    reasons |= (w < col(t.min_w)).astype(u32) * u32(R_WEIGHT_MIN)
    reasons |= ((d0 > col(t.max_d0)) | (d1 > col(t.max_d1)) | (d2 > col(t.max_d2))).astype(u32) * u32(
        R_DIMS
    )
    max_sum = col(t.max_sum)
    sum_bad = np.where(col(t.sum_strict), total >= max_sum, total > max_sum)
    reasons |= sum_bad.astype(u32) * u32(R_SUM)
    reasons |= (d0 > col(t.max_long)).astype(u32) * u32(R_LONGEST)
    val_ccy = col(t.val_ccy)
    declared = (p.value_ccy >= 0)[:, None]
    limited = val_ccy >= 0
    same_ccy = p.value_ccy[:, None] == val_ccy
    reasons |= (declared & same_ccy & (p.value_minor[:, None] > col(t.max_val))).astype(u32) * u32(R_VALUE)
    reasons |= (declared & limited & ~same_ccy).astype(u32) * u32(W_VALUE_UNCHECKED)
    batt = p.battery[:, None]
    bpol = col(t.batteries)
    reasons |= (batt & (bpol == 1)).astype(u32) * u32(R_BATTERY)
    reasons |= (batt & (bpol == 2)).astype(u32) * u32(W_BATTERY_MSDS)
    reasons |= (batt & (bpol == 3)).astype(u32) * u32(W_BATTERY_UNKNOWN)
    liq = p.liquid[:, None]
    lpol = col(t.liquids)
    reasons |= (liq & (lpol == 1)).astype(u32) * u32(R_LIQUID)
    reasons |= (liq & (lpol == 3)).astype(u32) * u32(W_LIQUID_UNKNOWN)

    published = col(t.published)
    blocked = (reasons & u32(BLOCKING)) != 0
    status = np.where(blocked, STATUS_INELIGIBLE, np.where(published, STATUS_OK, STATUS_UNPRICED))

    steps = _ceil_div(charge, col(t.rate_step))
    micro = col(t.fixed_micro) + col(t.per_micro) * steps
    div = _MINOR_DIV[t.currency[rows]][None, :]
    minor = (micro + div // 2) // div  # half-up to the currency's minor unit
    price = np.where(status == STATUS_OK, minor, -1)

    return Block(
        epoch=e,
        delivery=d,
        group=g,
        parcels=positions,
        services=ep.services,
        rows=rows,
        status=status.astype(np.uint8),
        reasons=reasons,
        volumetric_g=np.broadcast_to(volumetric, charge.shape).astype(np.int64),
        chargeable_g=charge.astype(np.int64),
        price_minor=price.astype(np.int64),
    )


__all__ = [
    "BIG",
    "Block",
    "ParcelArrays",
    "iter_blocks",
    "assign_groups",
    "STATUS_NAMES",
]
