"""100,000-SKU catalogue through `ratecalc economics --input` end to end: wall time (goal: <= 20 s).

    python3 bench/bench_economics.py [--rows 100000] [--reverse-share 0.5] [--keep DIR]
    python3 bench/bench_economics.py --single      # one SKU's target price, one surface after the other

`--single`: the lowest price reaching a target margin of 25, 80, 90 and 99.9999 % for one SKU (450 g,
20x15x10 cm, Car Products, 62 CNY, 2025-12-05), by the single-SKU path (`reverse_price`, what
`POST /v1/economics` and `ratecalc economics --target-margin` run) and by the catalogue path
(`cost_catalogue`, what `POST /v1/economics/batch` and `--input` run): seconds each, and the answers.

Writes a random catalogue CSV of mixed categories (every category of the 2025-12-01 table, named by slug,
Russian, Chinese or English name), purchase costs in CNY, and either a sale price (forward: best carrier per
SKU) or a target margin (reverse: lowest price per SKU), order date 2025-12-05; then runs the CLI in a child
process with `--fx CNY=11.5 --no-progress` and reports wall time, SKUs/s and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

DAY = "2025-12-05"


def write_catalogue(path: Path, rows: int, reverse_share: float, seed: int = 7) -> None:
    from ratecalc.money.commissions import table_for
    from ratecalc.pricing.parcels import parse_date

    rng = np.random.default_rng(seed)
    cats = table_for(parse_date(DAY)).categories
    names = [n for c in cats if c.brand is None for n in (c.id, c.en, c.ru or c.en, c.zh or c.en)]
    reverse = rng.random(rows) < reverse_share
    price = (rng.integers(30_000, 2_000_000, rows) / 100).round(2).astype(str).astype(object)
    margin = rng.integers(5, 40, rows).astype(str).astype(object)
    price[reverse] = ""
    margin[~reverse] = ""
    table = pa.table(
        {
            "sku": pa.array([f"SKU-{i:07d}" for i in range(rows)]),
            "weight_g": rng.integers(50, 5_000, rows),
            "length_mm": rng.integers(100, 600, rows),
            "width_mm": rng.integers(50, 400, rows),
            "height_mm": rng.integers(10, 300, rows),
            "category": pa.array(rng.choice(names, rows).tolist(), pa.string()),
            "purchase_cost": pa.array([f"{c}CNY" for c in rng.integers(5, 2_000, rows)], pa.string()),
            "sale_price": pa.array(price.tolist(), pa.string()),
            "target_margin": pa.array(margin.tolist(), pa.string()),
        }
    )
    pacsv.write_csv(table, path)


def single() -> None:
    from decimal import Decimal

    from ratecalc import Parcel, TariffSet
    from ratecalc.files.catalogue import cost_catalogue
    from ratecalc.money.economics import EconomicsInput, Target, reverse_price
    from ratecalc.money.fx import build_chain
    from ratecalc.units import Money

    ts = TariffSet.load()
    fx = build_chain(["CNY=11.5"], cbr=False)
    inp = EconomicsInput(
        parcel=Parcel.parse("450g", "20x15x10cm", date=DAY),
        category="Car Products",
        purchase_cost=Money(Decimal(62), "CNY"),
    )
    sku = {"weight_g": ["450"], "length_mm": ["200"], "width_mm": ["150"], "height_mm": ["100"]}
    sku |= {"category": ["Car Products"], "purchase_cost": ["62CNY"]}
    for margin in ("25", "80", "90", "99.9999"):
        started = time.perf_counter()
        res = reverse_price(ts, inp, Target("margin", Decimal(margin)), fx)
        one = time.perf_counter() - started
        best = next((ln for ln in res.lines if ln.price_minor is not None), None)
        started = time.perf_counter()
        cat = cost_catalogue(pa.table({**sku, "target_margin": [margin]}), ts.compiled(), fx, date=DAY)
        many = time.perf_counter() - started
        [row] = cat.table.to_pylist()
        mine = "none" if best is None else f"{best.price_minor / 100:.2f} RUB ({best.service_id})"
        theirs = "none" if row["sale_price"] is None else f"{row['sale_price']} RUB ({row['service_id']})"
        print(f"target margin {margin:>7} %: reverse_price {one:6.2f} s -> {mine}; catalogue {many:5.2f} s -> {theirs}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--reverse-share", type=float, default=0.5)
    ap.add_argument("--keep", type=Path, default=None)
    ap.add_argument("--single", action="store_true", help="one SKU's target price by both paths")
    args = ap.parse_args()
    if args.single:
        single()
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-economics-"))
    work.mkdir(parents=True, exist_ok=True)
    src, out = work / "catalogue.csv", work / "economics.csv"
    write_catalogue(src, args.rows, args.reverse_share)
    cmd = [
        sys.executable,
        "-c",
        "from ratecalc.cli import main; main()",
        "economics",
        "--input",
        str(src),
        "-o",
        str(out),
    ]
    cmd += ["--date", DAY, "--fx", "CNY=11.5", "--no-progress"]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    took = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if proc.returncode not in (0, 1):
        sys.exit(f"failed ({proc.returncode}): {proc.stderr}")
    lines = sum(1 for _ in out.open()) - 1
    print(
        f"{args.rows:,} SKUs ({args.reverse_share:.0%} reverse): {took:.2f} s wall, {args.rows / took:,.0f} SKUs/s, "
        f"{lines:,} output rows, peak RSS {rss:,.0f} MB  (goal: <= 20 s for 100,000)"
    )


if __name__ == "__main__":
    main()
