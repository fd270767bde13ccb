"""`ratecalc commissions import FILE` (Ozon's workbook -> a commission table YAML) and
`ratecalc categories [TEXT]` (find a commission category by any of its names, with its tiers)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, Sequence

import typer

from ..errors import InputError
from .options import Date, Json

if TYPE_CHECKING:
    from ..money.commissions import Category, CommissionTable


def _date(text: Optional[str], field: str) -> Optional[dt.date]:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(field, f"{text!r} is not a date; write it as YYYY-MM-DD") from None


def register(app: typer.Typer) -> None:
    """Add `commissions import` and `categories` to the ratecalc CLI."""
    group = typer.Typer(no_args_is_help=True, help="Ozon commission tables: import Ozon's workbook.")
    app.add_typer(group, name="commissions")
    group.command("import")(import_)
    app.command()(categories)


def import_(
    file: Annotated[
        Path, typer.Argument(help="Ozon's commission workbook: .xlsx, or its CSV export (UTF-8 or GB18030).")
    ],
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="Write the YAML here (default: standard output)."
    ),
    effective_from: Optional[str] = typer.Option(
        None, "--effective-from", help="Start date YYYY-MM-DD (default: the sheet's 'Starts from DD/MM/YYYY')."
    ),
    effective_until: Optional[str] = typer.Option(None, "--effective-until", help="Last day YYYY-MM-DD, if known."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX sheet (default: 'Full ChinaHK', else the first)."),
) -> None:
    """Turn Ozon's commission workbook into a validated commission table (tariffs/economics format).

    Put the file in a directory as commissions-YYYY-MM-DD.yaml and pass it with --tariffs, or commit it
    to tariffs/economics/ as built-in data.
    """
    from ._common import consoles, guarded

    def run() -> None:
        from ..files.paths import check_input, check_paths, write_atomic
        from ..money.commission_import import categories, read_workbook, to_yaml

        check_input("FILE", file)  # a directory named .xlsx is "a directory", not an internal error
        check_paths([("output", output)], [("FILE", file)])
        wb = read_workbook(file, sheet)
        text = to_yaml(
            wb,
            source=file.name,
            effective_from=_date(effective_from, "effective_from"),
            effective_until=_date(effective_until, "effective_until"),
        )
        if output is None:
            sys.stdout.write(text)
            return
        write_atomic(output, text.encode("utf-8"))
        consoles.err.print(
            f"{len(wb.rows):,} rows -> {len(categories(wb))} categories; written to {output}", highlight=False
        )

    guarded(run)


def categories(
    text: Optional[str] = typer.Argument(None, help="Part of a name in Russian, Chinese or English, or a slug."),
    date: Date = None,
    as_json: Json = False,
) -> None:
    """List the commission categories in force on a date (searched by TEXT), with their tier rates."""
    from ._common import consoles, guarded

    none_found = {"any": False}

    def run() -> None:
        from ..money.commissions import search, table_for

        table = table_for(_date(date, "date") or dt.date.today())
        found = search(table, text or "")
        if as_json:
            _categories_json(table, found)
            return
        _categories_table(table, found)
        if text and not found:
            consoles.err.print(f"no category matches {text!r} in {table.id}", highlight=False)
            none_found["any"] = True

    guarded(run)
    if none_found["any"]:
        raise typer.Exit(1)


def _tier_labels(table: CommissionTable) -> list[str]:
    """The price tiers in RUB as a person reads them: `≤ 1500`, `1500.01–5000`, `> 5000`."""
    bounds = [b for b in table.tiers_rub if b is not None]
    labels = [f"≤ {bounds[0]}"] if bounds else ["any price"]
    labels += [f"{lo}.01–{hi}" for lo, hi in zip(bounds, bounds[1:])]
    labels += [f"> {bounds[-1]}"] if bounds else []
    return labels


def _categories_json(table: CommissionTable, found: Sequence[Category]) -> None:
    rows = [
        {
            "id": c.id,
            "en": c.en,
            "ru": c.ru,
            "zh": c.zh,
            "brand": c.brand,
            "applies_to": c.applies_to,
            "percent": {k: [f"{x:f}" for x in v] for k, v in c.percent.items()},
            "confidence": c.confidence or table.confidence,
        }
        for c in found
    ]
    doc = {"table": table.id, "tiers_rub": _tier_labels(table), "categories": rows}
    import json

    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def _categories_table(table: CommissionTable, found: Sequence[Category]) -> None:
    from rich.table import Table

    from ._common import consoles

    out = Table(
        header_style="bold",
        title=f"{table.id} ({table.effective_from}..{table.effective_until or '…'}), "
        f"confidence {table.confidence}; tiers RUB: {' | '.join(_tier_labels(table))}",
    )
    for col in ("Slug", "English", "Русский", "中文", *[f"{s} %" for s in table.schemes]):
        out.add_column(col, overflow="fold")
    for c in found:
        name = c.en + (f" [brand {c.brand}]" if c.brand else "")
        rates = [" / ".join(f"{x:g}" for x in c.percent[s]) for s in table.schemes]
        out.add_row(c.id, name, c.ru or "", c.zh or "", *rates)
    consoles.out.print(out)


__all__ = ["register"]
