"""Ozon's sales commission by category, price tier and scheme, from dated tables (tariffs/economics/commissions-*.yaml).

Why tables, not a percent: the commission is category × price tier × scheme (rFBS/FBP) and changes by
date; crossing a tier bound (1500 / 5000 RUB from 2025-12-01) jumps the commission, which is one of the
cliffs a seller must see. Tier bounds are inclusive upper bounds on the sale price in RUB.

Rounding: sale price × percent, half-up to the kopeck.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional, Sequence

from .economics_schema import Category, CommissionTable, in_force, load_commission_tables
from .errors import InputError
from .fx import quantize_minor

SCHEMES = ("rfbs", "fbp")


@dataclass(frozen=True)
class CommissionResult:
    table: CommissionTable
    category: Category
    scheme: str
    tier: int
    percent: Decimal
    amount_rub: Decimal

    @property
    def tier_label(self) -> str:
        bounds = self.table.tiers_rub
        hi = bounds[self.tier]
        lo = None if self.tier == 0 else bounds[self.tier - 1]
        if lo is None and hi is None:
            return "any price"
        if lo is None:
            return f"<= {hi} RUB"
        return f"> {lo} RUB" if hi is None else f"{lo}.01–{hi} RUB"


def table_for(order_date: dt.date, tables: Optional[Sequence[CommissionTable]] = None) -> CommissionTable:
    tables = tables if tables is not None else load_commission_tables()
    for t in tables:
        if in_force(t.effective_from, t.effective_until, order_date):
            return t
    periods = ", ".join(f"{t.effective_from}..{t.effective_until or '…'}" for t in tables)
    raise InputError(
        "date",
        f"no commission table covers {order_date}; the data has {periods}",
        rule="commission_table_period",
    )


def _keys(c: Category) -> set[str]:
    keys = {c.id, c.en, *c.aliases}
    if c.zh:
        keys.add(c.zh)
        keys.update(part.strip() for part in c.zh.replace("，", ",").split(","))
    return {k.casefold() for k in keys if k}


def find_category(table: CommissionTable, name: str) -> Category:
    """By id, English or Chinese name, or alias (case-insensitive); unknown -> error listing every known one."""
    key = name.strip().casefold()
    for c in table.categories:
        if key in _keys(c):
            return c
    known = "; ".join(f"{c.id} ({c.zh + ' / ' if c.zh else ''}{c.en})" for c in table.categories)
    partial = "" if table.complete else " (this table is partial: only the rows published in our sources)"
    raise InputError(
        "category",
        f"unknown category {name!r} in table {table.id}{partial}; known: {known}",
        rule="commission_category",
        limit=[c.id for c in table.categories],
    )


def tier_index(table: CommissionTable, price_rub: Decimal) -> int:
    for i, bound in enumerate(table.tiers_rub):
        if bound is None or price_rub <= bound:
            return i
    return len(table.tiers_rub) - 1  # pragma: no cover - last bound is None by schema


def commission(
    price_rub: Decimal,
    category: str,
    order_date: dt.date,
    scheme: str = "rfbs",
    tables: Optional[Sequence[CommissionTable]] = None,
) -> CommissionResult:
    """Commission on a sale at `price_rub` (RUB) in `category` on `order_date` under `scheme`."""
    scheme = scheme.lower()
    if scheme not in SCHEMES:
        raise InputError("scheme", f"unknown scheme {scheme!r}; use rfbs or fbp")
    table = table_for(order_date, tables)
    cat = find_category(table, category)
    column = scheme if scheme in cat.percent else "all"
    i = tier_index(table, price_rub)
    pct = Decimal(cat.percent[column][i])
    return CommissionResult(table, cat, scheme, i, pct, quantize_minor(price_rub * pct / 100, "RUB"))


def tier_breakpoints(table: CommissionTable) -> list[Decimal]:
    """Inclusive upper bounds of every tier but the last (prices where the commission can jump)."""
    return [Decimal(b) for b in table.tiers_rub if b is not None]
