"""Unit economics for a whole catalogue: one row per SKU, vectorized over the engine `ratecalc batch` uses.

Why not `economics()` in a loop: 10^5 SKUs × ~30 services, each with a reverse search, is hours of Python.
Here the engine runs once per catalogue chunk (forward: at each SKU's sale price, which is also its declared
price) or once per price segment (reverse), and every cost line is computed on int64 arrays with the same
rule functions the single-SKU path uses (`commissions.charge_minor`, `fees.fee_minor`,
`rounding.pct_of_minor`), so both give the same kopecks (checked by tests).

Per SKU (row):
- `sale_price` given -> profit, margin and ROI of every priced service; the row shows the most profitable
  one (ties: service name, then id, as the single-SKU answer orders them).
- `target_margin` (%) or `target_profit` (RUB) instead -> the lowest sale price reaching it for each service;
  the row shows the service with the lowest such price (ties: service name, then id, as `reverse_price`).

Reverse pricing, how: the price axis is cut at every place a cost line can jump — commission tiers, the Ozon
fee's min/max, shipment-group price bands, RUB declared-value limits. Inside one segment the carrier price,
the commission rate and the fee rule are constant, so "profit ≥ target" is linear in the price up to the
rounding of each line: `money.target_price` (the solver `economics.reverse_price` uses for one SKU) finds the
lowest kopeck meeting it, exactly and in bounded time. Segments are tried from the lowest, so the first
segment with an answer holds the lowest price. Unlike `economics.reverse_price`, which finds it by bisection,
a carrier answer that changes inside a segment for another reason (e.g. a declared-value limit in another
currency) is not split further here.

Rows that cannot be costed (unknown category, no purchase cost, no exchange rate for a cost, several or no
pricing modes) go to the errors file with the column and the reason; the rest go through.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, NamedTuple, Optional, Union

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..money import target_price as TP
from ..money.commissions import SCHEMES, charge_minor, rate_hundredths, resolve, table_for
from ..money.economics import MAX_PRICE, check_percentages, to_minor_rub
from ..money.economics_schema import CommissionTable, FeeRule
from ..money.fees import fee_breakpoints, fee_minor, select_rule
from ..money.fx import FxChain, rate_or_reason
from ..money.returns import RowRules, cost_minor, row_rules, value_limits
from ..money.rounding import pct_of_minor, ratio
from ..money.storage import MAX_STORAGE_DAYS, check_storage_days, storage_cost
from ..pricing import engine as E
from ..tariffdata.compile import CURRENCIES, EPOCH_DAY0, CompiledTariffs
from ..units import Money, parse_decimal, parse_money
from .columnar import Ingested, RowErrors, ingest, minor_to_decimal, quote_ingested

if TYPE_CHECKING:
    from .batchfile import BatchSummary, Progress

ALIASES = {  # canonical column -> older spellings also accepted
    "purchase_cost": ("cost",),
    "sale_price": ("price",),
    "order_date": ("date",),
}
ECONOMICS_COLUMNS = (
    "category",
    "brand",
    "purchase_cost",
    "sale_price",
    "target_margin",
    "target_profit",
    "packaging",
    "first_mile",
    "storage_days",
)
MONEY_COLUMNS = ("purchase_cost", "sale_price", "target_profit", "packaging", "first_mile")
BIG = np.iinfo(np.int64).max
RUB_INDEX = CURRENCIES.index("RUB")


@dataclass(frozen=True)
class Options:
    """What applies to every row (a column of the same name, where the file has one, wins per row)."""

    scheme: str = "rfbs"
    category: Optional[str] = None
    brand: Optional[str] = None
    purchase_cost: Optional[str] = None
    acquiring: Decimal = Decimal(0)
    fx_loss: Decimal = Decimal(0)
    ads: Decimal = Decimal(0)
    return_rate: Decimal = Decimal(0)
    ozon_fee: Optional[str] = None
    max_price: Decimal = MAX_PRICE
    not_collected_rate: Decimal = Decimal(0)
    storage_days: Optional[int] = None

    def __post_init__(self) -> None:
        if self.scheme.lower() not in SCHEMES:
            raise InputError("scheme", f"unknown scheme {self.scheme!r}; use rfbs or fbp", limit=list(SCHEMES))
        check_percentages(self)
        check_storage_days(self.storage_days, self.scheme)


# --------------------------------------------------------------------------- reading the economics columns


def _text_column(table: pa.Table, name: str, n: int) -> Optional[list[Optional[str]]]:
    if name not in table.column_names:
        return None
    values = table.column(name).to_pylist()
    out: list[Optional[str]] = []
    for v in values:
        s = None if v is None else str(v).strip()
        out.append(s or None)
    return out


def _canonical(table: pa.Table) -> pa.Table:
    """Rename older spellings (cost, price, date) to the canonical column names; refuse both at once."""
    names = list(table.column_names)
    for canon, olds in ALIASES.items():
        for old in olds:
            if old in names:
                if canon in names:
                    raise InputError(old, f"the input has both {canon!r} and its older spelling {old!r}; keep one")
                names[names.index(old)] = canon
    if "declared_value" in names or "value" in names:
        raise InputError(
            "declared_value",
            "economics takes no declared value: the sale price is the declared price (drop the column)",
        )
    return table.rename_columns(names)


def _pct_value(text: str) -> Decimal:
    """`20`, `20%`, `-5,5 %`: a signed percentage in the one number grammar (ratecalc.units)."""
    return parse_decimal(text.strip().rstrip("%"), "target_margin", what="percentage (like 20 or 20%)", signed=True)


def _rub_minor(text: str, field: str) -> int:
    """A RUB amount in kopecks, signed (the caller checks the sign): a bare number, or with a RUB suffix;
    half-up to the kopeck."""
    t = text.strip()
    if t[-3:].upper() == "RUB":
        t = t[:-3]
    d = parse_decimal(t, field, what="RUB amount", signed=True)
    return int((d * 100).to_integral_value(rounding=ROUND_HALF_UP))


def _rub_column(texts: list) -> np.ndarray:
    """Plain RUB amounts with up to two decimals -> kopecks in one Arrow cast (-1 where it needs the
    general reader: a suffix, a comma, more decimals, or not a number)."""
    arr = pa.array([t if t is not None else "" for t in texts], pa.string())
    plain = pc.match_substring_regex(arr, r"^[0-9]{1,9}(\.[0-9]{1,2})?$").to_numpy(zero_copy_only=False)
    out = np.full(len(texts), -1, np.int64)
    if plain.any():
        idx = np.flatnonzero(plain)
        dec = pc.cast(arr.take(pa.array(idx, pa.int64())), pa.decimal128(12, 2))
        out[idx] = pc.cast(pc.multiply(dec, pa.scalar(Decimal(100), pa.decimal128(5, 0))), pa.int64()).to_numpy(
            zero_copy_only=False
        )
    return out


def _money(text: str, field: str) -> Money:
    """`40CNY`, `5 usd`, or a bare number meaning RUB (as on the command line)."""
    if any(c.isalpha() for c in text):
        return parse_money(text, field)
    return Money(parse_decimal(text, field, what="amount"), "RUB")


@dataclass
class _Econ:
    """Per valid row (aligned with the ingested parcels): everything but the carrier."""

    mode: np.ndarray  # 0 = forward (sale_price), 1 = target margin, 2 = target profit
    sale: np.ndarray  # kopecks (forward)
    target_num: np.ndarray  # margin: % as num/den; profit: kopecks in num, den 1
    target_den: np.ndarray
    fixed: np.ndarray  # purchase + packaging + first mile, kopecks
    purchase: np.ndarray
    packaging: np.ndarray
    first_mile: np.ndarray
    storage: np.ndarray  # border-warehouse storage per unit, kopecks (0: none or not asked for)
    rates: np.ndarray  # (V, tiers) hundredths of a percent
    bounds: np.ndarray  # (V, tiers-1) inclusive tier bounds, kopecks (BIG-padded)
    category: np.ndarray  # object arrays of text (None where absent)
    brand: np.ndarray
    confidence: np.ndarray
    table_id: np.ndarray
    target_text: np.ndarray


def _encoded(table: pa.Table, name: str, rows: np.ndarray, default: Optional[str] = None) -> tuple[np.ndarray, list]:
    """Codes per row (for `rows`) and the distinct trimmed texts (None = empty/missing, or `default`)."""
    if name not in table.column_names:
        return np.zeros(len(rows), np.int64), [default]
    col = table.column(name)
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
        col = col.cast(pa.string())
    col = pc.utf8_trim_whitespace(col.take(pa.array(rows, pa.int64())))
    col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
    enc = pc.dictionary_encode(col, null_encoding="encode")
    uniq = [default if v is None else v for v in enc.dictionary.to_pylist()]
    return enc.indices.to_numpy(zero_copy_only=False).astype(np.int64), uniq


def _obj(values: list) -> np.ndarray:
    out = np.empty(len(values), object)
    out[:] = values
    return out


def _per_unique(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys and, per row, the index of its key."""
    uniq, inverse = np.unique(keys, return_inverse=True)
    return uniq, inverse.ravel()


