"""TextModel: fit, evaluate, generate, suggest, save/load, time budget."""

import json
import math
import random
import string
import time

import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from lstmkit.data.text import TextError
from lstmkit.errors import ConfigError, ModelFileError
from lstmkit.models import generation
from lstmkit.tasks.text import TextModel
from lstmkit.training import TrainConfig, save_model_dir

TEXT = ("ROMEO:\nBut soft, what light through yonder window breaks?\n"
        "It is the east, and Juliet is the sun.\n\n") * 12
TINY = {"embedding_size": 8, "hidden_size": 24, "batch_size": 4, "bptt": 16,
        "progress": False}


@pytest.fixture(scope="module")
def fitted():
    return TextModel(**TINY, train=TrainConfig(epochs=2, lr=1e-2)).fit(TEXT)


def test_text_model_fit_learns_and_reports_bpc(fitted):
    assert [h["epoch"] for h in fitted.history_] == [1, 2]
    assert fitted.history_[1]["train_loss"] < fitted.history_[0]["train_loss"]
    assert {"val_loss", "val_bpc", "val_tokens"} <= set(fitted.metrics_)
    assert set(fitted.seconds_) == {"train", "cache"} and fitted.seconds_["train"] > 0
    assert fitted.evaluate(TEXT)["bpc"] > 0


