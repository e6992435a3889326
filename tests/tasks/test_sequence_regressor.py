"""``SequenceRegressor``: inside scikit-learn's model selection, errors on bad data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from lstmkit.data.synthetic import adding_problem
from lstmkit.errors import DatasetError
from lstmkit.tasks.adding import SequenceRegressor
from lstmkit.training import TrainConfig

X, Y = (t.numpy() for t in adding_problem(60, 6, seed=1))


def tiny(**kw) -> SequenceRegressor:
    return SequenceRegressor(hidden_size=4, train=TrainConfig(epochs=1), **kw)


def test_sequence_regressor_runs_inside_cross_val_score_and_a_pipeline():
    scores = cross_val_score(tiny(), X, Y[:, 0], cv=2)
    assert scores.shape == (2,) and np.isfinite(scores).all()
    pipe = make_pipeline(FunctionTransformer(lambda x: 2 * x), tiny(cell="gru"))
    assert pipe.fit(X, Y[:, 0]).predict(X).shape == (60,)


def test_sequence_regressor_keeps_the_shape_of_y():
    assert tiny().fit(X, Y).predict(X).shape == (60, 1)
    assert tiny().fit(X, Y[:, 0]).predict(X).shape == (60,)


@pytest.mark.parametrize(("x", "y", "message"), [
    (X[:, :, 0], Y, r"expected X of shape \(N, T, I\), got \(60, 6\)"),
    (X, Y[:10], r"expected y of shape \(60,\) or \(60, K\), got \(10, 1\)"),
    (np.where(X > 0.9, np.nan, X), Y, "X holds NaN or infinite values"),
    (X[:0], Y[:0], "X is empty"),
])
def test_sequence_regressor_bad_data_is_named(x, y, message):
    with pytest.raises(DatasetError, match=message):
        tiny().fit(x, y)


def test_sequence_regressor_predict_checks_the_features():
    model = tiny().fit(X, Y)
    with pytest.raises(DatasetError, match="expected X with 2 features per step, got 3"):
        model.predict(np.zeros((2, 6, 3)))
