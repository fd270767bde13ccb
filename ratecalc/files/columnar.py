"""Whole catalogues as columns: validated ingestion, one engine run, a long-form columnar result.

Why a second entry point next to `TariffSet.quote_many`: a catalogue of 10^4-10^7 SKUs must never become
Python objects per parcel. Columns (numpy arrays in a dict, a pandas DataFrame or an Arrow table) are
checked with vectorized Arrow/numpy operations; a bad row (missing, unparseable, negative, beyond the input
limits, no RUB price where the group model needs it) is reported in `errors` with its row number and reason
and left out, while every other row is quoted. The result is long form, one row per parcel x service in
force, with the same numbers (to the unit) as a single quote of that parcel.

Input columns (rename others with `mapping={"canonical": "yours"}`):

============== =====================================================================================
weight_g       actual weight in grams (or `weight_kg` in kilograms); fractions round **up** to the gram
length_mm ...  `length_mm`, `width_mm`, `height_mm` (or `*_cm`); any order, sorted longest first;
               fractions round **up** to the millimetre
declared_value optional; a decimal as text, Decimal or integer ("1500", "12.50", "1500RUB");
               money is never read from a float. Rounded half-up to the currency's minor unit
currency       optional; ISO code of declared_value when the value carries none
order_date     optional (else `date=`); a date, a timestamp or text YYYY-MM-DD
delivery       optional; pickup_point (default) or courier
battery        optional; true/false, 1/0, yes/no (empty = false)
liquid         optional; as battery
sku            optional; any identifier, carried through to the result
scheme         optional; rfbs or fbp (Ozon's border warehouse): whose lanes the row is quoted against;
               empty = the caller's default (see `quote_schemes`)
============== =====================================================================================

Decimal text is read exactly with up to 9 decimal places and 9 integer digits.
"""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Literal, Mapping, NamedTuple, Optional, Sequence, Union

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..pricing import engine as E
from ..pricing.engine import ParcelArrays
from ..pricing.groups import group_input_error, require_group_inputs
from ..pricing.parcels import DATE_PATTERN, DELIVERY_ALIASES, parse_date
from ..pricing.tariffset import TariffSet, default_tariffs
from ..tariffdata.compile import CURRENCIES, CompiledTariffs, day_number
from ..tariffdata.schema import SCHEMES
from ..units import CURRENCY_EXPONENT, MAX_SIDE_MM, MAX_WEIGHT_G, SPACE, decimal_pattern, explain_number

_PRICE_SCALE = CURRENCY_EXPONENT[CURRENCIES[0]]
if any(CURRENCY_EXPONENT[c] != _PRICE_SCALE for c in CURRENCIES):  # pragma: no cover - all are 2 today
    raise ImportError("columnar prices assume one minor-unit exponent for every currency")

_SCALE = 10**9  # fixed-point scale of decimal text (9 decimal places)
# the one number grammar of ratecalc.units (ASCII digits, no comma before exactly three digits), in RE2
_NUMBER_RE = rf"^{SPACE}(?P<num>{decimal_pattern(9, 9)}){SPACE}(?P<ccy>[A-Za-z]{{3}})?{SPACE}$"
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}

INPUT_COLUMNS = (
    "weight_g",
    "length_mm",
    "width_mm",
    "height_mm",
    "declared_value",
    "currency",
    "order_date",
    "delivery",
    "battery",
    "liquid",
    "sku",
    "scheme",
)
# alternative unit columns: name -> (canonical name, factor to the canonical unit)
_UNIT_ALTERNATIVES = {
    "weight_kg": ("weight_g", 1000),
    "length_cm": ("length_mm", 10),
    "width_cm": ("width_mm", 10),
    "height_cm": ("height_mm", 10),
}

# Long-form reason codes: index 0 = none; then the engine's table; then the context codes.
CODE_NAMES: tuple[str, ...] = (
    (None,)  # type: ignore[assignment]
    + tuple(E.REASON_CODES.values())
    + (E.CODE_RATE_UNPUBLISHED, E.CODE_DECLARED_VALUE_REQUIRED, E.CODE_NO_RATE_FOR_GROUP)
)
_CODE_INDEX = {c: i for i, c in enumerate(CODE_NAMES)}


def _first_code_table() -> np.ndarray:
    """LUT over the low 10 reason bits: index of the first blocking code, in the order quotes list them."""
    lut = np.zeros(1 << 10, dtype=np.uint8)
    order = [b for b in E.REASON_CODES if b & E.BLOCKING]
    for bits in range(1, 1 << 10):
        for b in order:
            if bits & b:
                lut[bits] = _CODE_INDEX[E.REASON_CODES[b]]
                break
    return lut


_FIRST_CODE = _first_code_table()

# long-form columns that never hold a null (declared non-nullable; Parquet stores them as required)
LONG_FORM_REQUIRED = frozenset(
    {"row", "service_id", "carrier_id", "status", "reasons", "chargeable_weight_g", "currency"}
)

Columns = Union[pa.Table, "Any", Mapping[str, Any]]  # Arrow table, pandas DataFrame, dict of arrays


@dataclass
class RowErrors:
    """Rows that could not be quoted: row number (0 = first data row), column, the value as text, why."""

    row: list[int] = field(default_factory=list)
    column: list[str] = field(default_factory=list)
    value: list[Optional[str]] = field(default_factory=list)
    reason: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.row)

    def add(self, rows: np.ndarray, column: str, values: Optional[pa.Array], reason: str) -> None:
        if len(rows) == 0:
            return
        texts: list[Optional[str]]
        if values is None:
            texts = [None] * len(rows)
        else:
            taken = values.take(pa.array(rows, pa.int64()))
            texts = [None if v is None else str(v) for v in taken.to_pylist()]
        self.row.extend(int(r) for r in rows)
        self.column.extend([column] * len(rows))
        self.value.extend(texts)
        self.reason.extend([reason] * len(rows))

    def add_each(self, rows: np.ndarray, column: str, values: pa.Array, reasons: list[str]) -> None:
        """`add` with a reason per row."""
        self.add(rows, column, values, "")
        self.reason[len(self.reason) - len(rows) :] = reasons

    def to_arrow(self, offset: int = 0) -> pa.Table:
        order = np.argsort(np.asarray(self.row, dtype=np.int64), kind="stable")
        return pa.table(
            {
                "row": pa.array(np.asarray(self.row, dtype=np.int64)[order] + offset, pa.int64()),
                "column": pa.array([self.column[i] for i in order], pa.string()),
                "value": pa.array([self.value[i] for i in order], pa.string()),
                "reason": pa.array([self.reason[i] for i in order], pa.string()),
            }
        )


@dataclass
class Ingested:
    """Valid rows as engine columns, where they came from, and the rows that failed."""

    parcels: ParcelArrays
    rows: np.ndarray  # (V,) input row of each valid parcel
    n_input: int
    errors: RowErrors
    sku: Optional[pa.Array] = None  # (n_input,) as given
    scheme: Optional[np.ndarray] = None  # (V,) per valid row: -1 the default, else an index into SCHEMES

    def take(self, idx: np.ndarray) -> Ingested:
        """The valid rows at `idx` (errors stay with the whole: they are reported once)."""
        scheme = None if self.scheme is None else self.scheme[idx]
        return Ingested(self.parcels.take(idx), self.rows[idx], self.n_input, RowErrors(), self.sku, scheme)


# ---------------------------------------------------------------------------------------------------------
# Ingestion


