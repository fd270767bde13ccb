"""Ozon's sales commission by category, price tier and scheme, from dated tables (tariffs/economics/commissions-*.yaml).

Why tables, not a percent: the commission is category × price tier × scheme (rFBS/FBP) and changes by
date; crossing a tier bound (1500 / 5000 RUB from 2025-12-01) jumps the commission, which is one of the
cliffs a seller must see. Tier bounds are inclusive upper bounds on the sale price in RUB.

The rule lives here once (`tier_index`, `charge`, `charge_minor`): one SKU and a whole catalogue (numpy
arrays) go through the same functions. Rounding: sale price × percent, half-up to the kopeck.

Categories are found as people name them: the slug, or the Russian, Chinese or English name in any case
(`find_category`); an unknown name lists the closest ones. Brand rows (Apple, Dyson, Samsung, Sony in the
2025-12-01 workbook) apply through `resolve` when a brand is given.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional, Sequence, Union

import numpy as np

from ..errors import InputError
from ..tariffdata.schema import SCHEMES as _SCHEMES
from .economics_schema import Category, CommissionTable, in_force, load_commission_tables
from .rounding import pct_of_minor

SCHEMES = _SCHEMES  # rfbs, fbp: the commission columns are the delivery schemes of the tariffs
MAX_SUGGESTIONS = 8


@dataclass(frozen=True)
class CommissionResult:
    table: CommissionTable
    category: Category
    scheme: str
    tier: int
    percent: Decimal
    amount_rub: Decimal
    note: Optional[str] = None  # e.g. why a brand row did not apply

    @property
    def confidence(self) -> str:
        return self.category.confidence or self.table.confidence

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

    def to_dict(self) -> dict:
        return {
            "table": self.table.id,
            "category": self.category.id,
            "category_name": self.category.en,
            "brand": self.category.brand,
            "scheme": self.scheme,
            "tier": self.tier_label,
            "percent": f"{self.percent:f}",
            "confidence": self.confidence,
            "note": self.note,
        }


def table_for(order_date: dt.date, tables: Optional[Sequence[CommissionTable]] = None) -> CommissionTable:
    """The table in force on the order date; refuses a date no table covers, saying which dates are covered."""
    tables = tables if tables is not None else load_commission_tables()
    for t in tables:
        if in_force(t.effective_from, t.effective_until, order_date):
            return t
    periods = ", ".join(f"{t.effective_from}..{t.effective_until or '…'}" for t in tables)
    raise InputError(
        "date",
        f"no commission table covers {order_date}: Ozon's per-category rates for that date were not found in "
        f"any source. The data covers {periods}. To price that date, import Ozon's workbook for it "
        "(`ratecalc commissions import FILE -o DIR/commissions-DATE.yaml`) and pass --tariffs DIR",
        rule="commission_table_period",
    )


def normalize(name: str) -> str:
    """Case, spacing, '&' vs 'and', punctuation and full-width forms do not matter in a category name.

    NFKC first: a Chinese input method types `ｐｈａｒｍａｃｙ` or `（药品）` in full-width mode, which is the
    same name (names are text, matched leniently; numbers are not: see ratecalc.units)."""
    s = unicodedata.normalize("NFKC", name).casefold().replace("&", " and ").replace("ё", "е")
    s = re.sub(r"[\s\-_/,.;:()'\"«»，、（）]+", " ", s)
    return " ".join(s.split())


def _fold(brand: str) -> str:
    """A brand name as compared: NFKC (full-width forms), case-folded, trimmed."""
    return unicodedata.normalize("NFKC", brand).strip().casefold()


def names_of(c: Category) -> list[str]:
    """Every name a category answers to: slug, English, Chinese (and its comma parts), Russian, aliases."""
    names = [c.id, c.en, *(c.aliases or [])]
    if c.ru:
        names.append(c.ru)
    if c.zh:
        names.append(c.zh)
        names.extend(part.strip() for part in re.split(r"[,，、]", c.zh) if part.strip())
    return names


_INDEXES: dict[int, tuple[CommissionTable, dict[str, list[Category]]]] = {}


def _index(table: CommissionTable) -> dict[str, list[Category]]:
    """Normalized name -> categories. A full name (slug, en, ru, zh, alias) wins over a part of a Chinese
    name, so 家具 is Furniture, not the 家具 inside 儿童电子产品、家具、配件. Built once per table."""
    held = _INDEXES.get(id(table))
    if held is not None and held[0] is table:
        return held[1]
    full: dict[str, list[Category]] = {}
    parts: dict[str, list[Category]] = {}
    for c in table.categories:
        whole = [c.id, c.en, c.ru, c.zh, *(c.aliases or [])]
        for n in names_of(c):
            key = normalize(n)
            into = full if n in whole else parts
            if key and c not in into.setdefault(key, []):
                into[key].append(c)
    out = {**{k: v for k, v in parts.items() if k not in full}, **full}
    _INDEXES[id(table)] = (table, out)
    return out


def _label(c: Category) -> str:
    parts = [c.en] + [x for x in (c.ru, c.zh) if x]
    return f"{c.id} ({' / '.join(parts)})"


def _choose(field: str, lead: str, cats: Sequence[Category], advice: str) -> InputError:
    """A name that fits several categories: the error lists them all, for the user to pick one."""
    return InputError(
        field,
        f"{lead}: " + "; ".join(_label(c) for c in cats) + advice,
        rule=f"commission_{field}",
        limit=[c.id for c in cats],
    )


def search(table: CommissionTable, text: str = "", limit: Optional[int] = None) -> list[Category]:
    """Categories whose names contain `text` (normalized), then close spellings; all when text is empty."""
    key = normalize(text)
    if not key:
        return list(table.categories)
    hits = [c for c in table.categories if any(key in normalize(n) for n in names_of(c))]
    index = _index(table)
    for near in difflib.get_close_matches(key, list(index), n=MAX_SUGGESTIONS, cutoff=0.6):
        for c in index[near]:
            if c not in hits:
                hits.append(c)
    return hits[:limit] if limit else hits


def find_category(table: CommissionTable, name: str) -> Category:
    """By slug, English, Chinese or Russian name, or alias (any case); unknown or ambiguous -> an error
    listing the closest matches."""
    found = _index(table).get(normalize(name), [])
    if len(found) == 1:
        return found[0]
    partial = "" if table.complete else " (this table is partial: only the rows published in our sources)"
    if found:
        raise _choose(
            "category", f"{name!r} names {len(found)} categories in table {table.id}", found, ". Use the slug"
        )
    near = search(table, name, MAX_SUGGESTIONS)
    hint = (
        "closest: " + "; ".join(_label(c) for c in near)
        if near
        else f"none close among its {len(table.categories)} categories; "
        f"list them with `ratecalc categories --date {table.effective_from}`"
    )
    raise InputError(
        "category",
        f"unknown category {name!r} in table {table.id}{partial}; {hint}",
        rule="commission_category",
        limit=[c.id for c in near],
    )


def resolve(table: CommissionTable, name: str, brand: Optional[str] = None) -> tuple[Category, Optional[str]]:
    """The category to charge, and a note when a given brand has no row of its own here.

    A brand row applies when the brand is given and the named category is one it covers (`applies_to`),
    or when the brand category is named directly. Two brand rows covering the category (Dyson devices
    and accessories) -> an error naming both, to be chosen by name.
    """
    cat = find_category(table, name)
    if not brand or not brand.strip():
        return cat, None
    b = _fold(brand)
    if cat.brand is not None:
        if _fold(cat.brand) != b:
            raise InputError("brand", f"category {cat.id} is the {cat.brand} brand row; brand {brand!r} does not match")
        return cat, None
    rows = [c for c in table.categories if c.brand and _fold(c.brand) == b and cat.id in c.applies_to]
    if len(rows) == 1:
        return rows[0], None
    if len(rows) > 1:
        raise _choose("brand", f"{brand} has {len(rows)} rows for {cat.id}", rows, "; name one as the category")
    brands = sorted({c.brand for c in table.categories if c.brand})
    return cat, (
        f"no {brand} brand row for {cat.id} in table {table.id} (brand rows: {', '.join(brands) or 'none'}); "
        "the category's rate applies"
    )


# --------------------------------------------------------------------------- the rule


def tier_bounds_minor(table: CommissionTable) -> np.ndarray:
    """Inclusive upper tier bounds in kopecks (the open last tier left out)."""
    return np.array([int(Decimal(b) * 100) for b in table.tiers_rub if b is not None], dtype=np.int64)


def tier_index(table: CommissionTable, price_minor: Union[int, np.ndarray]) -> Union[int, np.ndarray]:
    """Tier of a price in kopecks (int or int64 array): the first tier whose inclusive bound holds it."""
    found = np.searchsorted(tier_bounds_minor(table), price_minor, side="left")
    return int(found) if np.ndim(found) == 0 else found


def column_of(category: Category, scheme: str) -> str:
    """The rate column for a scheme: the scheme's own, or `all` in the one-column archived tables."""
    scheme = scheme.lower()
    if scheme not in SCHEMES:
        raise InputError("scheme", f"unknown scheme {scheme!r}; use rfbs or fbp", limit=list(SCHEMES))
    return scheme if scheme in category.percent else "all"


