"""The one number grammar (ratecalc.units): its patterns and its parsers agree, in every regex engine the
surfaces use (Python's re for the library, Rust's regex through pydantic for the HTTP schema, RE2 through
Arrow for catalogue columns)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Callable

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import StringConstraints, TypeAdapter, ValidationError

from ratecalc import InputError, Parcel
from ratecalc.units import (
    DIMS_PATTERN,
    MONEY_PATTERN,
    WEIGHT_PATTERN,
    decimal_pattern,
    parse_decimal,
    parse_dims,
    parse_money,
    parse_weight,
)

LIMIT_RULES = {"greater_than", "less_than_equal", "less_than"}  # bounds beyond the pattern; no shape rule
ALPHABET = "0123456789.,-  \tkgKGmcMxX×*RUBusd٣３"


def _rust(pattern: str) -> Callable[[str], bool]:
    adapter = TypeAdapter(Annotated[str, StringConstraints(pattern=pattern)])

    def matches(text: str) -> bool:
        try:
            adapter.validate_python(text)
        except ValidationError:
            return False
        return True

    return matches


CASES = [
    (WEIGHT_PATTERN, parse_weight),
    (DIMS_PATTERN, parse_dims),
    (MONEY_PATTERN, parse_money),
]
RUST = {pattern: _rust(pattern) for pattern, _ in CASES}


def _accepts(parse: Callable[[str], object], text: str) -> bool:
    """The parser takes the text's shape: it parses, or refuses only for a limit (zero, 1 t, a currency).
    A negative number is refused with the rule of its limit too, but a sign is not in the grammar."""
    try:
        parse(text)
    except InputError as exc:
        negative = text.strip(" \t").startswith("-")
        return not negative and (exc.rule in LIMIT_RULES or "unknown currency" in exc.message)
    return True


def _texts() -> st.SearchStrategy[str]:
    number = st.from_regex(r"[0-9]{0,14}([.,][0-9]{0,11})?", fullmatch=True)
    unit = st.sampled_from(["", "g", "kg", "KG", "t", "cm", "mm", "m", "RUB", "usd", "XYZ"])
    space = st.sampled_from(["", " ", "\t", "  "])
    dims = st.tuples(number, space, st.sampled_from(["x", "×", "*", "X"]), space, number, st.just("x"), number)
    shaped = st.one_of(
        st.tuples(space, number, space, unit, space).map("".join),
        st.tuples(dims.map("".join), space, unit).map("".join),
    )
    return st.one_of(shaped, st.text(ALPHABET, max_size=20))


@settings(max_examples=300, deadline=None)
@given(_texts())
@example("1,000kg")
@example("1,0000kg")
@example("0,5kg")
@example(",5kg")
@example("0g")
@example("3٠٠g")
@example("３００g")
@example("300")
@example("9999999999999g")
@example("1.0000000001kg")
@example("1,000RUB")
@example("30,500x20x10cm")
def test_each_pattern_matches_exactly_what_its_parser_accepts_in_every_engine(text):
    for pattern, parse in CASES:
        python = re.fullmatch(pattern, text) is not None
        assert python == _accepts(parse, text), (pattern, text)
        assert RUST[pattern](text) == python, ("rust", pattern, text)
        re2 = pc.match_substring_regex(pa.array([text]), pattern)[0].as_py()
        assert re2 == python, ("re2", pattern, text)


def _reference(text: str, int_digits: int, decimals: int) -> bool:
    """The grammar's number said in plain Python: digits, then `.`+digits or `,`+digits (not exactly 3)."""
    if not text or not set(text) <= set("0123456789.,"):
        return False
    if text.count(".") + text.count(",") > 1:
        return False
    sep = "." if "." in text else "," if "," in text else ""
    whole, _, frac = text.partition(sep) if sep else (text, "", "")
    if len(whole.lstrip("0")) > int_digits or (not whole and not frac):
        return False
    if sep and not (1 <= len(frac) <= decimals):
        return False
    return not (sep == "," and len(frac) == 3)


@settings(max_examples=400, deadline=None)
@given(st.text("0123456789.,", max_size=12), st.integers(1, 5), st.integers(0, 6))
def test_decimal_pattern_is_the_grammar_in_any_size(text, int_digits, decimals):
    pattern = f"^{decimal_pattern(int_digits, decimals)}$"
    assert (re.fullmatch(pattern, text) is not None) == _reference(text, int_digits, decimals), (pattern, text)


@pytest.mark.parametrize(
    "text, rule, fragment",
    [
        ("３００ｇ", "ascii_digits", "write it as 300g"),
        ("300\u00a0g", "ascii_digits", "write it as 300 g"),  # a non-breaking space folds to a space
        ("3٠٠g", "ascii_digits", "non-ASCII digits (٠٠)"),
        ("1,000kg", "ambiguous_comma", "write 1000kg or 1.000kg"),
        ("12,345.5kg", None, "not a weight"),
        ("300", "unit_required", "write 300kg or 300g"),
        ("1e3g", None, "not a weight"),
    ],
)
def test_refusals_say_why_and_what_to_write(text, rule, fragment):
    with pytest.raises(InputError) as exc:
        parse_weight(text)
    assert exc.value.rule == rule and fragment in exc.value.message, exc.value.message


def test_the_library_takes_the_same_grammar_as_every_other_surface():
    for bad in ("300", "3٠٠g", "1,000kg"):
        with pytest.raises(InputError):
            Parcel.parse(bad, "30x20x10cm", date="2023-06-01")
    assert Parcel.parse(300, "30x20x10cm", date="2023-06-01").weight_g == 300  # an int is grams by its type
    with pytest.raises(InputError) as exc:
        parse_decimal("1,000", "fx")
    assert exc.value.rule == "ambiguous_comma"
    assert parse_decimal("-1,5", "fx", signed=True) == Decimal("-1.5")
    assert parse_money("1,50RUB").amount == Decimal("1.50")


def test_a_sub_kopeck_value_is_named_as_compared():
    from ratecalc import TariffSet

    ts = TariffSet.load()
    quotes = ts.quote(Parcel.parse("400g", "20x15x10cm", date="2026-01-10", value="0.999RUB"))
    reasons = {q.group.reason for q in quotes if q.group is not None and q.group.name}
    assert reasons and all(
        r.startswith("price 1.00 RUB (0.999 RUB rounded half-up to 2 decimals) in band") for r in reasons
    )
    exact = ts.quote(Parcel.parse("400g", "20x15x10cm", date="2026-01-10", value="1000RUB"))
    assert any(q.group is not None and (q.group.reason or "").startswith("price 1000 RUB in band") for q in exact)