def to_arrow_table(data: Columns) -> pa.Table:
    """An Arrow table from a dict of arrays/lists, a pandas DataFrame or an Arrow table (no copy if Arrow)."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if hasattr(data, "columns") and hasattr(data, "dtypes"):  # pandas DataFrame
        try:
            return pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # mixed-type object columns
            return pa.table({str(k): _array(data[k].to_numpy()) for k in data.columns})
    if isinstance(data, Mapping):
        lengths = {len(v) for v in data.values() if not isinstance(v, (str, bytes, int, float)) and np.ndim(v) > 0}
        n = lengths.pop() if len(lengths) == 1 else None
        cols = {}
        for k, v in data.items():
            if isinstance(v, (pa.Array, pa.ChunkedArray)):
                cols[str(k)] = v
            elif np.ndim(v) == 0 and n is not None:  # a scalar: the same value on every row
                cols[str(k)] = _array([v] * n)
            else:
                cols[str(k)] = _array(v)
        return pa.table(cols)
    raise InputError("data", f"cannot read columns from a {type(data).__name__}; give a dict, DataFrame or Arrow table")


def _array(values: Any) -> pa.Array:
    """One column; values of mixed Python types (a spreadsheet column) are kept as their text."""
    arr = np.asarray(values)
    if arr.dtype != object:
        return pa.array(arr)
    items = arr.tolist()
    try:
        return pa.array(items, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array([None if _is_missing(v) else str(v) for v in items], pa.string())


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _combined(col: Union[pa.Array, pa.ChunkedArray]) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col


def _as_text(col: pa.Array, name: str) -> pa.Array:
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return col.cast(pa.string())
    if pa.types.is_null(t):
        return pa.nulls(len(col), pa.string())
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_boolean(t):
        return col.cast(pa.string())
    raise InputError(name, f"column {name!r} has type {t}; expected numbers or text")


def _fixed_point(
    col: pa.Array, name: str, errors: RowErrors, *, money: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Optional[pa.Array]]:
    """Decimal text (or integers) -> int64 fixed point (x 10^9), exactly.

    Returns (values, ok, rejected, currency suffixes). Null or empty text is neither ok nor rejected
    (*missing*): the caller decides whether the column is required. Plain numbers ("400", "12.50") take a
    fast path (a match and a cast); only the other rows go through the general regex parser, which gives
    the same values for plain numbers and explains every rejected row.
    """
    n = len(col)
    t = col.type
    if money and pa.types.is_floating(t):
        present = col.is_valid().to_numpy(zero_copy_only=False)
        errors.add(
            np.flatnonzero(present), name, col, "money is never read from a float: give the amount as text or a decimal"
        )
        return np.zeros(n, np.int64), np.zeros(n, bool), present, None
    if pa.types.is_integer(t):
        present = col.is_valid().to_numpy(zero_copy_only=False)
        raw = pc.fill_null(col, 0).to_numpy(zero_copy_only=False).astype(np.int64)
        negative = present & (raw < 0)
        big = present & (raw >= 10**9)
        errors.add(np.flatnonzero(negative), name, col.cast(pa.string()), "must not be negative")
        errors.add(np.flatnonzero(big), name, col.cast(pa.string()), _TOO_BIG)
        ok = present & ~negative & ~big
        ccy = _empty_texts(n) if money else None
        return np.where(ok, raw, 0) * _SCALE, ok, negative | big, ccy
    text = _as_text(col, name)
    present = pc.fill_null(pc.greater(pc.binary_length(text), 0), False).to_numpy(zero_copy_only=False)
    values = np.zeros(n, np.int64)
    ok = np.zeros(n, bool)
    rejected = np.zeros(n, bool)
    suffix = None
    rest = present.copy()
    for target in (pa.int64(), pa.decimal128(24, 9)):
        if not rest.any():
            break
        idx = np.flatnonzero(rest)
        sub = text if len(idx) == n else text.take(pa.array(idx, pa.int64()))
        plain = _plain_int(sub) if target == pa.int64() else _plain_decimal(sub)
        if not plain.any():
            continue
        hit = idx[plain]
        part = sub if plain.all() else sub.filter(pa.array(plain))
        if target == pa.int64():
            values[hit] = pc.cast(part, target).to_numpy(zero_copy_only=False) * _SCALE
        else:
            dec = pc.cast(part, target)
            m = len(dec)
            words = np.frombuffer(dec.buffers()[1], dtype=np.int64).reshape(-1, 2)[dec.offset : dec.offset + m]
            values[hit] = words[:, 0]
        ok[hit] = True
        rest[hit] = False
    if rest.any():  # the general parser for what is left: spaces, commas, suffixes, signs, junk
        idx = np.flatnonzero(rest)
        sub = text.take(pa.array(idx, pa.int64()))
        local = RowErrors()
        v, o, r, c = _fixed_point_general(sub, name, local, money=money)
        values[idx] = v
        ok[idx] = o
        rejected[idx] = r
        for row, column, value, reason in zip(local.row, local.column, local.value, local.reason):
            errors.row.append(int(idx[row]))
            errors.column.append(column)
            errors.value.append(value)
            errors.reason.append(reason)
        if money and c is not None:
            suffix = pc.replace_with_mask(_empty_texts(n), pa.array(rest), pc.fill_null(c, "").cast(pa.string()))
    ccy = (suffix if suffix is not None else _empty_texts(n)) if money else None
    return values, ok, rejected, ccy


def _plain_int(text: pa.Array) -> np.ndarray:
    """Where text matches _PLAIN_INT_RE (1-9 ASCII digits), without a regex: ~5x faster on a catalogue
    column (a test checks both agree)."""
    digits = pc.fill_null(pc.ascii_is_decimal(text), False).to_numpy(zero_copy_only=False)
    length = pc.fill_null(pc.binary_length(text), 0).to_numpy(zero_copy_only=False)
    return digits & (length <= 9)


def _plain_decimal(text: pa.Array) -> np.ndarray:
    """Where text matches _PLAIN_DEC_RE (1-9 digits, optionally a point and 1-9 digits), without a regex:
    the text less its first point is all ASCII digits, and the point (if any) leaves 1-9 digits each side."""
    length = pc.fill_null(pc.binary_length(text), 0).to_numpy(zero_copy_only=False)
    point = pc.fill_null(pc.find_substring(text, "."), -1).to_numpy(zero_copy_only=False)
    digits = pc.ascii_is_decimal(pc.replace_substring(text, ".", "", max_replacements=1))
    digits = pc.fill_null(digits, False).to_numpy(zero_copy_only=False)
    whole = (point < 0) & (length <= 9)
    fraction = length - point - 1
    split = (point >= 1) & (point <= 9) & (fraction >= 1) & (fraction <= 9)
    return digits & (whole | split)


def _empty_texts(n: int) -> pa.Array:
    """n empty strings, built from buffers (no Python string per row)."""
    return pa.StringArray.from_buffers(n, pa.py_buffer(np.zeros(n + 1, np.int32)), pa.py_buffer(b""))


def _fixed_point_general(
    col: pa.Array, name: str, errors: RowErrors, *, money: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Optional[pa.Array]]:
    """Decimal text -> int64 fixed point (x 10^9), exactly.

    Returns (values, ok, rejected, currency suffixes). Null or empty text is neither ok nor rejected
    (*missing*): the caller decides whether the column is required.
    """
    if money and pa.types.is_floating(col.type):
        present = col.is_valid().to_numpy(zero_copy_only=False)
        errors.add(
            np.flatnonzero(present), name, col, "money is never read from a float: give the amount as text or a decimal"
        )
        n = len(col)
        return np.zeros(n, np.int64), np.zeros(n, bool), present, None
    text = _as_text(col, name)
    n = len(text)
    trimmed = pc.utf8_trim_whitespace(text)
    present = pc.fill_null(pc.greater(pc.utf8_length(trimmed), 0), False).to_numpy(zero_copy_only=False)
    parts = pc.extract_regex(text, _NUMBER_RE)
    matched = pc.fill_null(parts.is_valid(), False).to_numpy(zero_copy_only=False) & present
    bad = np.flatnonzero(present & ~matched)
    if bad.size:
        raw = trimmed.take(pa.array(bad, pa.int64())).to_pylist()
        negative = np.array([r.startswith("-") for r in raw], dtype=bool)
        errors.add(bad[negative], name, text, "must not be negative")
        # a grammar reason (non-ASCII digits, an ambiguous comma) where there is one, once per distinct text
        why = {r: explain_number(r, "400 or 0.4") for r in set(raw)}
        reasons = [None if neg else why[r] for r, neg in zip(raw, negative)]
        grammar = np.array([r is not None for r in reasons], dtype=bool)
        if grammar.any():
            errors.add_each(bad[grammar], name, text, [r for r in reasons if r is not None])
        errors.add(bad[~negative & ~grammar], name, text, _TOO_BIG)
    num = pc.replace_substring(pc.struct_field(parts, "num"), ",", ".")
    num = pc.if_else(pa.array(matched), num, pa.scalar("0"))
    dec = pc.cast(num, pa.decimal128(24, 9))
    words = np.frombuffer(dec.buffers()[1], dtype=np.int64).reshape(-1, 2)[dec.offset : dec.offset + n]
    values = np.ascontiguousarray(words[:, 0])
    ccy = pc.struct_field(parts, "ccy") if money else None
    if not money:
        with_suffix = pc.fill_null(pc.greater(pc.utf8_length(pc.struct_field(parts, "ccy")), 0), False)
        suffixed = np.flatnonzero(with_suffix.to_numpy(zero_copy_only=False) & matched)
        errors.add(suffixed, name, text, "a plain number is expected here (the unit is in the column name)")
        matched[suffixed] = False
    rejected = present & ~matched
    return values, matched, rejected, ccy


_PLAIN_INT_RE = r"^[0-9]{1,9}$"
_PLAIN_DEC_RE = r"^[0-9]{1,9}(\.[0-9]{1,9})?$"
_TOO_BIG = "not a number (digits with at most 9 decimals and 9 integer digits)"


def _whole_units(fixed: np.ndarray, factor: int) -> np.ndarray:
    """ceil(x * factor) for x in 10^-9 fixed point (weights and sides round up)."""
    return -((-(fixed * factor)) // _SCALE)


def _bools(col: Optional[pa.Array], name: str, n: int, errors: RowErrors, bad: np.ndarray) -> np.ndarray:
    if col is None:
        return np.zeros(n, bool)
    if pa.types.is_boolean(col.type):
        return pc.fill_null(col, False).to_numpy(zero_copy_only=False).astype(bool)
    text = pc.utf8_lower(pc.utf8_trim_whitespace(_as_text(col, name)))
    text = pc.fill_null(text, "")
    is_true = pc.is_in(text, value_set=pa.array(sorted(_TRUE))).to_numpy(zero_copy_only=False)
    is_false = pc.is_in(text, value_set=pa.array(sorted(_FALSE))).to_numpy(zero_copy_only=False)
    wrong = np.flatnonzero(~(is_true | is_false))
    errors.add(wrong, name, text, "not a yes/no value (true/false, 1/0, yes/no)")
    bad[wrong] = True
    return is_true


class _Columns:
    """The input table seen through the caller's `mapping`: canonical name -> column, or None if absent."""

    def __init__(self, table: pa.Table, mapping: Optional[Mapping[str, str]]):
        self.table = table
        self.n = table.num_rows
        self.names = set(table.column_names)
        self.rename = dict(mapping or {})
        for canon, given in self.rename.items():
            if canon not in INPUT_COLUMNS and canon not in _UNIT_ALTERNATIVES:
                raise InputError("mapping", f"unknown column {canon!r}; known: {', '.join(INPUT_COLUMNS)}")
            if given not in self.names:
                raise InputError("mapping", f"column {given!r} (mapped to {canon}) is not in the input")

    def get(self, canon: str) -> Optional[pa.Array]:
        name = self.rename.get(canon, canon)
        return _combined(self.table.column(name)) if name in self.names else None


