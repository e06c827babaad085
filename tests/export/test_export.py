"""GIS export: layers read back from GeoJSON (json) and GeoPackage (pyogrio) files, with the
per-edge traffic and losses adding up to the run's tables."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from corridorsim import load_scenario, read_run, simulate, write_run
from corridorsim.cli import main
from corridorsim.export.layers import gis_layers
from corridorsim.scenario.documents import scenario_from_dict
from corridorsim.scenario.network import build_network

from ..conftest import SCENARIOS

SMOKE = SCENARIOS / "smoke.yaml"
INCIDENTS = SCENARIOS / "data" / "incidents_2025-09_2025-10.csv"
N = 4


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("gis")
    scenario = tmp / "smoke_observed.yaml"
    scenario.write_text(f"extends: {SMOKE}\nobservations:\n  incidents_csv: {INCIDENTS}\n",
                        encoding="utf-8")
    return write_run(simulate(load_scenario(scenario), replications=N, seed=11), tmp / "run")


@pytest.fixture(scope="module")
def geojson(run_dir, tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("geojson") / "layers"
    res = CliRunner().invoke(main, ["export", str(run_dir), "--format", "geojson", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "attacks.geojson", "destinations.geojson", "incidents.geojson", "routes.geojson"]
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in out.iterdir()}


def test_routes_carry_per_edge_traffic_and_losses_that_add_up(run_dir, geojson):
    run = read_run(run_dir)
    graph = build_network(run.scenario)
    routes = geojson["routes"]
    assert routes["type"] == "FeatureCollection" and len(routes["features"]) == graph.number_of_edges()
    props = [f["properties"] for f in routes["features"]]
    attacks = run.events[run.events.kind.isin(["ambush", "ied"])]
    # every attack happens on an edge of the network: per-edge means x N give the totals back
    assert sum(p["attacks"] for p in props) * N == pytest.approx(len(attacks))
    assert sum(p["ambushes"] for p in props) * N == pytest.approx((attacks.kind == "ambush").sum())
    assert sum(p["litres_lost"] for p in props) * N == pytest.approx(attacks.litres_destroyed.sum())
    assert sum(p["tankers_lost"] for p in props) * N == pytest.approx(attacks.tankers_destroyed.sum())
    # a convoy's route passes each of its edges once: edge traffic = convoys using the edge / N
    moved = run.convoys[np.isfinite(run.convoys.depart_h)]
    first = moved.route.iloc[0].split(">")[:2]
    edge = next(p for p in props if {p["edge_from"], p["edge_to"]} == set(first))
    uses = moved.route.map(lambda r: any({a, b} == set(first) for a, b in zip(r.split(">"),
                                                                                  r.split(">")[1:])))
    assert edge["convoys"] * N == pytest.approx(uses.sum())
    assert edge["tankers"] * N == pytest.approx(moved.tankers_start[uses].sum())
    line = next(f for f in routes["features"] if f["properties"] == edge)
    a = graph.nodes[edge["edge_from"]]
    assert line["geometry"]["type"] == "LineString"
    assert line["geometry"]["coordinates"][0] == [a["lon"], a["lat"]]  # GeoJSON: lon, lat


def test_attacks_incidents_and_destinations(run_dir, geojson):
    run = read_run(run_dir)
    attacks = run.events[run.events.kind.isin(["ambush", "ied"])]
    feats = geojson["attacks"]["features"]
    assert len(feats) == len(attacks)
    assert sorted(f["geometry"]["coordinates"][1] for f in feats) == pytest.approx(sorted(attacks.lat))
    assert {f["properties"]["kind"] for f in feats} <= {"ambush", "ied"}
    incidents = geojson["incidents"]["features"]
    assert len(incidents) == 13 and incidents[0]["properties"]["event_id"] == "CS001"
    dest = geojson["destinations"]["features"]
    assert len(dest) == 1
    p = dest[0]["properties"]
    m = run.metrics.set_index("metric")
    assert p["node"] == "Bamako" and p["replications"] == N
    assert p["p_stockout"] == pytest.approx(m.loc["p_stockout", "mean"])
    assert p["p_stockout_ci95_low"] < p["p_stockout"] or p["p_stockout"] == 0
    assert p["delivered_l"] == pytest.approx(m.loc["delivered_l", "mean"])
    if p["first_stockout_date"] is not None:
        assert p["first_stockout_date"].startswith("2025-09")


def test_geopackage_holds_the_same_layers(run_dir, geojson, tmp_path):
    pytest.importorskip("pyogrio")
    import pyogrio
    import pyogrio.raw

    out = tmp_path / "run.gpkg"
    res = CliRunner().invoke(main, ["export", str(run_dir), "--format", "gpkg", "-o", str(out)])
    assert res.exit_code == 0, res.output
    layers = dict(pyogrio.list_layers(out))
    assert layers == {"routes": "LineString", "attacks": "Point", "incidents": "Point",
                      "destinations": "Point"}
    for name in layers:
        meta, _, geometry, fields = pyogrio.raw.read(out, layer=name)
        assert meta["crs"] == "EPSG:4326"
        # GDAL turns the stored geometries back into GeoJSON: the same coordinates
        gj = tmp_path / f"{name}.geojson"
        pyogrio.raw.write(gj, geometry, fields, meta["fields"], driver="GeoJSON", crs=meta["crs"],
                          geometry_type=meta["geometry_type"])
        back = json.loads(gj.read_text(encoding="utf-8"))["features"]
        want = geojson[name]["features"]
        assert len(back) == len(want)
        for b, w in zip(back, want):
            assert b["geometry"]["type"] == w["geometry"]["type"]
            assert np.allclose(b["geometry"]["coordinates"], w["geometry"]["coordinates"])
        for b, w in zip(back, want):
            for k, v in w["properties"].items():
                if isinstance(v, float):
                    assert b["properties"][k] == pytest.approx(v), (name, k)
                elif v is not None and not isinstance(v, bool):
                    assert str(b["properties"][k]) == str(v), (name, k)


def test_gpkg_without_pyogrio_says_how_to_install_it(run_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyogrio", None)
    monkeypatch.setitem(sys.modules, "pyogrio.raw", None)
    res = CliRunner().invoke(main, ["export", str(run_dir), "--format", "gpkg", "-o",
                                    str(tmp_path / "x.gpkg")])
    assert res.exit_code == 2 and "pip install 'corridorsim[gis]'" in res.output
    assert not (tmp_path / "x.gpkg").exists()


def test_sweep_export_takes_a_point_and_needs_kept_events(tmp_path):
    import corridorsim

    spec = tmp_path / "s.yaml"
    spec.write_text(f"name: s\nbase: {SMOKE}\nreplications: 2\nkeep: [events, convoys]\n"
                    "factors: [{path: threats.ambush_multiplier, values: [0, 3]}]\n", encoding="utf-8")
    sw = corridorsim.run_sweep(spec, tmp_path / "sw")
    out = tmp_path / "p1"
    res = CliRunner().invoke(main, ["export", str(sw.root), "--point", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    attacks = json.loads((out / "attacks.geojson").read_text())["features"]
    events = sw.tables["events"]
    assert len(attacks) == int(((events.point == 1) & events.kind.isin(["ambush", "ied"])).sum())
    res = CliRunner().invoke(main, ["export", str(sw.root), "--point", "0", "-o", str(tmp_path / "p0")])
    ambushes = sum(f["properties"]["ambushes"] for f in
                   json.loads((tmp_path / "p0" / "routes.geojson").read_text())["features"])
    assert res.exit_code == 0 and ambushes == 0  # multiplier 0: no ambushes
    res = CliRunner().invoke(main, ["export", str(sw.root), "--point", "7", "-o", str(tmp_path / "p7")])
    assert res.exit_code == 2 and "point 7 is not a point of the sweep" in res.output
    bare = corridorsim.run_sweep(SMOKE, tmp_path / "bare", factors={"threats.ambush_multiplier": [1]},
                                 replications=2)
    res = CliRunner().invoke(main, ["export", str(bare.root), "-o", str(tmp_path / "b")])
    assert res.exit_code == 2 and "keep: [events, convoys]" in res.output


def test_a_run_made_elsewhere_exports_without_its_missing_incident_file(run_dir, tmp_path):
    import shutil

    moved = tmp_path / "moved"
    shutil.copytree(run_dir, moved)
    manifest = json.loads((moved / "manifest.json").read_text(encoding="utf-8"))
    manifest["scenario"]["observations"]["incidents_csv"] = str(tmp_path / "gone.csv")
    (moved / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    res = CliRunner().invoke(main, ["export", str(moved), "-o", str(tmp_path / "g")])
    assert res.exit_code == 0, res.output
    assert "note: no observed incidents layer" in res.output
    assert not (tmp_path / "g" / "incidents.geojson").exists()
    assert (tmp_path / "g" / "routes.geojson").is_file()


def test_a_run_with_several_destinations_exports_one_point_each(tmp_path):
    from corridorsim.experiments.statistics import proportion_interval

    from ..viz.test_destination_figures import _two_destinations

    result = simulate(scenario_from_dict(_two_destinations()), replications=4, seed=4)
    layer = gis_layers(result)["destinations"]
    props = {f.properties["name"]: f.properties for f in layer.features}
    assert set(props) == {"Bamako", "Segou"}
    assert props["Bamako"]["focus"] is True and props["Segou"]["focus"] is False
    table = result.tables.destinations
    for name, p in props.items():
        rows = table[table["destination"] == name]
        assert p["delivered_l"] == pytest.approx(rows["delivered_l"].mean())
        dry = int(np.isfinite(rows["first_stockout_day"].to_numpy(dtype=float)).sum())
        ci = proportion_interval(dry, len(rows))
        assert (p["p_stockout"], p["p_stockout_ci95_low"]) == pytest.approx((ci.estimate, ci.low))
