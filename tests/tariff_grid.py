"""A parcel grid at every edge of a compiled tariff set: every date boundary, every group band, every limit.

Why derived from the compiled tables rather than written by hand: the grid must follow the data. Every
number that decides a quote (a group's price and weight band, a row's weight, size and value limits, the
size threshold of volumetric billing, the weight step) gets a parcel exactly on it and one just past it,
on the last day before and the first day of every period. Two tariff sets that answer this grid alike
cannot differ at any edge the first one has.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Iterator, NamedTuple

import numpy as np

from ratecalc import Parcel
from ratecalc.tariffdata.compile import BIG, CURRENCIES, EPOCH_DAY0, CompiledTariffs, Epoch
from ratecalc.units import CURRENCY_EXPONENT, MAX_SIDE_MM, MAX_WEIGHT_G, Money

MIDDLE_DIMS = (200, 150, 100)  # 20 x 15 x 10 cm: inside every published size limit


class Case(NamedTuple):
    """One parcel of the grid: its order date, weight, sides, declared value and flags."""

    day: dt.date
    weight_g: int
    dims_mm: tuple[int, int, int]
    value: tuple[int, str] | None  # minor units, currency
    delivery: str = "pickup_point"
    battery: bool = False
    liquid: bool = False

    def parcel(self) -> Parcel:
        money = None
        if self.value is not None:
            minor, currency = self.value
            money = Money(Decimal(minor).scaleb(-CURRENCY_EXPONENT[currency]), currency)
        return Parcel(self.weight_g, self.dims_mm, self.day, money, self.delivery, self.battery, self.liquid)


def grid_dates(compiled: CompiledTariffs) -> list[dt.date]:
    """The last day before and the first day of every period: each effective_until and effective_from."""
    days = set()
    for b in compiled.boundaries.tolist():
        days.update((b - 1, b))
    return [EPOCH_DAY0 + dt.timedelta(days=d) for d in sorted(days)]


def _weight(g: int) -> int:
    return min(max(g, 1), MAX_WEIGHT_G)


def _side(mm: int) -> int:
    return min(max(mm, 1), MAX_SIDE_MM)


def _edges(limit: int) -> tuple[int, ...]:
    """A limit and the first unit past it (the no-limit sentinel gives nothing)."""
    return () if limit >= BIG or limit < 0 else (limit, limit + 1)


def _row_cases(compiled: CompiledTariffs, rows: np.ndarray, base: Case) -> Iterator[Case]:
    """Parcels on and just past every limit of these rows; the other inputs stay those of `base`."""
    t = compiled.table
    for r in sorted(set(rows.tolist())):
        for w in (*_edges(int(t.min_w[r]) - 1), *_edges(int(t.max_w[r])), *_edges(int(t.min_bill[r]))):
            yield base._replace(weight_g=_weight(w))
        step = int(t.round_step[r])
        for w in (step - 1, step, step + 1, 2 * step + 1):
            yield base._replace(weight_g=_weight(w))
        d0, d1, d2 = (int(t.max_d0[r]), int(t.max_d1[r]), int(t.max_d2[r]))
        for longest in (*_edges(int(t.max_long[r])), *_edges(d0)):
            yield base._replace(dims_mm=(_side(longest), 100, 100))
        for second in _edges(d1):
            yield base._replace(dims_mm=(_side(max(second, d0 if d0 < BIG else second)), _side(second), 50))
        for third in _edges(d2):
            yield base._replace(dims_mm=(_side(third), _side(third), _side(third)))
        for total in (*_edges(int(t.max_sum[r])), *_edges(int(t.threshold_mm[r]))):
            side = _side(total // 3)
            yield base._replace(dims_mm=(side, side, _side(total - 2 * side)))
        if int(t.val_ccy[r]) >= 0:
            currency = CURRENCIES[int(t.val_ccy[r])]
            if base.value is None or base.value[1] == currency:
                for minor in _edges(int(t.max_val[r])):
                    yield base._replace(value=(minor, currency))
        divisor = int(t.divisor[r])
        if divisor:  # a box whose volumetric weight is well above its actual weight
            yield base._replace(dims_mm=(500, 400, 300))


def _flag_cases(base: Case) -> Iterator[Case]:
    yield base
    yield base._replace(delivery="courier")
    yield base._replace(battery=True)
    yield base._replace(liquid=True)
    yield base._replace(battery=True, liquid=True)


def _group_cases(compiled: CompiledTariffs, ep: Epoch, day: dt.date) -> Iterator[Case]:
    for gi, g in enumerate(ep.groups):
        currency = g.price_currency
        lo_w, hi_w = max(g.weight_min_g, 1), min(g.weight_max_g, MAX_WEIGHT_G)
        lo_p, hi_p = max(g.price_min_minor, 0), min(g.price_max_minor, 10**11)
        base = Case(day, (lo_w + hi_w) // 2, MIDDLE_DIMS, ((lo_p + hi_p) // 2, currency))
        yield from _flag_cases(base)
        for w in (lo_w - 1, lo_w, hi_w, hi_w + 1):
            yield base._replace(weight_g=_weight(w))
        for p in (lo_p - 1, lo_p, hi_p, hi_p + 1):
            yield base._replace(value=(max(p, 0), currency))
        yield from _row_cases(compiled, ep.rows[:, :, gi].ravel(), base)


def grid(compiled: CompiledTariffs) -> list[Case]:
    """Every case of the grid, without repeats, in a stable order."""
    cases: dict[Case, None] = {}
    for day in grid_dates(compiled):
        ep = compiled.epochs[int(compiled.epoch_of(np.array([(day - EPOCH_DAY0).days]))[0])]
        if ep.groups:
            for case in _group_cases(compiled, ep, day):
                cases.setdefault(case)
        else:  # before the group model: no declared price needed; USD-era limits per row
            base = Case(day, 1000, MIDDLE_DIMS, None)
            for case in (*_flag_cases(base), *_row_cases(compiled, ep.rows.ravel(), base)):
                cases.setdefault(case)
    return list(cases)
