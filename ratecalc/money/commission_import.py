"""Ozon's commission workbook (Tarifs_CN_*.xlsx, or its CSV export) -> a validated commission table YAML.

Why an importer and not hand-copied rows: the workbook lists ~10,800 product types, each with its
marketplace (MP) category, brand and six rates (rFBS and FBP × three price tiers). Ozon publishes a new
one every few months; copying 80 × 6 numbers by hand is how tables go wrong.

How the workbook is read (facts checked on the 2025-12-01 workbook):
- The key is the **Russian** MP category (+ brand). The Chinese and English MP columns are shifted on about
  1 % of rows, so each category's zh/en name is the most common one among its rows, and a name that is
  already another category's most common name is not reused.
- Every row of one Russian MP category must carry the same six rates; a category whose rows disagree is
  refused (naming the category and the rates), never averaged.
- Brand rows (brand other than "All") form their own MP categories ("Устройства Apple"); the ordinary
  categories their product types belong to are recorded in `applies_to`.
- Tier bounds come from the rate column headers ("RFBS -> 1500.01 - 5000 -> Тариф, %"), the effective
  date from the header cell "Starts from 01/12/2025" (day/month/year) unless given.

Percent cells: text "12.00%" is read exactly; an XLSX number (0.12 with a percent format) is multiplied by
100 and rounded half-up to 0.01 percentage point (the workbook's own precision).
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, Union

from ..errors import InputError
from ..tariffdata.safefile import read_regular
from ..tariffdata.xlsx import WorkbookError, open_workbook
from ..tariffdata.yamlload import load_decimal_yaml
from .economics_schema import CommissionTable

SHEET = "Full ChinaHK"
_START_RE = re.compile(r"starts\s+from\s+(\d{1,2})[./](\d{1,2})[./](\d{4})", re.IGNORECASE)
_RATE_RE = re.compile(r"^\s*(RFBS|FBP)\s*->\s*(.+?)\s*->", re.IGNORECASE)
_TIER_RE = re.compile(r"^\s*([\d.]+)\s*(?:-\s*([\d.]+)|\+)\s*$")

# Names for brand categories, whose zh/en cells in the workbook repeat the parent category's name.
# Translations of the Russian name (ours), used only when the workbook gives no name of their own.
BRAND_NAMES: dict[str, tuple[str, str]] = {
    "Устройства Apple": ("Apple 设备", "Apple Devices"),
    "Устройства Dyson": ("Dyson 设备", "Dyson Devices"),
    "Аксессуары Dyson": ("Dyson 配件", "Dyson Accessories"),
    "Наушники Sony": ("Sony 耳机", "Sony Headphones"),
    "Наушники TWS Samsung": ("三星 TWS 耳机", "Samsung TWS Headphones"),
    "Смартфоны и планшеты Samsung": ("三星智能手机和平板电脑", "Samsung Smartphones & Tablets"),
    "Смарт-часы и фитнес-браслеты Samsung": ("三星智能手表与健身手环", "Samsung Smartwatches & Fitness Bracelets"),
}


@dataclass(frozen=True)
class WorkbookRow:
    product_type: str  # DescriptiveType, Russian
    ru: str
    zh: str
    en: str
    brand: Optional[str]  # None for "All"
    rates: tuple[Decimal, ...]  # in the order of Workbook.columns


@dataclass(frozen=True)
class Workbook:
    effective_from: Optional[dt.date]
    columns: tuple[tuple[str, int], ...]  # (scheme, tier index) per rate column
    tiers_rub: tuple[Optional[Decimal], ...]
    rows: tuple[WorkbookRow, ...]


def _clean(cell: Any) -> str:
    return " ".join(str(cell).split()) if cell is not None else ""


def _percent(cell: Any, where: str) -> Decimal:
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        value = (Decimal(repr(cell)) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    else:
        text = _clean(cell).rstrip("%").replace(",", ".").strip()
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise InputError("file", f"{where}: {cell!r} is not a percentage") from None
    if not value.is_finite() or not (0 <= value < 100):
        raise InputError("file", f"{where}: commission {value} % is outside 0..100")
    return value


MAX_CSV_BYTES = 64 << 20
"""A CSV export on disk (the 2025-12-01 export of ~10,800 rows is 3 MB)."""


def _read_csv_rows(path: Path) -> list[list[Any]]:
    import csv

    raw = read_regular(path, MAX_CSV_BYTES, "CSV export")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise InputError("file", f"{path}: neither UTF-8 nor GB18030 text")
    return [list(r) for r in csv.reader(text.splitlines(keepends=True))]


def _read_xlsx_rows(path: Path, sheet: Optional[str]) -> list[list[Any]]:
    """The rows of the sheet, read through the checked door every importer uses (`tariffdata.xlsx`)."""
    with open_workbook(path) as wb:
        names = wb.sheetnames
        if not names:
            raise WorkbookError(path, "has no sheets")
        name = sheet or (SHEET if SHEET in names else names[0])
        if name not in names:
            raise InputError("sheet", f"{path} has no sheet {name!r}; sheets: {', '.join(names)}")
        return [list(r) for r in wb.rows(name)]


def _tiers(labels: Sequence[str], where: str) -> tuple[Optional[Decimal], ...]:
    bounds: list[Optional[Decimal]] = []
    for label in labels:
        m = _TIER_RE.match(label)
        if not m:
            raise InputError(
                "file", f"{where}: cannot read the price tier {label!r} (expected '0 - 1500' or '5000.01+')"
            )
        bounds.append(Decimal(m.group(2)) if m.group(2) else None)
    if bounds[-1] is not None or any(b is None for b in bounds[:-1]):
        raise InputError("file", f"{where}: the last price tier must be open ('5000.01+'), only the last")
    return tuple(bounds)


def parse_rows(table: Sequence[Sequence[Any]], source: str = "workbook") -> Workbook:
    """The workbook's rows (header rows included) -> a Workbook; refuses a layout it does not know."""
    start: Optional[dt.date] = None
    header_at = None
    for i, row in enumerate(table[:20]):
        cells = [_clean(c) for c in row]
        for c in cells:
            m = _START_RE.search(c)
            if m and start is None:
                start = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if any(_RATE_RE.match(c) for c in cells):
            header_at = i
            break
    if header_at is None:
        raise InputError("file", f"{source}: no header row with rate columns like 'RFBS -> 0 - 1500 -> Тариф, %'")
    header = [_clean(c) for c in table[header_at]]
    rate_cols = [(j, _RATE_RE.match(c)) for j, c in enumerate(header)]
    found = [(j, m.group(1).lower(), m.group(2)) for j, m in rate_cols if m]
    schemes = list(dict.fromkeys(s for _, s, _ in found))
    labels = {s: [lab for _, s2, lab in found if s2 == s] for s in schemes}
    tiers = _tiers(labels[schemes[0]], source)
    for s in schemes[1:]:
        if _tiers(labels[s], source) != tiers:
            raise InputError("file", f"{source}: the {s} columns have other price tiers than {schemes[0]}")
    columns = tuple((s, labels[s].index(lab)) for _, s, lab in found)
    try:
        mp = header.index("MP Category")
        brand_at = header.index("Brand")
    except ValueError:
        raise InputError("file", f"{source}: the header has no 'MP Category' or 'Brand' column") from None
    rows: list[WorkbookRow] = []
    for k, row in enumerate(table[header_at + 1 :], start=header_at + 2):
        cells = list(row) + [None] * (len(header) - len(row))
        ru = _clean(cells[mp])
        if not ru and not any(_clean(c) for c in cells):
            continue  # blank line
        if not ru:
            raise InputError("file", f"{source} line {k}: no MP category")
        brand = _clean(cells[brand_at])
        rates = tuple(_percent(cells[j], f"{source} line {k} column {header[j]!r}") for j, _, _ in found)
        rows.append(
            WorkbookRow(
                _clean(cells[0]),
                ru,
                _clean(cells[mp + 1]),
                _clean(cells[mp + 2]),
                None if brand in ("", "All") else brand,
                rates,
            )
        )
    if not rows:
        raise InputError("file", f"{source}: no data rows")
    return Workbook(start, columns, tiers, tuple(rows))


