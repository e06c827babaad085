"""Regenerate the figures of docs/decisions.md: the worked Mali example.

    python docs/figures/make_decision_figures.py [RUNS]

Runs the four decision commands on the shipped Mali scenarios into RUNS (default
``runs/decisions``; commands whose output directory already exists are skipped) with the small
replication counts of docs/decisions.md, then saves here, as ``decisions_<name>.png``, the
study figures that docs/decisions.md shows (a study of a scenario with several destinations
makes one figure per destination; the page shows Bamako's). Takes a few minutes on one core.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
S = Path("scenarios")  # relative to ROOT, where the commands run


def commands(runs: Path) -> list[tuple[Path, list[str]]]:
    whatifs = sorted(str(p.relative_to(ROOT)) for p in (ROOT / S / "mali").glob("whatif_*.yaml"))
    return [
        (runs / "criticality", ["criticality", str(S / "mali_blockade_2025.yaml"), "-n", "20",
                                "--by", "2025-10-14", "-o", str(runs / "criticality")]),
        (runs / "value", ["value", str(S / "mali_blockade_2025.yaml"), "-n", "30", "--by", "2025-10-14",
                          "-o", str(runs / "value")]),
        (runs / "lhs_blockade_discovery", ["sweep", str(S / "sweeps" / "lhs_blockade_discovery.yaml"),
                                           "-w", "1", "-o", str(runs / "lhs_blockade_discovery")]),
        (runs / "discovery", ["discover", str(runs / "lhs_blockade_discovery"), "--metric",
                              "stockout_by:2025-10-14", "--threshold", "1", "--destination", "Bamako",
                              "-o", str(runs / "discovery")]),
        (runs / "regret", ["regret", str(S / "mali" / "hindcast_2025-09_2025-10.yaml"), *whatifs,
                           "--set", "threats.ambush_multiplier=0.5,1,2",
                           "--set", "destinations[Bamako].demand_l_per_day=1500000,2000000,2500000",
                           "--metric", "unmet_l", "--destination", "Bamako", "-n", "10", "--seed", "1",
                           "-o", str(runs / "regret")]),
    ]


def main() -> None:
    from corridorsim.viz.decision_report import study_figures

    # paths relative to the repository, so that figure footers name no machine's folders
    runs = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("runs") / "decisions"
    (ROOT / runs).mkdir(parents=True, exist_ok=True)
    for out, args in commands(runs):
        if not (ROOT / out).exists():
            quiet = [] if args[0] == "discover" else ["-q"]
            subprocess.run([sys.executable, "-m", "corridorsim", *args, *quiet], check=True,
                           cwd=ROOT)
    runs = ROOT / runs
    shown = set(re.findall(r"figures/decisions_([\w-]+)\.png",
                           (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")))
    for name in ("criticality", "value", "discovery", "regret"):
        for cf in study_figures(runs / name):
            if cf.name in shown:
                cf.figure.savefig(HERE / f"decisions_{cf.name}.png", dpi=100)
                print(f"wrote docs/figures/decisions_{cf.name}.png")


if __name__ == "__main__":
    main()
