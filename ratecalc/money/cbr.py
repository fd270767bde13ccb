"""The Central Bank of Russia daily rates feed (XML_daily), as an FX provider with a disk cache.

Why: Ozon converts carrier tariffs and fees at the CBR rate of the order date, so that is the rate a
seller's roubles depend on. The feed is windows-1251 XML with comma decimals and a `Nominal` that is not
always 1 (e.g. 10 CNY, 100 KZT at times), so the rate per unit is Value / Nominal, kept exact.

The client fails soft: no network, a timeout, an HTTP error or a malformed answer all become
`FxUnavailable(reason)`, never an exception out of a quote. Answers for dates before today are final
and cached on disk (`$RATECALC_CACHE_DIR/cbr/`, default `~/.cache/ratecalc/cbr/`; see `cachedir`), raw bytes
as received.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Optional, Union

from ..cachedir import cache_root
from .fx_types import FxQuote, FxUnavailable

DEFAULT_URL = "https://www.cbr.ru/scripts/XML_daily.asp"
URL_ENV = "RATECALC_CBR_URL"
TIMEOUT_S = 5.0


@dataclass(frozen=True)
class DailyRates:
    """One XML_daily answer: the date the rates are set for and RUB per 1 unit by currency code."""

    date: dt.date
    rates: dict[str, Decimal]
    nominals: dict[str, int]


_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9_\-]+)["']""")


def parse_daily(raw: bytes) -> DailyRates:
    """Parse XML_daily bytes; raises ValueError naming what is wrong."""
    m = _DECL.match(raw)
    encoding = m.group(1).decode("ascii") if m else "windows-1251"
    try:
        text = raw.decode(encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot decode the answer as {encoding}: {exc}") from None
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # already decoded: drop the byte-level declaration
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None
    if root.tag != "ValCurs" or not root.get("Date"):
        raise ValueError("not an XML_daily answer (no ValCurs Date)")
    try:
        day = dt.datetime.strptime(root.get("Date", ""), "%d.%m.%Y").date()
    except ValueError:
        raise ValueError(f"bad ValCurs Date {root.get('Date')!r}") from None
    rates: dict[str, Decimal] = {}
    nominals: dict[str, int] = {}
    for valute in root.findall("Valute"):
        code = (valute.findtext("CharCode") or "").strip().upper()
        try:
            nominal = int((valute.findtext("Nominal") or "").strip())
            value = Decimal((valute.findtext("Value") or "").strip().replace(",", "."))
        except (ValueError, InvalidOperation):
            raise ValueError(f"bad Nominal/Value for {code or '?'}") from None
        if not code or nominal <= 0 or value <= 0:
            raise ValueError(f"bad entry for {code or '?'}")
        rates[code] = value / nominal  # exact: Decimal division at 28 digits, e.g. 115,9110 / 10
        nominals[code] = nominal
    return DailyRates(day, rates, nominals)


@dataclass
class CbrClient:
    """FX provider backed by the CBR XML_daily feed for the order date, cached on disk."""

    cache_dir: Union[str, Path, None] = None
    base_url: Optional[str] = None
    timeout_s: float = TIMEOUT_S
    today: Optional[dt.date] = None  # for tests: what "today" is when deciding if an answer is final
    name: str = "cbr"
    _memo: dict[dt.date, Union[DailyRates, str]] = field(default_factory=dict, repr=False)

    def _url(self, date: dt.date) -> str:
        base = self.base_url or os.environ.get(URL_ENV) or DEFAULT_URL
        return f"{base}?date_req={date:%d/%m/%Y}"

    def _cache_file(self, date: dt.date) -> Path:
        return cache_root(self.cache_dir) / "cbr" / f"XML_daily_{date.isoformat()}.xml"

    def daily(self, date: dt.date) -> DailyRates:
        """The rates in force on `date` (CBR answers a weekend with Friday's rates); FxUnavailable if none."""
        if date in self._memo:
            got = self._memo[date]
            if isinstance(got, str):
                raise FxUnavailable(got)
            return got
        try:
            result = self._daily(date)
        except FxUnavailable as exc:
            self._memo[date] = exc.reason
            raise
        self._memo[date] = result
        return result

    def _daily(self, date: dt.date) -> DailyRates:
        path = self._cache_file(date)
        if path.is_file():
            try:
                return parse_daily(path.read_bytes())
            except (OSError, ValueError):
                pass  # a damaged cache entry is refetched
        url = self._url(date)
        try:
            req = urllib.request.Request(url, headers={"User-Agent": "ratecalc (+CBR XML_daily client)"})
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise FxUnavailable(f"CBR feed answered HTTP {exc.code} for {date}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            why = getattr(exc, "reason", exc)
            raise FxUnavailable(f"CBR feed unreachable ({why})") from None
        try:
            daily = parse_daily(raw)
        except ValueError as exc:
            raise FxUnavailable(f"CBR feed answer unusable: {exc}") from None
        if daily.date > date:
            raise FxUnavailable(f"CBR feed has no rate for {date} (answered with {daily.date})")
        today = self.today or dt.date.today()
        if date < today:  # past dates are final; today's and future answers may still change
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(raw)
                tmp.replace(path)
            except OSError:
                pass  # a read-only cache must not break a quote
        return daily

    def rate(self, currency: str, date: dt.date) -> FxQuote:
        daily = self.daily(date)
        value = daily.rates.get(currency.upper())
        if value is None:
            raise FxUnavailable(f"CBR feed of {daily.date} has no {currency}")
        return FxQuote(currency.upper(), value, daily.date, self.name)
