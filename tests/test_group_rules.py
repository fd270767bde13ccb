"""Ozon's group rules are written once, and the compact tariff files load into exactly what the full form gave.

The reference is `tests/data/tariffs-full-form.tar.xz`: the built-in `tariffs/*.yaml` as they were before the
compact form, every 2026 row carrying its group's limits, value ranges in four currencies, billing, loss cap
and returns (byte for byte the files of that commit; 19 KB instead of 18,000 lines). Each test below reads it
with today's loader, which also proves that a directory in the full form still loads. A deliberate change to
the data of those dates replaces the reference in the same commit (write the expanded built-in set out with
`write_full_form` below and pack it the same way).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tarfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tariff_grid import grid

from ratecalc import Parcel, TariffError, TariffSet
from ratecalc.tariffdata.compile import BUILTIN_READINGS, EPOCH_DAY0, CompiledTariffs
from ratecalc.tariffdata.loader import TariffDocuments, builtin_dir, load_documents
from ratecalc.tariffdata.yamldump import dump_yaml

REFERENCE = Path(__file__).parent / "data" / "tariffs-full-form.tar.xz"
RULE_FIELDS = ("row_rules", "version_rules")  # what the compact form added to the shipment_groups file


@pytest.fixture(scope="module")
def full_form(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("full-form")
    with tarfile.open(REFERENCE, "r:xz") as tar:
        tar.extractall(out, filter="data")
    return out


@pytest.fixture(scope="module")
def reference(full_form) -> TariffSet:
    return TariffSet.load([full_form], builtin=False)


@pytest.fixture(scope="module")
def compact() -> TariffSet:
    return TariffSet.load([builtin_dir()], builtin=False)


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return "D" + str(value)  # 1500 and 1500.0 are equal numbers, but a quote prints them as written
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(value)


def _dumps(docs: TariffDocuments) -> dict[str, dict]:
    """file name -> the document as the engine gets it: every field the file set, with its exact value."""
    return {f.path.name: f.document.model_dump(exclude_unset=True) for f in docs.files}


def _differences(old: Any, new: Any, where: str = "") -> list[str]:
    """Every path where two documents differ, field by field (a Decimal compared as it is written)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            d for k in sorted(old.keys() | new.keys()) for d in _differences(old.get(k), new.get(k), f"{where}.{k}")
        ]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in _differences(a, b, f"{where}[{i}]")]
    same = json.dumps(old, default=_text, sort_keys=True) == json.dumps(new, default=_text, sort_keys=True)
    return [] if same else [f"{where}: {old!r} -> {new!r}"]


def test_the_full_form_reference_is_read_exactly_as_before_the_compact_form(full_form):
    """The digest of every document as the loader read these files before compact files existed: reading the
    full form has not changed (a user's full-form directory loads as it did)."""
    digest = hashlib.sha256()
    for name, doc in sorted(_dumps(load_documents([full_form])).items()):
        digest.update(name.encode())
        digest.update(json.dumps(doc, sort_keys=True, default=_text, ensure_ascii=False).encode())
    # the reference of the compact form's commit (5a9938293fd1...), then with its deliberate data changes: the July
    # 2026 rFBS versions' sources and confidence note, the 2025-09-14..2025-12-16 lanes of ABT, RETS and ZTO
    assert digest.hexdigest() == "835fa02053530f4c4527e7b0d74a57320919834a65cdce67ccf2b6622c4f9db9"


def test_every_version_and_row_loads_from_the_compact_files_exactly_as_from_the_full_form(reference, compact):
    old, new = _dumps(reference.documents), _dumps(compact.documents)
    assert old.keys() <= new.keys()
    for name, doc in old.items():
        now = new[name]
        if doc["kind"] == "shipment_groups":  # the rules are new fields; the notes say where the rules went
            for version in now["versions"]:
                version.pop("notes", None)
                for key in RULE_FIELDS:
                    version.pop(key, None)
                for group in version["groups"]:
                    group.pop("row_rules", None)
            for version in doc["versions"]:
                version.pop("notes", None)
        else:  # every service and version of the reference, unchanged; services added since are not compared
            ids = [s["id"] for s in doc["services"]]
            now = {**now, "services": [s for s in now["services"] if s["id"] in ids]}
        assert _differences(doc, now) == [], name


