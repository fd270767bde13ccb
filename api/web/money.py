"""The page's money part: profit per carrier at a sale price, or the lowest price reaching a target.

The query string uses the API's names (`sale_price`, `purchase_cost`, `category`, `brand`, `scheme`,
`target_margin` / `target_profit`, `packaging`, `return_rate`, `fx=CNY=11.2`), so a link is shared like
the parcel's. The numbers are those of POST /v1/economics because they are made by it: the query becomes
its request model (`EconomicsRequest`, the same validation) and `post_economics` answers it. Rows are
grouped by the one tie rule (ratecalc.pricing.ties) among the quotes at the price each row is costed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Optional

from pydantic import ValidationError
from starlette.requests import Request

from ratecalc import TariffSet
from ratecalc.i18n import Lang
from ratecalc.money.commissions import table_for
from ratecalc.money.ties import group_label, line_groups
from ratecalc.money.wording import cliff_text, skipped_text
from ratecalc.pricing.parcels import Parcel

from ..errors import ApiProblem, FieldError, from_pydantic
from ..routers.economics import EconomicsRequest, post_economics
from .wording import field_error

FIELDS = (
    "sale_price",
    "purchase_cost",
    "category",
    "brand",
    "scheme",
    "target_margin",
    "target_profit",
    "packaging",
    "return_rate",
    "fx",
)
ASKED = ("sale_price", "target_margin", "target_profit", "purchase_cost", "category")


@dataclass
class MoneyRow:
    label: str
    names: list[str]
    service_ids: list[str]
    numbers: dict[str, str]  # exact decimal strings of the API's answer (data-* attributes, what tests compare)
    cells: dict[str, str]  # the same, written for the reader


@dataclass
class MoneyView:
    form: dict[str, str]
    asked: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    mode: Optional[str] = None  # forward | reverse
    rows: list[MoneyRow] = field(default_factory=list)
    unreached: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    commission: Optional[str] = None
    cliffs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    headline: Optional[str] = None
    categories: list[str] = field(default_factory=list)  # suggestions, in the page's language
    request: dict[str, Any] = field(default_factory=dict)  # the POST /v1/economics body the page sent


def money_form(request: Request) -> dict[str, str]:
    qp = request.query_params
    form = {k: (qp.get(k) or "").strip() for k in FIELDS if k != "fx"}
    form["fx"] = ",".join(v.strip() for v in qp.getlist("fx") if v.strip())
    form["scheme"] = form["scheme"].lower() if form["scheme"].lower() in ("rfbs", "fbp") else "rfbs"
    return form


def suggestions(day, t: Lang) -> list[str]:
    """Every category of the commission table in force, named in the page's language (English as fallback)."""
    try:
        table = table_for(day)
    except Exception:  # a date no table covers: no suggestions (the answer itself says why)
        return []
    names = {(getattr(c, t.code, None) or c.en) for c in table.categories if not c.brand}
    return sorted(names)


def _fx(text: str) -> dict[str, str]:
    out = {}
    for part in text.replace(";", ",").split(","):
        code, sep, rate = part.partition("=")
        if part.strip():
            out[code.strip().upper()] = rate.strip() if sep else ""
    return out


def economics_body(parcel_form: dict, form: dict[str, str], allow_cbr: bool) -> dict[str, Any]:
    """The POST /v1/economics body for this page's query (empty fields left out, as a caller would)."""
    body: dict[str, Any] = {
        "weight": parcel_form["weight"],
        "dims": parcel_form["dims"],
        "date": parcel_form["date"],
        "delivery": parcel_form["delivery"],
        "battery": parcel_form["battery"],
        "liquid": parcel_form["liquid"],
        "scheme": form["scheme"],
    }
    for name in FIELDS:
        if name not in ("fx", "scheme") and form.get(name):
            body[name] = form[name]
    rates = _fx(form["fx"])
    if rates:
        body["fx"] = rates
    elif allow_cbr:
        body["cbr"] = True
    return body


def _rub(t: Lang, text: Optional[str]) -> str:
    return "—" if text is None else t.money(text, "RUB")


def _pct(t: Lang, text: Optional[str]) -> str:
    return "—" if text is None else t.percent(Decimal(text))


def _row(lines: list[dict], tie, t: Lang, price: Optional[str]) -> MoneyRow:
    ln = lines[0]
    rub = ln["rub"]
    numbers = {
        "price": price or ln["sale_price_rub"],
        "carrier": rub["carrier"],
        "commission": rub["commission"],
        "ozon_fee": rub["ozon_fee"],
        "returns": rub["returns"],
        "costs": rub["costs"],
        "profit": rub["profit"],
        "margin": ln["margin_pct"],
        "roi": ln["roi_pct"] or "",
    }
    ids = [x["service_id"] for x in lines]
    label, names = group_label(tie, ids, [x["service"] for x in lines])
    if len(ids) == 1:
        names = [ln["carrier"]]
    cp = ln["carrier_price"]
    cells = {
        "price": _rub(t, numbers["price"]),
        "carrier": _rub(t, rub["carrier"]),
        "carrier_price": t.money(cp["amount"], cp["currency"]),  # the carrier's own price, under its RUB
        "commission": _rub(t, rub["commission"]),
        "commission_pct": t.percent(Decimal(ln["commission"]["percent"])),
        "ozon_fee": _rub(t, rub["ozon_fee"]),
        "returns": _rub(t, rub["returns"]),
        "profit": _rub(t, rub["profit"]),
        "margin": _pct(t, ln["margin_pct"]),
        "roi": _pct(t, ln["roi_pct"]),
    }
    return MoneyRow(label, names, ids, numbers, cells)


