"""Experiment files and overrides: every error names the file, table and key."""

from __future__ import annotations

import pytest

from lstmkit.config import apply_overrides, load_config_file
from lstmkit.errors import ConfigError
from lstmkit.settings import build_settings
from lstmkit.training import TrainConfig


def test_config_toml_and_yaml_read_the_same(tmp_path):
    (tmp_path / "a.toml").write_text("[train]\nlr = 3e-4\nepochs = 2\n")
    (tmp_path / "a.yaml").write_text("train:\n  lr: 3e-4\n  epochs: 2\n")
    toml = build_settings(TrainConfig, load_config_file(tmp_path / "a.toml")["train"], "[train]")
    yaml = build_settings(TrainConfig, load_config_file(tmp_path / "a.yaml")["train"], "[train]")
    assert toml == yaml == TrainConfig(lr=3e-4, epochs=2)


def test_config_unknown_key_lists_valid_keys():
    with pytest.raises(ConfigError) as info:
        build_settings(TrainConfig, {"learning_rate": 0.1}, "[train]")
    assert str(info.value) == (
        "unknown key in [train]: learning_rate; valid keys: epochs, lr, optimizer, "
        "weight_decay, schedule, warmup_steps, grad_clip, early_stopping, monitor, "
        "monitor_mode, restore_best, seed, bf16, tbptt, checkpoint_every, max_nonfinite")


def test_config_wrong_type_names_key_and_type():
    with pytest.raises(ConfigError, match=r"\[train\] epochs must be an integer >= 1, got 'ten'"):
        build_settings(TrainConfig, {"epochs": "ten"}, "[train]")


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


def test_load_config_file_refuses_yaml_aliases_naming_the_file(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text("a: &a [x, x]\nb: [*a, *a]\n")
    with pytest.raises(ConfigError, match=r"bomb\.yaml: YAML aliases \(&/\*\) are not "
                                          r"supported \(line 2\)"):
        load_config_file(path)


def test_load_config_file_accepts_an_anchor_without_alias(tmp_path):
    path = tmp_path / "anchor.yaml"
    path.write_text("train: &t {epochs: 2}\n")
    assert load_config_file(path) == {"train": {"epochs": 2}}


def test_load_config_file_caps_the_size_before_parsing(tmp_path, monkeypatch):
    import lstmkit.config as config

    monkeypatch.setattr(config, "MAX_CONFIG_BYTES", 64)
    path = tmp_path / "big.toml"
    path.write_text("[train]\n" + "# pad\n" * 20)
    with pytest.raises(ConfigError, match=r"big\.toml: experiment file larger than 64 bytes"):
        load_config_file(path)
    path.write_text("[train]\nepochs = 3\n")
    assert load_config_file(path) == {"train": {"epochs": 3}}


def test_load_config_file_refuses_a_directory_and_non_utf8(tmp_path):
    (tmp_path / "d.toml").mkdir()
    with pytest.raises(ConfigError, match=r"d\.toml: not a regular file"):
        load_config_file(tmp_path / "d.toml")
    (tmp_path / "l.yaml").write_bytes(b"name: \xe9\n")
    with pytest.raises(ConfigError, match=r"l\.yaml: not UTF-8 text \(byte 6\)"):
        load_config_file(tmp_path / "l.yaml")


def test_parse_value_with_an_alias_is_text():
    from lstmkit.config import parse_value

    assert parse_value("[&a 1, *a]") == "[&a 1, *a]"
    assert parse_value("[1, 2]") == [1, 2]
