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

for _module in (quote, sweep, chart, tariffs, economics, batch, serve):
    _module.register(app)


def main() -> None:
    app()


__all__ = ["app", "main"]
