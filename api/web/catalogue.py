"""The page's catalogue: a CSV or XLSX file in, the same rows `ratecalc economics --input` writes out.

POST /catalogue takes the file itself as the body (the page's script sends it; no multipart parser is
needed) with the money part's options in the query string, and answers with lines of JSON as it goes:
`progress` (rows costed of the total) while the file is priced, then one `result` with the rows, the
bad lines with their line numbers, what happened (counts and the most common reasons), and the priced
file as CSV and XLSX to save. Both files come from one run of `ratecalc.files.catalogue.cost_file`, the
function behind the command line, on the uploaded CSV or on the workbook's first sheet as CSV.

The page prices files up to `page_upload_bytes` and `page_upload_rows` (stated on the page); a bigger
catalogue is refused with a pointer to the command line and POST /v1/economics/batch.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Optional

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ratecalc import InputError, TariffSet
from ratecalc.files.wording import FIXED
from ratecalc.i18n import N_, Lang

from ..deps import tariffs
from . import i18n

log = logging.getLogger("ratecalc.api")

TEMPLATE_COLUMNS = [
    ("sku", N_("your article number (optional)")),
    ("weight_g", N_("actual weight in grams")),
    ("length_mm", N_("length in millimetres")),
    ("width_mm", N_("width in millimetres")),
    ("height_mm", N_("height in millimetres")),
    ("category", N_("Ozon's commission category, in Chinese, Russian or English")),
    ("purchase_cost", N_("purchase cost per unit with its currency, like 62CNY")),
    ("sale_price", N_("sale price in roubles; or leave it empty and give a target")),
    ("target_margin", N_("target margin in %: the lowest price reaching it is found")),
    ("packaging", N_("packaging per order with its currency, like 5CNY (optional)")),
    ("order_date", N_("order date YYYY-MM-DD (optional: the page's order date)")),
]
EXAMPLES = {
    "en": [["A-001", "450", "200", "150", "100", "Car Products", "62CNY", "1499", "", "5CNY", ""],
           ["A-002", "1200", "300", "200", "100", "Clothing & Accessories", "80CNY", "", "25", "", ""]],
    "zh": [["A-001", "450", "200", "150", "100", "汽车用品", "62CNY", "1499", "", "5CNY", ""],
           ["A-002", "1200", "300", "200", "100", "服装和配饰", "80CNY", "", "25", "", ""]],
    "ru": [["A-001", "450", "200", "150", "100", "Автотовары", "62CNY", "1499", "", "5CNY", ""],
           ["A-002", "1200", "300", "200", "100", "Одежда и аксессуары", "80CNY", "", "25", "", ""]],
}  # fmt: skip
# the columns shown in the page's table (all of them are in the files), and the numbers among the output
SHOWN = ["sku", "service_id", "tied_with", "sale_price", "carrier_rub", "commission_rub", "ozon_fee_rub",
         "profit_rub", "margin_pct", "roi_pct", "no_choice"]  # fmt: skip
NUMERIC = {"row", "chargeable_weight_g", "price", "days_min", "days_max", "sale_price", "carrier_rub", "commission_pct",
           "commission_rub", "ozon_fee_rub", "other_rub", "costs_rub", "purchase_rub", "packaging_rub",
           "first_mile_rub", "profit_rub", "margin_pct", "roi_pct"}  # fmt: skip
SLICE_ROWS = 250  # rows costed between two progress lines


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode("utf-8")


def template(kind: str, t: Lang) -> bytes:
    header = [c for c, _ in TEMPLATE_COLUMNS]
    rows = EXAMPLES.get(t.code, EXAMPLES["en"])
    if kind == "csv":
        return _csv(header, rows)
    from ratecalc.files.xlsx import write_book

    notes = [(c, t._(what)) for c, what in TEMPLATE_COLUMNS]
    return write_book(header, rows, numeric=("weight_g", "length_mm", "width_mm", "height_mm"), notes=notes)


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return (rows[0], rows[1:]) if rows else ([], [])


def price_file(
    ts: TariffSet,
    data: bytes,
    kind: str,
    query: dict[str, str],
    max_rows: int,
    tick: Callable[[int, int], None],
    t: Optional[Lang] = None,
) -> dict[str, Any]:
    """Run `cost_file` on the uploaded file; the answer's rows, bad lines, counts and both files."""
    from ratecalc.files.catalogue import Options, cost_file
    from ratecalc.files.xlsx import read_sheet, sheet_to_csv, write_book
    from ratecalc.money.fx import build_chain

    from ..routers.economics import RATES_FILE_ENV
    from .money import _fx

    lines_of: Optional[list[int]] = None
    with tempfile.TemporaryDirectory(prefix="ratecalc-upload-") as tmp:
        src = Path(tmp) / "catalogue.csv"
        if kind == "xlsx":
            sheet = read_sheet(data, max_rows=max_rows)
            src.write_text(sheet_to_csv(sheet), encoding="utf-8")
            lines_of, total = sheet.lines, len(sheet.rows)
        else:
            src.write_bytes(data)
            total = sum(1 for line in data.splitlines()[1:] if line.strip())
            if total > max_rows:
                raise InputError("input", f"more than {max_rows} rows", rule="max_rows", limit=max_rows)
        tick(0, total)
        out, errs = Path(tmp) / "priced.csv", Path(tmp) / "priced.errors.csv"
        opts = Options(
            scheme=query.get("scheme") or "rfbs",
            return_rate=Decimal((query.get("return_rate") or "0").replace(",", ".").rstrip("%") or "0"),
        )
        chain = build_chain(_fx(query.get("fx", "")), os.environ.get(RATES_FILE_ENV) or None, cbr=False)
        summary = cost_file(
            src, out, ts.compiled(()), chain, opts, date=query.get("date") or None, errors_path=errs,
            progress=lambda done, _bytes: tick(done, total), slice_rows=SLICE_ROWS,
        )  # fmt: skip
        header, rows = _read(out)
        bad_header, bad = _read(errs) if summary.errors_path else ([], [])
        errors_csv = errs.read_bytes() if summary.errors_path else b""
    errors = [dict(zip(bad_header, r)) for r in bad]
    said = (lambda reason: t._(reason) if reason in FIXED else reason) if t is not None else (lambda reason: reason)
    for e in errors:  # the files keep the library's words; the page shows a reader's
        e["reason"] = said(e.get("reason", ""))
    reasons = []
    for key, count in summary.top_reasons(5):
        column, _, reason = key.partition(": ")
        reasons.append([f"{column}: {said(reason)}", count])
    if lines_of is not None:  # a workbook's bad line is its sheet row (the CSV made of it has no blank rows)
        for e in errors:
            k = int(e.get("line") or 0) - 2
            if 0 <= k < len(lines_of):
                e["line"] = str(lines_of[k])
    return {
        "type": "result",
        "total": total,
        "summary": {
            "rows": summary.rows,
            "costed": summary.quoted,
            "failed": summary.failed,
            "reasons": reasons,
            "errors": summary.errors,
        },  # fmt: skip
        "header": header,
        "rows": rows,
        "errors": errors,
        "csv": base64.b64encode(_csv(header, rows)).decode(),
        "xlsx": base64.b64encode(write_book(header, rows, numeric=sorted(NUMERIC))).decode(),
        "errors_csv": base64.b64encode(errors_csv).decode(),
    }


