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
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from decimal import Decimal
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ratecalc.pricing.tariffset import TariffSet  # noqa: E402
from ratecalc.tariffdata.loader import load_documents  # noqa: E402
from ratecalc.tariffdata.ozon_sheet import (  # noqa: E402
    SheetRow,
    VersionMeta,
    dump_yaml,
    known_services,
    rate_row,
    read_sheet,
    sheet_source,
    to_documents,
    version_dict,
)
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
    "rebuilt from a public conversion of Ozon's July 2026 file and carriers' own sheets; Ozon's file itself "
    "was not read"
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
    by_group = {}
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


def _versions_text(versions: list[dict]) -> str:
    text = dump_yaml(versions)
    return "".join("  " + line if line.strip() else line for line in text.splitlines(keepends=True))


_SERVICE = re.compile(r"^- id: (\S+)\s*$", re.M)


def _split_services(text: str) -> tuple[str, list[tuple[str, str]]]:
    starts = [(m.start(), m.group(1)) for m in _SERVICE.finditer(text)]
    head = text[: starts[0][0]] if starts else text
    chunks = []
    for i, (pos, sid) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        chunks.append((sid, text[pos:end]))
    return head, chunks


def _cut_from(chunk: str, day: dt.date) -> str:
    """Drop every version starting on or after `day` (each version is a `  - ` item under `versions:`)."""
    lines = chunk.splitlines(keepends=True)
    out, dropping = [], False
    for line in lines:
        if re.match(r"^  - ", line):
            m = re.match(r"^  - effective_from: (\d{4}-\d{2}-\d{2})", line)
            dropping = bool(m and dt.date.fromisoformat(m.group(1)) >= day)
        if not dropping:
            out.append(line)
    return "".join(out).rstrip("\n") + "\n"


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
                            tuple(srcs),
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

    for cid, services in generated.items():
        path = TARIFFS / f"{cid}.yaml"
        if path.exists():
            head, chunks = _split_services(path.read_text(encoding="utf-8"))
            done = set()
            text = head
            for sid, chunk in chunks:
                if sid in services:
                    text += _cut_from(chunk, DEC17) + _versions_text(services[sid][1])
                    done.add(sid)
                else:
                    text += chunk
            for sid, (svc, versions) in services.items():
                if sid not in done:
                    text = text.rstrip("\n") + "\n" + dump_yaml([{**svc, "versions": versions}])
            path.write_text(text, encoding="utf-8")
        else:
            doc = april[cid]
            doc = {**doc, "services": [{**svc, "versions": v} for svc, v in services.values()]}
            doc["notes"] = (
                f"Ozon partner delivery from China (rFBS), from Ozon's rate sheets of 2026; first seen in {imp.file}."
            )
            path.write_text(
                f"# {doc['carrier']} on Ozon partner delivery, 2026 rate sheets (scripts/build_2026_tariffs.py).\n"
                + dump_yaml(doc),
                encoding="utf-8",
            )
        print("wrote", path)

    for path in sorted(TARIFFS.glob("*.yaml")):  # services absent from both 2026 files end on 2025-12-16
        head, chunks = _split_services(path.read_text(encoding="utf-8"))
        text, ended = head, []
        for sid, chunk in chunks:
            if re.search(r"^  - effective_from: 2025-12-17", chunk, re.M) and "not transcribed yet" in chunk:
                chunk = _end_note(_cut_from(chunk, DEC17))
                ended.append(sid)
            text += chunk
        if ended:
            path.write_text(text, encoding="utf-8")
            print("ended", ", ".join(ended), "in", path)


END_NOTE = (
    "Not in force after 2025-12-16: this service is absent from Ozon's 2026 rate sheets (the April file and "
    "the public conversion of the July file); the last rates held end on 2025-12-16, nothing is carried forward."
)


def _end_note(chunk: str) -> str:
    """Add END_NOTE to the service's own `notes` (a folded block or one line), or add one."""
    m = re.search(r"^  notes: >-\n", chunk, re.M)
    if m:
        return chunk[: m.end()] + f"    {END_NOTE}\n" + chunk[m.end() :]
    m = re.search(r"^  notes: (.+)\n", chunk, re.M)
    if m:
        return (
            chunk[: m.start()]
            + f"  notes: {yaml.safe_dump(END_NOTE + ' ' + m.group(1), width=10**6).strip()}\n"
            + chunk[m.end() :]
        )
    return re.sub(r"^(  versions:\n)", f"  notes: {END_NOTE}\n\\1", chunk, count=1, flags=re.M)


if __name__ == "__main__":
    assert yaml.load("a: 1.5", Loader=_DecimalLoader)["a"] == Decimal("1.5")
    main()
