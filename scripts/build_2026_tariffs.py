"""Rebuild the built-in 2026 tariffs from the reference files in tests/data/ozon-2026/.

Run from the repository root: `python3 scripts/build_2026_tariffs.py`. Idempotent: every service version
starting on or after 2025-12-17 is replaced, older versions are left as they are.

What it writes (decisions in README "Today's rates"):
* the April 2026 set, imported from Ozon's own file with `ratecalc.tariffdata.ozon_sheet`, in force 2026-04-07 to
  2026-07-23 (confidence `official`), and the same numbers from 2025-12-17 to 2026-04-06 (confidence
  `inferred`: Ozon announced new rates from 2025-12-17; no source states these numbers for those dates);
* the July 2026 set from 2026-07-24 (`rates-2026-07.yaml`, a public conversion of Ozon's July file and
  carriers' sheets; confidence `third_party`), open-ended. Lanes missing from the Ozon-derived source end
  on 2026-07-23;
* UNI and Leader: no 2026 version (absent from both 2026 files); the shipment groups as the April file
  states them, from 2025-12-17.

Every carrier file is written again in the compact form: a service whose rows follow Ozon's group rules
(`row_rules` in tariffs/ozon-groups.yaml) says `group_rules: ozon-groups` and states only its own facts per row
(docs/tariff-format.md); the versions before 2025-12-17 keep their numbers, only their layout changes.
"""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from typing import Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ratecalc.pricing.tariffset import TariffSet  # noqa: E402
from ratecalc.tariffdata.group_rules import compact_carrier  # noqa: E402
from ratecalc.tariffdata.loader import TariffDocuments, load_documents  # noqa: E402
from ratecalc.tariffdata.ozon_sheet import (  # noqa: E402
    SheetImport,
    SheetRow,
    VersionMeta,
    known_services,
    rate_row,
    read_sheet,
    sheet_source,
    to_documents,
    version_dict,
)
from ratecalc.tariffdata.yamldump import dump_carrier_file  # noqa: E402
from ratecalc.tariffdata.yamlload import _DecimalLoader  # noqa: E402

DATA = ROOT / "tests" / "data" / "ozon-2026"
TARIFFS = ROOT / "tariffs"
DEC17 = dt.date(2025, 12, 17)
APR07 = dt.date(2026, 4, 7)
JUL24 = dt.date(2026, 7, 24)

INFERRED_NOTE = (
    "April 2026 numbers applied from 2025-12-17, the date Ozon announced new rates from; no source states "
    "these numbers for 2025-12-17 to 2026-04-06"
)
JULY_NOTE = (
    "a public conversion of Ozon's July 2026 file, confirmed lane by lane by a transcription of Ozon's own file "
    "China_scoring_ENG_CN_24_07_26_1784197567.xlsx (all 133 Russia rFBS lanes agree) and by carriers' own sheets; "
    "Ozon's file itself was not read, so the level stays third_party"
)
JULY_TRANSCRIPTION = (
    "Transcription of Ozon's own file China_scoring_ENG_CN_24_07_26_1784197567.xlsx: all 133 Russia rFBS lanes "
    "(carrier, tier, group, base, per gram, days, limits, billing, batteries, liquids) in "
    "../shared/reference/ozon-2026-h2/rfbs-ru-2026-07-24-lanes.csv (from ikeisthere/ozon-pricing-calculator "
    "server/data/pricing-logistics-catalog.json @5527514b, generated 2026-09-29); every lane held here agrees with it"
)


def _july_sources(meta: dict) -> dict[str, str]:
    out = {}
    for sid, s in meta["sources"].items():
        where = " ".join(x for x in (s.get("repo"), s.get("path"), f"@{s['commit']}" if s.get("commit") else None) if x)
        out[sid] = f"{sid}: {s['what']}" + (f" ({where})" if where else "")
    return out


def _july_rows(april: list[SheetRow]) -> dict[tuple[str, str], tuple[list[dict], list[str], list[str]]]:
    """(carrier, tier) -> (rate rows, sources, notes) of the July set; limits/returns as April's group."""
    data = yaml.safe_load((DATA / "rates-2026-07.yaml").read_text(encoding="utf-8"))
    sources = _july_sources(data)
    by_group: dict[str, SheetRow] = {}
    for r in april:
        by_group.setdefault(r.group, r)
    out: dict[tuple[str, str], tuple[list[dict], list[str], list[str]]] = {}
    for carrier, block in data["carriers"].items():
        for row in block["rows"]:
            if "S1" not in row["sources"]:  # not in the Ozon-derived list: not an Ozon lane
                continue
            template = by_group[row["group"]]
            lo, hi = (int(x) for x in row["days_ozon_dropoff_to_sc"].split("-"))
            july = SheetRow(
                **{
                    **template.__dict__,
                    "sheet": "",
                    "row": 0,
                    "tier": row["tier"],
                    "carrier": carrier,
                    "method": f"{carrier} {row['tier']} {row['group']}",
                    "rating": None,
                    "days": (lo, hi),
                    "base": Decimal(str(row["base_cny"])),
                    "per_gram": Decimal(str(row["per_gram_cny"])),
                    "batteries": row["battery"],
                    "liquids": row["liquids"],
                }
            )
            rows, srcs, notes = out.setdefault((carrier, row["tier"]), ([], [], []))
            rows.append(rate_row(july, source_row=False))
            for s in row["sources"]:
                if sources[s] not in srcs:
                    srcs.append(sources[s])
            for n in row.get("notes") or []:
                notes.append(f"{row['group']}: {n}")
    return out


