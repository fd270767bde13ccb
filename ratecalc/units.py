"""Parsing of weights, dimensions and money as a person writes them: the one number grammar.

Everything resolves to integers: grams, millimetres and minor currency units, so that the engine never
sees a float. Sub-unit precision is rounded **up** (a 1.2345 kg parcel weighs 1235 g, a 30.25 cm side is
303 mm): carriers weigh and measure a parcel and never round in the sender's favour.

The grammar, the same on every surface (library, command line, HTTP, catalogue columns; docs/input.md):

* digits are ASCII `0-9` only. Full-width `３００ｇ`, Arabic-Indic `٣٠٠` or Devanagari digits are refused
  with the ASCII spelling suggested when one exists (NFKC folding them silently on one surface and not on
  another is how `3٠٠g` came to pass one door only); spaces around the parts are ASCII spaces or tabs;
* the decimal separator is `.` or `,`, except that a comma followed by exactly three digits (`1,000kg`)
  is refused as ambiguous: it reads as a thousands separator as often as a decimal one;
* a weight or a size written as text carries its unit (`350g`, `1.2kg`, `30x20x10cm`): a bare `300` is
  refused everywhere, because 300 g and 300 kg are both plausible. Numbers without a unit are accepted
  only where the name of the field says the unit (`weight_g`, `dims_mm`, catalogue columns such as
  `length_cm`).

The grammar is also published as regular expressions (`WEIGHT_PATTERN`, `DIMS_PATTERN`, `MONEY_PATTERN`,
`decimal_pattern`) in the common subset of Python's `re`, Rust's `regex` (pydantic-core, the HTTP schema)
and RE2 (Arrow, the catalogue columns): a text matches a pattern exactly when its parser accepts its
shape, and only the input limits (1 t, 10 m, known currencies) are checked beyond it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Optional

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


# --------------------------------------------------------------------------- the grammar as patterns

SPACE = r"[ \t]*"
"""Optional space between the parts of a number: ASCII spaces and tabs only."""
TIMES = "[xX*×]"
"""The separator of L x W x H: x, X, * or the multiplication sign ×."""


def _repeat(lo: int, hi: int) -> str:
    return "" if lo == hi == 1 else f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"


def _digits(lo: int, hi: int) -> str:
    return "" if hi == 0 else f"[0-9]{_repeat(lo, hi)}"


def _lengths(decimals: int) -> list[tuple[int, int]]:
    """Runs of fraction lengths after a comma: every length up to `decimals` but exactly three."""
    runs = [(1, min(2, decimals))]
    if decimals >= 4:
        runs.append((4, decimals))
    return runs


def _fraction(decimals: int) -> str:
    """`.` and 1..decimals digits, or `,` and 1..decimals digits other than exactly three."""
    comma = "|".join(_digits(lo, hi) for lo, hi in _lengths(decimals))
    return rf"(?:\.{_digits(1, decimals)}|,(?:{comma}))"


def fraction_lengths(decimals: int) -> dict[str, list[tuple[int, int]]]:
    """The grammar's fraction lengths by separator (a regex for it), as runs `(lo, hi)`: any length up to
    `decimals` after `.`, any but exactly three after `,`. For patterns that say more than the grammar
    about the digits (the HTTP schema's bounded numbers, api/patterns.py)."""
    return {r"\.": [(1, decimals)], ",": _lengths(decimals)}


def decimal_pattern(int_digits: int = MAX_INT_DIGITS, decimals: int = MAX_DECIMALS) -> str:
    """The grammar's number, unanchored: at most `int_digits` integer digits (leading zeros aside) and
    `decimals` decimals. Compose it, anchored, into a field's pattern: `f"^{decimal_pattern(7, 2)}$"` is
    a RUB price as the HTTP API takes it. Zero is in the grammar: a weight or a side of 0 is refused by
    its bounds (`greater_than`), as 2000 kg is by its limit, not by the pattern."""
    if decimals == 0:
        return f"(?:0*{_digits(1, int_digits)})"
    return f"(?:0*{_digits(1, int_digits)}{_fraction(decimals)}?|{_fraction(decimals)})"


def _any_case(*words: str) -> str:
    return "(?:" + "|".join("".join(f"[{c.upper()}{c.lower()}]" for c in w) for w in words) + ")"


NUMBER_PATTERN = decimal_pattern()
"""A non-negative number of the grammar, unanchored."""
_N = NUMBER_PATTERN
WEIGHT_PATTERN = rf"^{SPACE}{_N}{SPACE}{_any_case('kg', 'g')}{SPACE}$"
"""A weight as text: a number and its unit, g or kg in any case."""
DIMS_PATTERN = (
    rf"^{SPACE}{_N}{SPACE}{TIMES}{SPACE}{_N}{SPACE}{TIMES}{SPACE}{_N}{SPACE}{_any_case('mm', 'cm', 'm')}{SPACE}$"
)
"""L x W x H as text: three numbers and one unit, mm, cm or m in any case."""
MONEY_PATTERN = rf"^{SPACE}{NUMBER_PATTERN}{SPACE}[A-Za-z]{{3}}{SPACE}$"
"""An amount and a three-letter currency (whether the currency is known is checked beyond the pattern)."""
DECIMAL_TEXT_PATTERN = rf"^{SPACE}-?{SPACE}{NUMBER_PATTERN}{SPACE}$"
"""A plain number, optionally negative (rates, percentages): `parse_decimal`'s shape."""

# The parsers' own expressions (always `fullmatch`: Python's `$` alone also matches before a final newline,
# which neither the published patterns nor RE2 take): the same pieces, with a group around each number, digit counts bounded only
# by the length of the text and a looser unit, so that 13 integer digits, zero or an unknown unit are each
# refused by name (max_digits, greater_than, "unknown weight unit") rather than as "not a weight".
_NUM = f"({decimal_pattern(MAX_TEXT_CHARS, MAX_TEXT_CHARS)})"
_WEIGHT_RE = re.compile(rf"^{SPACE}{_NUM}{SPACE}([a-zA-Z]+){SPACE}$")
_DIMS_RE = re.compile(
    rf"^{SPACE}{_NUM}{SPACE}{TIMES}{SPACE}{_NUM}{SPACE}{TIMES}{SPACE}{_NUM}{SPACE}([a-zA-Z]+){SPACE}$"
)
_BARE_DIMS_RE = re.compile(rf"^{SPACE}{_NUM}{SPACE}{TIMES}{SPACE}{_NUM}{SPACE}{TIMES}{SPACE}{_NUM}{SPACE}$")
_MONEY_RE = re.compile(rf"^{SPACE}{_NUM}{SPACE}([a-zA-Z]{{3}}){SPACE}$")
_PLAIN_DECIMAL_RE = re.compile(rf"^{SPACE}(-?){SPACE}{_NUM}{SPACE}$")
_BARE_RE = re.compile(rf"^{SPACE}{_NUM}{SPACE}$")
_AMBIGUOUS_COMMA_RE = re.compile(r"(?<![0-9.,])[0-9]*,[0-9]{3}(?![0-9.,])")
_NEGATIVE_RE = re.compile(rf"^{SPACE}-{SPACE}[0-9.,]")


def ambiguous_comma(text: str) -> Optional[str]:
    """The part of `text` that has a comma before exactly three digits (`1,000`), or None."""
    m = _AMBIGUOUS_COMMA_RE.search(text)
    return None if m is None else m.group(0)


def explain_number(text: str, example: str) -> Optional[str]:
    """Why `text` is refused, when it is for a reason of the grammar itself (non-ASCII digits or letters,
    an ambiguous comma), with the spelling to use instead; None for other reasons. `example` shows the
    ASCII form in the message's own terms ("300g")."""
    if not text.isascii():
        import unicodedata

        folded = unicodedata.normalize("NFKC", text)
        if folded.replace("×", "").isascii() and folded != text:
            return f"{text.strip()!r} has full-width or other non-ASCII characters; write it as {folded.strip()}"
        digits = [c for c in text if c.isdigit() and not c.isascii()]
        if digits:
            return f"{text.strip()!r} has non-ASCII digits ({''.join(digits)}); write digits as 0-9, like {example}"
        return f"{text.strip()!r} has non-ASCII characters; write it like {example}"
    part = ambiguous_comma(text)
    if part is not None:
        whole, _, frac = part.partition(",")
        shown = text.strip()
        return (
            f"{shown!r} is ambiguous: a comma before exactly three digits may separate thousands; write "
            f"{shown.replace(part, whole + frac, 1)} or {shown.replace(part, (whole or '0') + '.' + frac, 1)}"
        )
    return None


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


def _refused(text: str, field: str, what: str, example: str, advice: str = "write it like") -> InputError:
    """The error for text outside the grammar: its grammar reason when it has one, else "not a ..."."""
    why = explain_number(text, example)
    if why is not None:
        rule = "ascii_digits" if not text.isascii() else "ambiguous_comma"
        return InputError(field, why, rule=rule)
    return InputError(field, f"{text.strip()!r} is not {what}; {advice} {example}")


def parse_decimal(text: object, field: str, *, what: str = "number", signed: bool = False) -> Decimal:
    """Plain decimal text (`12.5`, `12,5`, `-3` when `signed`) -> exact Decimal, within the digit limits.

    The one way a bare number typed by a person becomes a Decimal: `Decimal()` itself would take `1e999`,
    `NaN`, `３００` or 5,000 digits and fail later, far from the field that caused it.
    """
    text = check_text(text, field)
    m = _PLAIN_DECIMAL_RE.fullmatch(text)
    if m is None:
        raise _refused(text, field, f"a {what}", "12.5", "write digits like")
    if m.group(1) and not signed:
        raise InputError(
            field, f"{text.strip()!r} is negative; it must be 0 or more", rule="greater_than_equal", limit=0
        )
    value = _decimal(m.group(2), field)
    return -value if m.group(1) else value


def _ceil_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def parse_weight(text: str, field: str = "weight") -> int:
    """`1.2kg`, `350g` -> integer grams, rounded up to the gram.

    The unit is required: a bare `350` is refused (a person typing `1` means a kilogram as often as a
    gram, and a silent guess prices the wrong parcel). An integer number of grams is `check_weight_g`'s.
    """
    text = check_text(text, field)
    m = _WEIGHT_RE.fullmatch(text)
    if m is None:
        if _NEGATIVE_RE.match(text):
            raise InputError(field, f"{text.strip()!r}: weight must be positive", rule="greater_than", limit=0)
        if _BARE_RE.fullmatch(text):
            n = text.strip()
            raise InputError(field, f"{n!r} has no unit; write {n}kg or {n}g", rule="unit_required")
        raise _refused(text, field, "a weight", "1.2kg or 350g")
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
    m = _DIMS_RE.fullmatch(text)
    if m is None and _BARE_DIMS_RE.fullmatch(text):
        n = text.strip()
        raise InputError(field, f"{n!r} is L x W x H without a unit; write {n}cm or {n}mm", rule="unit_required")
    if m is None:
        raise _refused(text, field, "L x W x H with a unit", "30x20x10cm or 300x200x100mm")
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
    m = _MONEY_RE.fullmatch(text)
    if m is None:
        if _NEGATIVE_RE.match(text):
            raise InputError(
                field,
                f"{text.strip()!r} is negative; an amount must be 0 or more",
                rule="greater_than_equal",
                limit=0,
            )
        raise _refused(text, field, "an amount with a currency", "1500RUB")
    amount = check_amount(_decimal(m.group(1), field), field)
    currency = check_currency(m.group(2), field)
    return Money(amount, currency)
