"""The HTML rendering of a report: one self-contained file (figures embedded as base64 PNG,
its own CSS) that reads on a phone and on a desktop screen and prints on A4.

Tables sit in horizontal scroll containers so that a wide table never widens the page; figures
scale to the column width. May import :mod:`.report_blocks` and :mod:`.style`.
"""

from __future__ import annotations

import base64
import html
import io
import re
from typing import Any

from .report_blocks import Block, Table
from .style import plot_style

__all__ = ["render_html", "FIG_DPI_HTML"]

#: Resolution of the embedded figures (dots per inch).
FIG_DPI_HTML = 110


_CSS = """
@page { size: A4; margin: 15mm 14mm 16mm 14mm; }
:root { --ink: #1a1a1a; --muted: #555; --rule: #d9d9d9; --accent: #0072B2; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { font-family: "DejaVu Sans", "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: var(--ink); line-height: 1.45; max-width: 62rem; margin: 2rem auto;
       padding: 0 1.2rem; font-size: 16px; background: #fff; }
h1 { font-size: 1.9rem; margin: 0 0 .3rem 0; overflow-wrap: anywhere; }
h2 { font-size: 1.3rem; margin: 2rem 0 .6rem 0; border-bottom: 2px solid var(--accent);
     padding-bottom: .2rem; break-after: avoid; page-break-after: avoid; }
p, li { overflow-wrap: anywhere; }
p.sub { color: var(--muted); margin-top: 0; }
ul { padding-left: 1.3rem; }
li { margin: .25rem 0; }
a { color: var(--accent); }
/* A wide table scrolls sideways inside its own box; the page itself never does. */
.scroll { max-width: 100%; overflow-x: auto; margin: .4rem 0 1rem 0;
          -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { padding: .3rem .55rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { text-align: left; background: #f2f2f2; font-weight: 600; }
td.l { overflow-wrap: anywhere; min-width: 7rem; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.r { white-space: normal; }  /* long headers wrap; numbers never do */
tr.mark td { font-weight: 600; background: #f6f9fc; }
tr { break-inside: avoid; page-break-inside: avoid; }
figure { margin: 1.4rem 0 2rem 0; break-inside: avoid; page-break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto;
             border: 1px solid #eee; }
figcaption { font-size: .95rem; color: #333; margin-top: .4rem; }
figcaption b { color: var(--ink); }
section.manifest { font-size: .85rem; color: #333; }
section.manifest td { overflow-wrap: anywhere; }
footer { margin-top: 2rem; font-size: .8rem; color: var(--muted); }
@media (max-width: 40rem) {
  body { margin: 1rem auto; padding: 0 .75rem; font-size: 15px; }
  h1 { font-size: 1.5rem; }
  table { font-size: .8rem; }
  th, td { padding: .25rem .35rem; }
  td.l { min-width: 5.5rem; }
  figure { margin: 1rem 0 1.4rem 0; }
}
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h1 { font-size: 18pt; } h2 { font-size: 13pt; margin-top: 14pt; }
  table { font-size: 8.5pt; }
  .scroll { overflow: visible; }
  figure { margin: 8pt 0 12pt 0; }
  figure img { border: none; max-height: 230mm; width: auto; }
  section.manifest { break-before: page; page-break-before: always; }
}
"""

#: Web addresses in the text (sources of numbers, descriptions) become links.
_URL = re.compile(r"https?://[^\s<>()\[\]\"']+[^\s<>()\[\]\"'.,;:!?]")


def _text(s: str) -> str:
    """Escaped text with its web addresses as links."""
    out, last = [], 0
    for m in _URL.finditer(s):
        out.append(html.escape(s[last:m.start()]))
        url = html.escape(m.group(0))
        out.append(f'<a href="{url}" rel="noopener">{url}</a>')
        last = m.end()
    out.append(html.escape(s[last:]))
    return "".join(out)


def _png_base64(fig: Any, dpi: float) -> tuple[str, int, int]:
    buf = io.BytesIO()
    with plot_style():
        fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    w, h = fig.get_figwidth() * dpi, fig.get_figheight() * dpi
    return base64.b64encode(buf.getvalue()).decode("ascii"), int(round(w)), int(round(h))


def _html_table(t: Table, cls: str = "") -> str:
    e = html.escape
    head = "".join(f'<th class="{"r" if a == "r" else ""}">{e(h)}</th>'
                   for h, a in zip(t.header, t.align))
    body = []
    for i, row in enumerate(t.rows):
        cells = "".join(f'<td class="{"r" if a == "r" else "l"}">{_text(c)}</td>'
                        for c, a in zip(row, t.align))
        body.append(f'<tr class="mark">{cells}</tr>' if i in t.mark else f"<tr>{cells}</tr>")
    return (f'<div class="scroll" role="region" tabindex="0"><table class="{cls}">'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


def render_html(blocks: list[Block], title: str) -> str:
    """The report as one self-contained HTML document."""
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(title)} – corridorsim report</title>", f"<style>{_CSS}</style>", "</head>",
           "<body>"]
    n_fig = 0
    for b in blocks:
        if b.kind == "h1":
            out.append(f"<h1>{e(b.text)}</h1>")
        elif b.kind == "sub":
            out.append(f'<p class="sub">{e(b.text)}</p>')
        elif b.kind == "h2":
            out.append(f"<h2>{e(b.text)}</h2>")
        elif b.kind == "p":
            out.append(f"<p>{_text(b.text)}</p>")
        elif b.kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_text(i)}</li>" for i in b.items) + "</ul>")
        elif b.kind == "table" and b.table is not None:
            out.append(_html_table(b.table))
        elif b.kind == "fig":
            n_fig += 1
            data, w, h = _png_base64(b.figure.figure, FIG_DPI_HTML)
            alt = e(b.text)
            out.append(f'<figure id="{e(b.figure.name)}"><img src="data:image/png;base64,{data}" '
                       f'width="{w}" height="{h}" alt="{alt}">'
                       f"<figcaption><b>Figure {n_fig}.</b> {e(b.text)}</figcaption></figure>")
        elif b.kind == "manifest" and b.table is not None:
            out.append('<section class="manifest"><h2>Manifest</h2>'
                       "<p>How these results were made: enough to reproduce them.</p>"
                       + _html_table(b.table) + "</section>")
    out.append("<footer>Made with corridorsim. Figures embedded; this file needs no network "
               "access.</footer>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
