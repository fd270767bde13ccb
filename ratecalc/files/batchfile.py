"""Catalogue files in and out: CSV or Parquet, streamed in chunks so a file larger than memory goes through.

Why chunks: a 10^7-row catalogue quoted against every service is 10^8+ output rows; holding either side in
memory is not an option, and neither is a Python object per row. The input is read one Arrow record batch
at a time (pyarrow's streaming CSV reader or Parquet row groups), each batch is validated and quoted with
`ratecalc.files.columnar`, and its result is appended to the output before the next batch is read. Rows that
cannot be quoted go to an errors file (line, row, sku, column, value, reason) and every other row goes
through; a malformed CSV line (wrong number of fields, an unclosed quote, bytes that are not UTF-8) is such
an error row too, with its raw text cut to ERROR_TEXT_CHARS.

Row numbers count data rows from 0 (the CSV header is not a row), across the whole file; `line` is the
line a spreadsheet shows (the header is line 1; for Parquet, row + 2 as if exported with a header).

Output is atomic: both files are written beside their targets under a hidden name unique to the run
(`.NAME.PID.TOKEN.partial`) and renamed into place only when the run succeeds, so a killed or failed run
leaves the previous file or none, never a plausible-looking partial one. No errors file is written when no
row failed (a stale one from an earlier run is removed), so its presence alone says "some rows failed".
Which paths may be outputs, and how two runs on one output keep out of each other's way: `paths`. Text
cells of CSV outputs that a spreadsheet would run as a formula are neutralised: `csvsafe`.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Mapping, Optional, Sequence, Union

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import InputError
from ..pricing.parcels import parse_date
from ..tariffdata.compile import CompiledTariffs
from . import paths
from .columnar import (
    ColumnarQuotes,
    Ingested,
    ingest,
    long_form_table,
    quote_best,
    quote_ingested,
    quote_schemes,
)
from .csvsafe import neutralise_formulas
from .paths import Partial, check_input, check_paths, directory_lock, remove_output, target_of

Format = Literal["csv", "parquet"]
Best = Optional[Literal["cheapest", "fastest"]]
Progress = Callable[[int, int], None]  # (rows done, bytes done)

CSV_BLOCK_BYTES = 8 << 20  # ~100-200k catalogue rows per batch
PARQUET_BATCH_ROWS = 131_072
LONG_FORM_INPUT_ROWS = 32_768  # input rows quoted at a time for the long form (~1 M output rows)
ERROR_COLUMNS = ("line", "row", "sku", "column", "value", "reason")  # sku only when the input has one
ERROR_TEXT_CHARS = 200  # raw text of a malformed line kept in the errors file


def file_format(
    path: Union[str, Path], given: Optional[str] = None, flag: str = "--input-format/--output-format"
) -> Format:
    """csv or parquet, from `given` or the file name (.csv, .csv.gz, .parquet, .pq); `flag` names the
    option that overrides the name, in the message."""
    if given:
        if given not in ("csv", "parquet"):
            raise InputError("format", f"unknown file format {given!r}; use csv or parquet")
        return given  # type: ignore[return-value]
    name = str(path).lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
        return "csv"
    raise InputError("format", f"cannot tell the format of {str(path)!r}; name it .csv or .parquet or pass {flag} csv")


def default_errors_path(output: Union[str, Path]) -> Path:
    out = Path(output)
    stem = out.name.split(".")[0] or "output"
    return out.with_name(f"{stem}.errors.csv")


def _open_binary(path: Path):
    return gzip.open(path, "rb") if str(path).lower().endswith(".gz") else open(path, "rb")


def _csv_header(path: Path, delimiter: str) -> list[str]:
    with _open_binary(path) as fh:
        return _parse_header(_readline(fh, path), path, delimiter)


def _readline(fh, path: Path) -> bytes:
    try:
        return fh.readline()
    except (OSError, EOFError) as exc:
        raise InputError("input", f"{path}: cannot read it ({exc})") from None


def _parse_header(raw: bytes, path: Path, delimiter: str) -> list[str]:
    try:
        text = raw.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise InputError("input", f"{path}: the header line is not UTF-8 text") from None
    if not text.strip():
        raise InputError("input", f"{path} is empty (no header row)")
    try:
        header = next(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise InputError("input", f"{path}: the header line is not CSV ({exc})") from None
    if len(set(header)) != len(header):
        raise InputError("input", f"{path}: repeated column names in the header: {header}")
    return header


@dataclass
class InputChunk:
    """Rows read from the input: the table (CSV as text), the line of each row, and the malformed lines.

    `malformed` maps a row of `table` (all-empty there) to (raw text, why): it failed before any column
    could be read. `lines` is None for Parquet (no lines: row + 2 is reported).
    """

    table: pa.Table
    nbytes: int
    lines: Optional[np.ndarray] = None
    malformed: dict[int, tuple[str, str]] = field(default_factory=dict)

    def slice(self, start: int, length: int) -> InputChunk:
        bad = {r - start: v for r, v in self.malformed.items() if start <= r < start + length}
        lines = None if self.lines is None else self.lines[start : start + length]
        return InputChunk(self.table.slice(start, length), self.nbytes, lines, bad)


def _cut(text: str) -> str:
    return text if len(text) <= ERROR_TEXT_CHARS else text[:ERROR_TEXT_CHARS] + "…"


def _arrow_lines(data: bytes, header: list[str], delimiter: str) -> Optional[pa.Table]:
    """Arrow's parse of whole lines, or None when any line is malformed (or a lone CR split one)."""
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, encoding="utf8"),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header}, strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    n_lines = data.count(b"\n") + (not data.endswith(b"\n"))
    return table if table.num_rows == n_lines else None