def _header(path: Path) -> str:
    """The comment lines a file starts with (kept when the file is written again)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.removeprefix("#").removeprefix(" "))
    return "\n".join(lines)


def main() -> None:
    imp = read_sheet(DATA / "China_scoring_ENG_CN_7_04_26_1775544002.xlsx")
    assert not imp.problems, imp.problems
    base = TariffSet(load_documents([TARIFFS]), [TARIFFS])
    known = known_services(base.services)
    april = to_documents(imp, APR07, known)
    july = _july_rows(imp.rows)
    july_used: set[tuple[str, str]] = set()
    generated: dict[str, dict[str, tuple[dict, list[dict]]]] = {}  # carrier id -> service id -> (service, versions)
    for cid, doc in april.items():
        for svc in doc["services"]:
            [apr] = svc["versions"]
            rows = apr["rates"]
            carrier, tier = doc["carrier"], svc["tier"]
            inferred = version_dict(
                rows,
                VersionMeta(
                    DEC17,
                    (
                        sheet_source(imp),
                        "https://docs.ozon.com/global/en/fulfillment/rfbs/logistic-settings/partner-delivery-ozon",
                    ),
                    "inferred",
                    INFERRED_NOTE,
                    effective_until=APR07 - dt.timedelta(days=1),
                    notes="Ozon's partner-delivery page announced new rates from 2025-12-17; the first set we hold "
                    "after the September 2025 one is Ozon's file of 2026-04-07 (1.04 x September). A CEL sheet of "
                    "2025-09-18 still had the old set and CEL's V4.8 sheet (saved 2026-04-08) has the new one, so "
                    "the April numbers are applied from 2025-12-17 and marked inferred for these dates. Delivery "
                    "days run from drop-off to Ozon's sorting centre.",
                ),
            )
            versions = [inferred]
            jul = july.get((carrier, tier))
            apr_until = JUL24 - dt.timedelta(days=1)
            apr["effective_until"] = apr_until
            apr = {
                k: apr[k]
                for k in (
                    "effective_from",
                    "effective_until",
                    *[k for k in apr if k not in ("effective_from", "effective_until")],
                )
            }
            if jul is None:
                apr["notes"] = (
                    apr.get("notes", "") + f" Not in force after {apr_until}: {carrier} {tier} is absent from the "
                    "public conversion of Ozon's July 2026 file (the only July source held)."
                ).strip()
            versions.append(apr)
            if jul is not None:
                july_used.add((carrier, tier))
                rows_j, srcs, notes = jul
                versions.append(
                    version_dict(
                        rows_j,
                        VersionMeta(
                            JUL24,
                            (JULY_TRANSCRIPTION, *srcs),
                            "third_party",
                            JULY_NOTE,
                            notes=" ".join(
                                [
                                    "Ozon's file China_scoring_ENG_CN_24_07_26_1784197567.xlsx (published 2026-07-16) "
                                    "was not read; start date 2026-07-24 from its name and the carriers' sheets. "
                                    "Limits, returns and loss caps are the April file's for each group (the "
                                    "conversion states the same group limits). Delivery days run from drop-off to "
                                    "Ozon's sorting centre.",
                                    *notes,
                                ]
                            ),
                        ),
                    )
                )
            generated.setdefault(cid, {})[svc["id"]] = (svc, versions)
    missing = set(july) - july_used
    assert not missing, f"July lanes without an April service: {missing}"
    _write(base.documents, generated, april, imp)


def _carrier_doc(
    existing: Optional[dict], services: dict[str, tuple[dict, list[dict]]], fresh: dict, imp: SheetImport
) -> dict:
    """A carrier file's data (full form): the versions before 2025-12-17 kept, the generated ones after."""
    if existing is None:
        doc = {**fresh, "services": [{**svc, "versions": v} for svc, v in services.values()]}
        doc["notes"] = (
            f"Ozon partner delivery from China (rFBS), from Ozon's rate sheets of 2026; first seen in {imp.file}."
        )
        return doc
    kept = []
    for svc in existing["services"]:
        if svc["id"] in services:
            old = [v for v in svc["versions"] if (v.get("effective_from") or dt.date.min) < DEC17]
            svc = {**svc, "versions": old + services[svc["id"]][1]}
        kept.append(svc)
    done = {s["id"] for s in kept}
    kept += [{**svc, "versions": v} for sid, (svc, v) in services.items() if sid not in done]
    return {**existing, "services": kept}


def _write(
    documents: TariffDocuments,
    generated: dict[str, dict[str, tuple[dict, list[dict]]]],
    april: dict[str, dict],
    imp: SheetImport,
) -> None:
    """Every carrier file written again in the compact form (rows take the rules of tariffs/ozon-groups.yaml)."""
    group_sets = {doc.id: doc for doc, _ in documents.groups}
    loaded = {f.path.name: f for f in documents.files if f.document.kind == "carrier"}
    for name in sorted(set(loaded) | {f"{cid}.yaml" for cid in generated}):
        path = TARIFFS / name
        cid = name.removesuffix(".yaml")
        existing = loaded[name].document.model_dump(exclude_unset=True) if name in loaded else None
        if cid in generated:
            doc = _carrier_doc(existing, generated[cid], april.get(cid, {}), imp)
        else:
            assert existing is not None
            doc = existing
        header = (
            _header(path)
            if path.exists()
            else f"{doc['carrier']} on Ozon partner delivery, 2026 rate sheets (scripts/build_2026_tariffs.py)."
        )
        path.write_text(dump_carrier_file(compact_carrier(doc, group_sets), header), encoding="utf-8")
        print("wrote", path)


if __name__ == "__main__":
    assert yaml.load("a: 1.5", Loader=_DecimalLoader)["a"] == Decimal("1.5")
    main()
