"""The tag task end to end: the outputs of ``lstmkit tag``, ``lstmkit tag predict``,
seeds as mean ± sd, and the proof that test labels change nothing before the final
evaluation."""

from __future__ import annotations

import csv
import json

import pytest

from lstmkit.cli.main import main
from lstmkit.data.conll import read_tagged

TINY = ["--epochs", "2", "--hidden-size", "6", "--word-size", "6", "--char-size", "4",
        "--char-hidden-size", "4", "--no-tracking"]
WORDS = [("the", "DT"), ("a", "DT"), ("dog", "NN"), ("cat", "NN"), ("runs", "VB"),
         ("sleeps", "VB"), ("fast", "RB")]


def write_corpus(path, n=40, *, test_tags=None):
    """``n`` sentences DT NN VB (RB); ``test_tags`` replaces the tags of the test part."""
    lines = []
    for i in range(n):
        pairs = [WORDS[i % 2], WORDS[2 + i % 2], WORDS[4 + (i // 2) % 2]]
        if i % 3 == 0:
            pairs.append(WORDS[6])
        if i % 10 == 9 and test_tags is not None:
            pairs = [(w, test_tags[j % len(test_tags)]) for j, (w, _) in enumerate(pairs)]
        lines.append("".join(f"{w}\t{t}\n" for w, t in pairs))
    path.write_text("\n".join(lines))


def run(argv):
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code in (0, None), exc


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def test_tag_writes_metrics_predictions_report_and_model(work):
    write_corpus(work / "c.conll")
    run(["tag", "--data", "c.conll", "--out", "out", *TINY])
    metrics = json.loads((work / "out" / "metrics.json").read_text())
    assert set(metrics["model"]["token_accuracy"]) == {"mean", "sd", "runs"}
    assert 0 <= metrics["most_frequent_tag"]["token_accuracy"] <= 1
    assert metrics["split"]["test"]["sentences"] == 4
    assert metrics["split"]["validation"]["sentences"] == 4
    predicted = (work / "out" / "predictions.conll").read_text().split("\n\n")[0]
    assert predicted.splitlines()[0].split("\t")[:2] == ["a", "DT"]  # sentence 9, gold
    rows = list(csv.DictReader((work / "out" / "tag_report.csv").open()))
    assert {r["tag"] for r in rows} >= {"DT", "NN", "VB"} and "baseline_f1" in rows[0]
    assert (work / "out" / "model" / "model.safetensors").is_file()
    (work / "new.txt").write_text("the\ndog\nruns\n\na\ncat\n")
    run(["tag", "predict", "out", "--data", "new.txt", "--out", "tagged.txt"])
    tagged = read_tagged(work / "tagged.txt")
    assert tagged.sentences == [["the", "dog", "runs"], ["a", "cat"]]
    assert [len(t) for t in tagged.tags] == [3, 2]


def test_tag_seeds_give_mean_and_sd(work):
    write_corpus(work / "c.conll")
    run(["tag", "--data", "c.conll", "--out", "out", "--seeds", "2", *TINY])
    metrics = json.loads((work / "out" / "metrics.json").read_text())
    accuracy = metrics["model"]["token_accuracy"]
    assert metrics["seeds"] == 2 and len(accuracy["runs"]) == 2
    assert accuracy["mean"] == pytest.approx(sum(accuracy["runs"]) / 2)
    assert accuracy["sd"] == pytest.approx(abs(accuracy["runs"][0] - accuracy["runs"][1])
                                           / 2 ** 0.5)


def test_tag_test_labels_change_nothing_before_the_final_evaluation(work):
    """Honest model selection: the same data with other test-part labels trains the
    same model, byte for byte (training, early stopping and the best epoch never read
    the test part); only the final scores move."""
    write_corpus(work / "a.conll")
    write_corpus(work / "b.conll", test_tags=["RB"])
    run(["tag", "--data", "a.conll", "--out", "a", *TINY])
    run(["tag", "--data", "b.conll", "--out", "b", *TINY])
    weights = [(work / d / "model" / "model.safetensors").read_bytes() for d in "ab"]
    assert weights[0] == weights[1]
    config = [json.loads((work / d / "model" / "config.json").read_text()) for d in "ab"]
    assert config[0]["config"] == config[1]["config"]
    scores = [json.loads((work / d / "metrics.json").read_text()) for d in "ab"]
    assert scores[0]["model"] != scores[1]["model"]
    assert scores[0]["most_frequent_tag"] != scores[1]["most_frequent_tag"]


def test_tag_ensemble_keeps_member_checkpoints_and_saves_one_model(work):
    write_corpus(work / "c.conll")
    run(["tag", "--data", "c.conll", "--out", "out", "--n-models", "2", *TINY])
    assert (work / "out" / "checkpoints" / "best.safetensors").is_file()
    assert (work / "out" / "checkpoints" / "member-1" / "best.safetensors").is_file()
    saved = json.loads((work / "out" / "model" / "config.json").read_text())
    assert saved["config"]["settings"]["n_models"] == 2
    (work / "new.txt").write_text("the\ndog\nruns\n")
    run(["tag", "predict", "out", "--data", "new.txt", "--out", "tagged.txt"])
    assert read_tagged(work / "tagged.txt").sentences == [["the", "dog", "runs"]]


def test_tag_unlabelled_file_extends_the_vocabulary_of_the_saved_model(work):
    """``--unlabelled FILE``: the words of its lines (whitespace tokens, min_count 1)
    join the saved model's vocabulary; without it they are unknown."""
    from lstmkit.tasks.tagging import SequenceTagger

    write_corpus(work / "c.conll")
    (work / "raw.txt").write_text("the zebra sleeps\n\n  a zebra runs fast  \n")
    run(["tag", "--data", "c.conll", "--out", "with", "--unlabelled", "raw.txt", *TINY])
    run(["tag", "--data", "c.conll", "--out", "without", *TINY])
    words = {d: SequenceTagger.load(work / d / "model").inputs_.words.pieces
             for d in ("with", "without")}
    assert "zebra" in words["with"] and "zebra" not in words["without"]
    assert set(words["without"]) < set(words["with"])
