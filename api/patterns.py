"""The text forms the API accepts, as patterns: each is both the server's check and the schema's statement of it.

pydantic-core enforces these patterns, and `/openapi.json` publishes them. So a client, a validator and a
fuzzer all know every rule a string must meet. The library's number grammar (`ratecalc.units`: ASCII
digits, ASCII spaces and tabs, `.` or `,` but never a comma before exactly three digits, a unit on every
weight and size) is the base; these patterns add what the library checks after its grammar: the input
limits (above 0, 1 t, 10 m a side), the known currencies, percentages below 100, a price within the
reverse search's range, a rate above 0. A request that matches the schema is never refused for the form
of one of its strings. It may still be refused for what a schema cannot hold: the tariffs, the
categories, exchange rates, or which dates need a declared price.

Three regex engines read these patterns: ECMA-262 (schema validators and client generators), Rust's
`regex` (pydantic-core) and Python's `re` (fuzzers, the library's parsers). They use only what all three
read the same way: `[0-9]` (never `\\d`), `[ \\t]` (never `\\s`), no look-around.
"""

from __future__ import annotations

from ratecalc.pricing.compact import EXPANSIONS
from ratecalc.pricing.parcels import DATE_PATTERN as DATE_PATTERN
from ratecalc.units import (
    CURRENCY_EXPONENT,
    MAX_DECIMALS,
    MAX_INT_DIGITS,
    MAX_SIDE_MM,
    MAX_WEIGHT_G,
    SPACE,
    TIMES,
    decimal_pattern,
    fraction_lengths,
)

WS = SPACE  # the grammar's space between the parts: ASCII spaces and tabs


def _repeat(lo: int, hi: int) -> str:
    return "" if lo == hi == 1 else f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"