_CAREFUL_LINES = 256  # below this many lines, a block with a bad line is read line by line


def _parse_block(data: bytes, header: list[str], delimiter: str, first_line: int, nbytes: int) -> InputChunk:
    """Complete lines -> rows. Arrow parses a clean block at full speed; a block with malformed lines is
    halved until the clean halves parse and the bad lines sit in small pieces read line by line (each bad
    line becomes a row of its own, failed as a whole)."""
    table = _arrow_lines(data, header, delimiter)
    if table is not None:
        return InputChunk(table, nbytes, first_line + np.arange(table.num_rows, dtype=np.int64))
    pieces = data.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    parts = _split_parse(pieces, 0, header, delimiter)
    tables, lines, malformed, rows = [], [], {}, 0
    for table, local_lines, bad in parts:
        tables.append(table)
        lines.append(first_line + local_lines)
        malformed.update({rows + r: v for r, v in bad.items()})
        rows += table.num_rows
    return InputChunk(pa.concat_tables(tables), nbytes, np.concatenate(lines), malformed)


def _split_parse(
    pieces: list[bytes], start: int, header: list[str], delimiter: str
) -> list[tuple[pa.Table, np.ndarray, dict[int, tuple[str, str]]]]:
    """(table, line index from the block start, malformed rows) for lines pieces[...] numbered from `start`."""
    if len(pieces) > _CAREFUL_LINES:
        table = _arrow_lines(b"\n".join(pieces) + b"\n", header, delimiter)
        if table is not None:
            return [(table, start + np.arange(table.num_rows, dtype=np.int64), {})]
        half = len(pieces) // 2
        return _split_parse(pieces[:half], start, header, delimiter) + _split_parse(
            pieces[half:], start + half, header, delimiter
        )
    return [_careful(pieces, start, header, delimiter)]