@dataclass
class UploadView:
    limit: int
    rows: int
    size: str
    rows_text: str
    words: dict[str, Any]


COLUMN_WORDS = {
    "sku": N_("SKU"),
    "service_id": N_("Best service"),
    "tied_with": N_("Tied with"),
    "sale_price": N_("Sale price"),
    "carrier_rub": N_("Carrier"),
    "commission_rub": N_("Commission"),
    "ozon_fee_rub": N_("Ozon fee"),
    "profit_rub": N_("Profit"),
    "margin_pct": N_("Margin, %%"),
    "roi_pct": N_("ROI, %%"),
    "no_choice": N_("No choice"),
}


def upload_view(request: Request, t: Lang) -> UploadView:
    """The catalogue part's limits (stated on the page) and the words its script shows, in `t`."""
    settings = getattr(request.app.state, "settings", None)
    limit = settings.page_upload_bytes if settings else 2 << 20
    rows = settings.page_upload_rows if settings else 5000
    words = {
        "columns": {k: t._(v).replace("%%", "%") for k, v in COLUMN_WORDS.items()},
        "shown": SHOWN,
        "pricing": t._("Pricing: %(done)s of %(total)s rows"),
        "reading": t._("Reading the file"),
        "summary": t._("%(rows)s rows: %(costed)s costed, %(failed)s failed."),
        "reasons": t._("Most common reasons:"),
        "bad": t._("Bad lines (%(n)s)"),
        "too_big": t._(
            "The page prices files up to %(size)s and %(rows)s rows; price a bigger catalogue with "
            "ratecalc economics --input or POST /v1/economics/batch.",
            size=_size(limit, t),
            rows=_count(rows, t),
        ),
        "choose": t._("Choose a .csv or .xlsx file first."),
        "failed": t._("The file could not be priced."),
    }
    return UploadView(limit, rows, _size(limit, t), _count(rows, t), words)


