"""Catalogue files in and out: CSV or Parquet, streamed in chunks so a file larger than memory goes through.

Why chunks: a 10^7-row catalogue quoted against every service is 10^8+ output rows; holding either side in
memory is not an option, and neither is a Python object per row. The input is read one Arrow record batch
at a time (pyarrow's streaming CSV reader or Parquet row groups), each batch is validated and quoted with
`ratecalc.columnar`, and its result is appended to the output before the next batch is read. Rows that
cannot be quoted go to an errors file (row, column, value, reason) and every other row goes through.

Row numbers count data rows from 0 (the CSV header is not a row), across the whole file.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Literal, Mapping, Optional, Union

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .columnar import ColumnarQuotes, RowErrors, ingest, quote_best, quote_ingested
from .compile import CompiledTariffs
from .errors import InputError

Format = Literal["csv", "parquet"]
Best = Optional[Literal["cheapest", "fastest"]]
Progress = Callable[[int, int], None]  # (rows done, bytes done)
ToCommon = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]  # prices -> one currency (see fxcolumns)

CSV_BLOCK_BYTES = 8 << 20  # ~100-200k catalogue rows per batch
PARQUET_BATCH_ROWS = 131_072
LONG_FORM_INPUT_ROWS = 32_768  # input rows quoted at a time for the long form (~1 M output rows)
ERROR_COLUMNS = ("row", "column", "value", "reason")


def file_format(path: Union[str, Path], given: Optional[str] = None) -> Format:
    """csv or parquet, from `given` or the file name (.csv, .csv.gz, .parquet, .pq)."""
    if given:
        if given not in ("csv", "parquet"):
            raise InputError("format", f"unknown file format {given!r}; use csv or parquet")
        return given  # type: ignore[return-value]
    name = str(path).lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
        return "csv"
    raise InputError("format", f"cannot tell the format of {str(path)!r}; name it .csv or .parquet or pass --format")


def default_errors_path(output: Union[str, Path]) -> Path:
    out = Path(output)
    stem = out.name.split(".")[0] or "output"
    return out.with_name(f"{stem}.errors.csv")


def _csv_header(path: Path, delimiter: str) -> list[str]:
    opener = open
    if str(path).endswith(".gz"):
        import gzip

        opener = gzip.open  # type: ignore[assignment]
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        for row in csv.reader(fh, delimiter=delimiter):
            return row
    raise InputError("input", f"{path} is empty (no header row)")


def read_batches(path: Union[str, Path], fmt: Format, *, delimiter: str = ",") -> Iterator[tuple[pa.RecordBatch, int]]:
    """(batch, bytes read so far) one batch at a time; CSV columns are read as text (validated later)."""
    path = Path(path)
    if not path.exists():
        raise InputError("input", f"{path} does not exist")
    if fmt == "parquet":
        pf = pq.ParquetFile(path)
        size = path.stat().st_size
        total = max(pf.metadata.num_rows, 1)
        done = 0
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            done += batch.num_rows
            yield batch, int(size * done / total)
        return
    header = _csv_header(path, delimiter)
    if len(set(header)) != len(header):
        raise InputError("input", f"{path}: repeated column names in the header: {header}")
    size = path.stat().st_size
    compressed = str(path).lower().endswith(".gz")
    source = path if compressed else open(path, "rb")  # a file object: its position is the progress
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, encoding="utf8"),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header}, strings_can_be_null=False
            ),
        )
        read = 0
        for batch in reader:
            if compressed:  # position unknown: the decoded text is about as big as its strings
                read = min(read + batch.nbytes, size)
            else:
                read = min(source.tell(), size)  # type: ignore[union-attr]
            yield batch, read
    finally:
        if not compressed:
            source.close()  # type: ignore[union-attr]


class _Writer:
    """Appends Arrow tables to one CSV or Parquet file, keeping the first chunk's schema."""

    def __init__(self, path: Path, fmt: Format):
        self.path, self.fmt = path, fmt
        self.schema: Optional[pa.Schema] = None
        self._w: Union[pacsv.CSVWriter, pq.ParquetWriter, None] = None

    def write(self, table: pa.Table) -> None:
        if self._w is None:
            self.schema = table.schema
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.fmt == "csv":
                self._w = pacsv.CSVWriter(
                    self.path, table.schema, write_options=pacsv.WriteOptions(quoting_style="needed")
                )
            else:
                numeric = [f.name for f in table.schema if pa.types.is_integer(f.type) or pa.types.is_decimal(f.type)]
                # statistics on the numeric columns only (row ranges, weights, prices): ~30% faster writes
                self._w = pq.ParquetWriter(self.path, table.schema, write_statistics=numeric)
        elif table.schema != self.schema:
            table = table.cast(self.schema)
        self._w.write_table(table)

    def close(self, empty_schema: Optional[pa.Schema] = None) -> None:
        if self._w is None and empty_schema is not None:
            self.write(empty_schema.empty_table())
        if self._w is not None:
            self._w.close()


