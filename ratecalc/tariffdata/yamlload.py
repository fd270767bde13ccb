"""YAML as ratecalc reads its data files: every float an exact Decimal, on libyaml's parser when present.

Kept apart from `loader` so that a start which reads the compiled-tariff cache never imports PyYAML.

A data file may come from anyone (`--tariffs DIR`), so the reader refuses, with the line, what YAML
allows but data must not hold, each as a `DataError`:
- `.nan` and `.inf` (no price is infinite), base-60 numbers (`1:30.5`, `1:30` = 90 in YAML 1.1),
  numbers in hex, octal or binary, and any number of 10^12 or more (nothing ratecalc reads comes near it;
  the compiled tables hold money in millionths in 64-bit integers). `1e14` is a number here, as in YAML
  1.2, not the text YAML 1.1 makes of it;
- dates that do not exist (`2022-02-30`);
- a key twice in one mapping (`fixed: 4.00` then `fixed: 400.00`: YAML 1.1 keeps the last silently);
- nesting deeper than MAX_DEPTH, and aliases that expand to more than MAX_ALIAS_NODES values (the
  "billion laughs" of YAML: a 1 KB file whose aliases expand to 9^9 values).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

import yaml
from yaml.constructor import SafeConstructor

MAX_DEPTH = 64
"""Nesting levels of one document (the tariff schema needs 8)."""
MAX_ALIAS_NODES = 100_000
"""Values that aliases (`*name`) may add to a document, counting each alias as the whole value it repeats."""
MAX_MAGNITUDE = Decimal(10) ** 12
"""Every number in a data file is below this in absolute value."""


class DataError(yaml.MarkedYAMLError):
    """Valid YAML that a data file must not hold; `problem` says why, `problem_mark` where."""

    def __init__(self, problem: str, mark: Any):
        super().__init__(problem=problem, problem_mark=mark)


def _bounded(value: Any, text: str, node: yaml.Node) -> Any:
    if abs(value) >= MAX_MAGNITUDE:
        raise DataError(f"{text} is too large: numbers in data files stay below 1,000,000,000,000", node.start_mark)
    return value


class _Checks(SafeConstructor):
    """The constructors every ratecalc YAML loader shares (on either parser): Decimal floats and the refusals
    listed in the module docstring."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], yaml.Node] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = (key_node.tag, key_node.value)
                first = seen.get(key)
                if first is not None:
                    raise DataError(
                        f"key {key_node.value!r} appears twice in one mapping, on line {first.start_mark.line + 1} "
                        f"and line {key_node.start_mark.line + 1}; keep one",
                        key_node.start_mark,
                    )
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


_SPECIAL_FLOATS = (".nan", ".inf", "+.inf", "-.inf")


def _construct_decimal(loader: yaml.BaseLoader, node: yaml.ScalarNode) -> Decimal:
    raw = loader.construct_scalar(node)
    text = raw.replace("_", "")
    if text.lower() in _SPECIAL_FLOATS:
        raise DataError(f"{raw} is not a finite number; a data file needs one", node.start_mark)
    if ":" in text:
        raise DataError(
            f"{raw} is a base-60 (sexagesimal) number in YAML 1.1; write the number in decimal, or quote it if it is text",
            node.start_mark,
        )
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise DataError(f"{raw} is not a number", node.start_mark) from None
    if not value.is_finite():
        raise DataError(f"{raw} is not a finite number; a data file needs one", node.start_mark)
    return _bounded(value, raw, node)


_DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")


def _construct_int(loader: SafeConstructor, node: yaml.ScalarNode) -> int:
    raw = str(loader.construct_scalar(node))
    text = raw.replace("_", "")
    if ":" in text:
        raise DataError(
            f"{raw} is a base-60 (sexagesimal) number in YAML 1.1; write the number in decimal, or quote it if it is text",
            node.start_mark,
        )
    if not _DECIMAL_INT.fullmatch(text):
        raise DataError(
            f"{raw} is a hexadecimal, octal or binary number in YAML 1.1; write it in decimal, or quote it if it is text",
            node.start_mark,
        )
    return _bounded(int(text), raw, node)


def _construct_date(loader: SafeConstructor, node: yaml.ScalarNode) -> Any:
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:
        raise DataError(f"{node.value} is not a date that exists ({exc})", node.start_mark) from None


_EXPONENT_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
"""`1e14`, `2E-3`: numbers in YAML 1.2, text in YAML 1.1 (which needs a dot): read as numbers here."""


def _install(cls: Any) -> None:
    """Put the shared constructors and the YAML 1.2 exponent resolver on a loader class."""
    cls.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
    cls.add_constructor("tag:yaml.org,2002:int", _construct_int)
    cls.add_constructor("tag:yaml.org,2002:timestamp", _construct_date)
    cls.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789"))


