"""`ratecalc tariffs ...`: list, show, check and describe the tariff files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from ..errors import TariffError
from ._common import TariffsOpt, consoles, guarded, load

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


def register(app: typer.Typer) -> None:
    app.add_typer(tariffs_app, name="tariffs")