def read_workbook(path: Union[str, Path], sheet: Optional[str] = None) -> Workbook:
    """Read Ozon's commission workbook: .xlsx (sheet 'Full ChinaHK' by default) or its CSV export."""
    p = Path(path)
    rows = _read_xlsx_rows(p, sheet) if p.suffix.lower() in (".xlsx", ".xlsm") else _read_csv_rows(p)
    return parse_rows(rows, p.name)


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.casefold().replace("&", " and ")).strip("-")
    return s or "category"


@dataclass(frozen=True)
class ImportedCategory:
    id: str
    ru: str
    zh: Optional[str]
    en: str
    brand: Optional[str]
    applies_to: tuple[str, ...]
    rows: int
    percent: dict[str, tuple[Decimal, ...]]


def categories(wb: Workbook) -> list[ImportedCategory]:
    """One category per Russian MP name; refuses a category whose rows disagree on a rate."""
    by_ru: dict[str, list[WorkbookRow]] = collections.defaultdict(list)
    for r in wb.rows:
        by_ru[r.ru].append(r)
    bad = {ru: sorted({r.rates for r in rs}) for ru, rs in by_ru.items() if len({r.rates for r in rs}) > 1}
    if bad:
        ru, sets = next(iter(sorted(bad.items())))
        raise InputError(
            "file",
            f"{len(bad)} categories have rows with different rates, e.g. {ru!r}: "
            + "; ".join("/".join(f"{x}" for x in s) for s in sets),
        )
    # the most common (zh, en) per category; a name that is another category's most common is not reused
    common = {ru: collections.Counter((r.zh, r.en) for r in rs).most_common() for ru, rs in by_ru.items()}
    owner: dict[str, str] = {}
    for ru, c in sorted(common.items(), key=lambda kv: -kv[1][0][1]):
        owner.setdefault(c[0][0][1].casefold(), ru)
    names: dict[str, tuple[Optional[str], str]] = {}
    for ru, c in common.items():
        if ru in BRAND_NAMES:
            names[ru] = BRAND_NAMES[ru]
            continue
        pick = next(((zh, en) for (zh, en), _ in c if owner.get(en.casefold(), ru) == ru), None)
        names[ru] = pick if pick is not None and pick[1] else (None, ru)
    ids: dict[str, str] = {}
    for ru in by_ru:
        base, n = slug(names[ru][1]), 2
        sid = base
        while sid in ids.values():
            sid, n = f"{base}-{n}", n + 1
        ids[ru] = sid
    # a brand category applies to the ordinary categories holding the same product types
    type_home: dict[str, str] = {}
    for r in wb.rows:
        if r.brand is None:
            type_home.setdefault(r.product_type, r.ru)
    out = []
    schemes = list(dict.fromkeys(s for s, _ in wb.columns))
    for ru, rs in by_ru.items():
        brand = next((r.brand for r in rs if r.brand), None)
        applies = sorted(
            {ids[type_home[r.product_type]] for r in rs if r.brand and r.product_type in type_home} - {ids[ru]}
        )
        rates = rs[0].rates
        percent = {s: tuple(rates[i] for i, (s2, _) in enumerate(wb.columns) if s2 == s) for s in schemes}
        zh, en = names[ru]
        out.append(ImportedCategory(ids[ru], ru, zh or None, en, brand, tuple(applies), len(rs), percent))
    out.sort(key=lambda c: (c.brand is not None, c.en.casefold()))
    return out


