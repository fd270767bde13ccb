"""GET /: the comparison page. A plain HTML form whose query string uses the API's field names
(`weight`, `dims`, `value`, `date`, `delivery`), so a shared link opens filled and answered and the
browser's back/forward moves between answers with no script at all.

The table comes from the same quoting path as POST /v1/quotes, the chart and the weight bands from the
same curves run as GET /v1/curves. The page speaks Chinese, Russian or English (`api.web.i18n`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from ratecalc import InputError, TariffSet
from ratecalc.i18n import LANGUAGES, NAMES, Lang
from ratecalc.money.bands import band_ties, cheapest_bands
from ratecalc.pricing.facts import facts_for
from ratecalc.pricing.result import ServiceQuote
from ratecalc.pricing.ties import group_ties
from ratecalc.pricing.wording import CONFIDENCE, DELIVERY, reasons_text
from ratecalc.tariffdata.confidence import confidence_of

from ..deps import tariffs
from ..errors import FieldError, from_input_error
from ..models import QuoteOptions
from ..quoting import Invalid, quote_parcels
from ..routers.curves import CurvesResponse, curves_response, parcel_from_query, run_curves
from . import catalogue, i18n
from .chart import Picture, draw
from .money import MoneyView, build_money, money_form, suggestions
from .ties import TieRow, tie_rows
from .wording import band_note, field_error

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
i18n.install(templates.env)
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
    confidence_label: str
    why: str
    to_sc: bool = False


@dataclass
class View:
    form: dict
    t: Lang
    errors: dict[str, str] = field(default_factory=dict)
    priced: list[Row] = field(default_factory=list)
    ties: list[TieRow] = field(default_factory=list)  # the priced services, ties as one row
    band_ties: list[list[tuple[str, str]]] = field(default_factory=list)  # per cheapest band: (id, name) tied
    tied_count: dict[str, int] = field(default_factory=dict)  # band winner -> how many tie with it there
    unpriced: list[Row] = field(default_factory=list)
    ineligible: list[Row] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  # parts of one line, none to be broken inside
    curves: Optional[CurvesResponse] = None
    picture: Optional[Picture] = None
    curves_url: str = ""
    notice: Optional[str] = None  # the tariff set's word on the date (no rates held, stale rates)
    days_to_sc: bool = False  # some days count to Ozon's sorting centre (explained under the table)
    band_note: Optional[str] = None
    money: Optional[MoneyView] = None  # the money part (profit per carrier, or the price for a target)
    upload: Optional[Any] = None  # the catalogue part: its limits and its script's words
    lang: str = ""  # the language named in the query string ("" = chosen from the browser's)
    switch: list[tuple[str, str, str, bool]] = field(default_factory=list)  # (code, name, url, current)


def _row(q: ServiceQuote, t: Lang, why: str) -> Row:
    days = f"{q.delivery_days.min}–{q.delivery_days.max}" if q.delivery_days else "—"
    to_sc = bool(q.delivery_days and q.delivery_days.basis == "dropoff_to_sorting_centre")
    conf = confidence_of(q.tariff.sources, q.tariff.confidence)
    return Row(
        service=q.service,
        service_id=q.service_id,
        carrier=q.carrier,
        status=q.status,
        price=t.money(q.price.amount, q.price.currency) if q.price else "—",
        amount=Decimal(q.price.amount) if q.price else None,
        currency=q.price.currency if q.price else "",
        days=days,
        chargeable=t.grams(q.chargeable_weight_g),
        confidence=conf,
        confidence_label=t._(CONFIDENCE.get(conf, conf)),
        why=why,
        to_sc=to_sc,
    )


def _notice(ts: TariffSet, day: dt.date, t: Lang) -> Optional[str]:
    """The tariff set's coverage of the date, in the page's words (the library's message names CLI flags)."""
    c = ts.coverage(day)
    if c.message is None:
        return None
    if c.priced:  # priced, but long after the newest sheet held: the prices may be out of date
        return t._(
            "The newest rates held start on %(start)s; Ozon publishes a new sheet every few months, so these "
            "prices may be out of date. A newer sheet can be imported with ratecalc tariffs import.",
            start=t.date(c.newest_start) if c.newest_start else "—",
        )
    near = [
        t._("up to %(day)s", day=t.date(c.previous)) if c.previous else "",
        t._("from %(day)s", day=t.date(c.next)) if c.next else "",
    ]
    held = t._(" and ").join(x for x in near if x) or t._("none")
    return t._(
        "No rates are held for orders on %(day)s. Dates with rates: %(held)s; change the order date above.",
        day=t.date(day),
        held=held,
    )


def _form(request: Request) -> dict:
    qp = request.query_params
    form: dict[str, Any] = {k: (qp.get(k) or "").strip() for k in FIELDS}
    form["date"] = form["date"] or dt.date.today().isoformat()
    form["delivery"] = form["delivery"] or "pickup_point"
    form["battery"] = qp.get("battery", "").lower() in TRUE
    form["liquid"] = qp.get("liquid", "").lower() in TRUE
    form["sort"] = "days" if qp.get("sort") == "days" else "price"
    return form


def _switch(request: Request, current: str) -> list[tuple[str, str, str, bool]]:
    """The language links: this page's own query with `lang` replaced."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return [(c, NAMES[c], "/?" + urlencode([*query, ("lang", c)]), c == current) for c in LANGUAGES]


def _errors(view: View, errors: list[FieldError]) -> None:
    for e in errors:
        name = e.path.lstrip("$.").split(".")[0].split("[")[0] or "form"
        view.errors.setdefault(name, field_error(name, e, view.t))


def build_view(ts: TariffSet, request: Request, t: Lang) -> View:
    form = _form(request)
    view = View(form=form, t=t, lang=i18n.explicit_lang(request), switch=_switch(request, t.code))
    view.money = MoneyView(form=money_form(request), categories=suggestions(dt.date.today(), t))
    view.upload = catalogue.upload_view(request, t)
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
        _errors(view, exc.errors)
        return view
    quotes, _ = outcome
    compiled = ts.compiled(())
    rows = []
    for q in quotes:
        why = reasons_text(q, parcel, facts_for(compiled, q, parcel), t) if q.status != "ok" else ""
        rows.append(_row(q, t, why))
    view.priced = [r for r in rows if r.status == "ok"]
    view.ties = tie_rows(group_ties(quotes), {r.service_id: r for r in view.priced}, compiled, parcel, t)
    view.unpriced = [r for r in rows if r.status == "unpriced"]
    view.ineligible = [r for r in rows if r.status == "ineligible"]
    view.days_to_sc = any(r.to_sc for r in view.priced)
    view.summary = [
        t.grams(parcel.weight_g),
        "×".join(str(s // 10) if s % 10 == 0 else f"{s / 10:g}" for s in parcel.dims_mm) + " " + t._("cm"),
        *(
            [t._("declared %(value)s", value=t.money(parcel.declared_value.amount, parcel.declared_value.currency))]
            if parcel.declared_value
            else []
        ),
        t._("order date %(day)s", day=t.date(parcel.order_date)),
        t._(DELIVERY.get(parcel.delivery, parcel.delivery)),
    ]
    view.notice = _notice(ts, parcel.order_date, t)
    view.curves = curves_response(curves)
    view.band_note = band_note(view.curves.cheapest.note, t)
    view.band_ties = band_ties(curves, cheapest_bands(curves, "price"))
    for tied in view.band_ties:  # the legend says a band's winner is one of a tie, not the cheapest alone
        if tied:
            view.tied_count[tied[0][0]] = max(view.tied_count.get(tied[0][0], 0), len(tied) - 1)
    view.picture = draw(view.curves, t, view.band_ties)
    allow_cbr = bool(getattr(request.app.state, "settings", None) and request.app.state.settings.page_cbr)
    view.money = build_money(ts, parcel, form, request, t, allow_cbr)
    view.curves_url = "/v1/curves?" + urlencode(
        [(k, v) for k, v in request.query_params.multi_items() if k in FIELDS or k in ("battery", "liquid")]
    )
    return view


def install(app: FastAPI) -> None:
    app.mount("/assets/web", StaticFiles(directory=str(HERE / "static")), name="web-assets")
    catalogue.install(app)

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        ts = await tariffs(request)
        t = i18n.request_lang(request)
        view = await run_in_threadpool(build_view, ts, request, t)  # the money part searches prices: CPU
        status = 422 if view.errors or (view.money and view.money.errors) else 200
        i18n.use(t)
        response = templates.TemplateResponse(request, "page.html", {"v": view, "t": t}, status_code=status)
        response.headers["Content-Language"] = {"zh": "zh-Hans"}.get(t.code, t.code)
        response.headers["Vary"] = "Accept-Language"
        return response
