"""The simple detectors beside the LSTM: the matrix-profile discord against a brute-force
nearest-neighbour search and against stumpy."""

import numpy as np
import pytest

from lstmkit.tasks.anomaly.baselines import BASELINE_WINDOW, matrix_profile


def _brute_force(x: np.ndarray, width: int, train: int) -> np.ndarray:
    """Each window's z-normalised distance to its nearest window of x[:train]."""
    def znorm(w):
        return (w - w.mean()) / w.std()

    ref = [znorm(x[i:i + width]) for i in range(train - width + 1)]
    out = [min(np.linalg.norm(znorm(x[i:i + width]) - r) for r in ref)
           for i in range(len(x) - width + 1)]
    return np.concatenate([np.full(width - 1, out[0]), out])


def _discord(n=260, seed=0):
    rng = np.random.default_rng(seed)
    x = np.sin(2 * np.pi * np.arange(n) / 25) + 0.05 * rng.standard_normal(n)
    x[200:210] = x[200:210][::-1] + 1.0  # a reversed, raised stretch in the scored part
    return x


def test_matrix_profile_is_the_nearest_training_window_distance_at_each_window_end():
    x = _discord()
    score = matrix_profile(x[:, None], 120, None)
    np.testing.assert_allclose(score, _brute_force(x, BASELINE_WINDOW, 120), atol=1e-6)
    assert 200 <= int(np.argmax(score)) < 210 + BASELINE_WINDOW  # the discord's windows
    assert np.allclose(score[BASELINE_WINDOW - 1:120], 0.0, atol=1e-5)  # own neighbours


def test_matrix_profile_agrees_with_stumpys_ab_join():
    stumpy = pytest.importorskip("stumpy")  # in the dev extra, so CI runs it
    x = _discord(400, seed=3)
    expected = stumpy.stump(x, BASELINE_WINDOW, T_B=x[:150], ignore_trivial=False)[:, 0]
    score = matrix_profile(x[:, None], 150, None)
    np.testing.assert_allclose(score[BASELINE_WINDOW - 1:], expected.astype(float),
                               atol=1e-5)


def test_matrix_profile_takes_the_largest_channel_and_reads_constant_windows():
    rng = np.random.default_rng(1)
    quiet = np.sin(np.arange(300) / 4) + 0.05 * rng.standard_normal(300)
    loud = quiet.copy()
    loud[250:256] += 3.0
    both = matrix_profile(np.c_[quiet, loud], 150, None)
    np.testing.assert_allclose(both, np.maximum(matrix_profile(quiet[:, None], 150, None),
                                                matrix_profile(loud[:, None], 150, None)))
    flat = np.r_[np.zeros(100), np.sin(np.arange(100)), np.zeros(60)]
    score = matrix_profile(flat[:, None], 100, None)  # only constant training windows
    assert score[-1] == 0.0 and score[150] == pytest.approx(np.sqrt(BASELINE_WINDOW))
