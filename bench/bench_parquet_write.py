"""Parquet encoding of the long form: CPU per option set, and per column, measured on the writer's own thread.

    python3 bench/bench_parquet_write.py [--parcels 163840] [--rounds 5] [--variants current,stats-numeric,...]
    python3 bench/bench_parquet_write.py --columns      # the same, column by column (what each one costs)

Builds the long form of a random catalogue once (`batchfile.LONG_FORM_INPUT_ROWS` parcels per chunk, as
`ratecalc batch` writes it), then writes it with pyarrow's ParquetWriter in rounds, each variant once per
round (interleaved, so a busy machine slows every variant alike), and reports the least thread CPU time per
31 M rows and the file size scaled to 31 M rows. Thread CPU, not wall time: the machine may be shared.
The options `ratecalc batch` uses are `current` (`batchfile.parquet_options`); the others change one thing.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import busiest_day, load  # noqa: E402

from ratecalc.files import batchfile as bf  # noqa: E402
from ratecalc.files.columnar import ingest, long_form_table  # noqa: E402

Variant = Callable[[list[pa.Table], dict[str, Any]], tuple[list[pa.Table], dict[str, Any]]]


def _catalogue(n: int, seed: int = 4) -> pa.Table:
    """The catalogue bench_csv.py writes, as text columns (what the CSV reader gives)."""
    rng = np.random.default_rng(seed)
    value = rng.integers(100, 500_000, n) / 100
    return pa.table(
        {
            "sku": [f"SKU-{i:08d}" for i in range(n)],
            "weight_g": rng.integers(50, 30_000, n).astype(str),
            "length_mm": rng.integers(10, 1500, n).astype(str),
            "width_mm": rng.integers(10, 1000, n).astype(str),
            "height_mm": rng.integers(10, 800, n).astype(str),
            "declared_value": [f"{v:.2f}" for v in value],
            "currency": ["RUB"] * n,
        }
    )


def _with(**changes: Any) -> Variant:
    return lambda tables, options: (tables, {**options, **changes})


def _nullable_sku(tables: list[pa.Table], options: dict[str, Any]) -> tuple[list[pa.Table], dict[str, Any]]:
    schema = tables[0].schema
    i = schema.get_field_index("sku")
    schema = schema.set(i, schema.field(i).with_nullable(True))
    return [pa.Table.from_arrays(t.columns, schema=schema) for t in tables], options


def _dictionary_off(name: str) -> Variant:
    def change(tables: list[pa.Table], options: dict[str, Any]) -> tuple[list[pa.Table], dict[str, Any]]:
        return tables, {**options, "use_dictionary": [c for c in options["use_dictionary"] if c != name]}

    return change


VARIANTS: dict[str, Variant] = {
    "current": _with(),
    "stats-numeric": _with(write_statistics=["row", "reasons", "chargeable_weight_g", "price", "days_min", "days_max"]),
    "sku-nullable": _nullable_sku,
    "lz4": _with(compression="lz4"),
    "zstd-1": _with(compression="zstd", compression_level=1),
    "uncompressed": _with(compression="none"),
    "weight-plain": _dictionary_off("chargeable_weight_g"),
    "decimal-as-int64": _with(store_decimal_as_integer=True),
    "batch-64k": _with(write_batch_size=64 * 1024),
    "pages-v2": _with(data_page_version="2.0"),
}


def _write(tables: list[pa.Table], options: dict[str, Any]) -> tuple[float, int]:
    sink = io.BytesIO()
    started = time.thread_time()
    with pq.ParquetWriter(sink, tables[0].schema, **options) as writer:
        for t in tables:
            writer.write_table(t)
    return time.thread_time() - started, len(sink.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parcels", type=int, default=5 * bf.LONG_FORM_INPUT_ROWS)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--columns", action="store_true", help="write each column alone with the current options")
    args = ap.parse_args()
    compiled = load().compiled()
    day = busiest_day(compiled)
    data = _catalogue(args.parcels)
    step = bf.LONG_FORM_INPUT_ROWS
    tables = []
    for start in range(0, args.parcels, step):
        ing = ingest(data.slice(start, step), compiled=compiled, date=day, row_offset=start)
        table = long_form_table(compiled, ing, row_offset=start, sku_dictionary=True)
        tables.append(bf.text_sku_required(table))  # as `ratecalc batch` writes a CSV catalogue's long form
    rows = sum(t.num_rows for t in tables)
    scale = 31e6 / rows
    print(f"{rows:,} long-form rows in {len(tables)} chunks ({args.parcels:,} parcels, {day}); per 31 M rows:")
    options = bf.parquet_options(tables[0].schema)
    if args.columns:
        cases = {
            name: ([t.select([name]) for t in tables], bf.parquet_options(tables[0].select([name]).schema))
            for name in tables[0].schema.names
        }
    else:
        cases = {name: VARIANTS[name](tables, options) for name in args.variants.split(",")}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    size: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, (chunks, opts) in cases.items():
            took, size[name] = _write(chunks, opts)
            cpu[name].append(took)
    for name in cases:
        best = min(cpu[name]) * scale
        median = sorted(cpu[name])[len(cpu[name]) // 2] * scale
        print(f"  {name:22s} {best:5.2f} s CPU (median {median:5.2f})  {size[name] * scale / 1e6:6.1f} MB")


if __name__ == "__main__":
    main()
