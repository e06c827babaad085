"""How a sweep's replications are cut into tasks: guided sizes (factoring), fixed sizes, and
the replications a task still has to run when some are written already."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from corridorsim.experiments.sweep_parts import done_ranges, split_covered
from corridorsim.experiments.sweep_tasks import MAX_TASK_S, MIN_TASK_S, TaskSizes


def test_fixed_sizes_cut_each_point_like_range_steps():
    got = list(TaskSizes.fixed(3).cut([4, 7], 10, 7))
    assert got == [(4, 10, 3), (4, 13, 3), (4, 16, 1), (7, 10, 3), (7, 13, 3), (7, 16, 1)]


def test_guided_sizes_shrink_towards_the_end_within_their_bounds():
    sizes = TaskSizes(min_reps=3, max_reps=40, workers=2)
    cut = [n for _, _, n in sizes.cut(list(range(12)), 0, 50)]
    # about half of an even share per worker of what remains: 600 / 4 = 150 -> capped at 40
    assert cut[0] == 40 and cut[-1] <= 3 + 1 and min(cut) >= 1
    assert all(n <= 40 for n in cut)
    assert sum(cut) == 600
    assert len(cut) < 600 / 3  # far fewer tasks than with the smallest size throughout
    # from a pilot: the bounds are 0.1 s and 5 s of work
    g = TaskSizes.guided(0.02, workers=2)
    assert (g.min_reps, g.max_reps) == (round(MIN_TASK_S / 0.02), round(MAX_TASK_S / 0.02))
    assert TaskSizes.guided(0.02, 2, dask=True).min_reps > g.min_reps


@given(lo=st.integers(1, 20), span=st.integers(0, 50), workers=st.integers(1, 8),
       points=st.integers(1, 6), first=st.integers(0, 30), count=st.integers(1, 120))
def test_tasks_cover_every_replication_once(lo, span, workers, points, first, count):
    sizes = TaskSizes(lo, lo + span, workers)
    got = list(sizes.cut(list(range(points)), first, count))
    for p in range(points):
        runs = [(a, n) for q, a, n in got if q == p]
        covered = [r for a, n in runs for r in range(a, a + n)]
        assert covered == list(range(first, first + count))
        assert all(1 <= n <= lo + span for _, n in runs)


def test_split_covered_runs_only_the_missing_replications():
    done = done_ranges({(0, 0, 5), (0, 8, 2), (1, 0, 3)})
    assert split_covered(done, 0, 3, 9) == ([(3, 2), (8, 2)], [(5, 3), (10, 2)])
    assert split_covered(done, 0, 0, 5) == ([(0, 5)], [])
    assert split_covered(done, 1, 3, 4) == ([], [(3, 4)])
    assert split_covered(done, 2, 0, 2) == ([], [(0, 2)])


def test_delivered_by_day_counts_every_destination_like_delivered_l():
    from corridorsim.experiments.sweep_spec import SweepSpec, resolve_sweep
    from corridorsim.experiments.sweep_tasks import SweepTask, run_task

    from ..conftest import SCENARIOS

    s = SweepSpec(name="d", base=str(SCENARIOS / "mali_blockade_2025.yaml"), replications=2, seed=3,
                  delivered_by_days=(10, 10_000),
                  factors=[{"path": "threats.ambush_multiplier", "values": (1.0, 2.0)}])
    sw = resolve_sweep(s)
    assert len(sw.scenarios[0].destinations) > 1
    summary = run_task(SweepTask(0, 0, 2, sw.scenarios[0], 3, (), (10, 10_000)))["summary"]
    # past the last day: everything delivered, to every destination
    assert (summary["delivered_l_by_day_10000"] == summary["delivered_l"]).all()
    assert (summary["delivered_l_by_day_10"] < summary["delivered_l"]).all()
