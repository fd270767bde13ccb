"""The compact carrier form: a service that takes Ozon's group rules writes only its own facts per row.

A service with `group_rules: <id of a shipment_groups set>` leaves out of its versions and rows what the
group set states for every carrier in its `version_rules` and `row_rules` (billing, limits, value ranges,
loss cap, returns, currency, step, delivery types). Loading adds it back (`group_rules.expand_carrier`), so
the engine reads the same `CarrierFile` as from a file that writes every row in full; a row that differs
from its group's rule says so in `override`. Both forms are valid input, service by service: this module
holds the models of what a file may say (the JSON schema editors use), `schema` the models the engine reads.
"""

import datetime as dt
import functools
import json
from decimal import Decimal
from typing import Annotated, Literal, Optional, Union

from pydantic import Discriminator, Field, Tag, TypeAdapter, model_validator

from .confidence import Confidence
from .schema import (
    SCHEMA_VERSION,
    Billing,
    DeliveryDays,
    GroupsFile,
    Limits,
    Policy,
    RowRules,
    Scheme,
    Service,
    Slug,
    _check_no_overlap,
    _default_in_schema,
    _Strict,
    _TariffJsonSchema,
)


class CompactRateRow(_Strict):
    """A rate row of a service with `group_rules`: the carrier's own facts; the rest is its group's rule."""

    group: str = Field(description="the shipment group this row prices; its rules come with it")
    fixed: Optional[Decimal] = Field(None, ge=0)
    per_step: Optional[Decimal] = Field(None, ge=0)
    unpublished: Optional[str] = None
    delivery_days: Optional[DeliveryDays] = None
    batteries: Optional[Policy] = None
    liquids: Optional[Policy] = None
    method: Optional[str] = Field(None, description="the delivery method as the rate sheet names it")
    rating: Optional[int] = Field(None, ge=1, description="Ozon's rank within the group and tier (1 = best)")
    source_row: Optional[str] = Field(None, description="where the row is in its source, e.g. `中国 rFBS!6`")
    override: Optional[RowRules] = Field(None, description="where this row differs from its group's rule")


class CompactVersion(_Strict):
    """A version of a service with `group_rules`; `date_basis` and `billing` default to the group set's."""

    effective_from: Optional[dt.date] = None
    effective_until: Optional[dt.date] = None
    date_basis: Optional[str] = None
    sources: list[str] = Field(min_length=1)
    billing: Optional[Billing] = None
    limits: Limits = Field(default_factory=Limits, json_schema_extra=_default_in_schema(Limits))
    rates: list[CompactRateRow] = Field(min_length=1)
    delivery_days: Optional[DeliveryDays] = None
    confidence: Optional[Confidence] = None
    confidence_note: Optional[str] = None
    notes: Optional[str] = None

    @model_validator(mode="after")
    def _ordered(self) -> "CompactVersion":
        if self.effective_from and self.effective_until and self.effective_from > self.effective_until:
            raise ValueError("effective_from is after effective_until")
        return self


class CompactService(_Strict):
    """A service whose rows take the rules of their shipment group from the set named in `group_rules`."""

    id: Slug
    name: str = Field(min_length=1, description="the service name as published")
    origin: Literal["CN", "HK"] = "CN"
    tier: Optional[str] = Field(None, description="Express / Standard / Economy in the group model")
    group_rules: Slug = Field(description="id of the shipment_groups set whose rules every row takes")
    scheme: Scheme = Field("rfbs", description="rfbs: partner delivery; fbp: from Ozon's border warehouse")
    notes: Optional[str] = None
    versions: list[CompactVersion] = Field(min_length=1)

    @model_validator(mode="after")
    def _dated(self) -> "CompactService":
        _check_no_overlap(self.versions, f"service {self.id}")
        return self


def _form(value: object) -> str:
    compact = isinstance(value, CompactService) or (isinstance(value, dict) and "group_rules" in value)
    return "compact" if compact else "full"


AnyService = Annotated[
    Union[Annotated[Service, Tag("full")], Annotated[CompactService, Tag("compact")]], Discriminator(_form)
]


class WrittenCarrierFile(_Strict):
    """`tariffs/<carrier>.yaml` as written: each service in full or compact (`group_rules`)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    kind: Literal["carrier"] = "carrier"
    carrier: str = Field(min_length=1)
    carrier_id: Slug
    notes: Optional[str] = None
    services: list[AnyService] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "WrittenCarrierFile":
        ids = [s.id for s in self.services]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"service ids repeat: {sorted(dup)}")
        return self


WrittenDocument = Annotated[Union[WrittenCarrierFile, GroupsFile], Field(discriminator="kind")]


@functools.cache
def _written() -> TypeAdapter[Union[WrittenCarrierFile, GroupsFile]]:
    return TypeAdapter(WrittenDocument)


def is_compact(data: object) -> bool:
    """Whether a carrier file's data has a service in the compact form (the loader expands those)."""
    services = data.get("services") if isinstance(data, dict) else None
    return isinstance(services, list) and any(_form(s) == "compact" for s in services)


def parse_written(data: object) -> Union[WrittenCarrierFile, GroupsFile]:
    """Validate one YAML document as written (compact services allowed); a missing `kind` means a carrier."""
    if isinstance(data, dict) and "kind" not in data:
        data = {**data, "kind": "carrier"}
    return _written().validate_python(data)


def json_schema() -> dict:
    """The JSON Schema editors use to validate tariff files while a person types (either form)."""
    schema = _written().json_schema(schema_generator=_TariffJsonSchema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ratecalc tariff file"
    return schema


def _json_text(value: object, indent: int = 0, lead: int = 0, width: int = 118) -> str:
    """JSON with every object or array that fits in `width` on one line: a property reads as one line."""
    one = json.dumps(value, ensure_ascii=False)
    if indent + lead + len(one) <= width or not isinstance(value, (dict, list)) or not value:
        return one
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            head = json.dumps(key, ensure_ascii=False) + ": "
            items.append(pad + head + _json_text(item, indent + 2, len(head), width))
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    return (
        "[\n" + ",\n".join(pad + _json_text(item, indent + 2, 0, width) for item in value) + "\n" + " " * indent + "]"
    )


def json_schema_text() -> str:
    """`tariffs/schema.json` as `ratecalc tariffs schema` writes it."""
    return _json_text(json_schema()) + "\n"
