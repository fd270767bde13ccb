"""Every worked CNY example of tariff-facts.md section 4 (#11-#16) is a test, plus users.md B2's derived figures.

The expected amounts are the reference's own arithmetic (base + per_gram x grams), not engine output.
Order date 2025-10-01: inside the 2025-09-14 screenshot rates.
"""

import pytest

from ratecalc import Parcel

DATE = "2025-10-01"


def only(quotes, service_id):
    [q] = [q for q in quotes if q.service_id == service_id]
    return q


@pytest.mark.parametrize(
    "example, weight, dims, value, service_id, group, amount",
    [
        (
            "#11 UNI Standard Extra Small: 3 + 0.035 x 300",
            "300g",
            "20x15x5cm",
            "1000RUB",
            "uni-standard",
            "Extra Small",
            "13.50",
        ),
        (
            "#12 UNI Economy Budget: 23 + 0.017 x 1200",
            "1200g",
            "20x15x10cm",
            "1200RUB",
            "uni-economy",
            "Budget",
            "43.40",
        ),
        ("#13 UNI Express Small: 16 + 0.045 x 800", "800g", "20x15x10cm", "3000RUB", "uni-express", "Small", "52.00"),
        (
            "#14 UNI Standard Big, actual weight: 36 + 0.025 x 3000",
            "3000g",
            "50x40x30cm",
            "5000RUB",
            "uni-standard",
            "Big",
            "111.00",
        ),
        (
            "#15 Tanais Economy Small: 15.5 + 0.0245 x 1000",
            "1000g",
            "20x15x10cm",
            "4000RUB",
            "tanais-economy",
            "Small",
            "40.00",
        ),
        (
            "#16 Ural Express Extra Small: 2.9 + 0.042 x 150",
            "150g",
            "10x10x5cm",
            "900RUB",
            "ural-express",
            "Extra Small",
            "9.20",
        ),
    ],
)
def test_worked_cny_examples(tariffs, example, weight, dims, value, service_id, group, amount):
    q = only(tariffs.quote(Parcel.parse(weight, dims, date=DATE, value=value)), service_id)
    assert q.status == "ok", (example, q.reasons)
    assert q.group is not None and q.group.name == group, example
    assert (q.price.amount, q.price.currency) == (amount, "CNY"), example
    assert q.chargeable_weight_g == Parcel.parse(weight, dims).weight_g


def test_example_14_volumetric_reading_gives_161(tariffs):
    """Conflict 4: 50x40x30 cm / 12000 = 5 kg -> 36 + 0.025 x 5000 = 161.00 CNY under the alternative reading."""
    parcel = Parcel.parse("3000g", "50x40x30cm", date=DATE, value="5000RUB")
    q = only(tariffs.quote(parcel, readings=["group-billing-volumetric-12000"]), "uni-standard")
    assert (q.price.amount, q.chargeable_weight_g, q.volumetric_weight_g) == ("161.00", 5000, 5000)
    assert q.basis == "greater_of"
    assert "group-billing-volumetric-12000" in q.tariff.readings
    default = only(tariffs.quote(parcel), "uni-standard")
    assert "group-billing-actual" in default.tariff.readings and default.basis == "actual"


def test_example_16_battery_not_allowed_on_ural_express(tariffs):
    """#16 notes batteries are not allowed on Ural Express: with a battery the service is ineligible."""
    q = only(tariffs.quote(Parcel.parse("150g", "10x10x5cm", date=DATE, value="900RUB", battery=True)), "ural-express")
    assert q.status == "ineligible" and [r.code for r in q.reasons] == ["batteries_forbidden"]


@pytest.mark.parametrize(
    "value, group, amount",
    [("1000RUB", "Extra Small", "6.00"), ("3000RUB", "Small", "19.50"), ("8000RUB", "Premium Small", "25.50")],
)
def test_users_b2_ural_standard_socks_100g(tariffs, value, group, amount):
    """users.md B2 [derived]: Ural Standard at 100 g: 2.8 + 3.2 / 16 + 3.5 / 22 + 3.5 CNY."""
    q = only(tariffs.quote(Parcel.parse("100g", "15x10x3cm", date=DATE, value=value)), "ural-standard")
    assert (q.group.name, q.price.amount, q.price.currency) == (group, amount, "CNY")


def test_courier_price_equals_pickup_price(tariffs):
    """The 2025-09-14 screenshots show courier = pickup for every carrier; the 3.5 CNY surcharge is not applied."""
    kw = dict(date=DATE, value="3000RUB")
    pickup = tariffs.quote(Parcel.parse("800g", "20x15x10cm", **kw))
    courier = tariffs.quote(Parcel.parse("800g", "20x15x10cm", delivery="courier", **kw))
    by_id = {q.service_id: q.price for q in courier}
    priced = [q for q in pickup if q.price is not None]
    assert priced
    for q in priced:
        assert by_id[q.service_id] == q.price, q.service_id
