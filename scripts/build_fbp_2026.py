"""Write tariffs/<carrier>-fbp.yaml: Ozon's FBP (border-warehouse) lanes to Russia of 2026, from
tests/data/ozon-2026-h2/fbp-ru-2026.csv, in the compact form (docs/tariff-format.md): every row takes its
group's rules from tariffs/ozon-groups.yaml and states in `override` only where the list says otherwise.

The CSV holds every Russia lane of Ozon's two FBP lists seen in public transcriptions (their sources are in
SOURCES below, and in tests/data/ozon-2026-h2/fbp-2026.md): the list of 2026-07-24 and the list dated
01.09.2026. One row per list × carrier × tier × group, with the numbers as the transcriptions give them.
A lane that is in both lists gets two versions (2026-07-24..2026-08-31, then from 2026-09-01); a lane of the
July list only (RETS FBP Express) ends on 2026-08-31; one of the September list only starts on 2026-09-01.

Run from the repository root:  python scripts/build_fbp_2026.py
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CSV = ROOT / "tests" / "data" / "ozon-2026-h2" / "fbp-ru-2026.csv"
OUT = ROOT / "tariffs"
REFERENCE = "../shared/reference/ozon-2026-h2/fbp-2026.md"

LISTS = {
    "2026-07-24": {
        "from": "2026-07-24",
        "until": "2026-08-31",
        "file": "FBP_List_of_services_24_07_26_1784197567.xlsx",
        "sources": [
            "Ozon FBP list FBP_List_of_services_24_07_26_1784197567.xlsx (version 24_07_26): "
            "https://cdn.ozone.ru/s3/ozon-disk-api/Partner_Delivery/FBP_List_of_services_24_07_26_1784197567.xlsx",
            "transcription: https://github.com/ikeisthere/ozon-pricing-calculator/blob/"
            "5527514bd7cbeb25610a6538a20db91a584f25a8/server/data/pricing-logistics-catalog.json (fbp, ru records)",
            REFERENCE,
        ],
        "note": "Returns: Ozon's group rules (the transcription has no return columns), as for the July rFBS set.",
    },
    "2026-09-01": {
        "from": "2026-09-01",
        "until": None,
        "file": "FBP_list_of_services_CN_HK1092026_1788173088.xlsx",
        "sources": [
            "Ozon FBP list FBP_list_of_services_CN_HK1092026_1788173088.xlsx (dated 01.09.2026, file timestamp "
            "2026-08-31)",
            "transcription: https://github.com/Xiaxiao0926/kuajing/blob/3cdd7d48b9f6e53a45a3249f192239ad492f5999/"
            "config/ozon_fbp_channels.json (RU channels)",
            REFERENCE,
        ],
        "note": "Returns as the list states them per row (Small and Big after customs: by order value).",
    },
}

CARRIERS = {  # the carrier column -> (file stem, carrier name, carrier id, service id prefix, origin)
    "CEL": ("cel-fbp", "CEL", "cel", "cel-fbp", "CN"),
    "GUOO": ("guoo-fbp", "GUOO", "guoo", "guoo-fbp", "CN"),
    "RETS": ("rets-fbp", "RETS", "rets", "rets-fbp", "CN"),
    "Ural": ("ural-fbp", "Ural", "ural", "ural-fbp", "CN"),
    "Ural HK": ("ural-fbp", "Ural", "ural", "ural-fbp", "HK"),
    "XY": ("xingyuan-fbp", "Xingyuan", "xingyuan", "xy-fbp", "CN"),
    "ZTO": ("zto-fbp", "ZTO", "zto", "zto-fbp", "CN"),
}
NAMES = {("Ural", "Super Express"): "Ural Super Express", ("Ural HK", "Express"): "Ural FBP Express HK"}
IDS = {("Ural HK", "Express"): "ural-fbp-express-hk"}
POLICY = {"allowed": "allowed", "forbidden": "forbidden", "msds": "msds_required"}
GROUP_ORDER = ["Extra Small", "Budget", "Small", "Big", "Premium Small", "Premium Big"]

SERVICE_NOTE = "Ozon FBP lane: from Ozon's border warehouse in China to Ozon's sorting centre (scheme fbp)."
EXTRA_NOTES = {
    ("Ural", "Super Express"): (
        "The list writes two rows for the parcels that are not Extra Small ('Other'): 1-31000 g at 1501-150000 RUB "
        "and 501-31000 g at 1-1500 RUB, sides up to 360 cm in sum and 200 cm each, billed on the actual weight up to "
        "L+W+H = 90 cm and on max(actual, L x W x H / 6000) above. They are written here as the rows of the groups "
        "those bands cover (Budget; Small, Big, Premium Small, Premium Big); a parcel above 30000 g fits no Ozon "
        "group and is not quoted, though the list takes it up to 31000 g."
    ),
    ("Ural HK", "Express"): (
        "From Hong Kong. The list gives 18 CNY + 10.5 CNY per 100 g; the transcription reads it as 0.105 CNY per "
        "gram, and so does this file (whether Ozon bills started 100 g is not stated). Batteries and liquids need an "
        "MSDS; the tariff format states MSDS for batteries only, so liquids are 'unknown' here. One 'Other' row in "
        "the list (1-25000 g, 310/150 cm, 1-500000 RUB) is written as the row of every group."
    ),
}


class _Flow(dict):
    """A small mapping written on one line, as the hand-written tariff files do."""


class _FlowList(list):
    pass


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:  # every source list written out, never `&id001` / `*id001`
        return True


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _num(text: str):
    value = float(text)
    return int(value) if value.is_integer() else value


def _days(text: str) -> dict:
    lo, hi = text.split("-")
    return _Flow(min=int(lo), max=int(hi))  # the basis (drop-off to Ozon's sorting centre) is the group set's


# What Ozon's group rules (tariffs/ozon-groups.yaml, from 2025-12-17) state for every row of a group: a lane
# that says otherwise writes it in `override`.
GROUP_RULES = {
    "Extra Small": (1, 500, 90, 60, 1500, 1, "actual", ("returned, no surcharge", "destroyed, no surcharge")),
    "Budget": (501, 30000, 150, 60, 1500, 1, "actual", ("returned, no surcharge", "destroyed, no surcharge")),
    "Small": (
        1,
        2000,
        150,
        60,
        7000,
        1501,
        "actual",
        ("returned, no surcharge", "China-to-Russia shipping rate x 1.5"),
    ),
    "Big": (
        2001,
        30000,
        310,
        150,
        7000,
        1501,
        "max12000",
        ("returned, no surcharge", "China-to-Russia shipping rate x 1.5"),
    ),
    "Premium Small": (
        1,
        5000,
        250,
        150,
        250000,
        7001,
        "actual",
        ("returned, no surcharge", "China-to-Russia shipping rate x 1.5"),
    ),
    "Premium Big": (
        5001,
        30000,
        310,
        150,
        250000,
        7001,
        "max12000",
        ("returned, no surcharge", "China-to-Russia shipping rate x 1.5"),
    ),
}


def _override(r: dict) -> dict:
    """Where the lane differs from its group's rule: limits, billing, loss cap, returns."""
    wmin, wmax, s_max, side, price_max, price_min, charge, (nc, back) = GROUP_RULES[r["group"]]
    out: dict = {}
    limits: dict = {}
    if (int(r["weight_min_g"]), int(r["weight_max_g"])) != (wmin, wmax):
        limits.update(min_weight_g=int(r["weight_min_g"]), max_weight_g=int(r["weight_max_g"]))
    if (int(r["side_sum_cm"]), int(r["max_side_cm"])) != (s_max, side):
        limits.update(max_sum_cm=int(r["side_sum_cm"]), max_longest_cm=int(r["max_side_cm"]))
    if (int(r["price_min_rub"]), int(r["price_max_rub"])) != (price_min, price_max):
        limits["max_declared_value"] = _Flow(amount=int(r["price_max_rub"]), currency="RUB")
        limits["value_ranges"] = [_Flow(min=int(r["price_min_rub"]), max=int(r["price_max_rub"]), currency="RUB")]
    if limits:
        out["limits"] = limits
    if r["charge"] != charge:
        if r["charge"] == "max6000_above_sum":
            out["billing"] = _Flow(
                basis="greater_of",
                threshold_sum_cm=int(r["vol_threshold_sum_cm"]),
                divisor=6000,
                rounding=_Flow(step_g=1, direction="up", stated=False, note="volumetric grams rounded up"),
            )
        else:  # billed on the actual weight where the group bills the greater of actual and volumetric
            out["billing"] = _Flow(
                basis="actual", rounding=_Flow(step_g=1, direction="up", stated=False, note="per-gram price")
            )
    if int(r["loss_cap_rub"]) != price_max:
        out["loss_compensation_cap"] = _Flow(amount=int(r["loss_cap_rub"]), currency="RUB")
    group_returns = {"not_collected": nc, "before_customs": back, "after_customs": back}
    returns = {
        k: r[f"returns_{k}"]
        for k in ("not_collected", "before_customs", "after_customs")
        if r[f"returns_{k}"] != group_returns[k]
    }
    if returns:
        out["returns"] = returns
    return out


