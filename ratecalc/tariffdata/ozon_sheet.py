"""Ozon's own rate sheet (`China_scoring_ENG_CN_<date>_<unixtime>.xlsx`) in, validated tariff YAML out.

Why an importer: Ozon publishes a new sheet every few months, and a seller who can load it does not wait
for a release to price today's orders. Every cell of a data row becomes data the engine uses (rate, days,
battery/liquid policy, size/weight/value limits, billing) or data a quote shows (loss cap, returns, Ozon's
rating and row). A cell that cannot be read is reported with its sheet, row and column; the import fails
unless the caller skips bad rows explicitly. Nothing is guessed.

Reader: openpyxl. Measured on the real April 2026 file (150 KB, 6 sheets, 164 rows on the visible one),
best of 5 on the 2-core development machine: python-calamine 0.01 s, openpyxl read-only 0.12 s, openpyxl
full load 0.53 s. Both are far below anything a person notices for a one-off import, so the choice is made
on other grounds: openpyxl is pure Python (no wheel per platform), returns integers as integers (calamine
returns 2.0 for a rating), keeps true sheet row numbers (calamine skips the leading empty rows, so row
numbers in error messages would need re-basing), and the tests need it anyway to build synthetic workbooks.

Sheet layout (README of the reference copy): header row with 22 columns A-V, data below, `переход`
separator rows between blocks, hidden working sheets with stale tables (ignored).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping, Optional, Sequence

from ..errors import RatecalcError
from .group_rules import compact_carrier
from .safefile import read_regular
from .schema import GroupsFile
from .xlsx import MAX_FILE_BYTES, open_workbook
from .yamldump import dump_carrier_file, dump_yaml

SEPARATOR = "переход"
COLUMNS = "ABCDEFGHIJKLMNOPQRSTUV"
DAYS_BASIS = "dropoff_to_sorting_centre"
CURRENCIES = ("RUB", "CNY", "USD", "EUR")  # columns M-P

# Header keywords per column (Chinese sheet, English sheet): a header row is recognised by them, and a
# column whose header matches none of its words is refused rather than read as something else.
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "A": ("评分组", "group"),
    "B": ("服务等级", "level", "tier"),
    "C": ("第三方物流", "3pl"),
    "D": ("配送方式", "method"),
    "E": ("评级", "rating"),
    "F": ("时效", "time", "days"),
    "G": ("费率", "rate", "tariff"),
    "H": ("电池", "batter"),
    "I": ("液体", "liquid"),
    "J": ("尺寸", "measure", "size", "dimension"),
    "K": ("最小", "min"),
    "L": ("最大", "max"),
    "M": ("卢布", "rub"),
    "N": ("人民币", "cny", "yuan"),
    "O": ("美元", "usd"),
    "P": ("欧元", "eur"),
    "Q": ("计费", "tarif", "billing"),
    "R": ("体积", "volum"),
    "S": ("赔偿", "compensation"),
    "T": ("揽收点", "collect", "drop"),
    "U": ("开始前", "before"),
    "V": ("开始后", "after"),
}

POLICY_WORDS = {
    "允许": "allowed",
    "allowed": "allowed",
    "yes": "allowed",
    "разрешено": "allowed",
    "禁止": "forbidden",
    "forbidden": "forbidden",
    "prohibited": "forbidden",
    "not allowed": "forbidden",
    "no": "forbidden",
    "запрещено": "forbidden",
}

RETURNS_WORDS = {
    "无附加费退回": "returned, no surcharge",
    "无附加费销毁": "destroyed, no surcharge",
    "从中国运往俄罗斯的运费费率 × 1,5": "China-to-Russia shipping rate x 1.5",
}


_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """A carrier or tier name as an id part: lower case, runs of anything else become one hyphen."""
    return _NON_SLUG.sub("-", text.lower()).strip("-")


class SheetError(RatecalcError):
    """The file as a whole cannot be imported (no sheet, no header, a CSV whose days became dates)."""


@dataclass(frozen=True)
class CellProblem:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.sheet}!{self.column}{self.row}: {self.message}"


class _Bad(Exception):
    def __init__(self, column: str, message: str):
        self.column = column
        self.message = message


@dataclass(frozen=True)
class SheetRow:
    """One data row of the sheet, every cell read."""

    sheet: str
    row: int
    group: str
    tier: str
    carrier: str
    method: str
    rating: Optional[int]
    days: tuple[int, int]
    base: Decimal
    per_gram: Decimal
    batteries: str
    liquids: str
    max_sum_cm: Optional[Decimal]
    max_longest_cm: Optional[Decimal]
    weight_min_g: int
    weight_max_g: int
    values: tuple[tuple[str, Decimal, Decimal], ...]  # (currency, min, max)
    billing: str  # actual | greater_of
    divisor: Optional[int]
    loss_cap_rub: Optional[Decimal]
    returns: tuple[Optional[str], Optional[str], Optional[str]]


@dataclass
class SheetImport:
    """What one file yielded: its rows, the rows it could not read, and where it came from."""

    file: str
    sha256: str
    sheet: str
    header_row: int
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)
    skipped_separators: int = 0


# ---------------------------------------------------------------------------------------------------------
# Cell readers: each takes the raw cell and returns a value or raises _Bad naming the column.

_NUM = r"\d[\d ]*(?:[.,] ?\d+)?"


def number(text: Any, column: str) -> Decimal:
    """`250 000` -> 250000, `135. 01` -> 135.01, `0,045` -> 0.045 (comma decimals, spaced thousands)."""
    if isinstance(text, bool):
        raise _Bad(column, f"{text!r} is not a number")
    if isinstance(text, int):
        return Decimal(text)
    if isinstance(text, float):
        return Decimal(repr(text))
    raw = str(text).strip().replace("\u00a0", " ")
    if not re.fullmatch(_NUM, raw):
        raise _Bad(column, f"{text!r} is not a number")
    try:
        return Decimal(raw.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise _Bad(column, f"{text!r} is not a number")


def rate(text: Any) -> tuple[Decimal, Decimal]:
    """`¥3.12 + ¥0.0468/1 g` -> (3.12, 0.0468): base per parcel and per gram, in CNY.

    Survives `￥`, comma decimals, `¥.0.0468` (a stray dot after the sign), `¥3.1+` without a space.
    """
    raw = str(text or "").strip().replace("￥", "¥").replace("\u00a0", " ")
    cleaned = re.sub(r"¥\s*\.(?=\d)", "¥", raw)
    m = re.fullmatch(rf"¥\s*({_NUM})\s*\+\s*¥\s*({_NUM})\s*/\s*1\s*(?:g|г|克)", cleaned)
    if not m:
        raise _Bad("G", f"rate {text!r} is not '¥BASE + ¥PER/1 g'")
    base, per = number(m.group(1), "G"), number(m.group(2), "G")
    return base, per


def days(cell: Any) -> tuple[int, int]:
    """`5-14` -> (5, 14). A date here means a spreadsheet re-save turned `5-14` into 14 May: refused."""
    if isinstance(cell, (dt.date, dt.datetime)):
        raise _Bad(
            "F",
            f"days cell holds the date {cell!s}: the sheet was re-saved by a spreadsheet that turned a range like '5-14' into a date; import Ozon's original XLSX",
        )
    text = str(cell or "").strip()
    m = re.fullmatch(r"(\d{1,3})\s*[-–]\s*(\d{1,3})", text)
    if not m:
        if _looks_like_date(text):
            raise _Bad(
                "F",
                f"days cell reads {text!r}, a date: the sheet was re-saved by a spreadsheet that turned a range like '5-14' into a date; import Ozon's original XLSX",
            )
        raise _Bad("F", f"days {cell!r} is not 'MIN-MAX'")
    lo, hi = int(m.group(1)), int(m.group(2))
    if lo > hi:
        raise _Bad("F", f"days {text!r}: minimum above maximum")
    return lo, hi


_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|янв|фев|мар|апр|май|мая|июн|июл|авг|сен|окт|ноя|дек"


def _looks_like_date(text: str) -> bool:
    t = text.lower()
    return bool(
        re.search(r"\d+\s*月\s*\d+\s*日", t)
        or re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}( \d{1,2}:\d{2}(:\d{2})?)?", t)
        or re.search(rf"\d{{1,2}}[-. ]?({_MONTHS})|({_MONTHS})[a-zа-я]*[-. ]?\d{{1,2}}", t)
    )


def policy(cell: Any, column: str) -> str:
    text = str(cell or "").strip().lower()
    found = POLICY_WORDS.get(text)
    if found is None:
        raise _Bad(column, f"{cell!r} is neither allowed (允许) nor forbidden (禁止)")
    return found


def size(cell: Any) -> tuple[Optional[Decimal], Optional[Decimal]]:
    """`边长总和 ≤ 90 cm, 长边 ≤ 60 cm` -> (90, 60): sum of sides and longest side (a trailing comma is fine)."""
    text = str(cell or "").strip()
    total = longest = None
    for part in (p.strip() for p in re.split(r"[,;，]", text)):
        if not part:
            continue
        m = re.search(rf"(?:≤|<=|не более)\s*({_NUM})\s*(?:cm|см|厘米)?$", part)
        if not m:
            raise _Bad("J", f"size limit {cell!r}: cannot read {part!r}")
        value = number(m.group(1), "J")
        low = part.lower()
        if "总和" in low or "sum" in low or "сумм" in low:
            total = value
        elif "长边" in low or "long" in low or "длин" in low:
            longest = value
        else:
            raise _Bad("J", f"size limit {cell!r}: {part!r} is neither the sum of sides nor the longest side")
    if total is None and longest is None:
        raise _Bad("J", f"size limit {cell!r} states no limit")
    return total, longest


def value_range(cell: Any, column: str) -> tuple[Decimal, Decimal]:
    """`7001 - 250 000` -> (7001, 250000); `135. 01 - 635` -> (135.01, 635)."""
    text = str(cell or "").strip()
    m = re.fullmatch(rf"({_NUM})\s*[-–]\s*({_NUM})", text)
    if not m:
        raise _Bad(column, f"value limit {cell!r} is not 'MIN - MAX'")
    lo, hi = number(m.group(1), column), number(m.group(2), column)
    if lo > hi:
        raise _Bad(column, f"value limit {cell!r}: minimum above maximum")
    return lo, hi


def billing(kind: Any, formula: Any) -> tuple[str, Optional[int]]:
    """Q `实际重量` -> actual; `最大实际重量与体积重量` -> greater_of with R's divisor (`… ÷ 12 000`)."""
    text = str(kind or "").strip().lower()
    if "体积" in text or "取大" in text or "max" in text or "greater" in text or "volum" in text:
        basis = "greater_of"
    elif "实际" in text or "actual" in text or "фактическ" in text:
        basis = "actual"
    else:
        raise _Bad("Q", f"billing type {kind!r} is neither actual weight nor max(actual, volumetric)")
    ftext = str(formula or "").strip()
    if basis == "actual":
        if ftext not in ("", "-", "—"):
            raise _Bad("R", f"billing is actual weight but a volumetric formula {formula!r} is given")
        return basis, None
    m = re.search(rf"[÷/]\s*({_NUM})\s*$", ftext)
    if not m:
        raise _Bad("R", f"volumetric formula {formula!r} has no '÷ DIVISOR'")
    divisor = number(m.group(1), "R")
    if divisor != divisor.to_integral_value() or divisor <= 0:
        raise _Bad("R", f"volumetric divisor {divisor} is not a whole positive number")
    return basis, int(divisor)


