"""The lowest sale price reaching a target margin or profit, on a stretch of prices where no cost line
jumps: the one solver behind `economics.reverse_price` (one SKU, every service) and the catalogue
(`files.catalogue`, many SKUs at once).

On such a stretch [lo, hi] (kopecks) the carrier price, the commission rate and the Ozon fee rule are
fixed, so the profit at a price p is

    profit(p) = p − fixed − commission(p) − fee(p) − Σ other %(p)

with each p-dependent line rounded half-up to the kopeck by the rule functions every surface uses
(`commissions.charge_minor`, `fees.fee_minor`, `rounding.pct_of_minor`). The target holds where
    g(p) = profit(p) − target profit − margin × p  >=  0.
Without rounding g is a line, s·p − K; each of the k rounded lines moves it by less than half a kopeck,
so g(p) lies within k/2 of that line. Hence:
- a price whose line value is at most −k/2 never meets the target, one whose line value is at least k/2
  always does: only the prices in between need the exact test;
- every rate is a fraction, so the rounding repeats with a period P (the least common multiple of the
  rates' denominators, in kopecks) and g(p + P) = g(p) + D with D the same everywhere: with D <= 0 the
  lowest passing price, if any, lies within P of the stretch's start; with D > 0 each residue modulo P
  passes from a computable multiple on, so the lowest price is the least of P candidates.

The work per entry is therefore bounded by min(stretch, k/|s|, P) exact evaluations, whatever the target
(a margin of 99.9999 % is refused by the line test at once), and every answer is checked with the exact
integer rules: it meets the target and no lower price on the stretch does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from .commissions import charge_minor
from .economics_schema import FeeRule
from .fees import fee_minor
from .rounding import pct_of_minor, ratio

NONE = -1  # no price on the stretch reaches the target
_CELLS = 1 << 20  # prices evaluated per vectorised step (bounds the memory of one step: ~100 MB of int64)
_HUGE_PRICE = 10**12  # far above any price: where a percent fee sits at its maximum


@dataclass(frozen=True)
class Terms:
    """Per entry (a service for a SKU, on one stretch of prices), how its profit moves with the price."""

    lo: np.ndarray  # first and last kopeck of the stretch
    hi: np.ndarray
    fixed: np.ndarray  # kopecks that do not move with the price: purchase, packaging, first mile, carrier, returns
    rate: np.ndarray  # commission in hundredths of a percent, one rate on the whole stretch
    fee: np.ndarray  # index into fee_rules
    fee_rules: Sequence[FeeRule]
    of_price: Sequence[tuple[int, int]]  # the other percentages of the price (acquiring, FX loss, ads): num/den %
    margin_num: np.ndarray  # target: (profit − profit_target) × 100 × margin_den >= margin_num × price
    margin_den: np.ndarray
    profit_target: np.ndarray  # kopecks


def terms(
    lo, hi, fixed, rate, fee, fee_rules: Sequence[FeeRule], of_price, margin_num, margin_den, profit_target
) -> Terms:
    """`Terms` from scalars or arrays, broadcast to one length (int64); `of_price` as (num, den) pairs."""
    columns = (lo, hi, fixed, rate, fee, margin_num, margin_den, profit_target)
    lo, hi, fixed, rate, fee, m_num, m_den, target = (
        np.array(x, np.int64) for x in np.broadcast_arrays(*(np.atleast_1d(np.asarray(c, np.int64)) for c in columns))
    )
    pcts = tuple((int(n), int(d)) for n, d in of_price if n)
    return Terms(lo, hi, fixed, rate, fee, fee_rules, pcts, m_num, m_den, target)


def profit(t: Terms, i: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Profit in kopecks of entries `i` at prices `p`: the price less every cost line, each rounded once."""
    out = p - t.fixed[i] - np.asarray(charge_minor(p, t.rate[i]), np.int64)
    for k, rule in enumerate(t.fee_rules):
        m = t.fee[i] == k
        if m.any():
            out[m] -= np.asarray(fee_minor(rule, p[m]), np.int64)
    for num, den in t.of_price:
        out -= pct_of_minor(p, num, den)
    return out


def gap(t: Terms, i: np.ndarray, p: np.ndarray) -> np.ndarray:
    """g(p) × 100 × margin_den, an exact integer: the target is met where it is >= 0."""
    return (profit(t, i, p) - t.profit_target[i]) * 100 * t.margin_den[i] - t.margin_num[i] * p