def _group(ts: TariffSet, parcel: Parcel, items: list[tuple[dict, str]], t: Lang) -> list[MoneyRow]:
    """Lines (each with the price it is costed at) grouped by money.ties.line_groups: the same price and
    one tie there."""
    groups = line_groups(ts, parcel, [(ln["service_id"], Decimal(price)) for ln, price in items])
    return [_row([items[i][0] for i in idx], tie, t, items[idx[0]][1]) for idx, tie in groups]


def _cliff(c: dict, t: Lang) -> str:
    return cliff_text(c["kind"], c["at"], list(c["deltas_rub"].values()), c["message"], t)


def _category_name(day, category_id: str, t: Lang) -> str:
    try:
        c = next(c for c in table_for(day).categories if c.id == category_id)
    except (StopIteration, Exception):
        return category_id
    return getattr(c, t.code, None) or c.en


def _errors(view: MoneyView, errors: list[FieldError], t: Lang) -> None:
    for e in errors:
        name = e.path.lstrip("$.").split(".")[0].split("[")[0] or "sale_price"
        view.errors.setdefault(name, field_error(name, e, t))


def build_money(
    ts: TariffSet, parcel: Parcel, parcel_form: dict, request: Request, t: Lang, allow_cbr: bool
) -> MoneyView:
    """Answer the money part of the query through POST /v1/economics's own request model and function."""
    form = money_form(request)
    view = MoneyView(form=form, categories=suggestions(parcel.order_date, t))
    view.asked = any(form.get(k) for k in ASKED)
    if not view.asked:
        return view
    view.request = economics_body(parcel_form, form, allow_cbr)
    try:
        body = EconomicsRequest.model_validate(view.request)
        answer = post_economics(body, ts).model_dump(mode="json")
    except ValidationError as exc:
        _errors(view, from_pydantic([dict(e) for e in exc.errors()]), t)
        return view
    except ApiProblem as exc:
        _errors(view, exc.errors, t)
        return view
    view.mode, result = answer["mode"], answer["result"]
    if view.mode == "forward":
        _forward(view, ts, parcel, result, t)
    else:
        _reverse(view, ts, parcel, body, result, t)
    return view


def _forward(view: MoneyView, ts: TariffSet, parcel: Parcel, result: dict, t: Lang) -> None:
    price = result["sale_price_rub"]
    view.rows = _group(ts, parcel, [(ln, price) for ln in result["lines"]], t)
    com = result["commission"]
    if com is not None:
        view.commission = t._(
            "Commission %(percent)s of the sale price (%(amount)s): %(category)s, %(scheme)s",
            percent=t.percent(Decimal(com["percent"])),
            amount=t.money(com["amount_rub"], "RUB"),
            category=_category_name(parcel.order_date, com["category"], t),
            scheme=com["scheme"].replace("rfbs", "rFBS").replace("fbp", "FBP"),
        )
    view.cliffs = [_cliff(c, t) for c in result["cliffs"]]
    view.skipped = _skipped(result["skipped"], t)
    view.notes = result["notes"] if t.code == "en" else []
    if view.rows:
        best = view.rows[0]
        view.headline = t._(
            "At %(price)s the most profitable is %(who)s: profit %(profit)s, margin %(margin)s.",
            price=t.money(price, "RUB"),
            who=_who(best),
            profit=best.cells["profit"],
            margin=best.cells["margin"],
        )


def _who(row: MoneyRow) -> str:
    return row.label if len(row.names) == 1 else row.label + " (" + ", ".join(row.names) + ")"


def _skipped(skipped: list[dict], t: Lang) -> list[str]:
    by: dict[str, list[str]] = {}
    for s in skipped:
        by.setdefault(s["status"], []).append(s["service"])
    return [
        t._("%(names)s: %(why)s", names=", ".join(names), why=skipped_text(status, t)) for status, names in by.items()
    ]


def _reverse(view: MoneyView, ts: TariffSet, parcel: Parcel, body: EconomicsRequest, result: dict, t: Lang) -> None:
    reached = [ln for ln in result["lines"] if ln["price_rub"] is not None]
    items = [(ln["economics"], ln["price_rub"]) for ln in reached]
    view.rows = _group(ts, parcel, items, t)
    view.unreached = sorted({ln["service"] for ln in result["lines"] if ln["price_rub"] is None})
    view.notes = result["notes"] if t.code == "en" else []
    target = result["target"]
    goal = (
        t._("a margin of %(value)s", value=t.percent(Decimal(target["value"])))
        if target["kind"] == "margin"
        else t._("a profit of %(value)s", value=t.money(target["value"], "RUB"))
    )
    if not view.rows:
        view.headline = t._("No price up to the input limit reaches %(goal)s.", goal=goal)
        return
    best = view.rows[0]
    view.headline = t._(
        "The lowest price reaching %(goal)s is %(price)s, with %(who)s.",
        goal=goal,
        price=best.cells["price"],
        who=_who(best),
    )
    # the cliffs near that price: the same forward answer a seller gets by asking for it
    nearby = body.model_copy(update={"sale_price": best.numbers["price"], "target_margin": None, "target_profit": None})
    try:
        forward = post_economics(nearby, ts).model_dump(mode="json")["result"]
    except ApiProblem:
        return
    view.cliffs = [_cliff(c, t) for c in forward["cliffs"]]
    com = forward["commission"]
    if com is not None:
        view.commission = t._(
            "Commission at that price %(percent)s: %(category)s, %(scheme)s",
            percent=t.percent(Decimal(com["percent"])),
            category=_category_name(parcel.order_date, com["category"], t),
            scheme=com["scheme"].replace("rfbs", "rFBS").replace("fbp", "FBP"),
        )


__all__ = ["FIELDS", "MoneyRow", "MoneyView", "build_money", "economics_body", "money_form", "suggestions"]
