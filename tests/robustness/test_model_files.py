"""The corpus for model directories: every command that loads a saved model, over
corrupt, hostile and oversized copies of one tiny forecaster and one tiny text model,
and over counts past their caps.

Each case copies the saved model next to the working directory (outside it, so that the
harness never reads a FIFO or a sparse giant file), corrupts the copy, runs the command
and asserts one ``error:`` line naming the file and the field, and nothing touched.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from lstmkit.limits import MAX_BEAM, MAX_JSON_BYTES, MAX_LENGTH, MAX_STEPS, MAX_TOP
from lstmkit.training import FORMAT_VERSION, TrainConfig

TEXT = "to be or not to be, that is the question. " * 20


@pytest.fixture(scope="module")
def forecast_model(tmp_path_factory) -> Path:
    """A saved two-member forecaster of a monthly series (calendar features on)."""
    from lstmkit.tasks.forecasting import Forecaster

    root = tmp_path_factory.mktemp("forecast")
    frame = history()
    model = Forecaster(horizon=3, lookback=6, n_models=2, hidden_size=4, target="value",
                       time_col="month", train=TrainConfig(epochs=1)).fit(frame)
    return model.save(root / "model")


@pytest.fixture(scope="module")
def text_model(tmp_path_factory) -> Path:
    """A saved character-level text model with a fitted cache."""
    from lstmkit.tasks.text import TextModel

    root = tmp_path_factory.mktemp("text")
    model = TextModel(hidden_size=8, embedding_size=4, batch_size=4, bptt=8, cache_size=50,
                      num_threads=1, train=TrainConfig(epochs=1), progress=False).fit(TEXT)
    return model.save(root / "model")


def history() -> pd.DataFrame:
    months = pd.date_range("2000-01-01", periods=60, freq="MS")
    return pd.DataFrame({"month": months.strftime("%Y-%m-%d"),
                         "value": np.sin(np.arange(60) / 3) + 2})


# -- corruptions: each takes the copied model directory ---------------------------------
def edit(*path: str | int, value=None, delete: bool = False, file: str = "config.json"
         ) -> Callable[[Path], None]:
    """Set (or delete) the JSON value at ``path`` in ``file``."""
    def apply(model: Path) -> None:
        content = json.loads((model / file).read_text())
        *parents, last = path
        node = content
        for key in parents:
            node = node[key]
        if delete:
            del node[last]
        else:
            node[last] = value
        (model / file).write_text(json.dumps(content))
    return apply


def cfg(*path: str, value=None, delete: bool = False) -> Callable[[Path], None]:
    """Edit the task's ``config`` inside config.json."""
    return edit("config", *path, value=value, delete=delete)


