"""``lstmkit text``: the whole path on a tiny model, and one pinned line per bad input."""

from __future__ import annotations

import ast
import json

import pytest

TEXT = ("HAMLET:\nTo be, or not to be, that is the question:\n"
        "Whether 'tis nobler in the mind to suffer.\n\n") * 15
TINY = ["--task.hidden_size=16", "--task.embedding_size=8", "--task.batch_size=4",
        "--task.bptt=16"]


@pytest.fixture(scope="module")
def trained(run, tmp_path_factory):
    root = tmp_path_factory.mktemp("text")
    (root / "play.txt").write_text(TEXT)
    code = run(["text", "train", "--data", str(root / "play.txt"), "--epochs", "1",
                "--out", str(root / "run"), "--no-tracking", *TINY])
    assert code == 0
    return root


def test_text_cli_train_writes_model_and_metrics(trained):
    metrics = json.loads((trained / "run" / "metrics.json").read_text())
    assert {"val_bpc", "test_bpc"} <= set(metrics)
    assert (trained / "run" / "model" / "tokenizer.json").exists()


def test_text_cli_evaluate_prints_json(run, trained, capsys):
    assert run(["text", "evaluate", str(trained / "run"), "--data",
                str(trained / "play.txt")]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["bpc"] > 0
    assert captured.err.startswith("bits per character: ")


def test_text_cli_evaluate_no_cache_scores_the_network_alone(run, trained, capsys):
    metrics = json.loads((trained / "run" / "metrics.json").read_text())
    assert metrics["val_bpc_with_cache"] < metrics["val_bpc"]  # the text repeats: it copies
    assert metrics["test_bpc_with_cache"] < metrics["test_bpc"]
    scores = []
    for flags in ([], ["--no-cache"]):
        assert run(["text", "evaluate", str(trained / "run"), "--data",
                    str(trained / "play.txt"), *flags]) == 0
        scores.append(json.loads(capsys.readouterr().out)["bpc"])
    assert scores[0] < scores[1]


def test_text_cli_evaluate_adapt_scores_every_token(run, trained, capsys):
    assert run(["text", "evaluate", str(trained / "run"), "--data",
                str(trained / "play.txt")]) == 0
    static = json.loads(capsys.readouterr().out)
    assert run(["text", "evaluate", str(trained / "run"), "--data",
                str(trained / "play.txt"), "--adapt"]) == 0
    adapted = json.loads(capsys.readouterr().out)
    assert adapted["tokens"] == len(TEXT) - 1 and adapted["bpc"] > 0  # every next char
    assert adapted["bpc"] != static["bpc"]


def test_text_cli_generate_seeded_is_reproducible(run, trained, capsys):
    argv = ["text", "generate", str(trained / "run" / "model"), "--prompt", "To be",
            "--length", "40", "--seed", "1", "--top-p", "0.9"]
    assert run(argv) == 0
    first = capsys.readouterr().out
    assert run(argv) == 0
    assert capsys.readouterr().out == first and first.startswith("To be")
    assert run([*argv, "--cache"]) == 0  # the cache mixed in: another distribution
    cached = capsys.readouterr().out
    assert cached.startswith("To be") and cached != first


def test_text_cli_suggest_and_inspect(run, trained, capsys):
    assert run(["text", "suggest", str(trained / "run"), "--prompt", "To b", "--top", "3"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    page = trained / "page.html"
    assert run(["text", "inspect", str(trained / "run"), "--text", TEXT[:120], "--out",
                str(page)]) == 0
    assert page.exists() and page.with_suffix(".png").exists()


def test_text_cli_suggest_words_prints_whole_words(run, trained, capsys):
    assert run(["text", "suggest", str(trained / "run"), "--prompt", "To b", "--top", "4",
                "--words"]) == 0
    lines = capsys.readouterr().out.splitlines()
    parsed = [(float(line[:6]), ast.literal_eval(line[8:])) for line in lines]
    assert len(lines) == 4 and all(line[6:8] == "  " for line in lines)
    assert [p for p, _ in parsed] == sorted((p for p, _ in parsed), reverse=True)
    assert all(w.startswith("b") and w.replace("'", "").isalnum() for _, w in parsed)


def test_text_cli_suggest_words_empty_prompt_one_line(run, trained, capsys):
    assert run(["text", "suggest", str(trained / "run"), "--prompt", "", "--words"]) == 1
    assert capsys.readouterr().err == "error: the prompt is empty; give at least one character\n"


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty; expected some text"),
    (b"\x89PNG\r\n\x1a\n\x00\x00",
     "looks like a binary file (NUL byte at byte offset 8); expected UTF-8 text"),
    (b"ok \xc3\x28", "not valid UTF-8 at byte offset 3 (byte 0xc3)"),
])
def test_text_cli_bad_data_one_line(run, trained, tmp_path, capsys, content, message):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    assert run(["text", "evaluate", str(trained / "run"), "--data", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {bad}: {message}\n"


def test_text_cli_train_bad_data_one_line(run, tmp_path, capsys):
    (tmp_path / "empty.txt").write_bytes(b"")
    assert run(["text", "train", "--data", str(tmp_path / "empty.txt"), "--no-tracking",
                "--out", str(tmp_path / "run"), *TINY]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'empty.txt'}: is empty; " \
                                      "expected some text\n"


def test_text_cli_prompt_outside_vocabulary_one_line(run, trained, capsys):
    assert run(["text", "generate", str(trained / "run"), "--prompt", "To €", "--length",
                "5"]) == 1
    assert capsys.readouterr().err == ("error: prompt: '€' at character 3 is not in the "
                                       "model's char vocabulary (30 tokens)\n")


def test_text_cli_not_a_model_directory_one_line(run, tmp_path, capsys):
    assert run(["text", "suggest", str(tmp_path), "--prompt", "a"]) == 1
    assert capsys.readouterr().err == (
        f"error: {tmp_path}: not a model directory (no config.json); give the directory "
        "'lstmkit text train' wrote (OUT or OUT/model)\n")
    assert run(["text", "suggest", str(tmp_path / "nope"), "--prompt", "a"]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope'}: no such model directory\n"


def test_text_cli_train_bad_options_one_line(run, tmp_path, capsys):
    assert run(["text", "train", "--minutes", "1", "--epochs", "2", "--no-tracking"]) == 2
    assert capsys.readouterr().err == "error: give --minutes or --epochs, not both\n"
    assert run(["text", "train", "--level", "byte", "--no-tracking",
                "--out", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err == ("error: Invalid value for '--level': Value error, "
                                       "'byte' is not one of 'char', 'word'. (see: lstmkit "
                                       "text train --help)\n")
