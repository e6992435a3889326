"""Experiment files and overrides: every error names the file, table and key."""

from __future__ import annotations

import pytest

from lstmkit.config import apply_overrides, build_dataclass, load_config_file
from lstmkit.errors import ConfigError
from lstmkit.training import TrainConfig


def test_config_toml_and_yaml_read_the_same(tmp_path):
    (tmp_path / "a.toml").write_text("[train]\nlr = 3e-4\nepochs = 2\n")
    (tmp_path / "a.yaml").write_text("train:\n  lr: 3e-4\n  epochs: 2\n")
    toml = build_dataclass(TrainConfig, load_config_file(tmp_path / "a.toml")["train"], "[train]")
    yaml = build_dataclass(TrainConfig, load_config_file(tmp_path / "a.yaml")["train"], "[train]")
    assert toml == yaml == TrainConfig(lr=3e-4, epochs=2)


def test_config_unknown_key_lists_valid_keys():
    with pytest.raises(ConfigError) as info:
        build_dataclass(TrainConfig, {"learning_rate": 0.1}, "[train]")
    assert str(info.value) == (
        "unknown key in [train]: learning_rate; valid keys: epochs, lr, optimizer, "
        "weight_decay, schedule, warmup_steps, grad_clip, early_stopping, monitor, "
        "monitor_mode, restore_best, seed, bf16, tbptt, checkpoint_every, max_nonfinite")


def test_config_wrong_type_names_key_and_type():
    with pytest.raises(ConfigError, match=r"\[train\] epochs: input should be a valid integer, "
                       r"unable to parse string as an integer, got 'ten'"):
        build_dataclass(TrainConfig, {"epochs": "ten"}, "[train]")


def test_config_overrides_parse_values_and_nest():
    result = apply_overrides({"train": {"lr": 1.0}},
                             ["--train.lr=3e-4", "--train.tbptt=true", "task.cell=gru"])
    assert result == {"train": {"lr": 3e-4, "tbptt": True}, "task": {"cell": "gru"}}


@pytest.mark.parametrize("bad", ["--lr=3", "--train.lr", "--train..lr=1"])
def test_config_malformed_override_is_an_error(bad):
    with pytest.raises(ConfigError, match=r"must look like --section.key=value"):
        apply_overrides({}, [bad])


def test_config_file_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml: no such experiment file"):
        load_config_file(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text("[train\n")
    with pytest.raises(ConfigError, match=r"bad\.toml: invalid TOML"):
        load_config_file(tmp_path / "bad.toml")
    with pytest.raises(ConfigError, match=r"must end in \.toml, \.yaml or \.yml"):
        load_config_file(tmp_path / "exp.json")
