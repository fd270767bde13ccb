"""What every command shares: consoles, the tariff option, and the one-line error contract.

Bad input never shows a traceback: it prints one line naming the field and exits with code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, List, Optional

import typer
from rich.console import Console

from ..errors import InputError, RatecalcError, TariffError
from ..tariffset import TariffSet


class _Consoles:
    """Consoles made per call, so COLUMNS and redirection are read when a command runs, not at import."""

    @property
    def out(self) -> Console:
        return Console()

    @property
    def err(self) -> Console:
        return Console(stderr=True)


consoles = _Consoles()

TariffsOpt = typer.Option(
    None,
    "--tariffs",
    help="Extra tariff directory layered over the built-in one (repeatable; also RATECALC_TARIFFS).",
)


def fail(message: str, code: int = 2) -> None:
    consoles.err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


# A library field as the flag a person types (the CLI speaks in flags, the API in JSON paths).
FLAGS = {
    "weight": "--weight",
    "dims": "--dims",
    "value": "--value",
    "date": "--date",
    "delivery": "--courier",
    "readings": "--reading",
    "reading": "--reading",
    "item": "--item",
    "fx": "--fx",
    "rates_file": "--rates-file",
    "max_weight": "--max-weight",
    "weight_max": "--max-weight",
    "step": "--step",
    "carrier": "--carrier",
}


def flag_of(field: str) -> str:
    return FLAGS.get(field, field)


def guarded(fn: Callable[[], None]) -> None:
    """Run a command body, turning ratecalc's own errors into one line and exit code 2."""
    try:
        fn()
    except InputError as exc:
        fail(f"{flag_of(exc.field)}: {exc.message}")
    except TariffError as exc:
        fail("the tariff set is broken:\n" + str(exc))
    except RatecalcError as exc:
        fail(str(exc))


def load(tariffs: Optional[List[Path]]) -> TariffSet:
    return TariffSet.load(tariffs or ())