def _row(r: dict) -> dict:
    row: dict = {
        "group": r["group"],
        "fixed": _num(r["base_cny"]),
        "per_step": _num(r["per_gram_cny"]),
        "delivery_days": _days(r["days"]),
        "batteries": POLICY[r["batteries"]],
        "liquids": "unknown" if r["liquids"] == "msds" else POLICY[r["liquids"]],
        "method": r["method"],
    }
    override = _override(r)
    if override:  # a row with an override is written over several lines, the others on one
        row["override"] = override
        return row
    return _Flow(row)


def _version(lst: str, rows: list[dict], ends_early: bool, key: tuple[str, str]) -> dict:
    meta = LISTS[lst]
    version: dict = {"effective_from": dt.date.fromisoformat(meta["from"])}
    until = meta["until"] or ("2026-08-31" if ends_early else None)
    if until:
        version["effective_until"] = dt.date.fromisoformat(until)
    version["sources"] = meta["sources"]
    version["rates"] = [_row(r) for r in sorted(rows, key=lambda r: GROUP_ORDER.index(r["group"]))]
    version["confidence"] = "third_party"
    version["confidence_note"] = (
        f"a public transcription of Ozon's own file {meta['file']}; Ozon's file itself was not read"
    )
    notes = [meta["note"]]
    if key in EXTRA_NOTES:
        notes.insert(0, EXTRA_NOTES[key])
    version["notes"] = " ".join(notes)
    return version


