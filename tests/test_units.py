from decimal import Decimal

import pytest

from ratecalc import InputError, Money, parse_dims, parse_money, parse_weight


@pytest.mark.parametrize(
    "text, grams",
    [("1.2kg", 1200), ("350g", 350), ("0.5 KG", 500), ("1,5kg", 1500), ("1.2345kg", 1235), ("0.1g", 1)],
)
def test_weights(text, grams):
    assert parse_weight(text) == grams


@pytest.mark.parametrize(
    "text, mm",
    [
        ("30x20x10cm", (300, 200, 100)),
        ("300x200x100mm", (300, 200, 100)),
        ("30 × 20 × 10 cm", (300, 200, 100)),
        ("0.3*0.2*0.1m", (300, 200, 100)),
        ("30.25x20x10cm", (303, 200, 100)),
    ],
)
def test_dims(text, mm):
    assert parse_dims(text) == mm


@pytest.mark.parametrize(
    "text, field, fragment",
    [
        ("-1kg", "weight", "positive"),
        ("0g", "weight", "positive"),
        ("2t", "weight", "unknown weight unit"),
        ("heavy", "weight", "not a weight"),
        ("2000kg", "weight", "input limit"),
        ("350", "weight", "has no unit; write 350kg or 350g"),  # a bare number is refused on every surface
    ],
)
def test_bad_weights(text, field, fragment):
    with pytest.raises(InputError) as exc:
        parse_weight(text)
    assert exc.value.field == field and fragment in exc.value.message


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("30x20cm", "L x W x H"),
        ("30x20x10in", "unknown length unit"),
        ("30x20x0cm", "positive"),
        ("30x20x10", "L x W x H"),
        ("2000x1x1cm", "input limit"),
    ],
)
def test_bad_dims(text, fragment):
    with pytest.raises(InputError) as exc:
        parse_dims(text)
    assert exc.value.field == "dims" and fragment in exc.value.message


def test_money_is_exact():
    m = parse_money("1500.50RUB")
    assert m == Money(Decimal("1500.50"), "RUB") and m.to_minor() == 150050
    assert Money.from_minor(150050, "RUB").amount == Decimal("1500.50")
    with pytest.raises(InputError):
        parse_money("1500XYZ")
    with pytest.raises(InputError):
        parse_money("RUB")
