"""Running the criticality and value-of-a-unit studies into an output directory.

Both studies run the base scenario and its variants (:mod:`.variants`) as one sweep on common
random numbers in ``OUT/sweep/`` (resumable, any executor, replications by the sweeps'
precision rule), then write their tables beside it::

    OUT/study.json        what was run: kind, scenario, seed, replications, date, options
    OUT/effects.csv       paired effect of every variant on every outcome and destination
    criticality only:
    OUT/segments.csv      per-edge losses of the base run (expected litres, tankers, attacks,
                          attacks per 1000 convoy-km, with intervals)
    OUT/corridors.csv     the same per corridor
    OUT/criticality.csv   per segment and destination: effect of safe / closed, ranked
    OUT/stress_test.csv   time-to-survive against time-to-recover, flagged segments first
    value only:
    OUT/value.csv         per unit and destination: effect, interval, and a sentence

Only edges that carry traffic in the base run (convoy-km > 0) are varied: the others cannot
change the outcome. Imports: scenario, model, experiments, observed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..atomic import atomic_write_text
from ..errors import OutputError
from ..experiments.simulate import simulate
from ..experiments.sweep_runner import SweepRunner, read_table
from ..experiments.sweep_schema import Precision
from ..manifests import read_manifest
from ..model.plan import compile_scenario
from ..scenario.documents import read_scenario_dict, scenario_from_dict
from .criticality import corridor_losses, criticality_table, segment_losses, stress_test
from .outcomes import destination_outcomes, paired_effects
from .value import unit_statements
from .variants import (
    Variant,
    add_escort_unit,
    add_stock_day,
    add_tanker_per_day,
    day_index,
    destinations_of,
    make_closed,
    make_safe,
    variant_sweep,
)

__all__ = ["criticality_study", "value_study", "read_study"]

STUDY_FILE = "study.json"


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _csv(df: pd.DataFrame, path: Path) -> None:
    atomic_write_text(path, df.to_csv(index=False, lineterminator="\n"))


def _prepare(out: Path, resume: bool, force: bool) -> None:
    if out.exists() and not (resume or force):
        raise OutputError(f"{out}: output directory exists; use --resume to continue it or "
                          "--force to replace it")
    out.mkdir(parents=True, exist_ok=True)


def _run_variants(scenario_file: str | Path, base: dict, variants: list[Variant], out: Path,
                  name: str, replications: int, seed: int, precision: Precision | None,
                  executor: Any, chunk_size: int, resume: bool, force: bool,
                  progress: Callable[[int, int], None] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    # judged per destination: the summary's litres and stock-outs are national
    sweep = variant_sweep(scenario_file, base, variants, name, replications, seed, precision,
                          keep=("destinations",))
    runner = SweepRunner(sweep, out / "sweep", executor, chunk_size, resume=resume and (out / "sweep").exists(),
                         force=force)
    runner.run(progress)
    rows = read_table(out / "sweep", "destinations")
    design = sweep.design.copy()
    return rows, design


def _by_day(scenario, by_date: dt.date | None) -> tuple[int, str]:
    when = by_date or (scenario.end - dt.timedelta(seconds=1)).date()
    return day_index(scenario.start, when), when.isoformat()


def _effects_with_design(effects: pd.DataFrame, design: pd.DataFrame) -> pd.DataFrame:
    d = (design[["what", "change", "target"]].rename(columns={"what": "variant"})
         .rename_axis("point").reset_index())
    return d.merge(effects, on="point", how="right")


def criticality_study(scenario_file: str | Path, out_dir: str | Path, executor: Any,
                      replications: int | None = None, seed: int | None = None,
                      precision: Precision | None = None, by_date: dt.date | None = None,
                      assumed_recovery_days: float | None = 30.0, chunk_size: int = 10,
                      resume: bool = False, force: bool = False,
                      progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Criticality of every segment that carries traffic (see :mod:`.criticality`).

    Returns
    -------
    dict
        The study manifest (also written to ``OUT/study.json``).
    """
    out = Path(out_dir)
    _prepare(out, resume, force)
    base = read_scenario_dict(scenario_file)
    scenario = scenario_from_dict(base, str(scenario_file))
    n = scenario.replications if replications is None else int(replications)
    s = scenario.seed if seed is None else int(seed)
    plan = compile_scenario(scenario)
    run = simulate(plan, replications=n, seed=s)
    segments = segment_losses(run.events, run.convoys, plan.graph, n)
    corridors = corridor_losses(run.events, run.convoys, plan.graph, n)
    used = segments[segments["convoy_km"] > 0]
    variants = []
    for a, b, label in zip(used["edge_from"], used["edge_to"], used["edge"]):
        variants.append(Variant(f"safe:{label}", "safe", label, make_safe(base, a, b)))
        variants.append(Variant(f"closed:{label}", "closed", label, make_closed(base, a, b)))
    rows, design = _run_variants(scenario_file, base, variants, out, f"{scenario.name}_criticality",
                                    n, s, precision, executor, chunk_size, resume, force, progress)
    day, date_text = _by_day(scenario, by_date)
    outcomes = destination_outcomes(rows, day, scenario.destination.label)
    effects = paired_effects(outcomes)
    table = criticality_table(effects, design)
    stress = stress_test(outcomes, design, scenario, assumed_recovery_days)
    _csv(segments, out / "segments.csv")
    _csv(corridors, out / "corridors.csv")
    _csv(_effects_with_design(effects, design), out / "effects.csv")
    _csv(table, out / "criticality.csv")
    _csv(stress, out / "stress_test.csv")
    manifest = {"kind": "criticality", "created": _utc_now(), "scenario": scenario.name,
                "scenario_file": str(scenario_file), "seed": s, "replications": n,
                "replications_per_point": rows.groupby("point")["replication"].nunique().to_dict(),
                "stockout_date": date_text, "stockout_day": day,
                "assumed_recovery_days": assumed_recovery_days,
                "segments_varied": len(used), "segments_total": int(plan.graph.number_of_edges()),
                "precision": precision.model_dump() if precision else None}
    atomic_write_text(out / STUDY_FILE, json.dumps(manifest, indent=2, default=str) + "\n")
    return manifest


