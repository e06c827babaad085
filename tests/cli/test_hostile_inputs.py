"""Hostile input: every command refuses a bad file with exit code 2 and one clean line, never a
traceback, a hang or a memory blow-up, and writes nothing.

The corpus under ``tests/data/hostile/`` (made by its ``make_corpus.py``) holds one file per
class of input that once crashed, hung or was wrongly accepted: non-UTF-8 bytes, UTF-16,
binary files, impossible and integer dates, alias bombs, 1000-deep nesting, ``extends:`` of
``/dev/zero``, infinite and absurd numbers, loops and isolated nodes in the network, duplicate
keys, unknown keys set to null, huge values, errors inside an ``extends:`` target. Special files
(a FIFO, a directory, a name too long, a file over the size limit) are made here. Then
hypothesis mutates the shipped scenario, sweep and calibration files; a longer run of the same
fuzzing (``-m slow``) covers at least 1000 cases.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .hostile import (
    HOSTILE,
    SCENARIOS,
    SHIPPED,
    Tally,
    absolute_paths,
    classify,
    invoke,
    mutations,
    no_simulation,
    run_case,
)

EXPECTED = json.loads((HOSTILE / "expected.json").read_text(encoding="utf-8"))


def _command(kind: str, file: str, out: Path) -> list[str]:
    if kind == "run":
        return ["run", file, "-n", "1", "-w", "1", "-o", str(out)]
    return [kind, file, "-w", "1", "-o", str(out)]


def _refused_with(result, out: Path, fragment: str) -> str:
    outcome = classify(result, out)
    assert outcome == "refused", outcome
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0], lines[0]
    assert len(lines[0]) <= 600, f"message not shortened: {len(lines[0])} characters"
    assert result.stdout == ""
    return lines[0]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_is_refused_with_one_line(name, tmp_path):
    kind, fragment = EXPECTED[name]
    out = tmp_path / "out"
    with no_simulation():
        result = invoke(_command(kind, str(HOSTILE / name), out))
    line = _refused_with(result, out, fragment)
    assert name in line  # the file (or the chain of files) is named


def test_the_chain_of_extends_is_named():
    result = invoke(["validate", str(HOSTILE / "bad_parent.yaml")])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {HOSTILE / 'bad_parent.yaml'} -> extends inf_speed.yaml: "
        "network.default_speed_kmh: inf is invalid: input should be a finite number")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)  # opening it for reading would block until a writer comes: never opened
    _refused_with(invoke(["run", str(fifo), "-o", str(tmp_path / "out")]), tmp_path / "out",
                  "is not a regular file")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_as_the_scenario_is_refused(tmp_path):
    _refused_with(invoke(["run", "/dev/zero", "-o", str(tmp_path / "out")]), tmp_path / "out",
                  "is not a regular file")


def test_directory_and_missing_file_are_refused(tmp_path):
    assert classify(invoke(["validate", str(tmp_path)])) == "refused"  # by click
    _refused_with(invoke(["run", str(tmp_path / "s.yaml"), "-o", str(tmp_path / "out")]),
                  tmp_path / "out", "file not found")
    from corridorsim.errors import ScenarioError
    from corridorsim.scenario.safe_yaml import read_yaml

    with pytest.raises(ScenarioError, match="is a directory, expected a file"):
        read_yaml(tmp_path, "scenario")
    _refused_with(invoke(["validate", str(tmp_path / "nope.yaml")]), tmp_path / "out",
                  "file not found")


def test_very_long_file_name_is_refused(tmp_path):
    long = str(tmp_path / ("x" * 5000 + ".yaml"))
    line = _refused_with(invoke(["run", long, "-o", str(tmp_path / "out")]), tmp_path / "out",
                         "file name too long")
    assert len(line) < 300


def test_file_over_the_size_limit_is_refused_at_once(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    big.write_bytes((SCENARIOS / "smoke.yaml").read_bytes() + b"#" * 300_000 + b"\n")
    monkeypatch.setenv("CORRIDORSIM_MAX_YAML_MB", "0.25")
    _refused_with(invoke(["validate", str(big)]), tmp_path / "out",
                  "more than the limit of 0.25 MiB (raise it with CORRIDORSIM_MAX_YAML_MB)")
    monkeypatch.setenv("CORRIDORSIM_MAX_YAML_MB", "1")  # the documented override
    assert invoke(["validate", str(big)]).exit_code == 0


def test_utf8_with_byte_order_mark_is_accepted(tmp_path):
    f = tmp_path / "bom.yaml"
    f.write_bytes(b"\xef\xbb\xbf" + absolute_paths(SCENARIOS / "smoke.yaml"))
    assert invoke(["validate", str(f)]).exit_code == 0


def test_aliases_within_limits_are_fine(tmp_path):
    f = tmp_path / "anchors.yaml"
    f.write_text(f"extends: {SCENARIOS / 'smoke.yaml'}\nx-step: &step {{below_cover_days: 3, "
                 "demand_cut_share: 0.3}\n", encoding="utf-8")
    # an anchor used once is ordinary YAML; the unknown top-level key is what is refused
    result = invoke(["validate", str(f)])
    assert result.exit_code == 2 and "unknown key 'x-step'" in result.stderr


def test_null_resets_a_known_field_in_an_extending_file(tmp_path):
    f = tmp_path / "reset.yaml"
    f.write_text(f"extends: {SCENARIOS / 'smoke.yaml'}\ndestination: {{capacity_l: null}}\n",
                 encoding="utf-8")
    assert invoke(["validate", str(f)]).exit_code == 0


#: Scenarios small enough to run (two replications) whenever a mutation of them is accepted.
RUN_WHEN_ACCEPTED = ("smoke.yaml", "relief_convoy")


def _fuzz_case(tmp_path: Path, key: str, data: bytes, tally: Tally) -> None:
    kind, source = SHIPPED[key]
    work = tmp_path / f"case{tally['cases']}"
    work.mkdir()
    f = work / source.name
    f.write_bytes(data)
    outcome = run_case(kind, f, work)
    tally.add(outcome)
    tally[f"{kind}: {outcome.split()[0]}"] += 1  # per command: accepted, refused or DEFECT
    if outcome == "accepted" and key in RUN_WHEN_ACCEPTED:  # accepted: it must also run
        out = work / "run"
        outcome = classify(invoke(["run", str(f), "-n", "2", "-w", "1", "-q", "-o", str(out)]),
                           out)
        tally.add(outcome)
        tally[f"run: {outcome.split()[0]}"] += 1
    keep = os.environ.get("CORRIDORSIM_FUZZ_KEEP")
    if keep and outcome.startswith("DEFECT"):  # keep the file for a bug report
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(f, Path(keep) / f"defect{len(tally.defects)}_{source.name}")
    shutil.rmtree(work, ignore_errors=True)


_ORIGINALS = {k: absolute_paths(src) for k, (_, src) in SHIPPED.items()}


@st.composite
def _shipped_mutation(draw):
    key = draw(st.sampled_from(sorted(SHIPPED)))
    return key, draw(mutations(_ORIGINALS[key]))


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=_shipped_mutation())
def test_mutated_shipped_files_are_accepted_or_refused_cleanly(case, tmp_path):
    tally = Tally()
    _fuzz_case(tmp_path, *case, tally)
    assert not tally.defects, tally.defects


FUZZ_CASES = int(os.environ.get("CORRIDORSIM_FUZZ_CASES", "1200"))


def _report(tally: Tally) -> None:
    """Write the tally so far to CORRIDORSIM_FUZZ_REPORT (when set)."""
    import resource
    import time

    report = os.environ.get("CORRIDORSIM_FUZZ_REPORT")
    tally["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    if report:
        Path(report).write_text(json.dumps({**tally, "defects": tally.defects,
                                            "time": time.strftime("%H:%M:%S")}, indent=1) + "\n",
                                encoding="utf-8")


@pytest.mark.slow
def test_fuzz_run_has_no_traceback_hang_or_crash(tmp_path):
    """The long fuzz run (CI): at least 1000 mutated files through validate, sweep and
    calibrate. Set CORRIDORSIM_FUZZ_REPORT to a file to keep the tally (docs/reliability.md)."""
    tally = Tally()

    @settings(max_examples=FUZZ_CASES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=_shipped_mutation())
    def one(case):
        _fuzz_case(tmp_path, *case, tally)
        if tally["cases"] % 100 == 0:
            _report(tally)

    one()
    _report(tally)
    assert tally["cases"] >= min(FUZZ_CASES, 1000)  # "cases" counts commands
    assert not tally.defects, tally.defects[:5]


@pytest.mark.parametrize("bad", ["start: 2025-02-30", "start: 2025-13-01",
                                 "seed: " + "9" * 5000, "seed: !!float x"])
def test_validate_reads_every_file_kind_through_the_guarded_reader(bad, tmp_path):
    """validate first tells the kind of a file; that look must be as guarded as the loaders
    (found by the fuzz run: an impossible date or a 5,000-digit number gave an internal error)."""
    text = (SCENARIOS / "smoke.yaml").read_text(encoding="utf-8")
    f = tmp_path / "bad.yaml"
    f.write_text(text + "\n" + bad + "\n", encoding="utf-8")
    assert run_case("validate", f, tmp_path) == "refused"


def test_a_reference_value_is_parsed_by_the_guarded_reader(tmp_path):
    res = invoke(["sweep", str(SCENARIOS / "smoke.yaml"), "--set", "seed=1,2", "--reference",
                  "seed=" + "9" * 5000, "--dry-run"])
    assert classify(res) == "refused"


# ---------------------------------------------------------------- results directories read back
BAD_MANIFESTS = {
    "not_json": b"{\"factors\": [",
    "binary": b"\x00\xff\xfe\x01" * 64,
    "a_list": b"[1, 2, 3]",
    "nested": b"[" * 100_000 + b"]" * 100_000,
    "empty_object": b"{}",
}
READERS = {  # command line (the directory appended, then the output if any), manifest name
    "summarize": (["summarize"], "sweep.json", None),
    "plot-sweep": (["plot"], "sweep.json", None),
    "report-sweep": (["report"], "sweep.json", "-o"),
    "export-sweep": (["export"], "sweep.json", "-o"),
    "discover": (["discover", "--metric", "delivered_l", "--threshold", "0"], "sweep.json", "-o"),
    "plot-run": (["plot"], "manifest.json", None),
    "report-run": (["report"], "manifest.json", "-o"),
    "plot-calibration": (["plot"], "calibration.json", None),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("bad", sorted(BAD_MANIFESTS))
def test_results_directory_with_a_bad_manifest_is_refused(reader, bad, tmp_path):
    """A results directory whose manifest is corrupt (or a valid but empty object, with every
    table missing): one line naming the manifest (or the directory), exit code 2, nothing
    written (not even in the directory)."""
    args, manifest, out_option = READERS[reader]
    results = tmp_path / "results"
    results.mkdir()
    (results / manifest).write_bytes(BAD_MANIFESTS[bad])
    out = tmp_path / "out"
    cmd = [*args, str(results)] + ([out_option, str(out)] if out_option else [])
    result = invoke(cmd)
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    named = results if bad == "empty_object" else results / manifest
    assert str(named) in lines[0]
    assert not out.exists()
    assert [p.name for p in results.iterdir()] == [manifest]
