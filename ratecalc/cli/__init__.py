"""The `ratecalc` command line. Each command lives in its own module and is registered here, explicitly.

`serve` (the HTTP API) is not among them: the API adds it through `build_app` (see api/cli.py), so the
library never imports the API. `app` here is the library's commands alone.

Bad input never shows a traceback: it prints one line naming the field and exits with code 2.
"""

from __future__ import annotations

import os
from typing import Callable, Collection

import typer

from . import _deferred
from ._common import collector_off_until_loaded

_deferred.defer()  # before typer's help module is imported: it would import rich's Markdown and Traceback

from . import batch, chart, commissions, economics, quote, sweep, tariffs  # noqa: E402

COMMANDS = (
    quote,
    sweep,
    chart,
    tariffs,
    economics,
    commissions,
    batch,
)  # modules with a `register(app)`, in the order --help lists them
Register = Callable[[typer.Typer], None]


def _version(show: bool) -> None:
    if show:
        from .. import __version__
        from ._common import guarded

        guarded(lambda: print(f"ratecalc {__version__}"))  # a closed or full stdout: one line, exit 2
        raise typer.Exit()


def _root_for(short_lived: Collection[str]) -> Callable[..., None]:
    """The app's callback, run before any command: `short_lived` names the library's commands."""

    def _root(
        ctx: typer.Context,
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ) -> None:
        """Shipping cost and carrier comparison for Ozon cross-border parcels (China/HK -> Russia)."""
        single_threaded_blas()
        if ctx.invoked_subcommand in short_lived:
            collector_off_until_loaded(ctx)

    return _root


def single_threaded_blas() -> None:
    """One OpenBLAS thread, unless the user chose a number: set before any command imports numpy.

    ratecalc's arithmetic is integer numpy, which never calls BLAS, but numpy's OpenBLAS starts a thread per
    core when it loads, ~0.06 s of CPU of every cold start on the 2-core development machine. `serve` passes
    the setting on to its workers, which do not use BLAS either.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def build_app(*extra: Register) -> typer.Typer:
    """The command line with the library's commands, then each of `extra` (a module's `register`)."""
    app = typer.Typer(
        add_completion=False,
        no_args_is_help=True,
        help="Shipping cost and carrier comparison for Ozon cross-border parcels (China/HK -> Russia).",
    )
    for module in COMMANDS:
        module.register(app)
    app.callback()(_root_for(_command_names(app)))
    for register in extra:
        register(app)
    return app


def _command_names(app: typer.Typer) -> frozenset[str]:
    """The names the commands and command groups registered on `app` so far are invoked by."""
    from typer.main import get_command_name

    names = {get_command_name(c.name or c.callback.__name__) for c in app.registered_commands if c.callback}
    names |= {g.name for g in app.registered_groups if isinstance(g.name, str)}
    return frozenset(names)


app = build_app()


def main() -> None:
    from ._common import run_app

    run_app(app)


__all__ = ["Register", "app", "build_app", "main"]
