"""`ratecalc tariffs ...`: list, show, check and describe the tariff files."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from ..errors import TariffError
from ._common import consoles, fail, guarded, load
from .options import Scheme, Tariffs

if TYPE_CHECKING:
    from decimal import Decimal

    from rich.table import Table

    from ..tariffdata.ozon_sheet import SheetImport
    from ..tariffdata.schema import Billing, Limits, Version

SHOWN_PROBLEMS = 20
"""Bad rows listed one per line by `tariffs import`; the rest are counted (a broken sheet is one screen)."""

tariffs_app = typer.Typer(no_args_is_help=True, help="Inspect and check tariff files.")


def _period(v: Version) -> str:
    return f"{v.effective_from or '…'} → {v.effective_until or '…'}"


def period_rates(v: Version) -> str:
    """Whether a period has prices: `rates`, `no rates`, or which delivery types are priced."""
    priced = [r for r in v.rates if r.published]
    if not priced:
        return "no rates"
    if len(priced) == len(v.rates):
        return "rates"
    kinds = sorted({d for r in priced for d in r.delivery})
    return "rates: " + ", ".join(k.replace("_", " ") for k in kinds) + " only"


@tariffs_app.command("list")
def tariffs_list(tariffs: Tariffs = None) -> None:
    """List every service with its carrier and, per period, whether it has rates."""

    def run() -> None:
        from ..tariffdata.schema import SCHEMES

        ts = load(tariffs)
        from rich import box
        from rich.table import Table

        for scheme in SCHEMES:
            services = ts.compiled(scheme=scheme).services
            if not services:
                continue
            if scheme != SCHEMES[0]:
                consoles.out.print(f"\nScheme {scheme} (Ozon's border warehouse):", highlight=False)
            table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False)
            table.add_column("Service id", no_wrap=True)
            table.add_column("Period", no_wrap=True)
            table.add_column("Rates", no_wrap=True, overflow="ellipsis")
            for svc in services:
                for i, v in enumerate(svc.model.versions):
                    table.add_row(svc.id if i == 0 else "", _period(v), period_rates(v))
            consoles.out.print(table)

    guarded(run)


def _money(x: Optional[Decimal]) -> str:
    return "—" if x is None else f"{x:f}"


def _billing(b: Billing) -> str:
    rule = {
        "actual": "actual weight",
        "greater_of": f"greater of actual and volumetric (L×W×H cm ÷ {b.divisor})",
        "volumetric_above_threshold": f"volumetric (L×W×H cm ÷ {b.divisor})",
    }[b.basis]
    if b.threshold_sum_cm is not None:
        rule += f" when L+W+H > {b.threshold_sum_cm:f} cm"
    step = f"{b.rounding.step_g} g steps, rounded {b.rounding.direction}"
    if not b.rounding.stated:
        step += " (rounding not stated by the source)"
    return f"{rule}; {step}" + (f"; at least {b.min_billable_g} g" if b.min_billable_g else "")


def _limits(lim: Limits) -> str:
    out = []
    if lim.min_weight_g or lim.max_weight_g:
        out.append(f"weight {lim.min_weight_g or 0}–{lim.max_weight_g or '…'} g")
    if lim.max_dims_cm:
        out.append("sides at most " + "×".join(f"{d:f}" for d in lim.max_dims_cm) + " cm")
    if lim.max_sum_cm is not None:
        out.append(f"L+W+H {'<' if lim.sum_strict else '≤'} {lim.max_sum_cm:f} cm")
    if lim.max_longest_cm is not None:
        out.append(f"longest side ≤ {lim.max_longest_cm:f} cm")
    if lim.max_declared_value is not None:
        out.append(f"declared value ≤ {lim.max_declared_value.amount:f} {lim.max_declared_value.currency}")
    out.append(f"batteries {lim.batteries}, liquids {lim.liquids}")
    return "; ".join(out)


@tariffs_app.command("show")
def tariffs_show(
    service: str = typer.Argument(..., help="Service id (see `ratecalc tariffs list`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the service's data (every field) as JSON."),
    tariffs: Tariffs = None,
) -> None:
    """One service as a rate card: per version its rules, limits and a table of rates per group."""

    def run() -> None:
        svc = load(tariffs).service(service)
        if as_json:
            data = svc.model.model_dump(mode="json", exclude_none=True)
            import json

            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            return
        from rich.text import Text

        out = consoles.out
        out.print(Text.assemble((svc.name, "bold"), f" ({svc.id}), {svc.carrier}, from {svc.origin}"), highlight=False)
        for v in svc.model.versions:
            _print_version(v)

    guarded(run)


def _print_version(v: Version) -> None:
    """One period of a service: its rules and limits, its rates per group, and its sources."""
    from rich.text import Text

    out = consoles.out
    out.print(Text.assemble("\n", (_period(v), "bold"), f": {period_rates(v)}"), highlight=False)
    out.print(f"Billed: {_billing(v.billing)}", highlight=False)
    out.print(f"Limits: {_limits(v.limits)}", highlight=False)
    if v.delivery_days:
        out.print(f"Days: {v.delivery_days.min}–{v.delivery_days.max}", highlight=False)
    table, unpublished = _rates_table(v)
    if table.row_count:
        out.print(table)
    for reason, rows in unpublished.items():
        out.print(f"Not published ({'; '.join(rows)}): {reason}", highlight=False)
    out.print("Sources:", highlight=False)
    for src in v.sources:  # one per line: an address is never broken
        out.print(f"  {src}", highlight=False, soft_wrap=True)


def _rates_table(v: Version) -> tuple[Table, dict[str, list[str]]]:
    """The published rates as a table, and the unpublished ones as reason -> the group / delivery rows."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False)
    for col, right in (
        ("Group", False),
        ("Delivery", False),
        ("Fixed", True),
        ("Per step", True),
        ("Step", True),
        ("Days", True),
    ):
        table.add_column(col, justify="right" if right else "left", no_wrap=True)
    unpublished: dict[str, list[str]] = {}
    for r in v.rates:
        delivery = ", ".join(d.replace("_", " ") for d in r.delivery)
        if not r.published:
            unpublished.setdefault(r.unpublished or "", []).append(f"{r.group or 'any group'} / {delivery}")
            continue
        days = r.delivery_days or v.delivery_days
        table.add_row(
            r.group or "—",
            delivery,
            f"{_money(r.fixed)} {r.currency}",
            f"{_money(r.per_step)} {r.currency}",
            f"{r.step_g} g",
            f"{days.min}–{days.max}" if days else "—",
        )
    return table, unpublished


