"""Which order dates have rates, and what to tell a user whose date has none.

Why: a date with services in force but no published rate (before a set, after the last one held, or far in
the future) would otherwise answer with a table of `unpriced` rows that reads like an answer. The notice
says so once, names the nearest dates that do have rates, and points at `ratecalc tariffs import` for a
newer Ozon sheet. It is plain data, so the CLI prints it above its table and the API returns it as
`notice`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .compile import CompiledTariffs, day_number

# Ozon published rate sheets on 2026-04-07, -04-21, -05-20 and -07-24: a set older than this on the order
# date has probably been replaced by one we do not hold.
STALE_AFTER_DAYS = 90
IMPORT_HINT = "for a newer Ozon rate sheet, run `ratecalc tariffs import FILE.xlsx` and quote with --tariffs DIR"


@dataclass(frozen=True)
class Coverage:
    """What the tariff set holds for one order date."""

    date: dt.date
    in_force: int  # services in force on the date
    priced: bool  # at least one of them has a published rate
    previous: Optional[dt.date]  # the latest earlier date with rates (None: none)
    next: Optional[dt.date]  # the earliest later date with rates (None: none)
    newest_start: Optional[dt.date]  # first day of the newest priced period held
    message: Optional[str]  # None: nothing to say


def _priced_epochs(compiled: CompiledTariffs) -> np.ndarray:
    """(E,) bool: epochs in which some service has a published rate (memoised on the compiled set)."""
    found = compiled.cache.get("priced_epochs")
    if found is None:
        published = compiled.table.published
        found = np.array([bool(ep.rows.size) and bool(published[ep.rows.ravel()].any()) for ep in compiled.epochs])
        compiled.cache["priced_epochs"] = found
    return found


_MEMO_DAYS = 4096  # dates remembered per compiled set: far more than real traffic asks for, bounded


def coverage(compiled: CompiledTariffs, day: dt.date) -> Coverage:
    """What the set holds for `day`, memoised on the compiled set: the API asks it on every quote (~14 µs
    a time, against a budget of 300 µs for the whole request) for the few dates that traffic carries."""
    memo = compiled.cache.get("coverage")
    if memo is None:
        memo = compiled.cache["coverage"] = {}
    found = memo.get(day)
    if found is None:
        if len(memo) >= _MEMO_DAYS:  # hostile input may ask every date there is: start again, never grow
            memo.clear()
        found = memo[day] = _coverage(compiled, day)
    return found


def _coverage(compiled: CompiledTariffs, day: dt.date) -> Coverage:
    priced = _priced_epochs(compiled)
    e = int(compiled.epoch_of(np.array([day_number(day)], dtype=np.int64))[0])
    epochs = compiled.epochs
    in_force = len(epochs[e].services)
    earlier = [k for k in range(e) if priced[k]]
    later = [k for k in range(e + 1, len(epochs)) if priced[k]]
    previous = epochs[earlier[-1]].end if earlier else None
    nxt = epochs[later[0]].start if later else None
    newest = max((k for k in range(len(epochs)) if priced[k]), default=None)
    newest_start = None if newest is None else epochs[newest].start
    message = None
    if not priced[e]:
        near = []
        if previous is not None:
            near.append(f"up to {previous.isoformat()}")
        if nxt is not None:
            near.append(f"from {nxt.isoformat()}")
        where = " and ".join(near) if near else "none"
        message = (
            f"No rates are held for orders on {day.isoformat()} ({in_force} services in force, none priced). "
            f"Dates with rates: {where}. Use --date for one of those, or {IMPORT_HINT}."
        )
    elif e == newest and epochs[e].end is None and epochs[e].start is not None:
        start = epochs[e].start
        assert start is not None
        age = (day - start).days
        if age > STALE_AFTER_DAYS:
            message = (
                f"The newest rates held start on {start.isoformat()}, {age} days before "
                f"{day.isoformat()}; Ozon publishes a new sheet every few months, so these may be out of date: "
                f"{IMPORT_HINT}."
            )
    return Coverage(day, in_force, bool(priced[e]), previous, nxt, newest_start, message)
