"""The tariff file format: pydantic models that every `tariffs/*.yaml` must satisfy.

Rate data lives in YAML, rating logic in the engine (karrio's split). The format is written so that both
models Ozon has used fit without engine changes:

* the 2022-2024 USD model: one rate per delivery type, `fixed + per_step x started steps` (step 100 g);
* the late-2024 CNY model: shipment *groups* chosen by price band x weight band (a `shipment_groups`
  document), and per carrier tier one rate row per group, `base + per gram` (step 1 g).

A row of `rates:` is therefore "for this delivery type, and (optionally) this group, charge this".
Money is `Decimal` from the YAML scalar onwards (the loader never builds a float).
"""

import datetime as dt
import functools
from decimal import Decimal
from typing import Annotated, Any, Callable, Final, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from ..units import CURRENCY_EXPONENT
from .confidence import Confidence

SCHEMA_VERSION: Final = 1
MONEY_DECIMALS = 6  # the engine computes in micro-units; a tariff may not be more precise than that

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
Currency = Literal[tuple(sorted(CURRENCY_EXPONENT))]  # type: ignore[valid-type]
DeliveryType = Literal["pickup_point", "courier"]
DELIVERY_TYPES: tuple[DeliveryType, ...] = ("pickup_point", "courier")
Policy = Literal["allowed", "forbidden", "msds_required", "unknown"]
Scheme = Literal["rfbs", "fbp"]
SCHEMES: tuple[Scheme, ...] = ("rfbs", "fbp")  # partner delivery from the seller; Ozon's border warehouse
DaysBasis = Literal["to_buyer", "dropoff_to_sorting_centre", "carrier_stated"]


class _Strict(BaseModel):
    # defer_build: validators are made on the first validation, not on import. A start that reads the
    # compiled-tariff cache never validates a tariff model, so it never pays for building them (~0.1 s).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _default_in_schema(model: type[BaseModel]) -> Callable[[dict[str, Any]], None]:
    """A field's `json_schema_extra`: its default, `model()`, written into the JSON schema as it always was.

    Why not `field: Limits = Limits()`: a default instance is made when the class body runs, and making one
    builds the model's validator, `defer_build` or not (~0.03 s of every import of this module, a third of it).
    A `default_factory` builds nothing until a file leaves the field out; the JSON schema (schema.json, the
    API's OpenAPI) does not show a factory's default, so it is added here, when a schema is generated.
    """

    def add_default(schema: dict[str, Any]) -> None:
        schema["default"] = model().model_dump(mode="json")

    return add_default


def _max_decimals(value: Optional[Decimal], places: int, what: str) -> Optional[Decimal]:
    exponent = value.as_tuple().exponent if value is not None else 0  # a letter for NaN/Infinity, never valid here
    if isinstance(exponent, int) and exponent < -places:
        raise ValueError(f"{what} {value} has more than {places} decimal places")
    return value


def _whole_mm(value: Optional[Decimal], what: str) -> Optional[Decimal]:
    """Centimetre figures must be whole millimetres, so the engine can stay in integers."""
    if value is not None:
        if value <= 0:
            raise ValueError(f"{what} must be positive")
        _max_decimals(value, 1, what)
    return value


class Rounding(_Strict):
    """How the chargeable weight is stepped. `stated: false` marks a step implied, not published."""

    step_g: int = Field(ge=1, le=100_000, description="rounding step in grams (1, 100, 1000)")
    direction: Literal["up", "down", "nearest"] = "up"
    stated: bool = Field(True, description="false when the source does not state the rounding")
    note: Optional[str] = None


