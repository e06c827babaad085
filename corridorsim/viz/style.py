"""One look for every corridorsim figure: fonts, colours, number and date formats, footers.

Figures are made for briefings: they are often shown at half size (two to a slide, a column of
a report), so fonts are large for a figure about 8 inches wide and lines are thick. Colours come
from the Okabe-Ito palette, which stays distinguishable under the common colour-vision
deficiencies; each corridor label has a fixed colour wherever it appears, and related corridors
share a hue (the A family is blue, B is orange, D is purple).

Use :func:`plot_style` around figure construction (the plot functions of
:mod:`corridorsim.viz.run_figures` do this themselves)::

    with plot_style():
        fig = Figure(figsize=FIGSIZE, layout="constrained")

Nothing here touches pyplot's global state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

__all__ = [
    "OKABE_ITO",
    "CORRIDOR_COLORS",
    "BAND_ALPHA",
    "FIGSIZE",
    "FIGSIZE_TALL",
    "FIGSIZE_MAP",
    "RC",
    "plot_style",
    "corridor_color",
    "corridor_order",
    "litres_formatter",
    "litres_locator",
    "date_formatter",
    "ml",
    "format_litres",
    "format_number",
    "date_axis",
    "date_label",
    "footer",
    "FOOTER_FONTSIZE",
]

#: Okabe & Ito (2008) colour-blind-safe palette, by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Colour cycle for lines and categories without a fixed colour (yellow left out: it is too
#: light for lines on white).
CYCLE: tuple[str, ...] = (
    OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish_green"], OKABE_ITO["vermillion"],
    OKABE_ITO["reddish_purple"], OKABE_ITO["sky_blue"], OKABE_ITO["black"],
)

#: Fixed colour of each corridor label of the built-in network. Okabe-Ito hues; corridors of
#: one family share a hue, darker or lighter (A = Dakar routes in blue, B = Abidjan routes in
#: orange/vermillion, C = Conakry in green, D = domestic in purple, E = Niger in black).
CORRIDOR_COLORS: dict[str, str] = {
    "A": OKABE_ITO["blue"],
    "A-south": OKABE_ITO["sky_blue"],
    "A-branch": "#8FB8D8",   # light tint of blue
    "A-link": "#003E61",     # dark shade of blue
    "B": OKABE_ITO["orange"],
    "B-west": OKABE_ITO["vermillion"],
    "C": OKABE_ITO["bluish_green"],
    "D": OKABE_ITO["reddish_purple"],
    "D-north": "#8A3F6F",    # dark shade of reddish purple
    "E": OKABE_ITO["black"],
}

#: Colour of edges or rows without a corridor label.
NO_CORRIDOR = "#9A9A9A"

#: Opacity of the outer (P5-P95) and inner (P25-P75) uncertainty bands.
BAND_ALPHA = (0.18, 0.38)

#: Default figure sizes in inches: one panel, two stacked panels, a map.
FIGSIZE = (8.0, 4.8)
FIGSIZE_TALL = (8.0, 6.6)
FIGSIZE_MAP = (8.0, 7.0)

#: Font size of footers (points).
FOOTER_FONTSIZE = 9.5

#: rc parameters of the corridorsim look. Sizes are for a figure about 8 in wide that must
#: stay readable when shown at half size.
RC: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica", "Liberation Sans"],
    "font.size": 13.0,
    "axes.titlesize": 14.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 8.0,
    "axes.labelsize": 13.0,
    "axes.labelcolor": "#222222",
    "axes.edgecolor": "#444444",
    "axes.linewidth": 0.9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.prop_cycle": None,  # filled in below (cycler import is cheap but keep it lazy)
    "axes.formatter.use_mathtext": False,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.8,
    "xtick.labelsize": 12.0,
    "ytick.labelsize": 12.0,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "legend.fontsize": 11.5,
    "legend.title_fontsize": 12.0,
    "legend.frameon": True,
    "legend.framealpha": 0.92,
    "legend.edgecolor": "#CCCCCC",
    "legend.borderaxespad": 0.4,
    "lines.linewidth": 2.2,
    "lines.markersize": 7.0,
    "patch.linewidth": 0.6,
    "figure.facecolor": "white",
    "figure.dpi": 100.0,
    "figure.titlesize": 15.0,
    "figure.titleweight": "bold",
    "savefig.dpi": 150.0,
    "savefig.facecolor": "white",
    "savefig.bbox": None,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "image.cmap": "viridis",
}


def _rc() -> dict[str, Any]:
    from cycler import cycler

    rc = dict(RC)
    rc["axes.prop_cycle"] = cycler(color=list(CYCLE))
    return rc


#: rcParams are process-wide: figures are styled one thread at a time.
_STYLE_LOCK = threading.RLock()


@contextlib.contextmanager
def plot_style(**overrides: Any) -> Iterator[None]:
    """Context manager: the corridorsim rc parameters (plus ``overrides``) inside the block.

    Only ``matplotlib.rcParams`` is changed, and restored on exit; no pyplot state is used.
    rcParams are global to the process, so the block holds a (re-entrant) lock: threads that
    build figures at the same time take turns instead of seeing each other's settings.
    """
    import matplotlib

    rc = _rc()
    rc.update(overrides)
    with _STYLE_LOCK, matplotlib.rc_context(rc):
        yield


def corridor_color(label: str | None, fallback_index: int = 0) -> str:
    """Fixed colour of a corridor label; unknown labels get a palette colour, empty ones grey.

    A label with a suffix not in the table (``"B Abidjan-Bamako"``) uses its first word.
    """
    if not label or (isinstance(label, float) and math.isnan(label)):
        return NO_CORRIDOR
    label = str(label).strip()
    if label in CORRIDOR_COLORS:
        return CORRIDOR_COLORS[label]
    head = label.split()[0] if label.split() else ""
    if head in CORRIDOR_COLORS:
        return CORRIDOR_COLORS[head]
    return CYCLE[fallback_index % len(CYCLE)]


def corridor_order(labels: Any) -> list[str]:
    """Corridor labels in display order: the fixed table's order first, then the rest sorted,
    an empty label last."""
    seen = {"" if (x is None or (isinstance(x, float) and math.isnan(x))) else str(x)
            for x in labels}
    known = [c for c in CORRIDOR_COLORS if c in seen]
    rest = sorted(c for c in seen if c not in CORRIDOR_COLORS and c != "")
    return known + rest + ([""] if "" in seen else [])


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------


def ml(litres: float) -> float:
    """Litres to million litres (ML)."""
    return float(litres) / 1e6


def format_number(x: float, digits: int = 3) -> str:
    """A number with about ``digits`` significant digits and thousands separators."""
    if x is None or not math.isfinite(float(x)):
        return "–"
    x = float(x)
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) >= 1:
        return f"{x:,.0f}"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    return f"{x:,.{decimals}f}"


def format_litres(litres: float, digits: int = 3) -> str:
    """Litres as a short string in ML: ``54_852_750`` -> ``"54.9 ML"``."""
    if litres is None or not math.isfinite(float(litres)):
        return "–"
    return f"{format_number(ml(litres), digits)} ML"


def _decimals_needed(values_ml: Any, most: int = 6) -> int:
    """Fewest decimals (at most ``most``) that write every value exactly, to 1e-9 relative."""
    import numpy as np

    v = np.asarray([x for x in np.ravel(values_ml) if math.isfinite(x)], dtype=float)
    if v.size == 0:
        return 0
    scale = max(1.0, float(np.abs(v).max()))
    for d in range(most + 1):
        if np.all(np.abs(np.round(v, d) - v) <= 1e-9 * scale):
            return d
    return most


def _ml_text(v_ml: float, decimals: int) -> str:
    if abs(v_ml) < 0.5 * 10.0 ** -max(decimals, 0):
        v_ml = 0.0  # no "-0"
    return f"{v_ml:,.{decimals}f}"


def litres_formatter():
    """Tick formatter for an axis in litres that shows million litres (label the axis 'ML').

    Every tick is written exactly with the decimals its axis needs (1.25 ML is ``"1.25"``,
    42.5 ML is ``"42.5"``); the cursor read-out uses four significant digits.
    """
    from matplotlib.ticker import Formatter

    class _Formatter(Formatter):
        def __init__(self) -> None:
            self._decimals = 0

        def set_locs(self, locs: Any) -> None:
            super().set_locs(locs)
            self._decimals = _decimals_needed([x / 1e6 for x in locs])

        def __call__(self, x: float, pos: Any = None) -> str:
            return _ml_text(x / 1e6, self._decimals)

        def format_data_short(self, value: float) -> str:
            return f"{format_number(value / 1e6, 4)} ML"

    return _Formatter()


def litres_locator(nbins: Any = 6):
    """Tick locator for an axis in litres: round numbers of million litres (steps of 1, 2, 2.5,
    5 times a power of ten), at most ``nbins`` intervals."""
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10])


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

#: strftime formats of date ticks per level (years, months, days, hours, minutes, seconds) and
#: at the start of the next level up: days are written "08 Sep", the first of a month
#: "01 Oct", months "Sep 2025".
_DATE_FORMATS = ["%Y", "%b %Y", "%d %b", "%H:%M", "%H:%M", "%S.%f"]
_DATE_ZERO_FORMATS = ["%Y", "%b %Y", "%d %b", "%d %b", "%H:%M", "%H:%M"]


def date_formatter(locator: Any):
    """:class:`matplotlib.dates.ConciseDateFormatter` in the corridorsim style (day and month,
    no offset text: the year goes in the axis label, see :func:`date_label`)."""
    import matplotlib.dates as mdates

    return mdates.ConciseDateFormatter(locator, formats=list(_DATE_FORMATS),
                                       zero_formats=list(_DATE_ZERO_FORMATS), show_offset=False)


def date_axis(ax: Any, start: Any = None, end: Any = None, max_ticks: int = 8,
              ticks: Any = None) -> None:
    """Date ticks on the x axis: matplotlib's :class:`~matplotlib.dates.AutoDateLocator` (at
    most ``max_ticks``) or the given ``ticks`` (dates), labelled by :func:`date_formatter`
    (``"08 Sep"``; ``"Sep 2025"`` on spans of months). Spans up to three months get a minor
    tick per day.

    ``start`` and ``end`` (dates or datetimes) set the limits; by default the current limits
    are kept.
    """
    import matplotlib.dates as mdates
    from matplotlib.ticker import FixedLocator, NullLocator

    if start is not None and end is not None:
        ax.set_xlim(mdates.date2num(_as_datetime(start)), mdates.date2num(_as_datetime(end)))
    lo, hi = sorted(ax.get_xlim())
    if ticks is not None:
        locator = FixedLocator(mdates.date2num([_as_datetime(t) for t in ticks]))
        formatter = date_formatter(mdates.AutoDateLocator())
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(formatter)
    else:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=max_ticks)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(date_formatter(locator))
    ax.xaxis.set_minor_locator(mdates.DayLocator() if hi - lo <= 92 else NullLocator())
    ax.tick_params(axis="x", which="minor", length=2.5)


def date_label(start: Any, end: Any | None = None, what: str = "date") -> str:
    """x-axis label naming the year(s) shown: ``"date (2025)"``."""
    y0 = _as_datetime(start).year
    y1 = _as_datetime(end).year if end is not None else y0
    years = f"{y0}" if y0 == y1 else f"{y0}-{y1}"
    return f"{what} ({years})"


def _as_datetime(x: Any) -> dt.datetime:
    import pandas as pd

    ts = pd.Timestamp(x)
    return ts.to_pydatetime()


# --------------------------------------------------------------------------------------------
# Footer
# --------------------------------------------------------------------------------------------


def footer(fig: Any, text: str, fontsize: float = FOOTER_FONTSIZE) -> Any:
    """Put ``text`` (sources, scenario, run date) in small grey type under the figure.

    Long text is wrapped to the figure width. With constrained layout (the default of
    corridorsim figures) room is made for it below the axes; otherwise it is drawn in the
    bottom margin. Returns the Text artist.
    """
    # wrap to the figure width less both margins, at a character width that holds for
    # DejaVu Sans text with capitals and digits (about 0.6 em), so the line never runs off the
    # right edge at any resolution
    width_pt = fig.get_figwidth() * 72.0 * (1 - 2 * 0.012)
    chars = max(40, int(width_pt / (0.6 * fontsize)))
    lines = []
    for para in str(text).splitlines() or [""]:
        lines.extend(textwrap.wrap(para, chars) or [""])
    wrapped = "\n".join(lines)
    height_in = (len(lines) * 1.25 * fontsize + 8) / 72.0
    frac = min(0.4, height_in / fig.get_figheight())
    engine = fig.get_layout_engine()
    try:
        from matplotlib.layout_engine import ConstrainedLayoutEngine
    except ImportError:  # pragma: no cover - matplotlib < 3.6
        ConstrainedLayoutEngine = ()  # type: ignore[assignment]
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0.0, frac, 1.0, 1.0 - frac))
    txt = fig.text(0.012, 0.008, wrapped, ha="left", va="bottom", fontsize=fontsize,
                   color="#555555", linespacing=1.25)
    return txt