@dataclass
class _Rejects:
    """Where the rows that fail a check go: the errors file (`errors`) and out of the good mask."""

    rows: np.ndarray  # the valid rows' numbers in the input
    good: np.ndarray
    errors: RowErrors

    def fails(self, n: int) -> _Fails:
        return _Fails(self, n)

    def reject(self, at: np.ndarray, column: list, value: list, reason: list) -> None:
        """Rows `at` (positions among the valid rows) fail, each with its column, value and reason."""
        self.errors.row.extend(self.rows[at].tolist())
        self.errors.column.extend(column)
        self.errors.value.extend(value)
        self.errors.reason.extend(reason)
        self.good[at] = False


class _Fails:
    """Per distinct value: the column, the value and the reason it fails (None = fine)."""

    def __init__(self, rejects: _Rejects, n: int):
        self._rejects = rejects
        self.reason = np.full(n, None, object)
        self.column = np.full(n, None, object)
        self.value = np.full(n, None, object)

    def set(self, j: int, column: str, value: Optional[str], reason: str) -> None:
        self.reason[j], self.column[j], self.value[j] = reason, column, value

    def apply(self, of_row: np.ndarray, among: Optional[np.ndarray] = None) -> None:
        """The rows whose distinct value (`of_row`, its index per row) failed, among `among` if given."""
        bad_u = np.array([r is not None for r in self.reason], bool)
        hit = bad_u[of_row] if among is None else bad_u[of_row] & among
        at = np.flatnonzero(hit)
        if len(at):
            u = of_row[at]
            self._rejects.reject(at, self.column[u].tolist(), self.value[u].tolist(), self.reason[u].tolist())


_PRICE_COLUMNS = ("sale_price", "target_margin", "target_profit")
"""The pricing mode of a row, by index (0 forward at a sale price, 1 target margin, 2 target profit)."""


def _economics_columns(
    table: pa.Table, rows: np.ndarray, parcels: E.ParcelArrays, opts: Options, fx: Optional[FxChain], errors: RowErrors
) -> tuple[np.ndarray, _Econ]:
    """Read and check the economics columns of the rows that passed ingestion; (good mask, values).

    Every check runs once per distinct value (category × brand × table, cost × day, price text), not per row.
    """
    _check_columns(set(table.column_names), opts)
    rejects = _Rejects(rows, np.ones(len(rows), bool), errors)
    udays, day_of = _per_unique(parcels.day)
    tables = _tables_by_day(udays, day_of, rejects)
    commission = _commissions(table, rows, opts, tables, day_of, rejects)
    money = {
        col: _money_column(table, rows, col, opts, fx, udays, day_of, rejects)
        for col in ("purchase_cost", "packaging", "first_mile")
    }
    mode, sale, tnum, tden, ttext = _pricing_mode(table, rows, opts, rejects)
    fixed = money["purchase_cost"] + money["packaging"] + money["first_mile"]
    storage = _storage_column(table, rows, parcels, udays, day_of, opts, fx, rejects.fails)
    econ = _Econ(
        mode=mode, sale=sale, target_num=tnum, target_den=tden, fixed=fixed, purchase=money["purchase_cost"],
        packaging=money["packaging"], first_mile=money["first_mile"], storage=storage, rates=commission.rates,
        bounds=commission.bounds, category=commission.category, brand=commission.brand,
        confidence=commission.confidence, table_id=commission.table_id, target_text=ttext,
    )  # fmt: skip
    return rejects.good, econ


def _check_columns(names: set[str], opts: Options) -> None:
    """The whole file is refused (exit 2) when a column every row needs is neither in it nor an option."""
    if "category" not in names and not opts.category:
        raise InputError("category", "the input has no 'category' column; add one or pass --category")
    if "purchase_cost" not in names and not opts.purchase_cost:
        raise InputError("purchase_cost", "the input has no 'purchase_cost' column; add one or pass --purchase-cost")
    if not names & set(_PRICE_COLUMNS):
        raise InputError(
            "sale_price",
            "the input needs a 'sale_price' column, or 'target_margin' / 'target_profit' for the lowest price",
        )