@dataclass
class BatchSummary:
    rows: int = 0  # data rows read
    quoted: int = 0  # rows quoted
    failed: int = 0  # rows with at least one error
    output_rows: int = 0
    errors: int = 0  # error lines (a row can fail on several columns)
    output: Optional[Path] = None
    errors_path: Optional[Path] = None
    services: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.failed == 0


def result_table(result: ColumnarQuotes, best: Best) -> pa.Table:
    """The long form, or one row per parcel with `best`."""
    return result.to_arrow() if best is None else result.best(best)


def quote_file(
    input_path: Union[str, Path],
    output_path: Union[str, Path],
    compiled: CompiledTariffs,
    *,
    best: Best = None,
    date: Union[str, dt.date, None] = None,
    mapping: Optional[Mapping[str, str]] = None,
    errors_path: Union[str, Path, None] = None,
    input_format: Optional[str] = None,
    output_format: Optional[str] = None,
    delimiter: str = ",",
    progress: Optional[Progress] = None,
    threads: Optional[int] = None,
    to_common: Optional[ToCommon] = None,
) -> BatchSummary:
    """Quote every row of a CSV/Parquet catalogue into a CSV/Parquet output, chunk by chunk.

    The errors file (default OUTPUT-stem.errors.csv) is always written, with a header only when no row
    failed, so a script can rely on it. Raises InputError for problems of the whole file (it does not exist,
    a required column is missing, a mapping names no column). `to_common` (with `best`): rank in one
    currency (ratecalc.fxcolumns.rub_converter), adding a `price_rub` column.
    """
    in_fmt = file_format(input_path, input_format)
    out_fmt = file_format(output_path, output_format)
    out_path = Path(output_path)
    err_path = Path(errors_path) if errors_path else default_errors_path(out_path)
    if date is not None and not isinstance(date, dt.date):
        try:
            date = dt.date.fromisoformat(str(date))
        except ValueError:
            raise InputError("date", f"{date!r} is not a date; write it as YYYY-MM-DD") from None
    summary = BatchSummary(output=out_path, errors_path=err_path)
    writer = _Writer(out_path, out_fmt)
    err_writer = _Writer(err_path, "csv")
    err_schema = RowErrors().to_arrow().schema
    try:
        for whole, nbytes in read_batches(input_path, in_fmt, delimiter=delimiter):
            # the long form is ~30 rows per input row: quote it in slices so memory stays bounded
            step = whole.num_rows if best is not None else max(LONG_FORM_INPUT_ROWS, 1)
            for start in range(0, max(whole.num_rows, 1), step):
                batch = whole.slice(start, step)
                if batch.num_rows == 0:
                    continue
                offset = summary.rows
                ing = ingest(batch, compiled=compiled, date=date, mapping=mapping, row_offset=offset)
                if best is None:
                    table = quote_ingested(compiled, ing, threads=threads, row_offset=offset).to_arrow()
                else:  # one row per parcel: chosen block by block, the long form is never built
                    table = quote_best(compiled, ing, best, to_common=to_common, threads=threads, row_offset=offset)
                writer.write(table)
                if len(ing.errors):
                    err_writer.write(ing.errors.to_arrow())
                summary.rows += ing.n_input
                summary.quoted += len(ing.rows)
                summary.failed += ing.n_input - len(ing.rows)
                summary.errors += len(ing.errors)
                summary.output_rows += table.num_rows
            if progress is not None:
                progress(summary.rows, nbytes)
    finally:
        writer.close()
        err_writer.close(err_schema)
    if writer.schema is None:  # an input with a header and no rows: still write a valid (empty) output
        empty = quote_ingested(
            compiled,
            ingest(
                _empty_input(input_path, in_fmt, delimiter),
                compiled=compiled,
                date=date or dt.date.today(),
                mapping=mapping,
            ),
        )
        w = _Writer(out_path, out_fmt)
        w.write(result_table(empty, best))
        w.close()
    return summary


def _empty_input(path: Union[str, Path], fmt: Format, delimiter: str) -> pa.Table:
    if fmt == "parquet":
        return pq.read_schema(path).empty_table()
    return pa.table({name: pa.array([], pa.string()) for name in _csv_header(Path(path), delimiter)})


__all__ = [
    "BatchSummary",
    "ERROR_COLUMNS",
    "default_errors_path",
    "file_format",
    "quote_file",
    "read_batches",
    "result_table",
]
