"""GET /v1/curves: price against weight for every service at one parcel's size, value and date.

One engine run over a weight grid (ratecalc.pricing.curves); the answer has each service's step curve and the
cheapest and fastest service per weight band. The web page at `/` draws exactly this answer.
"""

from __future__ import annotations

from typing import Literal, Optional

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, ValidationError

from ratecalc import InputError, Parcel, TariffSet
from ratecalc.money.bands import Bands, cheapest_bands
from ratecalc.pricing.curves import MAX_POINTS, Curves, price_curves
from ratecalc.pricing.result import DaysOut
from ratecalc.tariffdata.confidence import Confidence
from ratecalc.units import MAX_WEIGHT_G, Money, parse_weight

from ..deps import tariffs
from ..errors import Problem, from_input_error, from_pydantic, invalid
from ..models import DateText, Delivery, QuoteOptions, QuoteParcel, Readings
from ..patterns import DIMS_PATTERN, DIMS_RULES, MONEY_PATTERN, MONEY_RULES, WEIGHT_PATTERN, WEIGHT_RULES
from ..quoting import Invalid, to_parcel

router = APIRouter(prefix="/v1", tags=["curves"])

PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}


class PriceOut(BaseModel):
    amount: str = Field(description="decimal string, exact")
    currency: str


class Series(BaseModel):
    service_id: str
    service: str
    carrier: str
    carrier_id: str
    currency: str
    confidence: Confidence = Field(description="how far the rate can be trusted, from its sources")
    delivery_days: Optional[DaysOut]
    prices: list[Optional[str]] = Field(description="price at each of `weights_g` (decimal string), null = none")


class BandOut(BaseModel):
    from_g: int
    to_g: int
    service_id: Optional[str] = Field(description="null: no service has a price in this band")
    service: Optional[str]
    price_from: Optional[PriceOut]
    price_to: Optional[PriceOut]
    delivery_days: Optional[DaysOut]


class BandsOut(BaseModel):
    by: Literal["price", "days"]
    compared_in: Optional[str] = Field(description="currency the prices were compared in; null: not comparable")
    note: Optional[str]
    bands: list[BandOut]


class CurvesResponse(BaseModel):
    weight_g: int = Field(description="the parcel's own weight (a point of the grid)")
    dims_mm: list[int]
    date: str
    value: Optional[PriceOut]
    delivery: str
    weights_g: list[int]
    series: list[Series]
    cheapest: BandsOut
    fastest: BandsOut


def _price(m: Optional[Money]) -> Optional[PriceOut]:
    return None if m is None else PriceOut(amount=f"{m.amount:f}", currency=m.currency)


def _days(d: Optional[tuple[int, int]], basis: Optional[str]) -> Optional[DaysOut]:
    return None if d is None else DaysOut(min=d[0], max=d[1], basis=basis)


def _bands(b: Bands) -> BandsOut:
    return BandsOut(
        by=b.by,
        compared_in=b.compared_in,
        note=b.note,
        bands=[
            BandOut(
                from_g=x.from_g,
                to_g=x.to_g,
                service_id=x.service_id,
                service=x.service,
                price_from=_price(x.price_from),
                price_to=_price(x.price_to),
                delivery_days=_days(x.delivery_days, x.days_basis),
            )
            for x in b.bands
        ],
    )


def curves_response(curves: Curves) -> CurvesResponse:
    """The JSON answer of a curves run (the page renders the same object)."""
    p = curves.parcel
    series = []
    for c in curves.services:
        prices = [None if v < 0 else f"{Money.from_minor(v, c.currency).amount:f}" for v in c.price_minor.tolist()]
        series.append(
            Series(
                service_id=c.service_id,
                service=c.service,
                carrier=c.carrier,
                carrier_id=c.carrier_id,
                currency=c.currency,
                confidence=c.confidence,
                delivery_days=_days(c.delivery_days, c.days_basis),
                prices=prices,
            )
        )
    return CurvesResponse(
        weight_g=p.weight_g,
        dims_mm=list(p.dims_mm),
        date=p.order_date.isoformat(),
        value=_price(p.declared_value),
        delivery=p.delivery,
        weights_g=curves.weights_g.tolist(),
        series=series,
        cheapest=_bands(cheapest_bands(curves, "price")),
        fastest=_bands(cheapest_bands(curves, "days")),
    )


def parcel_from_query(raw: dict, root: str = "query") -> Parcel:
    """A Parcel from query parameters named as the API's fields; raises Invalid naming each bad one."""
    try:
        item = QuoteParcel.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as exc:
        raise Invalid(from_pydantic([dict(e) for e in exc.errors()], root)) from None
    return to_parcel(item, QuoteOptions(), root)


def run_curves(
    ts: TariffSet,
    parcel: Parcel,
    *,
    readings: list[str],
    weight_max: Optional[str],
    step_g: Optional[int],
    root: str = "query",
) -> Curves:
    """price_curves with its input errors turned into Invalid (paths under `root`)."""
    try:
        top = parse_weight(weight_max, "weight_max") if weight_max else None
        return price_curves(ts, parcel, readings=readings, max_weight_g=top, step_g=step_g)
    except InputError as exc:
        name = {"step": "step_g"}.get(exc.field, exc.field)  # the query parameter's own name
        raise Invalid([from_input_error(exc, f"{root}.{name}")]) from None


@router.get(
    "/curves",
    operation_id="curves",
    response_model=CurvesResponse,
    responses={422: PROBLEM},
    summary="Price against weight for every service; cheapest and fastest service per weight band",
)
async def curves(
    weight: str = Query(
        ...,
        max_length=64,
        pattern=WEIGHT_PATTERN,
        description=f"the parcel's own weight, e.g. 400g (marked on the curve): {WEIGHT_RULES}",
    ),
    dims: str = Query(
        ..., max_length=64, pattern=DIMS_PATTERN, description=f"L x W x H and a unit, e.g. 30x20x15cm: {DIMS_RULES}"
    ),
    value: Optional[str] = Query(
        None, max_length=64, pattern=MONEY_PATTERN, description=f"declared value, e.g. 1000RUB: {MONEY_RULES}"
    ),
    date: Optional[DateText] = Query(None, description="order date YYYY-MM-DD (default: the server's today)"),
    delivery: Delivery = Query("pickup_point"),
    battery: bool = Query(False),
    liquid: bool = Query(False),
    reading: Optional[Readings] = Query(None, description="a named reading where sources conflict (repeatable)"),
    weight_max: Optional[str] = Query(
        None,
        max_length=64,
        pattern=WEIGHT_PATTERN,
        description=f"right end of the grid (default: 5kg or 2x): {WEIGHT_RULES}",
    ),
    step_g: Optional[int] = Query(
        None, ge=1, le=MAX_WEIGHT_G, description=f"grid step in grams (default: at most ~400 points; {MAX_POINTS} max)"
    ),
    ts: TariffSet = Depends(tariffs),
) -> CurvesResponse:
    """Every service in force on the date, priced at each weight of a grid in one engine run."""
    raw = dict(weight=weight, dims=dims, value=value, date=date, delivery=delivery, battery=battery, liquid=liquid)
    try:
        parcel = parcel_from_query(raw)
        result = run_curves(ts, parcel, readings=reading or [], weight_max=weight_max, step_g=step_g)
    except Invalid as exc:
        raise invalid(exc.errors) from None
    return curves_response(result)