class _DecimalLoader(_Checks, yaml.SafeLoader):
    """The pure-Python SafeLoader with YAML floats read as Decimal, so `0.0349` never passes through a float.

    The reference reading: `_FastDecimalLoader` must give the same documents, and a YAML syntax error is
    reported as this loader words it.
    """


_install(_DecimalLoader)


def _fast_loader() -> type:
    """The same loader on libyaml's C parser when PyYAML was built with it (~7x faster on our tariffs).

    Only the parser changes: the constructors (Decimal for floats, the safe set otherwise) are the same
    Python ones, so documents are identical (tests/test_loader_fast.py checks every tariff file). Errors
    are re-read with the pure-Python loader so that messages and line numbers never depend on libyaml.
    """
    if not getattr(yaml, "__with_libyaml__", False):
        return _DecimalLoader

    class _CDecimalLoader(_Checks, yaml.CSafeLoader):
        """libyaml's parser, the Python safe constructors, floats as Decimal."""

    _install(_CDecimalLoader)
    return _CDecimalLoader


_FastDecimalLoader = _fast_loader()


_ANCHOR = re.compile(r"(?<![^\s\[{,:-])&[^\s,\[\]{}]")
"""An anchor (`&name`) somewhere in the text: only then can an alias repeat anything."""


def structure_problem(text: str) -> Optional[DataError]:
    """The first place the document nests deeper than MAX_DEPTH or its aliases add more than MAX_ALIAS_NODES
    values, read from the parser's events (no tree is built, no alias is expanded); None when neither."""
    from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

    stack: list[list] = []  # [anchor, values so far] per open collection
    sizes: dict[str, int] = {}
    added = 0
    for event in yaml.parse(text, Loader=_FastDecimalLoader):
        if isinstance(event, CollectionStartEvent):
            stack.append([event.anchor, 1])
            if len(stack) > MAX_DEPTH:
                return DataError(
                    f"nested more than {MAX_DEPTH} levels deep; a data file needs far fewer", event.start_mark
                )
            continue
        if isinstance(event, CollectionEndEvent):
            anchor, size = stack.pop()
        elif isinstance(event, ScalarEvent):
            anchor, size = event.anchor, 1
        elif isinstance(event, AliasEvent):
            anchor, size = None, sizes.get(event.anchor or "", 1)
            added += size
            if added > MAX_ALIAS_NODES:
                return DataError(
                    f"aliases here expand to more than {MAX_ALIAS_NODES:,} values (an alias bomb?); "
                    "write the values out or use fewer aliases",
                    event.start_mark,
                )
        else:
            continue
        if anchor:
            sizes[anchor] = size
        if stack:
            stack[-1][1] += size
    return None


def _load(text: str, loader: type) -> object:
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader subclass
    except RecursionError:
        found = structure_problem(text)
        raise found if found is not None else DataError("nested too deeply to read", None) from None


def load_decimal_yaml(text: str) -> object:
    """Parse one YAML document with every float read as Decimal (data files hold money and rates), on
    libyaml's parser; a YAMLError is raised as the pure-Python loader reports it, a DataError for what a
    data file must not hold (module docstring)."""
    if "&" in text and _ANCHOR.search(text):  # bounded before anything is built from the aliases
        found = structure_problem(text)
        if found is not None:
            raise found
    try:
        return _load(text, _FastDecimalLoader)
    except DataError:
        raise
    except yaml.YAMLError as exc:
        if _FastDecimalLoader is _DecimalLoader:
            raise
        if "maximum nesting depth" in str(getattr(exc, "problem", "")):  # libyaml's own bound (1,000 levels)
            try:
                found = structure_problem(text)  # the line where MAX_DEPTH is crossed, where the events reach it
            except yaml.YAMLError:
                found = None
            raise found or DataError(
                f"nested more than {MAX_DEPTH} levels deep; a data file needs far fewer", exc.problem_mark
            ) from None
    return _load(text, _DecimalLoader)  # raises the error a person reads


def line_map(text: str) -> dict[tuple, int]:
    """(key, index, ...) path -> 1-based line, from PyYAML's node tree (read after the text loaded, so its
    depth and alias expansion are bounded)."""
    lines: dict[tuple, int] = {}
    try:
        root = yaml.compose(text, Loader=_FastDecimalLoader)  # marks are the same on either parser
    except (yaml.YAMLError, RecursionError):
        return lines
    todo: list[tuple[yaml.Node, tuple]] = [(root, ())] if root is not None else []
    while todo:  # iterative: a deep document cannot exhaust the stack here
        node, path = todo.pop()
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                lines[path + (key,)] = key_node.start_mark.line + 1
                todo.append((value_node, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                todo.append((item, path + (i,)))
    return lines
