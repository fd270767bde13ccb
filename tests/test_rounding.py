"""One rounding for every economics line: integer half-up, the same on ints and on numpy arrays."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from ratecalc.money.commissions import charge_minor
from ratecalc.money.fees import fee_minor, rule_by_id
from ratecalc.money.rounding import pct_of_minor, ratio

PCT = st.decimals(min_value=0, max_value=99, places=4, allow_nan=False, allow_infinity=False)
MINOR = st.integers(min_value=0, max_value=10**8)


@given(MINOR, PCT)
def test_percent_of_money_is_exact_half_up(minor, pct):
    num, den = ratio(pct)
    want = int((Decimal(minor) * pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert pct_of_minor(minor, num, den) == want
    assert int(pct_of_minor(np.array([minor], np.int64), num, den)[0]) == want


@given(st.lists(st.integers(min_value=1, max_value=10**8), min_size=1, max_size=50))
def test_fee_and_commission_arrays_equal_one_by_one(prices):
    arr = np.array(prices, np.int64)
    for rule_id in ("flat-15", "percent-2"):
        rule = rule_by_id(rule_id)
        assert fee_minor(rule, arr).tolist() == [fee_minor(rule, p) for p in prices]
    assert charge_minor(arr, 1750).tolist() == [charge_minor(p, 1750) for p in prices]
