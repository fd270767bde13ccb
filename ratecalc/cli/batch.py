"""`ratecalc batch INPUT -o OUTPUT`: quote a whole catalogue file (CSV or Parquet) in chunks.

Exit codes: 0 = every row quoted; 1 = some rows failed (listed in the errors file, the rest went
through); 2 = bad usage or an input unusable as a whole (missing file or column, not a readable Parquet
file, bad option): nothing was written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError

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
    from ._common import TariffsOpt, guarded, load

    @app.command()
    def batch(
        input_path: Path = typer.Argument(..., metavar="INPUT", help="Catalogue file: .csv or .parquet."),
        output: Path = typer.Option(..., "--output", "-o", help="Output file: .csv or .parquet (dask: see README)."),
        best: Optional[str] = typer.Option(
            None, "--best", help="One row per parcel: the cheapest or fastest eligible priced service."
        ),
        date: Optional[str] = typer.Option(None, "--date", help="Order date for rows without order_date (YYYY-MM-DD)."),
        mapping: Optional[List[str]] = typer.Option(
            None, "--map", help="Read a column under another name: CANONICAL=YOURS, e.g. weight_g=Weight (repeatable)."
        ),
        errors_path: Optional[Path] = typer.Option(
            None, "--errors", help="Errors file (default: OUTPUT-stem.errors.csv next to the output)."
        ),
        input_format: Optional[str] = typer.Option(
            None, "--input-format", help="csv or parquet (default: from the name)."
        ),
        output_format: Optional[str] = typer.Option(
            None, "--output-format", help="csv or parquet (default: from the name)."
        ),
        delimiter: str = typer.Option(",", "--delimiter", help="CSV field delimiter of the input."),
        reading: Optional[List[str]] = typer.Option(None, "--reading", help="Named alternative reading (repeatable)."),
        engine: str = typer.Option("local", "--engine", help="local (this process) or dask."),
        scheduler: Optional[str] = typer.Option(
            None, "--scheduler", help="Dask scheduler address (tcp://host:8786); default: a local cluster."
        ),
        threads: Optional[int] = typer.Option(None, "--threads", help="Engine threads (local engine)."),
        no_progress: bool = typer.Option(False, "--no-progress", help="Do not draw the progress bar."),
        fx: Optional[List[str]] = typer.Option(
            None, "--fx", help="With --best: compare in RUB at this rate, CUR=RUB per unit, e.g. CNY=12.5 (repeatable)."
        ),
        rates_file: Optional[Path] = typer.Option(
            None, "--rates-file", help="With --best: compare in RUB with rates from a CSV/YAML file."
        ),
        cbr: bool = typer.Option(False, "--cbr", help="With --best: compare in RUB, falling back to the CBR feed."),
        scheme: str = typer.Option(
            "rfbs", "--scheme", help="rfbs or fbp (border warehouse lanes) for rows without a scheme column value."
        ),
        tariffs: Optional[List[Path]] = TariffsOpt,
    ) -> None:
        """Quote every row of a CSV/Parquet catalogue against every service in force (long form or --best).

        Input columns: weight_g (or weight_kg), length_mm/width_mm/height_mm (or *_cm), and optionally
        declared_value, currency, order_date, delivery, battery, liquid, sku, scheme. Bad rows (malformed lines too) go
        to the errors file with their line (header = line 1), row number (0 = first data row), sku and reason;
        exit code 1 if any row failed, 2 if nothing could be done. Files appear only when the run completes.
        """
        failed = {"any": False}

        def run() -> None:
            from ._common import consoles
            from ._progress import file_progress

            err = consoles.err
            if best is not None and best not in BEST_CHOICES:
                raise InputError("best", f"unknown choice {best!r}; use cheapest or fastest")
            if engine not in ("local", "dask"):
                raise InputError("engine", f"unknown engine {engine!r}; use local or dask")
            names = _mapping(mapping)
            to_common = _rub_ranking(best, engine, fx, rates_file, cbr)
            from ..files.batchfile import default_errors_path, file_format
            from ..files.paths import check_input, check_paths

            file_format(input_path, input_format, "--input-format")  # before any work: exit 2, one line
            out_fmt = file_format(output, output_format, "--output-format")
            if engine == "local":  # dask reads datasets (directories) and URLs its own way
                check_input("input", input_path)
            check_paths(  # paths/docs: no output is an input, another output, or a special file
                [("output", output), ("errors", errors_path or default_errors_path(output))],
                [("input", input_path), ("rates_file", rates_file)],
                directories=("output",) if engine == "dask" and out_fmt == "parquet" else (),
            )
            ts = load(tariffs)
            if engine == "dask":
                from ..files.dask import quote_file_dask

                started = time.perf_counter()
                summary = quote_file_dask(
                    input_path,
                    output,
                    ts,
                    scheduler=scheduler,
                    best=best,  # type: ignore[arg-type]
                    date=date,
                    mapping=names,
                    errors_path=errors_path,
                    readings=reading or (),
                    input_format=input_format,
                    output_format=output_format,
                    delimiter=delimiter,
                    scheme=scheme,
                )
            else:
                from ..files.batchfile import quote_file

                compiled = ts.compiled(reading or (), scheme)
                started = time.perf_counter()
                with file_progress(input_path, err, show=not no_progress, verb="quoting", unit="rows") as tick:
                    summary = quote_file(  # a run that fails leaves no output (the writer's partial file goes)
                        input_path,
                        output,
                        compiled,
                        best=best,  # type: ignore[arg-type]
                        date=date,
                        mapping=names,
                        errors_path=errors_path,
                        input_format=input_format,
                        output_format=output_format,
                        delimiter=delimiter,
                        progress=tick,
                        threads=threads,
                        to_common=to_common,
                        compiled_of=lambda s: ts.compiled(reading or (), s),
                    )
            took = time.perf_counter() - started
            rate = summary.rows / took if took > 0 else 0.0
            err.print(
                f"{summary.rows:,} rows: {summary.quoted:,} quoted, {summary.failed:,} failed; "
                f"{summary.output_rows:,} output rows in {took:.2f} s ({rate:,.0f} rows/s)\n"
                f"output: {summary.output}\nerrors: {summary.errors_path or 'none (every row quoted)'}",
                highlight=False,
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
            failed["any"] = summary.failed > 0

        guarded(run)
        if failed["any"]:
            raise typer.Exit(1)


__all__ = ["register"]
