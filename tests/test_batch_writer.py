"""The long-form writer runs beside the engine: same file as writing inline, and its errors still stop the run."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import ratecalc.files.batchfile as bf
from ratecalc.cli import app
from ratecalc.errors import InputError
from ratecalc.files.batchfile import _Writer, _WriterThread


def test_writer_thread_writes_every_chunk_in_order(tmp_path):
    out = tmp_path / "long.parquet"
    w = _WriterThread(_Writer(out, "parquet"), depth=1)
    for k in range(5):
        w.write(pa.table({"row": pa.array(range(k * 10, k * 10 + 10), pa.int64())}))
    w.commit()
    assert pq.read_table(out).column("row").to_pylist() == list(range(50))


class _Broken:
    schema = None

    def write(self, table):
        raise OSError("disk full")

    def commit(self, empty_schema=None):
        pass

    def discard(self):
        pass


def test_a_failed_write_is_raised_to_the_quoting_thread():
    w = _WriterThread(_Broken(), depth=1)  # type: ignore[arg-type]
    w.write(pa.table({"a": [1]}))
    with pytest.raises(OSError, match="disk full"):
        for _ in range(10):  # at the latest when the queue has room again
            w.write(pa.table({"a": [1]}))
        w.commit()


def test_a_discarded_thread_leaves_no_file(tmp_path):
    out = tmp_path / "long.parquet"
    w = _WriterThread(_Writer(out, "parquet"), depth=1)
    w.write(pa.table({"row": pa.array([1, 2], pa.int64())}))
    w.discard()
    assert list(tmp_path.iterdir()) == []


# -- the whole command: a file the system refuses, and the overlapped writer against the inline one -------


def _catalogue_csv(path: Path, n: int, seed: int = 5) -> None:
    """n parcels on one date, every 50th with a weight that fails (so an errors file is being written too)."""
    rng = np.random.default_rng(seed)
    weight = rng.integers(50, 30_000, n).astype(object)
    weight[::50] = "-1"
    pd.DataFrame(
        {
            "sku": [f"SKU-{i:06d}" for i in range(n)],
            "weight_g": weight,
            "length_mm": rng.integers(10, 1500, n),
            "width_mm": rng.integers(10, 1000, n),
            "height_mm": rng.integers(10, 800, n),
            "declared_value": rng.integers(100, 500_000, n) / 100,
            "currency": "RUB",
        }
    ).to_csv(path, index=False)


def _file_size_limit(limit: int):
    def apply() -> None:  # in the child: a file grown past `limit` bytes fails with EFBIG (Python ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_file_too_large_for_the_system_mid_run_leaves_the_old_output_and_exits_2(tmp_path):
    src, out = tmp_path / "cat.csv", tmp_path / "out" / "long.parquet"
    _catalogue_csv(src, 40_000)  # two long-form chunks; the first is ~2 MB of Parquet
    out.parent.mkdir()
    out.write_bytes(b"the previous run's file")
    proc = subprocess.run(
        [sys.executable, "-m", "ratecalc", "batch", str(src), "-o", str(out), "--date", "2023-07-19", "--no-progress"],
        capture_output=True,
        text=True,
        preexec_fn=_file_size_limit(256 << 10),
        env={**os.environ, "RATECALC_TARIFF_CACHE": "off"},  # the child writes nothing but the outputs
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"cannot write {out} (File too large)" in proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert out.read_bytes() == b"the previous run's file"
    assert sorted(p.name for p in out.parent.iterdir()) == ["long.parquet"]  # no partial, no errors file


def test_an_output_path_under_a_file_exits_2_naming_it(tmp_path):
    src = tmp_path / "cat.csv"
    _catalogue_csv(src, 10)
    out = src / "long.parquet"  # a file where the directory should be
    r = CliRunner().invoke(app, ["batch", str(src), "-o", str(out), "--date", "2023-07-19", "--no-progress"])
    assert r.exit_code == 2, r.output
    # the output or the errors file beside it (whichever is written first), with what is in the way
    assert f"cannot write {src}/long." in r.output and f"({src} is a file, not a directory)" in r.output
    assert "internal error" not in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cat.csv"]


def test_a_refused_write_in_the_writer_thread_is_the_writers_own_error(tmp_path):
    (tmp_path / "file").write_text("")
    w = _WriterThread(_Writer(tmp_path / "file" / "long.parquet", "parquet"), depth=1)
    w.write(pa.table({"row": pa.array([1, 2], pa.int64())}))
    with pytest.raises(InputError, match="cannot write .*long.parquet") as caught:
        for _ in range(10):
            w.write(pa.table({"row": pa.array([1, 2], pa.int64())}))
        w.commit()
    assert caught.value.field == "output"
    w.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


class _Inline:
    """The writer without its thread: what `quote_file` wrote before the overlap."""

    def __init__(self, writer: _Writer, depth: int = 2):
        self.writer = writer

    @property
    def schema(self):
        return self.writer.schema

    def write(self, table):
        self.writer.write(table)

    def commit(self, empty_schema=None):
        self.writer.commit(empty_schema)

    def discard(self):
        self.writer.discard()


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_the_overlapped_writer_writes_the_table_the_inline_writer_writes(tmp_path, tariffs, monkeypatch, fmt):
    src = tmp_path / "cat.csv"
    _catalogue_csv(src, 700)
    monkeypatch.setattr(bf, "LONG_FORM_INPUT_ROWS", 37)  # 19 chunks through the queue
    compiled = tariffs.compiled()
    threaded = bf.quote_file(src, tmp_path / f"threaded.{fmt}", compiled, date="2023-07-19")
    monkeypatch.setattr(bf, "_WriterThread", _Inline)
    inline = bf.quote_file(src, tmp_path / f"inline.{fmt}", compiled, date="2023-07-19")
    assert (threaded.output_rows, threaded.failed) == (inline.output_rows, inline.failed) == (31 * 686, 14)
    if fmt == "parquet":
        a, b = pq.read_table(tmp_path / "threaded.parquet"), pq.read_table(tmp_path / "inline.parquet")
        assert a.schema.equals(b.schema, check_metadata=True)
        assert pq.ParquetFile(tmp_path / "threaded.parquet").metadata.num_row_groups == 19
    else:
        a = pacsv.read_csv(tmp_path / "threaded.csv")
        b = pacsv.read_csv(tmp_path / "inline.csv")
    assert a.num_rows == 31 * 686
    assert a.to_pylist() == b.to_pylist()  # cell by cell, in order
    assert (tmp_path / f"threaded.{fmt}").read_bytes() == (tmp_path / f"inline.{fmt}").read_bytes()


def test_a_csv_catalogues_sku_is_required_a_parquet_catalogues_keeps_its_nulls(tmp_path, tariffs):
    src = tmp_path / "cat.csv"
    _catalogue_csv(src, 30)
    compiled = tariffs.compiled()
    bf.quote_file(src, tmp_path / "from-csv.parquet", compiled, date="2023-07-19")
    from_csv = pq.read_table(tmp_path / "from-csv.parquet")
    assert not from_csv.schema.field("sku").nullable
    names = pacsv.read_csv(src).column_names
    text = pacsv.read_csv(src, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())))
    skus = text.column("sku").to_pylist()
    skus[1] = None  # row 0 fails on its weight: the first quoted row has no sku
    pq.write_table(text.set_column(0, "sku", pa.array(skus, pa.string())), tmp_path / "cat.parquet")
    bf.quote_file(tmp_path / "cat.parquet", tmp_path / "from-pq.parquet", compiled, date="2023-07-19")
    from_pq = pq.read_table(tmp_path / "from-pq.parquet")
    assert from_pq.schema.field("sku").nullable and from_pq.column("sku").null_count == 31
    # the same rows and values either way, the missing sku aside
    assert from_pq.column("sku").to_pylist()[:31] == [None] * 31
    assert from_pq.column("sku").to_pylist()[31:] == from_csv.column("sku").to_pylist()[31:]
    assert from_pq.drop_columns(["sku"]).equals(from_csv.drop_columns(["sku"]))


class _Gated:
    """A writer whose first write waits until released: the quoting side runs ahead and fills the queue."""

    schema = None

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.written: list[int] = []
        self.discarded = False

    def write(self, table):
        self.gate.wait(timeout=10)
        self.written.append(table.num_rows)

    def commit(self, empty_schema=None):
        raise AssertionError("a failed run never commits")

    def discard(self):
        self.discarded = True


def test_a_run_that_fails_drops_the_chunks_still_queued_and_ends_the_thread():
    gated = _Gated()
    w = _WriterThread(gated, depth=1)  # type: ignore[arg-type]
    w.write(pa.table({"a": [1]}))  # being written (held at the gate)
    w.write(pa.table({"a": [1, 2]}))  # waiting in the queue
    threading.Timer(0.2, gated.gate.set).start()  # the write in progress finishes after the run failed
    w.discard()  # what quote_file does when quoting raises
    assert gated.written == [1] and gated.discarded  # the queued chunk was never written
    assert not w._thread.is_alive()