def _kind(name: str, content_type: str) -> Optional[str]:
    name = name.lower()
    if name.endswith(".xlsx") or "spreadsheetml" in content_type:
        return "xlsx"
    if name.endswith((".csv", ".txt")) or content_type.startswith("text/"):
        return "csv"
    return None


def install(app: FastAPI) -> None:
    @app.get("/catalogue/template.{kind}", include_in_schema=False)
    async def get_template(request: Request, kind: str) -> Response:
        t = i18n.request_lang(request)
        if kind not in ("csv", "xlsx"):
            return JSONResponse({"message": "use template.csv or template.xlsx"}, status_code=404)
        media = "text/csv; charset=utf-8" if kind == "csv" else (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
        name = f"ratecalc-catalogue-{t.code}.{kind}"
        return Response(
            template(kind, t), media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    @app.post("/catalogue", include_in_schema=False)
    async def post_catalogue(request: Request) -> Response:
        t = i18n.request_lang(request)
        settings = request.app.state.settings
        limit, max_rows = settings.page_upload_bytes, settings.page_upload_rows
        too_big = t._(
            "The page prices files up to %(size)s and %(rows)s rows; price a bigger catalogue with "
            "ratecalc economics --input or POST /v1/economics/batch.",
            size=_size(limit, t),
            rows=_count(max_rows, t),
        )
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            return JSONResponse({"type": "error", "message": too_big}, status_code=413)
        data = b""
        async for part in request.stream():
            data += part
            if len(data) > limit:
                return JSONResponse({"type": "error", "message": too_big}, status_code=413)
        kind = _kind(request.query_params.get("name", ""), request.headers.get("content-type", ""))
        if kind is None:
            return JSONResponse({"type": "error", "message": t._("Upload a .csv or .xlsx file.")}, status_code=415)
        if not data:
            return JSONResponse({"type": "error", "message": t._("The file is empty.")}, status_code=422)
        ts = await tariffs(request)
        query = {k: request.query_params.get(k, "") for k in ("fx", "scheme", "return_rate", "date")}
        return StreamingResponse(
            _stream(ts, data, kind, query, max_rows, t, too_big), media_type="application/x-ndjson"
        )


def _count(n: int, t: Lang) -> str:
    return t.number(n) if t.babel else f"{n:,}"


def _size(limit: int, t: Lang) -> str:
    return t._("%(n)s MB", n=t.number(Decimal(limit) / (1 << 20), 1)) if limit >= 1 << 20 else f"{limit:,} B"


async def _stream(ts, data, kind, query, max_rows, t: Lang, too_big: str) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()

    def tick(done: int, total: int) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, (done, total))

    job = loop.run_in_executor(None, price_file, ts, data, kind, query, max_rows, tick, t)
    while True:
        waiter = asyncio.ensure_future(queue.get())
        pending: set[asyncio.Future[Any]] = {waiter, job}
        finished, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if waiter in finished:
            done, total = waiter.result()
            yield (json.dumps({"type": "progress", "done": done, "total": total}) + "\n").encode()
            continue
        waiter.cancel()
        break
    try:
        result = job.result()
    except InputError as exc:
        message = too_big if exc.rule == "max_rows" else t._("The file cannot be read: %(why)s", why=exc.message)
        yield (json.dumps({"type": "error", "message": message, "field": exc.field}) + "\n").encode()
        return
    except Exception:  # a bug: said in one line, logged with its traceback, never half an answer
        log.exception("catalogue upload failed")
        yield (
            json.dumps({"type": "error", "message": t._("Internal error; the file was not priced.")}) + "\n"
        ).encode()
        return
    yield (json.dumps(result, ensure_ascii=False) + "\n").encode()


__all__ = ["UploadView", "install", "price_file", "template", "upload_view"]
