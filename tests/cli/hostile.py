"""Helpers of the hostile-input tests: run a command in-process and classify how it ended, and
mutate the shipped scenario, sweep and calibration files the way a careless or hostile user
could (hypothesis strategies).

A command may end in exactly three ways on any input: accepted (exit 0, or 130 where the test
stops the simulation on purpose), refused (exit 2, every line on standard error starts with
``error:``, nothing on standard output, no output directory), or a defect (anything else: a
traceback, an internal error, another exit code, a hang past :data:`HANG_S` seconds).
"""

from __future__ import annotations

import re
import signal
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from click.testing import CliRunner
from hypothesis import strategies as st

from corridorsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"

#: Seconds after which an in-process command counts as hung (generous: CI machines are slow;
#: the inputs that used to hang never ended).
HANG_S = 120

#: Shipped files mutated by the fuzz tests, with the command that reads them.
SHIPPED = {
    "smoke.yaml": ("validate", SCENARIOS / "smoke.yaml"),
    "relief_convoy": ("validate", SCENARIOS / "relief_convoy_2025-10-07.yaml"),
    "whatif_escorts": ("validate", SCENARIOS / "mali" / "whatif_escorts_doubled.yaml"),
    "blockade": ("validate", SCENARIOS / "mali_blockade_2025.yaml"),
    "sweep_grid": ("sweep", SCENARIOS / "sweeps" / "escorts_x_convoy_size.yaml"),
    "sweep_lhs": ("sweep", SCENARIOS / "sweeps" / "lhs_supply.yaml"),
    "calibration": ("calibrate", SCENARIOS / "mali" / "calibration_2025.yaml"),
}

#: Values a hostile user puts where a scalar belongs.
HOSTILE_VALUES = [
    ".inf", "-.inf", ".nan", "+.inf", "1e308", "-1e308", "1e30", "-1", "0", "-0.0", "20250901",
    "2025-02-30", "2025-13-01", "9999-12-31", "0001-01-01", "2025-09-01T25:00",
    "2025-09-01T06:00+02:00", "99999999999999999999999999", "9" * 5000, "0x7fffffffffffffff",
    "1_000_000", "null", "~", "''", "[]", "{}", "*nope", "&a [*a]", "true", "no",
    "!!python/object/apply:os.system [true]", "!!binary AAAA", "!!set {a, b}", "!!float x",
    "'" + "x" * 20_000 + "'", "[" * 300 + "]" * 300, "{a: 1, a: 2}", "/dev/zero", "..",
    "\"\\x00\"", "'\u202e'", "\t", "? [a]\n: b", "- a\n- b", "|\n  block", ">-\n  folded",
]

_KEY_LINE = re.compile(rb"^(\s*-?\s*[A-Za-z_][\w.\-\[\]]*:\s*)(\S.*)?$")
_PATHS = re.compile(r"^(extends|base):\s*(\S+)\s*$", re.M)


#: Smaller designs in the fuzzed copies (each point is validated before anything runs: the
#: shipped sizes would make every case take seconds without testing anything more).
SMALLER = {"samples: 300": "samples: 6", "kind: lhs, n: 40": "kind: lhs, n: 4"}


def absolute_paths(path: Path) -> bytes:
    """The file's bytes with ``extends:`` and ``base:`` made absolute (to copy it elsewhere)
    and its design made small (:data:`SMALLER`)."""
    text = path.read_text(encoding="utf-8")
    for old, new in SMALLER.items():
        text = text.replace(old, new)
    folder = path.parent
    text = _PATHS.sub(lambda m: f"{m.group(1)}: {(folder / m.group(2)).resolve()}", text)
    return text.encode("utf-8")


