"""Parsing of weights, dimensions and money as a person writes them.

Everything resolves to integers: grams, millimetres and minor currency units, so that the engine never
sees a float. Sub-unit precision is rounded **up** (a 1.2345 kg parcel weighs 1235 g, a 30.25 cm side is
303 mm): carriers weigh and measure a parcel and never round in the sender's favour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import InputError

# Sanity limits of the *input*, not of any carrier: they keep integer arithmetic far from overflow
# (a 10 m cube is 10^12 mm^3) and catch unit slips such as "1200kg" meant as grams.
MAX_WEIGHT_G = 1_000_000  # 1 tonne
MAX_SIDE_MM = 10_000  # 10 m
# Bounds on the *text* of every number a caller types, checked before any arithmetic: a 5,000-digit
# weight or a 40-digit price must be refused in microseconds, not parsed (Decimal and int conversions of
# huge digit strings cost time and overflow int64 minor units downstream).
MAX_TEXT_CHARS = 64  # a weight, dims or amount written by a person fits easily
MAX_INT_DIGITS = 12  # integer digits of any number (10^12 RUB is far above any parcel)
MAX_DECIMALS = 9  # digits after the decimal point
MAX_AMOUNT = Decimal(10) ** MAX_INT_DIGITS  # exclusive upper bound of a money amount

_WEIGHT_UNITS = {"g": Decimal(1), "kg": Decimal(1000)}
_LENGTH_UNITS = {"mm": Decimal(1), "cm": Decimal(10), "m": Decimal(1000)}

# ISO 4217 minor-unit exponents of the currencies this product meets.
CURRENCY_EXPONENT = {"RUB": 2, "USD": 2, "CNY": 2, "EUR": 2, "HKD": 2, "KZT": 2}

_NUMBER = r"(\d+(?:[.,]\d+)?|[.,]\d+)"
_WEIGHT_RE = re.compile(rf"^\s*{_NUMBER}\s*([a-zA-Z]+)\s*$")
_DIMS_RE = re.compile(rf"^\s*{_NUMBER}\s*[x×*X]\s*{_NUMBER}\s*[x×*X]\s*{_NUMBER}\s*([a-zA-Z]+)\s*$")
_MONEY_RE = re.compile(rf"^\s*{_NUMBER}\s*([a-zA-Z]{{3}})\s*$")


def check_text(text: object, field: str) -> str:
    """The text of a number-bearing field, refused when longer than MAX_TEXT_CHARS (before any parsing)."""
    text = str(text)
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(
            field,
            f"too long ({len(text)} characters; at most {MAX_TEXT_CHARS})",
            rule="max_length",
            limit=MAX_TEXT_CHARS,
        )
    return text


def _decimal(text: str, field: str = "number") -> Decimal:
    """Exact Decimal of digit text, within MAX_INT_DIGITS integer digits and MAX_DECIMALS decimals."""
    whole, _, frac = text.replace(",", ".").partition(".")
    if len(whole.lstrip("0")) > MAX_INT_DIGITS:
        raise InputError(
            field, f"{text!r} has more than {MAX_INT_DIGITS} integer digits", rule="max_digits", limit=MAX_INT_DIGITS
        )
    if len(frac) > MAX_DECIMALS:
        raise InputError(
            field, f"{text!r} has more than {MAX_DECIMALS} decimal places", rule="max_decimals", limit=MAX_DECIMALS
        )
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - regex admits only digits
        raise InputError(field, f"{text!r} is not a number") from None


_PLAIN_DECIMAL_RE = re.compile(rf"^\s*(-?)\s*{_NUMBER}\s*$")


def parse_decimal(text: object, field: str, *, what: str = "number", signed: bool = False) -> Decimal:
    """Plain decimal text (`12.5`, `12,5`, `-3` when `signed`) -> exact Decimal, within the digit limits.

    The one way a bare number typed by a person becomes a Decimal: `Decimal()` itself would take `1e999`,
    `NaN` or 5,000 digits and fail later, far from the field that caused it.
    """
    text = check_text(text, field)
    m = _PLAIN_DECIMAL_RE.match(text)
    if m is None:
        raise InputError(field, f"{text.strip()!r} is not a {what}; write digits like 12.5")
    if m.group(1) and not signed:
        raise InputError(
            field, f"{text.strip()!r} is negative; it must be 0 or more", rule="greater_than_equal", limit=0
        )
    value = _decimal(m.group(2), field)
    return -value if m.group(1) else value


def _ceil_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def parse_weight(text: str, field: str = "weight", *, unit_required: bool = False) -> int:
    """`1.2kg`, `350g`, `350` (grams) -> integer grams, rounded up to the gram.

    `unit_required`: refuse a bare number (the command line does: a person typing `--weight 1` means a
    kilogram as often as a gram, and a silent guess prices the wrong parcel)."""
    text = check_text(text, field)
    if unit_required and re.fullmatch(rf"\s*{_NUMBER}\s*", text):
        n = text.strip()
        raise InputError(field, f"{n!r} has no unit; write {n}kg or {n}g", rule="unit_required")
    if re.fullmatch(r"\s*-.*", text):
        raise InputError(field, f"{text.strip()!r}: weight must be positive", rule="greater_than", limit=0)
    m = _WEIGHT_RE.match(text)
    if m is None:
        if re.fullmatch(rf"\s*{_NUMBER}\s*", text):
            value, unit = _decimal(text.strip(), field), "g"
        else:
            raise InputError(field, f"{text.strip()!r} is not a weight; write it like 1.2kg or 350g")
    else:
        value, unit = _decimal(m.group(1), field), m.group(2).lower()
    if unit not in _WEIGHT_UNITS:
        raise InputError(field, f"unknown weight unit {unit!r}; use g or kg")
    return check_weight_g(_ceil_int(value * _WEIGHT_UNITS[unit]), field)


def _check_bounds(value: int, field: str, what: str, unit: str, maximum: int) -> int:
    """A positive whole number within the input limit; the error names the rule and the limit."""
    if value <= 0:
        raise InputError(field, f"{what} must be positive, got {value} {unit}", rule="greater_than", limit=0)
    if value > maximum:
        raise InputError(
            field,
            f"{what} {value} {unit} exceeds the input limit of {maximum} {unit}",
            rule="less_than_equal",
            limit=maximum,
        )
    return value


def check_weight_g(grams: int, field: str = "weight") -> int:
    if isinstance(grams, bool) or not isinstance(grams, int):
        raise InputError(field, f"{grams!r} is not a whole number of grams")
    return _check_bounds(grams, field, "weight", "g", MAX_WEIGHT_G)


def parse_dims(text: str, field: str = "dims") -> tuple[int, int, int]:
    """`30x20x10cm`, `300x200x100mm` -> (L, W, H) in integer millimetres, each rounded up."""
    text = check_text(text, field)
    m = _DIMS_RE.match(text)
    if m is None and re.fullmatch(rf"\s*{_NUMBER}\s*[x×*X]\s*{_NUMBER}\s*[x×*X]\s*{_NUMBER}\s*", text):
        n = text.strip()
        raise InputError(field, f"{n!r} is L x W x H without a unit; write {n}cm or {n}mm", rule="unit_required")
    if m is None:
        raise InputError(
            field,
            f"{text.strip()!r} is not L x W x H with a unit; write it like 30x20x10cm or 300x200x100mm",
        )
    unit = m.group(4).lower()
    if unit not in _LENGTH_UNITS:
        raise InputError(field, f"unknown length unit {unit!r}; use mm, cm or m")
    length, width, height = (_ceil_int(_decimal(m.group(i), field) * _LENGTH_UNITS[unit]) for i in (1, 2, 3))
    return check_dims_mm((length, width, height), field)


def check_dims_mm(sides: tuple[int, int, int], field: str = "dims") -> tuple[int, int, int]:
    for side in sides:
        if isinstance(side, bool) or not isinstance(side, int):
            raise InputError(field, f"{side!r} is not a whole number of millimetres")
        _check_bounds(side, field, "side", "mm", MAX_SIDE_MM)
    return sides


@dataclass(frozen=True)
class Money:
    """An exact amount in one currency. `amount` is a Decimal, never a float."""

    amount: Decimal
    currency: str

    def to_minor(self) -> int:
        """Integer minor units, rounded half-up (the only place an input amount is rounded)."""
        exp = CURRENCY_EXPONENT.get(self.currency, 2)
        return int((self.amount * (10**exp)).to_integral_value(rounding=ROUND_HALF_UP))

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        exp = CURRENCY_EXPONENT.get(currency, 2)
        return cls(Decimal(int(minor)).scaleb(-exp), currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def check_currency(code: str, field: str = "currency") -> str:
    code = code.upper()
    if code not in CURRENCY_EXPONENT:
        raise InputError(field, f"unknown currency {code!r}; known: {', '.join(sorted(CURRENCY_EXPONENT))}")
    return code


def check_amount(amount: Decimal, field: str = "value") -> Decimal:
    """A money amount within [0, MAX_AMOUNT): negative or absurdly large amounts are refused, named."""
    if not amount.is_finite():
        raise InputError(field, f"{amount} is not an amount")
    if amount < 0:
        raise InputError(
            field, f"{amount} is negative; an amount must be 0 or more", rule="greater_than_equal", limit=0
        )
    if amount >= MAX_AMOUNT:
        raise InputError(
            field,
            f"{amount} exceeds the input limit of {MAX_INT_DIGITS} integer digits",
            rule="less_than",
            limit=str(MAX_AMOUNT),
        )
    return amount


def parse_money(text: str, field: str = "value") -> Money:
    """`1500RUB`, `12.50 usd`, `99,90EUR` -> Money (exact, non-negative, within MAX_AMOUNT)."""
    text = check_text(text, field)
    if re.fullmatch(r"\s*-\s*" + _NUMBER + r".*", text):
        raise InputError(
            field, f"{text.strip()!r} is negative; an amount must be 0 or more", rule="greater_than_equal", limit=0
        )
    m = _MONEY_RE.match(text)
    if m is None:
        raise InputError(field, f"{text.strip()!r} is not an amount with a currency; write it like 1500RUB")
    amount = check_amount(_decimal(m.group(1), field), field)
    currency = check_currency(m.group(2), field)
    return Money(amount, currency)
