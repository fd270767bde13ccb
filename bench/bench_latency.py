"""One-parcel quote latency through the library, all services in force (and where the time goes).

    python3 bench/bench_latency.py [--n 2000] [--date YYYY-MM-DD]

Reports the median and 90th percentile of `TariffSet.quote(parcel)` (engine + the pydantic ServiceQuote
list, sorted), and separately the engine alone for one parcel (`iter_blocks`), over varied parcels.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import busiest_day, load  # noqa: E402

from ratecalc import Parcel  # noqa: E402
from ratecalc import engine as E  # noqa: E402
from ratecalc.parcels import to_arrays  # noqa: E402
from ratecalc.units import Money  # noqa: E402


def timed(fn, items, repeat_warm: int = 50) -> list[float]:
    for item in items[:repeat_warm]:
        fn(item)
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - t0)
    return out


def report(name: str, samples: list[float]) -> None:
    s = sorted(samples)
    med = statistics.median(s) * 1e6
    p90 = s[int(0.9 * (len(s) - 1))] * 1e6
    print(f"{name}: median {med:,.1f} µs, p90 {p90:,.1f} µs over {len(s):,} parcels")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--date", default=None)
    args = ap.parse_args()
    ts = load()
    compiled = ts.compiled()
    import datetime as dt

    day = dt.date.fromisoformat(args.date) if args.date else busiest_day(compiled)
    rng = np.random.default_rng(3)
    parcels = [
        Parcel(
            weight_g=int(rng.integers(50, 30_000)),
            dims_mm=tuple(int(x) for x in rng.integers(10, 1500, 3)),  # type: ignore[arg-type]
            order_date=day,
            declared_value=Money.from_minor(int(rng.integers(100, 500_000)), "RUB"),
            delivery="courier" if rng.random() < 0.3 else "pickup_point",
            battery=bool(rng.random() < 0.1),
        )
        for _ in range(args.n)
    ]
    n_services = len(ts.quote(parcels[0]))
    print(f"tariffs: {len(compiled.services)} services in the set, {n_services} quoted per parcel on {day}")
    report("TariffSet.quote(parcel) (engine + pydantic ServiceQuotes, sorted)", timed(ts.quote, parcels))
    arrays = [to_arrays([p]) for p in parcels]
    report("engine alone, one parcel (iter_blocks)", timed(lambda a: list(E.iter_blocks(compiled, a)), arrays))
    report("to_arrays (Parcel -> engine columns)", timed(lambda p: to_arrays([p]), parcels))


if __name__ == "__main__":
    main()
