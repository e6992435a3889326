"""The injected anomalies of the label-free tuning (protocol 2): shapes, places that do
not overlap, labels exactly where injected."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lstmkit.tasks.anomaly.injection import LENGTHS, MIN_GAP, inject


def _series(length: int = 1200, channels: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(length)[:, None]
    return np.sin(2 * np.pi * t / 50 + np.arange(channels)) + 0.1 * rng.standard_normal(
        (length, channels))


@pytest.mark.parametrize("seed", range(6))
def test_places_do_not_overlap_and_labels_are_exactly_the_injected_steps(seed):
    values = _series()
    out, labels, injections = inject(values, 700, np.random.default_rng(seed))
    assert out.shape == values.shape and labels.shape == (len(values),)
    assert sorted(i.kind for i in injections) == sorted(LENGTHS)
    assert [i.start for i in injections] == sorted(i.start for i in injections)
    expected = np.zeros(len(values), dtype=np.int64)
    changed = np.zeros(values.shape, dtype=bool)
    for i in injections:
        assert i.end - i.start == LENGTHS[i.kind]  # the region holds the full lengths
        expected[i.start:i.end] = 1
        changed[i.start:i.end, i.channel] = True
    assert np.array_equal(labels, expected)
    assert labels.sum() == sum(LENGTHS.values())  # no overlap: the runs add up
    gaps = [b.start - a.end for a, b in itertools.pairwise(injections)]
    assert min(gaps) >= MIN_GAP and injections[0].start >= 700 + MIN_GAP
    assert injections[-1].end <= len(values) - MIN_GAP
    # only the injected steps of the injected channel changed (a flat line keeps its ends'
    # level but not its values: noise is added)
    assert np.array_equal(out != values, changed)


def test_shapes_of_each_kind():
    values = _series(channels=1)
    out, _, injections = inject(values, 700, np.random.default_rng(3))
    std = values[:700, 0].std()
    step_sd = np.diff(values[:700, 0]).std() / np.sqrt(2)
    for i in injections:
        delta = out[i.start:i.end, 0] - values[i.start:i.end, 0]
        if i.kind == "spike":
            assert np.allclose(np.abs(delta), 6 * std)
        elif i.kind == "shift":
            assert np.allclose(np.abs(delta), 3 * std)
        elif i.kind == "bump":  # raised cosine: near 0 at both ends, 5 sd at the middle
            assert 0 < abs(delta[0]) < 0.01 * std and abs(delta[-1]) == pytest.approx(
                abs(delta[0]))
            assert np.abs(delta).max() == pytest.approx(5 * std, rel=1e-3)
            assert np.all(np.sign(delta) == np.sign(delta[50]))
        elif i.kind == "flat":  # the line between the stretch's ends, plus step noise
            line = np.linspace(values[i.start, 0], values[i.end - 1, 0], i.end - i.start)
            residual = out[i.start:i.end, 0] - line
            assert residual.std() == pytest.approx(step_sd, rel=0.5)
            assert out[i.start:i.end, 0].max() <= values[:700, 0].max() + 4 * step_sd
        else:  # a noise burst: zero-mean noise of 2 sd
            assert delta.std() == pytest.approx(2 * std, rel=0.5)


def test_a_short_region_scales_every_length_by_one_factor():
    values = _series(length=600, channels=1)
    _, labels, injections = inject(values, 360, np.random.default_rng(0))  # 240 steps
    lengths = {i.kind: i.end - i.start for i in injections}
    assert lengths["spike"] == 3 and lengths["bump"] == 68 and lengths["flat"] == 41
    assert labels.sum() == sum(lengths.values()) <= 240 - 6 * MIN_GAP


def test_the_same_draw_gives_the_same_anomalies_and_another_draw_others():
    values = _series()
    first = inject(values, 700, np.random.default_rng(1))
    again = inject(values, 700, np.random.default_rng(1))
    other = inject(values, 700, np.random.default_rng(2))
    assert np.array_equal(first[0], again[0]) and first[2] == again[2]
    assert first[2] != other[2]


def test_a_region_too_short_for_the_kinds_is_refused():
    with pytest.raises(ValueError, match="cannot hold"):
        inject(_series(length=100, channels=1), 50, np.random.default_rng(0))