def scenes(seed, count):
    """Scenes of the same verse between two speakers whose names are new in each."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        names = ["".join(rng.choices(string.ascii_uppercase, k=6)) for _ in range(2)]
        out += [f"{names[i % 2]}\nwe speak a line of verse.\n\n" for i in range(12)]
    return "".join(out)


def test_text_model_cache_copies_new_names_the_network_cannot_know(tmp_path):
    model = TextModel(**{**TINY, "hidden_size": 48}, cache_size=300,
                      train=TrainConfig(epochs=3, lr=1e-2)).fit(scenes(0, 40))
    assert model.cache_ is not None and model.cache_.lam > 0
    assert model.metrics_["val_bpc_with_cache"] < model.metrics_["val_bpc"]
    new = scenes(1, 4)
    assert model.evaluate(new)["bpc"] < 0.9 * model.evaluate(new, cache=False)["bpc"]
    model.save(tmp_path / "m")
    loaded = TextModel.load(tmp_path / "m")
    assert loaded.cache_ == model.cache_ and loaded.evaluate(new) == model.evaluate(new)
    with_cache = model.generate("AB", length=40, seed=1, cache=True)
    assert loaded.generate("AB", length=40, seed=1, cache=True) == with_cache
    plain = model.generate("AB", length=40, seed=1)  # generation leaves the cache out
    suggested = model.suggest(new[:400], top=3)
    assert model.suggest(new[:400], top=3, cache=False) != suggested
    model.network_.cache = None
    assert model.generate("AB", length=40, seed=1) == plain
    assert model.suggest(new[:400], top=3) != suggested
    without = TextModel(**TINY, cache_size=0, train=TrainConfig(epochs=1)).fit(scenes(0, 5))
    assert without.cache_ is None and "val_bpc_with_cache" not in without.metrics_
    assert without.evaluate(new) == without.evaluate(new, cache=False)


def test_text_model_cache_size_must_be_a_count():
    with pytest.raises(ConfigError, match=r"^TextModel: cache_size must be an integer in "
                       r"\[0, \d+\], got -1$"):
        TextModel(cache_size=-1)


def test_text_model_generate_same_seed_same_text(fitted):
    a = fitted.generate("ROMEO", length=60, seed=3)
    assert len(a) == 60 and a == fitted.generate("ROMEO", length=60, seed=3)


def test_text_model_generate_streams_the_returned_text(fitted):
    pieces = []
    out = fitted.generate("It is", length=30, seed=0, top_k=5, stream=pieces.append)
    assert "".join(pieces) == out


def test_text_model_suggest_sorted_and_sum_at_most_one(fitted):
    suggestions = fitted.suggest("Juliet is the s", top=8)
    probs = [p for _, p in suggestions]
    assert len(suggestions) == 8 and probs == sorted(probs, reverse=True)
    assert sum(probs) <= 1.0 + 1e-6 and all(len(t) == 1 for t, _ in suggestions)


def is_word(text):
    return all(c.isalnum() or c in "'’" for c in text)


def test_text_model_suggest_words_complete_the_partial_word(fitted):
    suggestions = fitted.suggest("Juliet is the s", top=6, words=True)
    words, probs = [w for w, _ in suggestions], [p for _, p in suggestions]
    assert len(suggestions) == 6 and len(set(words)) == 6
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-6
    assert all(w.startswith("s") and is_word(w) for w in words)
    assert any(len(w) > 1 for w in words)


def test_text_model_suggest_words_probability_is_exact(fitted):
    prompt = "It is the ea"
    ids, vocab = fitted.encode_prompt(prompt), fitted.tokenizer_.vocab_
    boundaries = [i for i, c in enumerate(vocab) if i > 0 and not is_word(c)]
    for word, p in fitted.suggest(prompt, top=4, words=True):
        tail = fitted.tokenizer_.encode(word.removeprefix("ea"))
        exact = sum(math.exp(generation.sequence_log_prob(fitted.network_, ids, [*tail, b]))
                    for b in boundaries)
        assert word.startswith("ea") and p == pytest.approx(exact, rel=1e-4)


def test_text_model_suggest_words_after_a_space_are_whole_words(fitted):
    suggestions = fitted.suggest("and Juliet is ", top=5, words=True)
    assert len(suggestions) == 5
    assert all(w and is_word(w) for w, _ in suggestions)  # never the empty word
    with pytest.raises(TextError, match=r"^the prompt is empty; give at least one character$"):
        fitted.suggest("", words=True)


def test_text_model_save_load_identical_generations(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    loaded = TextModel.load(tmp_path / "m")
    assert loaded.generate("ROMEO", length=80, seed=7) == fitted.generate(
        "ROMEO", length=80, seed=7)
    assert loaded.generate("ROMEO", length=20, beam=3) == fitted.generate(
        "ROMEO", length=20, beam=3)
    assert loaded.evaluate(TEXT[:300]) == fitted.evaluate(TEXT[:300])


def test_text_model_load_refuses_bad_cache_settings(fitted, tmp_path):
    path = fitted.save(tmp_path / "m") / "config.json"
    config = json.loads(path.read_text())
    config["config"]["fitted"]["cache"] = {"size": -5, "theta": 1.0, "lam": 0.2}
    path.write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match=r"config\.json: config\.fitted cache\.size must "
                       r"be an integer in \[1, 1000000\], got -5"):
        TextModel.load(tmp_path / "m")


def test_text_model_prompt_outside_vocabulary_is_pinned(fitted):
    with pytest.raises(TextError, match=r"^prompt: 'Z' at character 3 is not in the model's "
                       r"char vocabulary \(\d+ tokens\)$"):
        fitted.generate("It Z", length=5)
    with pytest.raises(TextError, match=r"^the prompt is empty; give at least one character$"):
        fitted.suggest("")


def test_text_model_before_fit_raises():
    with pytest.raises(NotFittedError, match=r"^This TextModel instance is not fitted yet: "
                       r"call fit\(\.\.\.\) or TextModel\.load\(path\) first$"):
        TextModel().generate("a")


def test_text_model_load_refuses_other_task(tmp_path):
    save_model_dir(tmp_path / "f", {}, {}, task="forecast")
    with pytest.raises(ModelFileError, match=r"a 'forecast' model, not a 'text' model "
                       r"\(TextModel\)"):
        TextModel.load(tmp_path / "f")


def test_text_model_word_level_reports_perplexity():
    tm = TextModel(level="word", **TINY, train=TrainConfig(epochs=1)).fit(TEXT)
    assert {"val_loss", "val_perplexity", "val_tokens"} <= set(tm.metrics_)
    assert tm.suggest("It is the", top=3)[0][0] in tm.tokenizer_.vocab_
    assert tm.suggest("It is the", top=3, words=True) == tm.suggest("It is the", top=3)
    assert tm.generate("Juliet", length=5, seed=0)


def test_text_model_minutes_budget_is_honoured():
    start = time.monotonic()
    tm = TextModel(**TINY, minutes=1.5 / 60).fit(TEXT * 40)
    assert time.monotonic() - start < 20
    assert len(tm.history_) >= 1


def test_text_model_minutes_budget_runs_to_the_deadline_without_early_stopping():
    # monitoring the validation loss for a *rise* would stop at epoch 2 if early
    # stopping were on; with a budget the run uses the whole time
    train = TrainConfig(early_stopping=1, monitor="val_loss", monitor_mode="max")
    start = time.monotonic()
    tm = TextModel(**TINY, minutes=3 / 60, train=train).fit(TEXT * 4)  # short epochs: >2
    assert time.monotonic() - start >= 3                                # even on a busy machine
    assert len(tm.history_) > 2


def test_text_model_fit_too_short_text_is_pinned():
    with pytest.raises(TextError, match=r"^the training text is too short \(1 tokens\); it "
                       r"needs 2 tokens or more$"):
        TextModel(**TINY, val_fraction=0.0).fit("a")


def test_text_model_is_a_scikit_learn_estimator():
    model = TextModel(**TINY, cache_size=0)
    twin = clone(model)
    assert twin.get_params() == model.get_params() and twin.hidden_size == 24
    assert "max_vocab" in model.get_params() and model.max_vocab is None  # stored unchanged
    assert TextModel(level="word").max_vocab is None  # 20 000 words is decided by fit
    for bad, message in [({"minutes": 0}, r"minutes must be a finite number > 0, got 0"),
                         ({"max_vocab": 0}, r"max_vocab must be an integer in \[1, \d+\]"),
                         ({"level": "byte"}, r"level must be one of char, word; got 'byte'")]:
        with pytest.raises(ConfigError, match=rf"^TextModel: {message}"):
            TextModel(**bad)


def test_text_model_fit_takes_a_string_and_records_its_threads():
    with pytest.raises(TextError, match=r"^TextModel: expected the training text as a str, "
                       r"got list$"):
        TextModel(**TINY).fit(["a", "b"])
    model = TextModel(**TINY, num_threads=1, cache_size=0, train=TrainConfig(epochs=1))
    assert model.fit(TEXT, val_text=TEXT[:200]) is model and model.threads_ == 1
    assert model.metrics_["val_tokens"] == 199  # the given validation text, not a share


def test_text_model_saved_config_holds_settings_train_and_fitted(fitted, tmp_path):
    config = json.loads((fitted.save(tmp_path / "m") / "config.json").read_text())["config"]
    assert set(config) == {"settings", "train", "fitted"}
    assert config["settings"]["hidden_size"] == 24 and config["settings"]["minutes"] is None
    assert set(config["fitted"]) == {"metrics", "cache"} and "val_bpc" in config["fitted"][
        "metrics"]


def test_text_model_load_of_an_older_layout_says_retrain(fitted, tmp_path):
    path = fitted.save(tmp_path / "m") / "config.json"
    header = json.loads(path.read_text())
    header["config"] = {"params": fitted.get_params() | {"train": {}}, "metrics": {},
                        "cache": None}  # the layout before the task framework
    path.write_text(json.dumps(header))
    with pytest.raises(ModelFileError, match=r"m/config\.json: written by an older lstmkit "
                       r"model format \(its config holds cache, metrics, params, not settings, "
                       r"train, fitted\); retrain the TextModel with this lstmkit$"):
        TextModel.load(tmp_path / "m")


def test_text_model_load_checks_the_weights_before_allocating(fitted, tmp_path):
    # 65 536 units in 64 layers would take over a terabyte: the check on the meta device
    # refuses the weights before any of it is allocated
    path = fitted.save(tmp_path / "m") / "config.json"
    header = json.loads(path.read_text())
    header["config"]["settings"].update(hidden_size=65536, num_layers=64)
    path.write_text(json.dumps(header))
    with pytest.raises(ModelFileError, match=r"m/model\.safetensors: does not match the "
                       r"network config\.json describes: missing weight rnn\.weight_ih_l1 "):
        TextModel.load(tmp_path / "m")


def test_text_task_registers_the_estimator_and_documents_every_setting():
    from dataclasses import fields

    from lstmkit.cli.help_text import field_help
    from lstmkit.tasks.registry import get_task
    from lstmkit.tasks.text.task import TextTaskSettings

    spec = get_task("text")
    assert spec.estimator is TextModel and spec.options is TextTaskSettings
    helps = field_help(TextTaskSettings)  # its own entry and the inherited ones
    assert set(helps) == {f.name for f in fields(TextTaskSettings)}
    assert helps["test_fraction"].startswith("share at the end of the data")
    assert helps["hidden_size"] == "width of each recurrent layer."
