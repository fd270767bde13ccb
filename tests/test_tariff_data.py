"""The USD-era tariff data itself: every published service is present, sourced, dated and honest.

Where Ozon's rate was not published the service must still be quoted (`unpriced`, with the reason and its
chargeable weight), never dropped and never given an invented price.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ratecalc import Parcel

END = dt.date(2024, 12, 4)
MENGLAR = "https://ozon.menglar.com/article/operate/20617"
ZH_PAGE = "https://docs.ozon.ru/global/zh/commissions/ozon-fees/partner-delivery-rates/"
BANMA = "https://www.banmaerp.com/news/1547895395793784832"
OZONINFO_UNI = "https://ozoninfo.com/kjwl/564344781676613.shtml"
OZONINFO_XY = "https://ozoninfo.com/kjwl/564686065905733.shtml"

# id -> (name exactly as published in seed-partner-logistics.zh.txt, origin)
USD_SERVICES = {
    "gbs-super-express": ("GBS Super Express", "CN"),
    "gbs-standart": ("GBS Standart", "CN"),
    "gbs-economy": ("GBS Economy", "CN"),
    "gbs-hk": ("GBS HK", "HK"),
    "gbs-broker": ("GBS Broker", "CN"),
    "leader-gbs-standart": ("Leader & GBS Standart", "CN"),
    "leader-gbs-economy": ("Leader & GBS Economy", "CN"),
    "flyt-gbs-broker": ("FLYT & GBS Broker", "CN"),
    "hecny": ("Hecny", "CN"),
    "unitrade-super-express": ("Unitrade Super Express", "CN"),
    "unitrade-super-express-hk": ("Unitrade Super Express HK", "HK"),
    "unitrade-express": ("Unitrade Express", "CN"),
    "unitrade-economy": ("Unitrade Economy", "CN"),
    "unitrade-super-economy": ("Unitrade Super Economy", "CN"),
    "xingyuan-express": ("Xingyuan Express", "CN"),
    "xingyuan-land": ("Xingyuan Land", "CN"),
    "xingyuan-small": ("Xingyuan Small", "CN"),
    "ets-super-express-pickup": ("ETS Super Express Pickup", "CN"),
    "ets-express-pickup": ("ETS Express Pickup", "CN"),
    "ets-economy-pickup": ("ETS Economy Pickup", "CN"),
    "oyx-super-air": ("OYX Super Air", "CN"),
    "oyx-super-truck": ("OYX Super Truck", "CN"),
    "oyx-super-big": ("OYX Super Big", "CN"),
    "cel-express": ("CEL Express", "CN"),
    "cel-economy": ("CEL Economy", "CN"),
    "ural-express-hk": ("Ural Express HK", "HK"),
    "ural-standard-hk": ("Ural Standard HK", "HK"),
    "tanais": ("Tanais", "CN"),
    "atc-express": ("ATC Express", "CN"),
    "atc-express-hk": ("ATC Express HK", "HK"),
    "cainiao": ("Cainiao", "CN"),
}
# The only USD rates any source published (tariff-facts.yaml): pickup point, (fixed, per 100 g).
PUBLISHED = {"gbs-broker": ("3.00", "1.20"), "hecny": ("4.00", "0.65")}
# Services whose limits come from a third-party copy: that copy must be cited in the same version.
LIMIT_SOURCES = {
    "gbs-broker": BANMA,
    "gbs-standart": BANMA,
    "gbs-economy": BANMA,
    "unitrade-express": OZONINFO_UNI,
    "unitrade-economy": OZONINFO_UNI,
    "xingyuan-express": OZONINFO_XY,
    "xingyuan-land": OZONINFO_XY,
    "xingyuan-small": OZONINFO_XY,
}


def a_day_in(version) -> str:
    return (version.effective_from or version.effective_until).isoformat()


def only(quotes, service_id):
    [q] = [q for q in quotes if q.service_id == service_id]
    return q


@pytest.mark.parametrize("service_id", sorted(USD_SERVICES))
def test_service_present_with_its_published_name(tariffs, service_id):
    svc = tariffs.service(service_id)
    assert (svc.name, svc.origin) == USD_SERVICES[service_id]


def test_every_version_is_sourced_and_dated(tariffs):
    for svc in tariffs.services:
        if svc.id not in USD_SERVICES:
            continue
        for v in svc.model.versions:
            assert v.sources, svc.id
            assert all(s.startswith(("http://", "https://")) for s in v.sources), svc.id
            assert v.effective_until is not None, f"{svc.id}: a USD-era version must end"
            # rules come from the official zh page
            assert ZH_PAGE in v.sources, svc.id


@pytest.mark.parametrize("service_id", sorted(USD_SERVICES))
def test_last_version_ends_with_the_usd_model(tariffs, service_id):
    usd = [v for v in tariffs.service(service_id).model.versions if any(r.currency == "USD" for r in v.rates)]
    last = max(usd, key=lambda v: v.effective_until)
    assert last.effective_until == END
    assert MENGLAR in last.sources
    assert "2024-12-05" in (last.notes or "") and "no exact switch date" in last.notes


def test_rates_are_published_only_where_a_source_gives_them(tariffs):
    for sid in USD_SERVICES:
        for v in tariffs.service(sid).model.versions:
            rows = {d: r for r in v.rates for d in r.delivery}
            assert set(rows) == {"pickup_point", "courier"}, sid
            assert all(r.currency == "USD" for r in v.rates), sid
            courier = rows["courier"]
            assert not courier.published and courier.unpublished, f"{sid}: courier rates were never published"
            pickup = rows["pickup_point"]
            if sid in PUBLISHED:
                assert (f"{pickup.fixed:.2f}", f"{pickup.per_step:.2f}") == PUBLISHED[sid]
                assert pickup.step_g == 100
            else:
                assert not pickup.published and pickup.unpublished, sid


def test_every_limit_has_its_source(tariffs):
    for sid in USD_SERVICES:
        for v in tariffs.service(sid).model.versions:
            lim = v.limits
            numbers = (lim.max_weight_g, lim.max_dims_cm, lim.max_sum_cm, lim.max_declared_value)
            if any(n is not None for n in numbers) or lim.batteries != "unknown":
                assert sid in LIMIT_SOURCES, f"{sid} has limits but no known limit source"
                assert LIMIT_SOURCES[sid] in v.sources, sid
            elif sid not in LIMIT_SOURCES:
                assert lim.min_weight_g is None or sid.startswith("ets-"), sid


@pytest.mark.parametrize("delivery", ["pickup_point", "courier"])
@pytest.mark.parametrize("service_id", sorted(USD_SERVICES))
def test_unpublished_rates_quote_as_unpriced_with_a_weight(tariffs, service_id, delivery):
    """150 g in 10x10x5 cm, in every rule period: chargeable 200 g (1000 g for OYX Super Big's 1 kg steps)."""
    expected_weight = 1000 if service_id == "oyx-super-big" else 200
    for v in tariffs.service(service_id).model.versions:
        row = next(r for r in v.rates if delivery in r.delivery)
        q = only(tariffs.quote(Parcel.parse("150g", "100x100x50mm", date=a_day_in(v), delivery=delivery)), service_id)
        assert q.chargeable_weight_g == expected_weight
        if row.published:
            assert q.status == "ok" and q.price is not None
            continue
        assert q.status == "unpriced"
        assert q.price is None
        assert [r.code for r in q.reasons] == ["rate_unpublished"]
        assert q.reasons[0].message == row.unpublished
        assert q.tariff.sources == list(v.sources)


@pytest.mark.parametrize(
    "example, weight, dims, chargeable, amount",
    [
        ("#6 100 g", "100g", "10x10x10cm", 100, "4.65"),  # 4.00 + 1 x 0.65
        ("#7 1250 g, 100 g steps", "1250g", "20x15x10cm", 1300, "12.45"),  # 4.00 + 13 x 0.65
        ("#8 2000 g, 60x40x40 cm, no volume", "2000g", "60x40x40cm", 2000, "17.00"),  # 4.00 + 20 x 0.65
    ],
)
@pytest.mark.parametrize("date", ["2022-07-01", "2023-06-01", "2024-12-04"])
def test_hecny_worked_examples(tariffs, example, weight, dims, chargeable, amount, date):
    q = only(tariffs.quote(Parcel.parse(weight, dims, date=date)), "hecny")
    assert q.status == "ok", example
    assert q.chargeable_weight_g == chargeable
    assert (q.price.amount, q.price.currency) == (amount, "USD")
    assert q.billing.rounding_stated is False  # rounding is implied, and the quote says so


def test_hecny_courier_is_unpriced(tariffs):
    q = only(tariffs.quote(Parcel.parse("100g", "10x10x10cm", date="2023-06-01", delivery="courier")), "hecny")
    assert q.status == "unpriced" and q.price is None


@pytest.mark.parametrize("date", ["2024-12-05", "2025-03-01", "2026-01-15"])
def test_no_usd_service_after_the_usd_era(tariffs, date):
    day = dt.date.fromisoformat(date)
    for svc in tariffs.services:
        for v in svc.model.versions:
            if v.covers(day):
                assert all(r.currency != "USD" for r in v.rates), f"{svc.id} still quotes USD on {date}"
    quotes = tariffs.quote(Parcel.parse("300g", "20x15x10cm", date=date, value="1000RUB"))
    assert not [q for q in quotes if q.price is not None and q.price.currency == "USD"]
    for q in quotes:
        if q.service_id in USD_SERVICES:  # only a later, non-USD version may reuse an id
            assert q.tariff.effective_from is not None and q.tariff.effective_from > END


@pytest.mark.parametrize("date", ["2022-05-31", "2023-06-01", "2024-12-04"])
def test_every_usd_service_is_quoted_in_the_usd_era(tariffs, date):
    """Unpriced services stay in the table: a seller sees them, with why there is no price."""
    quotes = tariffs.quote(Parcel.parse("150g", "100x100x50mm", date=date))
    seen = {q.service_id for q in quotes}
    assert set(USD_SERVICES) <= seen


def test_delivery_keyed_changes_say_so(tariffs):
    """Rate-table changes keyed to the delivery date carry that in date_basis (never silently the order date)."""
    for sid, first in [
        ("unitrade-super-express", dt.date(2023, 7, 19)),
        ("ets-express-pickup", dt.date(2023, 5, 22)),
        ("ets-economy-pickup", dt.date(2023, 5, 22)),
    ]:
        versions = tariffs.service(sid).model.versions
        [new] = [v for v in versions if v.effective_from == first]
        [old] = [v for v in versions if v.effective_until == first - dt.timedelta(days=1)]
        for v in (old, new):
            assert v.date_basis and "delivered to the buyer" in v.date_basis, sid
        assert new.billing == old.billing, f"{sid}: only the rate table changed"


def test_ets_minimum_weight_is_quoted_from_the_original(tariffs):
    for sid in ("ets-super-express-pickup", "ets-express-pickup", "ets-economy-pickup"):
        for v in tariffs.service(sid).model.versions:
            assert v.limits.min_weight_g == 100
            assert "要求的包裹最小重量為 100 克" in (v.limits.notes or "")
