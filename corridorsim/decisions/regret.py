"""Robust choices: rank levers (what-if scenarios) across a sweep of uncertainties by regret.

Each lever is run over the same uncertainty points with the same seed, so replication ``r`` of
point ``p`` meets the same random numbers under every lever (common random numbers). With
``m[l, p]`` the mean outcome of lever ``l`` at point ``p`` and ``sense`` +1 when more is better
(-1 when less is), Savage's regret is ``R[l, p] = sense * (m[b, p] - m[l, p])`` with ``b`` the
lever best at ``p`` (largest ``sense * m[b, p]``): how far lever ``l`` falls short of the best
lever at that point, never negative (Savage 1951,
JASA 46:55-67; as used in robust decision making, Lempert, Popper and Bankes 2003, RAND
MR-1626). Levers are ranked by their largest regret over the points (minimax regret), ties by
the mean regret; the 50th and 90th percentiles of regret over the points are listed beside it.
The interval of each ``R[l, p]`` is the Student-t interval of the paired per-replication
differences between the best lever and ``l``. Imports: experiments (statistics, sweeps).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..atomic import atomic_write_text
from ..errors import CorridorSimError, OutputError
from ..experiments.statistics import mean_interval
from ..experiments.sweep_runner import SweepRunner
from ..experiments.sweep_schema import SweepSpec
from ..experiments.sweep_spec import load_sweep, resolve_sweep, sweep_from_sets
from .metrics import better_sense, metric_values, outcome_rows

__all__ = ["regret_by_point", "rank_by_regret", "regret_study"]


def regret_by_point(values: pd.DataFrame, sense: int, level: float = 0.95) -> pd.DataFrame:
    """Regret of each lever at each point.

    Parameters
    ----------
    values : pandas.DataFrame
        ``lever, point, replication, value``: the outcome of every replication.
    sense : {+1, -1}
        +1 when a larger value is better.

    Returns
    -------
    pandas.DataFrame
        ``lever, point, mean, best_lever, best_mean, regret, regret_low, regret_high, n``.
    """
    if sense not in (1, -1):
        raise CorridorSimError(f"sense must be +1 or -1, got {sense}")
    means = values.groupby(["point", "lever"], sort=True)["value"].mean().unstack("lever")
    wide = values.pivot_table(index=["point", "replication"], columns="lever", values="value")
    rows = []
    for point, m in means.iterrows():
        best = (sense * m).idxmax()
        reps = wide.loc[point]
        for lever, mean in m.items():
            d = sense * (reps[best] - reps[lever])
            iv = mean_interval(d.to_numpy(dtype=float), level)
            rows.append({"lever": lever, "point": int(point), "mean": float(mean), "best_lever": best,
                         "best_mean": float(m[best]), "regret": float(sense * (m[best] - mean)) + 0.0,
                         "regret_low": iv.low, "regret_high": iv.high, "n": int(d.notna().sum())})
    return pd.DataFrame(rows)


def rank_by_regret(per_point: pd.DataFrame) -> pd.DataFrame:
    """Levers ranked by minimax regret (then mean regret).

    Returns
    -------
    pandas.DataFrame
        ``rank, lever, mean_outcome, max_regret, worst_point, mean_regret, p50_regret,
        p90_regret, best_at`` (points where the lever is best or tied for best).
    """
    rows = []
    for lever, g in per_point.groupby("lever", sort=True):
        r = g["regret"].to_numpy(dtype=float)
        rows.append({"lever": lever, "mean_outcome": float(g["mean"].mean()),
                     "max_regret": float(r.max()),
                     "worst_point": int(g["point"].iloc[int(np.argmax(r))]),
                     "mean_regret": float(r.mean()),
                     "p50_regret": float(np.percentile(r, 50)),
                     "p90_regret": float(np.percentile(r, 90)),
                     "best_at": int((r <= 0).sum())})
    df = pd.DataFrame(rows).sort_values(["max_regret", "mean_regret"], kind="stable").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df


def _lever_spec(lever: Path, sets: Sequence[str], sweep_file: Path | None, replications: int,
                seed: int, keep: tuple[str, ...] = ()) -> SweepSpec:
    if sweep_file is not None:
        spec = load_sweep(sweep_file).model_copy(update={
            "base": str(lever.resolve()), "name": f"regret_{lever.stem}",
            "replications": replications, "seed": seed, "precision": None})
    else:
        spec = sweep_from_sets(lever, sets, replications, seed)
    return spec.model_copy(update={"keep": tuple(dict.fromkeys((*spec.keep, *keep)))})


def regret_study(levers: Sequence[str | Path], out_dir: str | Path, executor: Any, metric: str,
                 sets: Sequence[str] = (), sweep_file: str | Path | None = None,
                 replications: int = 20, seed: int = 0, chunk_size: int = 10,
                 sense: int | None = None, resume: bool = False, force: bool = False,
                 progress: Callable[[int, int], None] | None = None,
                 destination: str | None = None) -> dict[str, Any]:
    """Run every lever over the same uncertainty points and rank the levers by regret.

    ``destination``: judge ``metric`` on that destination's rows (each lever's sweep then keeps
    its ``destinations`` table) instead of the national summary.

    Writes ``OUT/levers/<lever>/`` (one sweep per lever), ``OUT/regret_by_point.csv``,
    ``OUT/regret.csv`` (the ranking), ``OUT/design.csv`` and ``OUT/study.json``.
    """
    out = Path(out_dir)
    paths = [Path(p) for p in levers]
    if len(paths) < 2:
        raise CorridorSimError("regret needs at least two levers (scenario files) to compare")
    stems = [p.stem for p in paths]
    if len(set(stems)) != len(stems):
        raise CorridorSimError(f"lever file names must differ: {stems}")
    if sweep_file is None and not sets:
        raise CorridorSimError("give the uncertainties: --set PATH=V1,V2,... or --sweep FILE")
    if out.exists() and not (resume or force):
        raise OutputError(f"{out}: output directory exists; use --resume to continue it or "
                          "--force to replace it")
    keep = ("destinations",) if destination is not None else ()
    resolved = [resolve_sweep(_lever_spec(p, sets, Path(sweep_file) if sweep_file else None,
                                          replications, seed, keep), str(p)) for p in paths]
    if destination is not None:  # before any lever's sweep runs
        for p, r in zip(paths, resolved):
            names = [d.label for d in r.scenarios[0].destinations]
            if destination not in names:
                raise CorridorSimError(f"--destination {destination!r} is not a destination of "
                                       f"{p}; expected one of: {', '.join(names)}")
    columns = resolved[0].factor_columns
    design0 = resolved[0].design[columns]
    for p, r in zip(paths[1:], resolved[1:]):
        if not r.design[columns].astype(str).equals(design0.astype(str)):
            raise CorridorSimError(f"{p}: its uncertainty points differ from {paths[0]}'s")
    out.mkdir(parents=True, exist_ok=True)
    frames = []
    for stem, r in zip(stems, resolved):
        root = out / "levers" / stem
        runner = SweepRunner(r, root, executor, chunk_size, resume=resume and root.exists(), force=force)
        runner.run(progress)
        s = outcome_rows(root, destination)
        frames.append(pd.DataFrame({"lever": stem, "point": s["point"], "replication": s["replication"],
                                    "value": metric_values(s, metric, r.base["start"])}))
    values = pd.concat(frames, ignore_index=True)
    sense = better_sense(metric) if sense is None else sense
    per_point = regret_by_point(values, sense)
    per_point = per_point.merge(design0.rename_axis("point").reset_index(), on="point")
    ranking = rank_by_regret(per_point)
    fmt = {"index": False, "lineterminator": "\n"}
    atomic_write_text(out / "regret_by_point.csv", per_point.to_csv(**fmt))
    atomic_write_text(out / "regret.csv", ranking.to_csv(**fmt))
    atomic_write_text(out / "design.csv", design0.rename_axis("point").reset_index().to_csv(**fmt))
    manifest = {"kind": "regret", "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                "levers": [str(p) for p in paths], "metric": metric, "destination": destination,
                "sense": "more is better" if sense > 0 else "less is better",
                "factors": columns, "points": len(design0), "replications": replications,
                "seed": seed, "sets": list(sets), "sweep_file": str(sweep_file) if sweep_file else None,
                "most_robust": str(ranking["lever"].iloc[0])}
    atomic_write_text(out / "study.json", json.dumps(manifest, indent=2, default=str) + "\n")
    return manifest
