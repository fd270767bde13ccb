"""The engine's code paths agree: plain-Python small blocks, chunked vector blocks, threads, block caps."""

from __future__ import annotations

import numpy as np

from ratecalc.pricing import engine as E


def _random(P: int, seed: int) -> E.ParcelArrays:
    rng = np.random.default_rng(seed)
    dims = -np.sort(-rng.integers(1, 3000, (P, 3)), axis=1)
    ccy = rng.integers(-1, 6, P)
    return E.ParcelArrays(
        rng.integers(1, 60_000, P),
        dims,
        np.where(ccy >= 0, rng.integers(0, 10**6, P), -1),
        ccy,
        rng.integers(18_500, 20_700, P),  # 2020-08 .. 2026-09: every epoch of the committed tariffs
        rng.integers(0, 2, P),
        rng.random(P) < 0.3,
        rng.random(P) < 0.3,
    )


def _by_parcel(blocks) -> dict[int, tuple]:
    out = {}
    for b in blocks:
        for i, pos in enumerate(b.parcels.tolist()):
            out[pos] = (
                b.services.tolist(),
                b.status[i].tolist(),
                b.reasons[i].tolist(),
                b.chargeable_g[i].tolist(),
                b.price_minor[i].tolist(),
                b.volumetric_g[i].tolist(),
            )
    return out


def _dense(blocks, n: int, width: int = 64) -> np.ndarray:
    """(fields, n, width) array in input order: services, status, reasons, chargeable, price (-2 = none)."""
    out = np.full((5, n, width), -2, dtype=np.int64)
    for b in blocks:
        S = len(b.services)
        out[0, b.parcels, :S] = b.services[None, :]
        for f, arr in enumerate((b.status, b.reasons, b.chargeable_g, b.price_minor), start=1):
            out[f, b.parcels, :S] = arr
    return out


def test_one_parcel_path_matches_the_vector_path(tariffs):
    c = tariffs.compiled()
    p = _random(3000, 11)
    vector = _by_parcel(E.iter_blocks(c, p, threads=1))
    assert len(vector) == 3000
    for k in range(0, 3000, 7):
        [one] = _by_parcel(E.iter_blocks(c, p.take(np.array([k])))).values()
        assert one == vector[k], k


def test_the_list_answer_for_one_parcel_matches_the_vector_path(tariffs):
    """`quote_one` (a single quote, no numpy) gives the integers the vector engine gives, in block order."""
    c = tariffs.compiled()
    p = _random(3000, 12)
    vector = _by_parcel(E.iter_blocks(c, p, threads=1))
    for k in range(0, 3000, 3):
        one = E.quote_one(c, E._scalars_at(p, k))
        got = (one.services, one.status, one.reasons, one.chargeable_g, one.price_minor, one.volumetric_g)
        assert got == vector[k], k


def test_threads_and_block_caps_do_not_change_results(tariffs):
    c = tariffs.compiled()
    n = 5 * E.CHUNK + 17
    p = _random(n, 12)
    ref = _dense(E.iter_blocks(c, p, threads=1, max_block=None), n)
    assert (ref[1] != -2).any()
    assert np.array_equal(_dense(E.iter_blocks(c, p, threads=2, max_block=E.CHUNK + 5), n), ref)
    n = 3 * E.CHUNK
    same_day = _random(n, 13)
    same_day.day[:] = 19_500
    same_day.delivery[:] = 0
    one = _dense(E.iter_blocks(c, same_day, threads=2), n)
    assert np.array_equal(one, _dense(E.iter_blocks(c, same_day, threads=1, max_block=1000), n))


def test_reason_code_table_covers_every_bit():
    bits = [v for k, v in vars(E).items() if k.startswith(("R_", "W_")) and isinstance(v, int)]
    assert sorted(E.REASON_CODES) == sorted(set(bits))
    assert len(set(E.REASON_CODES.values())) == len(E.REASON_CODES)


def test_output_buffers_are_reused_only_when_nothing_holds_them(tariffs):
    from ratecalc.pricing.engine import _OutputPool

    def owner(x):
        return x if x.base is None else x.base

    pool = _OutputPool()
    a = pool.get(3, 10)
    b = pool.get(3, 10)
    assert owner(a[0]) is not owner(b[0])  # a is still held
    del a
    c = pool.get(3, 8)
    assert owner(c[0]) is pool.sets[0][0]  # free again: reused
    view = c[1].T
    del c
    d = pool.get(3, 8)
    assert owner(d[1]) is not pool.sets[0][1]  # a live view keeps the set busy
    # and through the engine: blocks a caller keeps are never overwritten by later blocks
    c = tariffs.compiled()
    p = _random(4 * E.CHUNK, 14)
    kept = list(E.iter_blocks(c, p, max_block=E.CHUNK))
    fresh = _dense(E.iter_blocks(c, p, max_block=None), len(p))
    assert np.array_equal(_dense(kept, len(p)), fresh)
    assert view.shape == (8, 3)


def test_int32_outputs_only_where_no_admissible_parcel_can_overflow():
    from ratecalc.pricing.engine import BillingKey, PriceTerms, _output_dtypes

    usd = PriceTerms(True, 3_000_000, 1_200_000, 100, 10_000)  # 3.00 + 1.20 per 100 g, in micro-units; cents
    assert _output_dtypes([BillingKey(1, -1, 5000, 100, 0, 0)], [usd])[2:] == (np.int32, np.int32)
    # a divisor of 1 g per mm^3 lets a 10 m cube weigh 10^12 g: chargeable needs int64
    assert _output_dtypes([BillingKey(1, -1, 1, 1, 0, 0)], [usd])[2] == np.int64
    # a price per gram so high that the heaviest admissible parcel overflows int32 minor units
    dear = PriceTerms(True, 0, 10**10, 1, 10_000)
    assert _output_dtypes([BillingKey(0, 0, 0, 1, 0, 0)], [dear])[3] == np.int64
