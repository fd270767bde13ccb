"""YAML as ratecalc reads its data files: every float an exact Decimal, on libyaml's parser when present.

Kept apart from `loader` so that a start which reads the compiled-tariff cache never imports PyYAML.
"""

from __future__ import annotations

from decimal import Decimal

import yaml


class _DecimalLoader(yaml.SafeLoader):
    """The pure-Python SafeLoader with YAML floats read as Decimal, so `0.0349` never passes through a float.

    The reference reading: `_FastDecimalLoader` must give the same documents, and a YAML syntax error is
    reported as this loader words it.
    """


def _construct_decimal(loader: yaml.BaseLoader, node: yaml.ScalarNode) -> Decimal:
    text = loader.construct_scalar(node).replace("_", "")
    return Decimal(text)


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def _fast_loader() -> type:
    """The same loader on libyaml's C parser when PyYAML was built with it (~7x faster on our tariffs).

    Only the parser changes: the constructors (Decimal for floats, the safe set otherwise) are the same
    Python ones, so documents are identical (tests/test_loader_fast.py checks every tariff file). Errors
    are re-read with the pure-Python loader so that messages and line numbers never depend on libyaml.
    """
    if not getattr(yaml, "__with_libyaml__", False):
        return _DecimalLoader

    class _CDecimalLoader(yaml.CSafeLoader):
        """libyaml's parser, the Python safe constructors, floats as Decimal."""

    _CDecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
    return _CDecimalLoader


_FastDecimalLoader = _fast_loader()


def load_decimal_yaml(text: str) -> object:
    """Parse one YAML document with every float read as Decimal (data files hold money and rates), on
    libyaml's parser; a YAMLError is raised as the pure-Python loader reports it."""
    try:
        return yaml.load(text, Loader=_FastDecimalLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError:
        if _FastDecimalLoader is _DecimalLoader:
            raise
    return yaml.load(text, Loader=_DecimalLoader)  # noqa: S506 - raises the error a person reads


def line_map(text: str) -> dict[tuple, int]:
    """(key, index, ...) path -> 1-based line, from PyYAML's node tree."""
    lines: dict[tuple, int] = {}

    def walk(node: yaml.Node, path: tuple) -> None:
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                lines[path + (key,)] = key_node.start_mark.line + 1
                walk(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))

    try:
        root = yaml.compose(text, Loader=_FastDecimalLoader)  # marks are the same on either parser
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, ())
    return lines
