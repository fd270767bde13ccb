"""Ozon's fee rules: flat 15 RUB (USD era) and the weakly sourced 2 % (min 15, max 200) rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ratecalc.errors import InputError
from ratecalc.money.fees import fee_amount, fee_breakpoints, rule_by_id, select_rule


def test_selection_by_tariff_currency_and_choice():
    day = dt.date(2022, 7, 1)
    assert select_rule(day, "USD").id == "flat-15"
    assert select_rule(day, "CNY").id == "percent-2"
    assert select_rule(day, "USD", "percent-2").id == "percent-2"
    assert select_rule(day, "HKD") is None
    with pytest.raises(InputError, match="known: flat-15, percent-2"):
        select_rule(day, "USD", "nope")


def test_weak_sourcing_is_stated_in_the_data():
    rule = rule_by_id("percent-2")
    assert rule.confidence == "low" and "WEAK" in rule.sourcing
    assert rule.sources == ["https://ozon.menglar.com/article/operate/20544"]
    assert rule_by_id("flat-15").vat == "included"


@pytest.mark.parametrize(
    "price, fee",
    [
        ("100", "15.00"),
        ("750", "15.00"),
        ("750.50", "15.01"),
        ("1234.56", "24.69"),
        ("10000", "200.00"),
        ("50000", "200.00"),
    ],
)
def test_percent_rule_clamped_half_up(price, fee):
    assert fee_amount(rule_by_id("percent-2"), D(price)).amount_rub == D(fee)


def test_flat_and_missing_price():
    assert fee_amount(rule_by_id("flat-15"), None).amount_rub == D("15.00")
    res = fee_amount(rule_by_id("percent-2"), None)
    assert res.amount_rub is None and "no price" in res.missing_reason
    assert fee_breakpoints(rule_by_id("percent-2")) == [D("750"), D("10000")]
    assert fee_breakpoints(rule_by_id("flat-15")) == []
