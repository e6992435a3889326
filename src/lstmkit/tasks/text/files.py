"""Saving and loading a :class:`~lstmkit.tasks.text_model.TextModel`: a model directory
of JSON and safetensors (see :mod:`lstmkit.training.model_files`), never a pickle.

Loading checks every field of config.json against the constructor's signature (types,
known keys) and the caps of :mod:`lstmkit.limits`, the tokeniser and the cache
settings, and that the weights fit the network they describe, before anything is
allocated; each failure is one :class:`~lstmkit.errors.ModelFileError` naming the file
and the field.
"""

from __future__ import annotations

import functools
import os
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

from pydantic import AllowInfNan

from ...data.text import tokenizer_from_dict
from ...errors import ModelFileError
from ...limits import (
    MAX_BATCH,
    MAX_CACHE_SIZE,
    MAX_HIDDEN_SIZE,
    MAX_NUM_LAYERS,
    MAX_THREADS,
    MAX_VOCAB_SIZE,
)
from ...models.cache import NeuralCache
from ...training import load_model_dir, save_model_dir
from ...training.config_schema import Schema, check_bounds, signature_schema, validate
from ...training.model_files import load_weights

TASK = "text"  # the task name model directories are written under
BOUNDS = {"params.hidden_size": (1, MAX_HIDDEN_SIZE),
          "params.embedding_size": (1, MAX_HIDDEN_SIZE),
          "params.num_layers": (1, MAX_NUM_LAYERS), "params.max_vocab": (1, MAX_VOCAB_SIZE),
          "params.cache_size": (0, MAX_CACHE_SIZE), "params.batch_size": (1, MAX_BATCH),
          "params.bptt": (1, MAX_BATCH), "params.min_count": (1, MAX_BATCH),
          "cache.size": (1, MAX_CACHE_SIZE), "cache.warmup": (0, MAX_CACHE_SIZE)}
Metric = Annotated[float, AllowInfNan()]  # a diverged run's metrics may be NaN


def write_text_model(model, path: str | os.PathLike) -> Path:
    """Write a fitted model's directory: its settings, metrics and cache in config.json,
    the weights in model.safetensors, the tokeniser in tokenizer.json."""
    cache = getattr(model, "cache_", None)
    config = {"params": model.get_params(), "metrics": getattr(model, "metrics_", {}),
              "cache": asdict(cache) if cache is not None else None}
    return save_model_dir(path, model.model_.state_dict(), config,
                          {"tokenizer": model.tokenizer_.to_dict()}, task=TASK)


@functools.cache
def config_schema(cls) -> type[Schema]:
    """The schema of a text model's ``config``: ``params`` are ``cls``'s constructor
    arguments, as its signature declares them."""
    params = signature_schema(cls.__init__, "TextParams")
    return type("TextConfig", (Schema,), {"__annotations__": {
        "params": params, "metrics": dict[str, Metric], "cache": NeuralCache | None}})


def read_text_model(cls, path: str | os.PathLike):
    """The ``cls`` instance a directory written by :func:`write_text_model` holds.

    Raises:
        ModelFileError: if ``path`` is not a saved text model, or a field of its
            config.json or tokenizer.json is wrong, or the weights do not fit.
    """
    path = Path(path)
    files = load_model_dir(path)
    if files.task != TASK:
        raise ModelFileError(f"{path}: a {files.task or 'untyped'!r} model, not a text model")
    where = path / "config.json"
    config = validate(config_schema(cls), files.config, where, prefix="config")
    check_bounds(config, BOUNDS, where, prefix="config")
    params = config.params.model_dump()
    params["train"] = config.params.train
    threads = params["num_threads"]
    if isinstance(threads, int) and not 1 <= threads <= MAX_THREADS:
        raise ModelFileError(f"{where}: field config.params.num_threads must be between 1 and "
                             f"{MAX_THREADS}, got {threads}")
    try:
        model = cls(**params)
    except ValueError as exc:  # ConfigError too
        raise ModelFileError(f"{where}: {exc}") from None
    model.tokenizer_ = read_tokenizer(files.transforms.get("tokenizer"), path / "tokenizer.json")
    model.model_ = load_weights(path, lambda: model._build(model.tokenizer_.vocab_size),
                                files.state_dict)
    model.cache_ = model.model_.cache = config.cache
    model.metrics_ = config.metrics
    return model


def read_tokenizer(content: dict | None, where: Path):
    """The tokeniser tokenizer.json describes, of at most
    :data:`~lstmkit.limits.MAX_VOCAB_SIZE` tokens."""
    if content is None:
        raise ModelFileError(f"{where}: missing from the model directory (config.json "
                             "lists no 'tokenizer' transform)")
    vocab = content.get("vocab")
    if isinstance(vocab, list) and len(vocab) > MAX_VOCAB_SIZE:
        raise ModelFileError(f"{where}: {len(vocab)} tokens, more than the {MAX_VOCAB_SIZE} "
                             "a vocabulary may have")
    try:
        return tokenizer_from_dict(content)
    except ValueError as exc:
        raise ModelFileError(f"{where}: {exc}") from None
