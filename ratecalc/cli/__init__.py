"""The `ratecalc` command line. Each command lives in its own module and is registered here, explicitly.

Bad input never shows a traceback: it prints one line naming the field and exits with code 2.
"""

from __future__ import annotations

import typer

from . import batch, chart, economics, quote, serve, sweep, tariffs

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Shipping cost and carrier comparison for Ozon cross-border parcels (China/HK -> Russia).",
)


def _version(show: bool) -> None:
    if show:
        from .. import __version__

        typer.echo(f"ratecalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Shipping cost and carrier comparison for Ozon cross-border parcels (China/HK -> Russia)."""


for _module in (quote, sweep, chart, tariffs, economics, batch, serve):
    _module.register(app)


def main() -> None:
    app()


__all__ = ["app", "main"]