def _tables_by_day(udays: np.ndarray, day_of: np.ndarray, rejects: _Rejects) -> list[Optional[CommissionTable]]:
    """The commission table in force on each distinct order day (None, and its rows rejected, where none is)."""
    tables: list[Optional[CommissionTable]] = []
    fails = rejects.fails(len(udays))
    for j, d in enumerate(udays):
        try:
            tables.append(table_for(EPOCH_DAY0 + dt.timedelta(days=int(d))))
        except InputError as exc:
            tables.append(None)
            fails.set(j, "order_date", str(EPOCH_DAY0 + dt.timedelta(days=int(d))), exc.message)
    fails.apply(day_of)
    return tables


class _Commission(NamedTuple):
    """Per row: what its commission category gives (`_Econ`'s fields of the same names)."""

    rates: np.ndarray
    bounds: np.ndarray
    category: np.ndarray
    brand: np.ndarray
    confidence: np.ndarray
    table_id: np.ndarray


def _commissions(table, rows, opts: Options, tables, day_of, rejects: _Rejects) -> _Commission:
    """Per row, from its category (+ brand) in its day's table, resolved once per distinct (day, category,
    brand): tier rates, tier bounds, category id, brand, confidence and table id (the `_Econ` fields)."""
    cat_code, cat_names = _encoded(table, "category", rows, opts.category)
    brand_code, brand_names = _encoded(table, "brand", rows, opts.brand)
    key = (day_of * (len(cat_names) + 1) + cat_code) * (len(brand_names) + 1) + brand_code
    ukeys, key_of = _per_unique(key)
    max_tiers = max((len(t.tiers_rub) for t in tables if t is not None), default=1)
    rates_u = np.zeros((len(ukeys), max_tiers), np.int64)
    bounds_u = np.full((len(ukeys), max(max_tiers - 1, 1)), BIG, np.int64)
    cat_u: list[Optional[str]] = [None] * len(ukeys)
    brand_u: list[Optional[str]] = [None] * len(ukeys)
    conf_u: list[Optional[str]] = [None] * len(ukeys)
    tid_u: list[Optional[str]] = [None] * len(ukeys)
    fails = rejects.fails(len(ukeys))
    for j, k in enumerate(ukeys):
        rest, b = divmod(int(k), len(brand_names) + 1)
        d, c = divmod(rest, len(cat_names) + 1)
        t = tables[d]
        if t is None:
            continue
        name, brand = cat_names[c], brand_names[b]
        try:
            cat, _ = resolve(t, name or "", brand)
        except InputError as exc:
            fails.set(j, exc.field, name if exc.field == "category" else brand, exc.message)
            continue
        rr = rate_hundredths(cat, opts.scheme)
        rates_u[j, : len(rr)] = rr
        rates_u[j, len(rr) :] = rr[-1]
        bb = [int(Decimal(x) * 100) for x in t.tiers_rub if x is not None]
        bounds_u[j, : len(bb)] = bb
        cat_u[j], brand_u[j], conf_u[j], tid_u[j] = cat.id, cat.brand, cat.confidence or t.confidence, t.id
    fails.apply(key_of)
    return _Commission(
        rates_u[key_of], bounds_u[key_of], _obj(cat_u)[key_of], _obj(brand_u)[key_of],
        _obj(conf_u)[key_of], _obj(tid_u)[key_of],
    )  # fmt: skip


def _money_column(table, rows, col: str, opts: Options, fx, udays, day_of, rejects: _Rejects) -> np.ndarray:
    """A money column in any currency -> kopecks per row at the order day's rate, once per (text, day).
    `purchase_cost` is required (the option is its default); `packaging` and `first_mile` are 0 if absent."""
    code, texts = _encoded(table, col, rows, opts.purchase_cost if col == "purchase_cost" else None)
    mkeys, mkey_of = _per_unique(code * (len(udays) + 1) + day_of)
    value_u = np.zeros(len(mkeys), np.int64)
    fails = rejects.fails(len(mkeys))
    for j, k in enumerate(mkeys):
        c, d = divmod(int(k), len(udays) + 1)
        text = texts[c]
        if text is None:
            if col == "purchase_cost":
                fails.set(j, col, None, "missing")
            continue
        day = EPOCH_DAY0 + dt.timedelta(days=int(udays[d]))
        try:
            value_u[j] = _kopecks_on(text, col, fx, day)
        except InputError as exc:
            fails.set(j, col, text, exc.message)
    fails.apply(mkey_of)
    return value_u[mkey_of]


def _kopecks_on(text: str, col: str, fx: Optional[FxChain], day: dt.date) -> int:
    """One amount as typed (`40CNY`, or bare RUB) in kopecks at `day`'s rate; never negative."""
    m = _money(text, col)
    if m.amount < 0:
        raise InputError(col, "cannot be negative")
    quote = None
    if m.currency != "RUB":
        quote, why = rate_or_reason(fx, m.currency, day)
        if quote is None:
            raise InputError(col, f"{m} needs a {m.currency} rate on {day}: {why}", rule="fx_required")
    return to_minor_rub(m, quote)


def _pricing_mode(table, rows, opts: Options, rejects: _Rejects) -> tuple[np.ndarray, ...]:
    """Per row, exactly one of sale_price, target_margin, target_profit: (mode, sale kopecks, target
    numerator, target denominator, target text). Rows with none or several are rejected."""
    V = len(rows)
    mode = np.zeros(V, np.int64)
    sale = np.zeros(V, np.int64)
    tnum = np.zeros(V, np.int64)
    tden = np.ones(V, np.int64)
    ttext = np.full(V, None, object)
    given = {}
    for k in _PRICE_COLUMNS:
        code, texts = _encoded(table, k, rows)
        given[k] = (code, texts, np.array([t is not None for t in texts], bool)[code])
    count = sum(g[2].astype(np.int64) for g in given.values())
    for n_given in np.unique(count[count != 1]):
        at = np.flatnonzero(count == n_given)
        why = f"give exactly one of sale_price, target_margin, target_profit (got {n_given})"
        rejects.reject(at, ["sale_price"] * len(at), [None] * len(at), [why] * len(at))
    for m_idx, k in enumerate(_PRICE_COLUMNS):
        code, texts, present = given[k]
        use = present & (count == 1)
        if not use.any():
            continue
        mode[use] = m_idx
        num_u, den_u = _price_values(k, code, texts, use, opts, rejects)
        if k == "sale_price":
            sale = np.where(use, num_u[code], sale)
        else:
            tnum = np.where(use, num_u[code], tnum)
            tden = np.where(use, den_u[code], tden)
            ttext[use] = _obj(texts)[code[use]]
    return mode, sale, tnum, tden, ttext


