"""Commands that draw: ``plot`` (the standard figures of a run, sweep or calibration) and
``report`` (one self-contained HTML report, and a PDF).
"""

from __future__ import annotations

from pathlib import Path

import click

from .app import (
    main,
    out_console,
    user_errors,
)


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory for the figures [default: RESULTS_DIR/figures].")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png",
              show_default=True, help="File format of the figures.")
@user_errors
def plot(results_dir: Path, out_dir: Path | None, fmt: str) -> None:
    """Write the standard figures of a run, sweep or calibration directory."""
    from ..viz.run_figures import save_figures, standard_figures

    figures = standard_figures(results_dir)
    for path in save_figures(figures, out_dir or results_dir / "figures", fmt):
        out_console.print(f"wrote {path}", markup=False)


@main.command()
@click.argument("results_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="HTML file to write [default: RESULTS_DIR/report.html].")
@click.option("--pdf", is_flag=True, help="Also write the same report as a PDF beside the HTML.")
@user_errors
def report(results_dir: Path, out_file: Path | None, pdf: bool) -> None:
    """Write a self-contained HTML report (and optionally a PDF) of a run, sweep or calibration
    directory."""
    from ..viz.report import write_report

    files = write_report(results_dir, out_file or results_dir / "report.html", pdf=pdf)
    out_console.print(f"wrote {files.html}", markup=False)
    if files.pdf is not None:
        out_console.print(f"wrote {files.pdf}", markup=False)