@tariffs_app.command("check")
def tariffs_check(
    directory: Optional[Path] = typer.Argument(None, help="Directory to check (default: the built-in tariffs)."),
) -> None:
    """Validate every tariff file in a directory, as it loads over the built-in set; exit 1 listing every problem.

    Over the built-in set, because that is how a directory is used: its compact services take their group
    rules from the built-in shipment groups, and its services continue the built-in ones.
    """
    from ..tariffdata.loader import builtin_dir

    def run() -> None:
        builtin = builtin_dir()
        target = directory or builtin
        dirs = [builtin] if target.resolve() == builtin.resolve() else [builtin, target]
        try:
            from ..pricing.tariffset import TariffSet
            from ..tariffdata.loader import load_documents

            docs = load_documents(dirs)
            TariffSet(docs, dirs).compiled()
        except TariffError as exc:
            for problem in exc.problems:
                consoles.err.print(str(problem), highlight=False, soft_wrap=True)
            raise typer.Exit(1)
        files = [f for f in docs.files if f.layer == len(dirs) - 1]
        services = {s.id for f in files if f.document.kind == "carrier" for s in f.document.services}
        consoles.out.print(f"ok: {len(files)} files, {len(services)} services in {target}")

    guarded(run)


@tariffs_app.command("schema")
def tariffs_schema(
    output: Path = typer.Option(Path("tariffs/schema.json"), "--output", "-o", help="Where to write it."),
) -> None:
    """Write the JSON Schema of the tariff format (editors validate tariff files with it)."""

    def run() -> None:
        from ..files.paths import check_paths, write_atomic
        from ..tariffdata.compact_schema import json_schema_text

        check_paths([("output", output)])
        write_atomic(output, json_schema_text().encode("utf-8"))
        consoles.out.print(f"wrote {output}", highlight=False)

    guarded(run)


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
    tariffs: Tariffs = None,
) -> None:
    """Import Ozon's own rate sheet as tariff YAML (one file per carrier) to layer over the built-in set."""
    from ..pricing.tariffset import TariffSet
    from ..tariffdata.ozon_sheet import known_services, read_sheet, to_documents, write_documents

    def run() -> None:
        start = _start_date(effective_from, file)
        from ..files.paths import check_input, check_paths

        check_input("FILE", file)  # a directory named .xlsx is "a directory", not "does not exist"
        target = output or Path(f"ozon-tariffs-{start.isoformat()}")
        check_paths([("output", target)], [("FILE", file)], directories=("output",))
        imp = read_sheet(file)  # refuses a hostile or oversized workbook (tariffdata.xlsx)
        if effective_from is None:  # said once the file is read: a refused file is one line
            consoles.err.print(
                f"effective from {start.isoformat()}: taken from the file name (set it with --effective-from)",
                highlight=False,
            )
        _report_problems(imp, skip_bad_rows)
        if not imp.rows:
            fail(f"no rate rows found in sheet {imp.sheet!r}")
        base = load(tariffs)
        docs = to_documents(imp, start, known_services(base.services))
        header = f"Imported by `ratecalc tariffs import` from {imp.file}; see notes."
        group_sets = {groups.id: groups for groups, _ in base.documents.groups}
        written = write_documents(docs, target, header, group_sets)  # compact where Ozon's group rules hold
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