def _price_values(k: str, code, texts: list, use: np.ndarray, opts: Options, rejects: _Rejects):
    """One price column's distinct texts as (numerator, denominator): a sale price or a profit in kopecks
    over 1, a margin as the ratio of its percentage; checked once per distinct text among the rows `use`."""
    num_u = np.zeros(len(texts), np.int64)
    den_u = np.ones(len(texts), np.int64)
    fails = rejects.fails(len(texts))
    fast = _rub_column(texts) if k != "target_margin" else np.full(len(texts), -1, np.int64)
    max_minor = int(opts.max_price * 100)
    for c in np.unique(code[use]):
        c = int(c)
        text = texts[c]
        try:
            if k == "target_margin":
                pct = _pct_value(text)
                if not (-100 < pct < 100):
                    fails.set(c, k, text, "a margin must be a percentage between -100 and 100")
                    continue
                num_u[c], den_u[c] = ratio(pct)
                continue
            v = int(fast[c]) if fast[c] >= 0 else _rub_minor(text, k)
            if k == "sale_price" and (v <= 0 or v > max_minor):
                fails.set(c, k, text, f"the sale price must be above 0 and at most {opts.max_price} RUB")
                continue
            num_u[c] = v
        except InputError as exc:
            fails.set(c, k, text, exc.message)
    fails.apply(code, use)
    return num_u, den_u


def _storage_column(
    table, rows, parcels, udays, day_of, opts: Options, fx, fails_of: Callable[[int], _Fails]
) -> np.ndarray:
    """Border-warehouse storage per row (kopecks) by `ratecalc.money.storage.storage_cost`, once per distinct
    (order day, days stored, volume); a row's `storage_days` column wins over `opts.storage_days`."""
    V = len(rows)
    code, texts = _encoded(table, "storage_days", rows)
    if all(t is None for t in texts) and opts.storage_days is None:
        return np.zeros(V, np.int64)
    if opts.scheme.lower() != "fbp":
        raise InputError("storage_days", "border-warehouse storage applies to the fbp scheme only (give scheme fbp)")
    days_u = np.full(len(texts), -1, np.int64)
    bad_text = fails_of(len(texts))
    for c, text in enumerate(texts):
        if text is None:
            days_u[c] = -1 if opts.storage_days is None else opts.storage_days
            continue
        try:
            n = int(text)
            check_storage_days(n, opts.scheme)
            days_u[c] = n
        except (ValueError, InputError):
            bad_text.set(c, "storage_days", text, f"a whole number of days from 0 to {MAX_STORAGE_DAYS}")
    bad_text.apply(code)
    stored = days_u[code]
    volume = parcels.dims_mm[:, 0] * parcels.dims_mm[:, 1] * parcels.dims_mm[:, 2]
    key = np.stack([day_of, np.maximum(stored, -1), volume], axis=1)
    ukeys, key_of = np.unique(key, axis=0, return_inverse=True)
    value_u = np.zeros(len(ukeys), np.int64)
    fails = fails_of(len(ukeys))
    for j, (d, n, vol) in enumerate(ukeys.tolist()):
        if n < 0:
            continue
        try:
            value_u[j] = storage_cost(n, vol, EPOCH_DAY0 + dt.timedelta(days=int(udays[d])), fx).amount_minor
        except InputError as exc:
            fails.set(j, "storage_days", str(n), exc.message)
    fails.apply(key_of.ravel())
    return value_u[key_of.ravel()]


# --------------------------------------------------------------------------- carrier prices in RUB, fee rules


@dataclass
class _Priced:
    """Long-form quotes (one entry per row × service) with the RUB figures economics needs."""

    pos: np.ndarray  # index of the row in the valid-row arrays
    service: np.ndarray
    table_row: np.ndarray
    ok: np.ndarray  # status ok, a RUB rate and a fee rule
    price: np.ndarray  # carrier price, minor units of its currency
    currency: np.ndarray
    chargeable: np.ndarray
    carrier_rub: np.ndarray  # kopecks
    fee_rule: np.ndarray  # index into rules (-1 none)
    rules: list[FeeRule]
    returns: RowRules  # every compiled row's return rules (indexed by table_row)


