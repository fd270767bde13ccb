"""Request and response bodies of the HTTP API (pydantic at the edge).

Quotes are `ratecalc.pricing.compact.CompactQuote` in every answer (the CLI's `--json`; `?expand=` adds the rest of
the library's `ServiceQuote`); nothing here redefines them. A parcel may be written as people write it (`"1.2kg"`,
`"30x20x10cm"`, `"1500RUB"`) or in integer units (`weight_g`, `dims_mm`, `value` as an object);
the response echoes it back resolved to integer units.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    Tag,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ratecalc.pricing.compact import CompactQuote
from ratecalc.tariffdata.schema import Service
from ratecalc.units import (
    CURRENCY_EXPONENT,
    MAX_SIDE_MM,
    MAX_TEXT_CHARS,
    MAX_WEIGHT_G,
    check_currency,
    parse_dims,
    parse_money,
    parse_weight,
)

from .errors import PATTERN_PARSERS, FieldError
from .patterns import (
    AMOUNT_PATTERN,
    CURRENCY_PATTERN,
    DATE_PATTERN,
    DIMS_PATTERN,
    DIMS_RULES,
    MONEY_PATTERN,
    MONEY_RULES,
    WEIGHT_PATTERN,
    WEIGHT_RULES,
)

Delivery = Literal["pickup_point", "courier"]
Status = Literal["ok", "unpriced", "ineligible"]
Short = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def whole_number(value: object) -> object:
    """JSON Schema's `integer` includes 1.0 (and excludes true): so does the server."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


# JSON integers within bounds: 300 or 300.0, never true, "300" or 300.5. The bounds sit on the strict int
# inside `whole_number`, where pydantic-core checks them itself (outside it they were Python functions, ~1.5 µs
# a number, four numbers in every quote request); same errors, and the JSON schema written out in JSON
# Schema's own keywords.
Side = Annotated[
    Annotated[StrictInt, Field(gt=0, le=MAX_SIDE_MM)],
    BeforeValidator(whole_number),
    WithJsonSchema({"type": "integer", "exclusiveMinimum": 0, "maximum": MAX_SIDE_MM}),
]
WeightG = Annotated[
    Annotated[StrictInt, Field(gt=0, le=MAX_WEIGHT_G)],
    BeforeValidator(whole_number),
    WithJsonSchema({"type": "integer", "exclusiveMinimum": 0, "maximum": MAX_WEIGHT_G}),
]
MaxDays = Annotated[
    Annotated[StrictInt, Field(ge=1, le=365)],
    BeforeValidator(whole_number),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 365}),
]


class MoneyIn(BaseModel):
    """An exact amount: a decimal *string* (never a JSON number, which would be a float) and an ISO code."""

    model_config = ConfigDict(extra="forbid")
    amount: Annotated[str, StringConstraints(pattern=AMOUNT_PATTERN)] = Field(examples=["1500.00"])
    currency: Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)] = Field(
        examples=["RUB"], description=f"ISO 4217, any case: {', '.join(sorted(CURRENCY_EXPONENT))}"
    )


# A value its pattern refuses is run through the library's parser, which names the rule and the limit.
PATTERN_PARSERS.update(
    {
        WEIGHT_PATTERN: parse_weight,
        DIMS_PATTERN: parse_dims,
        MONEY_PATTERN: parse_money,
        CURRENCY_PATTERN: check_currency,
    }
)

# YYYY-MM-DD; `format: date` says in the schema that it is a day of the calendar (checked after the pattern).
DateText = Annotated[
    str,
    StringConstraints(pattern=DATE_PATTERN),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]


def _money_kind(value: object) -> str:
    return "MoneyIn" if isinstance(value, (dict, MoneyIn)) else "MoneyText"


# "1500RUB" or {"amount", "currency"}: chosen by the JSON type, so a bad string gets the string's error only.
MoneyAny = Annotated[
    Union[
        Annotated[
            Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS, pattern=MONEY_PATTERN)], Tag("MoneyText")
        ],
        Annotated[MoneyIn, Tag("MoneyIn")],
    ],
    Discriminator(_money_kind),
]


MAX_VALUES = 2_000  # JSON values in one parcel or one request body: a real one has under 50


