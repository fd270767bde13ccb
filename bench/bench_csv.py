"""10^6-row CSV -> CSV end to end through the `ratecalc batch` command: wall time and peak memory.

    python3 bench/bench_csv.py [--rows 1000000] [--keep DIR] [--modes best,long]

Writes a random catalogue CSV (weight_g, length_mm, width_mm, height_mm, declared_value, currency, sku;
0.1% bad rows on purpose), then runs `ratecalc batch IN -o OUT --date D --no-progress` in a child process
(`--best cheapest` to CSV, the long form to CSV, the long form to Parquet) and reports wall time, rows/s
the child's CPU time (user + sys: the machine may be shared, so wall time alone says little) and peak RSS. The long form is one row per parcel x service (31 per parcel on the busiest date).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import busiest_day, load  # noqa: E402

from ratecalc.tariffdata.compile import day_number  # noqa: E402


def write_catalogue(path: Path, rows: int, seed: int = 4) -> None:
    rng = np.random.default_rng(seed)
    weight = rng.integers(50, 30_000, rows).astype(str).astype(object)
    bad = rng.choice(rows, rows // 1000, replace=False)
    weight[bad] = "-1"
    value = (rng.integers(100, 500_000, rows) / 100).round(2)
    table = pa.table(
        {
            "sku": pa.array([f"SKU-{i:08d}" for i in range(rows)]),
            "weight_g": pa.array(weight.tolist(), pa.string()),
            "length_mm": rng.integers(10, 1500, rows),
            "width_mm": rng.integers(10, 1000, rows),
            "height_mm": rng.integers(10, 800, rows),
            "declared_value": pa.array([f"{v:.2f}" for v in value]),
            "currency": pa.array(["RUB"] * rows),
        }
    )
    pacsv.write_csv(table, path)


def run(cmd: list[str]) -> tuple[float, float, float]:
    """(wall s, peak RSS MB, CPU s = user + sys of the child): on a shared machine the wall time depends on
    what else runs, the CPU time much less."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    took = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_kb = after.ru_maxrss
    if proc.returncode not in (0, 1):
        print(proc.stdout, proc.stderr)
        raise SystemExit(proc.returncode)
    sys.stdout.write("  " + proc.stderr.strip().replace("\n", "\n  ") + "\n")
    # ru_maxrss of children is the max over all children so far; each mode runs in a fresh interpreter
    return took, max(peak_kb, before.ru_maxrss) / 1024, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, default=None, help="directory to keep the files in")
    ap.add_argument("--modes", default="best,long,long-parquet", help="best (CSV), long (CSV), long-parquet")
    args = ap.parse_args()
    compiled = load().compiled()
    day = busiest_day(compiled)
    n_services = len(compiled.epochs[int(compiled.epoch_of(np.array([day_number(day)]))[0])].services)
    work = args.keep or Path(tempfile.mkdtemp(prefix="ratecalc-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / "catalogue.csv"
    t0 = time.perf_counter()
    write_catalogue(src, args.rows)
    print(
        f"input: {args.rows:,} rows, {src.stat().st_size / 1e6:,.0f} MB ({time.perf_counter() - t0:.1f} s to write); "
        f"{n_services} services in force on {day}"
    )
    exe = ["ratecalc"]
    for mode in args.modes.split(","):
        out = work / (f"out-{mode}.parquet" if mode.endswith("parquet") else f"out-{mode}.csv")
        cmd = exe + ["batch", str(src), "-o", str(out), "--date", day.isoformat(), "--no-progress"]
        if mode == "best":
            cmd += ["--best", "cheapest"]
        print(f"$ {' '.join(cmd)}")
        took, peak, cpu = run(cmd)
        size = out.stat().st_size / 1e6
        print(
            f"{mode}: {took:.2f} s wall (process start, tariff load and compile included), "
            f"{cpu:.2f} s CPU (user+sys), {args.rows / took:,.0f} input rows/s, peak RSS {peak:,.0f} MB, "
            f"output {size:,.0f} MB"
        )
    if args.keep is None:
        for f in work.iterdir():
            f.unlink()
        os.rmdir(work)


if __name__ == "__main__":
    main()
