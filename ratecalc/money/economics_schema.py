"""The economics data files (tariffs/economics/*.yaml) as pydantic models, validated on load.

Why a separate format from the carrier tariffs: Ozon's fee, customs rules and commission tables are not
carrier services, but they follow the same house rule — dated, sourced, exact (Decimal), and a broken
file is refused naming the file and the field, never used half-read.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional, TypeVar, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import TariffError, TariffProblem
from ..tariffdata.loader import builtin_dir
from ..tariffdata.yamlload import load_decimal_yaml


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_period(start: Optional[dt.date], end: Optional[dt.date]) -> None:
    if start is not None and end is not None and end < start:
        raise ValueError(f"effective_until {end} is before effective_from {start}")


def in_force(start: Optional[dt.date], end: Optional[dt.date], day: dt.date) -> bool:
    """Inclusive on both ends; None is open."""
    return (start is None or start <= day) and (end is None or day <= end)


# --------------------------------------------------------------------------- Ozon fee


class FeeRule(_Model):
    id: str
    what: str
    kind: Literal["flat", "percent_of_price"]
    amount: Optional[Decimal] = None
    percent: Optional[Decimal] = None
    min: Optional[Decimal] = None
    max: Optional[Decimal] = None
    currency: Literal["RUB"]
    vat: str
    per: str
    effective_from: Optional[dt.date]
    effective_until: Optional[dt.date]
    tariff_currencies: list[str] = Field(min_length=1)
    confidence: Literal["high", "medium", "low"]
    sourcing: str
    sources: list[str] = Field(min_length=1)

    def flat_amount(self) -> Decimal:
        """The RUB amount of a flat rule (`_shape` guarantees it is there)."""
        if self.kind != "flat" or self.amount is None:
            raise TypeError(f"fee rule {self.id} is not a flat rule")
        return self.amount

    def percent_band(self) -> tuple[Decimal, Decimal, Decimal]:
        """(percent, min, max) of a percent_of_price rule (`_shape` guarantees all three are there)."""
        if self.kind != "percent_of_price" or self.percent is None or self.min is None or self.max is None:
            raise TypeError(f"fee rule {self.id} is not a percent_of_price rule")
        return self.percent, self.min, self.max

    @model_validator(mode="after")
    def _shape(self) -> FeeRule:
        _check_period(self.effective_from, self.effective_until)
        if self.kind == "flat" and (self.amount is None or self.amount < 0):
            raise ValueError("a flat rule needs a non-negative amount")
        if self.kind == "percent_of_price":
            if self.percent is None or self.min is None or self.max is None:
                raise ValueError("a percent_of_price rule needs percent, min and max")
            if not (0 <= self.min <= self.max) or not (0 < self.percent < 100):
                raise ValueError("need 0 <= min <= max and 0 < percent < 100")
        return self


class FeeFile(_Model):
    schema_version: Literal[1]
    rules: list[FeeRule] = Field(min_length=1)


# --------------------------------------------------------------------------- customs


class CustomsRule(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    jurisdiction: str
    effective_from: dt.date
    effective_until: Optional[dt.date]
    kind: Literal["excess", "whole_value"]
    free_value_eur: Decimal
    free_weight_kg: Optional[Decimal] = None
    percent_of_excess_value: Optional[Decimal] = None
    min_eur_per_excess_kg: Optional[Decimal] = None
    percent_of_value: Optional[Decimal] = None
    min_eur_per_kg: Optional[Decimal] = None
    rule_text: str
    value_excludes_delivery: Optional[bool] = None
    confidence: Literal["high", "medium", "low"]
    buyer_pays_source: str
    sources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> CustomsRule:
        _check_period(self.effective_from, self.effective_until)
        if self.kind == "excess" and None in (
            self.free_weight_kg,
            self.percent_of_excess_value,
            self.min_eur_per_excess_kg,
        ):
            raise ValueError("an excess rule needs free_weight_kg, percent_of_excess_value, min_eur_per_excess_kg")
        if self.kind == "whole_value" and None in (self.percent_of_value, self.min_eur_per_kg):
            raise ValueError("a whole_value rule needs percent_of_value and min_eur_per_kg")
        return self


class CustomsFile(_Model):
    schema_version: Literal[1]
    rules: list[CustomsRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_overlap(self) -> CustomsFile:
        rules = sorted(self.rules, key=lambda r: r.effective_from)
        for a, b in zip(rules, rules[1:]):
            if a.effective_until is None or a.effective_until >= b.effective_from:
                raise ValueError(f"customs rules {a.id} and {b.id} overlap")
        return self


# --------------------------------------------------------------------------- border-warehouse storage


class StorageRule(_Model):
    """Storage at Ozon's border warehouse (FBP): free for `free_days`, then a price per m³ per day."""

    id: str
    what: str
    free_days: int = Field(ge=0)
    per_m3_per_day: Decimal = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    effective_from: dt.date
    effective_until: Optional[dt.date]
    confidence: Literal["official", "carrier_sheet", "third_party", "inferred"]
    confidence_note: str
    sources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> StorageRule:
        _check_period(self.effective_from, self.effective_until)
        return self


