"""The page's rows of priced services: ties (ratecalc.pricing.ties) as one row naming the carriers, and
what still differs between the tied services, read from their rows of the rate sheet (pricing.facts):
Ozon's rating, batteries, liquids, size, weight and value limits, the loss cap, the confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Optional

from ratecalc.i18n import N_, Lang
from ratecalc.pricing.facts import Facts, facts_for
from ratecalc.pricing.parcels import Parcel
from ratecalc.pricing.ties import Tie
from ratecalc.pricing.wording import POLICIES
from ratecalc.tariffdata.compile import CompiledTariffs


@dataclass
class Member:
    service: str
    service_id: str
    carrier: str
    cells: dict[str, str]  # column key -> text


@dataclass
class TieRow:
    label: str  # the tier the tied services share, or the service's name
    names: list[str]  # short names of the services (one for a service alone)
    service_ids: list[str]
    first: object  # the page's Row of the first member (price, days, confidence)
    members: list[Member] = field(default_factory=list)
    differ: list[tuple[str, str]] = field(default_factory=list)  # (key, header) of columns that differ
    same: list[str] = field(default_factory=list)  # "header: value" the tied services share

    @property
    def tied(self) -> bool:
        return len(self.service_ids) > 1


def _dec(d: Optional[Decimal]) -> str:
    return "—" if d is None else f"{d.normalize():f}"


# (key, header, what a row of the sheet says): the columns a seller compares tied services by
COLUMNS: list[tuple[str, str, Callable[[Facts, Lang], str]]] = [
    ("rating", N_("Ozon rating"), lambda f, t: "—" if f.rating is None else str(f.rating)),
    ("batteries", N_("Batteries"), lambda f, t: t._(POLICIES.get(f.batteries, f.batteries))),
    ("liquids", N_("Liquids"), lambda f, t: t._(POLICIES.get(f.liquids, f.liquids))),
    (
        "size",
        N_("Size limit"),
        lambda f, t: t._(
            "sum of sides ≤ %(sum)s cm, longest ≤ %(long)s cm", sum=_dec(f.max_sum_cm), long=_dec(f.max_longest_cm)
        ),
    ),
    (
        "weight",
        N_("Weight limit"),
        lambda f, t: f"{t.grams(f.min_weight_g or 0)} – {t.grams(f.max_weight_g)}" if f.max_weight_g else "—",
    ),
    ("value", N_("Value limit"), lambda f, t: t.money(*f.max_value) if f.max_value else "—"),
    ("loss", N_("Loss compensation cap"), lambda f, t: t.money(*f.loss_cap) if f.loss_cap else "—"),
]
CONFIDENCE_COLUMN = ("confidence", N_("Confidence"))


def tie_rows(ties: list[Tie], rows: dict, compiled: CompiledTariffs, parcel: Parcel, t: Lang) -> list[TieRow]:
    """One TieRow per tie (or service alone), with the columns that differ between tied services."""
    out = []
    for tie in ties:
        row = TieRow(
            label=(tie.tier or tie.first.service) if tie.tied else tie.first.service,
            names=tie.names() if tie.tied else [tie.first.carrier],
            service_ids=tie.service_ids,
            first=rows[tie.first.service_id],
        )
        if tie.tied:
            for q in tie.quotes:
                f = facts_for(compiled, q, parcel)
                cells = {key: (fn(f, t) if f is not None else "—") for key, _, fn in COLUMNS}
                cells["confidence"] = rows[q.service_id].confidence_label
                row.members.append(Member(q.service, q.service_id, q.carrier, cells))
            for key, header in [(k, h) for k, h, _ in COLUMNS] + [CONFIDENCE_COLUMN]:
                values = {m.cells[key] for m in row.members}
                if len(values) > 1:
                    row.differ.append((key, t._(header)))
                elif (value := values.pop()) != "—":  # what the sheet does not say is not a likeness
                    row.same.append(t._("%(what)s: %(value)s", what=t._(header), value=value))
        out.append(row)
    return out


__all__ = ["COLUMNS", "Member", "TieRow", "tie_rows"]
