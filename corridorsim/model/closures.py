"""Which roads and nodes are closed now: overlapping closures counted, not flags.

Pure state, no SimPy (the engine's closure processes call :meth:`ClosureState.close` and
:meth:`ClosureState.reopen`). Two closures of the same edge overlap safely: it reopens when
both have ended. May import :mod:`.plan`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .plan import Piece

__all__ = ["ClosureState"]


class ClosureState:
    """Closure counts by edge index and node, with the sets the router needs."""

    def __init__(self, edge_index: dict[tuple[str, str], int], edge_keys: Sequence[tuple[str, str]]):
        self.edge_index = edge_index
        self.edge_keys = edge_keys
        self.edge_count: dict[int, int] = {}
        self.node_count: dict[str, int] = {}
        self.edges: frozenset = frozenset()  # both directions, for the router
        self.nodes: frozenset = frozenset()
        self.edge_idx: frozenset = frozenset()

    def _index(self, edge: tuple[str, str]) -> int:
        return self.edge_index[(min(edge), max(edge))]

    def close(self, edge: tuple[str, str] | None, node: str | None) -> None:
        if edge is not None:
            i = self._index(edge)
            self.edge_count[i] = self.edge_count.get(i, 0) + 1
        else:
            self.node_count[node] = self.node_count.get(node, 0) + 1
        self._refresh()

    def reopen(self, edge: tuple[str, str] | None, node: str | None) -> None:
        if edge is not None:
            self.edge_count[self._index(edge)] -= 1
        else:
            self.node_count[node] -= 1
        self._refresh()

    def _refresh(self) -> None:
        keys = self.edge_keys
        idx = frozenset(i for i, c in self.edge_count.items() if c > 0)
        self.edge_idx = idx
        self.edges = frozenset(e for i in idx for e in (keys[i], keys[i][::-1]))
        self.nodes = frozenset(n for n, c in self.node_count.items() if c > 0)

    def blocked(self, pieces: Sequence[Piece], i: int = 0) -> bool:
        """Whether a closed edge or node lies on ``pieces[i:]``."""
        if not self.edge_idx and not self.nodes:
            return False
        return any(p.edge in self.edge_idx or p.v in self.nodes for p in pieces[i:])

    def piece_of(self, edge: tuple[str, str]) -> Piece:
        """The whole edge as a piece (for events placed on it)."""
        a, b = edge
        return Piece(self._index(edge), a, b, 0.0, 1.0)
