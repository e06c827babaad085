"""The shape of the package, checked from its imports (ast): data flows one way.

Packages, lowest first: shared helpers (``errors``, ``atomic``) -> ``scenario`` -> ``model`` ->
``experiments`` -> ``observed`` -> ``viz`` -> ``cli``. A module may import its own package and
the packages below it, never above; no import cycles between modules; no import of another
package's private (``_name``) helpers; only the engine imports SimPy; only the CLI prints, exits
or uses click/rich; the packages below ``viz`` never import matplotlib at module level; no
module is over :data:`MAX_LINES` lines (small modules named by concept).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "corridorsim"

#: Packages (or top-level modules), lowest first.
ORDER = ["version", "errors", "atomic", "manifests", "scenario", "model", "experiments", "observed", "decisions", "viz",
         "export", "cli", "__init__", "__main__"]
RANK = {name: i for i, name in enumerate(ORDER)}
#: Shared helpers every layer may use.
SHARED = {"version", "errors", "atomic", "manifests"}

#: Longest module, in lines: one concept per module.
MAX_LINES = 400
#: Modules still over MAX_LINES while they are being split by concept. Empty this list as each
#: split lands; do not add to it (split the module instead).
OVER_MAX_LINES: set[str] = set()


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def dotted(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def package_of(module: str) -> str:
    """``corridorsim.model.engine`` -> ``model``; ``corridorsim.errors`` -> ``errors``."""
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def imports(path: Path) -> list[tuple[str, list[str], bool]]:
    """(imported module, names taken from it, at module level) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    me = dotted(path)
    base = me.split(".") if path.name == "__init__.py" else me.split(".")[:-1]
    known = {dotted(p) for p in modules()}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - node.level + 1]
                mod = ".".join(anchor + ([node.module] if node.module else []))
                names = [a.name for a in node.names]
                if node.module is None:  # from . import x: x is a module, or a name of the package
                    out += [(f"{mod}.{n}", [], id(node) in top) if f"{mod}.{n}" in known
                            else (mod, [n], id(node) in top) for n in names]
                else:
                    out.append((mod, names, id(node) in top))
            elif node.module:
                out.append((node.module, [a.name for a in node.names], id(node) in top))
    return out


def internal_edges() -> list[tuple[str, str, list[str]]]:
    known = {dotted(p) for p in modules()}
    edges = []
    for path in modules():
        me = dotted(path)
        for mod, names, _ in imports(path):
            if not mod.startswith("corridorsim"):
                continue
            # "from .pkg import module" names a module, not an attribute
            targets = [f"{mod}.{n}" for n in names if f"{mod}.{n}" in known] or [mod]
            for t in targets:
                edges.append((me, t, names if t == mod else []))
    return edges


def test_every_module_is_in_a_known_package():
    assert {package_of(dotted(p)) for p in modules()} <= set(RANK)


def test_packages_exist_as_folders():
    for pkg in ("scenario", "model", "experiments", "observed", "decisions", "viz", "cli", "data"):
        assert (PACKAGE / pkg).is_dir(), pkg


@pytest.mark.parametrize("path", modules(), ids=dotted)
def test_imports_point_down(path):
    me = package_of(dotted(path))
    for mod, _names, _top in imports(path):
        if not mod.startswith("corridorsim."):
            continue
        other = package_of(mod)
        if other == me or other in SHARED:
            continue
        assert RANK[other] < RANK[me], f"{dotted(path)} ({me}) imports {mod} ({other}), which is above it"


def test_no_import_cycles():
    g = nx.DiGraph()
    g.add_edges_from((a, b) for a, b, _ in internal_edges() if a != b)
    # a package's __init__ re-exports its modules; edges into it are edges to those modules
    cycles = list(nx.simple_cycles(g))
    assert cycles == [], f"import cycles: {cycles}"


def test_no_import_of_another_packages_private_names():
    bad = []
    for a, b, names in internal_edges():
        if package_of(a) == package_of(b):
            continue
        bad += [f"{a} imports {b}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
    assert bad == []


def test_every_module_opens_with_a_docstring():
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{dotted(path)} has no module docstring"


def test_only_the_engine_imports_simpy():
    users = {dotted(p) for p in modules() for mod, _, _ in imports(p) if mod.split(".")[0] == "simpy"}
    assert users == {"corridorsim.model.engine"}


def test_the_engine_knows_nothing_above_it():
    forbidden = {"yaml", "matplotlib", "click", "rich", "pandas", "dask"}
    names = {mod.split(".")[0] for mod, _, _ in imports(PACKAGE / "model" / "engine.py")}
    assert not names & forbidden
    ups = {package_of(m) for m, _, _ in imports(PACKAGE / "model" / "engine.py") if m.startswith("corridorsim.")}
    assert ups <= {"model", "scenario", "errors"}


def test_only_the_cli_prints_exits_or_uses_click_and_rich():
    for path in modules():
        pkg = package_of(dotted(path))
        if pkg in ("cli", "__main__") or dotted(path) == "corridorsim.scenario.reference":
            continue  # the reference generator's main() writes to standard output by design
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name) and f.id in ("print", "exit", "quit"):
                    pytest.fail(f"{dotted(path)}:{node.lineno} calls {f.id}()")
                if isinstance(f, ast.Attribute) and f.attr == "exit" and \
                        isinstance(f.value, ast.Name) and f.value.id == "sys":
                    pytest.fail(f"{dotted(path)}:{node.lineno} calls sys.exit()")
        names = {mod.split(".")[0] for mod, _, _ in imports(path)}
        assert not names & {"click", "rich"}, dotted(path)


def test_below_the_figures_nothing_imports_matplotlib():
    for path in modules():
        if RANK[package_of(dotted(path))] < RANK["viz"]:
            names = {mod.split(".")[0] for mod, _, _ in imports(path)}
            assert "matplotlib" not in names, dotted(path)


def test_no_module_is_over_the_line_limit():
    over = {}
    for path in modules():
        rel = path.relative_to(PACKAGE).as_posix()
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES and rel not in OVER_MAX_LINES:
            over[rel] = n
    assert over == {}, f"modules over {MAX_LINES} lines (split them by concept): {over}"


def test_the_line_limit_allow_list_names_only_long_modules():
    # an entry whose module got split (or removed) must leave the list
    stale = [rel for rel in OVER_MAX_LINES
             if not (PACKAGE / rel).is_file()
             or len((PACKAGE / rel).read_text(encoding="utf-8").splitlines()) <= MAX_LINES]
    assert stale == [], f"remove from OVER_MAX_LINES: {stale}"