def bounded_values(data: Any) -> Any:
    """Refuse a body with more than MAX_VALUES JSON values before field validation: 600,000 unknown keys
    would otherwise become 600,000 errors, seconds of CPU. The walk stops at the limit, so it is cheap."""
    seen, todo = 0, [data]
    while todo:
        item = todo.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            seen += 1
            if seen > MAX_VALUES:
                raise PydanticCustomError(
                    "max_values",
                    "more than {limit_value} JSON values in one parcel or request",
                    {"limit_value": MAX_VALUES},
                )
            if isinstance(child, (dict, list)):
                todo.append(child)
    return data


def _exactly_one_of(schema: dict) -> None:
    """Say in the schema what `to_parcel` enforces: one weight form and one dims form."""
    for name in ("weight", "weight_g", "dims", "dims_mm"):
        schema.get("properties", {}).get(name, {}).pop("default", None)  # absent, never null
    schema.setdefault("allOf", []).extend(
        [
            {"oneOf": [{"required": ["weight"]}, {"required": ["weight_g"]}]},
            {"oneOf": [{"required": ["dims"]}, {"required": ["dims_mm"]}]},
        ]
    )


def _parcel_schema(schema: dict) -> None:
    _exactly_one_of(schema)
    schema["examples"] = [{"weight": "1.2kg", "dims": "30x20x10cm", "date": "2023-06-01", "value": "1500RUB"}]


class QuoteParcel(BaseModel):
    """One parcel. Give exactly one of `weight` / `weight_g` and one of `dims` / `dims_mm`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_parcel_schema)
    _bounded = model_validator(mode="before")(bounded_values)

    # No `null` for the four size fields: the schema's oneOf counts a present key, so must the server.
    weight: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS, pattern=WEIGHT_PATTERN)] = Field(  # type: ignore[assignment]
        None,
        description=f"actual weight, e.g. 1.2kg or 350g, rounded up to the gram: {WEIGHT_RULES}",
    )
    weight_g: WeightG = Field(
        None,  # type: ignore[assignment]
        description="actual weight in grams",
    )
    dims: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS, pattern=DIMS_PATTERN)] = Field(  # type: ignore[assignment]
        None,
        description=f"L x W x H and a unit (mm, cm or m), e.g. 30x20x10cm, rounded up to the mm: {DIMS_RULES}",
    )
    dims_mm: Annotated[list[Side], Field(min_length=3, max_length=3)] = Field(
        None,  # type: ignore[arg-type]
        description="[L, W, H] in millimetres",
    )
    date: Optional[DateText] = Field(None, description="order date YYYY-MM-DD (default: the server's today)")
    value: Optional[MoneyAny] = Field(
        None, description=f'declared value: "1500RUB" ({MONEY_RULES}) or {{"amount": "1500.00", "currency": "RUB"}}'
    )
    delivery: Delivery = Field("pickup_point", description="pickup point or courier (door) delivery")
    battery: StrictBool = False
    liquid: StrictBool = False


class QuoteFilters(BaseModel):
    """Narrow the answer. Every filter names what it keeps; what it hides is counted in `filtered_out`."""

    model_config = ConfigDict(extra="forbid")
    carriers: Optional[Annotated[list[Short], Field(max_length=64)]] = Field(
        None, description="carrier ids (GET /v1/carriers)"
    )
    services: Optional[Annotated[list[Short], Field(max_length=256)]] = Field(None, description="service ids")
    delivery_types: Optional[Annotated[list[Delivery], Field(min_length=1, max_length=2)]] = Field(
        None, description="quote the parcel for each of these delivery types (instead of `delivery`)"
    )
    max_days: Optional[MaxDays] = Field(
        None,
        description="keep services whose published maximum delivery time is at most this (unknown times are dropped)",
    )
    statuses: Optional[Annotated[list[Status], Field(min_length=1, max_length=3)]] = Field(
        None, description="keep only quotes with these statuses"
    )
    min_confidence: Optional[Literal["official", "carrier_sheet", "third_party", "inferred"]] = Field(
        None,
        description="keep services whose tariff is at least this sure (official > carrier_sheet > third_party > "
        "inferred); a tariff that states no confidence is dropped",
    )


Readings = Annotated[list[Short], Field(max_length=32)]
Sort = Literal["price", "days"]


class QuoteOptions(BaseModel):
    scheme: Literal["rfbs", "fbp"] = Field(
        "rfbs",
        description="rfbs: the seller hands the parcel to the carrier (partner delivery); fbp: the lanes from "
        "Ozon's border warehouse",
    )
    readings: Readings = Field(default_factory=list, description="named alternative readings where sources conflict")
    filters: Optional[QuoteFilters] = None
    sort: Sort = Field("price", description="price: ok by price, then unpriced, then ineligible; days: fastest first")


def _request_schema(schema: dict) -> None:
    _exactly_one_of(schema)
    schema["examples"] = [
        {"weight": "1.2kg", "dims": "30x20x10cm", "date": "2023-06-01", "value": "1500RUB"},
        {
            "weight_g": 400,
            "dims_mm": [300, 200, 150],
            "date": "2022-07-01",
            "filters": {"max_days": 20},
            "sort": "days",
        },
    ]


class QuoteRequest(QuoteParcel, QuoteOptions):
    """One parcel (as QuoteParcel) plus readings, filters and the sort order."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_request_schema)


