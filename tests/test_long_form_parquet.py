"""The long form written to Parquet says, row by row, what a single quote of each parcel says; the table built
straight from the engine's blocks is the same table as the one built through ColumnarQuotes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from exploring import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecalc import Parcel
from ratecalc.files.columnar import ingest, long_form_table, quote_ingested
from ratecalc.units import Money

DATES = [dt.date(2021, 9, 1), dt.date(2022, 7, 1), dt.date(2023, 7, 19), dt.date(2025, 3, 1), dt.date(2026, 2, 1)]


def _catalogue(n: int, seed: int = 11) -> pd.DataFrame:
    """Parcels over several tariff epochs, both delivery types, with and without declared values."""
    rng = np.random.default_rng(seed)
    value = rng.integers(0, 3_000_000, n)
    has_value = rng.random(n) < 0.8
    return pd.DataFrame(
        {
            "sku": [f"SKU-{i:05d}" for i in range(n)],
            "weight_g": rng.integers(20, 25_000, n),
            "length_mm": rng.integers(50, 800, n),
            "width_mm": rng.integers(20, 500, n),
            "height_mm": rng.integers(10, 400, n),
            "declared_value": [f"{Decimal(int(v)).scaleb(-2)}" if h else "" for v, h in zip(value, has_value)],
            "currency": np.where(has_value, rng.choice(["RUB", "USD", "CNY"], n), ""),
            "order_date": [DATES[k].isoformat() for k in rng.integers(0, len(DATES), n)],
            "delivery": rng.choice(["pickup_point", "courier"], n),
            "battery": rng.choice(["", "yes"], n, p=[0.9, 0.1]),
        }
    )


def _parcel(r: dict) -> Parcel:
    value = None if not r["declared_value"] else Money(Decimal(r["declared_value"]), r["currency"])
    return Parcel(
        weight_g=int(r["weight_g"]),
        dims_mm=(int(r["length_mm"]), int(r["width_mm"]), int(r["height_mm"])),
        order_date=dt.date.fromisoformat(r["order_date"]),
        declared_value=value,
        delivery=r["delivery"],
        battery=r["battery"] == "yes",
    )


def test_long_form_parquet_says_what_single_quotes_say(tmp_path, tariffs):
    df = _catalogue(400)
    src, out = tmp_path / "cat.csv", tmp_path / "long.parquet"
    df.to_csv(src, index=False)
    proc = subprocess.run(
        [sys.executable, "-m", "ratecalc", "batch", str(src), "-o", str(out), "--no-progress"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode in (0, 1), proc.stderr
    table = pq.read_table(out)
    assert not list(tmp_path.glob(".*.partial"))  # the hidden partial file was renamed into place
    lines: dict[int, list[dict]] = {}
    for line in table.to_pylist():
        lines.setdefault(line["row"], []).append(line)
    failed = set(pd.read_csv(tmp_path / "long.errors.csv")["row"]) if (tmp_path / "long.errors.csv").exists() else set()
    sample = [i for i in range(0, len(df), 7) if i not in failed]
    assert len(sample) > 40
    for i in sample:
        r = df.iloc[i].to_dict()
        singles = {q.service_id: q for q in tariffs.quote(_parcel(r))}
        got = lines[i]
        assert sorted(singles) == sorted(g["service_id"] for g in got)
        for g in got:
            q = singles[g["service_id"]]
            assert g["sku"] == r["sku"]
            assert g["carrier_id"] == q.carrier_id
            assert g["status"] == q.status
            assert g["chargeable_weight_g"] == q.chargeable_weight_g
            assert g["reason_code"] == (q.reasons[0].code if q.reasons else None)
            if q.price is None:
                assert g["price"] is None
            else:
                assert (g["price"], g["currency"]) == (Decimal(q.price.amount), q.price.currency)
            days = q.delivery_days
            assert (g["days_min"], g["days_max"]) == ((days.min, days.max) if days else (None, None))
    # every kind of line came up: priced and not, with and without a reason, with and without days
    assert {g["status"] for g in table.to_pylist()} >= {"ok"}
    assert table.column("price").null_count not in (0, table.num_rows)
    assert table.column("days_min").null_count not in (0, table.num_rows)


def test_long_form_parquet_keeps_the_columns_and_reads_back_as_text(tmp_path, tariffs):
    df = _catalogue(50)
    src, out, csv_out = tmp_path / "cat.csv", tmp_path / "long.parquet", tmp_path / "long.csv"
    df.to_csv(src, index=False)
    from ratecalc.files.batchfile import quote_file

    quote_file(src, out, tariffs.compiled())
    quote_file(src, csv_out, tariffs.compiled())
    table = pq.read_table(out)
    assert table.column_names == [
        "row",
        "sku",
        "service_id",
        "carrier_id",
        "status",
        "reason_code",
        "reasons",
        "chargeable_weight_g",
        "price",
        "currency",
        "days_min",
        "days_max",
    ]
    assert table.schema.field("price").type == pa.decimal128(18, 2)
    assert not table.schema.field("row").nullable and table.schema.field("price").nullable
    # the same values as the CSV output of the same run, cell by cell
    from_csv = pd.read_csv(csv_out, dtype=str, keep_default_na=False)
    as_text = table.to_pandas().astype(object).map(lambda v: "" if v is None or v != v else str(v))
    for col in ("row", "sku", "service_id", "carrier_id", "status", "reason_code", "price", "currency"):
        assert from_csv[col].tolist() == as_text[col].tolist(), col


_row = st.fixed_dictionaries(
    {
        "weight_g": st.integers(1, 40_000),
        "length_mm": st.integers(1, 2000),
        "width_mm": st.integers(1, 2000),
        "height_mm": st.integers(1, 2000),
        "order_date": st.sampled_from([d.isoformat() for d in DATES]),
        "delivery": st.sampled_from(["pickup_point", "courier"]),
        "declared_value": st.sampled_from(["", "5", "150.50", "99999"]),
        "currency": st.sampled_from(["RUB", "USD", "CNY"]),
        "sku": st.one_of(st.none(), st.text(max_size=6)),
    }
)


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(_row, min_size=1, max_size=40), st.integers(0, 10**6))
def test_long_form_from_blocks_is_the_columnar_quotes_table(tariffs, items, offset):
    compiled = tariffs.compiled()
    data = pa.Table.from_pylist(items)
    ing = ingest(data, compiled=compiled, row_offset=offset)
    expect = quote_ingested(compiled, ing, row_offset=offset).to_arrow()
    got = long_form_table(compiled, ing, row_offset=offset)
    got.validate(full=True)  # dictionary indices in range, buffers consistent
    assert got.equals(expect)
    as_dict = long_form_table(compiled, ing, row_offset=offset, sku_dictionary=True)
    as_dict.validate(full=True)
    assert as_dict.column("sku").to_pylist() == expect.column("sku").to_pylist()
    assert as_dict.drop_columns(["sku"]).equals(expect.drop_columns(["sku"]))


def test_an_empty_ingest_gives_an_empty_long_form(tariffs):
    compiled = tariffs.compiled()
    ing = ingest(
        pa.table({"weight_g": ["-1"], "length_mm": ["1"], "width_mm": ["1"], "height_mm": ["1"]}), date="2023-01-01"
    )
    got = long_form_table(compiled, ing)
    assert got.num_rows == 0
    assert got.schema.equals(quote_ingested(compiled, ing).to_arrow().schema)


@pytest.mark.parametrize("n_nulls", [0, 3, 10])
def test_sku_nulls_survive_dictionary_encoding(tariffs, n_nulls):
    compiled = tariffs.compiled()
    sku = [None if i < n_nulls else f"s{i}" for i in range(10)]
    data = pa.table(
        {
            "weight_g": ["100"] * 10,
            "length_mm": ["100"] * 10,
            "width_mm": ["50"] * 10,
            "height_mm": ["20"] * 10,
            "sku": pa.array(sku, pa.string()),
        }
    )
    ing = ingest(data, compiled=compiled, date="2023-07-19")
    plain = long_form_table(compiled, ing).column("sku").to_pylist()
    coded = long_form_table(compiled, ing, sku_dictionary=True).column("sku").to_pylist()
    assert coded == plain and plain.count(None) == n_nulls * (len(plain) // 10)
