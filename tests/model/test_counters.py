"""Counter-based streams: scalar and array forms agree bit for bit; the numbers are uniform."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from corridorsim.model.counters import (
    CounterStream,
    exponential,
    mix64,
    mix64_array,
    seed_word,
    stream_key,
    stream_keys_array,
    uniform,
    uniforms_array,
)

WORDS = st.integers(0, 2**64 - 1)


def test_mix64_matches_the_published_splitmix64_sequence():
    # SplitMix64 with state 0 (Vigna's reference C code): the first output is
    # mix(0 + golden) = 0xE220A8397B1DCDAF.
    assert mix64(0x9E3779B97F4A7C15) == 0xE220A8397B1DCDAF


@given(st.lists(WORDS, min_size=1, max_size=50))
def test_array_mix_is_bit_identical_to_scalar(words):
    got = mix64_array(np.array(words, dtype=np.uint64)).tolist()
    assert got == [mix64(w) for w in words]


@given(st.integers(0, 2**80), st.lists(st.integers(0, 2**40), max_size=5), st.integers(0, 10**6))
def test_array_uniforms_are_bit_identical_to_scalar(seed, parts, index):
    key = stream_key(seed, parts)
    keys = stream_keys_array(seed, [np.array([p]) for p in parts]) if parts else \
        stream_keys_array(seed, [])
    assert int(np.asarray(keys).ravel()[0]) == key
    assert uniforms_array(np.array([key]), np.array([index]))[0] == uniform(key, index)


def test_broadcast_keys_over_replications_match_scalar_keys():
    reps = np.arange(7)
    keys = stream_keys_array(11, [reps[:, None], 2, np.array([[0, 1, 2]])])
    assert keys.shape == (7, 3)
    for r in range(7):
        for j in range(3):
            assert int(keys[r, j]) == stream_key(11, [r, 2, j])


def test_uniforms_lie_in_the_open_unit_interval_and_pass_ks():
    key = stream_key(2025, [0, 1])
    u = uniforms_array(np.full(200_000, key, dtype=np.uint64), np.arange(200_000))
    assert u.min() > 0.0 and u.max() < 1.0
    # KS at n = 200,000 detects a departure of 0.004 in the CDF; p < 1e-3 would flag a defect.
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_neighbouring_streams_are_uncorrelated():
    n = 50_000
    a = uniforms_array(np.full(n, stream_key(1, [0, 5]), dtype=np.uint64), np.arange(n))
    b = uniforms_array(np.full(n, stream_key(1, [0, 6]), dtype=np.uint64), np.arange(n))
    # the standard error of a correlation of independent samples is 1/sqrt(n) = 0.0045
    assert abs(np.corrcoef(a, b)[0, 1]) < 4.5 / math.sqrt(n)


def test_exponential_mean_and_variance():
    key = stream_key(3, [9])
    e = np.array([exponential(key, i) for i in range(40_000)])
    # mean 1 with standard error 1/200; variance 1 with standard error about sqrt(8/n) = 0.014
    assert abs(e.mean() - 1.0) < 4 / 200
    assert abs(e.var() - 1.0) < 4 * 0.0142


def test_stream_reads_in_order_and_generator_advances_it():
    s = CounterStream(stream_key(5, [1, 2]))
    first = s.random()
    assert first == uniform(s.key, 0)
    assert s.exponential(2.0) == pytest.approx(2.0 * -math.log(uniform(s.key, 1)), rel=1e-15)
    arr = s.random(3)
    assert arr.tolist() == [uniform(s.key, i) for i in (2, 3, 4)]
    g1 = s.generator()
    assert s.index == 6
    assert s.random() == uniform(s.key, 6)
    g2 = CounterStream(s.key)
    g2.index = 5
    assert g2.generator().random() == g1.random()


def test_seed_word_folds_large_seeds_and_refuses_negative():
    assert seed_word(5) == 5
    assert seed_word(2**64 + 5) != seed_word(5)
    with pytest.raises(ValueError):
        seed_word(-1)


@given(seed=st.integers(0, 2**70), rep=st.integers(0, 10**6),
       kinds=st.lists(st.tuples(st.sampled_from(["batch", "convoy", "scheduled", "lot"]),
                                st.integers(0, 20)), min_size=1, max_size=30))
def test_movement_streams_hand_out_the_keys_of_movement_rng_in_order(seed, rep, kinds):
    from corridorsim.model.streams import MovementStreams, movement_rng

    streams, seen = MovementStreams(seed, rep), {}
    for kind, origin in kinds:
        ordinal = seen.get((kind, origin), 0)
        seen[(kind, origin)] = ordinal + 1
        assert streams.next(kind, origin).key == movement_rng(seed, rep, kind, origin, ordinal).key