def rate_hundredths(category: Category, scheme: str) -> np.ndarray:
    """The category's rates per tier for a scheme, in hundredths of a percent (12.5 % -> 1250)."""
    return np.array([int(Decimal(p) * 100) for p in category.percent[column_of(category, scheme)]], dtype=np.int64)


def charge_minor(price_minor: Union[int, np.ndarray], hundredths: Union[int, np.ndarray]) -> Union[int, np.ndarray]:
    """The commission in kopecks: price × rate, half-up (ints or arrays)."""
    return pct_of_minor(price_minor, hundredths, 100)


def charge(
    table: CommissionTable, category: Category, scheme: str, price_minor: int, note: Optional[str] = None
) -> CommissionResult:
    """The commission on one sale at `price_minor` kopecks."""
    i = tier_index(table, price_minor)
    rates = rate_hundredths(category, scheme)
    amount = int(charge_minor(price_minor, int(rates[i])))
    return CommissionResult(
        table, category, scheme.lower(), int(i), Decimal(int(rates[i])).scaleb(-2), Decimal(amount).scaleb(-2), note
    )


def commission(
    price_rub: Decimal,
    category: str,
    order_date: dt.date,
    scheme: str = "rfbs",
    tables: Optional[Sequence[CommissionTable]] = None,
    brand: Optional[str] = None,
) -> CommissionResult:
    """Commission on a sale at `price_rub` (RUB) in `category` on `order_date` under `scheme`."""
    table = table_for(order_date, tables)
    cat, note = resolve(table, category, brand)
    column_of(cat, scheme)
    return charge(table, cat, scheme, int((Decimal(price_rub) * 100).to_integral_value(rounding=ROUND_HALF_UP)), note)


def tier_breakpoints(table: CommissionTable) -> list[Decimal]:
    """Inclusive upper bounds of every tier but the last (prices where the commission can jump)."""
    return [Decimal(b) for b in table.tiers_rub if b is not None]
