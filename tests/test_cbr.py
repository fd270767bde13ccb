"""The CBR XML_daily client against recorded answers served over real HTTP (tests/data/cbr/)."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import threading
import urllib.parse
from decimal import Decimal
from pathlib import Path

import pytest

from ratecalc.money.cbr import CbrClient, parse_daily
from ratecalc.money.fx import FxUnavailable, build_chain

DATA = Path(__file__).parent / "data" / "cbr"


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        type(self).hits.append(self.path)
        day = dt.datetime.strptime(query["date_req"][0], "%d/%m/%Y").date()
        if day == dt.date(2023, 9, 5):
            self.send_response(500)
            self.end_headers()
            return
        if day == dt.date(2023, 9, 6):
            body = b"<html>maintenance</html>"
        else:
            path = DATA / f"XML_daily_{day.isoformat()}.xml"
            if not path.is_file():
                self.send_response(404)
                self.end_headers()
                return
            body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/xml; charset=windows-1251")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def server():
    _Handler.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/scripts/XML_daily.asp", httpd
    httpd.shutdown()
    httpd.server_close()


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/scripts/XML_daily.asp"


def test_parse_windows1251_comma_decimals_and_nominal():
    daily = parse_daily((DATA / "XML_daily_2022-07-01.xml").read_bytes())
    assert daily.date == dt.date(2022, 7, 1)
    assert daily.nominals["CNY"] == 10
    assert daily.rates["CNY"] == Decimal("7.6415")  # 76,4150 per 10 yuan
    assert daily.rates["USD"] == Decimal("51.1580")


def test_parse_nominal_100():
    daily = parse_daily((DATA / "XML_daily_2023-09-01.xml").read_bytes())
    assert daily.rates["KZT"] == Decimal("0.208134")
    assert daily.rates["USD"] == Decimal("96.3344")


def test_parse_rejects_non_feed():
    with pytest.raises(ValueError, match="not XML|ValCurs"):
        parse_daily(b"<html>maintenance</html>")


def test_fetch_then_cache(server, tmp_path):
    url, _ = server
    client = CbrClient(cache_dir=tmp_path, base_url=url, today=dt.date(2026, 1, 1))
    q = client.rate("USD", dt.date(2023, 9, 1))
    assert (q.rate, q.date, q.source) == (Decimal("96.3344"), dt.date(2023, 9, 1), "cbr")
    assert _Handler.hits == ["/scripts/XML_daily.asp?date_req=01/09/2023"]
    cached = tmp_path / "cbr" / "XML_daily_2023-09-01.xml"
    assert cached.read_bytes() == (DATA / "XML_daily_2023-09-01.xml").read_bytes()
    # a fresh client (new process) reads the disk cache and never calls the feed
    again = CbrClient(cache_dir=tmp_path, base_url=_closed_port_url(), today=dt.date(2026, 1, 1))
    assert again.rate("USD", dt.date(2023, 9, 1)).rate == Decimal("96.3344")


def test_today_is_not_cached(server, tmp_path):
    url, _ = server
    client = CbrClient(cache_dir=tmp_path, base_url=url, today=dt.date(2023, 9, 1))
    client.rate("USD", dt.date(2023, 9, 1))
    assert not (tmp_path / "cbr" / "XML_daily_2023-09-01.xml").exists()


def test_weekend_answer_carries_its_own_date(server, tmp_path):
    url, _ = server
    q = CbrClient(cache_dir=tmp_path, base_url=url, today=dt.date(2026, 1, 1)).rate("USD", dt.date(2023, 9, 3))
    assert q.date == dt.date(2023, 9, 2)
    assert q.rate == Decimal("96.3411")


def test_env_cache_dir(server, tmp_path, monkeypatch):
    url, _ = server
    monkeypatch.setenv("RATECALC_CACHE_DIR", str(tmp_path / "env"))
    CbrClient(base_url=url, today=dt.date(2026, 1, 1)).rate("CNY", dt.date(2022, 7, 1))
    assert (tmp_path / "env" / "cbr" / "XML_daily_2022-07-01.xml").is_file()


@pytest.mark.parametrize(
    "day, reason",
    [
        (dt.date(2023, 9, 5), "HTTP 500"),
        (dt.date(2023, 9, 6), "unusable"),
        (dt.date(2023, 9, 7), "HTTP 404"),
    ],
)
def test_fails_soft_on_bad_answers(server, tmp_path, day, reason):
    url, _ = server
    with pytest.raises(FxUnavailable, match=reason):
        CbrClient(cache_dir=tmp_path, base_url=url).rate("USD", day)


def test_unknown_currency(server, tmp_path):
    url, _ = server
    with pytest.raises(FxUnavailable, match="no HKD"):
        CbrClient(cache_dir=tmp_path, base_url=url, today=dt.date(2026, 1, 1)).rate("HKD", dt.date(2023, 9, 1))


def test_unreachable_feed_gives_a_reason_in_the_chain(tmp_path, monkeypatch):
    monkeypatch.setenv("RATECALC_CBR_URL", _closed_port_url())
    chain = build_chain(cache_dir=tmp_path, cbr=True)
    result = chain.lookup("USD", dt.date(2023, 9, 1))
    assert result.quote is None
    assert "cbr: CBR feed unreachable" in result.missing_reason


def test_chain_order_explicit_then_file_then_cbr(server, tmp_path):
    url, _ = server
    rates = tmp_path / "rates.csv"
    rates.write_text("date,currency,rate\n2023-08-31,EUR,100.5\n", encoding="utf-8")
    chain = build_chain(["USD=92.45"], rates, cache_dir=tmp_path, cbr=True)
    chain.providers[-1].base_url = url  # type: ignore[attr-defined]
    day = dt.date(2023, 9, 1)
    assert chain.rate("USD", day).source == "explicit"
    eur = chain.rate("EUR", day)
    assert (eur.source, eur.rate, eur.date) == ("file:rates.csv", Decimal("100.5"), dt.date(2023, 8, 31))
    cny = chain.rate("CNY", day)
    assert (cny.source, cny.rate) == ("cbr", Decimal("13.2327"))


def test_the_cbr_feed_is_off_unless_asked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("RATECALC_CBR_URL", _closed_port_url())
    assert build_chain(cache_dir=tmp_path).lookup("USD", dt.date(2023, 9, 1)).reasons == []  # no network call


def test_fx_does_not_import_back_from_the_cbr_provider():
    import ratecalc.money.cbr as cbr

    assert "ratecalc.money.fx" not in {getattr(v, "__module__", "") for v in vars(cbr).values()}