def _num(d: Decimal) -> str:
    return format(d.normalize(), "f") if d != d.to_integral_value() else str(int(d))


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(
    wb: Workbook,
    *,
    source: str,
    effective_from: Optional[dt.date] = None,
    effective_until: Optional[dt.date] = None,
    table_id: Optional[str] = None,
) -> str:
    """The workbook as a commission table file (tariffs/economics/commissions-DATE.yaml), validated."""
    start = effective_from or wb.effective_from
    if start is None:
        raise InputError(
            "effective_from", "the workbook has no 'Starts from DD/MM/YYYY' header; pass --effective-from YYYY-MM-DD"
        )
    cats = categories(wb)
    tid = table_id or f"cross-border-{start.isoformat()}"
    tiers = ", ".join("null" if b is None else _num(b) for b in wb.tiers_rub)
    schemes = list(dict.fromkeys(s for s, _ in wb.columns))
    lines = [
        f"# Ozon sales commission for China / Hong Kong sellers from {start}, imported from Ozon's workbook",
        f"# {source} by `ratecalc commissions import`: {len(wb.rows)} product-type rows -> {len(cats)} marketplace",
        "# categories (keyed by the Russian MP name; zh/en names are each category's most common ones).",
        "schema_version: 1",
        f"id: {tid}",
        f"title: {_q(f'Cross-border sales commission by category and price tier, from {start}')}",
        f"effective_from: {start.isoformat()}",
        f"effective_until: {effective_until.isoformat() if effective_until else 'null'}",
        "price_basis: seller's price in RUB at Ozon's conversion rate on the order date (seller discounts count, Ozon Points do not)",
        f"tiers_rub: [{tiers}]   # inclusive upper bounds; null = no upper bound",
        f"schemes: [{', '.join(schemes)}]",
        "complete: true",
        "confidence: official   # Ozon's own workbook",
        "vat: not subject to Russian VAT for sellers from China (Ozon's page)",
        _yaml_notes(wb),
        "sources:",
        f"  - {_q('Ozon workbook ' + source + ' (sheet ' + SHEET + ')')}",
        "  - https://docs.ozon.com/global/en/commissions/ozon-fees/commissions/?country=OTHER",
        "categories:",
    ]
    for c in cats:
        parts = [f"id: {c.id}", f"ru: {_q(c.ru)}"]
        if c.zh:
            parts.append(f"zh: {_q(c.zh)}")
        parts.append(f"en: {_q(c.en)}")
        if c.brand:
            parts.append(f"brand: {_q(c.brand)}")
            parts.append(f"applies_to: [{', '.join(c.applies_to)}]")
        rates = ", ".join(f"{s}: [{', '.join(_num(x) for x in c.percent[s])}]" for s in schemes)
        parts.append(f"percent: {{{rates}}}")
        lines.append(f"  - {{{', '.join(parts)}}}  # {c.rows} rows")
    text = "\n".join(lines) + "\n"
    CommissionTable.model_validate(load_decimal_yaml(text))  # never write a file the loader would refuse
    return text