def whole(cell: Any, column: str) -> int:
    value = number(cell, column)
    if value != value.to_integral_value() or value < 0:
        raise _Bad(column, f"{cell!r} is not a whole number")
    return int(value)


def _text(cell: Any) -> str:
    return "" if cell is None else str(cell).strip()


def read_row(sheet: str, number_: int, cells: Sequence[Any]) -> SheetRow:
    """One data row; raises _Bad for the first cell that cannot be read."""
    c = dict(zip(COLUMNS, list(cells) + [None] * (len(COLUMNS) - len(cells))))
    for col, what in (("A", "group"), ("B", "tier"), ("D", "delivery method")):
        if not _text(c[col]):
            raise _Bad(col, f"{what} is empty")
    method = _text(c["D"])
    carrier = _text(c["C"]) or method.split(" ")[0]
    base, per = rate(c["G"])
    total, longest = size(c["J"])
    values = tuple((cur, *value_range(c[col], col)) for cur, col in zip(CURRENCIES, "MNOP"))
    basis, divisor = billing(c["Q"], c["R"])
    wmin, wmax = whole(c["K"], "K"), whole(c["L"], "L")
    if wmin > wmax:
        raise _Bad("K", f"minimum weight {wmin} g is above the maximum {wmax} g")
    rating = None if c["E"] in (None, "", "-") else whole(c["E"], "E")
    loss = None if c["S"] in (None, "", "-") else number(c["S"], "S")
    returns = tuple(RETURNS_WORDS.get(_text(c[col]), _text(c[col]) or None) for col in "TUV")
    return SheetRow(
        sheet=sheet,
        row=number_,
        group=_text(c["A"]),
        tier=_text(c["B"]),
        carrier=carrier,
        method=method,
        rating=rating,
        days=days(c["F"]),
        base=base,
        per_gram=per,
        batteries=policy(c["H"], "H"),
        liquids=policy(c["I"], "I"),
        max_sum_cm=total,
        max_longest_cm=longest,
        weight_min_g=wmin,
        weight_max_g=wmax,
        values=values,
        billing=basis,
        divisor=divisor,
        loss_cap_rub=loss,
        returns=returns,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------------------------------------------------
# Sheets


def _is_separator(cells: Sequence[Any]) -> bool:
    texts = [_text(x) for x in cells if _text(x)]
    return bool(texts) and sum(t == SEPARATOR for t in texts) * 2 >= len(texts)


def find_header(rows: Sequence[Sequence[Any]], sheet: str, limit: int = 40) -> int:
    """0-based index of the header row: the first row whose column A and D headers name group and method."""
    for i, cells in enumerate(rows[:limit]):
        if len(cells) < len(COLUMNS):
            continue
        a, d = _text(cells[0]).lower(), _text(cells[3]).lower()
        if any(w in a for w in HEADER_WORDS["A"]) and any(w in d for w in HEADER_WORDS["D"]):
            for col, cell in zip(COLUMNS, cells):
                text = _text(cell).lower()
                if not any(w in text for w in HEADER_WORDS[col]):
                    raise SheetError(
                        f"sheet {sheet!r}, header row {i + 1}: column {col} reads {_text(cell)!r}, which is not "
                        f"the expected column ({' / '.join(HEADER_WORDS[col])}); the sheet layout has changed"
                    )
            return i
    raise SheetError(f"sheet {sheet!r}: no header row (a row with 'Scoring Group'/'评分组' in column A) found")


def parse_rows(sheet: str, rows: Sequence[Sequence[Any]], result: SheetImport) -> None:
    """Read every data row below the header into `result` (rows and problems)."""
    header = find_header(rows, sheet)
    result.header_row = header + 1
    for i in range(header + 1, len(rows)):
        cells = list(rows[i])[: len(COLUMNS)]
        if not any(_text(x) for x in cells):
            continue
        if _is_separator(cells):
            result.skipped_separators += 1
            continue
        try:
            result.rows.append(read_row(sheet, i + 1, cells))
        except _Bad as bad:
            result.problems.append(CellProblem(sheet, i + 1, bad.column, bad.message))


def _visible_sheets(path: Path, raw: bytes) -> list[tuple[str, list[tuple]]]:
    """Every visible sheet's rows, read through the checked door every importer uses (`xlsx`)."""
    with open_workbook(path, raw) as wb:
        return [(name, wb.rows(name)) for name in wb.visible()]


def _csv_rows(raw: bytes) -> list[tuple]:
    text = raw.decode("utf-8-sig", errors="replace")
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
    return [tuple(r) for r in csv.reader(text.splitlines(), dialect)]


def read_sheet(path: Path) -> SheetImport:
    """Read the rate table of an Ozon rate sheet (XLSX; a CSV export is read only to explain a refusal).

    The first visible sheet that has the header is used (`CHINA rFBS` or `中国 rFBS`: same columns);
    hidden sheets are never read.
    """
    path = Path(path)
    raw = read_regular(path, MAX_FILE_BYTES, "rate sheet")
    digest = hashlib.sha256(raw).hexdigest()
    if path.suffix.lower() == ".csv":
        sheets = [(path.stem, _csv_rows(raw))]
    else:
        sheets = _visible_sheets(path, raw)
    errors = []
    for name, rows in sheets:
        result = SheetImport(path.name, digest, name, 0)
        try:
            parse_rows(name, rows, result)
        except SheetError as exc:
            errors.append(str(exc))
            continue
        if path.suffix.lower() == ".csv":
            dated = [p for p in result.problems if p.column == "F" and "date" in p.message]
            if dated:
                raise SheetError(
                    f"{path.name} is a CSV re-save whose delivery days became dates ({dated[0]}); "
                    "import Ozon's original XLSX instead"
                )
        return result
    raise SheetError("; ".join(errors) or f"{path.name}: no visible sheet")


# ---------------------------------------------------------------------------------------------------------
# Tariff documents


_FILE_DATE = re.compile(r"_(\d{1,2})_(\d{1,2})_(\d{2})_(\d{9,11})(?:\D|$)")


def date_from_name(name: str) -> Optional[dt.date]:
    """`China_scoring_ENG_CN_7_04_26_1775544002.xlsx` -> 2026-04-07 (day_month_year in the name)."""
    m = _FILE_DATE.search(name)
    if not m:
        return None
    day, month, year = int(m.group(1)), int(m.group(2)), 2000 + int(m.group(3))
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class KnownService:
    """A service of an existing tariff set, so an import continues it rather than adding a twin."""

    id: str
    carrier: str
    carrier_id: str
    tier: Optional[str]
    name: str


def known_services(services: Iterable[Any]) -> list[KnownService]:
    """From `TariffSet.services` (ServiceInfo). Only services with a tier (the group model) are continued; the
    others are listed so that a new service never takes an id an older one already has."""
    return [KnownService(s.id, s.carrier, s.carrier_id, s.tier, s.name) for s in services]


def _service_ids(rows: Sequence[SheetRow], known: Sequence[KnownService]) -> dict[tuple[str, str], tuple[str, str]]:
    """(carrier, tier) -> (carrier_id, service id): an existing service of that carrier and tier keeps its id."""
    by_key = {(k.carrier.lower(), k.tier.lower()): k for k in known if k.tier}
    carrier_ids = {k.carrier.lower(): k.carrier_id for k in known}
    taken = {k.id for k in known}
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for r in rows:
        key = (r.carrier, r.tier)
        if key in out:
            continue
        found = by_key.get((r.carrier.lower(), r.tier.lower()))
        if found is not None:
            out[key] = (found.carrier_id, found.id)
            continue
        cid = carrier_ids.get(r.carrier.lower(), slugify(r.carrier))
        sid = f"{cid}-{slugify(r.tier)}"
        if sid in taken:  # the id belongs to an older service of another model
            sid += "-groups"
        out[key] = (cid, sid)
    return out


def _num(value: Decimal) -> Any:
    """A YAML number for a Decimal: int when whole (so `3` not `3.0`), else the Decimal itself."""
    return int(value) if value == value.to_integral_value() else value


def rate_row(r: SheetRow, source_row: bool = True) -> dict:
    """The tariff-schema rate row of one sheet row (every cell of it)."""
    limits: dict[str, Any] = {"min_weight_g": r.weight_min_g, "max_weight_g": r.weight_max_g}
    if r.max_sum_cm is not None:
        limits["max_sum_cm"] = _num(r.max_sum_cm)
        limits["sum_strict"] = False  # the sheet writes "≤"
    if r.max_longest_cm is not None:
        limits["max_longest_cm"] = _num(r.max_longest_cm)
    rub = next(v for v in r.values if v[0] == "RUB")
    limits["max_declared_value"] = {"amount": _num(rub[2]), "currency": "RUB"}
    limits["value_ranges"] = [{"min": _num(lo), "max": _num(hi), "currency": cur} for cur, lo, hi in r.values]
    row: dict[str, Any] = {
        "delivery": ["pickup_point", "courier"],
        "group": r.group,
        "fixed": _num(r.base),
        "per_step": _num(r.per_gram),
        "step_g": 1,
        "currency": "CNY",
        "delivery_days": {"min": r.days[0], "max": r.days[1], "basis": DAYS_BASIS},
        "batteries": r.batteries,
        "liquids": r.liquids,
    }
    if r.billing == "greater_of":
        row["billing"] = {
            "basis": "greater_of",
            "divisor": r.divisor,
            "rounding": {
                "step_g": 1,
                "direction": "up",
                "stated": False,
                "note": "volumetric grams rounded up to the whole gram; not stated",
            },
        }
    row["limits"] = limits
    if r.loss_cap_rub is not None:
        row["loss_compensation_cap"] = {"amount": _num(r.loss_cap_rub), "currency": "RUB"}
    returns = dict(zip(("not_collected", "before_customs", "after_customs"), r.returns))
    if any(returns.values()):
        row["returns"] = {k: v for k, v in returns.items() if v}
    row["method"] = r.method
    if r.rating is not None:
        row["rating"] = r.rating
    if source_row:
        row["source_row"] = f"{r.sheet}!{r.row}"
    return row


ACTUAL_BILLING = {
    "basis": "actual",
    "rounding": {
        "step_g": 1,
        "direction": "up",
        "stated": False,
        "note": "per-gram price; weights are whole grams (sub-gram input is rounded up by the parser)",
    },
}


@dataclass(frozen=True)
class VersionMeta:
    """The dated, sourced frame a set of rows is published in."""

    effective_from: dt.date
    sources: tuple[str, ...]
    confidence: str
    confidence_note: str
    effective_until: Optional[dt.date] = None
    notes: Optional[str] = None


def version_dict(rows: Sequence[dict], meta: VersionMeta) -> dict:
    out: dict[str, Any] = {"effective_from": meta.effective_from}
    if meta.effective_until is not None:
        out["effective_until"] = meta.effective_until
    out.update(
        {
            "date_basis": "order date (partner agreement clause 4.1, from 2024-12-01)",
            "sources": list(meta.sources),
            "confidence": meta.confidence,
            "confidence_note": meta.confidence_note,
            "billing": ACTUAL_BILLING,
            "rates": list(rows),
        }
    )
    if meta.notes:
        out["notes"] = meta.notes
    return out


def sheet_source(imp: SheetImport) -> str:
    return f"Ozon rate sheet {imp.file} (sha256 {imp.sha256}), sheet {imp.sheet!r}"


def to_documents(
    imp: SheetImport,
    effective_from: dt.date,
    known: Sequence[KnownService] = (),
    *,
    confidence: str = "official",
    confidence_note: Optional[str] = None,
) -> dict[str, dict]:
    """carrier id -> carrier-file dict (one service per carrier and tier, one rate row per group)."""
    ids = _service_ids(imp.rows, known)
    names = {k.id: k.name for k in known}
    meta = VersionMeta(
        effective_from=effective_from,
        sources=(sheet_source(imp),),
        confidence=confidence,
        confidence_note=confidence_note or "Ozon's own rate sheet, read cell by cell by `ratecalc tariffs import`",
        notes="Delivery days run from drop-off to Ozon's sorting centre, not to the buyer.",
    )
    docs: dict[str, dict] = {}
    by_service: dict[str, list[SheetRow]] = {}
    carrier_of: dict[str, tuple[str, str]] = {}
    for r in imp.rows:
        cid, sid = ids[(r.carrier, r.tier)]
        by_service.setdefault(sid, []).append(r)
        carrier_of[sid] = (cid, r.carrier)
    for sid, rows in by_service.items():
        cid, carrier = carrier_of[sid]
        doc = docs.setdefault(
            cid,
            {
                "schema_version": 1,
                "carrier": carrier,
                "carrier_id": cid,
                "notes": f"Imported from {sheet_source(imp)} by `ratecalc tariffs import`.",
                "services": [],
            },
        )
        tier = rows[0].tier
        doc["services"].append(
            {
                "id": sid,
                "name": names.get(sid, f"{carrier} {tier}"),
                "origin": "CN",
                "tier": tier,
                "versions": [version_dict([rate_row(r) for r in rows], meta)],
            }
        )
    return docs


def write_documents(
    docs: dict[str, dict],
    directory: Path,
    header: str,
    group_sets: Mapping[str, GroupsFile] = MappingProxyType({}),
) -> list[Path]:
    """Write one file per carrier. A service whose rows follow the rules of a loaded group set is written
    compact (`group_rules`: its rows state only the carrier's own facts); any other stays in full."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for cid, doc in sorted(docs.items()):
        path = directory / f"{cid}.yaml"
        path.write_text(dump_carrier_file(compact_carrier(doc, group_sets), header), encoding="utf-8")
        written.append(path)
    return written


__all__ = [
    "CellProblem",
    "KnownService",
    "SheetError",
    "SheetImport",
    "SheetRow",
    "VersionMeta",
    "date_from_name",
    "dump_yaml",
    "known_services",
    "rate_row",
    "read_sheet",
    "to_documents",
    "version_dict",
    "write_documents",
]
