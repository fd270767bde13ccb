"""One-parcel quote latency through the library, all services in force (and where the time goes).

    python3 bench/bench_latency.py [--n 2000] [--date YYYY-MM-DD] [--repeat 3]

Reports the median and 90th percentile of `TariffSet.quote(parcel)` (engine + the pydantic ServiceQuote
list, sorted), and separately its parts over the same varied parcels: the parcel's integers
(`to_scalars`), the one-parcel engine (`engine.quote_one`, plain lists; then its two steps: finding the
parcel's block, and that block's generated function) and building the sorted quotes from its answer.
For comparison, the bulk engine (`iter_blocks`) on a one-parcel array, which a single quote no longer goes
through.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import busiest_day, load, parcel_list  # noqa: E402

from ratecalc.pricing import engine as E  # noqa: E402
from ratecalc.pricing.parcels import to_arrays, to_scalars  # noqa: E402
from ratecalc.pricing.result import build_one  # noqa: E402


def timed(fn, items, repeat_warm: int = 50) -> tuple[list[float], list[float]]:
    """Wall and CPU (this thread) seconds per call. On a shared machine the CPU time is the steadier figure:
    it leaves out the time the process waited for a core."""
    for item in items[:repeat_warm]:
        fn(item)
    wall, cpu = [], []
    for item in items:
        c0 = time.thread_time()
        t0 = time.perf_counter()
        fn(item)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    return wall, cpu


def report(name: str, samples: tuple[list[float], list[float]]) -> None:
    wall, cpu = (sorted(x) for x in samples)
    med = statistics.median(wall) * 1e6
    p90 = wall[int(0.9 * (len(wall) - 1))] * 1e6
    print(
        f"{name}: median {med:,.1f} µs, p90 {p90:,.1f} µs over {len(wall):,} parcels; "
        f"CPU median {statistics.median(cpu) * 1e6:,.1f} µs"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--date", default=None)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the quote measurement (report the best)")
    ap.add_argument("--floors", action="store_true", help="also time bare typed records: the floor of any result")
    args = ap.parse_args()
    ts = load()
    compiled = ts.compiled()
    import datetime as dt

    day = dt.date.fromisoformat(args.date) if args.date else busiest_day(compiled)
    parcels = parcel_list(args.n, day)
    n_services = len(ts.quote(parcels[0]))
    print(f"tariffs: {len(compiled.services)} services in the set, {n_services} quoted per parcel on {day}")
    for _ in range(args.repeat):
        report("TariffSet.quote(parcel) (engine + typed ServiceQuotes, sorted)", timed(ts.quote, parcels))
    report("  to_scalars (Parcel -> engine integers)", timed(to_scalars, parcels))
    scalars = {id(p): to_scalars(p) for p in parcels}
    report("  engine, one parcel (quote_one)", timed(lambda p: E.quote_one(compiled, scalars[id(p)]), parcels))

    def locate(p):
        s = scalars[id(p)]
        return E._locate(compiled, s.day, s.value_minor, s.value_ccy, s.weight_g)

    report("    its block (_locate: epoch, group, the block's plan)", timed(locate, parcels))
    fns = {}
    for p in parcels:
        e, g, _ = locate(p)
        fns[id(p)] = E._plan(compiled, e, scalars[id(p)].delivery, g).scalar()
    report("    its block's generated function (_Plan.scalar())", timed(lambda p: fns[id(p)](scalars[id(p)]), parcels))
    answers = {id(p): E.quote_one(compiled, scalars[id(p)]) for p in parcels}
    report(
        "  sorted ServiceQuotes from its answer",
        timed(lambda p: build_one(compiled, answers[id(p)], p), parcels),
    )
    report(
        "TariffSet.quote_compact(parcel) (the same quotes as compact JSON-ready dicts, no ServiceQuotes)",
        timed(ts.quote_compact, parcels),
    )
    arrays = [to_arrays([p]) for p in parcels]
    report("bulk engine on a one-parcel array (iter_blocks)", timed(lambda a: list(E.iter_blocks(compiled, a)), arrays))
    if args.floors:
        floors(parcels, n_services)


def floors(parcels: list, n: int) -> None:
    """What any typed result costs before a single value is computed: n records per parcel, made the
    cheapest way for each kind, holding the fields a quote has (no values worked out, no sorting)."""
    from collections import namedtuple

    from ratecalc.pricing.result import ServiceQuote, _set_dict, _set_extra, _set_fields_set, _set_private

    names = list(ServiceQuote.model_fields)
    template = dict.fromkeys(names)
    fields_set = set(names)

    def pydantic_models(_p) -> list:
        out = []
        for _ in range(n):
            q = object.__new__(ServiceQuote)
            _set_dict(q, template.copy())
            _set_fields_set(q, fields_set)
            _set_extra(q, None)
            _set_private(q, None)
            out.append(q)
        return out

    Record = namedtuple("Record", names)  # the lightest typed record Python has
    values = [None] * len(names)
    make = tuple.__new__

    def named_tuples(_p) -> list:
        return [make(Record, values) for _ in range(n)]

    report(
        f"  floor: {n} bare ServiceQuote models (template copy, object.__new__, slots set)",
        timed(pydantic_models, parcels),
    )
    report(f"  floor: {n} bare named tuples of the same {len(names)} fields", timed(named_tuples, parcels))


if __name__ == "__main__":
    main()
