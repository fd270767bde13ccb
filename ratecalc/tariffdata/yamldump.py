"""Tariff YAML as ratecalc writes it: exact numbers, one rate row per line, a file a person can edit.

Kept apart from the readers (`yamlload`) and the writers that use it (the sheet import, the build script),
so that every generated file looks the same: a rate row is one flow mapping (a long one wraps once), so a
service's rates read like a table; short lists stay on one line, lists of long texts (sources) one item per
line; Decimals are plain YAML numbers, read back as the same Decimal; no anchors or aliases.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml

WIDTH = 120
_SHORT = 40  # a list whose items are all scalars this short stays on one line


class _Dumper(yaml.SafeDumper):
    """No anchors/aliases, so every row reads on its own."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class FlowRow(dict):
    """A mapping written on one line (`{group: Small, fixed: 16.64, ...}`): a rate row."""


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    text = format(value, "f")
    if "." not in text:
        return dumper.represent_int(int(text))
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


def _represent_row(dumper: yaml.SafeDumper, value: FlowRow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)


def _represent_list(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    short = all(not isinstance(x, (dict, list)) and len(str(x)) <= _SHORT for x in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=short)


_Dumper.add_representer(Decimal, _represent_decimal)
_Dumper.add_representer(FlowRow, _represent_row)
_Dumper.add_representer(list, _represent_list)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=WIDTH, default_flow_style=None)


def _rows_flowed(doc: dict) -> dict:
    services = []
    for service in doc.get("services", []):
        versions = [{**v, "rates": [FlowRow(r) for r in v["rates"]]} for v in service["versions"]]
        services.append({**service, "versions": versions})
    return {**doc, "services": services}


def dump_carrier_file(doc: dict, header: str = "") -> str:
    """A carrier file's data as text, each rate row on its own line; `header` becomes leading comment lines.

    `kind: carrier` is left out (a file without `kind` is a carrier file).
    """
    body = {k: v for k, v in doc.items() if not (k == "kind" and v == "carrier")}
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comments + dump_yaml(_rows_flowed(body))
