"""Exchange rates (RUB per unit of a currency) from a chain of providers, each quote saying where it came from.

Why a chain: a seller's decision is in roubles, and the rate matters as much as the tariff. A rate the
seller typed wins (it is the one they decided on), then a rates file they keep, then the Central Bank of
Russia's daily feed for the order date (Ozon converts at the CBR rate of the order date). Any provider may
have nothing; the chain then reports *why* for each one, and callers keep the carrier-currency price.

Rounding rule (stated once, used everywhere): a conversion multiplies the exact amount by the exact rate
and rounds **half-up to the target currency's minor unit** (kopecks for RUB, cents for USD).
"""

from __future__ import annotations

import csv
import datetime as dt
import stat
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Union

import yaml

from ..errors import InputError
from ..units import CURRENCY_EXPONENT, Money, check_currency, parse_decimal
from .fx_types import FxProvider, FxQuote, FxUnavailable

MAX_RATES_FILE_BYTES = 16 << 20  # a rates file is a table of days and currencies: years of them fit in 1 MiB

__all__ = [
    "FxChain",
    "FxProvider",
    "FxQuote",
    "FxUnavailable",
    "build_chain",
    "from_rub",
    "quantize_minor",
    "rate_or_reason",
    "to_rub",
]


def quantize_minor(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit (the only rounding of a conversion)."""
    exp = CURRENCY_EXPONENT.get(currency, 2)
    return amount.quantize(Decimal(1).scaleb(-exp), rounding=ROUND_HALF_UP)


def to_rub(money: Money, fx: Optional[FxQuote]) -> Money:
    """`money` in RUB: amount × rate, half-up to the kopeck. RUB passes through unchanged."""
    if money.currency == "RUB":
        return Money(quantize_minor(money.amount, "RUB"), "RUB")
    if fx is None or fx.currency != money.currency:
        raise ValueError(f"need a {money.currency} rate to convert {money}")
    return Money(quantize_minor(money.amount * fx.rate, "RUB"), "RUB")


def from_rub(rub: Money, fx: FxQuote) -> Money:
    """RUB -> `fx.currency`: amount ÷ rate, half-up to the minor unit (Ozon's rule for RUB fees, users.md A2)."""
    if rub.currency != "RUB":
        raise ValueError(f"from_rub needs RUB, got {rub.currency}")
    return Money(quantize_minor(rub.amount / fx.rate, fx.currency), fx.currency)


def _rate_value(text: object, where: str) -> Decimal:
    value = parse_decimal(text, where, what="rate (RUB per unit)", signed=True)
    if value <= 0:
        raise InputError(where, f"rate must be a positive number, got {text!r}")
    return value


# --------------------------------------------------------------------------- explicit rates


@dataclass
class ExplicitRates:
    """Rates given with the request (`--fx USD=92.45`); they apply to whatever order date is asked."""

    rates: Mapping[str, Decimal]
    name: str = "explicit"

    @classmethod
    def parse(cls, items: Iterable[str], field_name: str = "fx") -> ExplicitRates:
        """`["USD=92.45", "CNY=12,71"]` -> rates; bad items name the field and the expected form."""
        out: dict[str, Decimal] = {}
        for item in items:
            cur, sep, value = str(item).partition("=")
            if not sep:
                raise InputError(field_name, f"{item!r}: write a rate as CUR=RUB_PER_UNIT, e.g. USD=92.45")
            code = check_currency(cur.strip(), field_name)
            out[code] = _rate_value(value, field_name)
        return cls(out)

    def rate(self, currency: str, date: dt.date) -> FxQuote:
        if currency not in self.rates:
            raise FxUnavailable(f"no explicit {currency} rate given")
        return FxQuote(currency, Decimal(self.rates[currency]), date, self.name)


# --------------------------------------------------------------------------- rates file


@dataclass
class RatesFile:
    """A user's own rates: CSV (`date,currency,rate`) or YAML (list of {date, currency, rate}).

    The rate used is the one dated on the order date or, failing that, the latest one before it (as the
    CBR rate set on Friday holds over the weekend); its own date is reported, so a stale rate is visible.
    """

    path: Path
    name: str = field(default="")
    _rows: dict[str, list[tuple[dt.date, Decimal]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.name = self.name or f"file:{self.path.name}"
        self._rows = self._load()

    def _load(self) -> dict[str, list[tuple[dt.date, Decimal]]]:
        where = "rates_file"
        try:
            if not self.path.is_dir() and not stat.S_ISREG(self.path.stat().st_mode):
                # a FIFO would hang the command and /dev/zero fill its memory: never opened
                raise InputError(where, f"{self.path} is not a regular file (a FIFO, a device or a socket)")
            if self.path.stat().st_size > MAX_RATES_FILE_BYTES:
                raise InputError(
                    where, f"{self.path} is larger than {MAX_RATES_FILE_BYTES >> 20} MiB: not a rates file"
                )
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(where, f"cannot read {self.path}: {exc.strerror or exc}") from None
        if self.path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text) or []
            if isinstance(data, dict):
                data = data.get("rates", [])
            if not isinstance(data, list):
                raise InputError(where, f"{self.path}: expected a list of {{date, currency, rate}}")
            records = data
        else:
            records = list(csv.DictReader(line for line in text.splitlines() if line.strip()))
        out: dict[str, list[tuple[dt.date, Decimal]]] = {}
        for i, rec in enumerate(records, start=1):
            if not isinstance(rec, dict) or not {"date", "currency", "rate"} <= set(rec):
                raise InputError(where, f"{self.path} row {i}: needs date, currency and rate (RUB per unit)")
            try:
                day = (
                    rec["date"] if isinstance(rec["date"], dt.date) else dt.date.fromisoformat(str(rec["date"]).strip())
                )
            except ValueError:
                raise InputError(where, f"{self.path} row {i}: {rec['date']!r} is not a YYYY-MM-DD date") from None
            code = check_currency(str(rec["currency"]).strip(), where)
            out.setdefault(code, []).append((day, _rate_value(rec["rate"], f"{where} row {i}")))
        for rows in out.values():
            rows.sort()
        return out

    def rate(self, currency: str, date: dt.date) -> FxQuote:
        rows = self._rows.get(currency)
        if not rows:
            raise FxUnavailable(f"{self.path.name} has no {currency} rate")
        found = [r for r in rows if r[0] <= date]
        if not found:
            raise FxUnavailable(f"{self.path.name} has no {currency} rate on or before {date}")
        day, value = found[-1]
        return FxQuote(currency, value, day, self.name)


# --------------------------------------------------------------------------- chain


@dataclass
class FxResult:
    """A rate, or the reasons every provider gave for not having one."""

    quote: Optional[FxQuote]
    reasons: list[str]

    @property
    def missing_reason(self) -> Optional[str]:
        if self.quote is not None:
            return None
        return (
            "no exchange rate: " + "; ".join(self.reasons) if self.reasons else "no exchange rate provider configured"
        )


@dataclass
class FxChain:
    """Providers tried in order; the first with a rate wins. Results are memoised per (currency, date)."""

    providers: Sequence[FxProvider]
    _memo: dict[tuple[str, dt.date], FxResult] = field(default_factory=dict, repr=False)

    def lookup(self, currency: str, date: dt.date) -> FxResult:
        currency = currency.upper()
        if currency == "RUB":
            return FxResult(FxQuote("RUB", Decimal(1), date, "identity"), [])
        key = (currency, date)
        if key not in self._memo:
            reasons = []
            found = None
            for provider in self.providers:
                try:
                    found = provider.rate(currency, date)
                    break
                except FxUnavailable as exc:
                    reasons.append(f"{provider.name}: {exc.reason}")
            self._memo[key] = FxResult(found, reasons)
        return self._memo[key]

    def rate(self, currency: str, date: dt.date) -> Optional[FxQuote]:
        return self.lookup(currency, date).quote


def build_chain(
    explicit: Union[Iterable[str], Mapping[str, Decimal], None] = None,
    rates_file: Union[str, Path, None] = None,
    *,
    cbr: bool = False,
    cache_dir: Union[str, Path, None] = None,
) -> FxChain:
    """The standard chain: explicit rates, then a rates file, then the CBR feed only when `cbr=True`
    (off by default on every surface: a network call must be asked for)."""
    providers: list[FxProvider] = []
    if explicit:
        if isinstance(explicit, Mapping):
            providers.append(
                ExplicitRates({check_currency(k, "fx"): _rate_value(v, "fx") for k, v in explicit.items()})
            )
        else:
            providers.append(ExplicitRates.parse(explicit))
    if rates_file:
        providers.append(RatesFile(Path(rates_file)))
    if cbr:
        from .cbr import CbrClient

        providers.append(CbrClient(cache_dir=cache_dir))
    return FxChain(providers)


NO_RATES = "no exchange rate given (use --fx CUR=RATE, --rates-file or --cbr)"


def rate_or_reason(fx: Optional[FxChain], currency: str, day: dt.date) -> tuple[Optional[FxQuote], str]:
    """The RUB rate of `currency` on `day`, or None and why not: the one place a missing rate is explained."""
    got = fx.lookup(currency, day) if fx is not None else None
    if got is None or got.quote is None:
        return None, (got.missing_reason if got is not None else None) or NO_RATES
    return got.quote, ""