def value_study(scenario_file: str | Path, out_dir: str | Path, executor: Any,
                replications: int | None = None, seed: int | None = None,
                precision: Precision | None = None, by_date: dt.date | None = None,
                chunk_size: int = 10, resume: bool = False, force: bool = False,
                progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Marginal value of one more escort unit at each base, one more day of stock at each
    destination and one more tanker a day at each source (see :mod:`.value`)."""
    out = Path(out_dir)
    _prepare(out, resume, force)
    base = read_scenario_dict(scenario_file)
    scenario = scenario_from_dict(base, str(scenario_file))
    n = scenario.replications if replications is None else int(replications)
    s = scenario.seed if seed is None else int(seed)
    variants = [Variant(f"escort+1:{b.name}", "escort_unit", b.name, add_escort_unit(base, b.name))
                for b in scenario.escorts.bases]
    variants += [Variant(f"stock+1day:{d['node']}", "stock_day", d["node"], add_stock_day(base, d["node"]))
                 for d in destinations_of(base)]
    variants += [Variant(f"tanker+1/day:{src.name}", "tanker_per_day", src.name,
                         add_tanker_per_day(base, src.name)) for src in scenario.sources]
    rows, design = _run_variants(scenario_file, base, variants, out, f"{scenario.name}_value",
                                    n, s, precision, executor, chunk_size, resume, force, progress)
    day, date_text = _by_day(scenario, by_date)
    outcomes = destination_outcomes(rows, day, scenario.destination.label)
    effects = _effects_with_design(paired_effects(outcomes), design)
    _csv(effects, out / "effects.csv")
    _csv(unit_statements(effects, date_text), out / "value.csv")
    manifest = {"kind": "value", "created": _utc_now(), "scenario": scenario.name,
                "scenario_file": str(scenario_file), "seed": s, "replications": n,
                "replications_per_point": rows.groupby("point")["replication"].nunique().to_dict(),
                "stockout_date": date_text, "stockout_day": day,
                "precision": precision.model_dump() if precision else None}
    atomic_write_text(out / STUDY_FILE, json.dumps(manifest, indent=2, default=str) + "\n")
    return manifest


def read_study(out_dir: str | Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The manifest and every CSV table of a study directory (criticality, value, discovery
    or regret), tables by file stem."""
    root = Path(out_dir)
    manifest = read_manifest(root / STUDY_FILE, "a decisions study directory")
    tables = {}
    for f in sorted(root.glob("*.csv")):
        try:
            tables[f.stem] = pd.read_csv(f)
        except pd.errors.EmptyDataError:
            tables[f.stem] = pd.DataFrame()
    return manifest, tables