def lowest(t: Terms) -> np.ndarray:
    """Per entry, the lowest kopeck price in [lo, hi] meeting its target, or NONE."""
    piece = _pieces(t)
    found = _solve_pieces(t, piece)
    best = np.full(len(t.lo), NONE, np.int64)
    hit = found != NONE
    if hit.any():  # pieces of one entry are disjoint and ascending: its lowest hit is its answer
        order = np.lexsort((found[hit], piece.entry[hit]))
        e, f = piece.entry[hit][order], found[hit][order]
        first = np.r_[True, e[1:] != e[:-1]]
        best[e[first]] = f[first]
    return best


# --------------------------------------------------------------------------- the fee's own regimes


@dataclass
class _Pieces:
    """Sub-stretches on which the fee is one formula: a constant (`fee_const`) or price × `fee_pct`."""

    entry: np.ndarray
    a: np.ndarray
    b: np.ndarray
    fee_const: np.ndarray  # kopecks, 0 where the fee is linear
    linear: np.ndarray  # bool: the fee is price × percent, rounded (one more rounded line)


def _pieces(t: Terms) -> _Pieces:
    """Cut each stretch where its fee leaves its minimum and where it reaches its maximum (exact kopecks)."""
    n = len(t.lo)
    idx = np.arange(n)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for k, rule in enumerate(t.fee_rules):
        sel = idx[t.fee == k]
        if not len(sel):
            continue
        lo, hi = t.lo[sel], t.hi[sel]
        floor_fee = int(fee_minor(rule, 0))
        if rule.kind != "percent_of_price" or ratio(rule.percent_band()[0])[0] == 0:
            parts.append((sel, lo, hi, np.full(len(sel), floor_fee, np.int64), np.zeros(len(sel), bool)))
            continue
        num, den = ratio(rule.percent_band()[0])
        cap_fee = int(fee_minor(rule, _HUGE_PRICE))
        # raw fee = floor((2·p·num + 100·den) / (200·den)): raw <= floor_fee up to c1, raw >= cap_fee from c2
        c1 = (50 * den * (2 * floor_fee + 1) - 1) // num
        c2 = -(-50 * den * (2 * cap_fee - 1) // num)
        for a, b, const, linear in (
            (lo, np.minimum(hi, c1), floor_fee, False),
            (np.maximum(lo, c1 + 1), np.minimum(hi, c2 - 1), 0, True),
            (np.maximum(lo, c2), hi, cap_fee, False),
        ):
            keep = a <= b
            m = int(keep.sum())
            parts.append((sel[keep], a[keep], b[keep], np.full(m, const, np.int64), np.full(m, linear, bool)))
    if not parts:
        empty = np.zeros(0, np.int64)
        return _Pieces(empty, empty, empty, empty, np.zeros(0, bool))
    return _Pieces(*(np.concatenate([p[j] for p in parts]) for j in range(5)))


# --------------------------------------------------------------------------- the line, its noise, its period


def _line_params(t: Terms, piece: _Pieces) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per piece: the sign of the slope s (exact), s as a float, the rounded-line count k and the period P."""
    e = piece.entry
    fee_pct = np.full(len(e), -1, np.int64)
    lin = np.flatnonzero(piece.linear)
    fee_pct[lin] = t.fee[e[lin]]
    keys = np.stack([t.rate[e], fee_pct, t.margin_num[e], t.margin_den[e]], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    others = sum((Fraction(n, d * 100) for n, d in t.of_price), Fraction(0))
    base_period = math.lcm(1, *(Fraction(n, d * 100).denominator for n, d in t.of_price))
    sign_u = np.zeros(len(uniq), np.int64)
    slope_u = np.zeros(len(uniq))
    k_u = np.zeros(len(uniq), np.int64)
    period_u = np.zeros(len(uniq), np.int64)
    for j, (rate, fee_k, m_num, m_den) in enumerate(uniq.tolist()):
        commission = Fraction(rate, 10_000)
        fee = Fraction(0)
        if fee_k >= 0:
            num, den = ratio(t.fee_rules[fee_k].percent_band()[0])
            fee = Fraction(num, den * 100)
        s = 1 - commission - fee - others - Fraction(m_num, m_den * 100)
        sign_u[j] = (s > 0) - (s < 0)
        slope_u[j] = float(s)
        k_u[j] = 1 + (fee_k >= 0) + len(t.of_price)
        period_u[j] = math.lcm(base_period, commission.denominator, fee.denominator)
    return sign_u[inverse], slope_u[inverse], k_u[inverse], period_u[inverse]


def _solve_pieces(t: Terms, piece: _Pieces) -> np.ndarray:
    """Lowest passing price per piece (NONE where none), from the line bounds, the period and exact tests."""
    n = len(piece.entry)
    out = np.full(n, NONE, np.int64)
    if not n:
        return out
    sign, slope, k, period = _line_params(t, piece)
    e, a, b = piece.entry, piece.a, piece.b
    const = t.fixed[e] + piece.fee_const + t.profit_target[e]  # K: g's line is s·p − K
    # rising (s > 0): nothing passes below (K − k/2)/s, everything from (K + k/2)/s on
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        up = sign > 0
        s_up = np.where(up, slope, 1.0)
        first = np.floor((const - k / 2) / s_up) - 1  # two kopecks of slack either side for the float division
        sure = np.ceil((const + k / 2) / s_up) + 1
        # falling (s < 0): nothing passes above (K − k/2)/s; flat (s = 0): everything or nothing may pass
        down = sign < 0
        s_dn = np.where(down, slope, -1.0)
        last = np.ceil((const - k / 2) / s_dn) + 1
    start = np.maximum(np.where(up, np.clip(first, a - 1, b + 1), a).astype(np.int64), a)
    stop = np.where(up, np.clip(sure, a - 1, b + 1), np.where(down, np.clip(last, a - 1, b + 1), b)).astype(np.int64)
    stop = np.minimum(np.where(up, np.maximum(stop, start), stop), b)  # rising, sure below start: start passes
    flat_none = (sign == 0) & (2 * const >= k)  # the line sits at −K <= −k/2: nothing passes
    # without a rise, the lowest passing price lies within one period of the start (g(p + P) <= g(p))
    stop = np.where(up, stop, np.minimum(stop, start + period - 1))
    live = (start <= stop) & ~flat_none
    # a rising window longer than the period: the residue method; otherwise scan the window
    by_residue = live & up & (stop - start + 1 > period)
    scan = np.flatnonzero(live & ~by_residue)
    if len(scan):
        out[scan] = _first_pass(t, e[scan], start[scan], stop[scan])
    res = np.flatnonzero(by_residue)
    if len(res):
        out[res] = _by_residue(t, e[res], start[res], b[res], period[res])
    return out


def _first_pass(t: Terms, entry: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """The first price in [start, stop] meeting each entry's target (NONE where none), scanned in blocks."""
    out = np.full(len(entry), NONE, np.int64)
    todo = np.arange(len(entry))
    cursor = start.copy()
    width = 8
    while len(todo):
        w = int(max(1, min(width, _CELLS // len(todo))))
        offs = np.arange(w, dtype=np.int64)
        prices = cursor[todo, None] + offs[None, :]
        inside = prices <= stop[todo, None]
        rows, cols = np.nonzero(inside)
        ok = np.zeros(prices.shape, bool)
        ok[rows, cols] = gap(t, entry[todo][rows], prices[rows, cols]) >= 0
        hit = ok.any(axis=1)
        out[todo[hit]] = prices[hit, ok[hit].argmax(axis=1)]
        cursor[todo] += w
        todo = todo[~hit & (cursor[todo] <= stop[todo])]
        width = min(width * 4, 1 << 16)
    return out


def _by_residue(t: Terms, entry: np.ndarray, start: np.ndarray, b: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Rising g with a long window: each residue r in [start, start + P) first passes at r + j·P with
    j = ceil(−g(r) / D), D = g(r + P) − g(r) > 0; the answer is the least candidate within the stretch."""
    best = np.full(len(entry), np.iinfo(np.int64).max, np.int64)
    step = np.asarray(gap(t, entry, start + period) - gap(t, entry, start), np.int64)
    for owner, offset in _residues(period):
        r = start[owner] + offset
        g = gap(t, entry[owner], r)
        d = step[owner]
        # j capped just past the stretch: a candidate beyond it does not count, and j·P stays in int64
        j = np.minimum(np.where(g >= 0, 0, (-g + d - 1) // d), (b[owner] - r) // period[owner] + 1)
        np.minimum.at(best, owner, r + j * period[owner])
    return np.where(best <= b, best, NONE)


def _residues(period: np.ndarray):
    """(entry, offset) pairs covering offsets 0 .. P−1 of every entry, at most _CELLS pairs at a time."""
    pos, skip = 0, 0  # the next entry, and how many of its offsets are done
    n = len(period)
    while pos < n:
        owners, offsets, room = [], [], _CELLS
        while pos < n and room > 0:
            take = min(int(period[pos]) - skip, room)
            owners.append(np.full(take, pos, np.int64))
            offsets.append(np.arange(skip, skip + take, dtype=np.int64))
            room -= take
            skip += take
            if skip == int(period[pos]):
                pos, skip = pos + 1, 0
        yield np.concatenate(owners), np.concatenate(offsets)


__all__ = ["NONE", "Terms", "gap", "lowest", "profit", "terms"]
