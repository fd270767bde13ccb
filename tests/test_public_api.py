"""The public surface is `ratecalc.__all__`: each name importable, documented and typed, and nothing else
of ratecalc's own leaks into the package namespace."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import ratecalc

# name -> what it is: changing this surface is a decision (and a CHANGELOG line), not an accident
EXPECTED = {
    "ColumnarQuotes": "class",
    "InputError": "exception",
    "Money": "class",
    "Parcel": "class",
    "RatecalcError": "exception",
    "ServiceQuote": "class",
    "TariffError": "exception",
    "TariffProblem": "class",
    "TariffSet": "class",
    "default_tariffs": "function",
    "parse_dims": "function",
    "parse_money": "function",
    "parse_weight": "function",
    "quote": "function",
    "quote_table": "function",
}


def _kind(obj: object) -> str:
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    return "function" if inspect.isfunction(obj) else type(obj).__name__


def test_all_lists_the_public_names_once_and_sorted():
    assert set(ratecalc.__all__) == set(EXPECTED)
    assert list(ratecalc.__all__) == sorted(set(ratecalc.__all__))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_public_name_is_importable_and_documented(name):
    obj = getattr(ratecalc, name)
    assert _kind(obj) == EXPECTED[name]
    assert obj.__module__.startswith("ratecalc.")
    own_doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    assert own_doc and own_doc.strip(), f"{name} has no docstring of its own"


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if inspect.isfunction(getattr(ratecalc, n))))
def test_each_public_function_has_typed_named_parameters(name):
    sig = inspect.signature(getattr(ratecalc, name))
    assert sig.return_annotation is not inspect.Signature.empty
    for p in sig.parameters.values():
        assert p.kind is not inspect.Parameter.VAR_KEYWORD, f"{name}(**{p.name}) hides its parameters"
        assert p.annotation is not inspect.Parameter.empty, f"{name}: {p.name} is untyped"


def test_star_import_gives_exactly_all():
    namespace: dict = {}
    exec("from ratecalc import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(EXPECTED)


def test_nothing_else_of_ratecalc_is_exposed_at_top_level():
    own = {
        name
        for name, obj in vars(ratecalc).items()
        if not name.startswith("_")
        and not inspect.ismodule(obj)
        and getattr(obj, "__module__", "").startswith("ratecalc")
    }
    assert own <= set(EXPECTED)


def test_the_package_ships_type_information():
    assert (Path(ratecalc.__file__).parent / "py.typed").is_file()


def test_importing_ratecalc_does_not_need_the_files_extra():
    code = "import sys, ratecalc; print('pyarrow' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_the_old_columnar_quote_many_still_works_and_says_it_is_renamed(tariffs):
    from ratecalc.files import columnar

    data = {"weight_g": [500], "length_mm": [200], "width_mm": [150], "height_mm": [100]}
    with pytest.warns(DeprecationWarning, match="renamed quote_table"):
        old = columnar.quote_many(data, tariffs, date="2022-07-01").to_arrow()
    assert old.equals(ratecalc.quote_table(data, tariffs, date="2022-07-01").to_arrow())
