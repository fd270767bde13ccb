"""GET /: the comparison page. A plain HTML form whose query string uses the API's field names
(`weight`, `dims`, `value`, `date`, `delivery`), so a shared link opens filled and answered and the
browser's back/forward moves between answers with no script at all.

The table comes from the same quoting path as POST /v1/quotes, the chart and the weight bands from the
same curves run as GET /v1/curves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ratecalc import InputError, TariffSet
from ratecalc.pricing.result import ServiceQuote
from ratecalc.tariffdata.confidence import confidence_of

from ..deps import tariffs
from ..errors import from_input_error
from ..models import QuoteOptions
from ..quoting import Invalid, quote_parcels
from ..routers.curves import CurvesResponse, curves_response, parcel_from_query, run_curves
from .chart import Picture, draw

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
FIELDS = ("weight", "dims", "value", "date", "delivery")
TRUE = ("1", "true", "on", "yes")


@dataclass
class Row:
    service: str
    service_id: str
    carrier: str
    status: str
    price: str
    amount: Optional[Decimal]
    currency: str
    days: str
    chargeable: str
    confidence: str
    why: str


@dataclass
class View:
    form: dict
    errors: dict[str, str] = field(default_factory=dict)
    priced: list[Row] = field(default_factory=list)
    unpriced: list[Row] = field(default_factory=list)
    ineligible: list[Row] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  # parts of one line, none to be broken inside
    curves: Optional[CurvesResponse] = None
    picture: Optional[Picture] = None
    curves_url: str = ""
    notice: Optional[str] = None  # the tariff set's word on the date (no rates held, stale rates)
    days_to_sc: bool = False  # some days count to Ozon's sorting centre (explained under the table)


def _row(q: ServiceQuote) -> Row:
    days = f"{q.delivery_days.min}–{q.delivery_days.max}" if q.delivery_days else "—"
    if q.delivery_days and q.delivery_days.basis == "dropoff_to_sorting_centre":
        days += " to SC"  # explained under the table
    why = "; ".join(r.message for r in q.reasons if q.status == "ineligible" or r.code == "rate_unpublished")
    return Row(
        service=q.service,
        service_id=q.service_id,
        carrier=q.carrier,
        status=q.status,
        price=f"{q.price.amount} {q.price.currency}" if q.price else "—",
        amount=Decimal(q.price.amount) if q.price else None,
        currency=q.price.currency if q.price else "",
        days=days,
        chargeable=f"{q.chargeable_weight_g} g",
        confidence=confidence_of(q.tariff.sources, q.tariff.confidence),
        why=why,
    )


def _notice(ts: TariffSet, day: dt.date) -> Optional[str]:
    """The tariff set's coverage of the date, in the page's words (the library's message names CLI flags)."""
    c = ts.coverage(day)
    if c.message is None:
        return None
    if c.priced:  # priced, but long after the newest sheet held: the prices may be out of date
        return (
            f"The newest rates held start on {c.newest_start}; Ozon publishes a new sheet every few months, so "
            "these prices may be out of date. A newer sheet can be imported with ratecalc tariffs import."
        )
    near = [f"up to {c.previous}" if c.previous else "", f"from {c.next}" if c.next else ""]
    held = " and ".join(x for x in near if x) or "none"
    return f"No rates are held for orders on {day}. Dates with rates: {held}; change the order date above."


def _form(request: Request) -> dict:
    qp = request.query_params
    form: dict[str, Any] = {k: (qp.get(k) or "").strip() for k in FIELDS}
    form["date"] = form["date"] or dt.date.today().isoformat()
    form["delivery"] = form["delivery"] or "pickup_point"
    form["battery"] = qp.get("battery", "").lower() in TRUE
    form["liquid"] = qp.get("liquid", "").lower() in TRUE
    form["sort"] = "days" if qp.get("sort") == "days" else "price"
    return form


def build_view(ts: TariffSet, request: Request) -> View:
    form = _form(request)
    view = View(form=form)
    if not form["weight"] and not form["dims"]:
        return view  # an empty form: nothing asked yet
    raw = {k: form[k] or None for k in FIELDS} | {"battery": form["battery"], "liquid": form["liquid"]}
    try:
        parcel = parcel_from_query(raw, root="")
        [outcome] = quote_parcels(ts, [parcel], QuoteOptions(sort=form["sort"]))
        if isinstance(outcome, InputError):  # e.g. the group model needs a declared RUB price
            raise Invalid([from_input_error(outcome, outcome.field)])
        curves = run_curves(ts, parcel, readings=[], weight_max=None, step_g=None, root="")
    except Invalid as exc:
        for e in exc.errors:
            view.errors[e.path.lstrip(".").split(".")[0]] = e.message
        return view
    quotes, _ = outcome
    rows = [_row(q) for q in quotes]
    view.priced = [r for r in rows if r.status == "ok"]
    view.unpriced = [r for r in rows if r.status == "unpriced"]
    view.ineligible = [r for r in rows if r.status == "ineligible"]
    view.days_to_sc = any(r.days.endswith(" to SC") for r in view.priced)
    view.summary = [
        f"{parcel.weight_g} g",
        "×".join(str(s // 10) if s % 10 == 0 else f"{s / 10:g}" for s in parcel.dims_mm) + " cm",
        *([f"declared {parcel.declared_value}"] if parcel.declared_value else []),
        f"order date {parcel.order_date.isoformat()}",
        "courier" if parcel.delivery == "courier" else "pickup point",
    ]
    view.notice = _notice(ts, parcel.order_date)
    view.curves = curves_response(curves)
    view.picture = draw(view.curves)
    view.curves_url = "/v1/curves?" + str(request.query_params)
    return view


def install(app: FastAPI) -> None:
    app.mount("/assets/web", StaticFiles(directory=str(HERE / "static")), name="web-assets")

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        ts = await tariffs(request)
        view = build_view(ts, request)
        status = 422 if view.errors else 200
        return templates.TemplateResponse(request, "page.html", {"v": view}, status_code=status)