def _priced(
    compiled: CompiledTariffs, parcels: E.ParcelArrays, rows: np.ndarray, opts: Options, fx: Optional[FxChain]
) -> _Priced:
    ing = Ingested(parcels, rows, len(rows), RowErrors())
    q = quote_ingested(compiled, ing)
    pos = np.searchsorted(rows, q.row)
    ccy = compiled.table.currency[q.table_row].astype(np.int64)
    ok = q.status == E.STATUS_OK
    carrier_rub = np.zeros(len(q), np.int64)
    fee_idx = np.full(len(q), -1, np.int64)
    rules: list[FeeRule] = []
    rule_of: dict[str, int] = {}
    # per (currency, day): the rate and the fee rule; few distinct pairs, so a loop over pairs is cheap
    key = ccy * 1_000_000 + q.day
    uniq, inverse = np.unique(key[ok], return_inverse=True)
    okpos = np.flatnonzero(ok)
    for j, k in enumerate(uniq):
        cur, dayn = CURRENCIES[int(k // 1_000_000)], int(k % 1_000_000)
        day = EPOCH_DAY0 + dt.timedelta(days=dayn)
        sel = okpos[inverse == j]
        rule = select_rule(day, cur, opts.ozon_fee)
        if rule is None:
            continue
        if rule.id not in rule_of:
            rule_of[rule.id] = len(rules)
            rules.append(rule)
        if cur == "RUB":
            carrier_rub[sel] = q.price_minor[sel]
        else:
            quote, _ = rate_or_reason(fx, cur, day)
            if quote is None:
                continue
            num, den = ratio(quote.rate)
            carrier_rub[sel] = (2 * q.price_minor[sel] * num + den) // (2 * den)  # × rate, half-up (both 2-decimal)
        fee_idx[sel] = rule_of[rule.id]
    ok &= fee_idx >= 0
    ret = row_rules(compiled)
    for case, share in enumerate((opts.return_rate, opts.not_collected_rate)):
        if share:  # a rule whose words are not understood cannot be costed (never a guessed number)
            ok &= ~ret.unknown[case][q.table_row]
    return _Priced(
        pos, q.service, q.table_row, ok, q.price_minor, ccy, q.chargeable_g, carrier_rub, fee_idx, rules, ret
    )


def _fee(pr: _Priced, sel: np.ndarray, price: np.ndarray) -> np.ndarray:
    out = np.zeros(len(sel), np.int64)
    for k, rule in enumerate(pr.rules):
        m = pr.fee_rule[sel] == k
        if m.any():
            out[m] = fee_minor(rule, price[m])
    return out


@dataclass
class _Lines:
    """Every cost line of entries `sel` at prices `price` (kopecks)."""

    price: np.ndarray
    carrier: np.ndarray
    commission: np.ndarray
    rate: np.ndarray  # hundredths of a percent
    fee: np.ndarray
    other: np.ndarray  # acquiring + FX loss + ads + returns + not collected + storage
    returns: np.ndarray
    not_collected: np.ndarray
    costs: np.ndarray
    profit: np.ndarray
    invested: np.ndarray


def _lines(econ: _Econ, pr: _Priced, sel: np.ndarray, price: np.ndarray, opts: Options) -> _Lines:
    """The single-SKU rules (economics.Line) on arrays: each line rounded once, half-up to the kopeck."""
    pos = pr.pos[sel]
    carrier = pr.carrier_rub[sel]
    tier = (price[:, None] > econ.bounds[pos]).sum(axis=1)
    rate = econ.rates[pos, tier]
    commission = np.asarray(charge_minor(price, rate), np.int64)
    fee = _fee(pr, sel, price)
    other = np.zeros(len(sel), np.int64)
    for pct in (opts.acquiring, opts.fx_loss, opts.ads):
        if pct:
            num, den = ratio(Decimal(pct))
            other += pct_of_minor(price, num, den)
    back: list[np.ndarray] = []
    trow = pr.table_row[sel]
    for case, share in enumerate((opts.return_rate, opts.not_collected_rate)):
        cost = np.zeros(len(sel), np.int64)
        if share:
            num, den = ratio(Decimal(share))
            destroyed, s_num, s_den = pr.returns.at(case, trow, price)
            cost = cost_minor(  # type: ignore[assignment]
                num, den, destroyed, (s_num, s_den), carrier, econ.packaging[pos], econ.first_mile[pos],
                econ.purchase[pos],
            )  # fmt: skip
        back.append(cost)
    other += back[0] + back[1] + econ.storage[pos]
    costs = econ.fixed[pos] + carrier + commission + fee + other
    return _Lines(
        price, carrier, commission, rate, fee, other, back[0], back[1], costs, price - costs, econ.fixed[pos] + carrier
    )


def _meets(econ: _Econ, pos: np.ndarray, ln: _Lines) -> np.ndarray:
    margin = econ.mode[pos] == 1
    # margin: profit / price >= num / (den · 100)  <=>  profit · den · 100 >= num · price (exact integers)
    by_margin = ln.profit * econ.target_den[pos] * 100 >= econ.target_num[pos] * ln.price
    by_profit = ln.profit >= econ.target_num[pos]
    return np.where(margin, by_margin, by_profit)


# --------------------------------------------------------------------------- price segments (reverse)


def price_edges(compiled: CompiledTariffs, econ: _Econ, opts: Options) -> list[int]:
    """Last kopeck of every band where a cost line can jump (all epochs, tables and fee rules in play)."""
    edges: set[int] = set(int(b) for b in np.unique(econ.bounds) if b != BIG)
    for rule_id in [opts.ozon_fee] if opts.ozon_fee else ["flat-15", "percent-2"]:
        from ..money.fees import rule_by_id

        try:
            rule = rule_by_id(rule_id)
        except InputError:
            continue
        edges.update(int((p * 100).to_integral_value(rounding=ROUND_HALF_UP)) for p in fee_breakpoints(rule))
    for ep in compiled.epochs:
        for g in ep.groups:
            if g.price_currency == "RUB":
                if g.price_min_minor > 0:
                    edges.add(int(g.price_min_minor) - 1)
                if g.price_max_minor < 10**15:
                    edges.add(int(g.price_max_minor))
    for row in compiled.rows:
        mv = row.limits.max_declared_value
        if mv is not None and mv.currency == "RUB":
            edges.add(Money(Decimal(mv.amount), "RUB").to_minor())
    if opts.return_rate or opts.not_collected_rate:  # a return rule by order value changes the line there
        edges.update(value_limits(compiled))
    return sorted(e for e in edges if e > 0)


def _solve(econ: _Econ, pr: _Priced, sel: np.ndarray, a: int, b: int, opts: Options) -> np.ndarray:
    """Lowest price in [a, b] meeting each entry's target (-1: none), carrier answer constant on [a, b]:
    `money.target_price`, the solver `economics.reverse_price` uses for one SKU."""
    pos = pr.pos[sel]
    of_price = [ratio(Decimal(p)) for p in (opts.acquiring, opts.fx_loss, opts.ads)]
    # every line but commission, fee and the percentages of the price is constant on [a, b] (tiers, fee
    # bands, group bands and return rules by order value are segment edges): read it off the lines at a
    at_a = _lines(econ, pr, sel, np.full(len(sel), a, np.int64), opts)
    fixed = at_a.costs - at_a.commission - at_a.fee - sum(pct_of_minor(a, num, den) for num, den in of_price if num)
    margin = econ.mode[pos] == 1
    return TP.lowest(
        TP.terms(
            a,
            b,
            fixed,
            at_a.rate,
            pr.fee_rule[sel],
            pr.rules,
            of_price,
            np.where(margin, econ.target_num[pos], 0),
            np.where(margin, econ.target_den[pos], 1),
            np.where(margin, 0, econ.target_num[pos]),
        )
    )


# --------------------------------------------------------------------------- result


@dataclass
class CatalogueResult:
    table: pa.Table  # one row per costed SKU
    errors: RowErrors  # rows numbered across the file (row_offset added)
    n_input: int
    costed: int
    ingested: Ingested  # the engine's view of the chunk (its errors are `errors`), for the errors file


def signed_decimal(minor: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Signed integer hundredths -> an exact Arrow decimal128(18, 2) (null where not valid), no float."""
    n = len(minor)
    words = np.empty((n, 2), np.int64)
    words[:, 0] = np.where(valid, minor, 0)
    words[:, 1] = np.where(valid & (minor < 0), -1, 0)  # two's complement: sign-extend into the high word
    return pa.Array.from_buffers(
        pa.decimal128(18, 2),
        n,
        [pa.py_buffer(np.packbits(valid, bitorder="little")), pa.py_buffer(words)],
        null_count=int((~valid).sum()),
    )


def _pct_hundredths(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den as a percentage in hundredths, rounded half-up (toward +inf at .5); den > 0."""
    d = np.where(den > 0, den, 1)
    return (2 * num * 10_000 + d) // (2 * d)


def _chosen_table(
    compiled: CompiledTariffs,
    econ: _Econ,
    valid_rows: np.ndarray,
    sku: Optional[pa.Array],
    picks: dict,
    row_offset: int,
) -> pa.Table:
    has = picks["service"] >= 0
    V = len(valid_rows)
    svc = np.where(has, picks["service"], 0)
    t = compiled.table
    trow = np.where(has, picks["table_row"], 0)

    def text(values: np.ndarray, mask: np.ndarray) -> pa.Array:
        return pa.array(values, pa.string(), mask=mask)

    ids = _obj([s.id for s in compiled.services])
    carriers = _obj([s.carrier_id for s in compiled.services])
    cur = t.currency[trow].astype(np.int64) if len(t.currency) else np.zeros(V, np.int64)
    dmin = t.days_min[trow] if len(t.days_min) else np.full(V, -1)
    dmax = t.days_max[trow] if len(t.days_max) else np.full(V, -1)
    priced = has & (picks["sale"] > 0)
    cols: dict[str, pa.Array] = {"row": pa.array(valid_rows + row_offset, pa.int64())}
    if sku is not None:
        cols["sku"] = sku.take(pa.array(valid_rows, pa.int64()))
    cols["category"] = pa.array(econ.category, pa.string())
    cols["brand"] = pa.array(econ.brand, pa.string())
    cols["mode"] = pa.array(_obj(["forward", "target_margin", "target_profit"])[econ.mode], pa.string())
    cols["target"] = pa.array(econ.target_text, pa.string())
    cols["service_id"] = text(ids[svc], ~has)
    cols["carrier_id"] = text(carriers[svc], ~has)
    cols["chargeable_weight_g"] = pa.array(picks["chargeable"], pa.int64(), mask=~has)
    cols["price"] = minor_to_decimal(np.where(has, picks["price"], -1))
    cols["currency"] = text(_obj(list(CURRENCIES))[cur], ~has)
    cols["days_min"] = pa.array(dmin, pa.int32(), mask=~has | (dmin < 0))
    cols["days_max"] = pa.array(dmax, pa.int32(), mask=~has | (dmax < 0))
    cols["sale_price"] = minor_to_decimal(np.where(picks["sale"] > 0, picks["sale"], -1))
    for name in ("carrier", "commission", "fee", "other", "costs"):
        label = {"fee": "ozon_fee_rub"}.get(name, f"{name}_rub")
        cols[label] = minor_to_decimal(np.where(has, picks[name], -1))
        if name == "commission":
            cols["commission_pct"] = signed_decimal(picks["rate"], has)
            cols["commission_confidence"] = pa.array(econ.confidence, pa.string())
            cols["commission_table"] = pa.array(econ.table_id, pa.string())
    cols["purchase_rub"] = minor_to_decimal(econ.purchase)
    cols["packaging_rub"] = minor_to_decimal(econ.packaging)
    cols["first_mile_rub"] = minor_to_decimal(econ.first_mile)
    cols["returns_rub"] = minor_to_decimal(np.where(has, picks["returns"], -1))
    cols["not_collected_rub"] = minor_to_decimal(np.where(has, picks["not_collected"], -1))
    cols["storage_rub"] = minor_to_decimal(econ.storage)
    rr = row_rules(compiled)
    if rr.rules:  # per compiled row, read by index (no loop per SKU); a rule by order value at the sale price
        for case, name in enumerate(("returns_rule", "not_collected_rule")):
            lim = rr.limit[case]
            lo = _obj([p[case].at(int(lim[i])).rule for i, p in enumerate(rr.rules)])
            hi = _obj([p[case].at(int(lim[i]) + 1).rule for i, p in enumerate(rr.rules)])
            cols[name] = text(np.where(picks["sale"] > lim[trow], hi[trow], lo[trow]), ~has)
        cols["returns_source"] = text(_obj([_source(p[0]) for p in rr.rules])[trow], ~has)
    else:
        for name in ("returns_rule", "not_collected_rule", "returns_source"):
            cols[name] = pa.nulls(V, pa.string())
    cols["profit_rub"] = signed_decimal(picks["profit"], has)
    cols["margin_pct"] = signed_decimal(_pct_hundredths(picks["profit"], picks["sale"]), priced)
    cols["roi_pct"] = signed_decimal(_pct_hundredths(picks["profit"], picks["invested"]), has & (picks["invested"] > 0))
    reason = _obj(list(picks["reason"]))
    cols["tied_with"] = pa.array(list(picks["tied"]), pa.string())
    cols["no_choice"] = text(reason, has)
    return pa.table(cols)


def _source(rule) -> Optional[str]:
    """Where a row's return rule is written: the rate sheet row, else the tariff version's first source."""
    return rule.source_row or rule.source


def cost_catalogue(
    batch: Union[pa.Table, pa.RecordBatch],
    compiled: CompiledTariffs,
    fx: Optional[FxChain],
    opts: Options = Options(),
    *,
    date: Union[str, dt.date, None] = None,
    mapping: Optional[Mapping[str, str]] = None,
    row_offset: int = 0,
) -> CatalogueResult:
    """One chunk of a catalogue -> one row per SKU that could be costed (+ errors for the others).

    `compiled` holds the lanes of `opts.scheme` (`TariffSet.compiled(readings, scheme)`)."""
    if compiled.scheme != opts.scheme.lower():
        raise InputError(
            "scheme", f"the tariffs given hold the {compiled.scheme} lanes, the options ask for {opts.scheme}"
        )
    table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    mapping = dict(mapping or {})
    own = {canon: mapping.pop(canon) for canon in list(mapping) if canon in ECONOMICS_COLUMNS}
    for canon, given in own.items():  # --map category=Kategorie: the economics columns are renamed here
        if given not in table.column_names:
            raise InputError("mapping", f"column {given!r} (mapped to {canon}) is not in the input")
    table = _canonical(table.rename_columns([{v: k for k, v in own.items()}.get(c, c) for c in table.column_names]))
    for name in MONEY_COLUMNS:
        if name in table.column_names and pa.types.is_floating(table.schema.field(name).type):
            raise InputError(name, "money is never read from a float: store the column as text or a decimal")
    n = table.num_rows
    # the engine's columns: the sale price is the declared price (reverse rows get theirs per segment)
    sale_text = _text_column(table, "sale_price", n) or [None] * n
    declared = pa.array([s if s else "1" for s in sale_text], pa.string())
    engine_in = table.drop_columns([c for c in table.column_names if c in ECONOMICS_COLUMNS or c == "currency"])
    engine_in = engine_in.append_column("declared_value", declared).append_column(
        "currency", pa.array(["RUB"] * n, pa.string())
    )
    ing = ingest(engine_in, compiled=compiled, date=date, mapping=mapping)
    errors = ing.errors
    if len(errors):  # a bad sale price is the seller's sale_price column, not a declared value
        errors.column = ["sale_price" if c in ("declared_value", "currency") else c for c in errors.column]
    good, econ = _economics_columns(table, ing.rows, ing.parcels, opts, fx, errors)
    keep = np.flatnonzero(good)
    econ = _sub_econ(econ, keep)
    parcels = ing.parcels.take(keep)
    rows = ing.rows[keep]
    V = len(rows)
    picks = {k: np.full(V, -1, np.int64) for k in ("service", "table_row", "chargeable", "price")}
    for k in ("sale", "carrier", "rate", "commission", "fee", "other", "returns", "not_collected", "costs"):
        picks[k] = np.zeros(V, np.int64)
    for k in ("profit", "invested"):
        picks[k] = np.zeros(V, np.int64)
    reason = [""] * V
    picks["tied"] = [""] * V  # type: ignore[assignment]  # services tied with the chosen one (pricing.ties)
    fwd = np.flatnonzero(econ.mode == 0)
    if len(fwd):
        sub = parcels.take(fwd)
        sub = dataclasses.replace(sub, value_minor=econ.sale[fwd], value_ccy=np.full(len(fwd), RUB_INDEX, np.int64))
        _forward(compiled, sub, fwd, econ, opts, fx, picks, reason)
    rev = np.flatnonzero(econ.mode > 0)
    if len(rev):
        _reverse(compiled, parcels, rev, econ, opts, fx, picks, reason)
    picks["reason"] = reason  # type: ignore[assignment]
    out = _chosen_table(compiled, econ, rows, ing.sku, picks, row_offset)
    if row_offset:
        errors.row = [r + row_offset for r in errors.row]
    return CatalogueResult(out, errors, n, V, ing)


def _take_pick(picks: dict[str, np.ndarray], at: np.ndarray, pr: _Priced, sel: np.ndarray, ln: _Lines) -> None:
    picks["service"][at] = pr.service[sel]
    picks["table_row"][at] = pr.table_row[sel]
    picks["chargeable"][at] = pr.chargeable[sel]
    picks["price"][at] = pr.price[sel]
    picks["sale"][at] = ln.price
    picks["carrier"][at] = ln.carrier
    picks["rate"][at] = ln.rate
    picks["commission"][at] = ln.commission
    picks["fee"][at] = ln.fee
    picks["other"][at] = ln.other
    picks["returns"][at] = ln.returns
    picks["not_collected"][at] = ln.not_collected
    picks["costs"][at] = ln.costs
    picks["profit"][at] = ln.profit
    picks["invested"][at] = ln.invested


def _take_tied(compiled, picks, at: np.ndarray, pr: _Priced, entries: np.ndarray, first: np.ndarray) -> None:
    """The services that tie with each row's chosen one (same price, days and rules): the same costs and
    profit, so the row names them all instead of only the first by name."""
    from ..pricing.ties import row_rule_codes, tied_columns

    ids = [s.id for s in compiled.services]
    rules = compiled.cache.get("tie_rules")
    if rules is None:
        rules = compiled.cache["tie_rules"] = row_rule_codes(compiled.table)
    texts = tied_columns(
        rules, pr.pos[entries], pr.service[entries], pr.table_row[entries], pr.price[entries], first, ids
    )
    for r, text in zip(at.tolist(), texts):
        picks["tied"][r] = text


def _service_rank(compiled: CompiledTariffs) -> np.ndarray:
    """Rank of each service by (name, id): the single-SKU answer's order among equally profitable lines."""
    keys = [(s.name, s.id) for s in compiled.services]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    rank = np.empty(len(keys), np.int64)
    rank[order] = np.arange(len(keys))
    return rank


def _forward(compiled, parcels, at_rows, econ, opts, fx, picks, reason) -> None:
    """Most profitable service per row at its sale price (ties: service name, then id, as `economics`)."""
    pr = _priced(compiled, parcels, np.arange(len(at_rows)), opts, fx)
    sel = np.flatnonzero(pr.ok)
    sub_pos = pr.pos[sel]
    sale_of = econ.sale[at_rows]
    ln = _lines(_sub_econ(econ, at_rows), pr, sel, sale_of[sub_pos], opts)
    first = _best_per_row(sub_pos, [-ln.profit, _service_rank(compiled)[pr.service[sel]]])
    chosen = sel[first]
    ln_c = _lines(_sub_econ(econ, at_rows), pr, chosen, sale_of[pr.pos[chosen]], opts)
    _take_pick(picks, at_rows[pr.pos[chosen]], pr, chosen, ln_c)
    _take_tied(compiled, picks, at_rows[pr.pos[chosen]], pr, sel, first)
    got = np.zeros(len(at_rows), bool)
    got[pr.pos[chosen]] = True
    for i in np.flatnonzero(~got):
        reason[int(at_rows[i])] = "no_priced_service_in_rub"
        picks["sale"][at_rows[i]] = sale_of[i]


def _best_per_row(pos: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """Index of the best entry per row: `pos` ascending (entries of a row together); `keys` are minimized
    in priority order, the first entry winning a full tie. O(N) with reduceat (no lexsort)."""
    if not len(pos):
        return np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, pos[1:] != pos[:-1]])
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(pos)]))
    cand = np.ones(len(pos), bool)
    for k in keys:
        masked = np.where(cand, k, BIG)
        cand &= masked == np.minimum.reduceat(masked, starts)[group]
    idx = np.flatnonzero(cand)
    g = group[idx]
    return idx[np.r_[True, g[1:] != g[:-1]]]


