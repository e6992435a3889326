"""Metrics, VUS-PR and thresholds of the anomaly task, on small hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from lstmkit.tasks.anomaly.metrics import (
    adjusted_flags,
    all_metrics,
    event_prf,
    point_prf,
    ucr_hit,
)
from lstmkit.tasks.anomaly.thresholds import (
    dynamic_flags,
    events_of,
    hundman_epsilon,
    hundman_epsilon_reference,
    prune,
    runs,
)
from lstmkit.tasks.anomaly.vus import extend_labels, range_pr_auc, vus_pr

LABELS = np.array([0, 1, 1, 0])
SCORES = np.array([0.1, 0.9, 0.2, 0.5])


def test_vus_range_pr_auc_matches_the_hand_computed_value_without_buffer():
    # thresholds 0.9, 0.5, 0.2, 0.1: (recall, precision) = (.5, 1), (.5, .5), (1, 2/3),
    # (1, .5); trapezoids: .5 * 1 + .5 * (.5 + 2/3) / 2 = 19/24
    assert range_pr_auc(LABELS, SCORES, 0) == pytest.approx(19 / 24)
    assert range_pr_auc(LABELS, SCORES, 1) == pytest.approx(19 / 24)  # buffer <= 1: none


def test_vus_buffer_two_extends_the_labels_by_a_sqrt_slope():
    cont, ranges = extend_labels(LABELS, 2)
    np.testing.assert_allclose(cont, [np.sqrt(0.5), 1, 1, 0])
    assert ranges == [(0, 2)]
    # positives (2 + 2.7071) / 2; recall .4249, .4249, .8498, 1 and precision 1, .5,
    # 2/3, 2.7071/4 at the four thresholds
    p = (2 + 2 + np.sqrt(0.5)) / 2
    r1, r3 = 1 / p, 2 / p
    hand = r1 + (r3 - r1) * (0.5 + 2 / 3) / 2 + (1 - r3) * (2 / 3 + (2 + np.sqrt(0.5)) / 4) / 2
    assert range_pr_auc(LABELS, SCORES, 2) == pytest.approx(hand)
    assert vus_pr(LABELS, SCORES, 2) == pytest.approx((2 * 19 / 24 + hand) / 3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vus_matches_aeon_reference(seed):
    aeon = pytest.importorskip("aeon.benchmarking.metrics.anomaly_detection")
    rng = np.random.default_rng(seed)
    labels = np.zeros(400, dtype=int)
    labels[50:70] = 1
    labels[200:203] = 1
    labels[390:] = 1
    scores = rng.random(400) + 0.6 * labels
    assert vus_pr(labels, scores, 30) == pytest.approx(
        aeon.range_pr_vus_score(labels, scores, 30), abs=1e-9)


def test_vus_of_perfect_scores_is_one_and_of_constant_scores_zero():
    labels = np.array([0, 0, 1, 1, 0, 0])
    assert vus_pr(labels, labels.astype(float), 0) == 1.0
    assert vus_pr(labels, np.ones(6), 4) == 0.0
    assert np.isnan(vus_pr(np.zeros(6), np.arange(6.0)))


def test_point_and_event_prf_count_points_and_overlaps():
    labels = np.array([0, 1, 1, 0, 0, 0, 1, 1, 0, 0], dtype=bool)
    flags = np.array([0, 0, 1, 0, 1, 1, 0, 0, 0, 0], dtype=bool)
    assert point_prf(labels, flags) == pytest.approx((1 / 3, 1 / 4, 2 / 7))
    assert event_prf(labels, flags) == pytest.approx((0.5, 0.5, 0.5))


def test_point_adjustment_credits_whole_events_and_pak_needs_k_percent():
    labels = np.array([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0], dtype=bool)  # 10 points
    one = np.zeros(12, dtype=bool)
    one[5] = True
    assert adjusted_flags(labels, one, 0)[1:11].all()
    assert adjusted_flags(labels, one, 20).sum() == 1  # 10% of the event is not > 20%
    three = one.copy()
    three[6:8] = True
    assert adjusted_flags(labels, three, 20)[1:11].all()


def test_point_adjusted_f1_flatters_random_scores_but_pa20_does_not():
    rng = np.random.default_rng(0)
    labels = np.zeros(5000, dtype=bool)
    for start in range(500, 5000, 500):
        labels[start:start + 100] = True
    scores = rng.random(5000)
    metrics = all_metrics(labels, scores, scores > 0.99)
    assert metrics["pa_f1"] > 0.5 and metrics["pa20_f1"] < 0.1 and metrics["f1"] < 0.05


def test_ucr_hit_uses_a_margin_of_100_and_needs_one_region():
    labels = np.zeros(1000, dtype=int)
    labels[500:510] = 1
    near, far = np.zeros(1000), np.zeros(1000)
    near[605], far[620] = 1, 1
    assert ucr_hit(labels, near) == 1.0 and ucr_hit(labels, far) == 0.0
    labels[700] = 1
    assert ucr_hit(labels, near) is None


def test_runs_and_events_report_start_end_peak_and_channels():
    flags = np.array([0, 1, 1, 1, 0, 0, 1, 0], dtype=bool)
    scores = np.array([0, 5, 9, 6, 0, 0, 7, 0], dtype=float)
    channel = np.stack([scores, [0, 6, 1, 0, 0, 0, 1, 0]], axis=1)
    assert runs(flags) == [(1, 4), (6, 7)]
    events = events_of("a", flags, scores, channel, 4.0, ["x", "y"])
    assert [(e.start, e.end, e.peak, e.peak_at, e.channels) for e in events] == [
        (1, 3, 9.0, 2, ("x", "y")), (6, 6, 7.0, 6, ("x",))]


def test_hundman_threshold_flags_a_clear_spike_and_nothing_in_noise():
    rng = np.random.default_rng(0)
    noise = np.abs(rng.standard_normal(1500)) * 0.1
    spiky = noise.copy()
    spiky[700:705] += 3.0
    flags = dynamic_flags(spiky, 0.13)
    assert runs(flags) == [(700, 705)]
    assert dynamic_flags(np.abs(rng.uniform(size=1500)), 0.13).sum() == 0
    assert hundman_epsilon(np.zeros(10)) == np.inf


def test_vectorised_hundman_threshold_equals_the_loop_over_candidates():
    rng = np.random.default_rng(5)
    cases = [np.zeros(10), np.abs(rng.standard_normal(300)), rng.uniform(size=50)]
    for k in range(40):
        errors = np.abs(rng.standard_normal(400)) * 0.1
        for start in rng.choice(390, size=k % 8, replace=False):
            errors[start:start + rng.integers(1, 10)] += rng.uniform(0.2, 4.0)
        cases.append(errors)
    found = 0
    for errors in cases:
        expected = hundman_epsilon_reference(errors)
        assert hundman_epsilon(errors) == pytest.approx(expected, rel=1e-9)
        found += np.isfinite(expected)
    assert found > 20  # most cases have a threshold: the comparison is not all inf


def test_pruning_drops_sequences_whose_peak_is_close_to_the_normal_maximum():
    errors = np.array([0.1, 1.0, 0.1, 0.95, 0.1, 5.0, 0.1, 0.9])
    flags = errors > 0.5  # peaks 5, 1, .95, .9; normal max .1
    kept = prune(errors, flags, 0.13)
    # 5 -> 1 is a big drop, 1 -> .95 and .95 -> .9 are not, .9 -> .1 is: all kept
    assert kept.tolist() == flags.tolist()
    errors[7] = 0.12  # now .95 -> .12 is the last big drop: sequences down to .95 kept
    flags = errors > 0.5
    assert prune(errors, flags, 0.13).tolist() == flags.tolist()
    near = np.array([0.1, 1.0, 0.1, 0.93, 0.9, 0.1])  # 1 -> .9 small, .9 -> .1 big
    flags = np.array([0, 1, 0, 0, 0, 0], dtype=bool)  # only the peak 1.0 is flagged
    assert not prune(near, flags, 0.13).any()  # 1.0 -> normal max .93: a 7% drop
