"""POST /v1/economics: profit, margin and ROI per carrier at a sale price, or the lowest price reaching
a target margin or profit (ratecalc.economics). Bad input is a 422 problem naming the field.

Rates: explicit `fx` in the request, then the file named by RATECALC_RATES_FILE (server side), then the
CBR feed only when the request sets `use_cbr` (a network call must not surprise a caller).
CPU-bound (a reverse search is ~0.1-0.3 s), so the route is sync and runs in the thread pool.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Annotated, Any, Literal, Optional, Union

from fastapi import APIRouter, Depends
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ratecalc import InputError, Parcel, TariffSet
from ratecalc.economics import EconomicsInput, Target, economics, reverse_price
from ratecalc.fx import build_chain
from ratecalc.units import MAX_TEXT_CHARS, Money, parse_money

from ..deps import tariffs
from ..errors import Problem, from_input_error, invalid
from ..models import DIMS_PATTERN, WEIGHT_PATTERN, MoneyAny, MoneyIn, bounded_values

router = APIRouter(prefix="/v1", tags=["economics"])

PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}
RATES_FILE_ENV = "RATECALC_RATES_FILE"

Pct = Annotated[str, StringConstraints(pattern=r"^-?\d{1,3}([.,]\d{1,4})?%?$")]
PriceRub = Annotated[str, StringConstraints(pattern=r"^\d{1,7}([.,]\d{1,2})?$")]
Rate = Annotated[str, StringConstraints(pattern=r"^\d{1,7}([.,]\d{1,8})?$")]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]


class EconomicsRequest(BaseModel):
    """One SKU. Give exactly one of `sale_price`, `target_margin_pct`, `target_profit_rub`."""

    weight: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS, pattern=WEIGHT_PATTERN)] = Field(
        examples=["450g"]
    )
    dims: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS, pattern=DIMS_PATTERN)] = Field(
        examples=["20x15x10cm"]
    )
    date: Optional[Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]] = Field(
        None, examples=["2025-12-05"]
    )
    delivery: Literal["pickup_point", "courier"] = "pickup_point"
    battery: bool = False
    liquid: bool = False
    category: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(examples=["pharmacy"])
    scheme: Literal["rfbs", "fbp"] = "rfbs"
    # The shared vocabulary's names and their old spellings are both accepted (`cost` as on the CLI).
    purchase_cost: MoneyAny = Field(
        description="any currency, e.g. 62CNY (also accepted as `cost`)",
        examples=["62CNY"],
        validation_alias=AliasChoices("purchase_cost", "cost"),
    )
    packaging: Optional[MoneyAny] = None
    first_mile: Optional[MoneyAny] = None
    acquiring_pct: Pct = Field("0", validation_alias=AliasChoices("acquiring_pct", "acquiring"))
    fx_loss_pct: Pct = "0"
    ads_pct: Pct = "0"
    return_rate_pct: Pct = "0"
    # The three modes are absent or a string, never null: the schema's oneOf counts a present key.
    sale_price: PriceRub = Field(  # type: ignore[assignment]
        None,
        description="sale price in RUB (also the declared price; also accepted as `price`)",
        examples=["1499"],
        validation_alias=AliasChoices("sale_price", "price"),
    )
    target_margin_pct: Pct = Field(  # type: ignore[assignment]
        None, validation_alias=AliasChoices("target_margin_pct", "target_margin")
    )
    target_profit_rub: PriceRub = Field(  # type: ignore[assignment]
        None, validation_alias=AliasChoices("target_profit_rub", "target_profit")
    )
    fx: dict[Code, Rate] = Field(default_factory=dict, description='RUB per unit, e.g. {"CNY": "11.5"}')
    use_cbr: bool = Field(False, description="fall back to the CBR daily feed (cached on disk)")
    ozon_fee: Optional[Literal["flat-15", "percent-2"]] = None
    readings: list[Annotated[str, StringConstraints(max_length=100)]] = Field(default_factory=list, max_length=20)

    _bounded = model_validator(mode="before")(bounded_values)

    @model_validator(mode="after")
    def _one_mode(self) -> EconomicsRequest:
        given = [x is not None for x in (self.sale_price, self.target_margin_pct, self.target_profit_rub)]
        if sum(given) != 1:
            raise ValueError("give exactly one of sale_price, target_margin_pct, target_profit_rub")
        return self

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=lambda schema: _one_mode_schema(schema),
    )


def _one_mode_schema(schema: dict) -> None:
    """Say in the schema what `_one_mode` enforces: exactly one mode key, present and not null."""
    for name in _MODES:
        schema.get("properties", {}).get(name, {}).pop("default", None)
    schema["oneOf"] = [{"required": [name]} for name in _MODES]


_MODES = ("sale_price", "target_margin_pct", "target_profit_rub")


class EconomicsResponse(BaseModel):
    mode: Literal["forward", "reverse"]
    result: dict[str, Any] = Field(
        description="forward: lines, skipped, cliffs, warnings, notes; reverse: target, lines, notes"
    )


_PATHS = {
    "target_margin": "target_margin_pct",
    "target_profit": "target_profit_rub",
    "value": "sale_price",
    "max_price": "sale_price",
    "number": "weight",
}


def _money(value: Union[str, MoneyIn, None], field: str) -> Optional[Money]:
    if value is None:
        return None
    if isinstance(value, MoneyIn):
        return parse_money(f"{value.amount}{value.currency}", field)
    return parse_money(value, field)


def _dec(text: str) -> Decimal:
    return Decimal(text.strip().rstrip("%").replace(",", "."))


@router.post(
    "/economics",
    response_model=EconomicsResponse,
    responses={422: PROBLEM},
    summary="Unit economics per carrier, or the lowest price reaching a target",
)
def post_economics(body: EconomicsRequest, ts: TariffSet = Depends(tariffs)) -> EconomicsResponse:
    """Commission, carrier price, Ozon fee (RUB), profit, margin, ROI per priced carrier; cliffs nearby."""
    try:
        parcel = Parcel.parse(
            body.weight, body.dims, date=body.date, delivery=body.delivery, battery=body.battery, liquid=body.liquid
        )
        inp = EconomicsInput(
            parcel=parcel,
            category=body.category,
            purchase_cost=_money(body.purchase_cost, "purchase_cost"),  # type: ignore[arg-type]
            scheme=body.scheme,
            packaging=_money(body.packaging, "packaging"),
            first_mile=_money(body.first_mile, "first_mile"),
            acquiring_pct=_dec(body.acquiring_pct),
            fx_loss_pct=_dec(body.fx_loss_pct),
            ads_pct=_dec(body.ads_pct),
            return_rate_pct=_dec(body.return_rate_pct),
            ozon_fee=body.ozon_fee,
            readings=tuple(body.readings),
        )
        chain = build_chain(dict(body.fx), os.environ.get(RATES_FILE_ENV) or None, cbr=body.use_cbr)
        if body.sale_price is not None:
            result = economics(ts, inp, _dec(body.sale_price), chain)
            return EconomicsResponse(mode="forward", result=result.to_dict())
        target = (
            Target("margin", _dec(body.target_margin_pct))
            if body.target_margin_pct is not None
            else Target("profit", _dec(body.target_profit_rub or "0"))
        )
        return EconomicsResponse(mode="reverse", result=reverse_price(ts, inp, target, chain).to_dict())
    except InputError as exc:
        raise invalid([from_input_error(exc, f"$.{_PATHS.get(exc.field, exc.field)}")]) from None