def _readings(docs: TariffDocuments) -> list[tuple[str, str, bool]]:
    """(reading, conflict, default) for every reading of the set, the built-in ones included."""
    found = [(rid, conflict, default) for rid, (conflict, _, default) in BUILTIN_READINGS.items()]
    for groups, _ in docs.groups:
        for version in groups.versions:
            found += [(r.id, r.conflict, r.default) for r in version.readings]
    return found


def _reading_runs(compiled: CompiledTariffs, docs: TariffDocuments) -> list[tuple[tuple[str, ...], set[int]]]:
    """Sets of alternative readings (one per conflict, so one compile tries several at once), each with the
    epochs where some row answers one of their conflicts (elsewhere they change nothing)."""
    known = _readings(docs)
    conflict_of = {rid: conflict for rid, conflict, _ in known}
    alternatives: dict[str, list[str]] = {}
    for rid, conflict, default in known:
        if not default:
            alternatives.setdefault(conflict, []).append(rid)
    answered = [
        {conflict_of[r] for row in set(ep.rows.ravel().tolist()) for r in compiled.rows[row].readings}
        for ep in compiled.epochs
    ]
    runs = []
    for k in range(max(map(len, alternatives.values()), default=0)):
        chosen = tuple(sorted(ids[k] for ids in alternatives.values() if len(ids) > k))
        conflicts = {conflict_of[r] for r in chosen}
        runs.append((chosen, {e for e, used in enumerate(answered) if used & conflicts}))
    return runs


def _quotes(ts: TariffSet, parcels: list[Parcel], readings: tuple[str, ...], services: set[str]) -> list[list]:
    return [[q for q in found if q.service_id in services] for found in ts.quote_many(parcels, readings=readings)]


def test_every_quote_on_the_edge_grid_is_the_same_from_the_compact_files(reference, compact):
    """On the last day before and the first day of every period in the data, parcels on and just past every
    group band (price and weight), every weight, size and value limit, the volumetric threshold and divisor
    (Big, Premium Big), with batteries, liquids and courier delivery, under every reading that applies."""
    old = reference.compiled()
    cases = grid(old)
    assert len(cases) > 1000 and len({c.day for c in cases}) == 2 * len(old.boundaries)
    services = {s.id for s in old.services}
    epochs = old.epoch_of(np.array([(c.day - EPOCH_DAY0).days for c in cases])).tolist()
    runs: list[tuple[tuple[str, ...], list]] = [((), cases)]
    for readings, where in _reading_runs(old, reference.documents):
        runs.append((readings, [c for c, e in zip(cases, epochs) if e in where]))
    assert len(runs) == 2 and all(run for _, run in runs)  # the defaults, then every alternative reading at once
    for readings, chosen in runs:
        parcels = [c.parcel() for c in chosen]
        before, after = _quotes(reference, parcels, readings, services), _quotes(compact, parcels, readings, services)
        for case, a, b in zip(chosen, before, after):
            if a != b:  # every field of every quote (pydantic compares them all); say which differ
                dumped = [{q.service_id: q.model_dump(mode="json") for q in side} for side in (a, b)]
                pytest.fail(f"{readings} {case}: {_differences(*dumped)}")


def test_the_tariff_data_is_under_six_and_a_half_thousand_lines():
    # 6,000 when the compact form came (5,959); Ozon's two FBP lists of 2026, the 2025-09 lanes of ABT, RETS, ZTO
    # and IML and the border-warehouse storage rule added ~500 lines (about one per lane, with their sources)
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in builtin_dir().rglob("*.yaml"))
    assert lines < 6500


def write_full_form(docs: TariffDocuments, directory: Path) -> None:
    """Each file of a load written out in the full form (every row with its group's rules)."""
    for f in docs.files:
        (directory / f.path.name).write_text(dump_yaml(f.document.model_dump(exclude_unset=True)), encoding="utf-8")


def test_the_built_in_set_written_out_in_full_loads_back_to_the_same_documents(compact, tmp_path):
    write_full_form(compact.documents, tmp_path)
    assert "row_rules" not in (tmp_path / "cel.yaml").read_text(encoding="utf-8")
    assert _differences(_dumps(compact.documents), _dumps(load_documents([tmp_path]))) == []


# ---------------------------------------------------------------------------------------------------------
# The compact form, written by hand