def _digit_range(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"[{lo}-{hi}]"


def _int_up_to(m: int) -> str:
    """Whole numbers 1..m (m >= 1), without leading zeros."""
    text = str(m)
    n = len(text)
    alts = [f"[1-9][0-9]{{0,{n - 2}}}"] if n > 1 else []  # fewer digits than m
    for i in range(n):  # as many digits as m: a prefix of m, a smaller digit, then anything
        lo, hi = (1 if i == 0 else 0), int(text[i]) - 1
        if hi >= lo:
            rest = n - i - 1
            alts.append(text[:i] + _digit_range(lo, hi) + (f"[0-9]{{{rest}}}" if rest else ""))
    alts.append(text)
    return "(?:" + "|".join(alts) + ")"


def _fraction(decimals: int, digits: str = "any") -> str:
    """A separator and its decimals, of the lengths the grammar allows after it (ratecalc.units), and
    `digits`: "any", "zero" (all zeros) or "nonzero" (not all zeros)."""
    alts = []
    for sep, runs in fraction_lengths(decimals).items():
        lengths = [n for lo, hi in runs for n in range(lo, hi + 1)]
        if digits == "any":
            bodies = [f"[0-9]{_repeat(lo, hi)}" for lo, hi in runs]
        elif digits == "zero":
            bodies = [f"0{_repeat(lo, hi)}" for lo, hi in runs]
        else:  # k zeros, a digit 1-9, then the rest: every length the separator allows
            bodies = []
            for k in range(decimals):
                rest = sorted({n - 1 - k for n in lengths if n - 1 - k >= 0})
                for lo, hi in _runs(rest):
                    bodies.append("0" * k + "[1-9]" + (f"[0-9]{_repeat(lo, hi)}" if hi else ""))
        alts.append(f"{sep}(?:{'|'.join(bodies)})")
    return "(?:" + "|".join(alts) + ")"


def _runs(values: list[int]) -> list[tuple[int, int]]:
    """Sorted whole numbers as runs of consecutive ones: [0, 1, 3, 4] -> [(0, 1), (3, 4)]."""
    out: list[tuple[int, int]] = []
    for v in values:
        if out and v == out[-1][1] + 1:
            out[-1] = (out[-1][0], v)
        else:
            out.append((v, v))
    return out


def positive(*, int_digits: int = MAX_INT_DIGITS, decimals: int = MAX_DECIMALS, at_most: int | None = None) -> str:
    """A number of the grammar above 0: any leading zeros, at most `int_digits` more digits, decimals as
    the grammar allows them (`.5` too), and never more than `at_most` when given."""
    frac = f"{_fraction(decimals)}?"
    if at_most is None:
        whole = f"[1-9][0-9]{{0,{int_digits - 1}}}{frac}"
    else:
        assert 1 <= at_most < 10**int_digits, "the limit must be a whole number that the digits can write"
        below = f"{_int_up_to(at_most - 1)}{frac}|" if at_most > 1 else ""
        whole = f"{below}{at_most}{_fraction(decimals, 'zero')}?"  # the limit itself, only with zero decimals
    return f"0*(?:{whole}|{_fraction(decimals, 'nonzero')})"


def non_negative(*, int_digits: int = MAX_INT_DIGITS, decimals: int = MAX_DECIMALS) -> str:
    """A number of the grammar, 0 or more: the library's own `decimal_pattern`."""
    return decimal_pattern(int_digits, decimals)


def any_case(*words: str) -> str:
    return "(?:" + "|".join("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in w) for w in words) + ")"


CURRENCY = any_case(*sorted(CURRENCY_EXPONENT))  # the currencies the library knows, in any case

_G_PER = {"g": 1, "kg": 1000}
_MM_PER = {"mm": 1, "cm": 10, "m": 1000}


def _limit_in(unit_size: int, limit: int) -> int:
    assert limit % unit_size == 0, f"the input limit {limit} is not a whole number of the unit {unit_size}"
    return limit // unit_size


def _weight(unit: str) -> str:
    return positive(at_most=_limit_in(_G_PER[unit], MAX_WEIGHT_G))


def _side(unit: str) -> str:
    return positive(at_most=_limit_in(_MM_PER[unit], MAX_SIDE_MM))


# A weight: grams with or without the unit, or kilograms; above 0 and at most MAX_WEIGHT_G once in grams.
WEIGHT_PATTERN = f"^{WS}(?:{_weight('g')}{WS}{any_case('g')}|{_weight('kg')}{WS}{any_case('kg')}){WS}$"

_DIGITS_RULE = (
    f"ASCII digits, a point or a comma before at most {MAX_DECIMALS} decimals (a comma never before exactly three)"
)
WEIGHT_RULES = f"g or kg, above 0 and at most {MAX_WEIGHT_G // 1000} kg; {_DIGITS_RULE}"

_X = f"{WS}{TIMES}{WS}"
# L x W x H and one unit for all three; each side above 0 and at most MAX_SIDE_MM once in millimetres.
DIMS_PATTERN = (
    f"^{WS}(?:"
    + "|".join(f"{_side(u)}{_X}{_side(u)}{_X}{_side(u)}{WS}{any_case(u)}" for u in ("mm", "cm", "m"))
    + f"){WS}$"
)

DIMS_RULES = f"each side above 0 and at most {MAX_SIDE_MM // 1000} m; {_DIGITS_RULE}"

# An amount and a known currency, e.g. 1500RUB or 99,90 eur: 0 or more, below 10^12.
MONEY_PATTERN = f"^{WS}{non_negative()}{WS}{CURRENCY}{WS}$"
MONEY_RULES = f"0 or more, below 10^{MAX_INT_DIGITS}; {_DIGITS_RULE}; currency {', '.join(sorted(CURRENCY_EXPONENT))}"
AMOUNT_PATTERN = "^[0-9]{1,12}(?:\\.[0-9]{1,6})?$"  # `amount` of a money object: a decimal string, point only
CURRENCY_PATTERN = f"^{CURRENCY}$"

# Percentages of the price (acquiring, FX loss, ads) and the share of returns: 0 to below 100, 4 decimals.
PERCENT_PATTERN = "^" + non_negative(int_digits=2, decimals=4) + "%?$"
# A target margin: above -100 and below 100 %.
MARGIN_PATTERN = "^-?" + non_negative(int_digits=2, decimals=4) + "%?$"
PROFIT_PATTERN = "^" + non_negative(int_digits=7, decimals=2) + "$"  # a target profit in RUB, 0 or more
# RUB per unit of a currency: above 0.
RATE_PATTERN = "^" + positive(int_digits=7, decimals=8) + "$"

# `?expand=`: comma-separated parts, each empty or a part's name in any case, with whitespace around
# (Python's, which `str.strip` removes: the expansions are names, not numbers of the grammar).
_STRIPPED = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*"
_PART = any_case(*EXPANSIONS, "all")
EXPAND_PATTERN = f"^{_STRIPPED}{_PART}?{_STRIPPED}(?:,{_STRIPPED}{_PART}?{_STRIPPED})*$"
# Published only: both the FastAPI route and the direct path check `expand` with ratecalc.pricing.compact.parse_expand,
# which accepts exactly these values and names the unknown part.
EXPAND_SCHEMA = {"items": {"type": "string", "pattern": EXPAND_PATTERN}}
