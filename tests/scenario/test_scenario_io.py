"""Reading scenario files: validation messages, YAML problems, ``extends:``, paths, schema, hash."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from corridorsim.errors import ScenarioError, ScenarioErrors
from corridorsim.scenario.documents import (
    json_schema,
    read_scenario_dict,
    scenario_from_dict,
    scenario_hash,
)
from corridorsim.scenario.loading import load_scenario

from ..conftest import smoke_dict


def write_yaml(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    """The one-line messages of the validation errors raised by loading ``path``."""
    with pytest.raises(ScenarioErrors) as exc:
        load_scenario(path)
    return exc.value.lines()


def line_for(lines: list[str], field: str) -> str:
    hits = [line for line in lines if f": {field}: " in line]
    assert len(hits) == 1, lines
    return hits[0]


def test_smoke_dict_is_valid(tmp_path):
    scenario = load_scenario(write_yaml(tmp_path / "smoke.yaml", smoke_dict()))
    assert scenario.destination.node == "Bamako"
    assert scenario.horizon_h == 20 * 24


def test_shipped_smoke_scenario_loads():
    path = Path(__file__).resolve().parents[2] / "scenarios" / "smoke.yaml"
    scenario = load_scenario(path)
    assert scenario.name == "smoke"
    assert scenario == scenario_from_dict(smoke_dict())


# --------------------------------------------------------------------------------------------
# Schema errors
# --------------------------------------------------------------------------------------------


def test_unknown_key_names_the_path_and_the_expected_keys(tmp_path):
    data = smoke_dict()
    data["destination"]["demand_l_per_dy"] = data["destination"].pop("demand_l_per_day")
    path = write_yaml(tmp_path / "s.yaml", data)
    lines = errors_of(path)
    line = line_for(lines, "destination.demand_l_per_dy")
    assert line.startswith(str(path))
    assert "unknown key 'demand_l_per_dy'" in line
    assert "expected one of:" in line
    assert "demand_l_per_day" in line and "initial_stock_l" in line
    # the renamed key is now missing as well
    assert "required field is missing" in line_for(lines, "destination.demand_l_per_day")


def test_unknown_top_level_and_nested_list_keys(tmp_path):
    data = smoke_dict()
    data["replicatons"] = 5
    data["staging"][0]["max_wait"] = 10
    lines = errors_of(write_yaml(tmp_path / "s.yaml", data))
    assert len(lines) == 2
    assert "replications" in line_for(lines, "replicatons")
    assert "max_wait_h" in line_for(lines, "staging[0].max_wait")


def test_unknown_key_under_a_mapping_of_models(tmp_path):
    data = smoke_dict()
    data["network"]["node_overrides"] = {"Kayes": {"latt": 14.0}}
    line = line_for(errors_of(write_yaml(tmp_path / "s.yaml", data)), "network.node_overrides.Kayes.latt")
    assert "expected one of: lat, lon, country, role, region" in line


def test_wrong_type(tmp_path):
    data = smoke_dict()
    data["destination"]["demand_l_per_day"] = "lots"
    data["replications"] = "many"
    lines = errors_of(write_yaml(tmp_path / "s.yaml", data))
    assert "'lots' is invalid" in line_for(lines, "destination.demand_l_per_day")
    assert "valid number" in line_for(lines, "destination.demand_l_per_day")
    assert "'many' is invalid" in line_for(lines, "replications")


def test_wrong_type_of_a_block(tmp_path):
    data = smoke_dict()
    data["destination"] = "Bamako"
    line = line_for(errors_of(write_yaml(tmp_path / "s.yaml", data)), "destination")
    assert "'Bamako' is invalid" in line


def test_negative_demand_names_path_and_value(tmp_path):
    data = smoke_dict()
    data["destination"]["demand_l_per_day"] = -5
    line = line_for(errors_of(write_yaml(tmp_path / "s.yaml", data)), "destination.demand_l_per_day")
    assert "-5 is invalid" in line
    assert "greater than or equal to 0" in line


def test_out_of_range_share(tmp_path):
    data = smoke_dict()
    data["destination"]["rationing"][0]["demand_cut_share"] = 1.5
    line = line_for(errors_of(write_yaml(tmp_path / "s.yaml", data)),
                    "destination.rationing[0].demand_cut_share")
    assert "1.5 is invalid" in line


def test_missing_required_field(tmp_path):
    data = smoke_dict()
    del data["destination"]["node"]
    del data["end"]
    lines = errors_of(write_yaml(tmp_path / "s.yaml", data))
    assert line_for(lines, "destination.node").endswith("required field is missing")
    assert line_for(lines, "end").endswith("required field is missing")


def test_end_before_start(tmp_path):
    data = smoke_dict()
    data["end"] = "2025-08-01"
    lines = errors_of(write_yaml(tmp_path / "s.yaml", data))
    assert len(lines) == 1
    assert "end (2025-08-01 00:00:00) must be after start (2025-09-01 00:00:00)" in lines[0]


def test_network_reference_error_names_the_file(tmp_path):
    data = smoke_dict()
    data["sources"][0]["node"] = "Abidjan-Port"
    path = write_yaml(tmp_path / "s.yaml", data)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert exc.value.file == str(path)
    assert exc.value.path == "sources[0].node"
    assert "'Abidjan-Port'" in str(exc.value)
    # without the network check the scenario itself is valid
    assert load_scenario(path, check_network=False).sources[0].node == "Abidjan-Port"


# --------------------------------------------------------------------------------------------
# File problems
# --------------------------------------------------------------------------------------------


def test_invalid_yaml_reports_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nstart: 2025-09-01\n  end: 2025-09-21\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert exc.value.file == str(path.resolve())
    assert "invalid YAML at line 3" in exc.value.message


def test_unclosed_flow_mapping_reports_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ndestination: {node: Bamako\nsources: []\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"invalid YAML at line 3, column \d+"):
        load_scenario(path)


@pytest.mark.parametrize("text", ["", "\n", "# nothing but a comment\n"])
def test_empty_file(tmp_path, text):
    path = tmp_path / "empty.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match="file is empty"):
        load_scenario(path)


def test_file_not_found(tmp_path):
    path = tmp_path / "missing.yaml"
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert exc.value.message == "file not found"
    assert exc.value.file == str(path)


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "list"), ("just text\n", "str"),
                                             ("42\n", "int")])
def test_non_mapping_top_level(tmp_path, text, kind):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=f"expected a mapping of scenario fields, got a {kind}$"):
        load_scenario(path)


# --------------------------------------------------------------------------------------------
# extends
# --------------------------------------------------------------------------------------------


def test_extends_merges_recursively(tmp_path):
    write_yaml(tmp_path / "base.yaml", smoke_dict())
    child = write_yaml(tmp_path / "child.yaml", {
        "extends": "base.yaml",
        "name": "child",
        "destination": {"demand_l_per_day": 3_000_000},
        "threats": {"rules": [{"ambush_rate_per_1000km": 2.0}]},
        "escorts": {"bases": [{"name": "bko", "node": "Bamako", "units": 2}]},
    })
    s = load_scenario(child)
    assert s.name == "child"
    assert s.destination.demand_l_per_day == 3_000_000
    # siblings of the overridden field are kept
    assert s.destination.node == "Bamako"
    assert s.destination.initial_stock_l == 10_000_000
    assert s.destination.capacity_l == 60_000_000
    assert s.destination.rationing[0].demand_cut_share == 0.3
    # lists are replaced, not merged
    assert len(s.threats.rules) == 1
    assert s.threats.rules[0].region is None
    assert [b.name for b in s.escorts.bases] == ["bko"]
    # untouched blocks come from the base
    assert s.sources[0].node == "Abidjan"
    assert s.staging[0].min_tankers == 40


def test_extends_null_resets_to_the_default(tmp_path):
    write_yaml(tmp_path / "base.yaml", smoke_dict())
    child = write_yaml(tmp_path / "child.yaml",
                       {"extends": "base.yaml", "destination": {"capacity_l": None}})
    s = load_scenario(child)
    assert s.destination.capacity_l is None
    assert s.destination.demand_l_per_day == 2_000_000


def test_extends_relative_to_the_extending_file(tmp_path, monkeypatch):
    write_yaml(tmp_path / "base" / "base.yaml", smoke_dict())
    write_yaml(tmp_path / "variants" / "mid.yaml",
               {"extends": "../base/base.yaml", "destination": {"demand_l_per_day": 1_500_000}})
    leaf = write_yaml(tmp_path / "variants" / "deep" / "leaf.yaml",
                      {"extends": "../mid.yaml", "name": "leaf"})
    monkeypatch.chdir(tmp_path / "base")  # the working directory must not matter
    s = load_scenario(leaf)
    assert s.name == "leaf"
    assert s.destination.demand_l_per_day == 1_500_000
    assert s.destination.node == "Bamako"


def test_circular_extends(tmp_path):
    write_yaml(tmp_path / "a.yaml", {**smoke_dict(), "extends": "b.yaml"})
    write_yaml(tmp_path / "b.yaml", {"extends": "a.yaml", "name": "b"})
    with pytest.raises(ScenarioError, match="circular extends: a.yaml -> b.yaml -> a.yaml") as exc:
        load_scenario(tmp_path / "a.yaml")
    assert exc.value.path == "extends"


def test_self_extends(tmp_path):
    write_yaml(tmp_path / "a.yaml", {**smoke_dict(), "extends": "a.yaml"})
    with pytest.raises(ScenarioError, match="circular extends") as exc:
        load_scenario(tmp_path / "a.yaml")
    assert exc.value.path == "extends"


def test_missing_parent_names_extends(tmp_path):
    child = write_yaml(tmp_path / "child.yaml", {"extends": "nope.yaml", "name": "child"})
    with pytest.raises(ScenarioError) as exc:
        load_scenario(child)
    assert exc.value.path == "extends"
    assert exc.value.file == str(child.resolve())
    assert "'nope.yaml': file not found" in exc.value.message


def test_missing_grandparent_is_reported_by_the_parent(tmp_path):
    write_yaml(tmp_path / "parent.yaml", {"extends": "gone.yaml"})
    child = write_yaml(tmp_path / "child.yaml", {"extends": "parent.yaml"})
    with pytest.raises(ScenarioError) as exc:
        load_scenario(child)
    assert exc.value.path == "extends"
    # the chain of files that led to the missing one
    assert exc.value.file == f"{child} -> extends parent.yaml"
    assert "gone.yaml" in exc.value.message


def test_extends_must_be_a_path(tmp_path):
    child = write_yaml(tmp_path / "child.yaml", {"extends": ["base.yaml"]})
    with pytest.raises(ScenarioError, match="expected the path of a scenario file") as exc:
        load_scenario(child)
    assert exc.value.path == "extends"


# --------------------------------------------------------------------------------------------
# File paths inside scenarios
# --------------------------------------------------------------------------------------------


def _write_tiny_tables(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "nodes.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["node", "lat", "lon", "country"])
        w.writerows([["Port", 5.3, -4.0, "CI"], ["Border", 10.2, -5.6, "ML"], ["Depot", 12.6, -8.0, "ML"]])
    with open(folder / "edges.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["from", "to", "length_km"])
        w.writerows([["Port", "Border", 620], ["Border", "Depot", 420]])


def _tiny_scenario(network: dict) -> dict:
    return {
        "name": "tiny",
        "start": "2025-09-01",
        "end": "2025-09-03",
        "destination": {"node": "Depot", "demand_l_per_day": 1000},
        "network": network,
        "sources": [{"name": "port", "node": "Port", "tankers_per_day": 1}],
    }


def test_csv_paths_are_relative_to_the_scenario_file(tmp_path, monkeypatch):
    _write_tiny_tables(tmp_path / "scen" / "data")
    path = write_yaml(tmp_path / "scen" / "tiny.yaml", _tiny_scenario(
        {"builtin": None, "nodes_csv": "data/nodes.csv", "edges_csv": "data/edges.csv"}))
    monkeypatch.chdir(tmp_path)  # not the scenario's folder
    s = load_scenario(path)  # builds the network from the CSV tables
    assert Path(s.network.nodes_csv) == (tmp_path / "scen" / "data" / "nodes.csv").resolve()
    assert Path(s.network.edges_csv) == (tmp_path / "scen" / "data" / "edges.csv").resolve()


def test_csv_paths_in_a_parent_are_relative_to_the_parent(tmp_path, monkeypatch):
    _write_tiny_tables(tmp_path / "base" / "tables")
    write_yaml(tmp_path / "base" / "base.yaml", _tiny_scenario(
        {"builtin": None, "nodes_csv": "tables/nodes.csv", "edges_csv": "tables/edges.csv"}))
    child = write_yaml(tmp_path / "runs" / "child.yaml",
                       {"extends": "../base/base.yaml", "network": {"default_speed_kmh": 20}})
    monkeypatch.chdir(tmp_path / "runs")
    s = load_scenario(child)
    assert Path(s.network.nodes_csv) == (tmp_path / "base" / "tables" / "nodes.csv").resolve()
    assert s.network.default_speed_kmh == 20


def test_extending_file_can_switch_from_builtin_to_csv(tmp_path):
    _write_tiny_tables(tmp_path / "tables")
    base = _tiny_scenario({"builtin": "mali"})
    base["destination"]["node"] = "Bamako"
    base["sources"][0]["node"] = "Dakar"
    write_yaml(tmp_path / "base.yaml", base)
    child = write_yaml(tmp_path / "child.yaml", {
        "extends": "base.yaml",
        "network": {"builtin": None, "nodes_csv": "tables/nodes.csv", "edges_csv": "tables/edges.csv"},
        "destination": {"node": "Depot"},
        "sources": [{"name": "port", "node": "Port", "tankers_per_day": 1}],
    })
    s = load_scenario(child)
    assert s.network.builtin is None
    assert Path(s.network.edges_csv) == (tmp_path / "tables" / "edges.csv").resolve()


def test_absolute_csv_paths_are_kept(tmp_path):
    _write_tiny_tables(tmp_path / "data")
    nodes = str((tmp_path / "data" / "nodes.csv").resolve())
    edges = str((tmp_path / "data" / "edges.csv").resolve())
    path = write_yaml(tmp_path / "elsewhere" / "tiny.yaml",
                      _tiny_scenario({"builtin": None, "nodes_csv": nodes, "edges_csv": edges}))
    assert read_scenario_dict(path)["network"]["nodes_csv"] == nodes
    assert load_scenario(path).network.edges_csv == edges


# --------------------------------------------------------------------------------------------
# JSON schema and scenario hash
# --------------------------------------------------------------------------------------------


def test_json_schema():
    schema = json_schema()
    props = schema["properties"]
    assert "destination" in props
    assert "network" in props
    assert props["extends"]["type"] == "string"
    assert "destinations" in props  # destination or destinations: checked on loading
    assert "extends" not in schema.get("required", [])
    json.dumps(schema)  # serialisable for editors


def test_scenario_hash_ignores_layout(tmp_path):
    data = smoke_dict()
    reordered = {k: data[k] for k in reversed(list(data))}
    reordered["destination"] = {k: data["destination"][k] for k in reversed(list(data["destination"]))}
    a = load_scenario(write_yaml(tmp_path / "a.yaml", data))
    b = load_scenario(write_yaml(tmp_path / "b.yaml", reordered))
    assert (tmp_path / "a.yaml").read_text() != (tmp_path / "b.yaml").read_text()
    assert scenario_hash(a) == scenario_hash(b)
    assert len(scenario_hash(a)) == 64


def test_scenario_hash_changes_with_a_value(tmp_path):
    data = smoke_dict()
    a = load_scenario(write_yaml(tmp_path / "a.yaml", data))
    data["destination"]["demand_l_per_day"] = 2_000_001
    b = load_scenario(write_yaml(tmp_path / "b.yaml", data))
    assert scenario_hash(a) != scenario_hash(b)


def test_scenario_hash_excludes_seed_and_replications(tmp_path):
    data = smoke_dict()
    a = load_scenario(write_yaml(tmp_path / "a.yaml", data))
    data["seed"] = 99
    data["replications"] = 7
    b = load_scenario(write_yaml(tmp_path / "b.yaml", data))
    assert scenario_hash(a) == scenario_hash(b)


def test_scenario_hash_of_an_extended_file_equals_the_flat_file(tmp_path):
    write_yaml(tmp_path / "base.yaml", smoke_dict())
    child = write_yaml(tmp_path / "child.yaml",
                       {"extends": "base.yaml", "destination": {"demand_l_per_day": 2_500_000}})
    flat = smoke_dict()
    flat["destination"]["demand_l_per_day"] = 2_500_000
    flat_path = write_yaml(tmp_path / "flat.yaml", flat)
    assert scenario_hash(load_scenario(child)) == scenario_hash(load_scenario(flat_path))


def test_time_zones_are_refused_with_a_clear_message():
    from corridorsim.errors import ScenarioErrors
    from corridorsim.scenario.documents import scenario_from_dict

    from ..conftest import make_dict

    with pytest.raises(ScenarioErrors) as err:
        scenario_from_dict(make_dict(start="2025-09-01T00:00:00+00:00"))
    assert "start" in err.value.lines()[0] and "time zone" in err.value.lines()[0]


def test_fixed_routing_needs_via_lists():
    from corridorsim.errors import ScenarioError
    from corridorsim.scenario.documents import scenario_from_dict
    from corridorsim.scenario.network import build_network

    from ..conftest import make_dict

    sc = scenario_from_dict(make_dict(routing={"policy": "fixed"}))
    with pytest.raises(ScenarioError, match=r"convoys\[0\]\.via"):
        build_network(sc)
    ok = scenario_from_dict(make_dict(routing={"policy": "fixed", "via": {"Zegoua": ["Sikasso"]}}))
    build_network(ok)


def test_cross_field_errors_do_not_dump_the_block():
    from corridorsim.errors import ScenarioErrors
    from corridorsim.scenario.documents import scenario_from_dict

    from ..conftest import make_dict

    with pytest.raises(ScenarioErrors) as err:
        scenario_from_dict(make_dict(end="2025-08-01"))
    line = err.value.lines()[0]
    assert "must be after start" in line and "{" not in line


def test_a_document_read_again_is_a_fresh_copy_and_an_edited_file_is_read_anew(tmp_path):
    from corridorsim.scenario.safe_yaml import read_yaml

    f = tmp_path / "a.yaml"
    f.write_text("a: &x [1, 2]\nb: *x\n", encoding="utf-8")
    first = read_yaml(f, "scenario")
    first["a"].append(3)  # a caller that edits what it read changes nobody else's copy
    again = read_yaml(f, "scenario")
    assert again == {"a": [1, 2], "b": [1, 2]}
    assert again["a"] is again["b"]  # aliases stay shared inside a copy, as YAML built them
    f.write_text("a: 5\n", encoding="utf-8")
    assert read_yaml(f, "scenario") == {"a": 5}
