"""The API's string patterns (api.patterns) say exactly what the library accepts, in every regex dialect.

Each pattern is checked two ways on generated text:
- the three engines that read it agree: Python's `re` (fuzzers, the library), Rust's `regex` (pydantic-core,
  which enforces it) and ECMA-262 (`regress`: what JSON Schema validators and client generators read);
- against the library's own parser: text the pattern accepts, the library accepts (so no schema-valid
  request is refused for its form), and text the library accepts, the pattern accepts (so the schema
  refuses nothing the library would take), the API's own tighter digit counts aside.
"""

from __future__ import annotations

import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Annotated, Callable

import pytest
import regress
from exploring import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import StringConstraints, TypeAdapter, ValidationError

from api import patterns as P
from ratecalc import InputError
from ratecalc.money.economics import Target, check_percentages
from ratecalc.money.fx import build_chain
from ratecalc.pricing.compact import parse_expand
from ratecalc.units import (
    MAX_SIDE_MM,
    MAX_WEIGHT_G,
    check_currency,
    parse_decimal,
    parse_dims,
    parse_money,
    parse_weight,
)

# Whitespace of each engine's own idea, and characters near the edges of them.
SPACES = ["", "", "", "", " ", "  ", "\t", "\n", "\xa0", "\u2009", "\u3000", "\x1c", "\x85", "\ufeff", "\u200b", "\x00"]
DIGITS = "0123456789"


def _number(draw) -> str:
    """Half the time a number as people write it, half the time digits past every limit."""
    if draw(st.booleans()):
        return draw(st.from_regex(r"0{0,2}[0-9]{1,4}([.,][0-9]{1,3})?|[.,][0-9]{1,3}", fullmatch=True))
    whole = "0" * draw(st.integers(0, 4)) + draw(st.text(DIGITS, max_size=14))
    frac = draw(
        st.one_of(st.just(""), st.builds(lambda s, f: s + f, st.sampled_from(".,"), st.text(DIGITS, max_size=11)))
    )
    text = whole + frac
    if text and draw(st.integers(0, 4)) == 0:  # now and then a Unicode digit (Arabic-Indic three)
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + "٣" + text[i + 1 :]
    return text


@st.composite
def weights(draw) -> str:
    ws = st.sampled_from(SPACES)
    unit = draw(st.sampled_from(["", "g", "G", "kg", "KG", "kG", "gr", "mg", "t", "кг"]))
    sign = draw(st.sampled_from(["", "", "", "-", "+"]))
    return draw(ws) + sign + _number(draw) + draw(ws) + unit + draw(ws)


PEOPLE_SIDE = st.from_regex(r"0?[0-9]{1,4}([.,][0-9]{1,2})?", fullmatch=True)


@st.composite
def dims(draw) -> str:
    ws = st.sampled_from(SPACES)
    if draw(st.booleans()):  # as people write them: three sides, a separator, a unit
        sides = draw(st.lists(PEOPLE_SIDE, min_size=3, max_size=3))
        sep = draw(st.sampled_from(["x", "X", "×", "*", " x "]))
        return sep.join(sides) + draw(ws) + draw(st.sampled_from(["mm", "cm", "m", "CM", "Mm"]))
    seps = st.sampled_from(["x", "x", "X", "×", "*", "х", "xx"])
    unit = draw(st.sampled_from(["mm", "cm", "m", "MM", "Cm", "M", "", "km", "in"]))
    sides = [draw(ws) + _number(draw) + draw(ws) for _ in range(draw(st.sampled_from([3, 3, 3, 3, 2, 4])))]
    text = sides[0]
    for side in sides[1:]:
        text += draw(seps) + side
    return text + unit + draw(ws)


@st.composite
def money(draw) -> str:
    ws = st.sampled_from(SPACES)
    code = draw(st.sampled_from(["RUB", "rub", "Usd", "CNY", "eur", "HKD", "kzt", "XYZ", "RU", "RUBL", "₽"]))
    sign = draw(st.sampled_from(["", "", "", "-"]))
    return draw(ws) + sign + _number(draw) + draw(ws) + code + draw(ws)


@st.composite
def percents(draw) -> str:
    sign = draw(st.sampled_from(["", "", "-"]))
    return sign + _number(draw) + draw(st.sampled_from(["", "", "%", " %"]))


@st.composite
def expansions(draw) -> str:
    part = st.sampled_from(["", "billing", "TARIFF", "Reasons", "all", "bill", "tariffs", "İall", "\u212aall"])
    ws = st.sampled_from(SPACES)
    parts = draw(st.lists(st.builds(lambda a, p, b: a + p + b, ws, part, ws), min_size=1, max_size=4))
    return draw(st.sampled_from([",", ";"])).join(parts)


def _engines(pattern: str) -> Callable[[str], bool]:
    """Whether `text` matches, after checking that Python, pydantic-core (Rust) and ECMA-262 agree."""
    rust = TypeAdapter(Annotated[str, StringConstraints(pattern=pattern)])
    ecma = regress.Regex(pattern, "u")
    python = re.compile(pattern)

    def matches(text: str) -> bool:
        try:
            rust.validate_python(text)
            by_rust = True
        except ValidationError:
            by_rust = False
        by_python = python.fullmatch(text) is not None  # JSON Schema's `$` is the end of the text
        by_ecma = ecma.find(text) is not None
        assert by_python == by_rust == by_ecma, (text, by_python, by_rust, by_ecma)
        return by_python

    return matches


