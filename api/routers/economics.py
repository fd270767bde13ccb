"""POST /v1/economics: profit, margin and ROI per carrier at a sale price, or the lowest price reaching
a target margin or profit (ratecalc.money.economics). Bad input is a 422 problem naming the field.

POST /v1/economics/batch: the same for many SKUs at once, one row per SKU (ratecalc.files.catalogue).

Rates: explicit `fx` in the request, then the file named by RATECALC_RATES_FILE (server side), then the
CBR feed only when the request sets `cbr` (a network call must not surprise a caller).
CPU-bound (a reverse search is ~0.1-0.3 s), so the route is sync and runs in the thread pool.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Annotated, Any, Literal, Optional, Union

from fastapi import APIRouter, Depends, Request
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ratecalc import InputError, Parcel, TariffSet
from ratecalc.money.economics import MAX_PRICE, EconomicsInput, Target, economics, reverse_price
from ratecalc.money.fx import build_chain
from ratecalc.money.storage import MAX_STORAGE_DAYS
from ratecalc.units import CURRENCY_EXPONENT, MAX_TEXT_CHARS, Money, parse_decimal, parse_money

from ..deps import tariffs
from ..errors import OLD_SPELLINGS, PATTERN_PARSERS, ApiProblem, FieldError, Problem, from_input_error, invalid
from ..models import DateText, MoneyAny, MoneyIn, bounded_values, whole_number
from ..patterns import (
    CURRENCY_PATTERN,
    DIMS_PATTERN,
    DIMS_RULES,
    MARGIN_PATTERN,
    PERCENT_PATTERN,
    PROFIT_PATTERN,
    RATE_PATTERN,
    WEIGHT_PATTERN,
    WEIGHT_RULES,
    positive,
)

router = APIRouter(prefix="/v1", tags=["economics"])

PROBLEM = {"model": Problem, "content": {"application/problem+json": {}}}
RATES_FILE_ENV = "RATECALC_RATES_FILE"

Pct = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS, pattern=PERCENT_PATTERN)]
Margin = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS, pattern=MARGIN_PATTERN)]
# RUB and kopecks, above 0 and at most the reverse search's ceiling (the library's input limit).
SALE_PRICE_PATTERN = "^" + positive(int_digits=7, decimals=2, at_most=int(MAX_PRICE)) + "$"
SalePrice = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS, pattern=SALE_PRICE_PATTERN)]
Profit = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS, pattern=PROFIT_PATTERN)]
Rate = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS, pattern=RATE_PATTERN)]
Code = Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)]
# A refused number is explained by the grammar's own parser where it can say why (`1,000`, `３００`); a
# number of the grammar out of its range gets the field's own sentence (errors._SHAPES).
PATTERN_PARSERS.update(
    {
        PERCENT_PATTERN: lambda text: parse_decimal(text.strip().rstrip("%"), "percent", signed=True),
        MARGIN_PATTERN: lambda text: parse_decimal(text.strip().rstrip("%"), "percent", signed=True),
        SALE_PRICE_PATTERN: lambda text: parse_decimal(text, "amount"),
        PROFIT_PATTERN: lambda text: parse_decimal(text, "amount"),
        RATE_PATTERN: lambda text: parse_decimal(text, "rate"),
    }
)
# Whole days as JSON writes them (never true or "3"), within the library's input limit.
StorageDays = Annotated[
    Annotated[StrictInt, Field(ge=0, le=MAX_STORAGE_DAYS)],
    BeforeValidator(whole_number),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_STORAGE_DAYS}),
]
PCT_RULES = "a percentage from 0 to below 100, at most 4 decimals, e.g. 2.5 or 2.5%"
ONE_MODE = "give exactly one of sale_price, target_margin, target_profit"


def _alias(name: str, *old: str) -> AliasChoices:
    """One name per concept (the shared vocabulary); older spellings still accepted."""
    return AliasChoices(name, *old)


class EconomicsRequest(BaseModel):
    """One SKU. Give exactly one of `sale_price`, `target_margin`, `target_profit`.

    Names follow the shared vocabulary; older spellings are accepted as aliases: `target_margin_pct`,
    `target_profit_rub`, `acquiring_pct`, `fx_loss_pct`, `ads_pct`, `return_rate_pct`, `use_cbr`, `cost`,
    `price`, `order_date`.
    """

    weight: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS, pattern=WEIGHT_PATTERN)] = Field(
        examples=["450g"], description=f"actual weight, e.g. 450g: {WEIGHT_RULES}"
    )
    dims: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS, pattern=DIMS_PATTERN)] = Field(
        examples=["20x15x10cm"], description=f"L x W x H and a unit (mm, cm or m): {DIMS_RULES}"
    )
    date: Optional[DateText] = Field(
        None,
        examples=["2025-12-05"],
        description="order date YYYY-MM-DD (default: the server's today)",
        validation_alias=_alias("date", "order_date"),
    )
    delivery: Literal["pickup_point", "courier"] = "pickup_point"
    battery: StrictBool = False
    liquid: StrictBool = False
    category: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        examples=["Car Products"], description="name in Russian, Chinese or English (any case), or slug"
    )
    brand: Optional[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        None, examples=["Apple"], description="applies the brand's own commission rows where Ozon has them"
    )
    scheme: Literal["rfbs", "fbp"] = "rfbs"
    purchase_cost: MoneyAny = Field(
        description="any currency, e.g. 62CNY", examples=["62CNY"], validation_alias=_alias("purchase_cost", "cost")
    )
    packaging: Optional[MoneyAny] = None
    first_mile: Optional[MoneyAny] = None
    acquiring: Pct = Field(
        "0", description=f"acquiring, of the price: {PCT_RULES}", validation_alias=_alias("acquiring", "acquiring_pct")
    )
    fx_loss: Pct = Field(
        "0",
        description=f"currency conversion loss, of the price: {PCT_RULES}",
        validation_alias=_alias("fx_loss", "fx_loss_pct"),
    )
    ads: Pct = Field(
        "0", description=f"advertising, of the price: {PCT_RULES}", validation_alias=_alias("ads", "ads_pct")
    )
    return_rate: Pct = Field(
        "0",
        description=f"share of orders a buyer returns, costed by each service's own return rule: {PCT_RULES}",
        validation_alias=_alias("return_rate", "return_rate_pct"),
    )
    not_collected_rate: Pct = Field(
        "0", description=f"share of orders never picked up: {PCT_RULES}; with return_rate, below 100 %"
    )
    storage_days: Optional[StorageDays] = Field(
        None, description="days a unit waits at Ozon's border warehouse before it ships (scheme fbp only)"
    )
    # The three modes are absent or a string, never null: the schema's oneOf counts a present key.
    sale_price: SalePrice = Field(  # type: ignore[assignment]
        None,
        description=f"sale price in RUB (also the declared price), above 0 and at most {MAX_PRICE} RUB, at most 2 "
        f"decimals; {ONE_MODE}",
        examples=["1499"],
        validation_alias=_alias("sale_price", "price"),
    )
    target_margin: Margin = Field(  # type: ignore[assignment]
        None,
        description=f"the lowest price reaching this margin, in % of the price: above -100 and below 100, at most 4 "
        f"decimals; {ONE_MODE}",
        validation_alias=_alias("target_margin", "target_margin_pct"),
    )
    target_profit: Profit = Field(  # type: ignore[assignment]
        None,
        description=f"the lowest price reaching this profit in RUB, at most 2 decimals; {ONE_MODE}",
        validation_alias=_alias("target_profit", "target_profit_rub"),
    )
    fx: dict[Code, Rate] = Field(
        default_factory=dict,
        description=f'RUB per unit of a currency, above 0, e.g. {{"CNY": "11.5"}}; currencies {", ".join(sorted(CURRENCY_EXPONENT))}',
        json_schema_extra={"propertyNames": {"pattern": CURRENCY_PATTERN}},
    )
    cbr: StrictBool = Field(
        False, description="fall back to the CBR daily feed (cached on disk)", validation_alias=_alias("cbr", "use_cbr")
    )
    ozon_fee: Optional[Literal["flat-15", "percent-2"]] = None
    readings: list[Annotated[str, StringConstraints(max_length=100)]] = Field(default_factory=list, max_length=20)

    _bounded = model_validator(mode="before")(bounded_values)

    @model_validator(mode="after")
    def _one_mode(self) -> EconomicsRequest:
        given = [x is not None for x in (self.sale_price, self.target_margin, self.target_profit)]
        if sum(given) != 1:
            raise PydanticCustomError("one_mode", ONE_MODE)  # its own rule: the page words it per language
        return self

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra=lambda schema: _one_mode_schema(schema),
    )


def _old_spellings(*models: type[BaseModel]) -> dict[str, str]:
    out = {}
    for model in models:
        for name, field in model.model_fields.items():
            if isinstance(field.validation_alias, AliasChoices):
                out.update({str(alias): name for alias in field.validation_alias.choices if alias != name})
    return out


def _one_mode_schema(schema: dict) -> None:
    """Say in the schema what `_one_mode` enforces: exactly one mode key, present and not null. The `oneOf`
    sits inside `allOf` (as the parcel's does): client generators then keep the body a typed model."""
    for name in _MODES:
        schema.get("properties", {}).get(name, {}).pop("default", None)
    schema.setdefault("allOf", []).append({"oneOf": [{"required": [name]} for name in _MODES]})


_MODES = ("sale_price", "target_margin", "target_profit")


class EconomicsResponse(BaseModel):
    mode: Literal["forward", "reverse"]
    result: dict[str, Any] = Field(
        description="forward: commission, lines, skipped, cliffs, warnings, notes; reverse: target, lines, notes"
    )


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
    operation_id="economics",
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
            brand=body.brand,
            packaging=_money(body.packaging, "packaging"),
            first_mile=_money(body.first_mile, "first_mile"),
            acquiring=_dec(body.acquiring),
            fx_loss=_dec(body.fx_loss),
            ads=_dec(body.ads),
            return_rate=_dec(body.return_rate),
            ozon_fee=body.ozon_fee,
            readings=tuple(body.readings),
            not_collected_rate=_dec(body.not_collected_rate),
            storage_days=body.storage_days,
        )
        chain = build_chain(dict(body.fx), os.environ.get(RATES_FILE_ENV) or None, cbr=body.cbr)
        if body.sale_price is not None:
            result = economics(ts, inp, _dec(body.sale_price), chain)
            return EconomicsResponse(mode="forward", result=result.to_dict())
        target = (
            Target("margin", _dec(body.target_margin))
            if body.target_margin is not None
            else Target("profit", _dec(body.target_profit or "0"))
        )
        return EconomicsResponse(mode="reverse", result=reverse_price(ts, inp, target, chain).to_dict())
    except InputError as exc:  # the library names fields in the request's own vocabulary
        raise invalid([from_input_error(exc, f"$.{exc.field}")]) from None


