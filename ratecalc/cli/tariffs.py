"""`ratecalc tariffs ...`: list, show, check and describe the tariff files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from ..errors import TariffError
from ._common import TariffsOpt, consoles, fail, guarded, load

tariffs_app = typer.Typer(no_args_is_help=True, help="Inspect and check tariff files.")


@tariffs_app.command("list")
def tariffs_list(tariffs: Optional[List[Path]] = TariffsOpt) -> None:
    """List every service with its carrier and rule periods."""

    def run() -> None:
        ts = load(tariffs)
        table = Table(header_style="bold")
        for col in ("Service id", "Service", "Carrier", "Periods", "Rates"):
            table.add_column(col, overflow="fold")
        for svc in ts.services:
            periods = ", ".join(f"{v.effective_from or '…'}→{v.effective_until or '…'}" for v in svc.model.versions)
            priced = any(r.published for v in svc.model.versions for r in v.rates)
            table.add_row(svc.id, svc.name, svc.carrier, periods, "published" if priced else "unpublished")
        consoles.out.print(table)

    guarded(run)


@tariffs_app.command("show")
def tariffs_show(
    service: str = typer.Argument(..., help="Service id (see `ratecalc tariffs list`)."),
    tariffs: Optional[List[Path]] = TariffsOpt,
) -> None:
    """Show one service's rules, limits, rates and sources, version by version."""

    def run() -> None:
        svc = load(tariffs).service(service)
        sys.stdout.write(json.dumps(svc.model.model_dump(mode="json", exclude_none=True), ensure_ascii=False, indent=2))
        sys.stdout.write("\n")

    guarded(run)


@tariffs_app.command("check")
def tariffs_check(
    directory: Optional[Path] = typer.Argument(None, help="Directory to check (default: the built-in tariffs)."),
) -> None:
    """Validate every tariff file in a directory; exit 1 listing every problem."""
    from ..loader import builtin_dir

    target = directory or builtin_dir()
    try:
        from ..loader import load_documents
        from ..tariffset import TariffSet

        docs = load_documents([target])
        TariffSet(docs, [target]).compiled()
    except TariffError as exc:
        for problem in exc.problems:
            consoles.err.print(str(problem), highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    consoles.out.print(f"ok: {len(docs.files)} files, {len(docs.services)} services in {target}")


@tariffs_app.command("schema")
def tariffs_schema(
    output: Path = typer.Option(Path("tariffs/schema.json"), "--output", "-o", help="Where to write it."),
) -> None:
    """Write the JSON Schema of the tariff format (editors validate tariff files with it)."""
    from ..schema import json_schema

    output.write_text(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    consoles.out.print(f"wrote {output}")


@tariffs_app.command("import")
def tariffs_import(
    file: Path = typer.Argument(..., help="Ozon's rate sheet, China_scoring_ENG_CN_<date>_<unixtime>.xlsx."),
    effective_from: Optional[str] = typer.Option(
        None,
        "--effective-from",
        help="First order date the rates apply to, YYYY-MM-DD (default: the date in the file name).",
    ),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="Directory to write the tariff YAML to (default: ozon-tariffs-<date>)."
    ),
    skip_bad_rows: bool = typer.Option(
        False, "--skip-bad-rows", help="Import the rows that can be read and list the others (default: refuse all)."
    ),
    tariffs: Optional[List[Path]] = TariffsOpt,
) -> None:
    """Import Ozon's own rate sheet as tariff YAML (one file per carrier) to layer over the built-in set."""
    import datetime as dt

    from ..ozon_sheet import date_from_name, known_services, read_sheet, to_documents, write_documents
    from ..tariffset import TariffSet

    def run() -> None:
        if effective_from is not None:
            try:
                start = dt.date.fromisoformat(effective_from)
            except ValueError:
                fail(f"--effective-from: {effective_from!r} is not a date YYYY-MM-DD")
        else:
            found = date_from_name(file.name)
            if found is None:
                fail(f"--effective-from: no date in the file name {file.name!r}; give --effective-from YYYY-MM-DD")
            start = found  # type: ignore[assignment]
            consoles.err.print(
                f"effective from {start.isoformat()}: taken from the file name (set it with --effective-from)",
                highlight=False,
            )
        if not file.is_file():
            fail(f"FILE: {file} does not exist")
        imp = read_sheet(file)
        for problem in imp.problems:
            consoles.err.print(f"bad row {problem}", highlight=False, soft_wrap=True)
        if imp.problems and not skip_bad_rows:
            fail(
                f"{len(imp.problems)} row(s) of {imp.sheet!r} could not be read; nothing written "
                "(--skip-bad-rows imports the others)"
            )
        if not imp.rows:
            fail(f"no rate rows found in sheet {imp.sheet!r}")
        base = load(tariffs)
        docs = to_documents(imp, start, known_services(base.services))
        target = output or Path(f"ozon-tariffs-{start.isoformat()}")
        written = write_documents(docs, target, f"Imported by `ratecalc tariffs import` from {imp.file}; see notes.")
        TariffSet.load([*(tariffs or ()), target])  # the result must load and compile over the current set
        services = sum(len(d["services"]) for d in docs.values())
        consoles.out.print(
            f"ok: {len(imp.rows)} rows of sheet {imp.sheet!r} (header on row {imp.header_row}, "
            f"{imp.skipped_separators} separator rows skipped, {len(imp.problems)} bad rows skipped) -> "
            f"{services} services of {len(written)} carriers in {target}, effective from {start.isoformat()}; "
            f"quote with --tariffs {target}",
            highlight=False,
            soft_wrap=True,
        )

    guarded(run)


@tariffs_app.command("diff")
def tariffs_diff(
    old: str = typer.Argument(..., help="Old side: a date YYYY-MM-DD of the loaded set, or a tariff directory."),
    new: str = typer.Argument(..., help="New side: a date YYYY-MM-DD of the loaded set, or a tariff directory."),
    catalogue: Optional[Path] = typer.Option(
        None, "--catalogue", help="CSV (weight, dims, value[, quantity]): total cheapest shipping cost on each side."
    ),
    tariffs: Optional[List[Path]] = TariffsOpt,
) -> None:
    """Per service and group: what changed (rate, days, limits, added, removed) between two tariff sets."""
    from ..tariff_diff import catalogue_cost, diff, side

    def run() -> None:
        a, b = side(old, tariffs or ()), side(new, tariffs or ())
        result = diff(a, b)
        table = Table(header_style="bold")
        for col in ("Service", "Group", "Change", "What"):
            table.add_column(col, overflow="fold")
        for c in result.changes:
            table.add_row(c.service, c.group or "—", c.kind, "; ".join(c.details))
        consoles.out.print(table)
        consoles.out.print(result.summary(), highlight=False, soft_wrap=True)
        if catalogue is not None:
            for line in catalogue_cost(a, b, catalogue).lines():
                consoles.out.print(line, highlight=False, soft_wrap=True)

    guarded(run)


def register(app: typer.Typer) -> None:
    app.add_typer(tariffs_app, name="tariffs")
