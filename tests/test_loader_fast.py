"""The libyaml-backed loader reads every tariff file into exactly the documents the pure-Python one does."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from ratecalc.tariffdata import yamlload as loader
from ratecalc.tariffdata.loader import builtin_dir
from ratecalc.tariffdata.yamlload import load_decimal_yaml

FILES = sorted(p for p in builtin_dir().rglob("*") if p.suffix in (".yaml", ".yml"))


def _typed(value):
    """The value with every scalar's type spelled out (so 1 == 1.0 == Decimal(1) cannot hide a change)."""
    if isinstance(value, dict):
        return {_typed(k): _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value if not isinstance(value, Decimal) else str(value))


def test_every_tariff_file_is_in_the_list():
    assert len(FILES) >= 10 and any(p.parent.name == "economics" for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(builtin_dir())))
def test_fast_loader_gives_identical_documents(path: Path):
    text = path.read_text(encoding="utf-8")
    slow = yaml.load(text, Loader=loader._DecimalLoader)  # noqa: S506
    assert _typed(load_decimal_yaml(text)) == _typed(slow)


def test_the_reference_loader_is_pure_python_so_the_comparison_above_compares_two_parsers():
    assert not issubclass(loader._DecimalLoader, getattr(yaml, "CSafeLoader", ()))
    assert issubclass(loader._DecimalLoader, yaml.SafeLoader)


def test_the_yaml_names_stay_importable_from_the_loader():
    from ratecalc.tariffdata import loader as old

    assert old.load_decimal_yaml is load_decimal_yaml and old._DecimalLoader is loader._DecimalLoader


def test_fast_loader_is_the_c_parser_when_available_and_keeps_decimals():
    if yaml.__with_libyaml__:
        assert issubclass(loader._FastDecimalLoader, yaml.CSafeLoader)
    assert load_decimal_yaml("rate: 0.0349\nn: 3") == {"rate": Decimal("0.0349"), "n": 3}


def test_broken_yaml_is_reported_as_the_pure_python_loader_reports_it():
    text = "a: [1, 2\nb: 3\n"
    with pytest.raises(yaml.YAMLError) as fast:
        load_decimal_yaml(text)
    with pytest.raises(yaml.YAMLError) as slow:
        yaml.load(text, Loader=loader._DecimalLoader)  # noqa: S506
    assert str(fast.value) == str(slow.value)