def _yaml_notes(wb: Workbook) -> str:
    fbp_minus_one = all(
        r.rates[i] - r.rates[j] == 1
        for r in wb.rows
        for i, (s, t) in enumerate(wb.columns)
        for j, (s2, t2) in enumerate(wb.columns)
        if s == "rfbs" and s2 == "fbp" and t == t2
    )
    note = "Brand rows apply only to that brand's goods (categories in applies_to)."
    if fbp_minus_one:
        note += " FBP = rFBS - 1 percentage point in every row (checked on import)."
    return f"notes: {_q(note)}"


def import_file(
    path: Union[str, Path],
    *,
    effective_from: Optional[dt.date] = None,
    effective_until: Optional[dt.date] = None,
    sheet: Optional[str] = None,
) -> str:
    """Read the workbook at `path` and return the YAML text of its commission table."""
    wb = read_workbook(path, sheet)
    return to_yaml(wb, source=Path(path).name, effective_from=effective_from, effective_until=effective_until)


def rate_sets(rows: Iterable[WorkbookRow]) -> dict[str, set[tuple[Decimal, ...]]]:
    """Per Russian MP category, the distinct rate sets of its rows (a test and the importer's check)."""
    out: dict[str, set[tuple[Decimal, ...]]] = collections.defaultdict(set)
    for r in rows:
        out[r.ru].add(r.rates)
    return dict(out)


__all__ = [
    "BRAND_NAMES",
    "ImportedCategory",
    "Workbook",
    "categories",
    "import_file",
    "parse_rows",
    "read_workbook",
    "to_yaml",
]