def _sub_econ(econ: _Econ, idx: np.ndarray) -> _Econ:
    return _Econ(*(getattr(econ, f.name)[idx] for f in dataclasses.fields(_Econ)))


def _reverse(compiled, parcels, at_rows, econ, opts, fx, picks, reason) -> None:
    """Lowest price per row reaching its target, segment by segment from the lowest price."""
    sub_econ = _sub_econ(econ, at_rows)
    edges = price_edges(compiled, sub_econ, opts)
    hi = int(opts.max_price * 100)
    segs, start = [], 1
    for e in edges:
        if start <= e < hi:
            segs.append((start, e))
            start = e + 1
    segs.append((start, hi))
    todo = np.arange(len(at_rows))  # positions (in at_rows) still without a price
    rank = _service_rank(compiled)
    # no price below (fixed costs + target profit) / (1 - target margin) can reach the target: every other
    # cost line is >= 0. A row skips the segments below that bound (one kopeck of slack for the division).
    m = np.where(sub_econ.mode == 1, sub_econ.target_num / (sub_econ.target_den * 100.0), 0.0)
    t = np.where(sub_econ.mode == 2, sub_econ.target_num, 0)
    lower = np.floor((sub_econ.fixed + t) / np.maximum(1 - m, 1e-9)) - 1
    for a, b in segs:
        if not len(todo):
            break
        active = lower[todo] <= b
        if not active.any():
            continue
        waiting, todo = todo[~active], todo[active]
        _reverse_segment(compiled, parcels, at_rows, sub_econ, todo, a, b, opts, fx, picks, rank)
        todo = np.concatenate([waiting, todo[picks["service"][at_rows[todo]] < 0]])
        todo.sort()
    for i in todo:
        reason[int(at_rows[i])] = "target_not_reached"


