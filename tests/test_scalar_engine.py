"""The one-parcel function a plan generates gives the vector path's integers, for any rules and parcels.

`test_columnar_engine.py` holds the two paths equal on the committed tariffs over random parcels in every
epoch; here the rules themselves are random too (rounding down and to nearest, minimum charges, strict sums,
blocking flags: shapes the committed tariffs do not all have) and the parcels sit on the rules' edges.
"""

from __future__ import annotations

import pickle

import numpy as np
from exploring import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from ratecalc.pricing import engine as E

STEPS = st.sampled_from([1, 10, 50, 100, 500, 1000])


@st.composite
def billing_keys(draw) -> E.BillingKey:
    basis = draw(st.integers(0, 2))
    key = E.BillingKey(
        basis,
        draw(st.one_of(st.just(-1), st.integers(0, 3000))),
        draw(st.sampled_from([1000, 5000, 6000, 8000, 12000])),
        draw(STEPS),
        draw(st.integers(0, 2)),
        draw(st.one_of(st.just(0), st.integers(1, 5000), st.sampled_from([100, 500, 1000]))),
    )
    return key._replace(threshold_mm=0, divisor=0) if basis == 0 else key  # as `_plan` keys them


def _limit(draw, lo: int, hi: int) -> int:
    return draw(st.one_of(st.just(E.BIG), st.integers(lo, hi)))


@st.composite
def limit_keys(draw) -> E.LimitKey:
    return E.LimitKey(
        _limit(draw, 1, 40_000),
        draw(st.one_of(st.just(0), st.integers(1, 5000))),
        _limit(draw, 10, 3000),
        _limit(draw, 10, 2000),
        _limit(draw, 10, 1500),
        _limit(draw, 30, 6000),
        draw(st.booleans()),
        _limit(draw, 10, 3000),
        draw(st.integers(-1, 5)),
        draw(st.integers(0, 10**7)),
        draw(st.integers(0, 3)),
        draw(st.sampled_from([0, 1, 3])),
    )


PRICE_TERMS = st.builds(
    E.PriceTerms,
    st.booleans(),
    st.integers(0, 10**8),
    st.integers(0, 10**7),
    STEPS,
    st.sampled_from([1, 100, 10_000, 1_000_000]),
)


def _near(draw, edges: list[int], lo: int, hi: int) -> int:
    """A number on an edge of the rules (or one off it), or anywhere in [lo, hi]."""
    edges = [e + d for e in edges if e < E.BIG for d in (-1, 0, 1) if lo <= e + d <= hi]
    if edges and draw(st.booleans()):
        return draw(st.sampled_from(edges))
    return draw(st.integers(lo, hi))


@st.composite
def blocks(draw):
    """A plan of 1-6 services over a few shared rules and limit sets, and 5-12 parcels on their edges."""
    keys = draw(st.lists(billing_keys(), min_size=1, max_size=3, unique=True))
    lims = draw(st.lists(limit_keys(), min_size=1, max_size=3))
    for _ in range(draw(st.integers(0, 2))):  # sets that differ only in their battery and liquid policies
        lims.append(lims[0]._replace(batteries=draw(st.integers(0, 3)), liquids=draw(st.sampled_from([0, 1, 3]))))
    S = draw(st.integers(1, 6))
    billing_of = [draw(st.integers(0, len(keys) - 1)) for _ in range(S)]
    limits = [lims[draw(st.integers(0, len(lims) - 1))] for _ in range(S)]
    prices = [draw(PRICE_TERMS) for _ in range(S)]
    flags = [draw(st.sampled_from([0, 0, E.R_NO_ROW, E.R_NO_GROUP])) for _ in range(S)]
    weights = [x for k in keys for x in (k.step, k.min_bill, k.step * 7)] + [x for m in lims for x in (m[0], m[1])]
    sides = [x for m in lims for x in (m.max_d0, m.max_d1, m.max_d2, m.max_long)] + [100, 60, 50, 80]
    sums = [m.max_sum for m in lims] + [k.threshold_mm for k in keys]
    parcels = []
    for _ in range(draw(st.integers(5, 12))):
        w = _near(draw, weights, 1, 60_000)
        if draw(st.booleans()):  # the sum of sides on a limit or threshold
            total = _near(draw, sums, 3, 9000)
            d2 = draw(st.integers(1, total // 3))
            d1 = draw(st.integers(d2, (total - d2) // 2))
            dims = (total - d1 - d2, d1, d2)
        else:
            dims = tuple(sorted((_near(draw, sides, 1, 3000) for _ in range(3)), reverse=True))
        ccy = draw(st.integers(-1, 5))
        value = -1 if ccy < 0 else _near(draw, [m.max_val for m in lims], 0, 10**7)
        parcels.append((w, *dims, value, ccy, draw(st.booleans()), draw(st.booleans())))
    return keys, billing_of, prices, flags, limits, parcels


@settings(max_examples=examples(200), deadline=None)
@given(blocks())
def test_generated_one_parcel_function_equals_the_vector_path(block):
    keys, billing_of, prices, flags, limits, parcels = block
    S, P = len(prices), len(parcels)
    divisors = [keys[b].divisor for b in billing_of]
    plan = E._Plan(
        rows=np.arange(S),
        services=np.arange(S),
        divisor=np.array(divisors, np.int64),
        billing_keys=keys,
        billing_of=billing_of,
        prices=prices,
        flags=flags,
        limits=limits,
    )
    fn, source = plan.scalar(), plan.scalar_source()
    cols = list(zip(*parcels))
    arrays = E.ParcelArrays(
        np.array(cols[0], np.int64),
        np.array(parcels, np.int64)[:, 1:4],
        np.array(cols[4], np.int64),
        np.array(cols[5], np.int64),
        np.zeros(P, np.int64),
        np.zeros(P, np.int64),
        np.array(cols[6], bool),
        np.array(cols[7], bool),
    )
    out = tuple(np.full((S, P), -7, np.int64) for _ in range(4))
    E._quote_chunk(plan, arrays, slice(0, P), 0, P, out)  # the vector path (P > SMALL: never the scalar one)
    for i, (w, d0, d1, d2, value, ccy, battery, liquid) in enumerate(parcels):
        q = fn(E.ParcelScalars(w, d0, d1, d2, value, ccy, 0, 0, battery, liquid))
        vector = [o[:, i].tolist() for o in out]
        assert [q.status, q.reasons, q.chargeable_g, q.price_minor] == vector, source
        volume = d0 * d1 * d2
        assert q.volumetric_g == [-(-volume // dv) if dv > 0 else -1 for dv in divisors]


def test_a_compiled_set_that_has_quoted_one_parcel_still_pickles_and_quotes_the_same(tariffs):
    c = tariffs.compiled()
    p = E.ParcelScalars(1234, 400, 300, 200, 150_000, 4, 19_700, 0, True, False)
    before = E.quote_one(c, p)
    again = pickle.loads(pickle.dumps(c))
    assert E.quote_one(again, p) == before
