"""Ozon's group rules, written once: a compact carrier service expanded on load, a full one compacted on write.

Ozon's rate sheet states a shipment group's limits, declared-value ranges, billing, loss cap and returns on
every carrier's row of that group. Those are Ozon's rules for the group, so the tariff data keeps them once,
by date, in the `shipment_groups` file (`version_rules`, `row_rules`), and a carrier service that says
`group_rules: <set id>` writes only its own facts (price, days, batteries, liquids, its method, rating and
source row). `expand_carrier` puts the rules back, so the engine reads exactly the rows a full file states;
`compact_service` is its inverse for the writers (the sheet import, the build script) and proves each
result by expanding it again: what cannot be written compactly without a change stays in full.

Merging: the version-wide `row_rules`, then the group's, then the row's `override`; `limits`, `returns`
merge key by key, anything else is replaced whole. A row's own `delivery_days` takes the rule's
`days_basis` when it states none.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Mapping, Optional

from pydantic import BaseModel

from .compact_schema import CompactRateRow, CompactService, CompactVersion, WrittenCarrierFile
from .schema import GroupsFile, GroupVersion, RowRules, Service

Problem = tuple[tuple[Any, ...], str]  # where in the file (path of keys and indices), what is wrong
MERGED_KEYS = ("limits", "returns")
RULE_KEYS = tuple(RowRules.model_fields)


class RulesError(ValueError):
    """A compact service cannot be expanded: its group set, a version's dates or a row's group is wrong."""

    def __init__(self, where: tuple[Any, ...], message: str):
        super().__init__(message)
        self.where = where
        self.message = message


def _dump(model: Optional[BaseModel]) -> dict[str, Any]:
    return {} if model is None else model.model_dump(exclude_unset=True)


def _merge(*layers: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            out[key] = {**out[key], **value} if key in MERGED_KEYS and key in out else value
    return out


def _span(v: Any) -> str:
    return f"{v.effective_from or '…'} → {v.effective_until or '…'}"


def covering(groups: GroupsFile, start: Optional[dt.date], until: Optional[dt.date]) -> list[GroupVersion]:
    """The versions of a group set in force on any day from `start` to `until` (None: open)."""
    return [
        gv
        for gv in groups.versions
        if (gv.effective_from is None or until is None or gv.effective_from <= until)
        and (gv.effective_until is None or start is None or start <= gv.effective_until)
    ]


def _version_of(groups: GroupsFile, version: Any) -> GroupVersion:
    found = covering(groups, version.effective_from, version.effective_until)
    if len(found) != 1:
        spans = ", ".join(_span(gv) for gv in found) or "none"
        raise RulesError(
            (),
            f"the version {_span(version)} must lie within one version of shipment groups {groups.id!r} "
            f"to take its rules (versions it touches: {spans}); end it where the group set changes",
        )
    return found[0]


def row_rules(gv: GroupVersion, group: str) -> Optional[dict[str, Any]]:
    """The rules a row of `group` takes in this group version (None: no such group)."""
    for g in gv.groups:
        if g.name == group:
            return _merge(_dump(gv.row_rules), _dump(g.row_rules))
    return None


# ---------------------------------------------------------------------------------------------------------
# Expanding: compact -> full


def expand_row(row: CompactRateRow, rules: dict[str, Any]) -> dict[str, Any]:
    own = row.model_dump(exclude_unset=True, exclude={"override"})
    merged = _merge(rules, _dump(row.override))
    basis = merged.pop("days_basis", None)
    days = own.get("delivery_days")
    if basis is not None and days is not None and "basis" not in days:
        own["delivery_days"] = {**days, "basis": basis}
    return {**merged, **own}


def expand_version(version: CompactVersion, groups: GroupsFile) -> dict[str, Any]:
    gv = _version_of(groups, version)
    out = version.model_dump(exclude_unset=True, exclude={"rates"})
    for key, value in _dump(gv.version_rules).items():
        out.setdefault(key, value)
    since = f"{groups.id!r} from {gv.effective_from or '…'}"
    if "billing" not in out:
        raise RulesError((), f"no billing: the version states none and {since} gives none in version_rules")
    rows = []
    for j, row in enumerate(version.rates):
        rules = row_rules(gv, row.group)
        if rules is None:
            names = ", ".join(g.name for g in gv.groups)
            raise RulesError(("rates", j, "group"), f"group {row.group!r} is not a group of {since} ({names})")
        expanded = expand_row(row, rules)
        if "currency" not in expanded:
            raise RulesError(
                ("rates", j), f"no currency: {since} gives none in row_rules, and the row's override states none"
            )
        rows.append(expanded)
    out["rates"] = rows
    return out


def expand_service(service: CompactService, sets: Mapping[str, GroupsFile]) -> dict[str, Any]:
    """The full form of a compact service's data; RulesError names where it cannot be expanded."""
    groups = sets.get(service.group_rules)
    if groups is None:
        known = ", ".join(sorted(sets)) or "none"
        raise RulesError(
            ("group_rules",), f"no shipment_groups set {service.group_rules!r} is loaded (loaded: {known})"
        )
    out = service.model_dump(exclude_unset=True, exclude={"versions", "group_rules"})
    versions = []
    for i, version in enumerate(service.versions):
        try:
            versions.append(expand_version(version, groups))
        except RulesError as exc:
            raise RulesError(("versions", i, *exc.where), exc.message) from None
    out["versions"] = versions
    return out


