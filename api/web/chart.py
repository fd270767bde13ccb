"""The price-vs-weight chart and the cheapest-by-weight-band strip as inline SVG, drawn on the server.

Why server-side SVG: no chart library to vendor, nothing to run in the browser, and the picture is in
the HTML a test (or a screen reader, through the <title>s and the band list) can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Optional

from ratecalc.i18n import ENGLISH, Lang
from ratecalc.pricing.curves import MUTED, colours

from ..routers.curves import CurvesResponse


@dataclass(frozen=True)
class Size:
    """One drawing's geometry. The page holds a wide and a narrow drawing and CSS shows one: a single
    SVG scaled down to a phone would shrink its text below reading size."""

    name: str
    w: int
    h: int
    left: int
    right: int
    top: int
    bottom: int
    ticks: int  # at most this many ticks per axis


WIDE = Size("wide", 800, 340, 64, 30, 14, 40, 8)
NARROW = Size("narrow", 400, 300, 46, 22, 14, 36, 5)


@dataclass(frozen=True)
class Picture:
    chart_svg: str  # wide
    strip_svg: str
    chart_svg_narrow: str
    strip_svg_narrow: str
    colours: dict[str, str]  # service_id -> colour, for the services that win a band or are marked
    currency: Optional[str]


def _nice(top: float, ticks: int = 8) -> float:
    """The smallest round step (1, 2, 2.5 or 5 × 10^n) giving at most `ticks` ticks up to `top`."""
    steps = sorted(m * 10.0**e for m in (1, 2, 2.5, 5) for e in range(-2, 8))
    return next((s for s in steps if top / s <= ticks), top)


def _kg(g: float, t: Lang = ENGLISH) -> str:
    return f"{g / 1000:g} " + t._("kg") if g >= 1000 else f"{g:g} " + t._("g")


def colours_for(resp: CurvesResponse) -> dict[str, str]:
    return colours([b.service_id for b in resp.cheapest.bands], [b.service_id for b in resp.fastest.bands])


def draw(resp: CurvesResponse, t: Lang = ENGLISH, ties: Optional[list[list[tuple[str, str]]]] = None) -> Picture:
    """The chart and the strip, wide and narrow, labelled in `t`'s language; `ties` (per cheapest band, the
    services tied with its winner: money.bands.band_ties) name the tie on the strip instead of one of them."""
    palette = colours_for(resp)
    wide, currency = _chart(resp, palette, WIDE, t)
    narrow, _ = _chart(resp, palette, NARROW, t)
    names = [
        band_label(b.service, (ties or [])[i] if ties and i < len(ties) else [])
        for i, b in enumerate(resp.cheapest.bands)
    ]
    strip_wide, strip_narrow = _strip(resp, palette, WIDE, t, names), _strip(resp, palette, NARROW, t, names)
    return Picture(wide, strip_wide, narrow, strip_narrow, palette, currency)


def band_label(winner: Optional[str], tied: list[tuple[str, str]]) -> Optional[str]:
    """The band's name: its winner, or its tie ("Economy: ABT, ATC, CEL" when they share the last word)."""
    if len(tied) < 2:
        return winner
    names = [n for _, n in tied]
    last = {n.rsplit(" ", 1)[-1] for n in names}
    if len(last) == 1 and all(" " in n for n in names):
        tier = last.pop()
        return f"{tier}: " + ", ".join(n.rsplit(" ", 1)[0] for n in names)
    return ", ".join(names)