# --------------------------------------------------------------------------- a whole catalogue

CatalogueText = Annotated[str, StringConstraints(max_length=200)]
# A whole number as JSON writes it (300 or 300.0, never true or "300": text is CatalogueText's, length-checked).
CatalogueInt = Annotated[StrictInt, BeforeValidator(whole_number)]


class CatalogueItem(BaseModel):
    """One SKU: the columns of a `ratecalc batch` file plus the economics columns, as text (exact)."""

    model_config = ConfigDict(extra="forbid")
    sku: Optional[CatalogueText] = None
    weight_g: Union[CatalogueText, CatalogueInt]
    length_mm: Union[CatalogueText, CatalogueInt]
    width_mm: Union[CatalogueText, CatalogueInt]
    height_mm: Union[CatalogueText, CatalogueInt]
    date: Optional[CatalogueText] = None
    delivery: Optional[Literal["pickup_point", "courier"]] = None
    battery: Optional[StrictBool] = None
    liquid: Optional[StrictBool] = None
    category: Optional[CatalogueText] = None
    brand: Optional[CatalogueText] = None
    purchase_cost: Optional[CatalogueText] = None
    packaging: Optional[CatalogueText] = None
    first_mile: Optional[CatalogueText] = None
    sale_price: Optional[CatalogueText] = None
    target_margin: Optional[CatalogueText] = None
    target_profit: Optional[CatalogueText] = None
    storage_days: Optional[StorageDays] = None