def both(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    """Apply several edits in turn."""
    def apply(model: Path) -> None:
        for one in edits:
            one(model)
    return apply


def symlink(name: str, target: str) -> Callable[[Path], None]:
    def apply(model: Path) -> None:
        (model / name).unlink()
        (model / name).symlink_to(target)
    return apply


def symlink_out(name: str) -> Callable[[Path], None]:
    """Link ``name`` to an identical copy of itself outside the directory."""
    def apply(model: Path) -> None:
        outside = model.parent / f"outside-{name}"
        shutil.copy(model / name, outside)
        symlink(name, str(outside))(model)
    return apply


def fifo(name: str) -> Callable[[Path], None]:
    def apply(model: Path) -> None:
        (model / name).unlink()
        os.mkfifo(model / name)
    return apply


def sparse(name: str, size: int) -> Callable[[Path], None]:
    def apply(model: Path) -> None:
        with open(model / name, "r+b") as f:
            f.truncate(size)
    return apply


def raw(name: str, data: bytes | Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def apply(model: Path) -> None:
        old = (model / name).read_bytes()
        (model / name).write_bytes(data(old) if callable(data) else data)
    return apply


class RunsPayload:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


PICKLE = pickle.dumps(RunsPayload())


def torch_pickle(model: Path) -> None:
    torch.save({"w": torch.zeros(2)}, model / "model.safetensors")


def nan_weight(model: Path) -> None:
    import safetensors.torch

    tensors = safetensors.torch.load_file(model / "model.safetensors")
    key = sorted(tensors)[0]
    tensors[key] = torch.full_like(tensors[key], float("nan"))
    safetensors.torch.save_file(tensors, model / "model.safetensors",
                                metadata={"format": "lstmkit-model"})


def header_too_long(data: bytes) -> bytes:
    return (10**6).to_bytes(8, "little") + data[8:200]


# -- cases common to every loader: (id, corruption, fragments) ---------------------------
def common(transform: str) -> list:
    return [
        ("config-symlink-out", symlink_out("config.json"), ["config.json", "symbolic link",
                                                            "outside"]),
        ("config-dev-zero", symlink("config.json", "/dev/zero"), ["config.json"]),
        ("weights-dev-zero", symlink("model.safetensors", "/dev/zero"),
         ["model.safetensors", "/dev/zero", "outside"]),
        ("weights-fifo", fifo("model.safetensors"), ["model.safetensors", "FIFO"]),
        ("transform-fifo", fifo(f"{transform}.json"), [f"{transform}.json", "FIFO"]),
        ("transform-symlink-out", symlink_out(f"{transform}.json"),
         [f"{transform}.json", "outside"]),
        ("transform-dir", lambda m: ((m / f"{transform}.json").unlink(),
                                     (m / f"{transform}.json").mkdir()),
         [f"{transform}.json", "directory"]),
        ("config-oversize", sparse("config.json", MAX_JSON_BYTES + 1),
         ["config.json", f"more than the {MAX_JSON_BYTES}"]),
        ("transform-oversize", sparse(f"{transform}.json", MAX_JSON_BYTES + 1),
         [f"{transform}.json", "more than"]),
        ("weights-oversize", sparse("model.safetensors", 17 * 2**30),
         ["model.safetensors", "more than"]),
        ("transform-traversal", edit("transforms", 0, value="../../etc/x"),
         ["config.json", '"../../etc/x"', "not a simple name"]),
        ("transform-absolute", edit("transforms", 0, value="/etc/passwd"),
         ["config.json", "/etc/passwd", "not a simple name"]),
        ("transform-not-string", edit("transforms", 0, value=7),
         ["config.json", "transform name 7"]),
        ("header-missing-config", edit("config", delete=True),
         ["config.json", "field config is missing"]),
        ("header-missing-transforms", edit("transforms", delete=True),
         ["config.json", "field transforms is missing"]),
        ("header-unknown-key", edit("evil", value=1), ["config.json", "unknown field evil"]),
        ("header-config-not-object", edit("config", value=[1]),
         ["config.json", "field config must be a JSON dict"]),
        ("newer-format", edit("format_version", value=FORMAT_VERSION + 1),
         [f"format version {FORMAT_VERSION + 1}", "upgrade lstmkit"]),
        ("not-lstmkit", edit("format", value="other"), ["config.json", "not an lstmkit model"]),
        ("config-not-json", raw("config.json", b"{oops"), ["config.json", "not valid JSON"]),
        ("config-deep-json", raw("config.json", b"[" * 100_000 + b"]" * 100_000),
         ["config.json", "not valid JSON"]),
        ("config-pickle", raw("config.json", PICKLE), ["config.json", "pickle"]),
        ("transform-pickle", raw(f"{transform}.json", PICKLE),
         [f"{transform}.json", "pickle"]),
        ("weights-torch-save", torch_pickle, ["model.safetensors", "pickle"]),
        ("weights-truncated", raw("model.safetensors", lambda d: d[: len(d) // 2]),
         ["model.safetensors", "truncated"]),
        ("weights-tiny", raw("model.safetensors", b"\x01\x02"),
         ["model.safetensors", "truncated"]),
        ("weights-header-too-long", raw("model.safetensors", header_too_long),
         ["model.safetensors", "header says 1000000 bytes"]),
        ("weights-nan", nan_weight, ["model.safetensors", "non-finite"]),
        ("missing-transform", lambda m: (m / f"{transform}.json").unlink(),
         [f"{transform}.json", "missing"]),
        ("wrong-task", edit("task", value="other"), ["not a"]),
    ]


def setting(*path: str, value=None, delete: bool = False) -> Callable[[Path], None]:
    """Edit the forecaster's ``settings`` inside config.json."""
    return cfg("settings", *path, value=value, delete=delete)


def fitted(*path: str, value=None, delete: bool = False) -> Callable[[Path], None]:
    """Edit what the forecaster's ``fit`` learned (``fitted``) inside config.json."""
    return cfg("fitted", *path, value=value, delete=delete)


def older_layout(model: Path) -> None:
    """config.json as an older lstmkit wrote it for a task it cannot read any more."""
    edit("config", value={"params": {"hidden_size": 4}})(model)


HIDDEN = "settings hidden_size must be an integer in [1, 65536]"
FORECAST_CASES = [
    *common("scalers"),
    *[(f"missing-{key}", cfg(key, delete=True), ["config.json", f"field config.{key} is missing"])
      for key in ("settings", "train", "fitted")],
    *[(f"missing-{key}", fitted(key, delete=True),
       ["missing key in", "config.json: config.fitted: " + key])
      for key in ("resolved", "input_size", "n_known", "target_names", "roles")],
    ("fitted-not-object", cfg("fitted", value=[1]),
     ["config.json", "field config.fitted must be an object, got list"]),
    ("older-layout", older_layout, ["config.json", "written by an older lstmkit model format",
                                    "retrain the Forecaster"]),
    ("missing-setting", setting("hidden_size", delete=True),
     ["config.json", "config.settings.hidden_size is missing"]),
    ("missing-train-setting", cfg("train", "seed", delete=True),
     ["config.json", "config.train.seed is missing"]),
    ("hidden-size-string", setting("hidden_size", value="32"), ["config.json", HIDDEN, "'32'"]),
    ("hidden-size-bool", setting("hidden_size", value=True), [HIDDEN, "got True"]),
    ("hidden-size-huge", setting("hidden_size", value=10**9),
     ["config.json", HIDDEN, "got 1000000000"]),
    ("hidden-size-negative", setting("hidden_size", value=-4), [HIDDEN, "got -4"]),
    ("num-layers-zero", setting("num_layers", value=0), ["settings num_layers", "got 0"]),
    ("n-models-1e7-float", setting("n_models", value=1e7),
     ["settings n_models must be an integer in [1, 1000]", "got 10000000.0"]),
    ("n-models-1e7", setting("n_models", value=10**7),
     ["settings n_models must be an integer in [1, 1000]", "got 10000000"]),
    ("n-models-mismatch", setting("n_models", value=3),
     ["model.safetensors", "does not match the network config.json describes",
      "missing weight members.2"]),
    ("hidden-size-mismatch", setting("hidden_size", value=5),
     ["model.safetensors", "does not match", "expected"]),
    ("n-paths-huge", setting("n_paths", value=10**9), ["settings n_paths", "got 1000000000"]),
    ("horizon-huge", fitted("resolved", "horizon", value=10**9),
     ["config.fitted resolved.horizon must be an integer in [1, 100000], got 1000000000"]),
    ("lookback-null", fitted("resolved", "lookback", value=None),
     ["config.fitted resolved.lookback must be an integer", "got None"]),
    ("unknown-setting", setting("evil", value=1),
     ["unknown key in", "config.json: settings: evil; valid keys:", "hidden_size"]),
    ("unknown-fitted-key", fitted("evil", value=1),
     ["unknown key in", "config.fitted: evil; valid keys: resolved, input_size"]),
    ("unknown-config-key", cfg("evil", value=1), ["unknown field config.evil"]),
    ("bad-strategy", setting("strategy", value="sideways"),
     ["config.json", "settings strategy must be one of direct, autoregressive", "'sideways'"]),
    ("bad-cell", setting("cell", value="nope"),
     ["config.json", "settings cell must be one of lstm"]),
    ("autoregressive-with-past", lambda m: (setting("strategy", value="autoregressive")(m),
                                            setting("past_covariates", value=["x"])(m)),
     ["config.json", "autoregressive forecasting cannot use past covariates"]),
    ("lr-string", cfg("train", "lr", value="fast"), ["config.json: train lr must be", "'fast'"]),
    ("lr-nan", raw("config.json", lambda d: d.replace(b'"lr": 0.001', b'"lr": NaN')),
     ["config.json: train lr", "got nan"]),
    ("target-names-not-list", fitted("target_names", value=3),
     ["config.fitted target_names must be a list, each a string", "got 3"]),
    ("target-names-empty", fitted("target_names", value=[]),
     ["config.fitted target_names must be a list", "(at least 1 and at most", "got []"]),
    ("input-size-wrong", fitted("input_size", value=7),
     ["config.fitted.input_size is 7", "make 3"]),
    ("calendar-unknown", fitted("resolved", "calendar", value=["evil_sin"]),
     ["config.fitted resolved.calendar must be a list, each one of hour_sin", "'evil_sin'"]),
    ("scalers-missing-key", edit("target", delete=True, file="scalers.json"),
     ["scalers.json", "expected the scalers target and covariate, got ['covariate']"]),
    ("scalers-width", edit("target", "mean", value=[[1.0, 2.0]], file="scalers.json"),
     ["scalers.json", "target: expected mean and std of 1 column(s)", "widths [1, 2]"]),
    ("scalers-std-zero", edit("target", "std", value=[[0.0]], file="scalers.json"),
     ["scalers.json", "target std must be a list, each a list, each a finite number > 0"]),
    ("scalers-string", edit("target", "log", value="no", file="scalers.json"),
     ["scalers.json", "target log must be true or false, got 'no'"]),
]


def copy_model(source: Path, cli) -> Path:
    model = cli.cwd.parent / "model"
    shutil.copytree(source, model)
    return model


@pytest.mark.parametrize(("corrupt", "fragments"), [c[1:] for c in FORECAST_CASES],
                         ids=[c[0] for c in FORECAST_CASES])
def test_forecast_predict_refuses_corrupt_model(cli, forecast_model, corrupt, fragments):
    model = copy_model(forecast_model, cli)
    corrupt(model)
    history().to_csv(cli.cwd / "history.csv", index=False)
    cli.mark()
    outcome = cli(["forecast", "predict", str(model), "--data", "history.csv"])
    outcome.assert_user_error(*fragments, code=1)
    cli.assert_untouched()
    assert not (cli.cwd / "pwned").exists()


@pytest.mark.parametrize(("steps", "fragments"), [
    (str(10**12), ["--steps must be between 1 and 100000, got 1000000000000"]),
    (str(MAX_STEPS + 1), [f"--steps must be between 1 and {MAX_STEPS}"]),
    ("0", ["--steps must be between 1"]),
    ("-1", ["--steps must be between 1"]),
])
def test_forecast_predict_caps_steps(cli, forecast_model, steps, fragments):
    history().to_csv(cli.cwd / "history.csv", index=False)
    cli.mark()
    outcome = cli(["forecast", "predict", str(forecast_model), "--data", "history.csv",
                   "--steps", steps])
    outcome.assert_user_error(*fragments, code=2)
    cli.assert_untouched()


def test_forecast_predict_of_dev_zero_is_one_line(cli):
    outcome = cli(["forecast", "predict", "/dev/zero", "--data", "airline"])
    outcome.assert_user_error("/dev/zero", "no such model directory")


def test_forecast_predict_still_works_on_the_intact_model(cli, forecast_model):
    history().to_csv(cli.cwd / "history.csv", index=False)
    outcome = cli(["forecast", "predict", str(forecast_model), "--data", "history.csv",
                   "--steps", "4"])
    outcome.assert_ok()
    assert len(outcome.out.strip().splitlines()) == 1 + 4


def test_forecast_predict_reads_a_model_saved_in_the_older_layout(cli, forecast_model):
    """A forecaster saved before the one task framework (``options``, ``train``,
    ``resolved``, ... side by side in config.json) still predicts the same."""
    model = copy_model(forecast_model, cli)
    header = json.loads((model / "config.json").read_text())
    config = header["config"]
    header["config"] = {"options": config["settings"], "train": config["train"],
                        **config["fitted"]}
    (model / "config.json").write_text(json.dumps(header))
    history().to_csv(cli.cwd / "history.csv", index=False)
    argv = ["forecast", "predict", "--data", "history.csv", "--steps", "4"]
    older = cli([*argv[:2], str(model), *argv[2:]])
    older.assert_ok()
    assert older.out == cli([*argv[:2], str(forecast_model), *argv[2:]]).out


# -- text models -------------------------------------------------------------------------
def text_argv(command: str, model: Path) -> list[str]:
    tail = {"generate": ["--prompt", "to be", "--length", "5"],
            "suggest": ["--prompt", "to be"],
            "evaluate": ["--data", "text.txt"],
            "inspect": ["--text", "to be or not", "--out", "page.html"]}[command]
    return ["text", command, str(model), *tail]


def old_layout(model: Path) -> None:
    """config.json as lstmkit wrote it before the task framework (``params`` and all)."""
    content = json.loads((model / "config.json").read_text())
    config = content["config"]
    content["config"] = {"params": {**config["settings"], "train": config["train"]},
                         **config["fitted"]}
    (model / "config.json").write_text(json.dumps(content))


TEXT_CASES = [
    *common("tokenizer"),
    ("old-layout", old_layout, ["config.json", "written by an older lstmkit", "retrain"]),
    ("missing-settings", cfg("settings", delete=True),
     ["config.json", "field config.settings is missing"]),
    ("missing-fitted", cfg("fitted", delete=True),
     ["config.json", "field config.fitted is missing"]),
    ("fitted-not-object", cfg("fitted", value=[1]),
     ["config.json", "field config.fitted must be an object, got list"]),
    ("settings-not-table", cfg("settings", value=3),
     ["config.json", "field config.settings must be an object, got int"]),
    ("missing-cache", cfg("fitted", "cache", delete=True),
     ["missing key in", "config.json: config.fitted: cache"]),
    ("missing-hidden-size", cfg("settings", "hidden_size", delete=True),
     ["config.json", "field config.settings.hidden_size is missing"]),
    ("hidden-size-string", cfg("settings", "hidden_size", value="big"),
     ["config.json", "settings hidden_size must be an integer", "got 'big'"]),
    ("hidden-size-huge", cfg("settings", "hidden_size", value=10**9),
     ["config.json", "settings hidden_size must be an integer in [1, 65536]"]),
    ("embedding-size-huge", cfg("settings", "embedding_size", value=10**7),
     ["settings embedding_size must be an integer in [1, 65536]"]),
    ("num-layers-huge", cfg("settings", "num_layers", value=10**4),
     ["settings num_layers must be an integer in [1, 64]"]),
    # within the caps but over a terabyte: refused on the meta device, nothing allocated
    ("network-huge", both(cfg("settings", "hidden_size", value=65536),
                          cfg("settings", "num_layers", value=64)),
     ["model.safetensors", "does not match", "missing weight"]),
    ("num-layers-mismatch", cfg("settings", "num_layers", value=2),
     ["model.safetensors", "does not match", "missing weight"]),
    ("hidden-size-mismatch", cfg("settings", "hidden_size", value=16),
     ["model.safetensors", "has shape", "expected"]),
    ("bad-cell", cfg("settings", "cell", value="nope"),
     ["config.json", "settings cell must be one of lstm"]),
    ("bad-level", cfg("settings", "level", value="byte"), ["config.json", "level"]),
    ("unknown-setting", cfg("settings", "evil", value=1),
     ["config.json", "settings: evil", "valid keys:", "hidden_size"]),
    ("threads-huge", cfg("settings", "num_threads", value=10**9),
     ["settings num_threads must be an integer in [1, 1024]"]),
    ("train-lr-string", cfg("train", "lr", value="x"), ["config.json", "train lr"]),
    ("metrics-wrong", cfg("fitted", "metrics", value={"val_bpc": "low"}),
     ["config.fitted metrics.val_bpc must be a", "got 'low'"]),
    ("cache-lam", cfg("fitted", "cache", "lam", value=5.0),
     ["config.fitted cache.lam must be a finite number in [0, 1], got 5.0"]),
    ("cache-size-huge", cfg("fitted", "cache", "size", value=10**9),
     ["config.fitted cache.size must be an integer in [1, 1000000]"]),
    ("cache-extra", cfg("fitted", "cache", "evil", value=1),
     ["config.fitted cache.evil is not a key of the table; valid keys: size, theta"]),
    ("tokenizer-level", edit("level", value="byte", file="tokenizer.json"),
     ["tokenizer.json", "not an lstmkit tokenizer"]),
    ("tokenizer-vocab", edit("vocab", value="abc", file="tokenizer.json"),
     ["tokenizer.json", "not an lstmkit tokenizer"]),
    ("vocab-mismatch", edit("vocab", value=list("abc"), file="tokenizer.json"),
     ["model.safetensors", "embedding.weight has shape"]),
]
COMMANDS = ("generate", "suggest", "evaluate", "inspect")
# every command gets every fourth case, so each command sees every kind of fault
TEXT_TABLE = [(COMMANDS[i % 4], *case) for i, case in enumerate(TEXT_CASES)]


@pytest.mark.parametrize(("command", "corrupt", "fragments"), [c[:1] + c[2:]
                                                               for c in TEXT_TABLE],
                         ids=[f"{c[0]}-{c[1]}" for c in TEXT_TABLE])
def test_text_commands_refuse_corrupt_model(cli, text_model, command, corrupt, fragments):
    model = copy_model(text_model, cli)
    corrupt(model)
    (cli.cwd / "text.txt").write_text(TEXT)
    cli.mark()
    outcome = cli(text_argv(command, model))
    outcome.assert_user_error(*fragments, code=1)
    cli.assert_untouched()
    assert not (cli.cwd / "pwned").exists()


@pytest.mark.parametrize(("argv", "fragment"), [
    (["generate", "--prompt", "to", "--length", "-1"], "--length must be between 1 and"),
    (["generate", "--prompt", "to", "--length", str(MAX_LENGTH + 1)],
     f"--length must be between 1 and {MAX_LENGTH}"),
    (["generate", "--prompt", "to", "--beam", "0"], "--beam must be between 1"),
    (["generate", "--prompt", "to", "--beam", str(MAX_BEAM + 1)],
     f"--beam must be between 1 and {MAX_BEAM}"),
    (["suggest", "--prompt", "to", "--top", "0"], "--top must be between 1"),
    (["suggest", "--prompt", "to", "--top", "-5"], "--top must be between 1"),
    (["suggest", "--prompt", "to", "--top", str(10**9)],
     f"--top must be between 1 and {MAX_TOP}"),
])
def test_text_commands_cap_counts(cli, text_model, argv, fragment):
    cli.mark()
    outcome = cli(["text", argv[0], str(text_model), *argv[1:]])
    outcome.assert_user_error(fragment, code=2)
    cli.assert_untouched()


def test_text_generate_still_works_on_the_intact_model(cli, text_model):
    outcome = cli(["text", "generate", str(text_model), "--prompt", "to be", "--length", "3",
                   "--seed", "0"])
    outcome.assert_ok()
    assert outcome.out.startswith("to be") and len(outcome.out) == len("to be") + 3 + 1
