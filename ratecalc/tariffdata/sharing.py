"""One object per distinct value in a loaded tariff set: equal frozen models and equal Decimals shared.

Why: the tariff files repeat themselves. The built-in set holds ~6,200 Decimals with ~120 distinct
values, ~3,300 declared-value ranges with 12 and ~1,300 limits with 65 (every rate row of a rate sheet
restates its service's limits). The compiled-tariff cache stores the set as a pickle, and unpickling
builds every copy (pydantic's `__setstate__` runs once per model): sharing equal values before the set
is stored makes the file a third smaller and reading it back about three times faster (~50 ms -> ~18 ms
of a cold `ratecalc quote` on the development machine).

What is shared, and why that is safe: only values that cannot change.

* a `Decimal` with another of the same type and the same text (`1.0` and `1.00` stay apart);
* a frozen pydantic model with another of the same class whose fields are equal after their own parts
  were shared, with the same fields set (`model_dump(exclude_unset=True)`, which the compiler merges
  with, reads them) and no extra or private values. Lists and dicts inside a model compare by content.

Nothing else is shared: dataclasses, lists, dicts and numpy arrays keep their identity and only have the
values they hold replaced by the shared ones. No code of ratecalc keys anything on the identity of a
model across calls (the compiler's own memos live for one compilation), so a shared set quotes exactly
as the unshared one does; tests/test_tariffcache.py holds the two equal.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, Hashable

from pydantic import BaseModel

_ATOMS = (str, int, float, bool, type(None))


class _Sharer:
    """One pass over an object graph; `canonical` maps a value's key to the object that stands for it."""

    def __init__(self) -> None:
        self.canonical: dict[Hashable, Any] = {}
        self.models: dict[int, tuple[Any, Any, Hashable]] = {}  # id -> (model, its stand-in, key): keeps both alive
        self.walked: dict[int, Any] = {}  # containers already walked (held, so that their ids stay theirs)

    def value(self, v: Any) -> tuple[Any, Hashable]:
        """The object to keep in place of `v`, and a key equal for equal values (identity for the unknown)."""
        t = type(v)
        key: Hashable
        if t in _ATOMS:
            return v, (t, v)
        if t is Decimal:
            key = (t, str(v))
            return self.canonical.setdefault(key, v), key
        if isinstance(v, BaseModel):
            return self.model(v)
        if t is list:
            keys: list[Hashable] = []
            for i, item in enumerate(v):
                v[i], key = self.value(item)
                keys.append(key)
            return v, (list, tuple(keys))
        if t is dict:
            pairs: list[Hashable] = []
            for k, item in v.items():
                v[k], key = self.value(item)
                pairs.append((k, key))
            return v, (dict, tuple(pairs))
        if t is tuple:
            items = [self.value(item) for item in v]
            if any(new is not old for (new, _), old in zip(items, v)):
                v = tuple(new for new, _ in items)
            return v, (tuple, tuple(k for _, k in items))
        self.walk(v)
        return v, ("id", id(v))

    def model(self, m: BaseModel) -> tuple[Any, Hashable]:
        found = self.models.get(id(m))
        if found is not None:
            return found[1], found[2]
        fields = m.__dict__
        keys: list[Hashable] = []
        key: Hashable
        for name, item in fields.items():
            fields[name], key = self.value(item)
            keys.append((name, key))
        shareable = (
            m.model_config.get("frozen", False) and m.__pydantic_extra__ is None and m.__pydantic_private__ is None
        )
        if shareable:
            key = (type(m), tuple(keys), frozenset(m.__pydantic_fields_set__))
            stand_in = self.canonical.setdefault(key, m)
            key = ("model", id(stand_in))
        else:
            stand_in, key = m, ("id", id(m))
        self.models[id(m)] = (m, stand_in, key)
        return stand_in, key

    def walk(self, o: Any) -> None:
        """Replace, inside a dataclass (and the containers it holds), every value by its shared stand-in."""
        if id(o) in self.walked or not dataclasses.is_dataclass(o) or isinstance(o, type):
            return
        self.walked[id(o)] = o
        for f in dataclasses.fields(o):
            old = getattr(o, f.name)
            new, _ = self.value(old)
            if new is not old:
                object.__setattr__(o, f.name, new)  # frozen dataclasses too: this object is being built


def share_equal(*roots: Any) -> None:
    """Share equal immutable values inside `roots` (dataclasses: the loaded documents, the compiled set).

    In place: the roots keep their identity, their models and Decimals are replaced by shared equal ones.
    """
    sharer = _Sharer()
    for root in roots:
        sharer.value(root)
