"""Make the plot gallery of docs/figures.md from the shipped scenarios.

Run from anywhere (paths are relative to this file)::

    python docs/figures/make_plot_gallery.py

It runs scenarios/mali_blockade_2025.yaml (40 replications, the scenario's seed), a 3 x 3 grid
sweep of the same scenario (escort units at Kayes x a scenario-wide ambush multiplier, 20
replications per point, stock-out dates) and a Sobol sweep (three factors, 32 x 5
points, 8 replications per point), each into a temporary directory, then writes the standard figures of
each as ``gallery_<name>.png`` (100 dpi) next to this script. The simulated results depend
only on the scenarios and the seeds; the footers carry the date the figures were made.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from corridorsim import load_scenario, simulate, write_run
from corridorsim.experiments.executors import InProcessExecutor
from corridorsim.experiments.summaries import summarize_sweep, write_summaries
from corridorsim.experiments.sweep_runner import SweepRunner
from corridorsim.experiments.sweep_spec import SweepSpec, resolve_sweep
from corridorsim.viz.run_figures import captioned_figures, save_figures

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BLOCKADE = ROOT / "scenarios" / "mali_blockade_2025.yaml"
DPI = 100
MAX_BYTES = 250_000

GRID = SweepSpec(
    name="blockade_kayes_escorts_x_threat",
    description="Escort units at Kayes (corridor A) against a scenario-wide ambush multiplier.",
    base=str(BLOCKADE),
    replications=20,
    seed=1,
    factors=({"path": "escorts.bases[kayes].units", "values": [2, 4, 8]},
             {"path": "threats.ambush_multiplier", "values": [0.5, 1, 2]}),
    stockout_dates=("2025-09-20", "2025-10-01", "2025-10-10", "2025-10-20", "2025-10-31"),
    reference={"escorts.bases[kayes].units": 4, "threats.ambush_multiplier": 1},
)

SOBOL = SweepSpec(
    name="blockade_sobol",
    description="Which of three uncertain inputs drives the fuel delivered?",
    base=str(BLOCKADE),
    replications=8,
    seed=1,
    factors=({"path": "escorts.bases[kayes].units", "range": [1, 8], "integer": True},
             {"path": "threats.ambush_multiplier", "range": [0.5, 2.0]},
             {"path": "sources[dakar].schedule[0].tankers_per_day", "range": [4, 16]}),
    design={"kind": "sobol_sa", "n": 32},
)


def _sweep(spec: SweepSpec, out: Path) -> Path:
    resolved = resolve_sweep(spec, spec.name)
    SweepRunner(resolved, out, InProcessExecutor(), chunk_size=spec.replications).run()
    write_summaries(out, summarize_sweep(out))
    return out


def _save(directory: Path, keep: set[str] | None = None) -> list[Path]:
    figs = {f"gallery_{c.name}": c.figure for c in captioned_figures(directory)
            if keep is None or c.name in keep}
    return save_figures(figs, HERE, "png", dpi=DPI)


def main() -> None:
    """Write the gallery PNGs next to this script."""
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="corridorsim-gallery-") as tmp:
        tmp_dir = Path(tmp)
        result = simulate(load_scenario(BLOCKADE), replications=40)
        run_dir = write_run(result, tmp_dir / "blockade",
                            manifest_extra={"scenario_file": str(BLOCKADE)})
        written += _save(run_dir)
        written += _save(_sweep(GRID, tmp_dir / "grid"))
        written += _save(_sweep(SOBOL, tmp_dir / "sobol"), keep={"sensitivity"})
    for path in written:
        size = path.stat().st_size
        flag = "" if size < MAX_BYTES else "  <-- over 250 kB"
        print(f"wrote {path.relative_to(ROOT)} ({size / 1024:.0f} kB){flag}")


if __name__ == "__main__":
    main()
