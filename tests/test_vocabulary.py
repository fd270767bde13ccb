"""One name per concept on every surface: CLI flags, the HTTP API's OpenAPI fields and parameters, batch
file columns and the public library's arguments. docs/vocabulary.md is the same table.

`VOCABULARY` is the one data structure these tests read. A name that spells a concept must be that
concept's name on its surface; an old spelling is accepted only where it is declared an alias (a second
flag on the same CLI option). `NOT_YET_CANONICAL` lists the old spellings still shipped: each test fails
when an undeclared one appears, and also when a listed one is gone (then delete it from the list), so the
list only shrinks.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer

import ratecalc
from api import Settings, create_app
from api.cli import app as cli_app
from ratecalc.files.columnar import _UNIT_ALTERNATIVES, INPUT_COLUMNS

VOCABULARY_PAGE = Path(__file__).resolve().parent.parent / "docs" / "vocabulary.md"
SURFACES = ("cli", "json", "column", "library")


@dataclass(frozen=True)
class Concept:
    what: str
    names: tuple[str, ...]  # the names, spelled as JSON fields: `sale_price` is `--sale-price` on the CLI
    aliases: tuple[str, ...] = ()  # old spellings kept for users: a second flag of the same CLI option only
    old: tuple[str, ...] = ()  # old spellings that must not appear at all
    old_on: tuple[str, ...] = SURFACES  # where an alias/old spelling means this concept (`price` is also a
    # carrier's price in a quote, so it is an old spelling of the sale price on the CLI only)
    default_off: bool = False  # a boolean that defaults to False on every surface


VOCABULARY = (
    Concept("declared value of the shipment", ("value",), aliases=("declared_value",)),
    Concept("order date", ("date",), aliases=("order_date",)),
    Concept("weight / dims", ("weight", "dims", "weight_g", "dims_mm")),
    Concept("delivery", ("delivery", "courier")),
    Concept("purchase cost", ("purchase_cost",), aliases=("cost",), old_on=("cli", "json", "library")),
    Concept("sale price (RUB)", ("sale_price",), aliases=("price",), old_on=("cli",)),
    Concept(
        "target margin / profit", ("target_margin", "target_profit"), old=("target_margin_pct", "target_profit_rub")
    ),
    Concept("acquiring %", ("acquiring",), aliases=("acquiring_pct",)),
    Concept("returned / not collected orders %", ("return_rate", "not_collected_rate"), aliases=("return_rate_pct",)),
    Concept("days in border-warehouse storage", ("storage_days",)),
    Concept("delivery scheme", ("scheme",)),
    Concept("commission category / brand", ("category", "brand")),
    Concept("confidence of a number", ("confidence", "min_confidence")),
    Concept("CBR fallback", ("cbr",), old=("use_cbr",), default_off=True),
    Concept("FX inputs", ("fx", "rates_file")),
)

CONFIDENCE_LEVELS = ("official", "carrier_sheet", "third_party", "inferred")  # high -> low

# Old spellings still shipped, per surface: (where, name). Remove an entry when its surface is renamed.
NOT_YET_CANONICAL = {
    "cli": set(),
    "json": {
        ("NormalisedParcel", "declared_value"),
        ("NormalisedParcel", "order_date"),
        ("NormalisedRequest", "declared_value"),
        ("NormalisedRequest", "order_date"),
    },
    "column": {
        ("input", "declared_value"),
        ("input", "order_date"),
    },
    "library": {
        ("Parcel", "declared_value"),
        ("Parcel", "order_date"),
    },
}


# Names that spell a concept of VOCABULARY but mean something else there, each with the reason.
OTHER_MEANING: dict[tuple[str, str, str], str] = {}  # (surface, where, name) -> what it means there

CBR_ON_BY_DEFAULT_NOT_YET: set[str] = set()  # CLI commands whose --cbr still defaults to on


def _key(name: str) -> str:
    return name.lstrip("-").replace("-", "_")


SPELLINGS: dict[str, tuple[Concept, str]] = {}  # spelling -> (concept, "name" | "alias" | "old")
for _c in VOCABULARY:
    for _kind, _names in (("name", _c.names), ("alias", _c.aliases), ("old", _c.old)):
        for _n in _names:
            assert _n not in SPELLINGS, f"{_n} spells two concepts"
            SPELLINGS[_n] = (_c, _kind)


def _misspelled(surface: str, name: str) -> bool:
    """True when `name` spells a concept of VOCABULARY in a way it must not on `surface` (as a primary name)."""
    found = SPELLINGS.get(_key(name))
    if found is None:
        return False
    concept, kind = found
    return kind != "name" and surface in concept.old_on


# ---------------------------------------------------------------- reading each surface


def _cli_options() -> list[tuple[str, object]]:
    """(command path, click parameter) for every option of every command, `serve` included."""

    def walk(cmd, path):
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                yield from walk(sub, [*path, name])
        else:
            for param in cmd.params:
                if any(o.startswith("--") for o in param.opts):
                    yield " ".join(path), param

    return list(walk(typer.main.get_command(cli_app), []))


@functools.cache
def _openapi() -> dict:
    return create_app(Settings(), tariffs=ratecalc.TariffSet.load()).openapi()


def _json_fields(spec: dict) -> list[tuple[str, str, dict]]:
    """(schema or operation, field or parameter name, its schema) over the whole OpenAPI document."""
    found = [
        (schema_name, prop, prop_schema)
        for schema_name, schema in spec["components"]["schemas"].items()
        for prop, prop_schema in schema.get("properties", {}).items()
    ]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for p in op.get("parameters", []):
                found.append((f"{method.upper()} {path}", p["name"], p.get("schema", {})))
    return found


def _columns() -> list[tuple[str, str]]:
    """Batch file columns: what an input file may hold, and what the long and best outputs write."""
    out = [("input", c) for c in INPUT_COLUMNS] + [("input", c) for c in _UNIT_ALTERNATIVES]
    result = ratecalc.quote_table(
        {"weight_g": [500], "length_mm": [200], "width_mm": [150], "height_mm": [100]}, date="2022-07-01"
    )
    out += [("long output", c) for c in result.to_arrow().column_names]
    best = result.best("cheapest")
    out += [("best output", c) for c in (best.to_arrow() if hasattr(best, "to_arrow") else best).column_names]
    return out


def _library_args() -> list[tuple[str, str]]:
    """Parameters of the public functions and of the public classes' constructors and methods."""
    out = []
    for name in ratecalc.__all__:
        obj = getattr(ratecalc, name)
        callables = [(name, obj)]
        if inspect.isclass(obj):
            callables += [(f"{name}.{m}", f) for m, f in vars(obj).items() if not m.startswith("_") and callable(f)]
        for where, f in callables:
            try:
                params = inspect.signature(f).parameters
            except (TypeError, ValueError):  # builtins without a signature
                continue
            out += [(where.split(".")[0], p) for p in params if p not in ("self", "cls")]
    return out


