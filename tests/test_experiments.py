"""Experiment files: tables and keys checked against the task registry."""

from __future__ import annotations

import pytest

from lstmkit.errors import ConfigError
from lstmkit.experiments import load_experiment
from lstmkit.tasks.adding.task import AddingSettings
from lstmkit.tasks.registry import get_task, register_task


def write(tmp_path, text: str, suffix: str = ".toml"):
    path = tmp_path / f"exp{suffix}"
    path.write_text(text)
    return path


def test_experiment_yaml_resolves_defaults_and_overrides(tmp_path):
    path = write(tmp_path, "experiment:\n  task: adding\ntrain:\n  lr: 3e-4\n", ".yaml")
    exp = load_experiment(path, ["--task.cell=gru"], data=None)
    assert exp.experiment.name == "adding"
    assert exp.train.lr == 3e-4 and exp.options == AddingSettings(cell="gru")
    assert exp.resolved["task"]["cell"] == "gru" and exp.resolved["train"]["epochs"] == 10


def test_experiment_unknown_table_lists_valid_tables(tmp_path):
    path = write(tmp_path, '[experiment]\ntask = "adding"\n[model]\nx = 1\n')
    with pytest.raises(ConfigError, match=r"unknown tables? model; valid tables: "
                       "experiment, train, task"):
        load_experiment(path)


def test_experiment_unknown_task_option_lists_the_task_keys(tmp_path):
    path = write(tmp_path, '[experiment]\ntask = "adding"\n[task]\nlayers = 2\n')
    with pytest.raises(ConfigError, match=r"unknown key in \[task\]: layers; "
                       "valid keys: cell, hidden_size, num_layers, batch_size, val_fraction, "
                       "seq_len, n_train"):
        load_experiment(path)


def test_experiment_missing_task_is_named(tmp_path):
    path = write(tmp_path, "[train]\nepochs = 1\n")
    with pytest.raises(ConfigError, match=r"missing key in \[experiment\]: task"):
        load_experiment(path)


def test_experiment_bad_cell_names_the_choices(tmp_path):
    path = write(tmp_path, '[experiment]\ntask = "adding"\n[task]\ncell = "xlstm"\n')
    with pytest.raises(ConfigError, match=r"\[task\] cell must be one of lstm, "
                       "peephole, .*; got 'xlstm'"):
        load_experiment(path)


def test_task_registry_refuses_a_second_task_with_the_same_name():
    spec = get_task("adding")
    assert register_task("adding", spec.run, options=spec.options,
                         description=spec.description, uses_data=spec.uses_data,
                         estimator=spec.estimator) == spec
    with pytest.raises(ValueError, match="a task named 'adding' is already registered"):
        register_task("adding", lambda run: None, options=AddingSettings)