def _reverse_segment(compiled, parcels, at_rows, sub_econ, todo, a, b, opts, fx, picks, rank) -> None:
    """One price segment [a, b] for the rows `todo` (positions in at_rows): record the rows found."""
    sub = parcels.take(at_rows[todo])
    sub = dataclasses.replace(
        sub, value_minor=np.full(len(todo), a, np.int64), value_ccy=np.full(len(todo), RUB_INDEX, np.int64)
    )
    e_sub = _sub_econ(sub_econ, todo)
    pr = _priced(compiled, sub, np.arange(len(todo)), opts, fx)
    sel = np.flatnonzero(pr.ok)
    if not len(sel):
        return
    found = _solve(e_sub, pr, sel, a, b, opts)
    hit = sel[found >= 0]
    price = found[found >= 0]
    if not len(hit):
        return
    pos = pr.pos[hit]
    first = _best_per_row(pos, [price, rank[pr.service[hit]]])
    chosen = hit[first]
    ln_c = _lines(e_sub, pr, chosen, price[first], opts)
    _take_pick(picks, at_rows[todo[pr.pos[chosen]]], pr, chosen, ln_c)
    _take_tied(compiled, picks, at_rows[todo[pr.pos[chosen]]], pr, hit, first)


def _sliced(chunks, rows: Optional[int]):
    """The chunks as they are, or cut into slices of `rows` rows (an empty chunk passes as it is)."""
    for chunk in chunks:
        n = chunk.table.num_rows
        if not rows or n <= rows:
            yield chunk
            continue
        for start in range(0, n, rows):
            yield chunk.slice(start, rows)


