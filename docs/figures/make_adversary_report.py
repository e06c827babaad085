"""Numbers and figures of docs/validation.md for the adversary model.

Runs, with the same seed and replication count:

* the calibrated adversary hindcast (scenarios/mali/hindcast_adversary_calibrated.yaml) and the
  earlier calibrated hindcast (hindcast_calibrated.yaml), and prints
  - each statistic of calibration_adversary_2025.yaml against its P5-P95 band (posterior
    predictive check, plus convoy sizes),
  - proper scores (CRPS, interval scores, band coverage; corridorsim.experiments.scoring) of the
    weekly attacks, weekly tankers destroyed and cumulative tankers destroyed, against the
    past-weeks baseline;
* the convoy-size and escort what-ifs under both models (per-tanker loss);
* the season forecast (season_2025-09_2026-02.yaml): cumulative tankers destroyed by month end,
  weekly litres received nationally (all destinations) and in Bamako (the focus), and
  P(stock-out) by month in Bamako and anywhere;

and writes ``validation_adversary.png`` (cumulative tankers destroyed, both models, with the
record) and ``season_forecast.png``.

Usage: ``python docs/figures/make_adversary_report.py [--replications 200] [--season 100]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from corridorsim import load_scenario, simulate
from corridorsim.experiments.calibration import load_calibration, statistics_from_tables
from corridorsim.experiments.scoring import past_weeks_baseline, score_table, skill
from corridorsim.viz.style import date_axis, plot_style

ROOT = Path(__file__).resolve().parents[2]
MALI = ROOT / "scenarios" / "mali"
OUT = Path(__file__).resolve().parent
# Attacks on fuel traffic (calibration_adversary_2025.yaml): date, tankers destroyed best/low/high
RECORD = pd.DataFrame(
    [("2025-09-06", 3, 3, 3), ("2025-09-13", np.nan, np.nan, np.nan),
     ("2025-09-13", np.nan, np.nan, np.nan), ("2025-09-14", 40, 20, 80),
     ("2025-10-05", np.nan, np.nan, np.nan), ("2025-10-05", np.nan, np.nan, np.nan),
     ("2025-10-17", 50, 40, 60)], columns=["date", "best", "low", "high"])
RECORD["date"] = pd.to_datetime(RECORD["date"])
WEEKS = 9  # 1 Sep - 2 Nov: the 61 days of the hindcast, last week partial (5 days)


def md(df: pd.DataFrame) -> str:
    """A markdown table (numbers as pandas prints them, rounded by the caller)."""
    cells = [[str(v) for v in row] for row in df.itertuples(index=False)]
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in cells])


def national(daily: pd.DataFrame) -> pd.DataFrame:
    """Daily rows summed over destinations (the tables hold one row per destination and day)."""
    return daily.groupby(["replication", "day"], as_index=False)[
        ["delivered_l", "tankers_destroyed"]].sum()


def _weekly(res, value: str | None, start: pd.Timestamp) -> np.ndarray:
    """Replications x weeks: attacks (value None) or tankers destroyed on fuel traffic."""
    ev = res.events[res.events.kind.isin(["ambush", "ied"]) & (res.events.time_h >= 48)]
    out = np.zeros((res.replications, WEEKS))
    week = (ev.time_h // 168).astype(int).clip(0, WEEKS - 1).to_numpy()
    w = ev[value].to_numpy(float) if value else np.ones(len(ev))
    np.add.at(out, (ev.replication.to_numpy(), week), w)
    return out


def _record_weekly(start: pd.Timestamp) -> tuple[np.ndarray, ...]:
    week = ((RECORD.date - start).dt.days // 7).to_numpy()
    counts = np.bincount(week, minlength=WEEKS).astype(float)
    best, low, high = (np.bincount(week, weights=RECORD[c].fillna(0).to_numpy(), minlength=WEEKS)
                       for c in ("best", "low", "high"))
    return counts, best, low, high


def scores(res, start: pd.Timestamp, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    counts, best, low, high = _record_weekly(start)
    cum_b, cum_l, cum_h = np.cumsum(best), np.cumsum(low), np.cumsum(high)
    sim_att = _weekly(res, None, start)
    sim_des = _weekly(res, "tankers_destroyed", start)
    model = pd.concat([
        score_table(sim_att, counts, [f"attacks w{w}" for w in range(WEEKS)]),
        score_table(sim_des, best, [f"destroyed w{w}" for w in range(WEEKS)], low, high),
        score_table(np.cumsum(sim_des, axis=1), cum_b, [f"cum destroyed w{w}" for w in range(WEEKS)],
                    cum_l, cum_h)], ignore_index=True)
    m = len(sim_att)
    base = pd.concat([
        score_table(past_weeks_baseline(counts, m, rng), counts, list(model.name[:WEEKS])),
        score_table(past_weeks_baseline(best, m, rng), best, list(model.name[WEEKS:2 * WEEKS]), low, high),
        score_table(past_weeks_baseline(best, m, rng, cumulative=True), cum_b,
                    list(model.name[2 * WEEKS:]), cum_l, cum_h)], ignore_index=True)
    return model, base


def ppc(res, sc) -> pd.DataFrame:
    spec = load_calibration(MALI / "calibration_adversary_2025.yaml")
    st = statistics_from_tables(spec.observed, {"summary": res.summary, "events": res.events,
                                                "convoys": res.convoys}, sc.start)
    rows = []
    for o in spec.observed:
        x = st[o.name].to_numpy(float)
        x = x[np.isfinite(x)]
        q = np.percentile(x, [5, 50, 95])
        lo = o.low if o.low is not None else float(o.value)
        hi = o.high if o.high is not None else float(o.value)
        pct = 100 * (np.mean(x < float(o.value)) + 0.5 * np.mean(x == float(o.value)))
        rows.append({"statistic": o.name, "observed": f"{o.value:g}" + (f" ({lo:g}-{hi:g})" if o.low is not None else ""),
                     "P5": q[0], "P50": q[1], "P95": q[2], "percentile": round(pct),
                     "inside P5-P95": bool(hi >= q[0] and lo <= q[2])})
    cv = res.convoys[res.convoys.kind.isin(["convoy", "scheduled"])]  # not batches, nor lots gone on alone
    size = cv.groupby("replication").tankers_start.max()
    rows.append({"statistic": "largest convoy (tankers)", "observed": "250 (7 Oct)", "P5": size.quantile(.05),
                 "P50": size.median(), "P95": size.quantile(.95), "percentile": np.nan,
                 "inside P5-P95": bool(size.quantile(.05) <= 250 <= size.quantile(.95))})
    med = cv.groupby("replication").tankers_start.median()
    rows.append({"statistic": "median convoy (tankers)", "observed": "80-100 (CS007)", "P5": med.quantile(.05),
                 "P50": med.median(), "P95": med.quantile(.95), "percentile": np.nan,
                 "inside P5-P95": bool(med.quantile(.95) >= 80)})
    return pd.DataFrame(rows)


def whatifs(reps: int) -> pd.DataFrame:
    rows = []
    for model, prefix, base in (("hand-calibrated", "whatif_", "hindcast_2025-09_2025-10"),
                                ("adversary", "whatif_adversary_", "hindcast_adversary_calibrated")):
        for label, f in (("hindcast", base), ("fewer larger", prefix + "fewer_larger_convoys"),
                         ("more smaller", prefix + "more_smaller_convoys"),
                         ("escorts doubled", prefix + "escorts_doubled")):
            res = simulate(load_scenario(MALI / f"{f}.yaml"), replications=reps, seed=1)
            s = res.summary
            cv = res.convoys[res.convoys.kind.isin(["convoy", "scheduled"])]  # not batches, nor lots gone on alone
            per = s.tankers_destroyed / s.tankers_loaded.clip(lower=1)
            rows.append({"model": model, "scenario": label,
                         "mean convoy size": cv.tankers_start.mean(),
                         "ambushes": s.ambushes.mean(),
                         "tankers destroyed": s.tankers_destroyed.mean(),
                         "share destroyed": per.mean(),
                         "share P5-P95": f"{per.quantile(.05):.3f}-{per.quantile(.95):.3f}",
                         "litres delivered (M)": s.delivered_l.mean() / 1e6})
    return pd.DataFrame(rows)


def whatifs_by_beta(reps: int) -> pd.DataFrame:
    """The convoy-size answer by the size exponent drawn in each replication.

    The adversary what-ifs draw their parameters from the posterior per replication, with the
    same draws in every what-if (the parameter stream depends only on seed and replication), so
    the per-tanker loss of each replication can be paired across what-ifs and grouped by the
    ``beta`` it was drawn with (terciles of the draws).
    """
    path = "param:threats.targeting.size_exponent"
    shares = {}
    for label, f in (("hindcast", "hindcast_adversary_calibrated"),
                     ("fewer larger", "whatif_adversary_fewer_larger_convoys"),
                     ("more smaller", "whatif_adversary_more_smaller_convoys")):
        s = simulate(load_scenario(MALI / f"{f}.yaml"), replications=reps, seed=1).summary
        s = s.set_index("replication")
        shares[label] = s.tankers_destroyed / s.tankers_loaded.clip(lower=1)
        beta = s[path]
    tercile = pd.qcut(beta, 3, labels=["low", "middle", "high"])
    rows = []
    for name, idx in beta.groupby(tercile, observed=True).groups.items():
        b = beta.loc[idx]
        row = {"beta tercile": name, "beta range": f"{b.min():.2f}-{b.max():.2f}",
               "replications": len(idx)}
        for label, sh in shares.items():
            row[f"share destroyed, {label}"] = sh.loc[idx].mean()
        for label in ("fewer larger", "more smaller"):
            diff = shares[label].loc[idx] - shares["hindcast"].loc[idx]
            half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff))
            row[f"{label} - hindcast (95 % CI)"] = f"{diff.mean():+.3f} ({diff.mean() - half:+.3f} to {diff.mean() + half:+.3f})"
        rows.append(row)
    return pd.DataFrame(rows)


def season(reps: int) -> tuple[pd.DataFrame, pd.DataFrame, Figure]:
    sc = load_scenario(MALI / "season_2025-09_2026-02.yaml")
    res = simulate(sc, replications=reps, seed=1)
    start = pd.Timestamp(sc.start)
    focus = sc.destination.label  # the focus destination
    nat = national(res.daily)
    nat["date"] = start + pd.to_timedelta(nat.day, unit="D")
    nat["month"] = nat.date.dt.to_period("M")
    nat["cum_destroyed"] = nat.groupby("replication").tankers_destroyed.cumsum()
    daily = res.daily.assign(month=(start + pd.to_timedelta(res.daily.day, unit="D")).dt.to_period("M"))
    daily["dry"] = (daily.stock_l <= 1e-6) & (daily.demand_l > 0)
    monthly = []
    for month, g in nat.groupby("month"):
        end = g[g.day == g.day.max()].cum_destroyed
        m = daily[daily.month == month]
        dry_focus = m[m.destination == focus].groupby("replication").dry.any()
        dry_any = m.groupby("replication").dry.any()
        monthly.append({"month": str(month), "cumulative destroyed P5": end.quantile(.05),
                        "P50": end.median(), "P95": end.quantile(.95),
                        f"P(stock-out, {focus})": dry_focus.mean(),
                        "P(stock-out, any destination)": dry_any.mean()})
    week = nat.day // 7
    weekly_nat = nat.assign(week=week).groupby(["replication", "week"]).delivered_l.sum().unstack()
    fd = res.daily[res.daily.destination == focus]
    weekly_focus = fd.assign(week=fd.day // 7).groupby(["replication", "week"]).delivered_l.sum().unstack()
    wk = pd.DataFrame({"week from": [(start + pd.Timedelta(days=7 * w)).date() for w in weekly_nat.columns],
                       "national P5 (ML)": weekly_nat.quantile(.05) / 1e6,
                       "P50": weekly_nat.median() / 1e6, "P95": weekly_nat.quantile(.95) / 1e6,
                       f"{focus} P5 (ML)": weekly_focus.quantile(.05) / 1e6,
                       f"{focus} P50": weekly_focus.median() / 1e6,
                       f"{focus} P95": weekly_focus.quantile(.95) / 1e6})
    # the last week is partial: leave it out of the figure, which shows litres per full week
    full = weekly_nat.columns[weekly_nat.columns * 7 + 7 <= nat.day.max() + 1]
    with plot_style():
        fig = Figure(figsize=(9, 7), layout="constrained")
        ax1, ax2 = fig.subplots(2, 1, sharex=True)
        dates = start + pd.to_timedelta(np.asarray(full) * 7 + 3.5, unit="D")
        for table, label, colour in ((weekly_nat, "national", "C0"), (weekly_focus, focus, "C1")):
            t = table[full]
            ax1.fill_between(dates, t.quantile(.05) / 1e6, t.quantile(.95) / 1e6, alpha=.2,
                             color=colour, label=f"{label}: P5-P95")
            ax1.plot(dates, t.median() / 1e6, color=colour, label=f"{label}: median")
        ax1.axvline(pd.Timestamp("2025-10-31"), color="0.4", ls="--", lw=1)
        ax1.set_ylabel("litres received per week\n(million litres)")
        ax1.set_ylim(bottom=0)
        ax1.legend(loc="upper right", fontsize=8, ncol=2)
        cum = nat.pivot(index="date", columns="replication", values="cum_destroyed")
        ax2.fill_between(cum.index, cum.quantile(.05, axis=1), cum.quantile(.95, axis=1), alpha=.25,
                         label="forecast: P5-P95")
        ax2.plot(cum.index, cum.median(axis=1), label="forecast: median")
        rec = RECORD.dropna(subset=["best"]).sort_values("date")
        ax2.step(rec.date, rec.best.cumsum(), where="post", color="k", label="record (best estimates)")
        ax2.axvline(pd.Timestamp("2025-10-31"), color="0.4", ls="--", lw=1)
        ax2.set_ylabel("tankers destroyed\nsince 1 Sep")
        ax2.legend(loc="upper left", fontsize=8)
        date_axis(ax2)
        fig.suptitle("Season forecast issued 31 Oct 2025 (dashed line)\n"
                     "calibrated adversary model, blockade continuing", fontsize=13)
    return pd.DataFrame(monthly), wk, fig


def destroyed_figure(results: dict, start: pd.Timestamp) -> Figure:
    with plot_style():
        fig = Figure(figsize=(9, 4.5))
        ax = fig.subplots()
        dates = pd.date_range(start, periods=61, freq="D")
        for (label, res), color in zip(results.items(), ("C0", "C1")):
            d = national(res.daily).pivot(index="day", columns="replication",
                                          values="tankers_destroyed").cumsum()
            ax.fill_between(dates, d.quantile(.05, axis=1), d.quantile(.95, axis=1), color=color,
                            alpha=.2, label=f"{label}: P5-P95")
            ax.plot(dates, d.median(axis=1), color=color, label=f"{label}: median")
        rec = RECORD.dropna(subset=["best"]).sort_values("date")
        ax.step(rec.date, rec.best.cumsum(), where="post", color="k", label="record (best estimates)")
        ax.vlines(rec.date, rec.low.cumsum(), rec.high.cumsum(), color="k", lw=3, alpha=.4,
                  label="record (reported ranges)")
        ax.set_ylabel("tankers destroyed since 1 Sep")
        ax.legend(loc="upper left", fontsize=8)
        date_axis(ax)
        fig.suptitle("Cumulative tankers destroyed: hindcasts against the record")
    return fig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--season", type=int, default=100)
    ap.add_argument("--parts", default="hindcast,whatifs,season",
                    help="comma-separated parts to run (hindcast, whatifs, season)")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    if "hindcast" in parts:
        hindcasts(args.replications)
    if "whatifs" in parts:
        print("\n## What-ifs\n")
        print(md(whatifs(max(40, args.replications // 4)).round(3)))
        print("\n## Convoy size by the drawn size exponent\n")
        print(md(whatifs_by_beta(args.replications).round(3)))
    if "season" in parts:
        monthly, weekly, fig = season(args.season)
        fig.savefig(OUT / "season_forecast.png", dpi=110)
        print("\n## Season forecast\n")
        print(md(monthly.round(2)))
        print("\n" + md(weekly.round(2)))


def hindcasts(replications: int) -> None:
    results = {}
    for label, f in (("adversary", "hindcast_adversary_calibrated"), ("previous", "hindcast_calibrated")):
        sc = load_scenario(MALI / f"{f}.yaml")
        results[label] = simulate(sc, replications=replications, seed=1)
    start = pd.Timestamp(sc.start)
    print("## Posterior predictive check (adversary model)\n")
    print(md(ppc(results["adversary"], sc).round(1)))
    for label, res in results.items():
        model, base = scores(res, start, np.random.default_rng(7))
        print(f"\n## Scores, {label} hindcast vs past-weeks baseline\n")
        print(md(skill(model, base).round(3)))
        if label == "adversary":
            print("\n" + md(model[model.name.str.startswith("cum")].round(1)))
    destroyed_figure(results, start).savefig(OUT / "validation_adversary.png", dpi=110)


if __name__ == "__main__":
    main()
