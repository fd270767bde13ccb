"""Rate providers and the conversion rounding rule (half-up to the minor unit), pinned by users.md §2 A2."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratecalc.errors import InputError
from ratecalc.money.fx import ExplicitRates, FxChain, FxQuote, RatesFile, build_chain, from_rub, to_rub
from ratecalc.units import Money

SEP1 = FxQuote("USD", Decimal("96.3344"), dt.date(2023, 9, 1), "cbr")
SEP2 = FxQuote("USD", Decimal("96.3411"), dt.date(2023, 9, 2), "cbr")


def test_a2_rub_fee_to_usd_rounds_each_day_to_cents():
    """Ozon A2: 20 RUB on Sep 1 -> 0.21 USD; 2 x 20 RUB on Sep 2 -> 0.42 USD; total 0.63 USD."""
    day1 = from_rub(Money(Decimal("20"), "RUB"), SEP1)
    day2 = from_rub(Money(Decimal("40"), "RUB"), SEP2)
    assert (day1.amount, day2.amount) == (Decimal("0.21"), Decimal("0.42"))
    assert day1.amount + day2.amount == Decimal("0.63")


def test_to_rub_half_up_to_the_kopeck():
    # 9.00 USD x 96.3344 = 867.0096 -> 867.01
    assert to_rub(Money(Decimal("9.00"), "USD"), SEP1) == Money(Decimal("867.01"), "RUB")
    # exact half goes up: 0.05 x 10.1 = 0.505 -> 0.51
    half = FxQuote("USD", Decimal("10.1"), dt.date(2023, 9, 1), "explicit")
    assert to_rub(Money(Decimal("0.05"), "USD"), half).amount == Decimal("0.51")
    assert to_rub(Money(Decimal("1500"), "RUB"), None) == Money(Decimal("1500.00"), "RUB")


def test_to_rub_refuses_the_wrong_rate():
    with pytest.raises(ValueError):
        to_rub(Money(Decimal("1"), "CNY"), SEP1)


@settings(max_examples=200, deadline=None)
@given(
    minor=st.integers(min_value=0, max_value=10**9),
    rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("1000"), places=4),
)
def test_to_rub_is_within_half_a_kopeck(minor, rate):
    money = Money.from_minor(minor, "USD")
    rub = to_rub(money, FxQuote("USD", rate, dt.date(2024, 1, 1), "explicit"))
    assert abs(rub.amount - money.amount * rate) <= Decimal("0.005")
    assert rub.amount == rub.amount.quantize(Decimal("0.01"))


def test_explicit_parse_and_errors():
    rates = ExplicitRates.parse(["usd=92.45", "CNY=12,71"])
    assert rates.rates == {"USD": Decimal("92.45"), "CNY": Decimal("12.71")}
    with pytest.raises(InputError, match="CUR=RUB_PER_UNIT"):
        ExplicitRates.parse(["92.45"])
    with pytest.raises(InputError, match="unknown currency"):
        ExplicitRates.parse(["XYZ=1"])
    with pytest.raises(InputError, match="positive"):
        ExplicitRates.parse(["USD=-3"])


def test_rates_file_yaml_latest_on_or_before(tmp_path):
    f = tmp_path / "rates.yaml"
    f.write_text(
        "rates:\n"
        "  - {date: 2024-03-01, currency: CNY, rate: 12.60}\n"
        "  - {date: 2024-03-04, currency: CNY, rate: '12,71'}\n",
        encoding="utf-8",
    )
    src = RatesFile(f)
    assert src.rate("CNY", dt.date(2024, 3, 3)).rate == Decimal("12.60")
    q = src.rate("CNY", dt.date(2024, 3, 4))
    assert (q.rate, q.date, q.source) == (Decimal("12.71"), dt.date(2024, 3, 4), "file:rates.yaml")


def test_rates_file_reasons_and_bad_rows(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("date,currency,rate\n2024-03-04,CNY,12.71\n", encoding="utf-8")
    chain = FxChain([RatesFile(f)])
    res = chain.lookup("CNY", dt.date(2024, 3, 1))
    assert res.quote is None and "no CNY rate on or before 2024-03-01" in res.missing_reason
    assert "has no USD rate" in chain.lookup("USD", dt.date(2024, 3, 5)).missing_reason
    bad = tmp_path / "bad.csv"
    bad.write_text("date,currency,rate\n04.03.2024,CNY,12.71\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 1"):
        RatesFile(bad)
    with pytest.raises(InputError, match="cannot read"):
        RatesFile(tmp_path / "missing.csv")


def test_chain_without_providers_says_so():
    res = build_chain(cbr=False).lookup("USD", dt.date(2024, 1, 1))
    assert res.quote is None and res.missing_reason == "no exchange rate provider configured"
    assert build_chain(cbr=False).rate("RUB", dt.date(2024, 1, 1)).rate == 1