def _start_date(effective_from: Optional[str], file: Path) -> dt.date:
    """The first order date of an imported sheet: --effective-from, else the date in the file's name."""
    from ..tariffdata.ozon_sheet import date_from_name

    if effective_from is not None:
        try:
            return dt.date.fromisoformat(effective_from)
        except ValueError:
            fail(f"--effective-from: {effective_from!r} is not a date YYYY-MM-DD")
    found = date_from_name(file.name)
    if found is None:
        fail(f"--effective-from: no date in the file name {file.name!r}; give --effective-from YYYY-MM-DD")
    return found  # type: ignore[return-value]  # fail() exits


def _report_problems(imp: SheetImport, skip_bad_rows: bool) -> None:
    """The sheet's bad rows, the first SHOWN_PROBLEMS one per line; with any and no --skip-bad-rows: exit 2."""
    for problem in imp.problems[:SHOWN_PROBLEMS]:
        consoles.err.print(f"bad row {problem}", highlight=False, soft_wrap=True)
    if len(imp.problems) > SHOWN_PROBLEMS:
        consoles.err.print(
            f"… and {len(imp.problems) - SHOWN_PROBLEMS:,} more bad rows (the first {SHOWN_PROBLEMS} are shown)",
            highlight=False,
            soft_wrap=True,
        )
    if imp.problems and not skip_bad_rows:
        fail(
            f"{len(imp.problems)} row(s) of {imp.sheet!r} could not be read; nothing written "
            "(--skip-bad-rows imports the others)"
        )


@tariffs_app.command("diff")
def tariffs_diff(
    old: str = typer.Argument(..., help="Old side: a date YYYY-MM-DD of the loaded set, or a tariff directory."),
    new: str = typer.Argument(..., help="New side: a date YYYY-MM-DD of the loaded set, or a tariff directory."),
    catalogue: Optional[Path] = typer.Option(
        None, "--catalogue", help="CSV (weight, dims, value[, quantity]): total cheapest shipping cost on each side."
    ),
    scheme: Scheme = "rfbs",
    tariffs: Tariffs = None,
) -> None:
    """Per service and group: what changed (rate, days, limits, returns, added, removed) between two tariff sets."""
    from ..pricing.tariff_diff import catalogue_cost, diff, side

    def run() -> None:
        if catalogue is not None:
            from ..files.paths import check_input

            check_input("--catalogue", catalogue)  # a directory or a FIFO: named, never opened
        a, b = side(old, tariffs or ()), side(new, tariffs or ())
        result = diff(a, b, scheme)
        from rich.table import Table

        table = Table(header_style="bold")
        for col in ("Service", "Group", "Change", "What"):
            table.add_column(col, overflow="fold")
        for c in result.changes:
            table.add_row(c.service, c.group or "—", c.kind, "; ".join(c.details))
        consoles.out.print(table)
        consoles.out.print(result.summary(), highlight=False, soft_wrap=True)
        if catalogue is not None:
            for line in catalogue_cost(a, b, catalogue, scheme).lines():
                consoles.out.print(line, highlight=False, soft_wrap=True)

    guarded(run)


def register(app: typer.Typer) -> None:
    app.add_typer(tariffs_app, name="tariffs")
