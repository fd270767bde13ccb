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

_WEIGHT_UNITS = {"g": Decimal(1), "kg": Decimal(1000)}
_LENGTH_UNITS = {"mm": Decimal(1), "cm": Decimal(10), "m": Decimal(1000)}

# ISO 4217 minor-unit exponents of the currencies this product meets.
CURRENCY_EXPONENT = {"RUB": 2, "USD": 2, "CNY": 2, "EUR": 2, "HKD": 2, "KZT": 2}

_NUMBER = r"(\d+(?:[.,]\d+)?|[.,]\d+)"
_WEIGHT_RE = re.compile(rf"^\s*{_NUMBER}\s*([a-zA-Z]+)\s*$")
_DIMS_RE = re.compile(rf"^\s*{_NUMBER}\s*[x×*X]\s*{_NUMBER}\s*[x×*X]\s*{_NUMBER}\s*([a-zA-Z]+)\s*$")
_MONEY_RE = re.compile(rf"^\s*{_NUMBER}\s*([a-zA-Z]{{3}})\s*$")


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - regex admits only digits
        raise InputError("number", f"{text!r} is not a number") from None


def _ceil_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def parse_weight(text: str, field: str = "weight", *, unit_required: bool = False) -> int:
    """`1.2kg`, `350g`, `350` (grams) -> integer grams, rounded up to the gram.

    `unit_required`: refuse a bare number (the command line does: a person typing `--weight 1` means a
    kilogram as often as a gram, and a silent guess prices the wrong parcel)."""
    text = str(text)
    if unit_required and re.fullmatch(rf"\s*{_NUMBER}\s*", text):
        n = text.strip()
        raise InputError(field, f"{n!r} has no unit; write {n}kg or {n}g", rule="unit_required")
    if re.fullmatch(r"\s*-.*", text):
        raise InputError(field, f"{text.strip()!r}: weight must be positive")
    m = _WEIGHT_RE.match(text)
    if m is None:
        if re.fullmatch(rf"\s*{_NUMBER}\s*", text):
            value, unit = _decimal(text.strip()), "g"
        else:
            raise InputError(field, f"{text.strip()!r} is not a weight; write it like 1.2kg or 350g")
    else:
        value, unit = _decimal(m.group(1)), m.group(2).lower()
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
    return _check_bounds(grams, field, "weight", "g", MAX_WEIGHT_G)


def parse_dims(text: str, field: str = "dims") -> tuple[int, int, int]:
    """`30x20x10cm`, `300x200x100mm` -> (L, W, H) in integer millimetres, each rounded up."""
    text = str(text)
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
    length, width, height = (_ceil_int(_decimal(m.group(i)) * _LENGTH_UNITS[unit]) for i in (1, 2, 3))
    return check_dims_mm((length, width, height), field)


def check_dims_mm(sides: tuple[int, int, int], field: str = "dims") -> tuple[int, int, int]:
    for side in sides:
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


def parse_money(text: str, field: str = "value") -> Money:
    """`1500RUB`, `12.50 usd`, `99,90EUR` -> Money (exact, non-negative)."""
    text = str(text)
    m = _MONEY_RE.match(text)
    if m is None:
        raise InputError(field, f"{text.strip()!r} is not an amount with a currency; write it like 1500RUB")
    amount = _decimal(m.group(1))
    currency = check_currency(m.group(2), field)
    return Money(amount, currency)
