"""Make the figures of the documentation.

Run from anywhere (paths are relative to this file)::

    python docs/figures/make_figures.py

Writes ``smoke_fan.png`` (cumulative litres delivered to Bamako in the smoke scenario: median,
P25-P75 and P5-P95 bands over 50 replications with seed 1, against cumulative demand) and
``network.png`` (the built-in network on longitude/latitude, edges coloured by corridor) next to
this script. The figures depend only on the scenario and the seed.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from corridorsim import load_scenario, simulate  # noqa: E402
from corridorsim.model.plan import compile_scenario  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SMOKE = ROOT / "scenarios" / "smoke.yaml"
DPI = 110
REPLICATIONS = 50
SEED = 1

#: Nodes labelled on the map (the destination and the three sea ports): role, label position
#: (lon, lat, in degrees) chosen to keep the labels off the roads.
LABELS = {
    "Bamako": ("destination", (-12.6, 11.3)),
    "Dakar": ("source", (-17.6, 15.6)),
    "Conakry": ("source", (-16.9, 8.3)),
    "Abidjan": ("source", (-7.4, 5.5)),
}


def fan_chart(out: Path) -> None:
    """Cumulative litres delivered: median and P25-P75 / P5-P95 bands, with cumulative demand."""
    scenario = load_scenario(SMOKE)
    result = simulate(scenario, replications=REPLICATIONS, seed=SEED, workers=1)
    daily = result.daily.copy()
    daily["date"] = pd.to_datetime(daily["date"])
    # values at the end of each day: plot them at midnight of the next day
    daily["at"] = daily["date"] + pd.Timedelta(days=1)
    q = (daily.groupby("at")["cumulative_delivered_l"]
         .quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack() / 1e6)
    demand = daily[daily.replication == 0].set_index("at")["base_demand_l"].cumsum() / 1e6
    start = pd.Timestamp(scenario.start)
    q.loc[start] = 0.0
    demand.loc[start] = 0.0
    q, demand = q.sort_index(), demand.sort_index()

    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    ax.fill_between(q.index, q[0.05], q[0.95], color="tab:blue", alpha=0.18, lw=0,
                    label="P5-P95")
    ax.fill_between(q.index, q[0.25], q[0.75], color="tab:blue", alpha=0.38, lw=0,
                    label="P25-P75")
    ax.plot(q.index, q[0.5], color="tab:blue", lw=2, label="median delivered")
    ax.plot(demand.index, demand, color="black", lw=1.2, ls="--",
            label="cumulative demand (unrationed)")
    ax.set_xlabel("date (end of day)")
    ax.set_ylabel("cumulative litres delivered (million L)")
    ax.set_title(f"Scenario '{scenario.name}': fuel delivered to {scenario.destination.node}\n"
                 f"{REPLICATIONS} replications, seed {SEED}", fontsize=11)
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=3))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.set_xlim(q.index[0], q.index[-1])
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", frameon=False, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


def _borders(ax) -> None:
    """Country outlines shipped with the built-in network (Natural Earth, for maps only)."""
    path = resources.files("corridorsim") / "data" / "mali" / "borders_west_africa.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    for feature in data["features"]:
        geom = feature["geometry"]
        polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        for polygon in polygons:
            lon, lat = zip(*polygon[0])
            ax.fill(lon, lat, facecolor="#f4f1ea", edgecolor="#b9b3a6", lw=0.6, zorder=0)


def network_map(out: Path) -> None:
    """The built-in network on lon/lat, edges coloured by corridor label."""
    plan = compile_scenario(load_scenario(SMOKE))  # smoke uses the built-in network unchanged
    g = plan.graph
    corridors = sorted({d["corridor"] for _, _, d in g.edges(data=True)})
    cmap = plt.get_cmap("tab10")
    colour = {c: cmap(i % 10) for i, c in enumerate(corridors)}

    fig, ax = plt.subplots(figsize=(8.0, 5.6))
    _borders(ax)
    for c in corridors:
        first = True
        for a, b, d in g.edges(data=True):
            if d["corridor"] != c:
                continue
            ax.plot([g.nodes[a]["lon"], g.nodes[b]["lon"]], [g.nodes[a]["lat"], g.nodes[b]["lat"]],
                    color=colour[c], lw=2.2, solid_capstyle="round", zorder=2,
                    label=c if first else None)
            first = False
    lon = [d["lon"] for _, d in g.nodes(data=True)]
    lat = [d["lat"] for _, d in g.nodes(data=True)]
    ax.scatter(lon, lat, s=9, color="#333333", zorder=3)
    for name, (role, text_at) in LABELS.items():
        x, y = g.nodes[name]["lon"], g.nodes[name]["lat"]
        marker, size = ("*", 260) if role == "destination" else ("s", 60)
        ax.scatter([x], [y], marker=marker, s=size, color="crimson" if role == "destination"
                   else "black", zorder=4, edgecolor="white", linewidth=0.8)
        ax.annotate(f"{name}\n({role})", (x, y), xytext=text_at, textcoords="data",
                    fontsize=9, fontweight="bold", zorder=5,
                    arrowprops={"arrowstyle": "-", "color": "#555555", "lw": 0.8,
                                "shrinkB": 6})
    pad = 0.8
    ax.set_xlim(min(lon) - pad, max(lon) + pad)
    ax.set_ylim(min(lat) - pad, max(lat) + pad)
    mid = math.radians(0.5 * (min(lat) + max(lat)))
    ax.set_aspect(1.0 / math.cos(mid))
    ax.set_xlabel("longitude (degrees, east positive)")
    ax.set_ylabel("latitude (degrees north)")
    ax.set_title(f"Built-in network 'mali': {g.number_of_nodes()} nodes, "
                 f"{g.number_of_edges()} road segments", fontsize=11)
    ax.legend(title="corridor", loc="lower right", fontsize=8, title_fontsize=9, ncol=2,
              framealpha=0.9)
    ax.grid(alpha=0.25)
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


def main() -> None:
    """Write both figures next to this script."""
    fan_chart(HERE / "smoke_fan.png")
    network_map(HERE / "network.png")
    for name in ("smoke_fan.png", "network.png"):
        print(f"wrote {(HERE / name).relative_to(ROOT)} ({(HERE / name).stat().st_size / 1024:.0f} kB)")


if __name__ == "__main__":
    main()