def _read_measure(cols: _Columns, canon: str, limit: int, what: str, errors: RowErrors, bad: np.ndarray) -> np.ndarray:
    """A required weight or side column (or its *_kg / *_cm alternative) -> whole units, rounded up."""
    col, factor, label = cols.get(canon), 1, canon
    if col is None:
        for alt in (a for a, (c, _) in _UNIT_ALTERNATIVES.items() if c == canon):
            col = cols.get(alt)
            if col is not None:
                factor, label = _UNIT_ALTERNATIVES[alt][1], alt
                break
    if col is None:
        raise InputError(canon, f"the input has no {canon!r} column (columns: {', '.join(sorted(cols.names))})")
    fixed, ok, rejected, _ = _fixed_point(col, label, errors)
    text = _as_text(col, label)
    missing = ~ok & ~rejected
    errors.add(np.flatnonzero(missing), label, None, "missing")
    over = ok & (fixed > limit * _SCALE // factor)  # ceil(x * factor) > limit, exactly
    units = np.where(ok & ~over, _whole_units(np.where(ok & ~over, fixed, 0), factor), 0)
    zero = ok & ~over & (units <= 0)
    errors.add(np.flatnonzero(zero), label, text, f"{what} must be positive")
    errors.add(np.flatnonzero(over), label, text, f"exceeds the input limit of {limit} {canon.rsplit('_', 1)[1]}")
    bad[~ok | zero | over] = True
    return units


def _read_value(cols: _Columns, errors: RowErrors, bad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Optional declared value (+ currency column or suffix) -> (minor units, currency index); -1 = none."""
    n = cols.n
    vcol = cols.get("declared_value")
    if vcol is None:
        return np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    fixed, ok, rejected, suffix = _fixed_point(vcol, "declared_value", errors, money=True)
    bad |= rejected
    ccol = cols.get("currency")
    # a suffix (1500RUB) wins over the currency column; most catalogues have none, then the column is the code
    suffixed = suffix is not None and bool(pc.any(pc.greater(pc.binary_length(suffix), 0)).as_py())
    code = pc.fill_null(pc.utf8_upper(suffix), "") if suffixed else pa.nulls(n, pa.string())
    if ccol is not None:
        given = pc.fill_null(pc.utf8_upper(pc.utf8_trim_whitespace(_as_text(ccol, "currency"))), "")
        code = pc.if_else(pc.equal(code, ""), given, code) if suffixed else given
    code = pc.fill_null(code, "")
    idx = pc.index_in(code, value_set=pa.array(CURRENCIES)).to_numpy(zero_copy_only=False)
    known = ~np.isnan(idx) if idx.dtype.kind == "f" else np.ones(n, bool)
    idx = np.nan_to_num(idx, nan=-1).astype(np.int64) if idx.dtype.kind == "f" else idx.astype(np.int64)
    no_ccy = ok & (pc.equal(code, "").to_numpy(zero_copy_only=False))
    errors.add(
        np.flatnonzero(no_ccy),
        "currency",
        None,
        "declared_value needs a currency (a currency column or a suffix like 1500RUB)",
    )
    unknown = ok & ~no_ccy & ~known
    errors.add(np.flatnonzero(unknown), "currency", code, f"unknown currency; known: {', '.join(CURRENCIES)}")
    good = ok & known & ~no_ccy
    bad[ok & ~good] = True
    exp = np.array([CURRENCY_EXPONENT[c] for c in CURRENCIES], dtype=np.int64)
    div = 10 ** (9 - exp[np.where(good, idx, 0)])
    value_minor = np.where(good, (fixed + div // 2) // div, -1)  # half-up to the minor unit
    return value_minor, np.where(good, idx, -1)


def _read_date(cols: _Columns, date: Union[str, dt.date, None], errors: RowErrors, bad: np.ndarray) -> np.ndarray:
    """Order day numbers: the order_date column (dates, timestamps or strict YYYY-MM-DD text), else `date`.

    Text follows `parcels.parse_date`, vectorised: exactly YYYY-MM-DD and a day that exists (2023-02-30
    and 2023-2-3 are errors, never rolled over or guessed).
    """
    n = cols.n
    default_day = None if date is None else day_number(parse_date(date))
    dcol = cols.get("order_date")
    if dcol is None:
        return np.full(n, default_day if default_day is not None else day_number(dt.date.today()), np.int64)
    t = dcol.type
    unparsed = np.zeros(0, np.int64)
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        days = dcol.cast(pa.date32()) if not pa.types.is_date32(t) else dcol
    else:
        text = pc.utf8_trim_whitespace(_as_text(dcol, "order_date"))
        empty = pc.equal(pc.utf8_length(pc.fill_null(text, "")), 0)
        text = pc.if_else(empty, pa.scalar(None, pa.string()), text)
        shaped = pc.match_substring_regex(text, DATE_PATTERN)
        parsed = pc.strptime(pc.if_else(shaped, text, pa.scalar(None, pa.string())), "%Y-%m-%d", "s", True)
        exists = pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), text)  # 2023-02-30 would come back 03-02
        good = pc.fill_null(exists, False).to_numpy(zero_copy_only=False)
        unparsed = np.flatnonzero(~good & text.is_valid().to_numpy(zero_copy_only=False))
        errors.add(unparsed, "order_date", text, "not a date of the calendar; write it as YYYY-MM-DD")
        bad[unparsed] = True
        days = parsed.cast(pa.date32())
    nulls = days.is_null().to_numpy(zero_copy_only=False)
    nulls[unparsed] = False  # already reported as not a date
    vals = pc.fill_null(days.cast(pa.int32()), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    if default_day is not None:
        return np.where(nulls, default_day, vals)
    errors.add(np.flatnonzero(nulls), "order_date", None, "missing (or pass a default date)")
    bad[nulls] = True
    return vals


def _read_delivery(cols: _Columns, errors: RowErrors, bad: np.ndarray) -> np.ndarray:
    """Delivery type codes (0 = pickup point, the default for an absent column or an empty cell)."""
    dl = cols.get("delivery")
    if dl is None:
        return np.zeros(cols.n, np.int64)
    text = pc.fill_null(pc.utf8_lower(pc.utf8_trim_whitespace(_as_text(dl, "delivery"))), "")
    keys = sorted(DELIVERY_ALIASES) + [""]
    codes = [DELIVERY_ALIASES[k] for k in sorted(DELIVERY_ALIASES)] + [0]
    pos = pc.index_in(text, value_set=pa.array(keys)).to_numpy(zero_copy_only=False)
    unknown = np.isnan(pos) if pos.dtype.kind == "f" else np.zeros(cols.n, bool)
    errors.add(np.flatnonzero(unknown), "delivery", text, "unknown delivery type; use pickup_point or courier")
    bad[unknown] = True
    return np.asarray(codes, np.int64)[np.nan_to_num(pos, nan=0).astype(np.int64)]


def _read_scheme(cols: _Columns, errors: RowErrors, bad: np.ndarray) -> Optional[np.ndarray]:
    """Scheme codes (index into SCHEMES; -1 = empty, the caller's default), or None without the column."""
    col = cols.get("scheme")
    if col is None:
        return None
    text = pc.fill_null(pc.utf8_lower(pc.utf8_trim_whitespace(_as_text(col, "scheme"))), "")
    pos = pc.index_in(text, value_set=pa.array(list(SCHEMES) + [""])).to_numpy(zero_copy_only=False)
    unknown = np.isnan(pos) if pos.dtype.kind == "f" else np.zeros(cols.n, bool)
    errors.add(np.flatnonzero(unknown), "scheme", text, "unknown scheme; use rfbs or fbp")
    bad[unknown] = True
    codes = np.nan_to_num(pos, nan=0).astype(np.int64)
    return np.where(codes == len(SCHEMES), -1, codes)


def _read_group_inputs(
    compiled: CompiledTariffs, parcels: ParcelArrays, vcol: Optional[pa.Array], errors: RowErrors, bad: np.ndarray
) -> None:
    """Rows the group model cannot price without a declared RUB value become errors, not silent gaps."""
    need = require_group_inputs(compiled, parcels) & ~bad
    if not need.any():
        return
    # one message per (epoch, missing or wrong currency): a catalogue without prices has many rows
    epoch = compiled.epoch_of(parcels.day)
    kind = (parcels.value_ccy >= 0).astype(np.int64)
    key = np.where(need, epoch * 2 + kind, -1)
    for k in np.unique(key[need]):
        rows = np.flatnonzero(key == k)
        err = group_input_error(compiled, parcels, int(rows[0]))
        errors.add(rows, "declared_value", vcol, err.message)
    bad |= need


def ingest(
    data: Columns,
    *,
    compiled: Optional[CompiledTariffs] = None,
    date: Union[str, dt.date, None] = None,
    mapping: Optional[Mapping[str, str]] = None,
    row_offset: int = 0,
) -> Ingested:
    """Validate catalogue columns into engine arrays; every bad row is recorded, none raises.

    `mapping` renames: {"weight_g": "Weight, g"} reads the canonical `weight_g` from column "Weight, g".
    `row_offset` is added to row numbers in errors (a file read in chunks numbers rows across chunks).
    Raises InputError only for problems of the whole input (a required column is absent).
    """
    cols = _Columns(to_arrow_table(data), mapping)
    n = cols.n
    errors = RowErrors()
    bad = np.zeros(n, bool)
    weight = _read_measure(cols, "weight_g", MAX_WEIGHT_G, "weight", errors, bad)
    sides = np.stack(
        [
            _read_measure(cols, c, MAX_SIDE_MM, "every side", errors, bad)
            for c in ("length_mm", "width_mm", "height_mm")
        ],
        axis=1,
    )
    value_minor, value_ccy = _read_value(cols, errors, bad)
    day = _read_date(cols, date, errors, bad)
    delivery = _read_delivery(cols, errors, bad)
    battery = _bools(cols.get("battery"), "battery", n, errors, bad)
    liquid = _bools(cols.get("liquid"), "liquid", n, errors, bad)
    scheme = _read_scheme(cols, errors, bad)
    dims = -np.sort(-sides, axis=1)
    parcels = ParcelArrays(weight, dims, value_minor, value_ccy, day, delivery, battery, liquid)
    if compiled is not None:
        _read_group_inputs(compiled, parcels, cols.get("declared_value"), errors, bad)
    valid = np.flatnonzero(~bad)
    if row_offset:
        errors.row = [r + row_offset for r in errors.row]
    return Ingested(
        parcels.take(valid) if len(valid) < n else parcels,
        valid,
        n,
        errors,
        cols.get("sku"),
        None if scheme is None else scheme[valid],
    )


def quote_schemes(
    ing: Ingested,
    default: str,
    compiled_of: Callable[[str], CompiledTariffs],
    quote: Callable[[CompiledTariffs, Ingested], pa.Table],
) -> pa.Table:
    """`quote(compiled, ing)` per scheme of the rows (a `scheme` column; empty cells take `default`), one
    table in input-row order with a `scheme` column. Without the column: `quote(compiled_of(default), ing)`.

    Each scheme has its own compiled lanes (`TariffSet.compiled(readings, scheme)`), so their dictionary
    columns differ: with a scheme column they are written as plain text, the same in every chunk."""
    if ing.scheme is None:
        return quote(compiled_of(default), ing)
    codes = np.where(ing.scheme < 0, SCHEMES.index(default), ing.scheme)
    parts = []
    for code in range(len(SCHEMES)):
        at = np.flatnonzero(codes == code)
        if not len(at) and code != SCHEMES.index(default):
            continue
        table = quote(compiled_of(SCHEMES[code]), ing.take(at))
        table = pa.table(
            {
                name: (col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col)
                for name, col in zip(table.column_names, table.columns)
            }
        )
        parts.append(table.append_column("scheme", pa.array([SCHEMES[code]] * table.num_rows, pa.string())))
    merged = pa.concat_tables(parts)
    return merged.take(pc.sort_indices(merged, sort_keys=[("row", "ascending")]))


# ---------------------------------------------------------------------------------------------------------
# Quoting and the long form


@dataclass
class ColumnarQuotes:
    """Long-form quotes: one entry per (valid input row x service in force), in input-row order."""

    compiled: CompiledTariffs
    n_input: int
    row: np.ndarray  # (N,) int64 input row
    service: np.ndarray  # (N,) int32 global service index
    table_row: np.ndarray  # (N,) int32 compiled row (currency, days, rule)
    status: np.ndarray  # (N,) uint8 index into STATUS_NAMES
    reasons: np.ndarray  # (N,) uint32 bitmask (engine.R_* / W_*)
    code: np.ndarray  # (N,) uint8 index into CODE_NAMES (0 = none)
    chargeable_g: np.ndarray  # (N,) int64
    price_minor: np.ndarray  # (N,) int64, -1 = none
    day: np.ndarray  # (N,) int64 order day (for FX hooks)
    errors: RowErrors
    sku: Optional[pa.Array] = None
    row_offset: int = 0
    valid_rows: Optional[np.ndarray] = None  # (V,) every quoted input row, ascending

    def __len__(self) -> int:
        return int(self.row.shape[0])

    # -- output --------------------------------------------------------------------------------------------

    def _sku_column(self, rows: np.ndarray) -> Optional[pa.Array]:
        return _sku_of(self.sku, rows, dictionary=False)

    def to_arrow(self, *, sku_dictionary: bool = False) -> pa.Table:
        """The long form as an Arrow table (strings dictionary-encoded, price an exact decimal); the
        columns and types are `long_form_table`'s (which builds the same table without this object)."""
        t = self.compiled.table
        tr = self.table_row
        return _long_table(
            self.compiled,
            _LongColumns(
                row=self.row + self.row_offset,
                service=self.service,
                carrier=_carriers(self.compiled)[1][self.service],
                status=self.status,
                code=self.code,
                reasons=self.reasons,
                charge=self.chargeable_g,
                price=self.price_minor,
                currency=t.currency[tr],
                days_min=t.days_min[tr],
                days_max=t.days_max[tr],
            ),
            _sku_of(self.sku, self.row, dictionary=sku_dictionary),
        )

    def to_pandas(self):  # -> pandas.DataFrame
        return self.to_arrow().to_pandas()

    def errors_table(self) -> pa.Table:
        return self.errors.to_arrow()

    # -- best service per parcel ---------------------------------------------------------------------------

    def best(
        self,
        by: Literal["cheapest", "fastest"] = "cheapest",
        *,
        to_common: Optional[Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = None,
    ) -> pa.Table:
        """One row per valid input row: the cheapest or fastest *ok* (eligible and priced) service.

        Ties are broken deterministically: cheapest = lowest price, then fewest max days, fewest min days,
        service id; fastest = fewest max days, fewest min days (unpublished days rank last), lowest price,
        service id. Prices in different currencies are not comparable without an exchange rate: pass
        `to_common(price_minor, currency_index, day) -> comparable int64` (e.g. RUB kopecks); without it a
        parcel whose ok services price in several currencies gets no choice and `no_choice =
        mixed_currencies`. A parcel with no ok service gets `no_choice = no_eligible_priced_service`.
        """
        if by not in ("cheapest", "fastest"):
            raise InputError("best", f"unknown choice {by!r}; use cheapest or fastest")
        ok = np.flatnonzero(self.status == E.STATUS_OK)
        chosen_at, chosen_rows, mixed = choose_best(
            self.compiled,
            by,
            self.row[ok],
            self.service[ok],
            self.table_row[ok],
            self.price_minor[ok],
            self.day[ok],
            to_common,
        )
        chosen = ok[chosen_at]
        # every valid input row gets a line
        valid_rows = self.valid_rows if self.valid_rows is not None else _sorted_unique(self.row)
        pos = np.searchsorted(valid_rows, chosen_rows)
        tied = [""] * len(valid_rows)
        for p, text in zip(
            pos[~mixed].tolist(),
            _tied(
                self.compiled,
                self.row[ok],
                self.service[ok],
                self.table_row[ok],
                self.price_minor[ok],
                chosen_at[~mixed],
            ),
        ):
            tied[p] = text  # fmt: skip
        pick = np.full(len(valid_rows), -1, np.int64)
        pick[pos] = np.where(mixed, -1, chosen)
        reason = np.full(len(valid_rows), 1, np.int8)  # 1 = no ok service
        reason[pos] = np.where(mixed, 2, 0)
        has = pick >= 0
        sel = np.where(has, pick, 0)
        if len(self):
            svc = np.where(has, self.service[sel], -1)
            price_sel = np.where(has, self.price_minor[sel], -1)
            trow = np.where(has, self.table_row[sel], 0)
            charge = np.where(has, self.chargeable_g[sel], 0)
        else:
            svc = np.full(len(valid_rows), -1, np.int64)
            price_sel = np.full(len(valid_rows), -1, np.int64)
            trow = np.zeros(len(valid_rows), np.int64)
            charge = np.zeros(len(valid_rows), np.int64)
        return _best_table(
            self.compiled,
            valid_rows,
            svc,
            trow,
            price_sel,
            charge,
            reason,
            self._sku_column(valid_rows),
            self.row_offset,
            tied,
        )


def choose_best(
    compiled: CompiledTariffs,
    by: Literal["cheapest", "fastest"],
    rows: np.ndarray,
    service: np.ndarray,
    table_row: np.ndarray,
    price_minor: np.ndarray,
    day: np.ndarray,
    to_common: Optional[Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The one cheapest/fastest rule, over *ok* cells (one per parcel x priced eligible service).

    `rows` says which parcel each cell belongs to. Returns, per parcel that has a cell: the index of the
    chosen cell, the parcel's row, and whether its ok services price in several currencies (`mixed`: no
    choice can be made without `to_common`). Ties: cheapest = lowest price, then fewest max days, fewest
    min days, service id; fastest = fewest max days, fewest min days (unpublished days rank last), lowest
    price, service id. Both `ColumnarQuotes.best` (long form) and `quote_best` (block by block) call it.
    """
    t = compiled.table
    ccy = t.currency[table_row]
    comparable = price_minor if to_common is None else np.asarray(to_common(price_minor, ccy, day), np.int64)
    big = np.iinfo(np.int64).max
    dmax = t.days_max[table_row]
    dmin = t.days_min[table_row]
    dmax = np.where(dmax < 0, big, dmax)
    dmin = np.where(dmin < 0, big, dmin)
    srank = _id_rank(compiled)[service]
    keys = (srank, dmin, dmax, comparable, rows) if by == "cheapest" else (srank, comparable, dmin, dmax, rows)
    order = np.lexsort(keys)
    srows = rows[order]
    first = np.flatnonzero(np.r_[True, srows[1:] != srows[:-1]]) if len(srows) else np.zeros(0, np.int64)
    mixed = np.zeros(len(first), bool)
    if to_common is None and len(srows):
        sc = ccy[order]
        mixed = np.minimum.reduceat(sc, first) != np.maximum.reduceat(sc, first)
    return order[first], srows[first], mixed


def _id_rank(compiled: CompiledTariffs) -> np.ndarray:
    """Service index -> rank of its id (the last tie-break), computed once per compiled tariffs."""
    found = compiled.cache.get("id_rank")
    if found is None:
        found = compiled.cache["id_rank"] = np.argsort(np.argsort([s.id for s in compiled.services], kind="stable"))
    return found


def _tied(compiled: CompiledTariffs, rows, service, table_row, price, chosen) -> list[str]:
    """Per chosen cell, the other services of its parcel that tie with it (ratecalc.pricing.ties), ids joined."""
    from ..pricing.ties import row_rule_codes, tied_columns

    ids = compiled.cache.get("service_ids")
    if ids is None:
        ids = compiled.cache["service_ids"] = [s.id for s in compiled.services]
    rules = compiled.cache.get("tie_rules")
    if rules is None:
        rules = compiled.cache["tie_rules"] = row_rule_codes(compiled.table)
    return tied_columns(rules, rows, service, table_row, price, chosen, ids)


def _best_table(
    compiled: CompiledTariffs,
    valid_rows: np.ndarray,
    svc: np.ndarray,
    trow: np.ndarray,
    price: np.ndarray,
    charge: np.ndarray,
    reason: np.ndarray,
    sku: Optional[pa.Array],
    row_offset: int,
    tied: Optional[list[str]] = None,
) -> pa.Table:
    """One line per valid input row (svc = -1: no choice, with `reason` 1 or 2). `tied_with` names the
    services that tie with the chosen one (same price, days and rules), so a catalogue shows the real
    choice and not only the alphabetically first of equals."""
    t = compiled.table
    has = svc >= 0
    cols: dict[str, pa.Array] = {"row": pa.array(valid_rows + row_offset, pa.int64())}
    if sku is not None:
        cols["sku"] = sku
    ids = pa.array([s.id for s in compiled.services], pa.string())
    svc_arr = pa.array(np.where(has, svc, 0).astype(np.int32), pa.int32(), mask=~has)
    cols["service_id"] = pa.DictionaryArray.from_arrays(svc_arr, ids)
    cols["carrier_id"] = _carrier_column(compiled, svc_arr)
    cols["chargeable_weight_g"] = pa.array(charge, pa.int64(), mask=~has)
    cols["price"] = minor_to_decimal(np.where(has, price, -1))
    trow = np.where(has, trow, 0)
    n = len(valid_rows)
    cur = t.currency[trow].astype(np.int8) if len(t.currency) else np.zeros(n, np.int8)
    cols["currency"] = pa.DictionaryArray.from_arrays(pa.array(cur, pa.int8(), mask=~has), pa.array(CURRENCIES))
    dmin_s = t.days_min[trow] if len(t.days_min) else np.full(n, -1)
    dmax_s = t.days_max[trow] if len(t.days_max) else np.full(n, -1)
    cols["days_min"] = pa.array(dmin_s, pa.int32(), mask=~has | (dmin_s < 0))
    cols["days_max"] = pa.array(dmax_s, pa.int32(), mask=~has | (dmax_s < 0))
    cols["tied_with"] = pa.array(tied if tied is not None else [""] * n, pa.string())
    cols["no_choice"] = pa.DictionaryArray.from_arrays(
        pa.array(reason, pa.int8(), mask=reason == 0),
        pa.array(["", "no_eligible_priced_service", "mixed_currencies"]),
    )
    return pa.table(cols)


def quote_best(
    compiled: CompiledTariffs,
    ing: Ingested,
    by: Literal["cheapest", "fastest"] = "cheapest",
    *,
    to_common: Optional[Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = None,
    threads: Optional[int] = None,
    row_offset: int = 0,
) -> pa.Table:
    """`quote_ingested(...).best(by)` without building the long form: chosen block by block.

    Same rule and tie-breaks as `ColumnarQuotes.best` (checked by tests); a catalogue's best-service file
    never holds parcels x services in memory.
    """
    if by not in ("cheapest", "fastest"):
        raise InputError("best", f"unknown choice {by!r}; use cheapest or fastest")
    p = ing.parcels
    V = len(p)
    svc = np.full(V, -1, np.int64)
    trow = np.zeros(V, np.int64)
    price = np.full(V, -1, np.int64)
    charge = np.zeros(V, np.int64)
    reason = np.ones(V, np.int8)
    tied = [""] * V
    for block in E.iter_blocks(compiled, p, threads=threads):
        if block.status.shape[1] == 0:
            continue
        pi, sj = np.nonzero(block.status == E.STATUS_OK)  # the ok cells, parcel-major
        at = block.parcels[pi]
        chosen_at, chosen_rows, mixed = choose_best(
            compiled,
            by,
            at,
            block.services[sj],
            block.rows[sj],
            block.price_minor[pi, sj].astype(np.int64),
            p.day[at],
            to_common,
        )
        cells = (pi[chosen_at], sj[chosen_at])
        take = ~mixed
        dest = chosen_rows[take]
        svc[dest] = block.services[cells[1][take]]
        trow[dest] = block.rows[cells[1][take]]
        price[dest] = block.price_minor[cells[0][take], cells[1][take]]
        charge[dest] = block.chargeable_g[cells[0][take], cells[1][take]]
        reason[chosen_rows] = np.where(mixed, 2, 0)
        cell_price = block.price_minor[pi, sj].astype(np.int64)
        texts = _tied(compiled, at, block.services[sj], block.rows[sj], cell_price, chosen_at[take])
        for r, text in zip(dest.tolist(), texts):
            tied[r] = text
    sku = None if ing.sku is None else ing.sku.take(pa.array(ing.rows, pa.int64()))
    return _best_table(compiled, ing.rows, svc, trow, price, charge, reason, sku, row_offset, tied)


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """Unique values of an ascending array (long-form rows are in input order)."""
    if len(a) == 0:
        return a.copy()
    return a[np.r_[True, a[1:] != a[:-1]]]


def _carriers(compiled: CompiledTariffs) -> tuple[pa.Array, np.ndarray]:
    """(carrier ids, sorted; the index of each service's carrier), computed once per compiled tariffs."""
    found = compiled.cache.get("carriers")
    if found is None:
        names, of_service = np.unique([s.carrier_id for s in compiled.services], return_inverse=True)
        found = compiled.cache["carriers"] = (pa.array(names.tolist(), pa.string()), of_service.astype(np.int32))
    return found


def _carrier_column(compiled: CompiledTariffs, services: pa.Array) -> pa.DictionaryArray:
    names, of_service = _carriers(compiled)
    idx = pc.take(pa.array(of_service), services.fill_null(0))
    idx = pc.if_else(services.is_valid(), idx, pa.scalar(None, pa.int32()))
    return pa.DictionaryArray.from_arrays(idx, names)


def minor_to_decimal(minor: np.ndarray) -> pa.Array:
    """Integer minor units -> an exact Arrow decimal128(18, 2) (null where minor < 0), without a float.

    The low word of each 128-bit value is the minor amount itself (high word 0): no division or scaling.
    """
    n = len(minor)
    words = np.zeros((n, 2), np.int64)
    np.maximum(minor, 0, out=words[:, 0])  # a null slot holds 0, as Arrow builders leave it
    null = minor < 0
    nulls = int(np.count_nonzero(null))
    if nulls == 0:
        return pa.Array.from_buffers(pa.decimal128(18, _PRICE_SCALE), n, [None, pa.py_buffer(words)], null_count=0)
    valid = np.packbits(~null, bitorder="little")
    return pa.Array.from_buffers(
        pa.decimal128(18, _PRICE_SCALE), n, [pa.py_buffer(valid), pa.py_buffer(words)], null_count=nulls
    )


def _long_offsets(compiled: CompiledTariffs, p: ParcelArrays) -> tuple[np.ndarray, np.ndarray]:
    """Per valid parcel: its number of long-form rows (the services in force on its date) and where they start."""
    V = len(p)
    epoch_of = compiled.epoch_of(p.day) if V else np.zeros(0, np.int64)
    n_svc = np.array([len(e.services) for e in compiled.epochs], dtype=np.int64)
    counts = n_svc[epoch_of] if V else np.zeros(0, np.int64)
    offsets = np.zeros(V + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    return counts, offsets


class _Placed(NamedTuple):
    """An engine block, where its (P, S) cells go in the parcel-major long form, and its reason codes."""

    block: E.Block
    dst: Union[slice, np.ndarray]
    status: np.ndarray  # (P, S) views of service-major arrays, as the engine's outputs
    reasons: np.ndarray  # (P, S)
    code: np.ndarray  # (P, S) uint8 index into CODE_NAMES

    def put(self, out: np.ndarray, values: np.ndarray) -> None:
        """out[dst] = values (P, S) parcel-major, in one strided pass when dst is a range."""
        if isinstance(self.dst, slice):
            out[self.dst].reshape(values.shape)[...] = values
        else:
            out[self.dst] = values.ravel()

    def tile(self, out: np.ndarray, per_service: np.ndarray) -> None:
        """out[dst] = the per-service values repeated for every parcel of the block."""
        P, S = self.status.shape
        if isinstance(self.dst, slice):
            out[self.dst].reshape(P, S)[...] = per_service[None, :]
        else:
            out[self.dst] = np.tile(per_service, P)


def _placed_blocks(
    compiled: CompiledTariffs, p: ParcelArrays, offsets: np.ndarray, threads: Optional[int]
) -> Iterator[_Placed]:
    """The engine's blocks for `p` with their place in the long form and the first reason code of each cell."""
    i_rate = _CODE_INDEX[E.CODE_RATE_UNPUBLISHED]
    i_nogroup = _CODE_INDEX[E.REASON_CODES[E.R_NO_GROUP]]
    i_required = _CODE_INDEX[E.CODE_DECLARED_VALUE_REQUIRED]
    i_norow = _CODE_INDEX[E.REASON_CODES[E.R_NO_ROW]]
    i_norate_group = _CODE_INDEX[E.CODE_NO_RATE_FOR_GROUP]
    for block in E.iter_blocks(compiled, p, threads=threads):
        P, S = block.status.shape
        if S == 0:
            continue
        pos = block.parcels
        start = int(offsets[pos[0]])
        if int(offsets[pos[-1]]) - start == (P - 1) * S and (P == 1 or bool((np.diff(pos) == 1).all())):
            dst: Union[slice, np.ndarray] = slice(start, start + P * S)
        else:
            dst = (offsets[pos][:, None] + np.arange(S)[None, :]).ravel()
        # codes are computed service-major, as the engine wrote its outputs: the one transposition into
        # the parcel-major long form happens when a column is filled (_Placed.put)
        st = np.ascontiguousarray(block.status.T)  # (S, P); no copy for the engine's own buffers
        rs = np.ascontiguousarray(block.reasons.T)
        c = np.take(_FIRST_CODE, rs & 0x3FF)  # np.take: ~40% faster than c[idx] for a 1-D table
        np.putmask(c, st == E.STATUS_UNPRICED, i_rate)
        ep = compiled.epochs[block.epoch]
        grouped_ctx = block.group < len(ep.groups)
        if (c == i_nogroup).any():
            undeclared = (p.value_ccy[pos] < 0)[None, :]
            c[(c == i_nogroup) & undeclared] = i_required
        if (c == i_norow).any():
            ctx = np.array([grouped_ctx or compiled.rows[int(r)].group is not None for r in block.rows], dtype=bool)
            c[(c == i_norow) & ctx[:, None]] = i_norate_group
        yield _Placed(block, dst, st.T, rs.T, c.T)


def quote_ingested(
    compiled: CompiledTariffs, ing: Ingested, *, threads: Optional[int] = None, row_offset: int = 0
) -> ColumnarQuotes:
    """Run the engine over validated rows and lay the blocks out in input-row order (parcel-major)."""
    p = ing.parcels
    counts, offsets = _long_offsets(compiled, p)
    N = int(offsets[-1])
    service = np.empty(N, np.int32)
    table_row = np.empty(N, np.int32)
    status = np.empty(N, np.uint8)
    reasons = np.empty(N, np.uint32)
    code = np.empty(N, np.uint8)
    charge = np.empty(N, np.int64)
    price = np.empty(N, np.int64)
    for b in _placed_blocks(compiled, p, offsets, threads):
        b.put(status, b.status)
        b.put(reasons, b.reasons)
        b.put(code, b.code)
        b.put(charge, b.block.chargeable_g)
        b.put(price, b.block.price_minor)
        b.tile(service, b.block.services.astype(np.int32))
        b.tile(table_row, b.block.rows.astype(np.int32))
    return ColumnarQuotes(
        compiled=compiled,
        n_input=ing.n_input,
        row=np.repeat(ing.rows, counts),
        service=service,
        table_row=table_row,
        status=status,
        reasons=reasons,
        code=code,
        chargeable_g=charge,
        price_minor=price,
        day=np.repeat(p.day, counts),
        errors=ing.errors,
        sku=ing.sku,
        row_offset=row_offset,
        valid_rows=ing.rows,
    )


def long_form_table(
    compiled: CompiledTariffs,
    ing: Ingested,
    *,
    threads: Optional[int] = None,
    row_offset: int = 0,
    sku_dictionary: bool = False,
) -> pa.Table:
    """`quote_ingested(compiled, ing, ...).to_arrow(...)`, built straight from the engine's blocks.

    Why: a catalogue file's long form is ~31 rows per parcel; going through `ColumnarQuotes` lays every
    cell out once and then gathers it again into Arrow columns. Here each block is written once into the
    final column buffers (per-service values such as currency and delivery days are repeated per parcel,
    not looked up per row), and those buffers become the Arrow columns without a copy. Same table, value
    for value (checked by tests).
    """
    p = ing.parcels
    counts, offsets = _long_offsets(compiled, p)
    N = int(offsets[-1])
    t = compiled.table
    of_service = _carriers(compiled)[1]
    cols = _LongColumns(
        row=np.repeat(ing.rows + row_offset, counts),
        service=np.empty(N, _index_dtype(len(compiled.services))),
        carrier=np.empty(N, _index_dtype(len(_carriers(compiled)[0]))),
        status=np.empty(N, np.uint8),
        code=np.empty(N, np.uint8),
        reasons=np.empty(N, np.uint32),
        charge=np.empty(N, np.int64),
        price=np.empty(N, np.int64),
        currency=np.empty(N, np.int8),
        days_min=np.empty(N, np.int32),
        days_max=np.empty(N, np.int32),
    )
    for b in _placed_blocks(compiled, p, offsets, threads):
        svc, rows = b.block.services, b.block.rows
        b.tile(cols.service, svc.astype(cols.service.dtype))
        b.tile(cols.carrier, of_service[svc].astype(cols.carrier.dtype))
        b.put(cols.status, b.status)
        b.put(cols.code, b.code)
        b.put(cols.reasons, b.reasons)
        b.put(cols.charge, b.block.chargeable_g)
        b.put(cols.price, b.block.price_minor)
        b.tile(cols.currency, t.currency[rows].astype(np.int8))
        b.tile(cols.days_min, t.days_min[rows].astype(np.int32))  # < 0: unpublished (null)
        b.tile(cols.days_max, t.days_max[rows].astype(np.int32))
    narrow = np.int32 if ing.n_input < 1 << 31 else np.int64  # dictionary indices of the sku
    local_rows = np.repeat(ing.rows.astype(narrow), counts) if ing.sku is not None else ing.rows
    return _long_table(compiled, cols, _sku_of(ing.sku, local_rows, dictionary=sku_dictionary))


class _LongColumns(NamedTuple):
    """The long form's columns as flat numpy arrays (one entry per parcel x service), before Arrow."""

    row: np.ndarray  # input row + offset
    service: np.ndarray  # index into compiled.services
    carrier: np.ndarray  # index into _carriers(compiled)[0]
    status: np.ndarray  # index into STATUS_NAMES
    code: np.ndarray  # index into CODE_NAMES, 0 = none
    reasons: np.ndarray  # bitmask
    charge: np.ndarray  # grams
    price: np.ndarray  # minor units, -1 = none
    currency: np.ndarray  # index into CURRENCIES
    days_min: np.ndarray  # -1 = unpublished
    days_max: np.ndarray


def _long_table(compiled: CompiledTariffs, c: _LongColumns, sku: Optional[pa.Array]) -> pa.Table:
    """The long-form Arrow table: names, order and types of its columns are defined here only.

    Strings are dictionary-encoded (the smallest index type that fits), price is an exact decimal128(18, 2).
    Columns that never hold a null are declared non-nullable (LONG_FORM_REQUIRED): a Parquet writer then
    stores them as required and skips a definition level per row. Numeric buffers become Arrow columns
    without a copy where the types already match.
    """
    names, _ = _carriers(compiled)
    ids = pa.array([s.id for s in compiled.services], pa.string())
    cols: dict[str, pa.Array] = {"row": pa.array(c.row, pa.int64())}
    if sku is not None:
        cols["sku"] = sku
    cols["service_id"] = _coded(_indices(c.service, len(ids)), ids)
    cols["carrier_id"] = _coded(_indices(c.carrier, len(names)), names)
    cols["status"] = _coded(pa.array(c.status.view(np.int8)), pa.array(E.STATUS_NAMES))
    cols["reason_code"] = _coded(_masked(c.code.view(np.int8), c.code > 0), pa.array([n or "" for n in CODE_NAMES]))
    cols["reasons"] = pa.array(c.reasons, pa.uint32())
    cols["chargeable_weight_g"] = pa.array(c.charge, pa.int64())
    cols["price"] = minor_to_decimal(c.price)
    cols["currency"] = _coded(pa.array(c.currency.astype(np.int8, copy=False)), pa.array(CURRENCIES))
    for name, days in (("days_min", c.days_min), ("days_max", c.days_max)):
        cols[name] = _masked(days.astype(np.int32, copy=False), days >= 0)
    schema = pa.schema([pa.field(k, v.type, nullable=k not in LONG_FORM_REQUIRED) for k, v in cols.items()])
    return pa.Table.from_arrays(list(cols.values()), schema=schema)


def _coded(indices: pa.Array, values: pa.Array) -> pa.DictionaryArray:
    """A dictionary column from indices the engine and the compiled tables produced (always in range, which
    tests check with a full validation): the bounds check per row is skipped."""
    return pa.DictionaryArray.from_arrays(indices, values, safe=False)


def _index_dtype(n: int) -> type:
    """The smallest signed integer type that indexes a dictionary of n values (int8 for a few dozen)."""
    return np.int8 if n <= 127 else np.int16 if n <= 32767 else np.int32


def _indices(idx: np.ndarray, n: int) -> pa.Array:
    return pa.array(idx.astype(_index_dtype(n), copy=False))


def _masked(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    """values as an Arrow array, null where not `valid` (the data buffer is shared, not copied)."""
    n = len(values)
    nulls = n - int(np.count_nonzero(valid))
    if nulls == 0:
        return pa.array(values)
    if nulls == n:
        return pa.nulls(n, pa.from_numpy_dtype(values.dtype))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), n, [bitmap, pa.py_buffer(values)], null_count=nulls)


def _sku_of(sku: Optional[pa.Array], rows: np.ndarray, *, dictionary: bool) -> Optional[pa.Array]:
    """The sku of each long-form row. `dictionary`: as indices into the input's sku values (the same
    values; ~31 rows share each sku, so a file writer encodes it without hashing every string again),
    when the sku is plain text; else the values themselves."""
    if sku is None:
        return None
    if not dictionary or not pa.types.is_string(sku.type) or len(sku) >= 1 << 31:
        return sku.take(pa.array(rows, pa.int64()))
    values = sku
    mask = None
    if values.null_count:
        mask = values.is_null().to_numpy(zero_copy_only=False)[rows]
        values = pc.fill_null(values, "")  # only masked indices point at these
    indices = pa.array(rows.astype(np.int32, copy=False), pa.int32(), mask=mask)
    return _coded(indices, values)  # rows index the input


def quote_table(
    data: Columns,
    tariffs: Union[TariffSet, CompiledTariffs, None] = None,
    *,
    date: Union[str, dt.date, None] = None,
    readings: Sequence[str] = (),
    mapping: Optional[Mapping[str, str]] = None,
    threads: Optional[int] = None,
) -> ColumnarQuotes:
    """Quote a catalogue given as columns against every service in force; bad rows go to `.errors`.

    `tariffs`: a TariffSet (default: the process-wide one) or CompiledTariffs. `date`: the order date of
    rows without an `order_date` column/value. Use `.to_arrow()` / `.to_pandas()` for the long form and
    `.best("cheapest" | "fastest")` for one service per parcel.
    """
    compiled = _compiled(tariffs, readings)
    ing = ingest(data, compiled=compiled, date=date, mapping=mapping)
    return quote_ingested(compiled, ing, threads=threads)


@functools.wraps(quote_table)
def quote_many(*args: Any, **kwargs: Any) -> ColumnarQuotes:
    warnings.warn(
        "ratecalc.files.columnar.quote_many is renamed quote_table (same arguments)", DeprecationWarning, stacklevel=2
    )
    return quote_table(*args, **kwargs)


quote_many.__name__ = quote_many.__qualname__ = "quote_many"
quote_many.__doc__ = """Deprecated name of `quote_table` (it clashed with `TariffSet.quote_many`, which takes a list of
Parcels and returns a list of quote lists); kept because the README showed it."""


def _compiled(tariffs: Union[TariffSet, CompiledTariffs, None], readings: Sequence[str] = ()) -> CompiledTariffs:
    if isinstance(tariffs, CompiledTariffs):
        return tariffs
    return (tariffs if tariffs is not None else default_tariffs()).compiled(readings)


__all__ = [
    "CODE_NAMES",
    "ColumnarQuotes",
    "INPUT_COLUMNS",
    "Ingested",
    "RowErrors",
    "ingest",
    "long_form_table",
    "minor_to_decimal",
    "quote_ingested",
    "quote_best",
    "quote_many",
    "quote_table",
    "to_arrow_table",
]