class StorageFile(_Model):
    schema_version: Literal[1]
    rules: list[StorageRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_overlap(self) -> StorageFile:
        rules = sorted(self.rules, key=lambda r: r.effective_from)
        for a, b in zip(rules, rules[1:]):
            if a.effective_until is None or a.effective_until >= b.effective_from:
                raise ValueError(f"storage rules {a.id} and {b.id} overlap")
        return self


# --------------------------------------------------------------------------- commissions


Confidence = Literal["official", "carrier_sheet", "third_party", "inferred"]
CONFIDENCE_ORDER: tuple[str, ...] = ("official", "carrier_sheet", "third_party", "inferred")  # high -> low


class Category(_Model):
    """One commission category. `ru` is the key of Ozon's workbook (its Russian marketplace category);
    `brand` marks a brand row (Apple, Dyson, ...), which applies only to that brand's goods in the
    categories listed in `applies_to`. `confidence` overrides the table's for this row."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    en: str
    zh: Optional[str] = None
    ru: Optional[str] = None
    aliases: list[str] = Field(default_factory=list)
    brand: Optional[str] = None
    applies_to: list[str] = Field(default_factory=list)
    confidence: Optional[Confidence] = None
    derived: Optional[str] = None  # how a number not read from the source was derived (e.g. FBP = rFBS - 1)
    percent: dict[str, list[Decimal]]

    @field_validator("percent")
    @classmethod
    def _rates(cls, v: dict[str, list[Decimal]]) -> dict[str, list[Decimal]]:
        for scheme, rates in v.items():
            for r in rates:
                if not (0 <= r < 100):
                    raise ValueError(f"{scheme}: commission {r} % is outside 0..100")
                if (Decimal(r) * 100) % 1:
                    raise ValueError(f"{scheme}: commission {r} % has more than two decimals")
        return v


class CommissionTable(_Model):
    schema_version: Literal[1]
    id: str
    title: str
    effective_from: dt.date
    effective_until: Optional[dt.date]
    price_basis: str
    tiers_rub: list[Optional[Decimal]] = Field(min_length=1, description="inclusive upper bounds; last is null")
    schemes: list[str] = Field(min_length=1)
    complete: bool
    confidence: Confidence
    vat: str
    notes: Optional[str] = None
    sources: list[str] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> CommissionTable:
        _check_period(self.effective_from, self.effective_until)
        if self.tiers_rub[-1] is not None:
            raise ValueError("the last tier must be open (null)")
        bounds = [b for b in self.tiers_rub[:-1] if b is not None]
        if len(bounds) != len(self.tiers_rub) - 1 or bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            raise ValueError("tier bounds must be ascending numbers, only the last one null")
        ids = [c.id for c in self.categories]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate category id")
        names: dict[str, str] = {}
        for c in self.categories:  # a name must point at one category, or lookups by name are ambiguous
            for name in {c.id, c.en, c.zh, c.ru}:
                key = (name or "").casefold()
                if key and names.setdefault(key, c.id) != c.id:
                    raise ValueError(f"name {name!r} is used by categories {names[key]} and {c.id}")
        for c in self.categories:
            unknown = [a for a in c.applies_to if a not in ids]
            if unknown:
                raise ValueError(f"category {c.id}: applies_to names unknown categories {unknown}")
        for c in self.categories:
            if sorted(c.percent) != sorted(self.schemes):
                raise ValueError(f"category {c.id}: columns {sorted(c.percent)} != schemes {self.schemes}")
            for scheme, rates in c.percent.items():
                if len(rates) != len(self.tiers_rub):
                    raise ValueError(f"category {c.id} {scheme}: {len(rates)} rates for {len(self.tiers_rub)} tiers")
        return self


# --------------------------------------------------------------------------- loading


def economics_dir() -> Path:
    return builtin_dir() / "economics"


_M = TypeVar("_M", bound=BaseModel)


def _read(path: Path, model: type[_M]) -> _M:
    try:
        data = load_decimal_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TariffError([TariffProblem(path.name, "", f"cannot read: {exc}")]) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [TariffProblem(path.name, ".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()]
        raise TariffError(problems) from None


@lru_cache(maxsize=8)
def load_fee_rules(directory: Union[str, Path, None] = None) -> tuple[FeeRule, ...]:
    path = Path(directory or economics_dir()) / "ozon-fees.yaml"
    return tuple(_read(path, FeeFile).rules)


@lru_cache(maxsize=8)
def load_customs_rules(directory: Union[str, Path, None] = None) -> tuple[CustomsRule, ...]:
    path = Path(directory or economics_dir()) / "customs.yaml"
    return tuple(_read(path, CustomsFile).rules)


@lru_cache(maxsize=8)
def load_storage_rules(directory: Union[str, Path, None] = None) -> tuple[StorageRule, ...]:
    path = Path(directory or economics_dir()) / "fbp-storage.yaml"
    return tuple(_read(path, StorageFile).rules)


@lru_cache(maxsize=8)
def load_commission_tables(directory: Union[str, Path, None] = None) -> tuple[CommissionTable, ...]:
    """Every commissions-*.yaml, sorted by start date; overlapping periods are refused."""
    base = Path(directory or economics_dir())
    tables = sorted(
        (_read(p, CommissionTable) for p in sorted(base.glob("commissions-*.yaml"))),
        key=lambda t: t.effective_from,
    )
    for a, b in zip(tables, tables[1:]):
        if a.effective_until is None or a.effective_until >= b.effective_from:
            raise TariffError([TariffProblem(f"commissions-{b.id}", "effective_from", f"overlaps {a.id}")])
    return tuple(tables)
