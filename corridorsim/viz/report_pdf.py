"""The PDF rendering of a report, with matplotlib only (``PdfPages``, no browser or system
library): A4 pages of flowing text and tables, then the figures.

What makes it match the HTML version: figures are drawn into the page as vector graphics (the
figure's own drawing commands, scaled, not a picture of it); web addresses are links; a heading
is never left alone at the foot of a page; numbers are never broken across lines (numeric
columns are sized to their widest cell, and a table too wide for the page is set in a smaller
type instead).

May import :mod:`.report_blocks` and :mod:`.style`.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_write
from .report_blocks import Block, Table
from .style import plot_style

__all__ = ["render_pdf", "lay_out", "A4"]

#: A4 portrait in inches.
A4 = (8.27, 11.69)

#: Width of a character as a share of the font size: DejaVu Sans, digits and capitals
#: included (bold is wider), so that estimated line widths never run past the margin.
_CHAR_EM = 0.58
_CHAR_EM_BOLD = 0.66

_URL = re.compile(r"https?://\S+[^\s.,;:!?)\]]")


class _EmbeddedFigure:
    """A matplotlib figure drawn inside a PDF page, as vector graphics, at ``(x, y)`` inches
    from the page's lower left corner and scaled by ``scale``.

    The figure draws itself with the page's PDF renderer inside a saved graphics state whose
    transformation matrix moves and scales it; the renderer's record of the graphics state is
    brought back to the page's state afterwards. Images (heat maps) keep their pixels, drawn in
    the same transformed space.
    """

    def __init__(self, figure: Any, x_in: float, y_in: float, scale: float):
        self.figure, self.x_in, self.y_in, self.scale = figure, x_in, y_in, scale

    def artist(self) -> Any:
        from matplotlib.artist import Artist

        outer = self

        class _Artist(Artist):
            def draw(self, renderer: Any) -> None:
                outer.draw(renderer)

        return _Artist()

    def draw(self, renderer: Any) -> None:
        from matplotlib.backends.backend_pdf import Op

        out = renderer.file.output
        out(*renderer.gc.finalize())  # back to the page's base graphics state
        saved = renderer.new_gc()
        saved.copy_properties(renderer.gc)
        out(Op.gsave)
        out(self.scale, 0, 0, self.scale, self.x_in * 72.0, self.y_in * 72.0, Op.concat_matrix)
        dpi = self.figure.dpi
        # artists marked for rasterising (colour bar fills) would be rendered at the page's
        # resolution and placed in page coordinates: draw them as vectors instead
        raster = self.figure.findobj(lambda a: hasattr(a, "get_rasterized") and a.get_rasterized())
        try:
            self.figure.dpi = 72.0  # PDF units are points
            for a in raster:
                a.set_rasterized(False)
            with plot_style():
                self.figure.draw(renderer)
        finally:
            self.figure.dpi = dpi
            for a in raster:
                a.set_rasterized(True)
        out(*renderer.gc.finalize())
        out(Op.grestore)
        renderer.gc.copy_properties(saved)


class _Pages:
    """Flowing text layout on A4 matplotlib pages."""

    margin = 0.75  # inches
    top = 0.8

    def __init__(self, pdf: Any):
        self.pdf = pdf
        self.fig = None
        self.y = 0.0
        self.count = 0

    @property
    def width(self) -> float:
        return A4[0] - 2 * self.margin

    def new_page(self) -> None:
        from matplotlib.figure import Figure

        self.close_page()
        self.fig = Figure(figsize=A4)
        self.y = A4[1] - self.top
        self.count += 1

    def close_page(self) -> None:
        if self.fig is not None:
            self.fig.text(0.5, 0.35 / A4[1], f"{self.count}", ha="center", va="bottom", fontsize=8,
                          color="#777777")
            self.pdf.savefig(self.fig)
            self.fig = None

    def room(self) -> float:
        return self.y - self.margin if self.fig is not None else 0.0

    def need(self, height: float) -> None:
        if self.fig is None or self.y - height < self.margin:
            self.new_page()

    @staticmethod
    def lines(s: str, width_in: float, size: float, bold: bool = False) -> list[str]:
        chars = max(8, int(width_in * 72 / ((_CHAR_EM_BOLD if bold else _CHAR_EM) * size)))
        return textwrap.wrap(s, chars, break_long_words=True, break_on_hyphens=False) or [""]

    def text(self, s: str, size: float = 10, weight: str = "normal", color: str = "#1a1a1a",
             indent: float = 0.0, gap: float = 0.06, bullet: str | None = None,
             keep_with: float = 0.0) -> None:
        """Flowing text; ``keep_with`` inches of what follows must fit on the same page."""
        lines = self.lines(s, self.width - indent, size, weight == "bold")
        line_h = size * 1.35 / 72
        if keep_with:
            self.need(len(lines) * line_h + gap + keep_with)
        for i, line in enumerate(lines):
            self.need(line_h)
            x = (self.margin + indent) / A4[0]
            if bullet and i == 0:
                self.fig.text((self.margin + indent - 0.15) / A4[0], self.y / A4[1], bullet,
                              ha="left", va="top", fontsize=size, color=color)
            t = self.fig.text(x, self.y / A4[1], line, ha="left", va="top", fontsize=size,
                              fontweight=weight, color=color)
            url = _URL.search(line)
            if url:
                t.set_url(url.group(0))  # the line is a link (PDF link annotation)
            self.y -= line_h
        self.y -= gap

    def table(self, t: Table, size: float = 8.5) -> None:
        size, widths = _column_widths(t, self.width, size)
        line_h = size * 1.3 / 72
        xs = self.margin + np.concatenate([[0], np.cumsum(widths)[:-1]])

        def wrap_row(row: list[str], bold: bool = False) -> list[list[str]]:
            out = []
            for k, (c, w) in enumerate(zip(row, widths)):
                if t.align[k] == "r" and not bold:
                    out.append([str(c)])  # numbers are never broken
                else:
                    out.append(self.lines(str(c), w - 0.1, size, bold))
            return out

        def draw_row(cells: list[list[str]], bold: bool, shade: bool) -> None:
            n = max(len(c) for c in cells)
            h = n * line_h + 0.05
            self.need(h)
            if shade:
                from matplotlib.patches import Rectangle

                self.fig.patches.append(Rectangle(
                    (self.margin / A4[0], (self.y - h + 0.02) / A4[1]), self.width / A4[0],
                    h / A4[1], transform=self.fig.transFigure, facecolor="#EEEEEE", lw=0,
                    figure=self.fig))
            for k, (c, x, w) in enumerate(zip(cells, xs, widths)):
                right = t.align[k] == "r"
                for j, line in enumerate(c):
                    txt = self.fig.text((x + (w - 0.04 if right else 0.04)) / A4[0],
                                        (self.y - j * line_h) / A4[1], line,
                                        ha="right" if right else "left", va="top", fontsize=size,
                                        fontweight="bold" if bold else "normal", color="#1a1a1a")
                    url = _URL.search(line)
                    if url:
                        txt.set_url(url.group(0))
            self.y -= h
            self.fig.add_artist(_hline(self.fig, self.margin, self.margin + self.width, self.y + 0.02))

        header = wrap_row(t.header, True)
        wrapped = [wrap_row(r) for r in t.rows]
        row_h = [max(len(c) for c in cells) * line_h + 0.05 for cells in wrapped]
        head_h = max(len(c) for c in header) * line_h + 0.05
        total = sum(row_h) + head_h
        page_room = A4[1] - self.top - self.margin
        if total < 0.6 * page_room and (self.fig is None or self.y - total < self.margin):
            self.new_page()  # a short table is not split over two pages
        else:
            self.need(head_h + (row_h[0] if row_h else 0.0))  # no header alone at a page foot
        draw_row(header, True, True)
        for i, (cells, h) in enumerate(zip(wrapped, row_h)):
            if self.fig is None or self.y - h < self.margin:
                self.new_page()
                draw_row(header, True, True)
            draw_row(cells, i in t.mark, False)
        self.y -= 0.1

    def figure(self, fig: Any, number: int, caption: str) -> None:
        """The figure at the text width (or smaller, to fit a page), as vector graphics, under
        its number and caption; a new page when it does not fit on this one."""
        w_in, h_in = fig.get_figwidth(), fig.get_figheight()
        scale = self.width / w_in
        max_h = A4[1] - self.top - self.margin - 1.2
        scale = min(scale, max_h / h_in)
        cap_lines = len(self.lines(caption, self.width, 10)) + 1
        cap_h = cap_lines * 10 * 1.35 / 72 + 0.25
        if self.room() < h_in * scale + cap_h + 0.2:
            self.new_page()
        self.text(f"Figure {number}", size=12, weight="bold", gap=0.04)
        self.text(caption, size=10, gap=0.12)
        w, h = w_in * scale, h_in * scale
        left = self.margin + (self.width - w) / 2
        self.fig.add_artist(_EmbeddedFigure(fig, left, self.y - h, scale).artist())
        self.y -= h + 0.3


def _column_widths(t: Table, width: float, size: float) -> tuple[float, np.ndarray]:
    """(font size, column widths in inches): numeric (right-aligned) columns as wide as their
    widest cell, the text columns sharing the rest by the table's relative widths; the font
    shrinks (to 6.5 pt at least) until the text columns keep at least 1.1 in each."""
    rel = np.array(t.widths or [1.0] * len(t.header), dtype=float)
    numeric = np.array([a == "r" for a in t.align])
    while True:
        need = np.zeros(len(t.header))
        for k in np.flatnonzero(numeric):
            cells = [str(r[k]) for r in t.rows]
            longest = max([len(c) for c in cells] + [min(len(str(t.header[k])), 12)])
            need[k] = longest * _CHAR_EM * size / 72 + 0.14
        rest = width - need[numeric].sum()
        text_cols = int((~numeric).sum())
        if text_cols == 0 or rest >= 1.1 * text_cols or size <= 6.5:
            break
        size -= 0.5
    widths = need.copy()
    if text_cols:
        share = rel[~numeric] / rel[~numeric].sum()
        widths[~numeric] = np.maximum(rest, 0.8 * text_cols) * share
    else:
        widths = widths / widths.sum() * width
    return size, widths


def _hline(fig: Any, x0: float, x1: float, y: float) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([x0 / A4[0], x1 / A4[0]], [y / A4[1], y / A4[1]], transform=fig.transFigure,
                  color="#CCCCCC", lw=0.6)


#: Room (inches) that must follow a heading on its page: its first lines or table rows.
_KEEP_WITH_HEADING = 1.0


def _follower_height(pages: _Pages, rest: list[Block]) -> float:
    """Height (inches) that must share a heading's page: the paragraphs under it and the
    start of what comes next (a short table whole, since it is never split; the first rows of
    a long one; a figure with its caption)."""
    height = 0.0
    for b in rest:
        if b.kind == "p":
            height += len(pages.lines(b.text, pages.width, 10)) * 10 * 1.35 / 72 + 0.06
            continue
        if b.kind == "table" and b.table is not None:
            size, widths = _column_widths(b.table, pages.width, 8.5)
            line_h = size * 1.3 / 72
            rows = [max(1, *(len(pages.lines(str(c), w - 0.1, size)) if b.table.align[k] != "r" else 1
                             for k, (c, w) in enumerate(zip(r, widths))))
                    for r in b.table.rows]
            total = (sum(rows) + 1) * line_h + 0.05 * (len(rows) + 1)
            short = total < 0.6 * (A4[1] - pages.top - pages.margin)
            height += total if short else 3 * (line_h + 0.05)
        elif b.kind == "fig":
            f = b.figure.figure
            height += min(pages.width / f.get_figwidth() * f.get_figheight(), 6.0) + 0.8
        else:
            height += _KEEP_WITH_HEADING
        break
    return height


def lay_out(blocks: list[Block], pdf: Any) -> _Pages:
    """Lay the blocks out on A4 pages, handing each finished page (a matplotlib Figure) to
    ``pdf.savefig``; returns the pages' state (``count`` = number of pages)."""
    pages = _Pages(pdf)
    pages.new_page()
    n_fig = 0
    for i, b in enumerate(blocks):
        if b.kind == "h1":
            pages.text(b.text, size=18, weight="bold", gap=0.05)
        elif b.kind == "sub":
            pages.text(b.text, size=10, color="#555555", gap=0.15)
        elif b.kind == "h2":
            pages.y -= 0.1
            pages.text(b.text, size=13, weight="bold", color="#0072B2", gap=0.08,
                       keep_with=_follower_height(pages, blocks[i + 1:]))
        elif b.kind == "p":
            pages.text(b.text, size=10)
        elif b.kind == "ul":
            for item in b.items:
                pages.text(item, size=9.5, indent=0.2, bullet="•", gap=0.03)
            pages.y -= 0.06
        elif b.kind == "table" and b.table is not None:
            pages.table(b.table)
        elif b.kind == "fig":
            n_fig += 1
            pages.figure(b.figure.figure, n_fig, b.text)
        elif b.kind == "manifest" and b.table is not None:
            pages.new_page()
            pages.text("Manifest", size=13, weight="bold", color="#0072B2", gap=0.05)
            pages.text("How these results were made: enough to reproduce them.", size=10)
            pages.table(b.table, size=8)
    pages.close_page()
    return pages


def render_pdf(blocks: list[Block], target: Path, title: str) -> int:
    """Write the report as an A4 PDF (atomically); returns the number of pages."""
    from matplotlib.backends.backend_pdf import PdfPages

    count = 0

    def write(tmp: Path) -> None:
        nonlocal count
        with plot_style(), PdfPages(tmp, metadata={"Title": f"{title} – corridorsim report",
                                                   "Creator": "corridorsim", "Producer": None,
                                                   "CreationDate": None}) as pdf:
            pages = lay_out(blocks, pdf)
        count = pages.count

    atomic_write(target, write)
    return count
