"""Fixed-width plain-text tables for the command line (incident and rate listings)."""

from __future__ import annotations

from collections.abc import Container, Sequence

__all__ = ["format_text_table"]


def format_text_table(heads: Sequence[str], rows: Sequence[Sequence[str]],
                      right: Container[str] = ()) -> str:
    """Columns padded to their widest cell, a dashed rule under the heads.

    Parameters
    ----------
    heads : sequence of str
        Column heads.
    rows : sequence of sequences of str
        Cells, already formatted.
    right : container of str
        Heads of the columns aligned right (numbers); the others align left.
    """
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(heads)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if h in right else v.ljust(w)
                         for v, w, h in zip(cells, widths, heads)).rstrip()

    return "\n".join([line(heads), line(["-" * w for w in widths]), *(line(r) for r in rows)])
