"""Every option more than one command takes, declared once: its flags, short alias and help text.

A command writes `weight: Weight = None`: the type says which option it is, the default stays in the
signature. One declaration per option keeps a flag's spelling and meaning the same in every command (one
name per concept); typer copies the option for each parameter, so a type can be reused freely. Options
only one command takes stay in that command's signature. Only typer is imported here: `ratecalc --help`
stays cold (no engine, numpy or pydantic).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

# The parcel
_DIMS = typer.Option("--dims", "-d", help="L x W x H with a unit, e.g. 30x20x15cm.")
Weight = Annotated[Optional[str], typer.Option("--weight", "-w", help="Actual weight with a unit: 1.2kg or 350g.")]
Dims = Annotated[str, _DIMS]
"""Required (no default in the signature): `quote`, `sweep`, `chart`."""
DimsOrNone = Annotated[Optional[str], _DIMS]
"""The same option where a file can stand in for it (`economics --input`)."""
Date = Annotated[
    Optional[str],
    typer.Option("--date", help="Order date YYYY-MM-DD (default: today; in a file, for rows without order_date)."),
]
Value = Annotated[Optional[str], typer.Option("--value", help="Declared value, e.g. 1500RUB (needed from 2024-12-05).")]
Courier = Annotated[bool, typer.Option("--courier", help="Courier (door) delivery instead of pickup point.")]
Battery = Annotated[bool, typer.Option("--battery", help="The parcel contains batteries.")]
Liquid = Annotated[bool, typer.Option("--liquid", help="The parcel contains liquids.")]

# The weight grid of `sweep` and `chart`
MaxWeight = Annotated[
    Optional[str],
    typer.Option("--max-weight", help="Right end of the sweep, e.g. 10kg (default: 5kg or twice --weight)."),
]
Step = Annotated[Optional[str], typer.Option("--step", help="Sweep step, e.g. 50g (default: at most ~400 points).")]

# The tariffs and how they are read
Tariffs = Annotated[
    Optional[List[Path]],
    typer.Option(
        "--tariffs",
        help="Extra tariff directory layered over the built-in one (repeatable; also RATECALC_TARIFFS).",
    ),
]
Reading = Annotated[
    Optional[List[str]],
    typer.Option("--reading", help="A named alternative reading where sources conflict (repeatable)."),
]
Scheme = Annotated[
    str,
    typer.Option(
        "--scheme",
        help="rfbs: you hand the parcel to the carrier; fbp: Ozon's border-warehouse lanes and commission "
        "column. In a file: for rows without a scheme.",
    ),
]
MinConfidence = Annotated[
    Optional[str],
    typer.Option(
        "--min-confidence",
        help="Drop services whose rates are less sure than this: official, carrier_sheet, third_party, inferred.",
    ),
]

# Money in RUB
Fx = Annotated[
    Optional[List[str]],
    typer.Option("--fx", help="A rate for RUB figures, CUR=RUB per unit, e.g. CNY=12.5 (repeatable)."),
]
RatesFile = Annotated[
    Optional[Path],
    typer.Option("--rates-file", help="Rates for RUB figures from a CSV/YAML file (date, currency, rate)."),
]
Cbr = Annotated[
    bool,
    typer.Option(
        "--cbr/--no-cbr", help="Rates for RUB figures: fall back to the CBR daily feed (cached; off by default)."
    ),
]
OzonFee = Annotated[Optional[str], typer.Option("--ozon-fee", help="Force an Ozon fee rule (flat-15, percent-2).")]

# What is printed
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Top = Annotated[Optional[int], typer.Option("--top", min=1, help="Show only the first N services.")]
ShowAll = Annotated[bool, typer.Option("--all", help="List every service, not only the first priced ones.")]
Language = Annotated[
    Optional[str],
    typer.Option("--lang", help="Language of the table and notes: en, zh or ru (default: RATECALC_LANG, else en)."),
]

# Catalogue files (`batch`, `economics --input`)
_OUTPUT = typer.Option("--output", "-o", help="Output file: .csv or .parquet (batch with dask: see the docs).")
Output = Annotated[Path, _OUTPUT]
OutputOrNone = Annotated[Optional[Path], _OUTPUT]
Errors = Annotated[
    Optional[Path], typer.Option("--errors", help="Errors file (default: OUTPUT-stem.errors.csv next to the output).")
]
InputFormat = Annotated[Optional[str], typer.Option("--input-format", help="csv or parquet (default: from the name).")]
OutputFormat = Annotated[
    Optional[str], typer.Option("--output-format", help="csv or parquet (default: from the name).")
]
Delimiter = Annotated[str, typer.Option("--delimiter", help="CSV field delimiter of the input.")]
Map = Annotated[
    Optional[List[str]],
    typer.Option("--map", help="Read a column under another name: CANONICAL=YOURS, e.g. weight_g=Weight (repeatable)."),
]
NoProgress = Annotated[bool, typer.Option("--no-progress", help="Do not draw the progress bar.")]
Threads = Annotated[Optional[int], typer.Option("--threads", help="Engine threads (local engine).")]
