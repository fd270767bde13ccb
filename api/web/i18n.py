"""The page's languages: its own catalog (`api/web/locale/<lang>/LC_MESSAGES/web.po`) over the library's
(`ratecalc/locale`, the rate sheet's terms and the reasons), the language of a request, and the Jinja2
i18n extension wired to it.

Choice: `?lang=zh|ru|en`, then Accept-Language, then English (ratecalc.i18n.choose). The answer says
which (`Content-Language`) and that it depends on the header (`Vary: Accept-Language`).
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment
from starlette.requests import Request

from ratecalc import i18n
from ratecalc.i18n import Lang

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "web"

_current: ContextVar[Lang] = ContextVar("ratecalc_web_lang", default=i18n.ENGLISH)


@lru_cache(maxsize=8)
def web_lang(code: str) -> Lang:
    """The page's messages in `code`, falling back to the library's catalog (terms, reasons)."""
    if code not in i18n.LANGUAGES or code == i18n.DEFAULT:
        return i18n.ENGLISH
    own = i18n.catalog(LOCALE_DIR, DOMAIN, code)  # this page's own object: the fallback is added once
    own.add_fallback(i18n.translations(code))
    return Lang(code, own)


def request_lang(request: Request) -> Lang:
    """The language of this request, in the one order of choice."""
    code = i18n.choose(request.query_params.get("lang"), request.headers.get("accept-language"))
    return web_lang(code)


def explicit_lang(request: Request) -> str:
    """The `lang` the query string names (kept in the form and the links), or ""."""
    return i18n.code_of(request.query_params.get("lang")) or ""


def use(t: Lang) -> None:
    """Render the next template in `t` (the route sets this just before rendering)."""
    _current.set(t)


def current() -> Lang:
    return _current.get()


def _gettext(message: str) -> str:
    return _current.get().tr.gettext(message)  # newstyle: Jinja2 fills in the values, escaped


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get().tr.ngettext(singular, plural, n)


def install(env: Environment) -> None:
    """Jinja2's i18n extension (`{% trans %}`, `_()`) reading the language set by `use`."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext=_gettext, ngettext=_ngettext, newstyle=True)  # type: ignore[attr-defined]


__all__ = ["DOMAIN", "LOCALE_DIR", "current", "explicit_lang", "install", "request_lang", "use", "web_lang"]
