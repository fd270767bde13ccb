"""Customs duty (the buyer pays): every worked example of tariff-facts.md §4 and users.md §2 A6."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ratecalc.money.customs import customs_for, duty_eur, rule_for
from ratecalc.money.fx import FxQuote
from ratecalc.units import Money

RU = dt.date(2024, 5, 1)


@pytest.mark.parametrize(
    "example, value_eur, weight_g, free, duty",
    [
        ("tariff-facts #17: 300 EUR, 2 kg", "300", 2000, False, "15.00"),
        ("tariff-facts #18: 150 EUR, 35 kg", "150", 35000, False, "8.00"),
        ("users A6: 260 EUR, 2 kg", "260", 2000, False, "9.00"),
        ("threshold is inclusive: 200 EUR, 31 kg", "200", 31000, True, "0.00"),
        ("both exceeded: the higher wins", "210", 40000, False, "18.00"),
    ],
)
def test_russia_2020_rule(example, value_eur, weight_g, free, duty):
    rule = rule_for(RU)
    assert rule.id == "ru_personal_import_2020_onward"
    got_free, got_duty, why = duty_eur(rule, D(value_eur), weight_g)
    assert (got_free, got_duty) == (free, D(duty)), example
    assert why


def test_rule_dates():
    assert rule_for(dt.date(2019, 12, 31)) is None
    assert rule_for(dt.date(2020, 1, 1)).id == "ru_personal_import_2020_onward"
    assert rule_for(dt.date(2026, 6, 30)).id == "ru_personal_import_2020_onward"
    assert rule_for(dt.date(2026, 7, 1)).id == "eaeu_ecommerce_2026"


def test_eaeu_2026_whole_value():
    rule = rule_for(dt.date(2026, 7, 1))
    assert duty_eur(rule, D("200"), 50000)[:2] == (True, D("0.00"))  # value threshold only
    assert duty_eur(rule, D("300"), 2000)[:2] == (False, D("15.00"))  # 5 % of the whole 300 EUR
    assert duty_eur(rule, D("201"), 40000)[:2] == (False, D("40.00"))  # at least 1 EUR/kg


def test_rub_value_via_eur_rate_and_back():
    eur = FxQuote("EUR", D("100"), RU, "explicit")
    r = customs_for(Money(D("30000"), "RUB"), 2000, RU, eur)  # 300 EUR -> #17
    assert (r.value_eur, r.duty_eur, r.duty_rub, r.duty_free) == (D("300.00"), D("15.00"), D("1500.00"), False)
    assert r.to_dict()["paid_by"] == "buyer"


def test_missing_inputs_say_why():
    assert "no EUR rate" in customs_for(Money(D("1"), "RUB"), 100, RU, None).explanation
    assert "no declared value" in customs_for(None, 100, RU, None).explanation
    assert "no customs rule" in customs_for(Money(D("1"), "EUR"), 100, dt.date(2018, 1, 1), None).explanation
    assert customs_for(Money(D("150"), "EUR"), 35000, RU, None).duty_eur == D("8.00")
