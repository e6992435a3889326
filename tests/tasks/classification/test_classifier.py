"""SequenceClassifier: input forms, learning, calibration, class weights, persistence,
scikit-learn composition, and honest model selection."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from lstmkit import SequenceClassifier
from lstmkit.tasks.classification import ClassificationDataError
from lstmkit.tasks.classification.calibration import fit_temperature
from lstmkit.tasks.classification.metrics import class_weights
from lstmkit.tasks.classification.split import stratified_split
from lstmkit.training import TrainConfig


def tiny(**settings) -> SequenceClassifier:
    options = {"model": "lstm", "hidden_size": 8, "batch_size": 8, "dropout": 0.0,
               "progress": False, "train": TrainConfig(epochs=15, lr=1e-2)}
    options.update(settings)
    return SequenceClassifier(**options)


def waves(n: int = 40, steps: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rising against falling noisy ramps: learnable in a few epochs."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    ramp = np.linspace(-1, 1, steps)
    X = np.where(y[:, None] == 1, ramp, -ramp) + 0.3 * rng.normal(size=(n, steps))
    return X.astype(np.float32), np.where(y == 1, "up", "down")


@pytest.mark.parametrize("model", ["lstm", "lstm-fcn"])
def test_classifier_learns_rising_against_falling(model):
    X, y = waves(48)
    Xt, yt = waves(40, seed=1)
    clf = tiny(model=model, filters=(4, 4, 4)).fit(X, y)
    assert clf.score(Xt, yt) >= 0.9
    assert list(clf.classes_) == ["down", "up"]
    proba = clf.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)


def test_classifier_reads_every_input_form_the_same():
    X, y = waves(24)
    as_3d = tiny(train=TrainConfig(epochs=2)).fit(X[:, :, None], y).predict_proba(X[:, :, None])
    as_2d = tiny(train=TrainConfig(epochs=2)).fit(X, y).predict_proba(X)
    as_list = tiny(train=TrainConfig(epochs=2)).fit(list(X), y).predict_proba(list(X))
    frame = pd.DataFrame([{"id": i, "time": t, "value": v, "label": y[i]}
                          for i in range(len(X)) for t, v in enumerate(X[i])])
    as_frame = tiny(train=TrainConfig(epochs=2)).fit(frame.sample(frac=1, random_state=0))
    np.testing.assert_allclose(as_2d, as_3d, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(as_list, as_3d, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(as_frame.predict_proba(frame), as_3d, rtol=1e-5, atol=1e-6)


def test_classifier_variable_length_series_predict_as_alone():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 2)).astype(np.float32) for n in [5, 9, 3, 7] * 6]
    y = [int(x[:, 0].mean() > 0) for x in X]
    for model in ("lstm", "lstm-fcn"):
        clf = tiny(model=model, filters=(4, 4, 4), train=TrainConfig(epochs=2)).fit(X, y)
        together = clf.predict_proba(X)
        alone = np.concatenate([clf.predict_proba([x]) for x in X[:4]])
        np.testing.assert_allclose(together[:4], alone, rtol=1e-5, atol=1e-6)


def test_classifier_text_learns_and_round_trips(tmp_path):
    texts = ["great fun film", "loved it great", "awful boring film", "boring and awful"] * 8
    labels = ["pos", "pos", "neg", "neg"] * 8
    clf = tiny(train=TrainConfig(epochs=20, lr=1e-2), embedding_dim=8).fit(texts, labels)
    assert clf.kind_ == "text" and clf.tokenizer_.vocab_size > 5
    assert list(clf.predict(["great great fun", "awful boring"])) == ["pos", "neg"]
    loaded = SequenceClassifier.load(clf.save(tmp_path / "model"))
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))
    assert loaded.temperature_ == clf.temperature_


def test_classifier_temperature_does_not_change_the_classes():
    X, y = waves(40)
    calibrated = tiny(calibrate=True, min_val_size=1).fit(X, y)  # 8 validate
    raw = tiny(calibrate=False).fit(X, y)
    assert raw.temperature_ == 1.0 and calibrated.temperature_ != 1.0
    np.testing.assert_array_equal(calibrated.predict(X), raw.predict(X))


def test_fit_temperature_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    import torch

    logits = torch.from_numpy(rng.normal(scale=3, size=(4000, 3)))
    probs = torch.softmax(logits / 2.0, dim=1).numpy()
    targets = torch.tensor([rng.choice(3, p=p / p.sum()) for p in probs])
    assert abs(fit_temperature(logits, targets) - 2.0) < 0.15


def test_class_weights_balanced_follow_scikit_learn():
    codes = np.array([0, 0, 0, 1])
    np.testing.assert_allclose(class_weights(codes, 2, "balanced"), [4 / 6, 2.0])
    assert class_weights(codes, 2, None) is None


def test_classifier_balanced_weights_favour_the_rare_class():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6)).astype(np.float32)
    y = np.r_[np.zeros(54), np.ones(6)].astype(int)
    plain = tiny(train=TrainConfig(epochs=10, lr=1e-2)).fit(X, y).predict_proba(X)[:, 1]
    weighted = tiny(class_weight="balanced", calibrate=False,
                    train=TrainConfig(epochs=10, lr=1e-2)).fit(X, y).predict_proba(X)[:, 1]
    assert weighted.mean() > plain.mean() + 0.1


def test_stratified_split_keeps_class_shares_and_singletons_in_fit():
    codes = np.r_[np.zeros(20, int), np.ones(10, int), [2]]
    fit, val = stratified_split(codes, 0.2, seed=0)
    assert sorted(np.r_[fit, val]) == list(range(31))
    assert np.bincount(codes[val], minlength=3).tolist() == [4, 2, 0]
    assert 30 in fit
    assert stratified_split(codes, 0.0, seed=0)[1].size == 0


@pytest.mark.parametrize("n,min_val_size,validated", [(40, 8, True), (40, 9, False),
                                                      (200, 30, True)])
def test_classifier_carves_validation_only_when_it_holds_min_val_size(n, min_val_size,
                                                                      validated):
    """20 % of n validates if that is at least ``min_val_size`` sequences; otherwise every
    sequence fits, the lowest training loss picks the epoch, and nothing is calibrated."""
    X, y = waves(n)
    model = tiny(min_val_size=min_val_size, train=TrainConfig(epochs=2, lr=1e-2)).fit(X, y)
    assert ("val_loss" in model.history_[-1]) is validated
    assert (model.temperature_ != 1.0) is validated
    assert stratified_split(np.arange(n) % 2, 0.2, seed=0,
                            min_size=min_val_size)[1].size == (n // 5 if validated else 0)


@pytest.mark.parametrize("X,y,message", [
    (np.zeros((4, 3)), [1, 1, 1, 1], "only one class"),
    (np.zeros((4, 3)), [0.5, 1.5, 2.5, 3.5], "Unknown label type"),
    (np.r_[[[np.nan, 1, 2]], np.zeros((3, 3))], [0, 1, 0, 1], r"sequence 0: NaN .* step 0"),
    ([np.zeros(3), np.zeros(0), np.zeros(2), np.zeros(2)], [0, 1, 0, 1], "sequence 1 is empty"),
    ([np.zeros((3, 2)), np.zeros((3, 1))], [0, 1], "sequence 1 has 1 features per step"),
    (np.zeros((4, 3)), [0, 1], "4 sequences but 2 labels"),
    (["", "b", "a", "b"], [0, 1, 0, 1], "document 0 is empty"),
    (pd.DataFrame({"id": [0], "time": [0], "value": [1.0]}), None, "target y is None"),
])
def test_classifier_bad_input_is_one_clear_error(X, y, message):
    with pytest.raises(ValueError, match=message):
        tiny(train=TrainConfig(epochs=1)).fit(X, y)


def test_classifier_evaluate_refuses_classes_not_seen_in_fit():
    X, y = waves(16)
    clf = tiny(train=TrainConfig(epochs=1)).fit(X, y)
    with pytest.raises(ClassificationDataError, match="label 'sideways' was not seen in fit"):
        clf.evaluate(X, np.r_[y[:-1], ["sideways"]])
    scores = clf.evaluate(X, y)
    assert set(scores) >= {"accuracy", "balanced_accuracy", "macro_f1", "log_loss",
                           "confusion_matrix"}
    with pytest.raises(ClassificationDataError, match="expected 1 features per step, got 2"):
        clf.predict(np.zeros((2, 5, 2)))


def test_classifier_runs_in_pipeline_gridsearch_and_cross_val_score():
    X, y = waves(32)
    pipe = make_pipeline(FunctionTransformer(lambda a: a * 2.0), tiny(train=TrainConfig(
        epochs=3, lr=1e-2)))
    assert pipe.fit(X, y).predict(X).shape == (32,)
    scores = cross_val_score(tiny(train=TrainConfig(epochs=2)), X, y, cv=2)
    assert scores.shape == (2,) and np.all((0 <= scores) & (scores <= 1))
    search = GridSearchCV(tiny(train=TrainConfig(epochs=2)), {"pooling": ["last", "mean"]},
                          cv=2).fit(X, y)
    assert search.best_params_["pooling"] in ("last", "mean")


def test_classify_task_never_reads_test_labels_before_the_final_evaluation(tmp_path):
    """Changing every test label (among the known classes) changes nothing the run
    chose: the saved weights, the temperature and the training history are identical;
    only the test scores move."""
    from lstmkit.cli.main import main

    X, y = waves(40, steps=8)
    part = np.r_[["train"] * 28, ["test"] * 12]
    runs = []
    for flip in (False, True):
        labels = y.copy()
        if flip:
            labels[28:] = np.where(labels[28:] == "up", "down", "up")
        rows = [f"{i},{t},{X[i, t]:.6f},{labels[i]},{part[i]}" for i in range(40)
                for t in range(8)]
        data = tmp_path / f"data{int(flip)}.csv"
        data.write_text("id,time,value,label,split\n" + "\n".join(rows) + "\n")
        out = tmp_path / f"out{int(flip)}"
        main(["classify", "--data", str(data), "--out", str(out), "--model", "lstm",
              "--hidden-size", "4", "--epochs", "3", "--no-baselines", "--no-tracking"])
        runs.append(out)
    a, b = ((r / "model" / "model.safetensors").read_bytes() for r in runs)
    assert a == b
    fitted = [json.loads((r / "model" / "config.json").read_text()) for r in runs]
    assert fitted[0]["config"]["fitted"] == fitted[1]["config"]["fitted"]
    tables = [pd.read_csv(r / "predictions.csv") for r in runs]
    pd.testing.assert_frame_equal(tables[0].drop(columns="label"),
                                  tables[1].drop(columns="label"))
    assert (tables[0]["label"] != tables[1]["label"]).all()
    metrics = [json.loads((r / "metrics.json").read_text())["model"] for r in runs]
    assert metrics[0]["accuracy"] + metrics[1]["accuracy"] == pytest.approx(1.0)


@pytest.mark.parametrize("threads", [1, 2])
def test_classifier_trains_on_the_threads_asked_for_and_restores_torch_setting(threads):
    import torch

    before = torch.get_num_threads()
    X, y = waves(16)
    clf = tiny(num_threads=threads, train=TrainConfig(epochs=1)).fit(X, y)
    assert clf.threads_ == threads
    assert torch.get_num_threads() == before


def test_classifier_threads_default_to_the_idle_cores():
    assert SequenceClassifier().num_threads == "auto"
    with pytest.raises(Exception, match="num_threads"):
        SequenceClassifier(num_threads=0)


def test_classifier_predict_bf16_trains_the_same_and_predicts_the_same_classes(tmp_path):
    X, y = waves(24)
    options = {"model": "lstm-fcn", "filters": (8, 8, 8), "train": TrainConfig(epochs=3)}
    plain, fast = tiny(**options).fit(X, y), tiny(predict_bf16=True, **options).fit(X, y)
    for a, b in zip(plain.network_.state_dict().values(), fast.network_.state_dict().values(),
                    strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(fast.predict_proba(X), plain.predict_proba(X), atol=5e-2)
    assert fast.predict_proba(X).tolist() != plain.predict_proba(X).tolist()
    loaded = SequenceClassifier.load(fast.save(tmp_path / "m"))
    np.testing.assert_array_equal(loaded.predict_proba(X), fast.predict_proba(X))