def expand_carrier(doc: WrittenCarrierFile, sets: Mapping[str, GroupsFile]) -> tuple[dict[str, Any], list[Problem]]:
    """A written carrier file's data with every compact service in full, and every place that could not be."""
    out = doc.model_dump(exclude_unset=True, exclude={"services"})
    services, problems = [], []
    for i, service in enumerate(doc.services):
        if isinstance(service, Service):
            services.append(service.model_dump(exclude_unset=True))
            continue
        try:
            services.append(expand_service(service, sets))
        except RulesError as exc:
            problems.append((("services", i, *exc.where), exc.message))
    out["services"] = services
    return out, problems


# ---------------------------------------------------------------------------------------------------------
# Compacting: full -> compact (for writers)


def canonical(value: Any) -> Any:
    """Data with every Decimal as its text: `1500` and `1500.0` are equal numbers but print differently,
    and a quote shows them as the file writes them, so compacting keeps a row's own when they differ."""
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    return bool(canonical(a) == canonical(b))


def compact_row(row: dict[str, Any], rules: dict[str, Any]) -> Optional[dict[str, Any]]:
    """A full row's data without what its group's rules state (differences go to `override`); None when
    the rules state something the row leaves out (expanding would add it)."""
    own, override = dict(row), {}
    for key, rule in rules.items():
        if key == "days_basis":
            days = own.get("delivery_days")
            if days is not None:
                if "basis" not in days:
                    return None
                if _same(days["basis"], rule):
                    own["delivery_days"] = {k: v for k, v in days.items() if k != "basis"}
            continue
        if key not in own:
            return None
        value = own.pop(key)
        if key in MERGED_KEYS:
            if not set(rule) <= set(value):
                return None
            differs = {k: v for k, v in value.items() if k not in rule or not _same(rule[k], v)}
            if differs:
                override[key] = differs
        elif not _same(value, rule):
            override[key] = value
    for key in RULE_KEYS:
        if key in own:
            override[key] = own.pop(key)
    if override:
        own["override"] = override
    return own


def compact_version(version: dict[str, Any], gv: GroupVersion) -> Optional[dict[str, Any]]:
    out = dict(version)
    for key, value in _dump(gv.version_rules).items():
        if key not in out:
            return None
        if _same(out[key], value):
            del out[key]
    rows = []
    for row in version["rates"]:
        rules = row_rules(gv, row.get("group") or "")
        compact = None if rules is None else compact_row(row, rules)
        if compact is None:
            return None
        rows.append(compact)
    out["rates"] = rows
    return out


def compact_service(service: dict[str, Any], groups: GroupsFile) -> Optional[dict[str, Any]]:
    """A full service's data (`model_dump(exclude_unset=True)`) in the compact form against `groups`, or
    None when that form would not expand back to exactly the same service."""
    versions = []
    for version in service["versions"]:
        found = covering(groups, version.get("effective_from"), version.get("effective_until"))
        compact = compact_version(version, found[0]) if len(found) == 1 else None
        if compact is None:
            return None
        versions.append(compact)
    head = {k: v for k, v in service.items() if k not in ("notes", "versions")}  # id, name, origin, tier
    notes = {k: v for k, v in service.items() if k == "notes"}
    out = {**head, "group_rules": groups.id, **notes, "versions": versions}
    try:
        again = expand_service(CompactService.model_validate(out), {groups.id: groups})
    except (RulesError, ValueError):
        return None
    full = Service.model_validate(again).model_dump(exclude_unset=True)
    return out if _same(full, Service.model_validate(service).model_dump(exclude_unset=True)) else None


def compact_carrier(doc: dict[str, Any], sets: Mapping[str, GroupsFile]) -> dict[str, Any]:
    """A full carrier file's data with each service compacted against the first group set that takes it
    (a service no set takes is kept as given)."""
    services = []
    for service in doc["services"]:
        grouped = any("group" in row for v in service["versions"] for row in v["rates"])
        found = None
        if grouped and sets:
            full = Service.model_validate(service).model_dump(exclude_unset=True)  # numbers as the loader reads them
            found = next((c for c in (compact_service(full, g) for g in sets.values()) if c is not None), None)
        services.append(found or service)
    return {**doc, "services": services}
