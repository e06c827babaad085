"""Write the hostile-input corpus of tests/test_hostile_inputs.py (run from this folder).

Each file holds one thing a hostile or careless user could hand to corridorsim; EXPECTED maps
its name to the command that reads it and a fragment of the one-line error it must get. The
files are checked in; this script documents how the binary ones were made and rewrites them.
Files that cannot be checked in (a FIFO, /dev/zero, a name too long for the file system, a file
over the size limit) are made by the tests in a temporary folder.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMOKE = "../../../scenarios/smoke.yaml"
BLOCKADE = "../../../scenarios/mali_blockade_2025.yaml"

TEXT = {
    "impossible_date.yaml": f"extends: {SMOKE}\nstart: 2025-02-30\n",
    "integer_date.yaml": f"extends: {SMOKE}\nstart: 20250901\n",
    "integer_depart.yaml": (
        f"extends: {SMOKE}\nconvoys:\n  - {{name: c, depart: 20250905, origin: Zegoua, "
        "tankers: 5, payload_l: 30000}\n"),
    "integer_schedule_start.yaml": (
        f"extends: {SMOKE}\nsources:\n  - {{name: abidjan, node: Abidjan, staging: Zegoua, "
        "tankers_per_day: 40, schedule: [{start: 20250905, tankers_per_day: 10}]}\n"),
    "year_out_of_range.yaml": f"extends: {SMOKE}\nend: 9999-12-31\n",
    "horizon_too_long.yaml": f"extends: {SMOKE}\nstart: 1990-01-01\n",
    "billion_laughs.yaml": (
        f"extends: {SMOKE}\n"
        "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
        "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
        "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
        "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
        "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
        "name: *i\n"),
    "deep_list.yaml": f"extends: {SMOKE}\ndescription: " + "[" * 1000 + "]" * 1000 + "\n",
    "extends_dev_zero.yaml": "extends: /dev/zero\nname: x\n",
    "extends_directory.yaml": "extends: ..\nname: x\n",
    "inf_speed.yaml": f"extends: {SMOKE}\nnetwork: {{default_speed_kmh: .inf}}\n",
    "nan_stock.yaml": f"extends: {SMOKE}\ndestination: {{initial_stock_l: .nan}}\n",
    "huge_speed.yaml": f"extends: {SMOKE}\nnetwork: {{default_speed_kmh: 1e308}}\n",
    "huge_tankers.yaml": (
        f"extends: {SMOKE}\nsources:\n  - {{name: abidjan, node: Abidjan, staging: Zegoua, "
        "tankers_per_day: 1e30}\n"),
    "inf_prior.yaml": (
        f"extends: {SMOKE}\nuncertainty:\n  parameters:\n    - {{path: threats.ambush_multiplier, "
        "prior: {dist: uniform, low: 0, high: .inf}}\n"),
    "huge_integer.yaml": f"extends: {SMOKE}\nseed: " + "9" * 5000 + "\n",
    "self_loop.yaml": (
        f"extends: {SMOKE}\nnetwork:\n  add_edges:\n    - {{from: Bamako, to: Bamako, "
        "length_km: 10}\n"),
    "isolated_destination.yaml": (
        f"extends: {SMOKE}\ndestination: {{node: Nowhere}}\nnetwork:\n  add_nodes:\n"
        "    - {name: Nowhere, lat: 12.0, lon: -8.0}\nsources:\n"
        "  - {name: local, node: Nowhere, tankers_per_day: 4}\nstaging: []\n"),
    "base_cut_off.yaml": (
        f"extends: {SMOKE}\nnetwork:\n  add_nodes:\n    - {{name: Island, lat: 12.0, lon: -8.0}}\n"
        "escorts:\n  bases:\n    - {name: sikasso, node: Island, units: 6}\n"),
    "duplicate_key.yaml": f"extends: {SMOKE}\nseed: 1\nseed: 2\n",
    "null_unknown_key.yaml": f"extends: {SMOKE}\nreplicatoins: null\n",
    "null_unknown_nested_key.yaml": f"extends: {SMOKE}\ndestination: {{inital_stock_l: null}}\n",
    "long_value.yaml": f"extends: {SMOKE}\ndestination: {{node: " + "X" * 100_000 + "}\n",
    "long_list_value.yaml": f"extends: {SMOKE}\nseed: [" + "1, " * 20_000 + "1]\n",
    "bad_parent.yaml": "extends: inf_speed.yaml\nname: child\n",
    "extends_binary.yaml": "extends: binary.yaml\nname: x\n",
    "extends_utf16.yaml": "extends: utf16.yaml\nname: x\n",
    "python_tag.yaml": f"extends: {SMOKE}\nname: !!python/object/apply:os.system [echo hacked]\n",
    "not_a_mapping.yaml": "- just\n- a list\n",
    "recursive_alias.yaml": f"extends: {SMOKE}\nseed: &a [*a]\n",
    "bad_float_tag.yaml": f"extends: {SMOKE}\nreplications: !!float x\n",
    "empty.yaml": "",
    "circular_a.yaml": "extends: circular_b.yaml\nname: a\n",
    "circular_b.yaml": "extends: circular_a.yaml\nname: b\n",
    "sweep_binary_base.yaml": (
        "name: s\nbase: binary.yaml\nfactors:\n  - {path: seed, values: [1, 2]}\n"),
    "sweep_dev_zero_base.yaml": (
        "name: s\nbase: /dev/zero\nfactors:\n  - {path: seed, values: [1, 2]}\n"),
    "sweep_inf_range.yaml": (
        f"name: s\nbase: {SMOKE}\nfactors:\n  - {{path: destination.demand_l_per_day, "
        "range: [0, .inf]}\ndesign: {kind: lhs, n: 4}\n"),
    "sweep_integer_date.yaml": (
        f"name: s\nbase: {SMOKE}\nfactors:\n  - {{path: seed, values: [1, 2]}}\n"
        "stockout_dates: [20250915]\n"),
    "sweep_bad_value.yaml": (
        f"name: s\nbase: {SMOKE}\nfactors:\n  - {{path: network.default_speed_kmh, "
        "values: [10, 1e308]}\n"),
    "sweep_laughs.yaml": (
        f"name: s\nbase: {SMOKE}\nfactors:\n  - {{path: seed, values: [1, 2]}}\n"
        "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, "
        "*c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
        "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ndescription: *f\n"),
    "sweep_huge_design.yaml": (
        f"name: s\nbase: {SMOKE}\nfactors:\n  - {{path: destination.demand_l_per_day, "
        "range: [1, 2]}\ndesign: {kind: lhs, n: 1000000}\n"),
    "sweep_huge_grid.yaml": (
        f"name: s\nbase: {SMOKE}\nfactors:\n"
        "  - {path: seed, values: [" + ", ".join(map(str, range(1000))) + "]}\n"
        "  - {path: replications, values: [" + ", ".join(map(str, range(1, 1001))) + "]}\n"),
    "calibration_inf_prior.yaml": (
        f"name: c\nbase: {BLOCKADE}\nparameters:\n  - {{path: threats.ambush_multiplier, prior: "
        "{dist: uniform, low: 0.5, high: .inf}}\nobserved:\n  - {name: x, value: 3, statistic: "
        "{table: summary, column: tankers_destroyed}}\nsamples: 4\nreplications: 1\n"),
    "calibration_integer_date.yaml": (
        f"name: c\nbase: {BLOCKADE}\nparameters:\n  - {{path: threats.ambush_multiplier, prior: "
        "{dist: uniform, low: 0.5, high: 2}}\nobserved:\n  - {name: x, value: 3, statistic: "
        "{table: events, kinds: [ambush], start: 20250903}}\nsamples: 4\nreplications: 1\n"),
    "calibration_binary_base.yaml": (
        "name: c\nbase: binary.yaml\nparameters:\n  - {path: threats.ambush_multiplier, prior: "
        "{dist: uniform, low: 0.5, high: 2}}\nobserved:\n  - {name: x, value: 3, statistic: "
        "{table: summary, column: tankers_destroyed}}\n"),
}

#: file -> (command, fragment of the error line)
EXPECTED = {
    "stray_byte.yaml": ("run", "is not UTF-8 text: byte 0xff at line 2"),
    "utf16.yaml": ("run", "is UTF-16 text"),
    "binary.yaml": ("run", "binary file"),
    "impossible_date.yaml": ("run", "'2025-02-30' is not a valid date"),
    "integer_date.yaml": ("run", "not a number"),
    "integer_depart.yaml": ("run", "convoys[0].depart: 20250905 is invalid"),
    "integer_schedule_start.yaml": ("run", "schedule[0].start: 20250905 is invalid"),
    "year_out_of_range.yaml": ("run", "year 9999 is out of range"),
    "horizon_too_long.yaml": ("run", "days after start"),
    "billion_laughs.yaml": ("run", "more than 250,000 values"),
    "deep_list.yaml": ("run", "nested more than 50 levels deep"),
    "extends_dev_zero.yaml": ("run", "'/dev/zero': is not a regular file"),
    "extends_directory.yaml": ("run", "'..': is a directory"),
    "inf_speed.yaml": ("run", "network.default_speed_kmh: inf is invalid"),
    "nan_stock.yaml": ("run", "destination.initial_stock_l: nan is invalid"),
    "huge_speed.yaml": ("run", "less than or equal to 200"),
    "huge_tankers.yaml": ("run", "less than or equal to 10000"),
    "inf_prior.yaml": ("run", "prior.high: inf is invalid"),
    "huge_integer.yaml": ("run", "has too many digits"),
    "self_loop.yaml": ("run", "network.add_edges[0]: edge [Bamako, Bamako] is a loop"),
    "isolated_destination.yaml": ("run", "'Nowhere' has no road"),
    "base_cut_off.yaml": ("run", "no escort base can reach 'Zegoua'"),
    "duplicate_key.yaml": ("run", "duplicate key 'seed'"),
    "null_unknown_key.yaml": ("run", "unknown key 'replicatoins' set to null"),
    "null_unknown_nested_key.yaml": ("run", "destination.inital_stock_l: unknown key"),
    "long_value.yaml": ("run", "'XXXXXXXX"),
    "long_list_value.yaml": ("run", "seed: [1, 1, 1, 1, ...] is invalid"),
    "bad_parent.yaml": ("run", "bad_parent.yaml -> extends inf_speed.yaml: "
                               "network.default_speed_kmh: inf is invalid"),
    "extends_binary.yaml": ("run", "extends_binary.yaml -> extends binary.yaml: is a binary"),
    "extends_utf16.yaml": ("run", "extends_utf16.yaml -> extends utf16.yaml: is UTF-16"),
    "python_tag.yaml": ("run", "could not determine a constructor"),
    "recursive_alias.yaml": ("run", "an alias inside its own anchor"),
    "bad_float_tag.yaml": ("run", "could not convert string to float"),
    "not_a_mapping.yaml": ("run", "expected a mapping of scenario fields, got a list"),
    "empty.yaml": ("run", "file is empty"),
    "circular_a.yaml": ("run", "circular extends"),
    "sweep_binary_base.yaml": ("sweep", "base binary.yaml: is a binary file"),
    "sweep_dev_zero_base.yaml": ("sweep", "is not a regular file"),
    "sweep_inf_range.yaml": ("sweep", "factors[0].range[1]: inf is invalid"),
    "sweep_integer_date.yaml": ("sweep", "stockout_dates[0]: 20250915 is invalid"),
    "sweep_bad_value.yaml": ("sweep", "less than or equal to 200"),
    "sweep_laughs.yaml": ("sweep", "more than 250,000 values"),
    "sweep_huge_design.yaml": ("sweep", "the design has 1,000,000 points, more than the limit"),
    "sweep_huge_grid.yaml": ("sweep", "the design has 1,000,000 points"),
    "calibration_inf_prior.yaml": ("calibrate", "prior.high: inf is invalid"),
    "calibration_integer_date.yaml": ("calibrate", "statistic.start: 20250903 is invalid"),
    "calibration_binary_base.yaml": ("calibrate", "base binary.yaml: is a binary file"),
}


def main() -> None:
    smoke = (HERE / SMOKE).read_bytes()
    rest = smoke.split(b"\nname: smoke\n", 1)[1]
    (HERE / "stray_byte.yaml").write_bytes(b"# a Latin-1 byte on line 2\nname: sm\xffoke\n" + rest)
    (HERE / "utf16.yaml").write_bytes(smoke.decode("utf-8").encode("utf-16"))
    (HERE / "binary.yaml").write_bytes(bytes(range(256)) * 4)
    for name, text in TEXT.items():
        (HERE / name).write_text(text, encoding="utf-8")
    (HERE / "expected.json").write_text(json.dumps(EXPECTED, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
