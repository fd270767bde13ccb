"""Scale-out on Dask: the same engine mapped over a Dask DataFrame's partitions.

Why Dask and not a home-made pool: when a catalogue outgrows one machine, scheduling, data locality,
retries and spilling are solved problems. Each partition is an ordinary pandas DataFrame that
`ratecalc.files.columnar` validates and quotes exactly as the local path does, so results are identical.

The tariffs travel with the tasks (the parsed documents, sent once per worker), so workers need ratecalc
installed but not the tariff files; they compile once per process and reuse it.

Note: this module is `ratecalc.files.dask`; inside it `import dask` is the top-level Dask package (absolute
imports), which tests/test_dask.py checks.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal, Mapping, Optional, Sequence, Union

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import InputError
from ..tariffdata.compile import CompiledTariffs, compile_tariffs
from ..tariffdata.loader import TariffDocuments
from .batchfile import BatchSummary, default_errors_path, file_format
from .columnar import Ingested, ingest, quote_ingested, quote_schemes
from .csvsafe import neutralise_frame
from .paths import check_paths, remove_output, write_atomic

Best = Optional[Literal["cheapest", "fastest"]]

_compiled_cache: dict[tuple[str, frozenset[str], str], CompiledTariffs] = {}


def _compiled_on_worker(documents: TariffDocuments, readings: frozenset[str], scheme: str = "rfbs") -> CompiledTariffs:
    key = (documents.checksum, readings, scheme)
    found = _compiled_cache.get(key)
    if found is None:
        found = _compiled_cache[key] = compile_tariffs(documents, readings, scheme)
    return found


def _quote_partition(
    part: pd.DataFrame,
    offsets: Sequence[int],
    documents: TariffDocuments,
    readings: frozenset[str],
    date: Optional[dt.date],
    mapping: Optional[Mapping[str, str]],
    best: Best,
    want: str,
    scheme: str = "rfbs",
    partition_info: Optional[dict] = None,
) -> pd.DataFrame:
    """One partition: validate, quote, and return the long form / best rows, or the errors."""
    number = partition_info["number"] if partition_info else 0
    offset = int(offsets[number])
    compiled = _compiled_on_worker(documents, readings, scheme)
    ing = ingest(part, compiled=compiled, date=date, mapping=mapping, row_offset=offset)
    if want == "errors":
        return _plain(ing.errors.to_arrow())

    def one_scheme(lanes: CompiledTariffs, rows: Ingested) -> pa.Table:
        result = quote_ingested(lanes, rows, threads=1, row_offset=offset)
        return result.to_arrow() if best is None else result.best(best)

    return _plain(quote_schemes(ing, scheme, lambda s: _compiled_on_worker(documents, readings, s), one_scheme))


_INTS = {pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype(), pa.uint32(): pd.UInt32Dtype()}


def _plain(table: pa.Table) -> pd.DataFrame:
    """The same dtypes in every partition: dictionaries as strings, prices as exact decimal text
    ("24.60", never a float), integers as nullable integers."""
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        elif pa.types.is_decimal(col.type):
            col = col.cast(pa.string())
        cols[name] = col
    return pa.table(cols).to_pandas(types_mapper=_INTS.get)


def _meta(
    documents: TariffDocuments, readings: frozenset[str], sample: pd.DataFrame, date, mapping, best, want, scheme
) -> pd.DataFrame:
    """The output's empty frame (column names and dtypes), from quoting the input's empty head."""
    return _quote_partition(sample.iloc[:0], [0], documents, readings, date, mapping, best, want, scheme)


def quote_dask(
    ddf: dd.DataFrame,
    tariffs: Any,
    *,
    best: Best = None,
    date: Union[str, dt.date, None] = None,
    mapping: Optional[Mapping[str, str]] = None,
    readings: Sequence[str] = (),
    scheme: str = "rfbs",
) -> tuple[dd.DataFrame, dd.DataFrame]:
    """(results, errors) as lazy Dask DataFrames; row numbers count across partitions from 0.

    `tariffs` is a TariffSet. Partition lengths are computed first (one pass over the input) so every
    partition numbers its rows globally, as the local path does.
    """
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    documents = tariffs.documents
    chosen = frozenset(readings)
    tariffs.compiled(chosen, scheme)  # unknown readings or schemes fail here, before any task runs
    scheme = scheme.lower()
    lengths = ddf.map_partitions(len).compute()
    offsets = np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64))]).tolist()
    docs = dask.delayed(documents, pure=True)  # shipped once, not once per partition
    sample = ddf._meta
    out = []
    for want in ("results", "errors"):
        meta = _meta(documents, chosen, sample, date, mapping, best, want, scheme)
        out.append(
            ddf.map_partitions(
                _quote_partition,
                offsets,
                docs,
                chosen,
                date,
                mapping,
                best,
                want,
                scheme,
                meta=meta,
                align_dataframes=False,
            )  # fmt: skip
        )
    return out[0], out[1]


def client_for(scheduler: Optional[str]):
    """A distributed Client: to `scheduler` (tcp://host:8786) or a new LocalCluster on this machine."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(processes=True, threads_per_worker=1, dashboard_address=":0")
    return Client(cluster), cluster


def read_dask(path: Union[str, Path], fmt: str, delimiter: str = ",") -> dd.DataFrame:
    """The catalogue as a Dask DataFrame; CSV columns as text (validated per row, like the local path)."""
    if fmt == "parquet":
        return dd.read_parquet(str(path))
    return dd.read_csv(str(path), dtype=str, keep_default_na=False, sep=delimiter, blocksize="64MB")


def quote_file_dask(
    input_path: Union[str, Path],
    output_path: Union[str, Path],
    tariffs: Any,
    *,
    scheduler: Optional[str] = None,
    best: Best = None,
    date: Union[str, dt.date, None] = None,
    mapping: Optional[Mapping[str, str]] = None,
    errors_path: Union[str, Path, None] = None,
    readings: Sequence[str] = (),
    input_format: Optional[str] = None,
    output_format: Optional[str] = None,
    delimiter: str = ",",
    scheme: str = "rfbs",
) -> BatchSummary:
    """The `ratecalc batch --engine dask` path: workers read the input and write the output.

    Output: a .parquet name becomes a Parquet *dataset directory* (one part per partition, written in
    parallel); a .csv name becomes one CSV file. Paths must be reachable from the workers (a shared
    filesystem, or an fsspec URL such as s3://bucket/out.parquet).
    """
    in_fmt = file_format(input_path, input_format, "--input-format")
    out_fmt = file_format(output_path, output_format, "--output-format")
    if in_fmt == "csv" and not str(input_path).startswith(("s3://", "gs://", "http")) and not Path(input_path).exists():
        raise InputError("input", f"{input_path} does not exist")
    err_path = Path(errors_path) if errors_path else default_errors_path(output_path)
    local = [(f, p) for f, p in (("output", output_path), ("errors", err_path)) if "://" not in str(p)]
    # a .parquet output is a dataset directory here: an existing one is replaced, as before
    check_paths(local, [("input", input_path)], directories=("output",) if out_fmt == "parquet" else ())
    client, cluster = client_for(scheduler)
    try:
        ddf = read_dask(input_path, in_fmt, delimiter)
        results, errors = quote_dask(
            ddf, tariffs, best=best, date=date, mapping=mapping, readings=readings, scheme=scheme
        )
        if out_fmt == "parquet":
            write = results.to_parquet(str(output_path), write_index=False, compute=False, overwrite=True)
        else:
            safe = results.map_partitions(neutralise_frame, meta=results._meta)  # csvsafe: formulas as text
            write = safe.to_csv(str(output_path), single_file=True, index=False, compute=False)
        n_out = results.map_partitions(len)
        n_in = ddf.map_partitions(len)
        _, err_frame, out_lengths, in_lengths = dask.compute(write, errors, n_out, n_in)
        summary = BatchSummary(output=Path(output_path), errors_path=err_path if len(err_frame) else None)
        if len(err_frame):
            write_atomic(err_path, neutralise_frame(err_frame).to_csv(index=False).encode(), "errors")
        else:  # the same contract as the local engine: an errors file exists only when rows failed
            remove_output(err_path)
        summary.rows = int(np.sum(in_lengths))
        summary.failed = int(err_frame["row"].nunique()) if len(err_frame) else 0
        summary.quoted = summary.rows - summary.failed
        summary.errors = len(err_frame)
        if len(err_frame):
            summary.count(err_frame["column"].fillna("").astype(str).tolist(), err_frame["reason"].astype(str).tolist())
        summary.output_rows = int(np.sum(out_lengths))
        return summary
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["client_for", "quote_dask", "quote_file_dask", "read_dask"]
