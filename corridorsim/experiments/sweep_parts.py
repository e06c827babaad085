"""The part files of a sweep's tables on disk, and their canonical form once a sweep is done.

While a sweep runs, the driver writes finished tasks as numbered parts (``summary/part-
000000.parquet``, ...) whose grouping depends on which tasks happened to finish together. When
every task is done, :func:`compact_parts` rewrites each table into *canonical* parts: rows sorted
by point and replication, a new part only at a point boundary once ``rows_per_part`` rows are
reached, and each summary part listing the replications it holds as one merged range per point.
So a finished sweep's files are byte-identical whatever the number of workers, the chunk size,
the executor or the interruptions and resumes on the way (manifests, which record times and the
command, excepted).

The rewrite is crash-safe: new parts go to ``TABLE.compact/``, then the table directory is
swapped by two renames; :func:`recover_compaction` finishes or discards a swap that a crash
interrupted. :func:`read_table` reads a table back as one DataFrame. Part of the experiments
layer: imports pandas and pyarrow only.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ..errors import OutputError

__all__ = ["TASKS_KEY", "read_table", "part_path", "parts", "done_ranges", "is_covered", "split_covered",
           "compact_parts", "recover_compaction"]

#: Metadata key of a summary part: the (point, first, count) of the replications it holds.
TASKS_KEY = b"corridorsim_tasks"
_PART = re.compile(r"part-(\d{6})\.parquet$")


def part_path(root: Path, table: str, seq: int) -> Path:
    """Path of part ``seq`` of ``table``."""
    return root / table / f"part-{seq:06d}.parquet"


def parts(root: Path, table: str) -> dict[int, Path]:
    """Part number -> path of the parts of ``table`` (none if the table has no directory)."""
    base = root / table
    if not base.is_dir():
        return {}
    return {int(m.group(1)): p for p in base.iterdir() if (m := _PART.match(p.name))}


def merge_ranges(tasks: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """(point, first, count) triples merged into the fewest contiguous ranges, sorted."""
    out: list[list[int]] = []
    for p, a, n in sorted(tasks):
        if out and out[-1][0] == p and out[-1][1] + out[-1][2] >= a:
            last = out[-1]
            last[2] = max(last[1] + last[2], a + n) - last[1]
        else:
            out.append([p, a, n])
    return [tuple(t) for t in out]


def done_ranges(tasks: set[tuple[int, int, int]]) -> dict[int, list[tuple[int, int]]]:
    """Point -> merged ``[first, end)`` replication ranges that written parts hold."""
    out: dict[int, list[tuple[int, int]]] = {}
    for p, a, n in merge_ranges(list(tasks)):
        out.setdefault(p, []).append((a, a + n))
    return out


def is_covered(ranges: dict[int, list[tuple[int, int]]], point: int, first: int, count: int) -> bool:
    """Whether replications ``first .. first + count - 1`` of ``point`` are all written."""
    return any(a <= first and first + count <= b for a, b in ranges.get(point, ()))


def split_covered(ranges: dict[int, list[tuple[int, int]]], point: int, first: int,
                  count: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Replications ``first .. first + count - 1`` of ``point`` as ``(first, count)`` runs:
    those already written, and those still to run (a task planned with other boundaries than
    the written ones, e.g. after a resume or the pilot, runs only what is missing)."""
    done, todo, at, end = [], [], first, first + count
    for a, b in ranges.get(point, ()):  # merged and sorted
        if b <= at or a >= end:
            continue
        if a > at:
            todo.append((at, a - at))
        lo, hi = max(a, at), min(b, end)
        done.append((lo, hi - lo))
        at = hi
    if at < end:
        todo.append((at, end - at))
    return done, todo


def recover_compaction(root: Path, tables: tuple[str, ...]) -> None:
    """Finish or discard a table swap that a crash interrupted (see :func:`compact_parts`)."""
    for name in tables:
        table, new, old = root / name, root / f"{name}.compact", root / f"{name}.old"
        if new.is_dir() and not table.exists() and old.is_dir():
            new.rename(table)  # the crash fell between the two renames
        shutil.rmtree(new, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def compact_parts(root: Path, tables: tuple[str, ...], rows_per_part: int) -> None:
    """Rewrite every table of a finished sweep as canonical parts (see the module docstring).

    Memory stays bounded: a table is read one group of consecutive points (at most
    ``rows_per_part`` rows, a point never split) at a time.
    """
    for name in tables:
        files = [str(p) for _, p in sorted(parts(root, name).items())]
        if not files:
            continue
        data = ds.dataset(files, format="parquet")
        point = data.to_table(columns=["point"]).column("point").to_numpy()
        rows = np.bincount(point) if len(point) else np.zeros(0, dtype=int)
        groups, start, n = [], 0, 0
        for p, k in enumerate(rows):
            if n and n + k > rows_per_part:
                groups.append((start, p))
                start, n = p, 0
            n += int(k)
        groups.append((start, len(rows)))
        new = root / f"{name}.compact"
        shutil.rmtree(new, ignore_errors=True)
        new.mkdir()
        for seq, (a, b) in enumerate(groups):
            part = data.to_table(filter=(ds.field("point") >= a) & (ds.field("point") < b))
            df = part.to_pandas().sort_values(["point", "replication"], kind="stable")
            table = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)
            meta = {k: v for k, v in (table.schema.metadata or {}).items() if k != TASKS_KEY}
            if name == "summary":
                reps = df.groupby("point")["replication"]
                held = [(int(p), int(r.min()), int(r.max()) - int(r.min()) + 1) for p, r in reps]
                meta[TASKS_KEY] = json.dumps(merge_ranges(held)).encode()
            pq.write_table(table.replace_schema_metadata(meta), new / f"part-{seq:06d}.parquet")
        old = root / f"{name}.old"
        (root / name).rename(old)
        new.rename(root / name)
        shutil.rmtree(old, ignore_errors=True)


def _legacy_frames(base: Path, points: list[int] | None) -> list[pd.DataFrame]:
    """Tables of sweeps written before part files: one file per task under ``point=NNNNNN/``
    (the point in the folder name only). Read so that older results directories still open."""
    frames = []
    for d in sorted(base.glob("point=*")):
        p = int(d.name.split("=", 1)[1])
        if points is None or p in points:
            frames += [pd.read_parquet(f).assign(point=p) for f in sorted(d.glob("reps-*.parquet"))]
    return frames


def read_table(root: str | Path, table: str = "summary", points: list[int] | None = None) -> pd.DataFrame:
    """Read a table of a sweep directory (optionally only some points), sorted by point and
    replication, with the point and the factor values as the first columns.

    The table directory is read as one :mod:`pyarrow.dataset`; ``points`` filters rows before
    they are loaded (on each file's row-group statistics).
    """
    root = Path(root)
    base = root / table
    if not base.is_dir():
        raise OutputError(f"{root}: no {table!r} results (was it kept?)")
    files = sorted(str(p) for p in parts(root, table).values())
    frames = _legacy_frames(base, points)
    if files:
        flt = ds.field("point").isin(list(points)) if points is not None else None
        frames.append(ds.dataset(files, format="parquet").to_table(filter=flt).to_pandas())
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    df.insert(0, "point", df.pop("point"))
    keys = ["point", "replication"] + (["day"] if "day" in df.columns else [])
    if table == "events":
        keys = ["point", "replication", "time_h"]
    elif table == "convoys":
        keys = ["point", "replication", "convoy_id"]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)
