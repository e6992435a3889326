"""The ``text`` task: train a :class:`~lstmkit.tasks.text_model.TextModel` from an
experiment (``lstmkit train exp.toml`` with ``task = "text"``, or ``lstmkit text train``).

The dataset's last ``test_fraction`` is held out and scored at the end (``test_*`` by the
network alone, ``test_*_with_cache`` with the model's cache, like the validation
metrics); validation is carved from the end of the rest. The model goes to
``run_dir/model`` and the metrics to ``run_dir/metrics.json``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import ClassVar, Literal

from ...data.text import read_text
from ...io import atomic_write
from ...limits import (
    MAX_BATCH,
    MAX_CACHE_SIZE,
    MAX_HIDDEN_SIZE,
    MAX_NUM_LAYERS,
    MAX_THREADS,
    MAX_VOCAB_SIZE,
)
from ...settings import (
    CellName,
    Count,
    DropProbability,
    Flag,
    Fraction,
    NonNegativeFloat,
    Settings,
    count,
)
from ..registry import TaskResult, TaskRun, register_task
from .estimator import TextModel


@dataclass(frozen=True)
class TextOptions(Settings):
    """The ``[task]`` table of the text task.

    Attributes:
        level: ``"char"`` or ``"word"`` tokens.
        cell: the recurrent cell (any registered name).
        embedding_size: width of the token embeddings.
        hidden_size: width of each recurrent layer.
        num_layers: stacked recurrent layers.
        dropout: dropout between recurrent layers.
        embedding_dropout: probability of dropping a whole token's embedding.
        input_dropout: variational dropout of the embeddings.
        output_dropout: variational dropout of the last layer's outputs.
        weight_dropout: DropConnect on the recurrent weights.
        tie_weights: share the embedding matrix with the output layer.
        cache_size: past tokens in the continuous cache fitted on validation (0: none).
        ar: activation regularisation strength.
        tar: temporal activation regularisation strength.
        max_vocab: vocabulary size limit; 0 means none at char level, 20 000 at word level.
        min_count: keep tokens seen at least this many times.
        batch_size: parallel rows of the training stream.
        bptt: tokens per truncated-BPTT window.
        val_fraction: share of the training part used for validation.
        test_fraction: share at the end of the data held out for the final test score.
        minutes: train for this many minutes instead of ``[train] epochs`` (0: off).
        num_threads: torch threads while training: a count, "auto" (the idle cores) or
            0 (torch's setting).
    """

    label: ClassVar[str] = "[task]"

    level: Literal["char", "word"] = "char"
    cell: CellName = "lstm"
    embedding_size: count(MAX_HIDDEN_SIZE) = 64
    hidden_size: count(MAX_HIDDEN_SIZE) = 384
    num_layers: count(MAX_NUM_LAYERS) = 1
    dropout: DropProbability = 0.0
    embedding_dropout: DropProbability = 0.0
    input_dropout: DropProbability = 0.1
    output_dropout: DropProbability = 0.25
    weight_dropout: DropProbability = 0.0
    tie_weights: Flag = False
    cache_size: count(MAX_CACHE_SIZE, 0) = 4000
    ar: NonNegativeFloat = 0.0
    tar: NonNegativeFloat = 0.0
    max_vocab: count(MAX_VOCAB_SIZE, 0) = 0
    min_count: Count = 1
    batch_size: count(MAX_BATCH) = 32
    bptt: count(MAX_BATCH) = 64
    val_fraction: Fraction = 0.05
    test_fraction: Fraction = 0.1
    minutes: NonNegativeFloat = 0.0
    num_threads: count(MAX_THREADS, 0) | Literal["auto"] = "auto"


def text_model_from_options(options: TextOptions, run: TaskRun) -> TextModel:
    """The unfitted estimator an options table describes."""
    params = asdict(options)
    params.pop("test_fraction")
    params["max_vocab"] = params["max_vocab"] or None
    params["minutes"] = params["minutes"] or None
    params["num_threads"] = params["num_threads"] or None
    return TextModel(**params, train=run.train, progress=run.progress)


def run_text(run: TaskRun) -> TaskResult:
    """Fit on the dataset, score the held-out end, save the model and ``metrics.json``."""
    text = read_text(run.data.path)
    options: TextOptions = run.options
    cut = len(text) - int(len(text) * options.test_fraction)
    train_text, test_text = text[:cut], text[cut:]
    model = text_model_from_options(options, run).fit(
        train_text, callbacks=run.callbacks, checkpoint_dir=run.checkpoint_dir,
        resume=run.resume, run_config=run.run_config)
    metrics = dict(model.metrics_)
    if test_text:  # named like the validation metrics: the network, then with the cache
        metrics.update({f"test_{k}": v
                        for k, v in model.evaluate(test_text, cache=False).items()})
        if model.cache_ is not None:
            metrics.update({f"test_{k}_with_cache": v for k, v in
                            model.evaluate(test_text).items() if k != "tokens"})
    model.save(run.model_dir)
    atomic_write(run.run_dir / "metrics.json", json.dumps(metrics, indent=2).encode())
    return TaskResult(metrics=metrics, model_dir=run.model_dir, history=model.history_)


register_task("text", run_text, options=TextOptions, uses_data=True,
              description="Character- or word-level language model of a text")