class Billing(_Strict):
    """Which weight is billed.

    * `actual`: physical weight only.
    * `greater_of`: max(actual, volumetric); with `threshold_sum_cm`, only when L+W+H exceeds it.
    * `volumetric_above_threshold`: when L+W+H exceeds the threshold, the *volumetric* weight is billed
      (the published wording: "freight is calculated by volumetric weight"), else the actual weight.
    """

    basis: Literal["actual", "greater_of", "volumetric_above_threshold"]
    threshold_sum_cm: Optional[Decimal] = Field(
        None, description="volume counts only when L+W+H (cm) is strictly greater than this"
    )
    divisor: Optional[int] = Field(None, ge=1, description="cm^3 per kg (5000, 6000, 8000, 12000)")
    rounding: Rounding
    min_billable_g: Optional[int] = Field(None, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> "Billing":
        _whole_mm(self.threshold_sum_cm, "threshold_sum_cm")
        if self.basis == "actual":
            if self.divisor is not None or self.threshold_sum_cm is not None:
                raise ValueError("basis 'actual' takes neither divisor nor threshold_sum_cm")
        elif self.divisor is None:
            raise ValueError(f"basis '{self.basis}' needs a divisor")
        if self.basis == "volumetric_above_threshold" and self.threshold_sum_cm is None:
            raise ValueError("basis 'volumetric_above_threshold' needs threshold_sum_cm")
        return self


class MoneyLimit(_Strict):
    amount: Decimal = Field(gt=0)
    currency: Currency  # type: ignore[valid-type]


class MoneyRange(_Strict):
    """An inclusive declared-value range in one currency, as a rate sheet writes it (`7001 - 250 000`)."""

    min: Decimal = Field(ge=0)
    max: Decimal = Field(gt=0)
    currency: Currency  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _ordered(self) -> "MoneyRange":
        if self.min > self.max:
            raise ValueError(f"declared value range {self.min}-{self.max} {self.currency} is reversed")
        return self


class Returns(_Strict):
    """What happens to a cancelled or returned parcel, in the rate sheet's words (translated)."""

    not_collected: Optional[str] = Field(None, description="cancelled, not collected at the drop-off point")
    before_customs: Optional[str] = Field(None, description="cancelled before import customs declaration")
    after_customs: Optional[str] = Field(None, description="cancelled after import customs declaration")


class Limits(_Strict):
    """What a service may carry. Absent = not published (no limit is enforced, and quotes say so)."""

    min_weight_g: Optional[int] = Field(None, ge=1)
    max_weight_g: Optional[int] = Field(None, ge=1)
    max_dims_cm: Optional[list[Decimal]] = Field(
        None, min_length=3, max_length=3, description="compared sorted: longest to longest"
    )
    max_sum_cm: Optional[Decimal] = None
    sum_strict: bool = Field(False, description="true: the sum must be strictly less than max_sum_cm")
    max_longest_cm: Optional[Decimal] = None
    max_declared_value: Optional[MoneyLimit] = None
    value_ranges: list[MoneyRange] = Field(
        default_factory=list,
        description="published declared-value ranges per currency (the engine checks max_declared_value)",
    )
    batteries: Policy = "unknown"
    liquids: Policy = "unknown"
    notes: Optional[str] = None

    @model_validator(mode="after")
    def _consistent(self) -> "Limits":
        for side in self.max_dims_cm or []:
            _whole_mm(side, "max_dims_cm")
        _whole_mm(self.max_sum_cm, "max_sum_cm")
        _whole_mm(self.max_longest_cm, "max_longest_cm")
        if self.min_weight_g and self.max_weight_g and self.min_weight_g > self.max_weight_g:
            raise ValueError("min_weight_g is greater than max_weight_g")
        if self.liquids == "msds_required":
            raise ValueError("liquids: msds_required applies to batteries only")
        return self


class DeliveryDays(_Strict):
    """Published delivery time. `basis` says what the days count: to the buyer (older carrier pages),
    from drop-off to Ozon's sorting centre (Ozon's 2026 rate sheets), or as a carrier advertises."""

    min: int = Field(ge=0)
    max: int = Field(ge=0)
    basis: Optional[DaysBasis] = None

    @model_validator(mode="after")
    def _ordered(self) -> "DeliveryDays":
        if self.min > self.max:
            raise ValueError("delivery_days.min is greater than max")
        return self


class RowRules(_Strict):
    """What Ozon states alike on every carrier's rate row of a shipment group (its rate sheet repeats it per row).

    Kept once, with the group it belongs to (`row_rules` of a group and of a `shipment_groups` version), and
    added to the rows of every service that names the group set in `group_rules`. A row's own `override`
    wins. `limits` and `returns` merge key by key, so an override of one limit keeps the others.
    """

    delivery: Optional[list[DeliveryType]] = Field(None, min_length=1)
    step_g: Optional[int] = Field(None, ge=1, le=100_000)
    currency: Optional[Currency] = None  # type: ignore[valid-type]
    days_basis: Optional[DaysBasis] = Field(None, description="the basis of a row's delivery_days that states none")
    billing: Optional[Billing] = None
    limits: Optional[Limits] = None
    loss_compensation_cap: Optional[MoneyLimit] = None
    returns: Optional[Returns] = None

    @field_validator("delivery", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class VersionRules(_Strict):
    """What every carrier version in the group model states alike; a version's own value wins."""

    date_basis: Optional[str] = None
    billing: Optional[Billing] = None


class RateRow(_Strict):
    """One price: for these delivery types (and this group), `fixed + per_step x started steps`.

    The first step is charged too (Ozon: "the first 100 g is not included in the fixed price").
    A row whose price was not published keeps `fixed`/`per_step` null and says why in `unpublished`.
    """

    delivery: list[DeliveryType] = Field(default_factory=lambda: list(DELIVERY_TYPES), min_length=1)
    group: Optional[str] = Field(None, description="shipment group this row prices (CNY model)")
    fixed: Optional[Decimal] = Field(None, ge=0)
    per_step: Optional[Decimal] = Field(None, ge=0)
    step_g: int = Field(100, ge=1, le=100_000)
    currency: Currency  # type: ignore[valid-type]
    unpublished: Optional[str] = None
    delivery_days: Optional[DeliveryDays] = None
    batteries: Optional[Policy] = None
    liquids: Optional[Policy] = None
    billing: Optional[Billing] = Field(None, description="this row's billing (wins over the group's and version's)")
    limits: Optional[Limits] = Field(None, description="this row's limits, merged over the group's and version's")
    loss_compensation_cap: Optional[MoneyLimit] = None
    returns: Optional[Returns] = None
    method: Optional[str] = Field(None, description="the delivery method as the rate sheet names it")
    rating: Optional[int] = Field(None, ge=1, description="Ozon's rank within the group and tier (1 = best)")
    source_row: Optional[str] = Field(None, description="where the row is in its source, e.g. `中国 rFBS!6`")

    @field_validator("delivery", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _priced_or_said(self) -> "RateRow":
        _max_decimals(self.fixed, MONEY_DECIMALS, "fixed")
        _max_decimals(self.per_step, MONEY_DECIMALS, "per_step")
        if (self.fixed is None) != (self.per_step is None):
            raise ValueError("give both fixed and per_step, or neither (unpublished)")
        if self.fixed is None and not self.unpublished:
            raise ValueError("a row without a price must say why in 'unpublished'")
        if self.fixed is not None and self.unpublished:
            raise ValueError("a priced row cannot also be 'unpublished'")
        if len(set(self.delivery)) != len(self.delivery):
            raise ValueError("delivery types repeat")
        return self

    @property
    def published(self) -> bool:
        return self.fixed is not None


class Version(_Strict):
    """A service's rules and rates over one inclusive date range (null = open on that side)."""

    effective_from: Optional[dt.date] = None
    effective_until: Optional[dt.date] = None
    date_basis: Optional[str] = Field(
        None, description="which date the change is keyed to, when the source says (e.g. delivery date)"
    )
    sources: list[str] = Field(min_length=1)
    billing: Billing
    limits: Limits = Field(default_factory=Limits, json_schema_extra=_default_in_schema(Limits))
    rates: list[RateRow] = Field(min_length=1)
    delivery_days: Optional[DeliveryDays] = None
    confidence: Optional[Confidence] = Field(
        None, description="how sure these numbers are: official, carrier_sheet, third_party, inferred"
    )
    confidence_note: Optional[str] = Field(None, description="one line: why this confidence")
    notes: Optional[str] = None

    @model_validator(mode="after")
    def _consistent(self) -> "Version":
        if (
            self.effective_from is not None
            and self.effective_until is not None
            and self.effective_from > self.effective_until
        ):
            raise ValueError("effective_from is after effective_until")
        seen: set[tuple[str, Optional[str]]] = set()
        for row in self.rates:
            for delivery in row.delivery:
                key = (delivery, row.group)
                if key in seen:
                    raise ValueError(f"two rate rows for delivery {delivery!r}, group {row.group!r}")
                seen.add(key)
        grouped = {row.group is not None for row in self.rates}
        if len(grouped) > 1:
            raise ValueError("rate rows are either all per group or none")
        return self

    def covers(self, day: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_until is None or day <= self.effective_until
        )


def _check_no_overlap(versions: list, what: str) -> None:
    spans = sorted(((v.effective_from or dt.date.min), (v.effective_until or dt.date.max)) for v in versions)
    for i, (start, _end) in enumerate(spans):
        if i and start <= spans[i - 1][1]:
            raise ValueError(f"{what}: versions overlap around {start.isoformat()}")


class Service(_Strict):
    id: Slug
    name: str = Field(min_length=1, description="the service name as published")
    origin: Literal["CN", "HK"] = "CN"
    tier: Optional[str] = Field(None, description="Express / Standard / Economy in the group model")
    scheme: Scheme = Field(
        "rfbs",
        description="rfbs: the seller hands the parcel to the carrier (partner delivery); fbp: the carrier takes "
        "it from Ozon's border warehouse. A quote lists the services of one scheme.",
    )
    notes: Optional[str] = None
    versions: list[Version] = Field(min_length=1)

    @model_validator(mode="after")
    def _dated(self) -> "Service":
        _check_no_overlap(self.versions, f"service {self.id}")
        return self


class CarrierFile(_Strict):
    """`tariffs/<carrier>.yaml`: one carrier and its services."""

    schema_version: Literal[1] = SCHEMA_VERSION
    kind: Literal["carrier"] = "carrier"
    carrier: str = Field(min_length=1)
    carrier_id: Slug
    notes: Optional[str] = None
    services: list[Service] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "CarrierFile":
        ids = [s.id for s in self.services]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"service ids repeat: {sorted(dup)}")
        return self


class Band(_Strict):
    """An inclusive range; null = open on that side."""

    min: Optional[Decimal] = None
    max: Optional[Decimal] = None


class GroupOverride(_Strict):
    """What a group imposes on every rate row that names it (limits and billing are the group's)."""

    name: str
    price: Band = Field(default_factory=Band, json_schema_extra=_default_in_schema(Band))
    weight_g: Band = Field(default_factory=Band, json_schema_extra=_default_in_schema(Band))
    billing: Optional[Billing] = None
    limits: Optional[Limits] = None
    row_rules: Optional[RowRules] = Field(
        None, description="what every carrier rate row of this group states alike (services with group_rules)"
    )
    notes: Optional[str] = None

    def check_row_rules(self) -> None:
        """The row rules may not contradict the group's own limits and billing (they are the same facts)."""
        rules = self.row_rules
        if rules is None:
            return
        if rules.billing is not None and self.billing is not None and rules.billing != self.billing:
            raise ValueError(f"group {self.name!r}: row_rules.billing differs from the group's billing")
        if rules.limits is None or self.limits is None:
            return
        own, stated = self.limits.model_dump(exclude_unset=True), rules.limits.model_dump(exclude_unset=True)
        for key in own.keys() & stated.keys():
            if own[key] != stated[key]:
                raise ValueError(
                    f"group {self.name!r}: row_rules.limits.{key} is {stated[key]}, the group's limit is {own[key]}"
                )


class Reading(_Strict):
    """A named interpretation where sources conflict; `default: true` on the better-supported one.

    Readings that answer the same question share a `conflict` slug: per conflict exactly one reading is the
    default, and a user picks at most one, so choosing an alternative for one conflict keeps the defaults
    of every other conflict.
    """

    id: Slug
    conflict: Slug = Field(description="the question this reading answers; one default per conflict")
    description: str
    default: bool = False
    sources: list[str] = Field(min_length=1)
    groups: list[GroupOverride] = Field(default_factory=list)


class GroupVersion(_Strict):
    effective_from: Optional[dt.date] = None
    effective_until: Optional[dt.date] = None
    date_basis: Optional[str] = None
    price_currency: Currency = "RUB"  # type: ignore[valid-type]
    sources: list[str] = Field(min_length=1)
    groups: list[GroupOverride] = Field(min_length=1)
    readings: list[Reading] = Field(default_factory=list)
    version_rules: Optional[VersionRules] = Field(
        None, description="what every carrier version of these dates states alike (services with group_rules)"
    )
    row_rules: Optional[RowRules] = Field(
        None, description="what every carrier rate row of every group states alike; a group's row_rules add to it"
    )
    confidence: Optional[Confidence] = None
    confidence_note: Optional[str] = None
    notes: Optional[str] = None

    @model_validator(mode="after")
    def _consistent(self) -> "GroupVersion":
        names = [g.name for g in self.groups]
        if len(set(names)) != len(names):
            raise ValueError(f"group names repeat: {names}")
        ids = [r.id for r in self.readings]
        if len(set(ids)) != len(ids):
            raise ValueError(f"reading ids repeat: {ids}")
        defaults: dict[str, list[str]] = {}
        for reading in self.readings:
            defaults.setdefault(reading.conflict, [])
            if reading.default:
                defaults[reading.conflict].append(reading.id)
            for override in reading.groups:
                if override.name not in names:
                    raise ValueError(f"reading {reading.id!r} overrides unknown group {override.name!r}")
                if override.row_rules is not None:
                    raise ValueError(f"reading {reading.id!r}: a reading cannot change row_rules")
        for conflict, chosen in defaults.items():
            if len(chosen) != 1:
                raise ValueError(
                    f"conflict {conflict!r} needs exactly one default reading, has {len(chosen)}: {chosen}"
                )
        for group in self.groups:
            group.check_row_rules()
        return self


class GroupsFile(_Strict):
    """`tariffs/<name>.yaml` of kind `shipment_groups`: the Ozon-wide group bands, dated."""

    schema_version: Literal[1] = SCHEMA_VERSION
    kind: Literal["shipment_groups"]
    id: Slug
    name: str
    notes: Optional[str] = None
    versions: list[GroupVersion] = Field(min_length=1)

    @model_validator(mode="after")
    def _dated(self) -> "GroupsFile":
        _check_no_overlap(self.versions, f"shipment groups {self.id}")
        return self


TariffDocument = Annotated[Union[CarrierFile, GroupsFile], Field(discriminator="kind")]


@functools.cache
def _document() -> TypeAdapter[Union[CarrierFile, GroupsFile]]:
    """The validator of a whole file, made on first use (see `_Strict`)."""
    return TypeAdapter(TariffDocument)


def parse_document(data: object) -> Union[CarrierFile, GroupsFile]:
    """Validate one YAML document; a missing `kind` means a carrier file."""
    if isinstance(data, dict) and "kind" not in data:
        data = {**data, "kind": "carrier"}
    return _document().validate_python(data)


class _TariffJsonSchema(GenerateJsonSchema):
    """Money and centimetres are YAML numbers in a tariff file (the loader reads them as Decimal).

    pydantic describes a Decimal as "number or numeric string", and how it words the string branch varies
    between its releases; keeping only the number branch makes the checked-in schema.json stable and says
    what a person should type.
    """

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> JsonSchemaValue:
        generated = super().decimal_schema(schema)
        for branch in generated.get("anyOf", []):
            if branch.get("type") == "number":
                return branch
        return generated
