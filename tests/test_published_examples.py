"""Every worked figure published in the reference files (tariff-facts.md §4, users.md A3) is a test."""

import pytest

from ratecalc import Parcel


def only(quotes, service_id):
    [q] = [q for q in quotes if q.service_id == service_id]
    return q


@pytest.mark.parametrize(
    "example, weight, dims, date, chargeable, amount",
    [
        ("#1 physical rule", "250g", "20x15x10cm", "2022-05-20", 300, "6.60"),
        ("#2 volumetric /5000", "400g", "30x20x15cm", "2022-07-01", 1800, "24.60"),
        ("#3 actual above volumetric", "1000g", "20x10x10cm", "2022-07-01", 1000, "15.00"),
        ("#4 101 g rounds to 200 g", "101g", "10x10x5cm", "2022-07-01", 200, "5.40"),
        ("#5 25 kg maximum", "25kg", "40x30x30cm", "2022-07-01", 25000, "303.00"),
        ("A3 500 g small box", "500g", "10x10x10cm", "2022-07-01", 500, "9.00"),
    ],
)
def test_gbs_broker_examples(tariffs, example, weight, dims, date, chargeable, amount):
    q = only(tariffs.quote(Parcel.parse(weight, dims, date=date)), "gbs-broker")
    assert q.status == "ok", example
    assert q.chargeable_weight_g == chargeable
    assert (q.price.amount, q.price.currency) == (amount, "USD")