class BatchRequest(QuoteOptions):
    """Up to the configured maximum of parcels (default 10,000); one result per parcel, in order."""

    model_config = ConfigDict(extra="forbid")
    parcels: list[QuoteParcel]


class MoneyOut(BaseModel):
    amount: str = Field(description="decimal string, exact")
    currency: str


class NormalisedParcel(BaseModel):
    """The parcel as quoted: integer units, resolved date and delivery type."""

    weight_g: int
    dims_mm: list[int]
    order_date: str
    declared_value: Optional[MoneyOut]
    delivery: str
    battery: bool
    liquid: bool


class NormalisedRequest(NormalisedParcel):
    scheme: Literal["rfbs", "fbp"] = Field("rfbs", description="the scheme whose lanes were quoted")
    readings: list[str]
    delivery_types: list[str] = Field(description="the delivery types quoted")
    filters: Optional[QuoteFilters]
    sort: Sort


class QuoteResponse(BaseModel):
    request: NormalisedRequest
    quotes: list[CompactQuote] = Field(description="compact quotes; `?expand=` adds billing, tariff, reasons")
    filtered_out: int = Field(description="quotes hidden by the filters")
    notice: Optional[str] = Field(
        None,
        description="said once when the order date has no rates (nearest dates with rates) or only old ones",
    )


class ItemError(BaseModel):
    title: str
    detail: str
    errors: list[FieldError]


CompactQuotes = Annotated[
    list[dict[str, Any]],
    WithJsonSchema({"type": "array", "items": {"$ref": "#/components/schemas/CompactQuote"}}),
]
"""Compact quotes as built by `ratecalc.pricing.compact.compact` (plain dicts: already the JSON, no second pass)."""


class BatchItem(BaseModel):
    index: int = Field(description="position of the parcel in the request, from 0")
    status: Literal["ok", "error"]
    request: Optional[NormalisedParcel] = None
    quotes: Optional[CompactQuotes] = Field(None, description="compact quotes (`?expand=` adds parts)")
    filtered_out: Optional[int] = None
    error: Optional[ItemError] = None


class BatchResponse(BaseModel):
    count: int
    succeeded: int
    failed: int
    results: list[BatchItem]


class ServiceSummary(BaseModel):
    id: str
    name: str
    tier: Optional[str]
    origin: str
    scheme: Literal["rfbs", "fbp"] = Field("rfbs", description="quoted with this scheme (fbp: Ozon's border warehouse)")
    periods: list[str] = Field(description="effective ranges of its versions, from→until (… = open)")
    rates_published: bool


class Carrier(BaseModel):
    carrier_id: str
    carrier: str
    services: list[ServiceSummary]


class CarriersResponse(BaseModel):
    carriers: list[Carrier]


class ServiceDetail(BaseModel):
    carrier: str
    carrier_id: str
    file: str = Field(description="the tariff file it was loaded from, relative to its tariff directory")
    service: Service = Field(description="rules, limits, rates and sources, version by version (the history)")


class TariffFile(BaseModel):
    name: str = Field(description="file name, relative to its tariff directory")
    directory: str = Field(description="the tariff directory's own name (not a server path)")
    layer: int = Field(description="0 = built-in; higher layers override lower ones")
    sha256: str
    kind: str


class TariffsInfo(BaseModel):
    version: str = Field(description="short form of the checksum: changes whenever any file does")
    checksum: str = Field(description="sha256 over every file's layer, name and sha256")
    loaded_at: str
    files: list[TariffFile]
    services: int
    readings: dict[str, str] = Field(description="named readings available: id -> description")


class ReloadResponse(BaseModel):
    reloaded: bool
    checksum: str
    previous_checksum: Optional[str]


class Health(BaseModel):
    status: str
    checksum: Optional[str] = None
