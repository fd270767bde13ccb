"""One-off: give every pre-2026 tariff version a confidence from its sources (run from the repository root).

USD-era versions read from Ozon's zh rate page: official (third_party where limits come from banmaerp);
2024-12-05 group-model versions without rates: inferred dates; 2025-09-14 screenshots of Ozon's carrier
pages: official. Versions that already state a confidence are left alone.
"""

import datetime as dt
import glob
import re

import yaml

from ratecalc.tariffdata.yamlload import _DecimalLoader


def decide(v):
    until = v.get("effective_until")
    frm = v.get("effective_from")
    srcs = " ".join(v["sources"])
    if v.get("confidence"):
        return None
    if until is not None and until <= dt.date(2024, 12, 4):
        if "banmaerp" in srcs:
            return (
                "third_party",
                "rules from Ozon's zh rate page, limits from a third-party article (banmaerp); USD-era end date 2024-12-04 inferred from the first article on the group model",
            )
        return (
            "official",
            "rules read from Ozon's own zh rate page (and its mirror); USD-era end date 2024-12-04 inferred from the first article on the group model",
        )
    if frm == dt.date(2024, 12, 5):
        return (
            "inferred",
            "no rates held; start 2024-12-05 is the date of the first article describing the group model, end is the 2025-09-14 observation",
        )
    if frm == dt.date(2025, 9, 14):
        return (
            "official",
            "rates read from dated screenshots (2025-09-14) of Ozon's own carrier page; start is the observation date, not a published one",
        )
    if frm is not None and frm < dt.date(2024, 12, 5):
        if "banmaerp" in srcs:
            return ("third_party", "rules from Ozon's zh rate page, limits from a third-party article (banmaerp)")
        return ("official", "rules read from Ozon's own zh rate page (and its mirror)")
    raise SystemExit(f"undecided {v}")


for f in sorted(glob.glob("tariffs/*.yaml")):
    text = open(f).read()
    d = yaml.load(text, Loader=_DecimalLoader)
    if d.get("kind") == "shipment_groups":
        continue
    versions = [v for s in d["services"] for v in s["versions"]]
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if re.match(r"^  - \w+:", line)]
    assert len(starts) == len(versions), (f, len(starts), len(versions))
    for i, v in reversed(list(zip(starts, versions))):
        dec = decide(v)
        if dec is None:
            continue
        level, note = dec
        rest = lines[i][4:]
        lines[i] = (
            f"  - confidence: {level}\n    confidence_note: {yaml.safe_dump(note, width=10**6, allow_unicode=True).strip().removesuffix('...').strip()}\n    "
            + rest
        )
    open(f, "w").write("".join(lines))
