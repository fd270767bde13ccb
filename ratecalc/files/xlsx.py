"""Catalogues as Excel workbooks (openpyxl): the first sheet read as text columns, a table written out.

Why text: the catalogue readers validate every column from text (as they read CSV), so a workbook is
turned into exactly what the same sheet saved as CSV would give: integers without a decimal point,
decimals as the shortest text that reads back as the cell's value, dates as YYYY-MM-DD, booleans as
true/false. Money then goes through the same exact-decimal parsing as CSV (never through a float sum).
The header is the sheet's first non-empty row; `header_line` says which (for error line numbers).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from ..errors import InputError


@dataclass(frozen=True)
class Sheet:
    header: list[str]
    rows: list[list[str]]
    header_line: int  # 1-based row of the header in the sheet
    lines: list[int]  # 1-based sheet row of each data row (blank rows are skipped)


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v).strip()


def read_sheet(source: Union[str, Path, bytes], max_rows: Optional[int] = None) -> Sheet:
    """The first worksheet as text; raises InputError "input" for a file that is not a readable workbook,
    or that has more than `max_rows` data rows.

    The workbook goes through the one checked door (ratecalc.tariffdata.xlsx): zip and XML bombs, DTDs and
    oversized sheets are refused, and rows are read to the sheet's true extent, not to its declared one.
    """
    from ..tariffdata.xlsx import WorkbookError, open_workbook

    path = Path("upload.xlsx") if isinstance(source, bytes) else Path(source)
    try:
        with open_workbook(path, source if isinstance(source, bytes) else None) as book:
            if not book.sheetnames:
                raise InputError("input", "the workbook has no sheet")
            values = book.rows(book.sheetnames[0])
    except WorkbookError as exc:
        raise InputError("input", exc.reason) from None
    header: Optional[list[str]] = None
    header_line = 0
    rows: list[list[str]] = []
    lines: list[int] = []
    for i, row in enumerate(values, start=1):
        texts = [_text(v) for v in row]
        if header is None:
            if any(texts):
                header, header_line = [t for t in texts], i
                while header and not header[-1]:
                    header.pop()
            continue
        if not any(texts):
            continue
        rows.append(texts[: len(header)] + [""] * (len(header) - len(texts)))
        lines.append(i)
        if max_rows is not None and len(rows) > max_rows:
            raise InputError("input", f"more than {max_rows} rows", rule="max_rows", limit=max_rows)
    if header is None:
        raise InputError("input", "the first sheet is empty: it needs a header row")
    return Sheet(header, rows, header_line, lines)


def sheet_to_csv(sheet: Sheet) -> str:
    """The sheet as CSV text (header first); blank rows were dropped, so CSV line k+1 is data row k."""
    import csv

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(sheet.header)
    w.writerows(sheet.rows)
    return out.getvalue()


def _cell(text: str, numeric: bool) -> Any:
    if numeric and text:
        try:
            d = Decimal(text)
        except InvalidOperation:
            return text
        return int(d) if d == d.to_integral_value() and "." not in text else float(d)
    return text


def write_book(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[str] = (), *,
               sheet: str = "catalogue", notes: Optional[list[tuple[str, str]]] = None) -> bytes:  # fmt: skip
    """A workbook of one table (numbers stored as numbers in the `numeric` columns, two decimals shown) and,
    with `notes`, a second sheet explaining each column."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(header))
    nums = {i for i, h in enumerate(header) if h in numeric}
    for row in rows:
        ws.append([_cell(v, i in nums) for i, v in enumerate(row)])
    for i in nums:
        letter = ws.cell(row=1, column=i + 1).column_letter
        for cell in ws[letter][1:]:
            if isinstance(cell.value, float):
                cell.number_format = "0.00"
    if notes:
        help_sheet = wb.create_sheet("help")
        for name, text in notes:
            help_sheet.append([name, text])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["Sheet", "read_sheet", "sheet_to_csv", "write_book"]
