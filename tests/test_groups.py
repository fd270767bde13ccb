"""The late-2024 shipment-group model: group choice on every band edge, per-gram prices and their rounding to
the fen, every carrier x tier listed, the declared-price requirement and the effective dates.

Expected prices are worked by hand from the 2025-09-14 screenshot rows (tariff-facts.yaml
later_cny_group_tariffs), typed below independently of the tariff files.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from typer.testing import CliRunner

from ratecalc import Parcel
from ratecalc.cli import app
from ratecalc.errors import InputError

DATE = "2025-10-01"

# Extra Small rows per group-era service: (base CNY, CNY per gram, days min, days max, batteries allowed).
EXTRA_SMALL = {
    "uni-express": ("3", "0.045", 5, 10, True),
    "uni-standard": ("3", "0.035", 10, 15, True),
    "uni-economy": ("3", "0.025", 20, 25, True),
    "ural-express": ("2.9", "0.042", 5, 10, False),
    "ural-standard": ("2.8", "0.032", 10, 15, True),
    "ural-economy": ("3", "0.025", 20, 25, True),
    "cel-express-groups": ("3", "0.045", 5, 10, False),
    "cel-standard": ("3", "0.035", 10, 15, True),
    "cel-economy-groups": ("3", "0.025", 20, 25, True),
    "xy-express": ("3", "0.045", 5, 10, True),
    "xy-standard": ("3", "0.035", 10, 15, True),
    "xy-economy": ("3", "0.025", 23, 30, True),
    "guoo-express": ("3", "0.045", 5, 10, False),
    "guoo-standard": ("3", "0.035", 10, 15, True),
    "guoo-economy": ("2.8", "0.024", 20, 25, True),
    "tanais-express": ("3", "0.045", 3, 8, False),
    "tanais-standard": ("2.9", "0.0349", 10, 15, True),
    "tanais-economy": ("2.8", "0.0249", 18, 23, True),
    "atc-standard": ("3", "0.035", 10, 15, True),
    "atc-economy": ("3", "0.024", 20, 25, True),
    "oyx-express": ("3", "0.045", 5, 10, True),
    "oyx-standard": ("2.9", "0.035", 10, 15, True),
    "oyx-economy": ("2.9", "0.025", 23, 30, True),
    "leader-standard": ("3", "0.0345", 10, 15, True),
    "leader-economy": ("3", "0.0245", 20, 25, True),
    # the same set's lanes from a public calculator's data (ozon-2026-h2/sept-2025-missing-lanes, third_party)
    "abt-express": ("3", "0.045", 5, 10, True),
    "abt-standard": ("2.95", "0.035", 10, 15, True),
    "abt-economy": ("2.95", "0.025", 23, 30, True),
    "iml-standard": ("2.95", "0.035", 10, 15, True),
    "iml-economy": ("2.95", "0.025", 20, 25, True),
    "rets-standard": ("2.8", "0.0335", 10, 15, True),
    "rets-economy": ("2.85", "0.0235", 20, 25, True),
    "zto-express": ("3", "0.045", 5, 10, True),  # batteries not stated: quoted, with a warning
    "zto-standard": ("3", "0.035", 10, 15, True),
    "zto-economy": ("3", "0.025", 20, 25, True),
}
FROM_2025_09_14 = {"abt-express", "abt-standard", "abt-economy", "iml-standard", "iml-economy", "rets-standard"}
FROM_2025_09_14 |= {"rets-economy", "zto-express", "zto-standard", "zto-economy"}  # no version before that day
CARRIERS = {
    "Unitrade",
    "Ural",
    "CEL",
    "Xingyuan",
    "GUOO",
    "Tanais",
    "ATC",
    "OYX",
    "Leader",
    "ABT",
    "IML",
    "RETS",
    "ZTO",
}
# UNI Standard has a row for every group (base, per gram).
UNI_STANDARD = {
    "Extra Small": ("3", "0.035"),
    "Budget": ("23", "0.025"),
    "Small": ("16", "0.035"),
    "Big": ("36", "0.025"),
    "Premium Small": ("22", "0.035"),
    "Premium Big": ("62", "0.028"),
}


def cny(base: str, per_gram: str, grams: int) -> str:
    """base + per_gram x grams, half-up to the fen: the rule the engine states."""
    exact = Decimal(base) + Decimal(per_gram) * grams
    return str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def quote(tariffs, weight, value, dims="20x15x5cm", date=DATE, readings=(), **kw):
    return tariffs.quote(Parcel.parse(weight, dims, date=date, value=value, **kw), readings=readings)


def only(quotes, service_id):
    [q] = [q for q in quotes if q.service_id == service_id]
    return q


# ---------------------------------------------------------------- the worked example quote


def test_extra_small_lists_every_carrier_and_tier_cheapest_first(tariffs):
    quotes = quote(tariffs, "300g", "1000RUB")
    assert {q.service_id for q in quotes} == set(EXTRA_SMALL)  # nothing else is in force on 2025-10-01
    assert {q.carrier for q in quotes} == CARRIERS
    for q in quotes:
        base, per, dmin, dmax, _ = EXTRA_SMALL[q.service_id]
        assert q.status == "ok", (q.service_id, q.reasons)
        assert q.group.name == "Extra Small"
        assert q.tier in ("Express", "Standard", "Economy")
        assert (q.price.amount, q.price.currency) == (cny(base, per, 300), "CNY"), q.service_id
        assert (q.delivery_days.min, q.delivery_days.max) == (dmin, dmax)
    amounts = [Decimal(q.price.amount) for q in quotes]
    assert amounts == sorted(amounts)


def test_done_command_on_the_cli():
    r = CliRunner().invoke(
        app,
        [
            "quote",
            "--weight",
            "300g",
            "--dims",
            "20x15x5cm",
            "--value",
            "1000RUB",
            "--date",
            "2025-10-01",
            "--json",
            "--full",
        ],
    )
    assert r.exit_code == 0, r.output
    quotes = json.loads(r.stdout)
    assert {q["service_id"] for q in quotes} == set(EXTRA_SMALL)
    amounts = [Decimal(q["price"]["amount"]) for q in quotes]
    assert amounts == sorted(amounts) and all(q["price"]["currency"] == "CNY" for q in quotes)
    assert all(q["group"]["name"] == "Extra Small" and q["delivery_days"] for q in quotes)
    table = CliRunner().invoke(
        app,
        ["quote", "--weight", "300g", "--dims", "20x15x5cm", "--value", "1000RUB", "--date", "2025-10-01"],
        env={"COLUMNS": "250"},
    )
    assert table.exit_code == 0 and "Tanais Economy" in table.output and "10.27 CNY" in table.output


@pytest.mark.parametrize("service_id", sorted(EXTRA_SMALL))
def test_battery_flag_per_row(tariffs, service_id):
    q = only(quote(tariffs, "300g", "1000RUB", battery=True), service_id)
    allowed = EXTRA_SMALL[service_id][4]
    assert q.status == ("ok" if allowed else "ineligible")
    assert ("batteries_forbidden" in [r.code for r in q.reasons]) is (not allowed)


# ---------------------------------------------------------------- band edges


@pytest.mark.parametrize(
    "weight, value, group",
    [
        (500, "1000RUB", "Extra Small"),
        (501, "1000RUB", "Budget"),
        (2000, "3000RUB", "Small"),
        (2001, "3000RUB", "Big"),
        (5000, "8000RUB", "Premium Small"),
        (5001, "8000RUB", "Premium Big"),
        (300, "1500RUB", "Extra Small"),
        (300, "1500.01RUB", "Small"),
        (300, "1500.50RUB", "Small"),
        (300, "1501RUB", "Small"),
        (1000, "7000RUB", "Small"),
        (1000, "7000.01RUB", "Premium Small"),
        (1000, "7001RUB", "Premium Small"),
        (1, "1RUB", "Extra Small"),
        (1000, "250000RUB", "Premium Small"),
        (30000, "1000RUB", "Budget"),
        (30000, "3000RUB", "Big"),
        (30000, "9000RUB", "Premium Big"),
    ],
)
def test_band_edges_choose_the_group_and_its_price(tariffs, weight, value, group):
    dims = "40x30x20cm" if weight > 2000 else "20x15x5cm"
    q = only(quote(tariffs, f"{weight}g", value, dims=dims), "uni-standard")
    assert q.status == "ok", q.reasons
    assert q.group.name == group
    assert q.price.amount == cny(*UNI_STANDARD[group], weight)
    price = value.removesuffix("RUB")
    assert f"price {price} RUB" in q.group.reason and f"weight {weight} g" in q.group.reason


@pytest.mark.parametrize(
    "weight, value",
    [(30001, "1000RUB"), (30001, "9000RUB"), (1000, "250000.01RUB"), (300, "0.99RUB"), (300, "0RUB")],
)
def test_outside_every_band_no_group_and_every_service_says_why(tariffs, weight, value):
    dims = "40x30x20cm" if weight > 2000 else "20x15x5cm"
    quotes = quote(tariffs, f"{weight}g", value, dims=dims)
    assert {q.service_id for q in quotes} == set(EXTRA_SMALL)
    for q in quotes:
        assert q.status == "ineligible" and q.price is None
        assert [r.code for r in q.reasons] == ["no_shipment_group"]
        assert q.group.name is None and q.tariff.readings == []


def test_tier_without_a_row_for_the_group_is_listed_ineligible(tariffs):
    """Leader Economy has rows for Extra Small and Premium Small only: a Small parcel lists it with the reason."""
    quotes = quote(tariffs, "800g", "3000RUB", dims="20x15x10cm")
    q = only(quotes, "leader-economy")
    assert q.status == "ineligible" and q.group.name == "Small"
    [reason] = q.reasons
    assert reason.code == "no_rate_for_group" and "Small" in reason.message
    assert q.tariff.readings == []  # Small is touched by no conflict
    # ATC and Leader publish no Express tier; every listed tier is one of the 25 known
    assert {q.service_id for q in quotes} == set(EXTRA_SMALL)


# ---------------------------------------------------------------- per-gram rounding to the fen


@pytest.mark.parametrize(
    "service_id, grams, amount",
    [
        # 2.9 + 0.0349 x 50 = 4.645 -> 4.65 (half-up; banker's rounding would give 4.64)
        ("tanais-standard", 50, "4.65"),
        # 2.9 + 0.0349 x 250 = 11.625 -> 11.63 (half-even: 11.62)
        ("tanais-standard", 250, "11.63"),
        # 2.9 + 0.0349 x 1 = 2.9349 -> 2.93 (below the half: down)
        ("tanais-standard", 1, "2.93"),
        # 2.8 + 0.0249 x 50 = 4.045 -> 4.05 (half-even: 4.04)
        ("tanais-economy", 50, "4.05"),
        # 3 + 0.0345 x 10 = 3.345 -> 3.35
        ("leader-standard", 10, "3.35"),
    ],
)
def test_per_gram_price_rounds_half_up_to_the_fen(tariffs, service_id, grams, amount):
    q = only(quote(tariffs, f"{grams}g", "1000RUB", dims="10x10x2cm"), service_id)
    assert q.group.name == "Extra Small"
    assert q.price.amount == amount
    assert cny(*EXTRA_SMALL[service_id][:2], grams) == amount  # the hand formula agrees


def test_sub_gram_weight_is_rounded_up_before_the_per_gram_price(tariffs):
    """A 49.2 g parcel weighs 50 g (the parser rounds up), so it pays the 50 g price."""
    q = only(quote(tariffs, "49.2g", "1000RUB", dims="10x10x2cm"), "tanais-standard")
    assert (q.actual_weight_g, q.price.amount) == (50, "4.65")


# ---------------------------------------------------------------- declared price: required, in RUB


def test_declared_price_is_required_on_group_model_dates(tariffs):
    with pytest.raises(InputError) as exc:
        tariffs.quote(Parcel.parse("300g", "20x15x5cm", date=DATE))
    assert exc.value.field == "value"
    assert "required from 2024-12-05" in exc.value.message and "RUB" in exc.value.message


def test_declared_price_not_required_in_the_usd_era(tariffs):
    quotes = tariffs.quote(Parcel.parse("300g", "20x15x5cm", date="2024-12-04"))
    assert quotes and not any(q.service_id in EXTRA_SMALL for q in quotes)


def test_declared_price_in_another_currency_is_refused(tariffs):
    with pytest.raises(InputError) as exc:
        tariffs.quote(Parcel.parse("300g", "20x15x5cm", date=DATE, value="15USD"))
    assert exc.value.field == "value" and "RUB" in exc.value.message and "USD" in exc.value.message


def test_quote_many_names_the_parcel_without_a_price(tariffs):
    parcels = [
        Parcel.parse("300g", "20x15x5cm", date=DATE, value="1000RUB"),
        Parcel.parse("300g", "20x15x5cm", date=DATE),
    ]
    with pytest.raises(InputError) as exc:
        tariffs.quote_many(parcels)
    assert exc.value.field == "parcels[1].value"


def test_cli_missing_price_is_one_line_and_exit_2():
    r = CliRunner().invoke(app, ["quote", "--weight", "300g", "--dims", "20x15x5cm", "--date", DATE])
    assert r.exit_code == 2
    assert "value" in r.output and "required" in r.output and "Traceback" not in r.output


# ---------------------------------------------------------------- effective dates


@pytest.mark.parametrize("date", ["2024-12-05", "2025-09-13"])
def test_before_the_rates_were_observed_group_services_are_unpriced(tariffs, date):
    quotes = quote(tariffs, "300g", "1000RUB", date=date)
    assert {q.service_id for q in quotes} == set(EXTRA_SMALL) - FROM_2025_09_14
    for q in quotes:
        assert q.status == "unpriced" and q.price is None and q.group.name == "Extra Small"
        assert "2025-09-14" in q.reasons[-1].message
        assert (str(q.tariff.effective_from), str(q.tariff.effective_until)) == ("2024-12-05", "2025-09-13")


@pytest.mark.parametrize("date", ["2025-09-14", "2025-12-16"])
def test_screenshot_rates_apply_from_their_observation_date(tariffs, date):
    q = only(quote(tariffs, "300g", "1000RUB", date=date), "uni-standard")
    assert q.price.amount == "13.50" and str(q.tariff.effective_from) == "2025-09-14"


def test_from_2025_12_17_the_april_2026_numbers_apply_marked_inferred(tariffs):
    """Ozon announced new rates from 2025-12-17; the first set held after September is the April 2026 file:
    its numbers apply, labelled `inferred` for these dates, and never the September rates."""
    quotes = quote(tariffs, "300g", "1000RUB", date="2025-12-17")
    assert quotes and all(q.tariff.confidence == "inferred" for q in quotes)
    september = {q.service_id: q for q in quote(tariffs, "300g", "1000RUB", date="2025-12-16")}
    cel = next(q for q in quotes if q.service_id == "cel-express-groups")
    assert cel.price.amount == "17.16" != september["cel-express-groups"].price.amount  # 3.12 + 0.0468 x 300


def test_usd_era_services_stay_valid_for_old_dates(tariffs):
    q = only(tariffs.quote(Parcel.parse("400g", "30x20x15cm", date="2022-07-01")), "gbs-broker")
    assert (q.price.amount, q.price.currency, q.group) == ("24.60", "USD", None)


# ---------------------------------------------------------------- multi-item shipments on the CLI


def test_cli_items_are_summed_before_the_group_is_chosen():
    """300 g / 900 RUB + 250 g / 700.50 RUB = 550 g / 1600.50 RUB: Small, although each item alone is Extra Small."""
    args = ["quote", "--item", "300g:900RUB", "--item", "250g:700.50RUB", "--dims", "20x15x10cm", "--date", DATE]
    r = CliRunner().invoke(app, [*args, "--json", "--full"])
    assert r.exit_code == 0, r.output
    q = next(q for q in json.loads(r.stdout) if q["service_id"] == "uni-standard")
    assert (q["actual_weight_g"], q["group"]["name"]) == (550, "Small")
    assert q["price"]["amount"] == cny(*UNI_STANDARD["Small"], 550)
    assert "1600.50 RUB" in q["group"]["reason"]


@pytest.mark.parametrize(
    "args, field",
    [
        (["--item", "300g"], "items[0]"),
        (["--item", "300g:900RUB", "--item", "10g:1USD"], "items[1].price"),
        (["--item", "300g:900RUB", "--weight", "300g"], "item"),
        ([], "weight"),
    ],
)
def test_cli_item_errors_name_the_field(args, field):
    r = CliRunner().invoke(app, ["quote", "--dims", "20x15x10cm", "--date", DATE, *args])
    assert r.exit_code == 2 and f"{field}:" in r.output, r.output