def build() -> dict[Path, dict]:
    with CSV.open(encoding="utf-8", newline="") as fh:
        lanes = list(csv.DictReader(fh))
    by_service: dict[tuple[str, str], dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in lanes:
        by_service[(r["carrier"], r["tier"])][r["list"]].append(r)
    files: dict[Path, dict] = {}
    for (carrier, tier), per_list in by_service.items():
        stem, name, cid, prefix, origin = CARRIERS[carrier]
        doc = files.setdefault(
            OUT / f"{stem}.yaml",
            {"schema_version": 1, "carrier": name, "carrier_id": cid, "services": []},
        )
        sid = IDS.get((carrier, tier), f"{prefix}-{tier.lower().replace(' ', '-')}")
        versions = [
            _version(lst, rows, ends_early="2026-09-01" not in per_list, key=(carrier, tier))
            for lst, rows in sorted(per_list.items())
        ]
        doc["services"].append(
            {
                "id": sid,
                "name": NAMES.get((carrier, tier), f"{carrier} FBP {tier}"),
                "origin": origin,
                "tier": tier,
                "scheme": "fbp",
                "group_rules": "ozon-groups",
                "notes": SERVICE_NOTE,
                "versions": versions,
            }
        )
    for doc in files.values():
        doc["services"].sort(key=lambda s: s["id"])
    return files


HEADER = (
    "{carrier}: Ozon FBP (border-warehouse) lanes to Russia, 2026. Written by scripts/build_fbp_2026.py from\n"
    "tests/data/ozon-2026-h2/fbp-ru-2026.csv (public transcriptions of Ozon's FBP lists of 2026-07-24 and\n"
    "01.09.2026; see ../shared/reference/ozon-2026-h2/fbp-2026.md). Edit the CSV and run the script."
)


def _as_written(doc: dict) -> str:
    """The file as scripts/build_2026_tariffs.py writes every carrier file (expanded, compacted again, dumped), so
    the two scripts agree byte for byte."""
    sys.path.insert(0, str(ROOT))
    from ratecalc.tariffdata.compact_schema import parse_written
    from ratecalc.tariffdata.group_rules import compact_carrier, expand_carrier
    from ratecalc.tariffdata.yamldump import dump_carrier_file

    sets = _group_sets()
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    written = parse_written(yaml.load(text, Loader=_decimal_loader()))
    full, problems = expand_carrier(written, sets)  # type: ignore[arg-type]
    assert not problems, problems
    return dump_carrier_file(compact_carrier(full, sets), HEADER.format(carrier=doc["carrier"]))


def _group_sets() -> dict:
    from ratecalc.tariffdata.schema import parse_document
    from ratecalc.tariffdata.yamlload import load_decimal_yaml

    groups = parse_document(load_decimal_yaml((OUT / "ozon-groups.yaml").read_text(encoding="utf-8")))
    return {groups.id: groups}


def _decimal_loader():
    from ratecalc.tariffdata.yamlload import _DecimalLoader

    return _DecimalLoader


def main() -> None:
    for path, doc in build().items():
        path.write_text(_as_written(doc), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}: {len(doc['services'])} services")


if __name__ == "__main__":
    main()
