"""The long-form writer runs beside the engine: same file as writing inline, and its errors still stop the run."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ratecalc.batchfile import _Writer, _WriterThread


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
