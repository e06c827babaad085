"""The content of a report as a list of blocks (headings, paragraphs, lists, tables, figures,
the manifest) that the HTML and PDF renderers both draw, and the number formats of its text.

May import :mod:`.style` only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .style import format_number

__all__ = ["Table", "Block", "fmt_ml", "fmt_date", "fmt_num", "fmt_pct"]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    align: str  # one of "l"/"r" per column
    widths: list[float] | None = None  # relative column widths for the PDF
    mark: set[int] = field(default_factory=set)  # rows to emphasise


@dataclass
class Block:
    kind: str  # h1, sub, h2, p, ul, table, fig, manifest
    text: str = ""
    items: list[str] = field(default_factory=list)
    table: Table | None = None
    figure: Any = None


def fmt_ml(x: float) -> str:
    return format_number(float(x) / 1e6, 3) if x is not None and math.isfinite(float(x)) else "–"


def fmt_date(x: Any) -> str:
    d = pd.Timestamp(x)
    return f"{d.day} {d:%b %Y}"


def fmt_num(x: float) -> str:
    return format_number(x, 3)


def fmt_pct(x: float) -> str:
    return f"{100 * float(x):.0f} %" if x is not None and math.isfinite(float(x)) else "–"

