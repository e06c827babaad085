"""Figures of runs and sweeps: tables in, :class:`matplotlib.figure.Figure` out.

Every function takes result tables (pandas DataFrames as written by a run or a sweep, see
:mod:`corridorsim.model.records` and :mod:`corridorsim.experiments.summaries`) and returns a
Figure built with :class:`matplotlib.figure.Figure` directly: no pyplot, no global state,
nothing shown, so they are safe in threads, worker processes and on headless machines. Pass
``ax=`` (or a tuple of axes for the two-panel figures) to draw into axes of your own figure.

Conventions: litres are shown in million litres (ML); daily values are the state at the end of
each day and are drawn at midnight after that day (so a cumulative curve starts at 0 at the
scenario start); bands are P5-P95 (light) and P25-P75 (darker) across replications, the line
is the median. Colours follow :mod:`corridorsim.viz.style` (one fixed colour per corridor).

This module gathers the public figure functions in one namespace; they live in modules named
by concept: :mod:`.stock_figures` (:func:`fan_chart`, :func:`stock_chart`),
:mod:`.destination_figures` (:func:`stock_by_destination`, :func:`stockout_by_destination`),
:mod:`.corridor_figures` (:func:`deliveries_by_corridor`, :func:`losses_by_week`),
:mod:`.escort_figures` (:func:`attack_timeline`, :func:`escort_use`), :mod:`.maps`
(:func:`corridor_map`), :mod:`.sweep_figures` (:func:`sweep_heatmap`, :func:`sweep_lines`,
:func:`stockout_by_date`, :func:`sensitivity_bars`), :mod:`.calibration_figures`
(:func:`calibration_fit`, :func:`posterior_parameters`) and :mod:`.standard_sets` (the
standard set of a results directory: :func:`standard_figures`, :func:`captioned_figures`,
:func:`save_figures`). Shared figure mechanics: :mod:`.layout`.
"""

from __future__ import annotations

from .calibration_figures import calibration_fit, posterior_parameters
from .contexts import CaptionedFigure
from .corridor_figures import deliveries_by_corridor, losses_by_week
from .destination_figures import stock_by_destination, stockout_by_destination
from .escort_figures import attack_timeline, escort_use
from .map_layers import MAP_METRICS, corridor_legend, edge_metrics, load_borders
from .maps import corridor_map
from .observations import read_observed_deliveries, read_observed_incidents
from .standard_sets import captioned_figures, save_figures, standard_figures
from .stock_figures import fan_chart, stock_chart
from .sweep_figures import sensitivity_bars, stockout_by_date, sweep_heatmap, sweep_lines

__all__ = [
    "fan_chart",
    "stock_chart",
    "stock_by_destination",
    "stockout_by_destination",
    "deliveries_by_corridor",
    "losses_by_week",
    "corridor_map",
    "corridor_legend",
    "edge_metrics",
    "attack_timeline",
    "escort_use",
    "sweep_heatmap",
    "sweep_lines",
    "stockout_by_date",
    "sensitivity_bars",
    "read_observed_deliveries",
    "read_observed_incidents",
    "load_borders",
    "CaptionedFigure",
    "captioned_figures",
    "standard_figures",
    "save_figures",
    "calibration_fit",
    "posterior_parameters",
    "MAP_METRICS",
]
