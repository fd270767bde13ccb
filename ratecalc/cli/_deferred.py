"""rich's Markdown and Traceback, imported when first used rather than when typer's help module loads.

Why: `typer.rich_utils`, which draws every `--help` and usage error, imports `rich.markdown` (markdown-it,
pygments) and `rich.traceback` at its top, about a third of a cold `ratecalc --help` (~0.13 s of CPU on
the development machine). It uses them only for help text in markdown mode, which ratecalc does not use,
and for pretty tracebacks of a crash. `defer()` puts a stand-in module for each in `sys.modules`: the
names typer takes from them (`Markdown`, `Traceback`) are stand-in classes that import the real module
the moment they are called or asked for an attribute, and any other name imports it at once. After that
the real module is in `sys.modules` and the stand-in only forwards.

Nothing changes when the real module is already imported (then `defer` leaves it alone), and
tests/test_cli.py holds `--help` identical with and without the stand-ins.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

DEFERRED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}
"""Module -> the one name typer's help module imports from it."""


def _real(module: str) -> types.ModuleType:
    """The real module, imported now if the stand-in is still in its place."""
    found = sys.modules.get(module)
    if isinstance(found, _StandIn):
        del sys.modules[module]
        found = importlib.import_module(module)  # also sets the attribute on the `rich` package
    assert found is not None
    return found


class _Forwarding(type):
    """Metaclass of a stand-in class: class attributes (`Traceback.from_exception`) come from the real one."""

    _module: str
    _name: str

    def __getattr__(cls, item: str) -> Any:
        if item.startswith("__"):
            raise AttributeError(item)
        return getattr(getattr(_real(cls._module), cls._name), item)


def _stand_in_class(module: str, name: str) -> type:
    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        return getattr(_real(module), name)(*args, **kwargs)

    return _Forwarding(name, (), {"_module": module, "_name": name, "__new__": __new__, "__module__": module})


class _StandIn(types.ModuleType):
    """A module whose deferred name is a stand-in class; any other name imports the real module."""

    def __init__(self, module: str, name: str):
        super().__init__(module)
        self._deferred = {name: _stand_in_class(module, name)}

    def __getattr__(self, item: str) -> Any:
        if item in self._deferred:
            return self._deferred[item]
        if item.startswith("__"):
            raise AttributeError(item)
        return getattr(_real(self.__name__), item)


def defer() -> None:
    """Put the stand-ins in place, unless typer's help module or the real modules are already imported."""
    if "typer.rich_utils" in sys.modules:
        return
    import rich  # the package itself is small; it must hold the stand-ins as its attributes, as after an import

    for module, name in DEFERRED.items():
        if module in sys.modules:
            continue
        stand_in = _StandIn(module, name)
        sys.modules[module] = stand_in
        setattr(rich, module.rpartition(".")[2], stand_in)