COMPACT = """\
carrier: Hand Written
carrier_id: hand
services:
- id: hand-express
  name: Hand Express
  tier: Express
  group_rules: ozon-groups
  versions:
  - effective_from: 2026-09-01
    sources: [https://example.invalid/hand-sheet]
    confidence: carrier_sheet
    confidence_note: the carrier's own sheet
    rates:
    - {group: Budget, fixed: 20, per_step: 0.03, delivery_days: {min: 6, max: 12}, batteries: allowed, liquids: forbidden}
    - {group: Big, fixed: 30, per_step: 0.02, delivery_days: {min: 6, max: 12}, batteries: allowed, liquids: allowed}
"""


def write(tmp_path: Path, text: str, name: str = "hand.yaml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def service(ts: TariffSet, sid: str = "hand-express"):
    return ts.service(sid).model


def problems(*dirs: Path) -> list:
    with pytest.raises(TariffError) as exc:
        load_documents([builtin_dir(), *dirs])
    return exc.value.problems


def test_a_compact_row_takes_its_groups_limits_value_ranges_billing_loss_cap_and_returns(tmp_path):
    [version] = service(TariffSet.load([write(tmp_path, COMPACT)])).versions
    budget, big = version.rates
    assert version.date_basis == "order date (partner agreement clause 4.1, from 2024-12-01)"
    assert version.billing.basis == "actual" and big.billing.basis == "greater_of" and big.billing.divisor == 12000
    assert budget.billing is None  # Budget bills actual weight: the version's billing
    assert (budget.currency, budget.step_g, budget.delivery) == ("CNY", 1, ["pickup_point", "courier"])
    assert budget.delivery_days.basis == "dropoff_to_sorting_centre"
    lim = budget.limits
    assert (lim.min_weight_g, lim.max_weight_g, lim.max_sum_cm, lim.max_longest_cm) == (501, 30000, 150, 60)
    assert [(r.currency, str(r.max)) for r in lim.value_ranges] == [
        ("RUB", "1500"),
        ("CNY", "135"),
        ("USD", "20"),
        ("EUR", "20"),
    ]
    assert str(budget.loss_compensation_cap.amount) == "1500" and budget.returns.before_customs.startswith("destroyed")
    assert str(big.loss_compensation_cap.amount) == "7000" and "x 1.5" in big.returns.after_customs


def test_an_override_changes_only_what_it_states_and_the_quote_follows_it(tmp_path):
    text = COMPACT.replace(
        "liquids: forbidden}", "liquids: forbidden, override: {limits: {max_weight_g: 25000}, currency: USD}}"
    )
    ts = TariffSet.load([write(tmp_path, text)])
    budget = service(ts).versions[0].rates[0]
    assert (
        budget.limits.max_weight_g == 25000 and budget.limits.max_sum_cm == 150 and len(budget.limits.value_ranges) == 4
    )
    assert budget.currency == "USD"
    heavy = {q.service_id: q for q in ts.quote(Parcel.parse("26kg", "40x30x20cm", value="1000RUB", date="2026-09-02"))}
    assert heavy["hand-express"].status == "ineligible" and "25000" in json.dumps(
        heavy["hand-express"].model_dump(mode="json")
    )
    assert heavy["cel-express-groups"].status == "ok"  # the group's own 30 kg limit is untouched elsewhere
    light = {q.service_id: q for q in ts.quote(Parcel.parse("1kg", "40x30x20cm", value="1000RUB", date="2026-09-02"))}
    assert light["hand-express"].price.amount == "50.00" and light["hand-express"].price.currency == "USD"


def test_a_rule_written_on_a_compact_row_outside_override_is_refused_with_its_line(tmp_path):
    [p] = problems(write(tmp_path, COMPACT.replace("{group: Budget,", "{group: Budget, currency: CNY,")))
    assert p.path == "services[0].versions[0].rates[0].currency" and p.line == 14
    assert "Extra inputs are not permitted" in p.message


def test_a_compact_version_across_a_change_of_the_group_rules_is_refused(tmp_path):
    [p] = problems(write(tmp_path, COMPACT.replace("2026-09-01", "2025-12-01")))
    assert p.path == "services[0].versions[0]" and p.line == 9
    assert "2024-12-05 → 2025-12-16" in p.message and "2025-12-17 → …" in p.message


def test_an_unknown_group_or_group_set_is_refused(tmp_path):
    [p] = problems(write(tmp_path, COMPACT.replace("{group: Big,", "{group: Huge,")))
    assert p.path == "services[0].versions[0].rates[1].group" and "'Huge'" in p.message and "Premium Big" in p.message
    [p] = problems(write(tmp_path, COMPACT.replace("group_rules: ozon-groups", "group_rules: other-groups")))
    assert p.path == "services[0].group_rules" and "'other-groups'" in p.message and "ozon-groups" in p.message


def test_group_row_rules_that_contradict_the_groups_own_limits_are_refused(tmp_path):
    text = (builtin_dir() / "ozon-groups.yaml").read_text(encoding="utf-8")
    changed = text.replace(
        "        min_weight_g: 501\n        max_weight_g: 30000\n",
        "        min_weight_g: 501\n        max_weight_g: 25000\n",
    )
    assert changed != text
    found = problems(write(tmp_path, changed, "ozon-groups.yaml"))
    assert any("row_rules.limits.max_weight_g is 25000, the group's limit is 30000" in p.message for p in found)


def test_the_full_form_and_the_compact_form_of_a_carrier_give_the_same_quotes(tmp_path):
    """The same carrier written both ways, side by side under two ids: the same answer at the group edges."""
    (tmp_path / "compact").mkdir()
    (tmp_path / "full").mkdir()
    full = service(TariffSet.load([write(tmp_path / "compact", COMPACT)])).model_dump(exclude_unset=True)
    doc = {"carrier": "Hand Full", "carrier_id": "handfull", "services": [{**full, "id": "handfull-express"}]}
    text = dump_yaml(doc)
    assert "group_rules" not in text and "value_ranges" in text
    both = TariffSet.load([tmp_path / "compact", write(tmp_path / "full", text)])
    for weight, value in (("500g", "1500RUB"), ("501g", "1500RUB"), ("2001g", "1501RUB"), ("30kg", "7000RUB")):
        got = {q.service_id: q for q in both.quote(Parcel.parse(weight, "50x40x30cm", value=value, date="2026-09-02"))}
        a, b = got["hand-express"].model_dump(), got["handfull-express"].model_dump()
        for key in ("carrier", "carrier_id", "service_id"):
            a.pop(key), b.pop(key)
        assert a == b, weight


def test_the_hand_written_example_of_the_format_guide_loads_and_quotes_with_its_override(tmp_path):
    page = (Path(__file__).resolve().parent.parent / "docs" / "tariff-format.md").read_text(encoding="utf-8")
    [example] = [b for b in re.findall(r"```yaml\n(.*?)```", page, flags=re.S) if "carrier_id:" in b]
    ts = TariffSet.load([write(tmp_path, example, "example.yaml")])
    [version] = service(ts, "example-express").versions
    assert [r.group for r in version.rates] == ["Extra Small", "Budget", "Small"]
    assert version.rates[1].limits.max_weight_g == 25000 and version.rates[2].limits.max_weight_g == 2000

    def quote(weight: str, value: str):
        found = ts.quote(Parcel.parse(weight, "30x20x10cm", value=value, date="2026-09-01"))
        return next(q for q in found if q.service_id == "example-express")

    assert quote("300g", "1000RUB").price.amount == "17.30"  # 3.2 + 0.047 x 300
    assert quote("24kg", "1000RUB").status == "ok" and quote("26kg", "1000RUB").status == "ineligible"


def test_a_group_set_without_the_rules_a_compact_service_needs_is_named_in_the_refusal(tmp_path):
    """A user's own `ozon-groups` (it replaces the built-in set) that gives no currency or billing: the compact
    files that rely on it say what is missing and where, not a bare "field required"."""
    data = (builtin_dir() / "ozon-groups.yaml").read_text(encoding="utf-8")
    bare = "\n".join(line for line in data.splitlines() if not line.startswith("  row_rules: {delivery"))
    write(tmp_path, bare, "ozon-groups.yaml")
    found = problems(write(tmp_path, COMPACT))
    assert any(
        p.file.endswith("hand.yaml")
        and p.path == "services[0].versions[0].rates[0]"
        and "no currency" in p.message
        and "'ozon-groups' from 2025-12-17" in p.message
        for p in found
    )