def _chart(resp: CurvesResponse, colours: dict[str, str], size: Size, t: Lang) -> tuple[str, Optional[str]]:
    W, H, LEFT, RIGHT, TOP, BOTTOM = size.w, size.h, size.left, size.right, size.top, size.bottom
    currency = resp.cheapest.compared_in
    if currency is None:
        counts: dict[str, int] = {}
        for s in resp.series:
            if any(p is not None for p in s.prices):
                counts[s.currency] = counts.get(s.currency, 0) + 1
        currency = max(counts, key=lambda c: counts[c]) if counts else None
    series = [s for s in resp.series if s.currency == currency and any(p is not None for p in s.prices)]
    ws = resp.weights_g
    x_max = float(ws[-1]) if ws else 1.0
    y_max = max((float(p) for s in series for p in s.prices if p is not None), default=1.0) or 1.0
    x_step, y_step = _nice(x_max, size.ticks), _nice(y_max, size.ticks)
    y_top = (int(y_max / y_step) + 1) * y_step
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def X(g: float) -> float:
        return round(LEFT + pw * g / x_max, 1)

    def Y(v: float) -> float:
        return round(TOP + ph * (1 - v / y_top), 1)

    out = [
        f'<svg class="chart {size.name}" viewBox="0 0 {W} {H}" role="img" aria-labelledby="chart-title-{size.name}" '
        f'xmlns="http://www.w3.org/2000/svg" data-series="{len(series)}">',
        f'<title id="chart-title-{size.name}">'
        + escape(
            t._(
                "Price (%(currency)s) against weight for %(n)s services; the parcel is marked at %(weight)s",
                currency=currency or "",
                n=len(series),
                weight=_kg(resp.weight_g, t),
            )
        )
        + "</title>",
    ]
    # grid and axes
    v = 0.0
    while v <= y_top + 1e-9:
        y = Y(v)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y}" y2="{y}"/>')
        out.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4}" text-anchor="end">{v:g}</text>')
        v += y_step
    g = 0.0
    while g <= x_max + 1e-9:
        x = X(g)
        out.append(f'<line class="grid" x1="{x}" x2="{x}" y1="{TOP}" y2="{TOP + ph}"/>')
        out.append(f'<text class="tick" x="{x}" y="{TOP + ph + 16}" text-anchor="middle">{_kg(g, t)}</text>')
        g += x_step
    x_label, y_label = t._("actual weight"), t._("price, %(currency)s", currency=currency or "")
    out.append(
        f'<text class="axis" x="{LEFT + pw / 2}" y="{H - 4}" text-anchor="middle">{escape(x_label)}</text>'
        f'<text class="axis ylabel" x="12" y="{TOP + ph / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + ph / 2})">{escape(y_label)}</text>'
    )
    # muted curves first, coloured ones on top
    for s in sorted(series, key=lambda s: s.service_id in colours):
        d: list[str] = []
        prev: Optional[float] = None
        for k, p in enumerate(s.prices):
            if p is None:
                prev = None
                continue
            x0 = X(ws[k - 1]) if k else X(0)
            y = Y(float(Decimal(p)))
            if prev is None:
                d.append(f"M{x0} {y}")
            elif y != prev:
                d.append(f"V{y}")
            d.append(f"H{X(ws[k])}")
            prev = y
        colour = colours.get(s.service_id, MUTED)
        width = 2.2 if s.service_id in colours else 1
        out.append(
            f'<path class="curve" data-service="{escape(s.service_id)}" d="{" ".join(d)}" fill="none" '
            f'stroke="{colour}" stroke-width="{width}"><title>{escape(s.service)} ({escape(s.carrier)})</title></path>'
        )
    # the parcel
    px = X(resp.weight_g)
    out.append(
        f'<line class="parcel" x1="{px}" x2="{px}" y1="{TOP}" y2="{TOP + ph}"/>'
        f'<text class="parcel-label" x="{px + 4}" y="{TOP + 12}">'
        + escape(t._("your parcel, %(weight)s", weight=_kg(resp.weight_g, t)))
        + "</text>"
    )
    k = ws.index(resp.weight_g) if resp.weight_g in ws else -1
    for s in series:
        p = s.prices[k] if k >= 0 else None
        if p is not None and s.service_id in colours:
            out.append(
                f'<circle class="mark" cx="{px}" cy="{Y(float(Decimal(p)))}" r="4" fill="{colours[s.service_id]}">'
                f"<title>{escape(s.service)}: {escape(t.money(p, s.currency))}, {_kg(resp.weight_g, t)}</title></circle>"
            )
    out.append("</svg>")
    return "\n".join(out), currency


def _strip(resp: CurvesResponse, colours: dict[str, str], size: Size, t: Lang, names: list[Optional[str]]) -> str:
    """One bar across the weight axis (aligned with the chart's), coloured by the cheapest service of each band."""
    W, LEFT = size.w, size.left
    pw = W - LEFT - size.right
    x_max = float(resp.weights_g[-1]) if resp.weights_g else 1.0
    h = 30
    out = [
        f'<svg class="strip {size.name}" viewBox="0 0 {W} {h}" role="img" aria-labelledby="strip-title-{size.name}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="strip-title-{size.name}">'
        + escape(t._("Cheapest service by weight band (listed below)"))
        + "</title>",
    ]
    prev_end = 0
    for i, b in enumerate(resp.cheapest.bands):
        x0 = LEFT + pw * prev_end / x_max
        x1 = LEFT + pw * b.to_g / x_max
        prev_end = b.to_g
        colour = colours.get(b.service_id or "", "#eeeeee")
        name = names[i] or t._("no price")
        out.append(
            f'<rect class="band" data-service="{escape(b.service_id or "")}" x="{x0:.1f}" y="2" '
            f'width="{max(x1 - x0, 1):.1f}" height="{h - 4}" fill="{colour}"><title>{_kg(b.from_g, t)}–{_kg(b.to_g, t)}: '
            f"{escape(name)}</title></rect>"
        )
        if x1 - x0 > 8 * len(name):
            out.append(
                f'<text class="band-label" x="{(x0 + x1) / 2:.1f}" y="{h / 2 + 4}" text-anchor="middle">'
                f"{escape(name)}</text>"
            )
    out.append("</svg>")
    return "\n".join(out)