def cost_file(
    input_path: Union[str, Path],
    output_path: Union[str, Path],
    compiled: CompiledTariffs,
    fx: Optional[FxChain],
    opts: Options = Options(),
    *,
    date: Union[str, dt.date, None] = None,
    mapping: Optional[Mapping[str, str]] = None,
    errors_path: Union[str, Path, None] = None,
    input_format: Optional[str] = None,
    output_format: Optional[str] = None,
    delimiter: str = ",",
    progress: Optional[Progress] = None,
    slice_rows: Optional[int] = None,
) -> BatchSummary:
    """A catalogue file (CSV/Parquet, read in chunks as `ratecalc batch` reads it) -> one row per SKU.

    The errors file (default OUTPUT-stem.errors.csv) is written only when some row failed, as in `batch`.
    Raises InputError for problems of the whole file (missing, no category / purchase cost / price column).
    `slice_rows`: cost each chunk in slices of this many rows, calling `progress` after each (the page's
    upload shows its progress this way); every row is costed on its own, so the answer is the same.
    """
    from . import batchfile as bf

    in_fmt = bf.file_format(input_path, input_format)
    out_fmt = bf.file_format(output_path, output_format)
    out_path = Path(output_path)
    err_path = Path(errors_path) if errors_path else bf.default_errors_path(out_path)
    bf.check_paths([("output", out_path), ("errors", err_path)], [("input", input_path)])
    summary = bf.BatchSummary(output=out_path, errors_path=err_path)
    writer = bf._Writer(out_path, out_fmt)
    err_writer = bf._Writer(err_path, "csv", field="errors")
    empty: Optional[pa.Table] = None
    try:
        for chunk in _sliced(bf.read_chunks(input_path, in_fmt, delimiter=delimiter), slice_rows):
            if chunk.table.num_rows == 0:
                empty = chunk.table
                continue
            offset = summary.rows
            res = cost_catalogue(chunk.table, compiled, fx, opts, date=date, mapping=mapping, row_offset=offset)
            if chunk.malformed:  # a line that is not CSV: one error, not one per empty column
                bf._report_malformed(res.ingested, chunk, offset)
            writer.write(res.table)
            if len(res.errors):
                err_writer.write(bf._errors_table(res.ingested, chunk, offset))
                summary.count(res.errors.column, res.errors.reason)
            summary.rows += res.n_input
            summary.quoted += res.costed
            summary.failed += res.n_input - res.costed
            summary.errors += len(res.errors)
            summary.output_rows += res.table.num_rows
            if progress is not None:
                progress(summary.rows, chunk.nbytes)
        if writer.schema is None:  # header only: a valid empty output with the result's columns
            header = empty if empty is not None else bf.empty_input(input_path, in_fmt, delimiter)
            writer.write(
                cost_catalogue(header, compiled, fx, opts, date=date or dt.date.today(), mapping=mapping).table
            )
    except BaseException:
        writer.discard()
        err_writer.discard()
        raise
    bf.finish_outputs(writer, err_writer, summary)  # as `ratecalc batch`: errors file only on failures
    return summary


__all__ = [
    "ALIASES",
    "CatalogueResult",
    "ECONOMICS_COLUMNS",
    "Options",
    "cost_catalogue",
    "cost_file",
    "price_edges",
]
