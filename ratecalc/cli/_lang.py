"""The `--lang` option of the commands whose tables and notes speak Chinese, Russian or English."""

from __future__ import annotations

import typer

LangOpt = typer.Option(
    None,
    "--lang",
    help="Language of the table and notes: en, zh or ru (default: RATECALC_LANG, else en).",
)
