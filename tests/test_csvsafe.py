"""Spreadsheet formulas in CSV outputs (ratecalc.files.csvsafe): text cells neutralised, numbers untouched."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from ratecalc.files.csvsafe import TRIGGERS, neutralise_formulas, neutralise_frame

RISKY = ["=1+2", "+1", "-5", "@SUM(A1)", "\tx", "\rx"]
SAFE = ["plain", "", "'=already", " =spaced", "5-", "a=b"]


def test_every_trigger_is_prefixed_and_nothing_else_changes():
    table = pa.table(
        {
            "text": pa.array(RISKY + SAFE + [None]),
            "large": pa.array(RISKY + SAFE + [None], pa.large_string()),
            "codes": pa.array(RISKY + SAFE + [None]).dictionary_encode(),
            "number": pa.array([-5] * 13, pa.int64()),
            "price": pa.array(["-1.50"] * 13, pa.string()).cast(pa.decimal128(10, 2)),
        }
    )
    out = neutralise_formulas(table)
    want = ["'" + t for t in RISKY] + SAFE + [None]
    assert out.column("text").to_pylist() == want
    assert out.column("large").to_pylist() == want and out.schema == table.schema
    assert out.column("codes").to_pylist() == want
    assert out.column("number").equals(table.column("number")) and out.column("price").equals(table.column("price"))
    assert {t[0] for t in RISKY} == set(TRIGGERS)


def test_a_slice_and_a_chunked_column_are_read_from_their_own_offsets():
    arr = pa.array(["ok", "=x", "ok", "-y"])
    sliced = pa.table({"s": arr.slice(1, 3)})
    assert neutralise_formulas(sliced).column("s").to_pylist() == ["'=x", "ok", "'-y"]
    chunked = pa.table({"s": pa.chunked_array([["a", "=b"], ["@c"], []])})
    assert neutralise_formulas(chunked).column("s").to_pylist() == ["a", "'=b", "'@c"]


def test_a_table_without_risky_cells_is_returned_as_it_is():
    table = pa.table({"s": ["a", "b"], "n": [-1, -2], "empty": ["", ""], "none": pa.array([None, None], pa.string())})
    assert neutralise_formulas(table) is table


def test_pandas_frames_of_the_dask_engine_get_the_same_treatment():
    frame = pd.DataFrame({"sku": ["=1", "ok", None], "mixed": ["-x", -5, 3.5], "n": [-1, 2, 3]})
    out = neutralise_frame(frame)
    assert out["sku"].tolist()[:2] == ["'=1", "ok"] and pd.isna(out["sku"].iloc[2])
    assert out["mixed"].tolist() == ["'-x", -5, 3.5] and out["n"].tolist() == [-1, 2, 3]
    assert frame["sku"].iloc[0] == "=1"  # the caller's frame is not changed