def _given(name: str, **text: Any) -> dict:
    return {"type": "object", "required": [name], "properties": {name: {"type": "string", **text}}}


def _catalogue_schema(schema: dict) -> None:
    """Say in the schema which columns the whole request needs (the catalogue engine refuses the request
    without them): a purchase cost and a pricing mode on some item, a category on some item or for all.
    An item that lacks one of them while others have it is an error row, not a refusal."""
    items = schema["properties"]["items"]
    items["allOf"] = [{"contains": _given("purchase_cost")}, {"contains": {"anyOf": [_given(m) for m in _MODES]}}]
    on_some_item = {"properties": {"items": {"contains": _given("category")}}}
    schema.setdefault("allOf", []).append({"anyOf": [_given("category", minLength=1), on_some_item]})


class CatalogueRequest(BaseModel):
    """Many SKUs at once; what is given here applies to every item without its own value.

    Some item must have a `purchase_cost` and one of `sale_price`, `target_margin`, `target_profit`, and some
    item (or the request, for all) a `category`; an item without what others have is an error row."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, json_schema_extra=_catalogue_schema)
    items: list[CatalogueItem] = Field(min_length=1)
    date: Optional[DateText] = None
    category: Optional[CatalogueText] = None
    brand: Optional[CatalogueText] = None
    scheme: Literal["rfbs", "fbp"] = "rfbs"
    acquiring: Pct = Field(
        "0", description=f"acquiring, of the price: {PCT_RULES}", validation_alias=_alias("acquiring", "acquiring_pct")
    )
    fx_loss: Pct = Field(
        "0",
        description=f"currency conversion loss, of the price: {PCT_RULES}",
        validation_alias=_alias("fx_loss", "fx_loss_pct"),
    )
    ads: Pct = Field(
        "0", description=f"advertising, of the price: {PCT_RULES}", validation_alias=_alias("ads", "ads_pct")
    )
    return_rate: Pct = Field(
        "0",
        description=f"share of orders a buyer returns: {PCT_RULES}",
        validation_alias=_alias("return_rate", "return_rate_pct"),
    )
    not_collected_rate: Pct = Field(
        "0", description=f"share of orders never picked up: {PCT_RULES}; with return_rate, below 100 %"
    )
    storage_days: Optional[StorageDays] = Field(None, description="for items without their own (scheme fbp only)")
    fx: dict[Code, Rate] = Field(
        default_factory=dict,
        description=f'RUB per unit of a currency, above 0, e.g. {{"CNY": "11.5"}}; currencies {", ".join(sorted(CURRENCY_EXPONENT))}',
        json_schema_extra={"propertyNames": {"pattern": CURRENCY_PATTERN}},
    )
    cbr: StrictBool = Field(
        False, description="fall back to the CBR daily feed (cached on disk)", validation_alias=_alias("cbr", "use_cbr")
    )
    ozon_fee: Optional[Literal["flat-15", "percent-2"]] = None
    readings: list[Annotated[str, StringConstraints(max_length=100)]] = Field(default_factory=list, max_length=20)


OLD_SPELLINGS.update(_old_spellings(EconomicsRequest, CatalogueRequest))


class CatalogueRowError(BaseModel):
    index: int = Field(description="position of the item in `items`")
    column: str
    value: Optional[str]
    reason: str


class CatalogueResponse(BaseModel):
    rows: list[dict[str, Any]] = Field(description="one per costed item, in order, with `index`; money as exact text")
    errors: list[CatalogueRowError]


def _cell(v: Any) -> Optional[str]:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@router.post(
    "/economics/batch",
    operation_id="economicsBatch",
    response_model=CatalogueResponse,
    responses={413: PROBLEM, 422: PROBLEM},
    summary="Unit economics for many SKUs: one row per SKU (best carrier, or the lowest price for a target)",
)
def post_economics_batch(
    body: CatalogueRequest, request: Request, ts: TariffSet = Depends(tariffs)
) -> CatalogueResponse:
    """The `ratecalc economics --input` engine on JSON items: partial success, bad items listed in `errors`."""
    import pyarrow as pa

    from ratecalc.files.catalogue import Options, cost_catalogue

    limit = request.app.state.settings.max_batch
    if len(body.items) > limit:
        raise ApiProblem(
            413,
            "batch-too-large",
            "Batch too large",
            f"a batch holds at most {limit} items",
            [FieldError(path="$.items", message=f"more than {limit} items", rule="max_batch", limit=limit)],
        )
    try:
        names = [n for n in CatalogueItem.model_fields if any(getattr(i, n) is not None for i in body.items)]
        table = pa.table(
            {
                ("order_date" if n == "date" else n): pa.array([_cell(getattr(i, n)) for i in body.items], pa.string())
                for n in names
            }
        )
        opts = Options(
            scheme=body.scheme,
            category=body.category,
            brand=body.brand,
            acquiring=_dec(body.acquiring),
            fx_loss=_dec(body.fx_loss),
            ads=_dec(body.ads),
            return_rate=_dec(body.return_rate),
            ozon_fee=body.ozon_fee,
            not_collected_rate=_dec(body.not_collected_rate),
            storage_days=body.storage_days,
        )
        chain = build_chain(dict(body.fx), os.environ.get(RATES_FILE_ENV) or None, cbr=body.cbr)
        res = cost_catalogue(table, ts.compiled(tuple(body.readings), body.scheme), chain, opts, date=body.date)
    except InputError as exc:
        raise invalid([from_input_error(exc, f"$.items[*].{exc.field}")]) from None
    rows = []
    for r in res.table.to_pylist():
        r["index"] = r.pop("row")
        rows.append({k: (f"{v:f}" if isinstance(v, Decimal) else v) for k, v in r.items()})
    errors = [
        CatalogueRowError(index=e["row"], column=e["column"], value=e["value"], reason=e["reason"])
        for e in res.errors.to_arrow().to_pylist()
    ]
    return CatalogueResponse(rows=rows, errors=errors)
