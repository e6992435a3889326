"""The named anomaly datasets: bundled files read with their roles, labels where the
provenance says, and the sktime-only one refused with a clear message when absent."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from lstmkit.data.registry import bundled_catalog
from lstmkit.errors import DatasetError
from lstmkit.tasks.anomaly.datasets import dataset_names
from lstmkit.tasks.anomaly.series import read_anomaly_data
from lstmkit.tasks.anomaly.settings import AnomalySettings


def _events(labels: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.r_[0, labels, 0])
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(),
                    strict=True))


def test_suthaharan_single_hop_reads_four_motes_with_the_kettle_events():
    data = read_anomaly_data("suthaharan-single-hop", AnomalySettings())
    assert data.ids == ["1", "2", "3", "4"]
    assert data.channels == ["humidity", "temperature"]
    assert [len(v) for v in data.values] == [4417, 4417, 5039, 5041]
    assert [_events(labels) for labels in data.labels] == [[(2343, 2460)], [], [],
                                                           [(2361, 2393)]]
    assert "CC-BY-4.0" in bundled_catalog()["suthaharan-single-hop"]["licence"]


def test_mitbih_ecg_excerpt_has_one_labelled_stretch():
    data = read_anomaly_data("mitbih-ecg", AnomalySettings())
    assert (data.ids, data.channels, len(data.values[0])) == (["0"], ["value"], 7500)
    assert _events(data.labels[0]) == [(6936, 7288)]


def test_named_datasets_are_listed():
    assert {"suthaharan-single-hop", "mitbih-ecg", "yahoo-s5-excerpt",
            "ucr-internal-bleeding16", "synthetic-anomalies"} <= set(dataset_names())


@pytest.mark.skipif(importlib.util.find_spec("sktime") is not None,
                    reason="sktime is installed: the excerpt is readable")
def test_yahoo_excerpt_without_sktime_says_why_it_is_not_bundled():
    with pytest.raises(DatasetError, match=r"read from the sktime package, which is not "
                                           r"installed .* its licence does not let lstmkit"):
        read_anomaly_data("yahoo-s5-excerpt", AnomalySettings())
