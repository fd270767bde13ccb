"""`TariffSet.quote_many` over many parcels against `quote` one at a time: parcels/s, GC time, memory per parcel.

    python3 bench/bench_bulk.py [--n 10000] [--repeat 3] [--date YYYY-MM-DD]

Bulk must never be slower per parcel than one at a time. The garbage collector's passes are timed with
`gc.callbacks` (generation 2 = full collections), and the memory the results hold is measured with
tracemalloc on a separate run (tracing slows the code, so it is not timed). On a shared machine the CPU
time (`time.process_time`) is the steadier figure; report the best of the repeats.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import busiest_day, load, parcel_list  # noqa: E402


class GcTimer:
    def __init__(self) -> None:
        self.full = 0
        self.seconds = 0.0
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._t0
            self.full += info["generation"] == 2


def measure(label: str, fn, n: int) -> float:
    timer = GcTimer()
    gc.collect()
    gc.callbacks.append(timer)
    try:
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        gc.callbacks.remove(timer)
    del result
    print(
        f"{label}: {n / wall:,.0f} parcels/s wall, {n / cpu:,.0f} parcels/s CPU "
        f"({wall:.2f} s; GC {timer.seconds:.2f} s in {timer.full} full collections)"
    )
    return n / cpu


def read_all(results) -> int:
    """Read every quote of every parcel (each ServiceQuote is built, looked at, and let go)."""
    n = 0
    for quotes in results:
        for q in quotes:
            n += q.chargeable_weight_g > 0
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--date", default=None)
    args = ap.parse_args()
    ts = load()
    day = dt.date.fromisoformat(args.date) if args.date else busiest_day(ts.compiled())
    parcels = parcel_list(args.n, day)
    ts.quote_many(parcels[:100])
    print(f"{args.n:,} parcels on {day}, {len(ts.quote(parcels[0]))} services each")
    bulk, read, single = [], [], []
    for _ in range(args.repeat):
        bulk.append(measure("quote_many(all), held          ", lambda: ts.quote_many(parcels), args.n))
        read.append(measure("quote_many(all), every quote read", lambda: read_all(ts.quote_many(parcels)), args.n))
        single.append(measure("quote(p) in a loop, held        ", lambda: [ts.quote(p) for p in parcels], args.n))
    print(
        f"best CPU: quote_many {max(bulk):,.0f} parcels/s (every quote read: {max(read):,.0f}), "
        f"one at a time {max(single):,.0f} parcels/s"
    )
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    held = ts.quote_many(parcels)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(f"memory held by the results: {(after - before) / args.n / 1024:,.1f} KiB per parcel")
    del held


if __name__ == "__main__":
    main()