def _accepts(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except InputError:
        return False
    return True


def _same_as_the_library(pattern: str, parse: Callable[[str], object], text: str) -> None:
    by_pattern = _engines(pattern)(text)
    by_library = _accepts(parse, text)
    assert not by_pattern or by_library, f"the schema admits {text!r}, the library refuses it"
    assert by_pattern or not by_library, f"the library takes {text!r}, the schema refuses it"


PROPERTY = settings(max_examples=examples(200))


@PROPERTY
@given(weights())
def test_the_weight_pattern_is_the_librarys_weight(text):
    _same_as_the_library(P.WEIGHT_PATTERN, parse_weight, text)


@PROPERTY
@given(dims())
def test_the_dims_pattern_is_the_librarys_dims(text):
    _same_as_the_library(P.DIMS_PATTERN, parse_dims, text)


@PROPERTY
@given(money())
def test_the_money_pattern_is_the_librarys_money(text):
    _same_as_the_library(P.MONEY_PATTERN, parse_money, text)


@PROPERTY
@given(st.text(max_size=5) | st.sampled_from(["RUB", "rub", "rUb", "usd", "XYZ", "RUBL", " RUB"]))
def test_the_currency_pattern_is_the_librarys_list(text):
    _same_as_the_library(P.CURRENCY_PATTERN, check_currency, text)


@PROPERTY
@given(expansions())
def test_the_expand_pattern_is_what_parse_expand_takes(text):
    _same_as_the_library(P.EXPAND_PATTERN, lambda t: parse_expand([t]), text)


def _as_decimal(text: str) -> Decimal:
    """What the economics routes make of a percentage or an amount: ratecalc.units' digits, `%` dropped."""
    return parse_decimal(text.strip().removesuffix("%"), "value", signed=True)


def _within(value: Decimal, int_digits: int, decimals: int) -> None:
    """The API's own bounds on the digits of a number, tighter than the library's."""
    if abs(value) >= 10**int_digits or -int(value.as_tuple().exponent) > decimals:
        raise InputError("value", f"more than {int_digits} digits or {decimals} decimals")


def _a_percentage(text: str) -> None:
    if text.startswith("-"):
        raise InputError("acquiring", "a percentage of the price is written without a sign (the API's rule)")
    value = _as_decimal(text)
    check_percentages(SimpleNamespace(acquiring=value, fx_loss=0, ads=0, return_rate=0, not_collected_rate=0))
    _within(value, 2, 4)


def _a_margin(text: str) -> None:
    value = _as_decimal(text)
    Target("margin", value)
    _within(value, 2, 4)


def _a_rate(text: str) -> None:
    build_chain({"CNY": text}, None, cbr=False)
    _within(_as_decimal(text), 7, 8)


@PROPERTY
@given(percents())
def test_the_percentage_pattern_is_the_librarys_range(text):
    _same_as_the_library(P.PERCENT_PATTERN, _a_percentage, text.replace(" ", ""))


@PROPERTY
@given(percents())
def test_the_margin_pattern_is_the_librarys_range(text):
    _same_as_the_library(P.MARGIN_PATTERN, _a_margin, text.replace(" ", ""))


@PROPERTY
@given(st.from_regex(r"-?0{0,3}[0-9]{0,9}([.,][0-9]{0,10})?", fullmatch=True))
def test_the_rate_pattern_is_a_positive_rate(text):
    _same_as_the_library(P.RATE_PATTERN, _a_rate, text)


@pytest.mark.parametrize(
    "text, grams",
    [
        ("1000kg", MAX_WEIGHT_G),
        ("1000000G", MAX_WEIGHT_G),
        ("999999.000000001g", MAX_WEIGHT_G),
        ("0.000000001kg", 1),
        ("\t,5 KG ", 500),
        ("1,0000kg", 1000),
    ],
)
def test_weights_at_the_edges_of_the_limits_match(text, grams):
    assert _engines(P.WEIGHT_PATTERN)(text) and parse_weight(text) == grams


@pytest.mark.parametrize(
    "text",
    [
        "1000.000000001kg",
        "1000001g",
        "0g",
        "0,0kg",
        "000,000701290504 g",  # ten decimals
        "1,000kg",  # a comma before exactly three digits: a thousands separator as often as a decimal one
        "1000000",  # no unit
        "\xa01kg",  # a space that is not ASCII
        "1kg\n",  # Python's `$` alone would take a final newline
        "1e3g",
        "1 000g",
    ],
)
def test_weights_past_the_limits_do_not_match(text):
    assert not _engines(P.WEIGHT_PATTERN)(text) and not _accepts(parse_weight, text)


def test_sides_at_the_limit_match_in_every_unit():
    side = MAX_SIDE_MM
    for text in (f"{side}x1x1mm", f"{side // 10}x1x1cm", f"{side // 1000}x1x1M", "10,0 × 0.001 * 0,1 m"):
        assert _engines(P.DIMS_PATTERN)(text) and _accepts(parse_dims, text), text
    for text in (f"{side + 1}x1x1mm", f"{side // 10}.1x1x1cm", "1x1x10.000000001m"):
        assert not _engines(P.DIMS_PATTERN)(text) and not _accepts(parse_dims, text), text
