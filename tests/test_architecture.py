"""The shape of the package, checked from its imports (ast): data flows one way.

scenario -> network -> engine -> records -> sweeps -> metrics -> files -> plots/report -> CLI.
A module may import modules of its own layer or below, never above; only the engine imports
SimPy; only the CLI prints, exits or uses click/rich; the core never imports matplotlib.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "corridorsim"

#: Layers, lowest first. A module may import its own layer and those below.
LAYERS = [
    {"errors", "geo", "paths", "streams", "atomic", "text_table"},
    {"scenario"},
    {"scenario_io", "network", "docgen"},
    {"routing", "threats", "plan"},
    {"records", "engine"},
    {"uncertainty", "executors", "simulation", "metrics"},
    {"results_io", "designs", "sweep_spec", "sweep", "summaries", "incidents", "rates",
     "calibration"},
    {"style", "figure_layout", "maps", "sweep_plots", "plots", "report"},
    {"cli", "__main__", "__init__"},
]
LAYER = {m: i for i, layer in enumerate(LAYERS) for m in layer}

#: Deliberate upward imports, made inside a function (with why).
ALLOWED_UPWARD = {
    # loading a scenario checks that its uncertain parameters give valid scenarios
    ("scenario_io", "uncertainty"),
    # Dask workers import the sweep's task code before their first task (a warm-up)
    ("executors", "sweep"),
}


def modules() -> list[Path]:
    return sorted(PACKAGE.glob("*.py"))


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported name, at module level) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
                out += [(f"corridorsim.{n}", id(node) in top) for n in names]
            elif node.module:
                out.append((node.module, id(node) in top))
    return out


def test_every_module_has_a_layer():
    assert {p.stem for p in modules()} == set(LAYER)


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.stem)
def test_imports_point_down(path):
    me = path.stem
    for name, _top in imports(path):
        if not name.startswith("corridorsim."):
            continue
        other = name.split(".")[1]
        if other in LAYER and LAYER[other] > LAYER[me]:
            assert (me, other) in ALLOWED_UPWARD, f"{me} (layer {LAYER[me]}) imports {other} (layer {LAYER[other]})"


def test_only_the_engine_imports_simpy():
    users = {p.stem for p in modules() for name, _ in imports(p) if name.split(".")[0] == "simpy"}
    assert users == {"engine"}


def test_the_engine_knows_nothing_above_it():
    forbidden = {"yaml", "matplotlib", "click", "rich", "pandas", "dask"}
    names = {name.split(".")[0] for name, _ in imports(PACKAGE / "engine.py")}
    assert not names & forbidden


def test_only_the_cli_prints_exits_or_uses_click_and_rich():
    for path in modules():
        if path.stem in ("cli", "__main__", "docgen"):
            continue  # docgen's main() writes the reference to standard output by design
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name) and f.id in ("print", "exit", "quit"):
                    pytest.fail(f"{path.name}:{node.lineno} calls {f.id}()")
                if isinstance(f, ast.Attribute) and f.attr == "exit" and \
                        isinstance(f.value, ast.Name) and f.value.id == "sys":
                    pytest.fail(f"{path.name}:{node.lineno} calls sys.exit()")
        names = {name.split(".")[0] for name, _ in imports(path)}
        assert not names & {"click", "rich"}, path.name


def test_the_core_never_imports_matplotlib_at_module_level():
    core = {m for m, layer in LAYER.items() if layer <= LAYER["calibration"]}
    for path in modules():
        if path.stem in core:
            tops = {name.split(".")[0] for name, top in imports(path) if top}
            assert "matplotlib" not in tops, path.name
