"""A self-contained report of a run, sweep or calibration directory: one HTML file, optionally
a PDF with the same content.

The HTML file (:mod:`.report_html`) embeds every figure and carries its own CSS, so it opens
anywhere without network access, reads on a phone (tables scroll sideways in their own box,
figures scale) and prints on A4. It holds, in order: the name and description, headline
numbers, the key assumptions read from the resolved scenario, the sources of its numbers, the
metrics table (mean, P5, P50, P95; litres in ML), for a sweep the per-point summary, for a
calibration the fit and the posterior, each standard figure
(:func:`corridorsim.viz.standard_sets.captioned_figures`) with a one-line caption, and the
manifest (seed, replications, versions, scenario or design hash) at the end.

``pdf=True`` also writes the same content as an A4 PDF next to the HTML file (same name,
``.pdf``), drawn with matplotlib only (:mod:`.report_pdf`): figures as vector graphics, web
addresses as links, headings kept with what follows them.

Both files are written atomically (temporary file in the same directory, then rename).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import atomic_write_text
from .contexts import kind_of
from .report_blocks import Block, Table
from .report_content import calibration_blocks, run_blocks, sweep_blocks
from .report_html import render_html
from .report_pdf import render_pdf
from .report_sections import metrics_rows, scenario_assumptions

__all__ = ["write_report", "ReportFiles", "scenario_assumptions", "metrics_rows"]


@dataclass
class ReportFiles:
    """What :func:`write_report` wrote."""

    html: Path
    pdf: Path | None = None
    figures: list[str] = field(default_factory=list)
    pdf_pages: int | None = None


def write_report(path: str | Path, out_html: str | Path, pdf: bool = False) -> ReportFiles:
    """Write the report of a run, sweep or calibration directory.

    Parameters
    ----------
    path : str or Path
        A run directory (``manifest.json``), a sweep directory (``sweep.json``), a
        calibration directory (``calibration.json``) or a decision study (see
        :mod:`corridorsim.viz.decision_report`).
    out_html : str or Path
        The HTML file to write (its folder is created).
    pdf : bool
        Also write the same content as an A4 PDF at ``out_html`` with the suffix ``.pdf``.

    Returns
    -------
    ReportFiles
        The paths written, the figure names and the PDF's page count.
    """
    root = Path(path)
    from .decision_report import decision_sections, is_study

    if is_study(root):  # decision studies (criticality, value, discovery, regret)
        blocks, title = decision_sections(root, Block, Table)
    else:
        make = {"run": run_blocks, "sweep": sweep_blocks, "calibration": calibration_blocks}
        blocks, title = make[kind_of(root)](root)
    target = Path(out_html)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, render_html(blocks, title))
    names = [b.figure.name for b in blocks if b.kind == "fig"]
    files = ReportFiles(html=target, figures=names)
    if pdf:
        pdf_path = target.with_suffix(".pdf")
        files.pdf_pages = render_pdf(blocks, pdf_path, title)
        files.pdf = pdf_path
    for b in blocks:  # free the figures' memory
        if b.kind == "fig":
            b.figure.figure.clear()
    return files