# ---------------------------------------------------------------- the tests


def _check(surface: str, found: set[tuple[str, str]]) -> None:
    found = {(where, name) for where, name in found if (surface, where, name) not in OTHER_MEANING}
    pending = NOT_YET_CANONICAL[surface]
    assert found - pending == set(), f"old spellings on the {surface} surface (use the VOCABULARY name)"
    assert pending - found == set(), f"renamed on the {surface} surface: delete these from NOT_YET_CANONICAL"


def test_cli_flags_use_the_vocabulary():
    found = set()
    for command, param in _cli_options():
        primary = next(o for o in param.opts if o.startswith("--"))
        if _misspelled("cli", primary):
            found.add((command, _key(primary)))
        for other in param.opts[1:]:  # further flags of the same option: declared aliases only
            if other.startswith("--") and _misspelled("cli", other):
                concept, kind = SPELLINGS[_key(other)]
                assert kind == "alias" and _key(primary) in concept.names, f"{command} {other}"
    _check("cli", found)


def test_openapi_fields_and_parameters_use_the_vocabulary():
    _check("json", {(where, name) for where, name, _ in _json_fields(_openapi()) if _misspelled("json", name)})


def test_batch_file_columns_use_the_vocabulary():
    _check("column", {(where, name) for where, name in _columns() if _misspelled("column", name)})


def test_public_library_arguments_use_the_vocabulary():
    _check("library", {(where, name) for where, name in _library_args() if _misspelled("library", name)})


def test_the_cbr_fallback_is_off_by_default_on_every_surface():
    off = [c for c in VOCABULARY if c.default_off]
    flags = {"--" + n.replace("_", "-") for c in off for n in c.names}
    cli = [(cmd, p.default) for cmd, p in _cli_options() if set(p.opts) & flags]
    assert cli, "no CLI command has the --cbr flag"
    on = {cmd for cmd, default in cli if default is not False}
    assert on - CBR_ON_BY_DEFAULT_NOT_YET == set(), "--cbr must default to off"
    assert CBR_ON_BY_DEFAULT_NOT_YET - on == set(), "now off by default: delete from CBR_ON_BY_DEFAULT_NOT_YET"
    spellings = {n for c in off for n in (*c.names, *c.aliases, *c.old)}
    json = [(w, n, s.get("default")) for w, n, s in _json_fields(_openapi()) if n in spellings]
    assert all(default in (False, None) for *_, default in json), json


def _enum(schema: dict) -> set:
    """The allowed values of a field's schema, through `anyOf` (Optional) branches."""
    values = set(schema.get("enum", ())) | ({schema["const"]} if "const" in schema else set())
    for branch in schema.get("anyOf", ()):
        values |= _enum(branch)
    return values


def test_confidence_takes_the_four_levels_only():
    fields = [(w, n, s) for w, n, s in _json_fields(_openapi()) if n in ("confidence", "min_confidence")]
    assert fields, "no confidence field in the API"
    for where, name, schema in fields:
        assert _enum(schema) == set(CONFIDENCE_LEVELS), (where, name)


@pytest.mark.parametrize("concept", VOCABULARY, ids=lambda c: c.what)
def test_the_documented_vocabulary_table_names_each_concept(concept):
    section = VOCABULARY_PAGE.read_text(encoding="utf-8")
    row = next((line for line in section.splitlines() if line.startswith(f"| {concept.what} |")), None)
    assert row is not None, f"docs/vocabulary.md has no row for {concept.what!r}"
    for name in (*concept.names, *concept.aliases):
        assert f"`{name}" in row or f"`--{name.replace('_', '-')}" in row, (concept.what, name)
