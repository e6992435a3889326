"""The contract every task's estimator keeps, run over every registered task: a new task
is covered by registering it with ``estimator=`` and giving it a ``contract_example``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from lstmkit.errors import ConfigError, ModelFileError
from lstmkit.tasks.registry import task_specs

ESTIMATORS = sorted({spec.estimator for spec in task_specs().values() if spec.estimator},
                    key=lambda cls: cls.__name__)


def same(a, b) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, (list, tuple)) and a and isinstance(a[0], tuple):
        assert a == b
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.fixture(scope="module", params=ESTIMATORS, ids=lambda cls: cls.__name__)
def fitted(request, tmp_path_factory):
    example = request.param.contract_example()
    model = clone(example.estimator).fit(example.X, example.y)
    path = model.save(tmp_path_factory.mktemp(request.param.__name__) / "model")
    return example, model, path


def test_contract_every_builtin_task_registers_its_estimator():
    assert {spec.name for spec in task_specs().values() if spec.estimator} >= {
        "adding", "forecast", "text"}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_contract_clone_and_params_round_trip(cls):
    estimator = cls.contract_example().estimator
    params = estimator.get_params()
    twin = clone(estimator)
    assert twin.get_params() == params and twin is not estimator
    assert cls(**params).get_params() == params
    assert repr(estimator).startswith(cls.__name__ + "(")


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_contract_unknown_setting_lists_the_valid_ones(cls):
    with pytest.raises(ConfigError, match=rf"{cls.__name__}: unknown argument nope; valid: "
                       r".*\btrain, progress$"):
        cls(nope=1)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_contract_set_params_is_validated_by_fit(cls):
    example = cls.contract_example()
    name = next(iter(example.estimator.get_params()))
    estimator = clone(example.estimator).set_params(**{name: object()})
    with pytest.raises(ConfigError, match=rf"{cls.__name__}: {name} must be "):
        estimator.fit(example.X, example.y)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_contract_not_fitted_error_names_the_class(cls, tmp_path):
    estimator = cls.contract_example().estimator
    message = rf"This {cls.__name__} instance is not fitted yet: call fit\(...\) or " \
              rf"{cls.__name__}.load\(path\) first"
    with pytest.raises(NotFittedError, match=message):
        estimator.save(tmp_path / "model")
    with pytest.raises(NotFittedError, match=message):
        estimator.network_  # noqa: B018
    assert not hasattr(estimator, "history_")


def test_contract_fit_returns_self_and_save_load_predicts_the_same(fitted):
    example, model, path = fitted
    loaded = type(model).load(path)
    same(example.output(model), example.output(loaded))
    assert loaded.get_params() == {**model.get_params(), "train": loaded.train}


def test_contract_fit_twice_with_one_seed_gives_the_same_result(fitted):
    example, model, _ = fitted
    again = clone(example.estimator).fit(example.X, example.y)
    same(example.output(model), example.output(again))


@pytest.mark.parametrize("damage", ["missing", "corrupt", "other_task", "bad_setting"])
def test_contract_damaged_model_file_is_named(fitted, tmp_path, damage):
    import shutil

    _, model, path = fitted
    copy = tmp_path / "copy"
    shutil.copytree(path, copy)
    config = json.loads((copy / "config.json").read_text())
    if damage == "missing":
        (copy / "model.safetensors").unlink()
        where = "model.safetensors"
    elif damage == "corrupt":
        (copy / "model.safetensors").write_bytes(b"\x00" * 16)
        where = "model.safetensors"
    else:
        if damage == "other_task":
            config["task"] = "something-else"
        else:
            name = next(iter(config["config"]["settings"]))
            config["config"]["settings"][name] = [1, 2, 3]
        (copy / "config.json").write_text(json.dumps(config))
        where = str(copy) if damage == "other_task" else "config.json"
    with pytest.raises(ModelFileError, match=where):
        type(model).load(copy)