@st.composite
def mutations(draw, original: bytes) -> bytes:
    """One to three mutations of a file's bytes."""
    data = original
    for _ in range(draw(st.integers(1, 3))):
        lines = data.split(b"\n")
        kind = draw(st.sampled_from(["value", "value", "value", "bytes", "delete", "duplicate",
                                     "truncate", "char", "indent"]))
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        if kind == "value":
            keyed = [j for j, ln in enumerate(lines) if _KEY_LINE.match(ln)]
            if keyed:
                j = draw(st.sampled_from(keyed))
                m = _KEY_LINE.match(lines[j])
                value = draw(st.sampled_from(HOSTILE_VALUES) | st.text(max_size=30))
                lines[j] = m.group(1) + value.encode("utf-8", "surrogatepass")
        elif kind == "bytes":
            lines[i] = lines[i] + draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "truncate":
            lines = lines[:i]
        elif kind == "char":
            if lines[i]:
                k = draw(st.integers(0, len(lines[i]) - 1))
                ch = draw(st.characters()).encode("utf-8", "surrogatepass")
                lines[i] = lines[i][:k] + ch + lines[i][k + 1:]
        else:
            lines[i] = b"  " * draw(st.integers(1, 4)) + lines[i]
        data = b"\n".join(lines)
    return data


class Hang(BaseException):
    """A command ran past :data:`HANG_S` (a BaseException: no handler may swallow it)."""


def _alarm(signum, frame):
    raise Hang()


class _Stop(KeyboardInterrupt):
    pass


def _stop(*args, **kwargs):
    raise _Stop()


@contextmanager
def no_simulation():
    """Sweep and calibrate check their inputs, then stop where the simulation would start (the
    command then ends with exit code 130)."""
    with mock.patch("corridorsim.experiments.sweep_tasks.pilot_seconds_per_replication",
                    lambda *a, **k: 0.01), \
            mock.patch("corridorsim.experiments.sweep_runner.SweepRunner.run", _stop):
        yield


def invoke(args: list[str]):
    """Run ``corridorsim ARGS`` in this process with the hang alarm set."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_S)
    try:
        return CliRunner().invoke(main, args, catch_exceptions=True)
    except Hang as exc:  # CliRunner lets BaseExceptions through
        return _Hung(exc)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


class _Hung:
    """The result of a command stopped by the hang alarm."""

    exit_code = None
    stdout = stderr = ""

    def __init__(self, exc: Hang):
        self.exception = exc


def classify(result, out: Path | None = None, stopped_ok: bool = False) -> str:
    """``accepted``, ``refused``, or a defect description (a string starting with ``DEFECT``)."""
    if isinstance(result.exception, Hang):
        return "DEFECT hang"
    err = result.stderr
    if "Traceback" in err or "Traceback" in result.stdout:
        return f"DEFECT traceback: {err[-500:]}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"DEFECT exception {type(result.exception).__name__}: {result.exception!r}"[:600]
    if result.exit_code == 0 or (stopped_ok and result.exit_code == 130):
        return "accepted"
    if result.exit_code == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        if lines and lines[0].startswith("Usage: ") and lines[-1].startswith("Error: "):
            return "refused"  # click's usage error (one line from the console command)
        if not lines or any(not ln.startswith("error: ") for ln in lines):
            return f"DEFECT unclean refusal: {err[:500]}"
        if "internal error" in err:
            return f"DEFECT internal error: {err[:500]}"
        if out is not None and out.exists():
            return f"DEFECT output left behind: {out}"
        return "refused"
    return f"DEFECT exit {result.exit_code}: {err[:500]}"


def run_case(kind: str, file: Path, tmp: Path) -> str:
    """Run the command of ``kind`` on ``file`` and classify the outcome."""
    out = tmp / "out"
    if kind == "validate":
        return classify(invoke(["validate", str(file)]))
    with no_simulation():
        args = [kind, str(file), "-w", "1", "-o", str(out)]
        return classify(invoke(args), out if kind == "sweep" else None, stopped_ok=True)


class Tally(Counter):
    """Outcomes of a fuzz run, with the defects kept for the failure message."""

    def __init__(self):
        super().__init__()
        self.defects: list[str] = []

    def add(self, outcome: str) -> None:
        self["cases"] += 1
        if outcome.startswith("DEFECT"):
            self["defects"] += 1
            self.defects.append(outcome)
        else:
            self[outcome] += 1
