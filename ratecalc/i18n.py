"""Languages: Simplified Chinese, Russian and English for the page and the command line's tables.

Why gettext through Babel: the catalogs are ordinary `.po` files (`ratecalc/locale/<lang>/LC_MESSAGES/`,
`api/web/locale/...`) that translators and `pybabel` (see `babel.cfg`) already know; they are read at run
time by Babel and turned into gettext `Translations` in memory, so an editable checkout and an installed
wheel behave the same with nothing to compile at build time. English is the source language: it needs no
catalog and imports no Babel, so a cold `ratecalc quote` in English pays nothing for languages.

Numbers, money and dates: English keeps the API's exact notation (`48.75 CNY`, `2025-10-01`) — what an
integrator compares against JSON; Chinese and Russian are formatted per locale by Babel (`¥48.75`,
`1 234,50 ₽`, `2025年10月1日`, `1 октября 2025 г.`).

Choice of language: an explicit choice (`?lang=`, `--lang`, `RATECALC_LANG`), then the browser's
`Accept-Language`, then English (`choose`).
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Union

LANGUAGES = ("en", "zh", "ru")
NAMES = {"en": "English", "zh": "中文", "ru": "Русский"}  # each language in itself (the page's switch)
DEFAULT = "en"
ENV = "RATECALC_LANG"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "ratecalc"


def N_(message: str) -> str:
    """Marks a message for extraction without translating it here (it is translated where it is shown)."""
    return message


def code_of(tag: Optional[str]) -> Optional[str]:
    """`zh`, `zh-CN`, `zh_Hans_CN`, `RU-ru`, `en-GB` -> the supported language, or None."""
    if not tag:
        return None
    base = tag.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def parse_accept_language(header: Optional[str]) -> list[str]:
    """Supported languages named by an Accept-Language header, most preferred first (q=0 excluded)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")[:32]):  # a header of hundreds of tags is cut short
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        code = code_of(tag)
        if code and q > 0:
            ranked.append((-q, i, code))
    out: list[str] = []
    for _, _, code in sorted(ranked):
        if code not in out:
            out.append(code)
    return out


def choose(explicit: Optional[str] = None, accept_language: Optional[str] = None) -> str:
    """The one order of choice: an explicit language, then Accept-Language, then English."""
    return code_of(explicit) or next(iter(parse_accept_language(accept_language)), DEFAULT)


def choose_cli(flag: Optional[str]) -> str:
    """`--lang`, then RATECALC_LANG, then English. An unknown name is an error, not a silent English."""
    from .errors import InputError

    given = flag or os.environ.get(ENV) or None
    if given is None:
        return DEFAULT
    code = code_of(given)
    if code is None:
        where = "--lang" if flag else ENV
        raise InputError(where, f"unknown language {given!r}; use {', '.join(LANGUAGES)}", limit=list(LANGUAGES))
    return code


def catalog(directory: Path, domain: str, code: str) -> _gettext.NullTranslations:
    """The `.po` of one domain and language as gettext Translations (read by Babel, compiled in memory)."""
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    path = directory / code / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=code, domain=domain)
    buf = BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=domain)


@lru_cache(maxsize=16)
def translations(code: str, directory: Optional[str] = None, domain: str = DOMAIN) -> _gettext.NullTranslations:
    """gettext Translations of `domain` (the library's own by default) in `code`; English: none needed."""
    if code == DEFAULT:
        return _gettext.NullTranslations()
    return catalog(Path(directory) if directory else LOCALE_DIR, domain, code)


Number = Union[Decimal, int, str, float]


class Lang:
    """One language: its messages and its way of writing numbers, money, percentages and dates."""

    def __init__(self, code: str, tr: Optional[_gettext.NullTranslations] = None):
        self.code = code
        self.tr = tr if tr is not None else translations(code)

    # -- messages

    def _(self, message: str, **values: Any) -> str:
        text = self.tr.gettext(message)
        return text % values if values else text

    gettext = _

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self.tr.ngettext(singular, plural, n)
        return text % ({"num": n} | values)

    # -- numbers

    @property
    def babel(self) -> bool:
        return self.code != DEFAULT

    def number(self, value: Number, decimals: Optional[int] = None) -> str:
        """A number; `decimals` fixes the digits after the point (else exact)."""
        d = Decimal(str(value))
        if decimals is not None:
            d = d.quantize(Decimal(1).scaleb(-decimals))
        if not self.babel:
            return f"{d:f}"
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(d, format=pattern if decimals is not None else None, locale=self.code,
                              decimal_quantization=decimals is not None)  # fmt: skip

    def grams(self, g: int) -> str:
        return self.number(g) + " " + self._("g")

    def money(self, amount: Number, currency: str) -> str:
        """`48.75 CNY` in English; the locale's way in Chinese and Russian (`¥48.75`, `48,75 CN¥`, `1 234,50 ₽`)."""
        if not self.babel:
            return f"{Decimal(str(amount)):f} {currency}"
        from babel.numbers import format_currency

        if self.code == "zh" and currency == "RUB":  # Babel's Chinese writes "RUB1,234.50"; sellers see ₽ on Ozon
            return f"{self.number(amount, 2)}\u00a0₽"
        return format_currency(Decimal(str(amount)), currency, locale=self.code)

    def percent(self, value: Number, decimals: int = 2) -> str:
        """A percentage given in percent (21.5 -> `21.50 %`; Chinese writes `21.50%`)."""
        sep = "" if self.code == "zh" else "\u00a0" if self.code == "ru" else " "
        return f"{self.number(value, decimals)}{sep}%"

    def date(self, day: dt.date) -> str:
        if not self.babel:
            return day.isoformat()
        from babel.dates import format_date

        return format_date(day, "long", locale=self.code)


ENGLISH = Lang(DEFAULT, _gettext.NullTranslations())


@lru_cache(maxsize=8)
def lang(code: str) -> Lang:
    """The Lang of a supported code (English, and anything unknown: `ENGLISH` itself)."""
    return Lang(code) if code in LANGUAGES and code != DEFAULT else ENGLISH


__all__ = [
    "DEFAULT",
    "ENGLISH",
    "ENV",
    "LANGUAGES",
    "Lang",
    "NAMES",
    "N_",
    "choose",
    "choose_cli",
    "code_of",
    "lang",
    "parse_accept_language",
    "translations",
]
