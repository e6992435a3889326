"""The ``tag`` task: ``lstmkit tag`` and ``lstmkit train`` with ``task = "tag"``.

Reads a tagged file (CoNLL, CoNLL-U) or the bundled Turkish Web Treebank tags, splits
it by a fixed rule (:func:`split_corpus`), fits one :class:`SequenceTagger` per seed on
the training part with early stopping on the validation part, and only then reads the
test part, once, to score every model and the most-frequent-tag baseline. Writes into
the run directory:

* ``metrics.json``: ``{"model": {metric: {"mean", "sd", "runs"}}, "most_frequent_tag":
  {metric: value}, "split": {...}}`` on the test part;
* ``predictions.conll``: ``token<TAB>gold<TAB>predicted`` lines of the test part (the
  first seed's model), a blank line after each sentence;
* ``tag_report.csv``: per tag, its test support and the token-level precision, recall
  and F1 of the model (first seed) and of the baseline;
* ``model/``: the first seed's model.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ...data.conll import TaggedCorpus, read_tagged, write_tagged
from ...data.registry import DatasetRef, bundled_catalog
from ...data.text import read_lines
from ...errors import DatasetError
from ...io import atomic_write
from ...settings import count
from ..registry import TaskResult, TaskRun, estimator_from_settings, register_task
from .baselines import MostFrequentTag
from .estimator import SequenceTagger
from .metrics import per_tag_report, tagging_scores
from .settings import TaggerSettings


@dataclass(frozen=True)
class TagTaskSettings(TaggerSettings):
    """The ``[task]`` table of the tag task: how to read the data, then the tagger's
    settings (see :class:`~lstmkit.tasks.tagging.TaggerSettings`).

    Attributes:
        format: ``conll`` (whitespace-separated columns, the token first), ``conllu``
            (Universal Dependencies), ``tokens`` (one token per line, no tags: for
            ``lstmkit tag predict``) or ``auto`` (``conllu`` for ``*.conllu`` files).
        column: the tag column: a CoNLL-U column name (default upos) or a CoNLL column
            index (default the last).
        seeds: models trained, each from its own seed; the test scores are their mean
            ± standard deviation.
        unlabelled: a UTF-8 text file of untagged sentences, one per line, tokens
            separated by whitespace: their words join the vocabulary and the word
            embedding starts from word vectors learned from them and the training
            sentences (``SequenceTagger.fit(..., unlabelled=...)``).
    """

    format: Literal["auto", "conll", "conllu", "tokens"] = "auto"
    column: str | None = None
    seeds: count(100) = 1
    unlabelled: str | None = None


@dataclass(frozen=True)
class Split:
    """The three parts of a tagged corpus."""

    train: TaggedCorpus
    validation: TaggedCorpus
    test: TaggedCorpus


def read_corpus(data: DatasetRef, format: str = "auto", column: str | None = None
                ) -> TaggedCorpus:
    """The tagged sentences of a dataset (a bundled one's format from the catalog)."""
    meta = bundled_catalog().get(data.name, {}).get("tagging") if data.kind == "bundled" \
        else None
    if meta is None and data.kind == "bundled":
        raise DatasetError(f"dataset {data.name!r} is not a tagged corpus; bundled tagged "
                           f"corpora: {', '.join(tagged_datasets())}")
    if meta is not None:
        format, column = meta["format"], column or meta["column"]
    corpus = read_tagged(data.path, format=None if format == "auto" else format,
                         column=column)
    if corpus.tags is None:
        raise DatasetError(f"{data.path}: has no tag column (column none); training needs "
                           "tags")
    return corpus


def tagged_datasets() -> list[str]:
    """The bundled datasets that are tagged corpora."""
    return sorted(n for n, e in bundled_catalog().items() if "tagging" in e)


def split_corpus(corpus: TaggedCorpus) -> Split:
    """The fixed split of the Turkish treebank's own reader, for every corpus: sentence
    i is test when ``i % 10 == 9``, validation when ``i % 10 == 8``, training otherwise.

    Raises:
        DatasetError: with fewer than 10 sentences, or when a tag of the test part
            never occurs in the training or validation part.
    """
    if len(corpus) < 10:
        raise DatasetError(f"{corpus.source}: {len(corpus)} sentence"
                           f"{'s' * (len(corpus) != 1)}; the split (every 10th sentence "
                           "for testing, every 10th + 8 for validation) needs at least 10")
    parts = [[i for i in range(len(corpus)) if i % 10 in rest]
             for rest in ((0, 1, 2, 3, 4, 5, 6, 7), (8,), (9,))]
    split = Split(*(corpus.subset(p) for p in parts))
    seen = {t for part in (split.train, split.validation) for seq in part.tags for t in seq}
    unseen = sorted({t for seq in split.test.tags for t in seq} - seen)
    if unseen:
        raise DatasetError(f"{corpus.source}: tag{'s' * (len(unseen) > 1)} "
                           f"{', '.join(map(repr, unseen[:5]))} occur only in the test part "
                           "(every 10th sentence); a model cannot learn a tag it never sees")
    return split


def read_unlabelled(settings: TagTaskSettings) -> dict[str, list[list[str]]]:
    """``{"unlabelled": sentences}`` read from the ``unlabelled`` file (a line each,
    split on whitespace), or ``{}`` without one."""
    if settings.unlabelled is None:
        return {}
    return {"unlabelled": [line.split() for line in read_lines(settings.unlabelled)]}


def fit_models(run: TaskRun, split: Split) -> list[SequenceTagger]:
    """One tagger per seed, fitted on the training part with the validation part for
    early stopping; the test part is not touched."""
    models, extra = [], read_unlabelled(run.options)
    for i in range(run.options.seeds):
        train = dataclasses.replace(run.train, seed=run.train.seed + i)
        model = estimator_from_settings(SequenceTagger, run).set_params(train=train)
        folder = run.checkpoint_dir
        if folder is not None and run.options.seeds > 1:
            folder = folder / f"seed{i}"
        models.append(model.fit(split.train.sentences, split.train.tags,
                                validation=(split.validation.sentences,
                                            split.validation.tags),
                                callbacks=run.callbacks, checkpoint_dir=folder,
                                resume=run.resume, run_config=run.run_config, **extra))
    return models


def score_test(models: list[SequenceTagger], split: Split) -> tuple[dict, list, list]:
    """The test scores of every model and of the baseline (the one reading of the test
    part); returns the metrics, the first model's predictions and the baseline's."""
    test = split.test
    predictions = [m.predict(test.sentences) for m in models]
    runs = [tagging_scores(test.tags, p) for p in predictions]
    baseline = MostFrequentTag().fit(split.train.sentences + split.validation.sentences,
                                     split.train.tags + split.validation.tags)
    base_pred = baseline.predict(test.sentences)
    model = {k: summary([r[k] for r in runs]) for k in runs[0]}
    metrics = {"model": model, "most_frequent_tag": tagging_scores(test.tags, base_pred),
               "split": {"rule": "test: sentence i % 10 == 9; validation: i % 10 == 8; "
                                 "training: the rest",
                         **{part: {"sentences": len(c), "tokens": sum(map(len, c.sentences))}
                            for part, c in (("train", split.train),
                                            ("validation", split.validation),
                                            ("test", test))}},
               "seeds": len(models)}
    return metrics, predictions[0], base_pred


def summary(values: list[float]) -> dict[str, Any]:
    """Mean, sample standard deviation (0 for one run) and the runs."""
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": statistics.fmean(values), "sd": sd, "runs": values}


def write_outputs(out: Path, split: Split, metrics: dict, predicted: list, baseline: list
                  ) -> None:
    """metrics.json, predictions.conll and tag_report.csv (see the module docstring)."""
    import csv
    import io

    test = split.test
    atomic_write(out / "metrics.json", json.dumps(metrics, indent=2).encode())
    rows = [[f"{g}\t{p}" for g, p in zip(gold, pred, strict=True)]
            for gold, pred in zip(test.tags, predicted, strict=True)]
    write_tagged(out / "predictions.conll", test.sentences, rows)
    base = {r["tag"]: r for r in per_tag_report(test.tags, baseline)}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["tag", "support", "precision", "recall", "f1", "baseline_f1"])
    for r in per_tag_report(test.tags, predicted):
        writer.writerow([r["tag"], r["support"], f"{r['precision']:.4f}",
                         f"{r['recall']:.4f}", f"{r['f1']:.4f}",
                         f"{base.get(r['tag'], {'f1': 0.0})['f1']:.4f}"])
    atomic_write(out / "tag_report.csv", buffer.getvalue().encode())


def run_tag(run: TaskRun) -> TaskResult:
    """Read, split, fit one model per seed, then score the test part once; see the
    module docstring."""
    s: TagTaskSettings = run.options
    split = split_corpus(read_corpus(run.data, s.format, s.column))
    models = fit_models(run, split)
    metrics, predicted, baseline = score_test(models, split)
    write_outputs(run.run_dir, split, metrics, predicted, baseline)
    models[0].save(run.model_dir)
    flat = {f"test_{k}": v["mean"] for k, v in metrics["model"].items()}
    flat.update({f"baseline_{k}": v for k, v in metrics["most_frequent_tag"].items()})
    return TaskResult(metrics=flat, model_dir=run.model_dir, history=models[0].history_)


register_task("tag", run_tag, options=TagTaskSettings, estimator=SequenceTagger,
              uses_data=True,
              description="Tag every token of CoNLL/CoNLL-U sentences (BiLSTM-CRF)")
