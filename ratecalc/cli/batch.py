"""`ratecalc batch INPUT -o OUTPUT`: quote a whole catalogue file (CSV or Parquet) in chunks.

Exit codes: 0 = every row quoted; 1 = some rows failed (listed in the errors file, the rest went
through); 2 = bad usage or an input unusable as a whole (missing file or column, not a readable Parquet
file, bad option): nothing was written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, List, Optional

import typer

from ..errors import InputError
from .options import (
    Cbr,
    Date,
    Delimiter,
    Errors,
    Fx,
    InputFormat,
    Map,
    NoProgress,
    Output,
    OutputFormat,
    RatesFile,
    Reading,
    Scheme,
    Tariffs,
    Threads,
)

BEST_CHOICES = ("cheapest", "fastest")


def _mapping(pairs: Optional[List[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        canon, sep, given = pair.partition("=")
        if not sep or not canon.strip() or not given.strip():
            raise InputError("map", f"{pair!r}: write it as CANONICAL=YOUR_COLUMN, e.g. weight_g=Weight")
        out[canon.strip()] = given.strip()
    return out


def _rub_ranking(best, engine, fx, rates_file, cbr):
    """The RUB converter for --best, or None; the rate flags mean nothing without --best."""
    if not (fx or rates_file or cbr):
        return None
    if best is None:
        raise InputError("fx", "rates (--fx, --rates-file, --cbr) rank --best in RUB; add --best cheapest or fastest")
    if engine != "local":
        raise InputError("fx", "comparing in RUB runs on the local engine; drop --engine dask")
    from ..money.fx import build_chain
    from ..money.fxcolumns import rub_converter

    return rub_converter(build_chain(fx, rates_file, cbr=cbr))


def register(app: typer.Typer) -> None:
    app.command()(batch)


def batch(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="Catalogue file: .csv or .parquet.")],
    output: Output,
    best: Optional[str] = typer.Option(
        None, "--best", help="One row per parcel: the cheapest or fastest eligible priced service."
    ),
    date: Date = None,
    mapping: Map = None,
    errors_path: Errors = None,
    input_format: InputFormat = None,
    output_format: OutputFormat = None,
    delimiter: Delimiter = ",",
    reading: Reading = None,
    engine: str = typer.Option("local", "--engine", help="local (this process) or dask."),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Dask scheduler address (tcp://host:8786); default: a local cluster."
    ),
    threads: Threads = None,
    no_progress: NoProgress = False,
    fx: Fx = None,
    rates_file: RatesFile = None,
    cbr: Cbr = False,
    scheme: Scheme = "rfbs",
    tariffs: Tariffs = None,
) -> None:
    """Quote every row of a CSV/Parquet catalogue against every service in force (long form or --best).

    Input columns: weight_g (or weight_kg), length_mm/width_mm/height_mm (or *_cm), and optionally
    declared_value, currency, order_date, delivery, battery, liquid, sku, scheme. Bad rows (malformed lines too) go
    to the errors file with their line (header = line 1), row number (0 = first data row), sku and reason;
    exit code 1 if any row failed, 2 if nothing could be done. Files appear only when the run completes.
    With --best, --fx, --rates-file or --cbr compare the prices in RUB (local engine).
    """
    from ._common import guarded, load

    failed = {"any": False}

    def run() -> None:
        _check_choices(best, engine)
        names = _mapping(mapping)
        to_common = _rub_ranking(best, engine, fx, rates_file, cbr)
        _check_files(input_path, output, errors_path, input_format, output_format, rates_file, engine)
        ts = load(tariffs)
        started = time.perf_counter()
        how: dict[str, Any] = dict(best=best, date=date, mapping=names, errors_path=errors_path, input_format=input_format,
                   output_format=output_format, delimiter=delimiter)  # fmt: skip
        if engine == "dask":
            from ..files.dask import quote_file_dask

            summary = quote_file_dask(
                input_path, output, ts, scheduler=scheduler, readings=reading or (), scheme=scheme, **how
            )
        else:
            summary = _quote_local(input_path, output, ts, how, reading, scheme, threads, to_common, no_progress)
        _report(summary, time.perf_counter() - started, best, to_common)
        failed["any"] = summary.failed > 0

    guarded(run)
    if failed["any"]:
        raise typer.Exit(1)


def _check_choices(best: Optional[str], engine: str) -> None:
    if best is not None and best not in BEST_CHOICES:
        raise InputError("best", f"unknown choice {best!r}; use cheapest or fastest")
    if engine not in ("local", "dask"):
        raise InputError("engine", f"unknown engine {engine!r}; use local or dask")


def _check_files(input_path, output, errors_path, input_format, output_format, rates_file, engine: str) -> None:
    """Before any work (exit 2, one line): known formats, a readable input, and outputs that are neither an
    input, another output nor a special file (paths/docs)."""
    from ..files.batchfile import default_errors_path, file_format
    from ..files.paths import check_input, check_paths

    file_format(input_path, input_format, "--input-format")
    out_fmt = file_format(output, output_format, "--output-format")
    if engine == "local":  # dask reads datasets (directories) and URLs its own way
        check_input("input", input_path)
    check_paths(
        [("output", output), ("errors", errors_path or default_errors_path(output))],
        [("input", input_path), ("rates_file", rates_file)],
        directories=("output",) if engine == "dask" and out_fmt == "parquet" else (),
    )


def _quote_local(input_path, output, ts, how: dict[str, Any], reading, scheme, threads, to_common, no_progress):
    """The local engine, chunk by chunk, with the progress bar. A run that fails leaves no output (the
    writer's partial file goes)."""
    from ..files.batchfile import quote_file
    from ._common import consoles
    from ._progress import file_progress

    readings = reading or ()
    compiled = ts.compiled(readings, scheme)
    with file_progress(input_path, consoles.err, show=not no_progress, verb="quoting", unit="rows") as tick:
        return quote_file(
            input_path,
            output,
            compiled,
            progress=tick,
            threads=threads,
            to_common=to_common,
            compiled_of=lambda s: ts.compiled(readings, s),
            **how,
        )


def _report(summary, took: float, best: Optional[str], to_common) -> None:
    """The summary on stderr: rows, speed, files, and what --best compared in."""
    from ._common import consoles

    err = consoles.err
    rate = summary.rows / took if took > 0 else 0.0
    err.print(
        "\n".join(summary.lines()) + f"\n{summary.output_rows:,} output rows in {took:.2f} s ({rate:,.0f} rows/s)\n"
        f"output: {summary.output}\nerrors: {summary.errors_path or 'none (every row quoted)'}",
        highlight=False,
        markup=False,
    )
    if best is not None:
        err.print(
            "--best compared prices in RUB (price × rate of the order date, half-up to the kopeck)"
            if to_common is not None
            else "--best compared prices in each carrier's currency: a parcel whose services price in "
            "several currencies gets no_choice=mixed_currencies (give --fx, --rates-file or --cbr "
            "to compare in RUB)",
            highlight=False,
        )


__all__ = ["register"]
