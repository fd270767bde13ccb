"""Every USD-era service's weight rule at its edges: change dates, side-sum thresholds, steps, limits.

Expected numbers are worked out by hand from the published carrier rules (a copy is tests/data/carrier-rules.md;
the zh original, `seed-partner-logistics.zh.txt`, wins where they differ), never by calling engine internals.
The hand-written table below is checked against that copy's per-service table.
Volumetric grams = L x W x H (mm^3) / divisor, then stepped up to the service's step.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import NamedTuple, Optional

import pytest

from ratecalc import Parcel

END = "2024-12-04"  # last day of the USD per-100 g model for every service


class Period(NamedTuple):
    start: Optional[str]
    until: str
    basis: str  # actual | greater_of | volumetric
    threshold_cm: Optional[int] = None
    divisor: Optional[int] = None
    step_g: int = 100


def actual(start=None, until=END, step_g=100) -> Period:
    return Period(start, until, "actual", step_g=step_g)


# Written from carrier-rules.md's per-service table (+ zh original), not read from the YAML.
PERIODS: dict[str, list[Period]] = {
    "gbs-super-express": [
        Period(None, "2023-04-30", "greater_of", None, 5000),
        Period("2023-05-01", END, "greater_of", 60, 6000),
    ],
    "gbs-standart": [
        Period(None, "2023-04-30", "greater_of", None, 5000),
        Period("2023-05-01", END, "greater_of", 60, 6000),
    ],
    "gbs-hk": [
        Period(None, "2023-04-30", "greater_of", None, 5000),
        Period("2023-05-01", END, "greater_of", 60, 6000),
    ],
    "gbs-economy": [
        Period(None, "2023-04-30", "greater_of", 100, 5000),
        Period("2023-05-01", "2023-05-30", "greater_of", 60, 6000),
        Period("2023-05-31", END, "greater_of", 100, 6000),
    ],
    "gbs-broker": [actual(None, "2022-05-31"), Period("2022-06-01", END, "greater_of", None, 5000)],
    "leader-gbs-standart": [Period(None, END, "greater_of", None, 6000)],
    "leader-gbs-economy": [Period(None, END, "volumetric", 80, 8000)],
    "flyt-gbs-broker": [Period(None, END, "greater_of", None, 5000)],
    "hecny": [actual()],
    "unitrade-super-express": [actual(None, "2023-07-18"), actual("2023-07-19")],
    "unitrade-super-express-hk": [actual()],
    "unitrade-express": [actual()],
    "unitrade-economy": [actual()],
    "unitrade-super-economy": [actual()],
    "xingyuan-express": [Period(None, END, "volumetric", 90, 6000)],
    "xingyuan-land": [actual()],
    "xingyuan-small": [actual()],
    "ets-super-express-pickup": [Period(None, END, "volumetric", 90, 6000)],
    "ets-express-pickup": [
        actual(None, "2023-04-25"),
        Period("2023-04-26", "2023-05-21", "volumetric", 90, 6000),
        Period("2023-05-22", END, "volumetric", 90, 6000),
    ],
    "ets-economy-pickup": [actual(None, "2023-05-21"), actual("2023-05-22")],
    "oyx-super-air": [Period(None, END, "volumetric", 90, 6000)],
    "oyx-super-truck": [actual()],
    "oyx-super-big": [actual(step_g=1000)],
    "cel-express": [Period(None, END, "volumetric", 80, 6000)],
    "cel-economy": [actual()],
    "ural-express-hk": [Period(None, END, "volumetric", 80, 6000)],
    "ural-standard-hk": [actual()],
    "tanais": [actual()],
    "atc-express": [actual()],
    "atc-express-hk": [actual()],
    "cainiao": [actual()],
}


RULES_MD = Path(__file__).parent / "data" / "carrier-rules.md"

# The "Service" cell of each row of carrier-rules.md's per-service table -> the service ids it names.
RULE_ROWS = {
    "GBS Super Express, GBS Standart": ["gbs-super-express", "gbs-standart"],
    "GBS Economy": ["gbs-economy"],
    "GBS HK": ["gbs-hk"],
    "GBS Broker": ["gbs-broker"],
    "Hecny": ["hecny"],
    "Unitrade Super Express": ["unitrade-super-express"],
    "Unitrade Super Express HK": ["unitrade-super-express-hk"],
    "Unitrade Express / Economy / Super Economy": ["unitrade-express", "unitrade-economy", "unitrade-super-economy"],
    "Xingyuan Express (air)": ["xingyuan-express"],
    'Xingyuan Land ("Rocket RU Ground Specials"), Xingyuan Small (land)': ["xingyuan-land", "xingyuan-small"],
    "ETS Super Express Pickup": ["ets-super-express-pickup"],
    "ETS Express Pickup": ["ets-express-pickup"],
    "ETS Economy Pickup": ["ets-economy-pickup"],
    "Leader & GBS Standart": ["leader-gbs-standart"],
    "Leader & GBS Economy": ["leader-gbs-economy"],
    "FLYT & GBS Broker": ["flyt-gbs-broker"],
    "OYX Super Air": ["oyx-super-air"],
    "OYX Super Truck": ["oyx-super-truck"],
    "OYX Super Big": ["oyx-super-big"],
    "CEL Express": ["cel-express"],
    "CEL Economy": ["cel-economy"],
    "Ural Express HK": ["ural-express-hk"],
    "Ural Standard HK": ["ural-standard-hk"],
    "Tanais, ATC Express, ATC Express HK, Cainiao": ["tanais", "atc-express", "atc-express-hk", "cainiao"],
}


def _published_rules() -> dict[str, tuple[str, Optional[int], Optional[int], int]]:
    """Service id -> (basis, threshold cm, divisor, step g) of the rule in force last, read from the table."""
    text = RULES_MD.read_text(encoding="utf-8")
    table = text.split("## Per service", 1)[1].split("\n\n", 2)[1]
    rules = {}
    for line in table.splitlines()[2:]:  # after the header and the |---| line
        name, basis, divisor, rounding, _history = (c.strip() for c in line.strip("|").split("|"))
        match = re.fullmatch(r"sum ≤ (\d+) cm: actual; > \d+ cm: (greater-of|volumetric)", basis)
        if match:
            rule = (match[2].replace("-", "_"), int(match[1]))
        else:
            rule = {"actual": ("actual", None), "greater-of for every parcel": ("greater_of", None)}[basis]
        step = 1000 if "1 kg up" in rounding else 100
        for service_id in RULE_ROWS[name]:
            rules[service_id] = (*rule, None if divisor == "–" else int(divisor), step)
    return rules


def test_the_hand_written_rules_agree_with_the_published_table():
    published = _published_rules()
    assert set(published) == set(PERIODS)
    for service_id, periods in PERIODS.items():
        last = periods[-1]
        assert (last.basis, last.threshold_cm, last.divisor, last.step_g) == published[service_id], service_id


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def inside(p: Period) -> str:
    """A day inside the period (its first day, or its last when it is open at the start)."""
    return p.start or p.until


def quote(tariffs, service_id: str, weight: str, dims: str, date: str, **kw):
    found = [q for q in tariffs.quote(Parcel.parse(weight, dims, date=date, **kw)) if q.service_id == service_id]
    assert len(found) == 1, f"{service_id} not in force on {date}"
    return found[0]


# ---------------------------------------------------------------- the hand table matches the data


@pytest.mark.parametrize("service_id", sorted(PERIODS))
def test_periods_match_the_tariff_data(tariffs, service_id):
    versions = tariffs.service(service_id).model.versions
    got = [
        (
            v.effective_from,
            v.effective_until,
            v.billing.basis,
            v.billing.threshold_sum_cm,
            v.billing.divisor,
            v.billing.rounding.step_g,
        )
        for v in versions
    ]
    basis = {"actual": "actual", "greater_of": "greater_of", "volumetric": "volumetric_above_threshold"}
    want = [
        (p.start and day(p.start), day(p.until), basis[p.basis], p.threshold_cm, p.divisor, p.step_g)
        for p in PERIODS[service_id]
    ]
    assert got == want


# ---------------------------------------------------------------- change dates: day before / day of

DATE_CASES = [
    # service, first day of the new rule, weight, dims, chargeable the day before, chargeable that day
    # sum 55 cm; 25x20x10 = 5000 cm^3: /5000 = 1000 g; from 05-01 sum <= 60 -> actual 500 g
    ("gbs-super-express", "2023-05-01", "500g", "250x200x100mm", 1000, 500),
    ("gbs-standart", "2023-05-01", "500g", "250x200x100mm", 1000, 500),
    ("gbs-hk", "2023-05-01", "500g", "250x200x100mm", 1000, 500),
    # sum 65 cm, 9000 cm^3: threshold 100 -> actual 500 g; threshold 60 -> 9000/6000 = 1500 g
    ("gbs-economy", "2023-05-01", "500g", "300x200x150mm", 500, 1500),
    ("gbs-economy", "2023-05-31", "500g", "300x200x150mm", 1500, 500),
    # sum 110 cm, 48000 cm^3: /5000 = 9600 g before, /6000 = 8000 g after
    ("gbs-economy", "2023-05-01", "1000g", "400x400x300mm", 9600, 8000),
    ("gbs-economy", "2023-05-31", "1000g", "400x400x300mm", 8000, 8000),
    # tariff-facts.md examples #1/#2: 9000 cm^3 / 5000 = 1800 g from 2022-06-01
    ("gbs-broker", "2022-06-01", "400g", "300x200x150mm", 400, 1800),
    # rate-table changes only: the weight rule stays (1234 g -> 1300 g, actual)
    ("unitrade-super-express", "2023-07-19", "1234g", "600x500x400mm", 1300, 1300),
    # sum 95 cm, 30000 cm^3 / 6000 = 5000 g: actual until 04-25, volumetric from 04-26
    ("ets-express-pickup", "2023-04-26", "500g", "400x300x250mm", 500, 5000),
    ("ets-express-pickup", "2023-05-22", "500g", "400x300x250mm", 5000, 5000),
    ("ets-economy-pickup", "2023-05-22", "500g", "400x300x250mm", 500, 500),
]


def test_every_change_date_has_a_case():
    changes = {(sid, p.start) for sid, ps in PERIODS.items() for p in ps[1:]}
    assert changes == {(c[0], c[1]) for c in DATE_CASES}


@pytest.mark.parametrize("service_id, change, weight, dims, before, after", DATE_CASES)
def test_change_date(tariffs, service_id, change, weight, dims, before, after):
    first = day(change)
    last_old = (first - dt.timedelta(days=1)).isoformat()
    old = quote(tariffs, service_id, weight, dims, last_old)
    new = quote(tariffs, service_id, weight, dims, change)
    assert old.chargeable_weight_g == before
    assert new.chargeable_weight_g == after
    assert old.tariff.effective_until == first - dt.timedelta(days=1)
    assert new.tariff.effective_from == first


@pytest.mark.parametrize("service_id", sorted(PERIODS))
def test_usd_era_ends_2024_12_04(tariffs, service_id):
    last = quote(tariffs, service_id, "150g", "100x100x50mm", END)
    assert last.tariff.effective_until == day(END)
    after = [
        q
        # from 2024-12-05 the group model needs the declared price
        for q in tariffs.quote(Parcel.parse("150g", "100x100x50mm", date="2024-12-05", value="1000RUB"))
        if q.service_id == service_id
    ]
    # a later engineer may give the same id a 2025 version; it must then start after the USD era
    assert all(q.tariff.effective_from and q.tariff.effective_from > day(END) for q in after)


# ---------------------------------------------------------------- thresholds: -1 mm / at / +1 mm

# (threshold cm, divisor) -> sides just under, at and just over the threshold, and the volumetric weight
# of the "over" box stepped up to 100 g (worked by hand):
THRESHOLD_BOXES = {
    (60, 6000): (("200x200x199mm", "200x200x200mm", "200x200x201mm"), 1400),  # 8 040 000 / 6000 = 1340
    (80, 6000): (("200x200x399mm", "200x200x400mm", "200x200x401mm"), 2700),  # 16 040 000 / 6000 = 2673.3
    (80, 8000): (("200x200x399mm", "200x200x400mm", "200x200x401mm"), 2100),  # 16 040 000 / 8000 = 2005
    (90, 6000): (("300x300x299mm", "300x300x300mm", "300x300x301mm"), 4600),  # 27 090 000 / 6000 = 4515
    (100, 6000): (("400x300x299mm", "400x300x300mm", "400x300x301mm"), 6100),  # 36 120 000 / 6000 = 6020
    (100, 5000): (("400x300x299mm", "400x300x300mm", "400x300x301mm"), 7300),  # 36 120 000 / 5000 = 7224
}

THRESHOLD_CASES = [
    pytest.param(sid, p, id=f"{sid}-{inside(p)}")
    for sid, ps in sorted(PERIODS.items())
    for p in ps
    if p.threshold_cm is not None
]


@pytest.mark.parametrize("service_id, period", THRESHOLD_CASES)
def test_threshold_light_parcel(tariffs, service_id, period):
    """100 g: actual up to and at the threshold, the volume-based weight 1 mm above it."""
    (below, at, above), vol = THRESHOLD_BOXES[(period.threshold_cm, period.divisor)]
    date = inside(period)
    assert quote(tariffs, service_id, "100g", below, date).chargeable_weight_g == 100
    at_q = quote(tariffs, service_id, "100g", at, date)
    assert (at_q.chargeable_weight_g, at_q.basis) == (100, "actual")
    over = quote(tariffs, service_id, "100g", above, date)
    assert over.chargeable_weight_g == vol
    assert over.basis == period.basis


@pytest.mark.parametrize("service_id, period", THRESHOLD_CASES)
def test_threshold_heavy_parcel_shows_volumetric_vs_greater_of(tariffs, service_id, period):
    """5 kg above the threshold: greater-of keeps 5000 g when the volume is lighter, volumetric does not."""
    (_, at, above), vol = THRESHOLD_BOXES[(period.threshold_cm, period.divisor)]
    date = inside(period)
    assert quote(tariffs, service_id, "5kg", at, date).chargeable_weight_g == 5000
    expected = max(5000, vol) if period.basis == "greater_of" else vol
    assert quote(tariffs, service_id, "5kg", above, date).chargeable_weight_g == expected


def test_volumetric_above_threshold_bills_volume_even_when_lighter(tariffs):
    """Leader & GBS Economy: 5 kg in a 20x20x40.1 cm box bills 2100 g (運費按體積重量計算), not 5 kg."""
    q = quote(tariffs, "leader-gbs-economy", "5kg", "200x200x401mm", "2023-06-01")
    assert (q.chargeable_weight_g, q.basis) == (2100, "volumetric")
    g = quote(tariffs, "gbs-standart", "5kg", "200x200x401mm", "2023-06-01")
    assert (g.chargeable_weight_g, g.basis) == (5000, "greater_of")


GREATER_ALWAYS = [
    pytest.param(sid, p, id=f"{sid}-{inside(p)}")
    for sid, ps in sorted(PERIODS.items())
    for p in ps
    if p.basis == "greater_of" and p.threshold_cm is None
]


@pytest.mark.parametrize("service_id, period", GREATER_ALWAYS)
def test_greater_of_every_parcel(tariffs, service_id, period):
    """No threshold: even a 10 cm cube (1000 cm^3: /5000 = 200 g, /6000 = 166.7 -> 200 g) counts its volume."""
    q = quote(tariffs, service_id, "100g", "100x100x100mm", inside(period))
    assert q.chargeable_weight_g == 200
    assert quote(tariffs, service_id, "300g", "100x100x100mm", inside(period)).chargeable_weight_g == 300


ACTUAL_PERIODS = [
    pytest.param(sid, p, id=f"{sid}-{inside(p)}")
    for sid, ps in sorted(PERIODS.items())
    for p in ps
    if p.basis == "actual"
]


@pytest.mark.parametrize("service_id, period", ACTUAL_PERIODS)
def test_actual_weight_ignores_a_bulky_box(tariffs, service_id, period):
    """Physical weight only: 150 g in a 60x40x40 cm box is billed by its grams (100 g or 1 kg steps)."""
    q = quote(tariffs, service_id, "150g", "600x400x400mm", inside(period))
    assert q.chargeable_weight_g == (1000 if period.step_g == 1000 else 200)
    assert q.basis == "actual"


# ---------------------------------------------------------------- steps and minimum weights


@pytest.mark.parametrize("weight, expected", [("999g", 1000), ("1000g", 1000), ("1001g", 2000), ("2001g", 3000)])
def test_oyx_super_big_bills_whole_kilograms(tariffs, weight, expected):
    assert quote(tariffs, "oyx-super-big", weight, "100x100x100mm", "2023-06-01").chargeable_weight_g == expected


@pytest.mark.parametrize("service_id", ["oyx-super-truck", "ural-standard-hk", "hecny", "cainiao"])
@pytest.mark.parametrize("weight, expected", [("100g", 100), ("101g", 200), ("1001g", 1100)])
def test_100_g_steps_round_up(tariffs, service_id, weight, expected):
    assert quote(tariffs, service_id, weight, "100x100x50mm", "2023-06-01").chargeable_weight_g == expected


ETS = ["ets-super-express-pickup", "ets-express-pickup", "ets-economy-pickup"]


@pytest.mark.parametrize("date", ["2023-04-25", "2023-04-26", "2023-05-22"])
@pytest.mark.parametrize("service_id", ETS)
def test_ets_minimum_100_g(tariffs, service_id, date):
    """要求的包裹最小重量為 100 克: 99 g is refused, 100 g is taken."""
    light = quote(tariffs, service_id, "99g", "100x100x50mm", date)
    assert light.status == "ineligible"
    assert "weight_below_min" in {r.code for r in light.reasons}
    ok = quote(tariffs, service_id, "100g", "100x100x50mm", date)
    assert ok.status == "unpriced"
    assert ok.chargeable_weight_g == 100


# ---------------------------------------------------------------- maximum weight, sides and value

MAX_WEIGHT = [
    ("gbs-broker", 25000),
    ("gbs-standart", 25000),
    ("gbs-economy", 25000),
    ("unitrade-express", 25000),
    ("unitrade-economy", 25000),
    ("xingyuan-express", 25000),
    ("xingyuan-land", 25000),
    ("xingyuan-small", 200),
]


@pytest.mark.parametrize("date", ["2022-05-31", "2023-05-15", END])
@pytest.mark.parametrize("service_id, limit_g", MAX_WEIGHT)
def test_max_weight(tariffs, service_id, limit_g, date):
    at = quote(tariffs, service_id, f"{limit_g}g", "100x100x100mm", date)
    assert at.status != "ineligible", at.reasons
    over = quote(tariffs, service_id, f"{limit_g + 1}g", "100x100x100mm", date)
    assert over.status == "ineligible"
    assert [r.code for r in over.reasons] == ["weight_above_max"]


MAX_SIDES = [
    "gbs-broker",
    "gbs-standart",
    "unitrade-express",
    "unitrade-economy",
    "xingyuan-express",
    "xingyuan-land",
    "xingyuan-small",
]


@pytest.mark.parametrize("service_id", MAX_SIDES)
@pytest.mark.parametrize(
    "dims, fits",
    [
        ("80x150x80cm", True),  # compared sorted: 150x80x80 fits 150x80x80
        ("80x80x150cm", True),
        ("150x80x80cm", True),
        ("80x151x80cm", False),
        ("81x150x80cm", False),  # second-longest side 81 > 80
        ("80x150x80.1cm", False),
    ],
)
def test_max_sides_compared_sorted(tariffs, service_id, dims, fits):
    q = quote(tariffs, service_id, "150g", dims, "2023-06-01")
    if fits:
        assert q.status != "ineligible", q.reasons
    else:
        assert q.status == "ineligible"
        assert "dimensions_above_max" in {r.code for r in q.reasons}


@pytest.mark.parametrize(
    "service_id, at, over",
    [
        ("xingyuan-small", "350CNY", "350.01CNY"),
        ("xingyuan-express", "300000RUB", "300000.01RUB"),
        ("xingyuan-land", "300000RUB", "300000.01RUB"),
        ("unitrade-express", "150000RUB", "150000.01RUB"),
        ("unitrade-economy", "150000RUB", "150000.01RUB"),
    ],
)
def test_max_declared_value(tariffs, service_id, at, over):
    ok = quote(tariffs, service_id, "150g", "100x100x50mm", "2023-06-01", value=at)
    assert ok.status == "unpriced"
    bad = quote(tariffs, service_id, "150g", "100x100x50mm", "2023-06-01", value=over)
    assert bad.status == "ineligible"
    assert "declared_value_above_max" in {r.code for r in bad.reasons}
