"""`ratecalc chart`: the page's picture as a file: price against weight for every service, the parcel
marked, and the cheapest service per weight band as a strip (matplotlib; SVG, PNG or HTML by suffix)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InputError
from . import _curves as flags
from ._common import consoles, guarded
from .options import Battery, Courier, Date, Dims, Liquid, MaxWeight, Reading, Step, Tariffs, Value, Weight

if TYPE_CHECKING:
    from ..money.bands import Bands
    from ..pricing.curves import Curves

FORMATS = (".svg", ".png", ".html")


def figure(curves: Curves, cheapest: Bands, fastest: Bands, marked: bool):
    """A matplotlib Figure: the step curves over the band strip. Needs the `chart` extra."""
    from ..pricing.curves import colours

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("-o", "charts need matplotlib: pip install 'ratecalc[chart]'") from None

    palette = colours([b.service_id for b in cheapest.bands], [b.service_id for b in fastest.bands])
    currency = cheapest.compared_in or next((c.currency for c in curves.services if c.priced), "")
    w = curves.weights_g
    fig, (ax, strip) = plt.subplots(
        2, 1, figsize=(10, 6), gridspec_kw={"height_ratios": [12, 1]}, sharex=True, constrained_layout=True
    )
    _draw_curves(ax, curves, palette, currency)
    if marked:
        _mark_parcel(ax, curves)
    p = curves.parcel
    value = f", declared {p.declared_value}" if p.declared_value else ""
    ax.set_title(
        f"Price against weight: {'x'.join(map(str, p.dims_mm))} mm{value}, {p.order_date.isoformat()}, "
        f"{'courier' if p.delivery == 'courier' else 'pickup point'}",
        fontsize=11,
    )
    ax.set_ylabel(f"price, {currency}")
    ax.set_ylim(bottom=0)
    ax.grid(color="#eee")
    ax.legend(loc="lower right", fontsize=9, frameon=False)
    _draw_strip(strip, cheapest, palette, w[-1])
    return fig


def _draw_curves(ax, curves: Curves, palette: dict[str, str], currency: str) -> None:
    """One step curve per service priced in `currency`: the services of the band strip in colour, on top."""
    from ..pricing.curves import MUTED
    from ..units import CURRENCY_EXPONENT

    w = curves.weights_g
    for c in sorted(curves.services, key=lambda c: c.service_id in palette):
        if not c.priced or c.currency != currency:
            continue
        scale = 10 ** CURRENCY_EXPONENT.get(c.currency, 2)  # minor units -> currency units, for drawing only
        y = [None if v < 0 else v / scale for v in c.price_minor.tolist()]
        hot = c.service_id in palette
        ax.step(
            w,
            [float("nan") if v is None else v for v in y],
            where="pre",  # the price at weight w holds from the previous grid point up to w
            color=palette.get(c.service_id, MUTED),
            linewidth=2 if hot else 0.8,
            label=c.service if hot else None,
            zorder=3 if hot else 2,
        )


def _mark_parcel(ax, curves: Curves) -> None:
    ax.axvline(curves.parcel.weight_g, color="#222", linestyle="--", linewidth=1)
    ax.annotate(
        f"your parcel, {curves.parcel.weight_g} g",
        (curves.parcel.weight_g, 1),
        xycoords=("data", "axes fraction"),
        xytext=(4, -12),
        textcoords="offset points",
    )


def _draw_strip(strip, cheapest: Bands, palette: dict[str, str], right_g: int) -> None:
    """The cheapest service per weight band as one coloured bar each, named where it is wide enough."""
    prev = 0
    for b in cheapest.bands:
        strip.barh(0, b.to_g - prev, left=prev, color=palette.get(b.service_id or "", "#eee"), height=1)
        if b.service and (b.to_g - prev) > 0.12 * right_g:
            strip.text((prev + b.to_g) / 2, 0, b.service, ha="center", va="center", color="white", fontsize=9)
        prev = b.to_g
    strip.set_yticks([])
    strip.set_xlabel("actual weight, g")
    strip.set_xlim(0, right_g)
    strip.set_title("cheapest service by weight band", fontsize=9, loc="left")


def chart(
    dims: Dims,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write: chart.svg, chart.png or chart.html.")],
    weight: Weight = None,
    date: Date = None,
    value: Value = None,
    courier: Courier = False,
    battery: Battery = False,
    liquid: Liquid = False,
    max_weight: MaxWeight = None,
    step: Step = None,
    reading: Reading = None,
    tariffs: Tariffs = None,
) -> None:
    """Draw price against weight for every service (the parcel marked) and the cheapest-by-band strip."""

    def run() -> None:
        from ..files.paths import check_paths, write_atomic

        suffix = output.suffix.lower()
        if suffix not in FORMATS:
            raise InputError("-o", f"name the file .svg, .png or .html (got {output.name!r})")
        check_paths([("output", output)])  # a regular file or a new path, never a device
        curves = flags.run_curves(
            weight, dims, date, value, courier, battery, liquid, max_weight, step, reading, tariffs
        )
        from ..money.bands import cheapest_bands

        cheapest, fastest = cheapest_bands(curves, "price"), cheapest_bands(curves, "days")
        fig = figure(curves, cheapest, fastest, marked=weight is not None)
        import io

        if suffix == ".html":
            text = io.StringIO()
            fig.savefig(text, format="svg")
            data = _html(text.getvalue(), cheapest).encode("utf-8")
        else:
            picture = io.BytesIO()
            fig.savefig(picture, format=suffix[1:], dpi=120)
            data = picture.getvalue()
        write_atomic(output, data)  # whole or not at all, beside the target and renamed onto it
        consoles.out.print(f"wrote {output}", highlight=False)

    guarded(run)


def _html(svg: str, cheapest: Bands) -> str:
    """A self-contained page: the SVG inline and the bands as a list (no scripts, no external assets)."""
    import html

    svg = svg[svg.index("<svg") :]
    items = "".join(
        f"<li>{b.from_g}–{b.to_g} g: {html.escape(b.service or 'no price')}"
        + (f" ({b.price_from} – {b.price_to})" if b.price_from else "")
        + "</li>"
        for b in cheapest.bands
    )
    note = f"<p>{html.escape(cheapest.note)}</p>" if cheapest.note else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>ratecalc chart</title>'
        "<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:1em auto;padding:0 1em}"
        "svg{width:100%;height:auto}</style></head><body>"
        f"{svg}<h2>Cheapest service by weight band</h2>{note}<ol>{items}</ol></body></html>\n"
    )


def register(app: typer.Typer) -> None:
    app.command()(chart)