def _careful(
    pieces: list[bytes], start: int, header: list[str], delimiter: str
) -> tuple[pa.Table, np.ndarray, dict[int, tuple[str, str]]]:
    """Line by line with Python's strict csv reader: every line is a row, a bad one with its reason."""
    width = len(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    malformed: dict[int, tuple[str, str]] = {}
    for k, raw in enumerate(pieces):
        raw = raw.rstrip(b"\r")
        reason = None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            text, reason = raw.decode("utf-8", "replace"), f"malformed line: not UTF-8 text (byte {exc.start + 1})"
        if reason is None and not text.strip() and width > 1:
            continue  # a blank line is no row
        fields: list[str] = []
        if reason is None:
            try:
                fields = next(csv.reader([text], delimiter=delimiter, strict=True), [""])
            except csv.Error as exc:
                reason = f"malformed line: {exc}"
        if reason is None and len(fields) != width:
            reason = f"malformed line: {len(fields)} fields where the header has {width}"
        if reason is not None:
            malformed[len(rows)] = (_cut(text), reason)
            fields = [""] * width
        rows.append(fields)
        lines.append(start + k)
    table = pa.table({name: pa.array([r[i] for r in rows], pa.string()) for i, name in enumerate(header)})
    return table, np.asarray(lines, np.int64), malformed


def _csv_chunks(path: Path, delimiter: str) -> Iterator[InputChunk]:
    """Blocks of whole lines (one record per line: values never hold newlines), parsed one at a time."""
    size = path.stat().st_size
    with _open_binary(path) as fh:
        header = _parse_header(_readline(fh, path), path, delimiter)
        raw_pos = getattr(fh, "fileobj", None) or fh  # compressed position for .gz: the progress
        line = 2
        carry = b""
        while True:
            try:
                block = fh.read(CSV_BLOCK_BYTES)
            except (OSError, EOFError) as exc:
                raise InputError("input", f"{path}: cannot read it past line {line} ({exc})") from None
            data = carry + block
            if block:
                cut = data.rfind(b"\n")
                if cut < 0:
                    carry = data
                    continue
                data, carry = data[: cut + 1], data[cut + 1 :]
            if data:
                yield _parse_block(data, header, delimiter, line, min(raw_pos.tell(), size))
                line += data.count(b"\n")
            if not block:
                return


def _parquet_chunks(path: Path) -> Iterator[InputChunk]:
    size = path.stat().st_size
    try:
        pf = pq.ParquetFile(path)
        total = max(pf.metadata.num_rows, 1)
        done = 0
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            done += batch.num_rows
            yield InputChunk(pa.Table.from_batches([batch]), int(size * done / total))
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError("input", f"{path} is not a readable Parquet file ({first})") from None


def read_chunks(path: Union[str, Path], fmt: Format, *, delimiter: str = ",") -> Iterator[InputChunk]:
    """The input one chunk at a time; CSV columns are read as text (validated later). Raises InputError
    when the file as a whole is unusable (missing, not Parquet, unreadable header or compression)."""
    path = Path(path)
    check_input("input", path)
    if fmt == "parquet":
        yield from _parquet_chunks(path)
    else:
        yield from _csv_chunks(path, delimiter)


def read_batches(path: Union[str, Path], fmt: Format, *, delimiter: str = ",") -> Iterator[tuple[pa.Table, int]]:
    """(rows, bytes read so far) one chunk at a time (see `read_chunks`, which also gives lines)."""
    for chunk in read_chunks(path, fmt, delimiter=delimiter):
        yield chunk.table, chunk.nbytes


class _Writer:
    """Appends Arrow tables to one CSV or Parquet file, keeping the first chunk's schema.

    Writes to a hidden partial file beside the target; `commit` renames it into place (atomic on one file
    system), `discard` deletes it. The target is never seen half-written. A file the system refuses (no
    such directory, no space or quota left, a file in the way) raises InputError naming `field` (the
    option that chose the path) and the path: exit code 2 on the command line, not an internal error.
    """

    def __init__(self, path: Path, fmt: Format, field: str = "output"):
        self.path, self.fmt, self.field = path, fmt, field
        self._partial = Partial(path, field)
        self.schema: Optional[pa.Schema] = None
        self._w: Union[pacsv.CSVWriter, pq.ParquetWriter, None] = None

    @property
    def partial(self) -> Path:
        """The hidden file this writer writes (its name is final once the first chunk is written)."""
        return self._partial.path

    def _cannot_write(self, exc: OSError) -> InputError:
        return paths.cannot_write(self.field, self.path, exc)

    def write(self, table: pa.Table) -> None:
        try:
            self._write(table)
        except OSError as exc:
            raise self._cannot_write(exc) from None

    def _write(self, table: pa.Table) -> None:
        if self.fmt == "csv":
            table = neutralise_formulas(table)
        if self._w is None:
            self.schema = table.schema
            self._partial.create()
            if self.fmt == "csv":
                self._w = pacsv.CSVWriter(
                    self.partial, table.schema, write_options=pacsv.WriteOptions(quoting_style="needed")
                )
            else:
                self._w = pq.ParquetWriter(self.partial, table.schema, **parquet_options(table.schema))
        elif table.schema != self.schema:
            table = table.cast(self.schema)
        self._w.write_table(table)

    def _close(self) -> None:
        if self._w is not None:
            w, self._w = self._w, None
            w.close()

    def commit(self, empty_schema: Optional[pa.Schema] = None) -> None:
        """Finish the file and move it onto the target (an empty file of `empty_schema` if nothing came);
        when that fails, the partial file is deleted and the target left as it was."""
        try:
            if self.schema is None and empty_schema is not None:
                self.write(empty_schema.empty_table())
            self._close()
            if self.schema is not None:
                self._partial.commit()
        except OSError as exc:
            self.discard()
            raise self._cannot_write(exc) from None
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        try:
            self._close()
        except OSError:
            pass  # the file is deleted anyway; the error that stopped the run is the one reported
        self._remove_partial()

    def _remove_partial(self) -> None:
        self._partial.discard()


def parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """How output Parquet files are encoded (measured on the 31-services long form, see bench/bench_csv.py).

    - statistics (min/max per row group) on `row` only, the one column the file is ordered by: a reader
      can skip row groups by row number, while the min/max of a price, weight or bitmask over a row group
      of every service never excludes anything. Files without `row`: the numeric columns, as before;
    - `row` (ascending, each repeated once per service) delta-encoded instead of dictionary-encoded: no
      hashing per output row and a tenth of the bytes;
    - every other column dictionary-encoded (Arrow dictionary columns are written as they are).
    Kept after measuring the alternatives on 5 M long-form rows: snappy compression (the Parquet default
    every reader has; lz4 was 5-10% slower for a 4% smaller file, none 7% faster for 2.5x the bytes),
    dictionary encoding of `chargeable_weight_g` (plain: 5% faster, +17% bytes), 1 MB pages and pyarrow's
    write batch (larger ones made no measurable difference).
    """
    numeric = [f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_decimal(f.type)]
    options: dict[str, Any] = {"write_statistics": numeric}
    if "row" in schema.names and pa.types.is_integer(schema.field("row").type):
        options["write_statistics"] = ["row"]
        options["use_dictionary"] = [name for name in schema.names if name != "row"]
        options["column_encoding"] = {"row": "DELTA_BINARY_PACKED"}
    return options


def text_sku_required(table: pa.Table) -> pa.Table:
    """The long form of a CSV catalogue with `sku` declared required (non-nullable), values untouched.

    Why: a CSV field is text, never null (an empty field is ""), so neither is the sku carried from it; a
    Parquet writer stores a required column without a definition level per row (~0.3 s of CPU for 31 M
    rows). A Parquet catalogue's sku may hold nulls and stays nullable. The buffers are shared, not copied.
    """
    if "sku" not in table.schema.names:
        return table
    i = table.schema.get_field_index("sku")
    field = table.schema.field(i)
    if not field.nullable or table.column(i).null_count:
        return table
    return pa.Table.from_arrays(table.columns, schema=table.schema.set(i, field.with_nullable(False)))


class _WriterThread:
    """A `_Writer` fed from a bounded queue by the quoting thread, so engine and writer use both cores.

    Why: encoding the long form (Parquet) or formatting it (CSV) costs more CPU than quoting it, and pyarrow
    encodes with the GIL released: chunk k is written while chunk k+1 is quoted. At most `depth` chunks
    wait (memory stays bounded: a long-form chunk is ~1 M output rows, ~50 MB). One is enough: the writer
    is the slower side, so a chunk is always waiting when it is done with the last (a second one added
    ~45 MB to the peak RSS of 10^6 parcels and no speed, measured). A write error stops the run at the next
    `write` or at `commit`, as the same InputError the writer raises inline; after it, and after
    `discard`, chunks still queued are dropped unwritten. `commit` and `discard` keep the writer's atomic
    contract (the target appears whole or not at all) and return only when the thread has ended.
    """

    def __init__(self, writer: _Writer, depth: int = 1):
        self.writer = writer
        self.schema: Optional[pa.Schema] = None  # the first submitted table's, known without waiting
        self._queue: queue.Queue[Optional[pa.Table]] = queue.Queue(maxsize=depth)
        self._error: Optional[BaseException] = None
        self._dropping = False  # set by the quoting thread: skip what is still queued
        self._thread = threading.Thread(target=self._run, name="ratecalc-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            table = self._queue.get()
            if table is None:
                return
            if self._error is None and not self._dropping:
                try:
                    self.writer.write(table)
                except BaseException as exc:  # handed to the quoting thread
                    self._error = exc
            del table  # a dropped or written chunk is freed now, not when the next one arrives

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def write(self, table: pa.Table) -> None:
        self._raise()
        if self.schema is None:
            self.schema = table.schema
        self._queue.put(table)

    def _drain(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def commit(self, empty_schema: Optional[pa.Schema] = None) -> None:
        self._drain()
        if self._error is not None:  # the last chunks failed after the quoting thread had handed them over
            self.writer.discard()
            raise self._error
        self.writer.commit(empty_schema)

    def discard(self) -> None:
        self._dropping = True
        self._drain()
        self.writer.discard()


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
    reasons: dict[str, int] = field(default_factory=dict)  # "column: reason" -> error lines

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def count(self, columns: Sequence[str], reasons: Sequence[str]) -> None:
        """Add error lines (their column and reason) to the reasons tally."""
        for column, reason in zip(columns, reasons):
            key = f"{column or 'line'}: {reason}"
            self.reasons[key] = self.reasons.get(key, 0) + 1

    def top_reasons(self, n: int = 3) -> list[tuple[str, int]]:
        """The most common reasons rows failed, with their counts (most first, then by name)."""
        return sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def lines(self, noun: str = "rows", verb: str = "quoted", took: Optional[float] = None) -> list[str]:
        """What happened, said at once: rows done and failed, and the most common reasons with counts."""
        head = f"{self.rows:,} {noun}: {self.quoted:,} {verb}, {self.failed:,} failed"
        if took is not None:
            head += f" in {took:.2f} s"
        out = [head]
        top = self.top_reasons()
        if top:
            out.append("most common reasons:" if len(top) > 1 else "reason:")
            out += [f"  {count:,} × {reason}" for reason, count in top]
            rest = sum(self.reasons.values()) - sum(c for _, c in top)
            if rest:
                out.append(f"  {rest:,} × other reasons (see the errors file)")
        return out


def result_table(result: ColumnarQuotes, best: Best, fmt: Format = "csv") -> pa.Table:
    """The long form, or one row per parcel with `best`, as written to a `fmt` file (for Parquet the long
    form's sku is dictionary-encoded: the same values, written without re-hashing every output row)."""
    return result.to_arrow(sku_dictionary=fmt == "parquet") if best is None else result.best(best)


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
    to_common: Optional[Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = None,
    compiled_of: Optional[Callable[[str], CompiledTariffs]] = None,
) -> BatchSummary:
    """Quote every row of a CSV/Parquet catalogue into a CSV/Parquet output, chunk by chunk.

    `compiled` holds the lanes of the default scheme; a `scheme` column picks another per row, whose lanes
    come from `compiled_of(scheme)` (e.g. `lambda s: tariffs.compiled(readings, s)`).

    The errors file (default OUTPUT-stem.errors.csv) is written only when some row failed; otherwise an
    old one at that path is removed (`summary.errors_path` is then None). Both files appear atomically on
    success. Raises InputError for problems of the whole file (it does not exist, is not a readable
    Parquet file, a required column is missing, a mapping names no column) and for an output the system
    refuses (field `output` or `errors`: no space, too large, a file in the way); nothing is written then.
    """
    in_fmt = file_format(input_path, input_format, "--input-format")
    out_fmt = file_format(output_path, output_format, "--output-format")
    out_path = Path(output_path)
    err_path = Path(errors_path) if errors_path else default_errors_path(out_path)
    check_paths([("output", out_path), ("errors", err_path)], [("input", input_path)])
    if date is not None:
        date = parse_date(date)
    summary = BatchSummary(output=out_path, errors_path=err_path)

    def lanes_of(scheme: str) -> CompiledTariffs:
        if scheme == compiled.scheme:
            return compiled
        if compiled_of is None:
            raise InputError("scheme", f"a row asks for the {scheme} lanes; only the {compiled.scheme} ones were given")
        return compiled_of(scheme)

    writer = _WriterThread(_Writer(out_path, out_fmt))
    err_writer = _Writer(err_path, "csv", field="errors")
    try:
        for whole in read_chunks(input_path, in_fmt, delimiter=delimiter):
            # the long form is ~30 rows per input row: quote it in slices so memory stays bounded
            step = whole.table.num_rows if best is not None else max(LONG_FORM_INPUT_ROWS, 1)
            for start in range(0, max(whole.table.num_rows, 1), step):
                chunk = whole.slice(start, step)
                if chunk.table.num_rows == 0:
                    continue
                offset = summary.rows
                ing = ingest(chunk.table, compiled=compiled, date=date, mapping=mapping, row_offset=offset)
                if chunk.malformed:
                    _report_malformed(ing, chunk, offset)

                def one_scheme(lanes: CompiledTariffs, part: Ingested, offset: int = offset) -> pa.Table:
                    if best is None:  # built straight from the engine's blocks (see long_form_table)
                        table = long_form_table(
                            lanes, part, threads=threads, row_offset=offset, sku_dictionary=out_fmt == "parquet"
                        )
                        return text_sku_required(table) if in_fmt == "csv" else table
                    # one row per parcel: chosen block by block, the long form is never built;
                    # to_common (with best): rank in one currency, e.g. ratecalc.money.fxcolumns.rub_converter
                    return quote_best(lanes, part, best, to_common=to_common, threads=threads, row_offset=offset)

                table = quote_schemes(ing, compiled.scheme, lanes_of, one_scheme)
                writer.write(table)
                if len(ing.errors):
                    err_writer.write(_errors_table(ing, chunk, offset))
                    summary.count(ing.errors.column, ing.errors.reason)
                summary.rows += ing.n_input
                summary.quoted += len(ing.rows)
                summary.failed += ing.n_input - len(ing.rows)
                summary.errors += len(ing.errors)
                summary.output_rows += table.num_rows
            if progress is not None:
                progress(summary.rows, whole.nbytes)
        if writer.schema is None:  # an input with a header and no rows: still write a valid (empty) output
            empty = ingest(empty_input(input_path, in_fmt, delimiter), date=date or dt.date.today(), mapping=mapping)
            table = result_table(quote_ingested(compiled, empty), best, out_fmt)
            writer.write(text_sku_required(table) if best is None and in_fmt == "csv" else table)
    except BaseException:
        writer.discard()
        err_writer.discard()
        raise
    finish_outputs(writer, err_writer, summary)
    return summary


def finish_outputs(writer: Union[_Writer, _WriterThread], err_writer: _Writer, summary: BatchSummary) -> None:
    """Put the finished output in place; the errors file only when some row failed (then a stale one from an
    earlier run is removed, since it would claim failures this run did not have). If the output cannot be
    finished, the errors file is not left behind either."""
    where = summary.output if summary.output is not None else Path(".")
    with directory_lock(target_of(where).parent):  # the pair on disk is one run's (paths)
        try:
            writer.commit()
        except BaseException:
            err_writer.discard()
            raise
        if summary.failed:
            err_writer.commit()
        else:
            err_writer.discard()
            if summary.errors_path is not None:
                remove_output(summary.errors_path)  # a regular file only, never a device
            summary.errors_path = None


def _report_malformed(ing: Ingested, chunk: InputChunk, offset: int) -> None:
    """Malformed lines are rows that failed as a whole: one error each, instead of one per empty column."""
    bad = {offset + r for r in chunk.malformed}
    errors = ing.errors
    keep = [i for i, r in enumerate(errors.row) if r not in bad]
    errors.row = [errors.row[i] for i in keep]
    errors.column = [errors.column[i] for i in keep]
    errors.value = [errors.value[i] for i in keep]
    errors.reason = [errors.reason[i] for i in keep]
    for r, (text, reason) in chunk.malformed.items():
        errors.row.append(offset + r)
        errors.column.append("")
        errors.value.append(text)
        errors.reason.append(reason)


def _errors_table(ing: Ingested, chunk: InputChunk, offset: int) -> pa.Table:
    """line, row, [sku], column, value, reason: one line per broken field or malformed line."""
    table = ing.errors.to_arrow()
    local = table.column("row").to_numpy() - offset
    lines = local + offset + 2 if chunk.lines is None else chunk.lines[local]
    table = table.add_column(0, "line", pa.array(lines, pa.int64()))
    if ing.sku is not None:
        sku = _as_text_column(ing.sku).take(pa.array(local, pa.int64()))
        table = table.add_column(2, "sku", sku)
    return table


def _as_text_column(col: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    return col if pa.types.is_string(col.type) else col.cast(pa.string())


def empty_input(path: Union[str, Path], fmt: Format, delimiter: str) -> pa.Table:
    """The input's columns with no rows (a header-only file still gets an output with the result's columns)."""
    if fmt == "parquet":
        return pq.read_schema(path).empty_table()
    return pa.table({name: pa.array([], pa.string()) for name in _csv_header(Path(path), delimiter)})


__all__ = [
    "BatchSummary",
    "ERROR_COLUMNS",
    "default_errors_path",
    "empty_input",
    "finish_outputs",
    "file_format",
    "InputChunk",
    "quote_file",
    "read_batches",
    "read_chunks",
    "result_table",
]
