"""Engine throughput: service-quotes per second for 10^6 parcels x every service in force (with eligibility),
against a plain-Python scalar loop over the same parcels in the same run.

    python3 bench/bench_engine.py [--parcels 1000000] [--python-parcels 1000000] [--threads N] [--repeat 3]

A "service-quote" is one (parcel, service) cell with status, reasons bitmask, chargeable weight and price all
computed. The engine consumes its blocks as a catalogue run does (each block is reduced and dropped).
The scalar loop implements the same rules one cell at a time in plain Python (and its results are checked
against the engine's on every parcel it quotes, so the comparison is like for like).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import busiest_day, load, random_parcels  # noqa: E402

from ratecalc.pricing import engine as E  # noqa: E402
from ratecalc.tariffdata.compile import (
    CURRENCIES,  # noqa: E402
    MICRO,  # noqa: E402
)
from ratecalc.units import CURRENCY_EXPONENT  # noqa: E402


def engine_run(compiled, parcels, threads):
    """The timed run: every block is computed in full and released (as a file chunk writer does)."""
    cells = 0
    for block in E.iter_blocks(compiled, parcels, threads=threads):
        cells += block.status.size
    return cells


def ok_count(compiled, parcels):
    return sum(int((b.status == E.STATUS_OK).sum()) for b in E.iter_blocks(compiled, parcels))


def scalar_loop(compiled, parcels, n):
    """Plain Python: for each parcel, for each service in force, the whole rule set cell by cell."""
    t = compiled.table
    T = {f: getattr(t, f).tolist() for f in t.__dataclass_fields__}
    minor_div = [MICRO // 10 ** CURRENCY_EXPONENT[c] for c in CURRENCIES]
    w_l = parcels.weight_g[:n].tolist()
    d_l = parcels.dims_mm[:n].tolist()
    vm_l = parcels.value_minor[:n].tolist()
    vc_l = parcels.value_ccy[:n].tolist()
    dl_l = parcels.delivery[:n].tolist()
    b_l = parcels.battery[:n].tolist()
    l_l = parcels.liquid[:n].tolist()
    epochs = compiled.epoch_of(parcels.day[:n]).tolist()
    groups = E.assign_groups(compiled, parcels.take(np.arange(n)), np.asarray(epochs)).tolist()
    out = []

    def step(numer, unit, direction):
        if direction == 0:
            return -((-numer) // unit)
        if direction == 1:
            return numer // unit
        return (2 * numer + unit) // (2 * unit)

    for i in range(n):
        ep = compiled.epochs[epochs[i]]
        rows = ep.rows[:, dl_l[i], groups[i]].tolist()
        flags = ep.flags[:, dl_l[i], groups[i]].tolist()
        w = w_l[i]
        d0, d1, d2 = d_l[i]
        total, volume = d0 + d1 + d2, d0 * d1 * d2
        cells = []
        for r, fl in zip(rows, flags):
            st = T["round_step"][r]
            dr = T["round_dir"][r]
            charge = step(w, st, dr) * st
            basis = T["basis"][r]
            if basis != 0 and total > T["threshold_mm"][r]:
                vol = step(volume, T["divisor"][r] * st, dr) * st
                charge = max(charge, vol) if basis == 1 else vol
            charge = max(charge, T["min_bill"][r])
            bits = fl
            if basis == 2 and charge < w:  # billed the volumetric weight alone, below the actual one
                bits |= E.W_BILLED_BELOW_ACTUAL
            if w > T["max_w"][r]:
                bits |= E.R_WEIGHT_MAX
            if w < T["min_w"][r]:
                bits |= E.R_WEIGHT_MIN
            if d0 > T["max_d0"][r] or d1 > T["max_d1"][r] or d2 > T["max_d2"][r]:
                bits |= E.R_DIMS
            if (total >= T["max_sum"][r]) if T["sum_strict"][r] else (total > T["max_sum"][r]):
                bits |= E.R_SUM
            if d0 > T["max_long"][r]:
                bits |= E.R_LONGEST
            vc = T["val_ccy"][r]
            if vc >= 0 and vc_l[i] >= 0:
                if vc_l[i] == vc:
                    if vm_l[i] > T["max_val"][r]:
                        bits |= E.R_VALUE
                else:
                    bits |= E.W_VALUE_UNCHECKED
            if b_l[i]:
                bits |= (0, E.R_BATTERY, E.W_BATTERY_MSDS, E.W_BATTERY_UNKNOWN)[T["batteries"][r]]
            if l_l[i]:
                bits |= (0, E.R_LIQUID, 0, E.W_LIQUID_UNKNOWN)[T["liquids"][r]]
            if bits & E.BLOCKING:
                status, price = E.STATUS_INELIGIBLE, -1
            elif not T["published"][r]:
                status, price = E.STATUS_UNPRICED, -1
            else:
                steps = -((-charge) // T["rate_step"][r])
                micro = T["fixed_micro"][r] + T["per_micro"][r] * steps
                div = minor_div[T["currency"][r]]
                status, price = E.STATUS_OK, (micro + div // 2) // div
            cells.append((status, bits, charge, price))
        out.append(cells)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parcels", type=int, default=1_000_000)
    ap.add_argument("--python-parcels", type=int, default=None, help="parcels for the scalar loop (default: all)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    ts = load()
    compiled = ts.compiled()
    day = busiest_day(compiled)
    parcels = random_parcels(args.parcels, day)
    n_services = len(compiled.epochs[int(compiled.epoch_of(parcels.day[:1])[0])].services)
    print(f"tariffs: {len(compiled.services)} services in the set, {n_services} in force on {day} (order date used)")
    print(f"parcels: {args.parcels:,} (random, 30% courier, 10% batteries, 5% liquids, half declared in RUB)")

    engine_run(compiled, random_parcels(20_000, day, seed=2), args.threads)  # warm-up: plans, pages
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        cells = engine_run(compiled, parcels, args.threads)
        times.append(time.perf_counter() - t0)
    best = min(times)
    ok = ok_count(compiled, parcels)
    rate = cells / best
    print(
        f"engine: {cells:,} service-quotes ({ok:,} ok) in {best:.3f} s (best of {args.repeat}; "
        f"all: {', '.join(f'{t:.3f}' for t in times)}) = {rate / 1e6:,.1f} M service-quotes/s"
    )

    n_py = min(args.python_parcels or args.parcels, args.parcels)
    t0 = time.perf_counter()
    cells_py = scalar_loop(compiled, parcels, n_py)
    took_py = time.perf_counter() - t0
    n_cells_py = sum(len(c) for c in cells_py)
    rate_py = n_cells_py / took_py
    print(f"plain-Python scalar loop: {n_cells_py:,} service-quotes in {took_py:.2f} s = {rate_py / 1e6:,.2f} M/s")
    print(f"ratio engine / scalar loop: {rate / rate_py:,.0f}x")

    # like for like: the scalar loop's cells equal the engine's on the parcels it quoted
    sub = parcels.take(np.arange(n_py))
    mismatches = 0
    for block in E.iter_blocks(compiled, sub):
        for i, pos in enumerate(block.parcels.tolist()):
            for j, cell in enumerate(cells_py[pos]):
                got = (
                    int(block.status[i, j]),
                    int(block.reasons[i, j]),
                    int(block.chargeable_g[i, j]),
                    int(block.price_minor[i, j]),
                )
                mismatches += got != cell
    print(f"cross-check: {n_cells_py:,} cells compared, {mismatches} mismatches")
    if mismatches:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
