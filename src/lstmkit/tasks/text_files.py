"""Saving and loading a :class:`~lstmkit.tasks.text_model.TextModel`: a model directory
of JSON and safetensors (see :mod:`lstmkit.training.model_files`), never a pickle."""

from __future__ import annotations

import os
from dataclasses import asdict, fields
from pathlib import Path

from ..data.text import tokenizer_from_dict
from ..errors import ModelFileError
from ..models.cache import NeuralCache
from ..training import TrainConfig, load_model_dir, save_model_dir

TASK = "text"  # the task name model directories are written under


def write_text_model(model, path: str | os.PathLike) -> Path:
    """Write a fitted model's directory: its settings, metrics and cache in config.json,
    the weights in model.safetensors, the tokeniser in tokenizer.json."""
    cache = getattr(model, "cache_", None)
    config = {"params": model.get_params(), "metrics": getattr(model, "metrics_", {}),
              "cache": asdict(cache) if cache is not None else None}
    return save_model_dir(path, model.model_.state_dict(), config,
                          {"tokenizer": model.tokenizer_.to_dict()}, task=TASK)


def read_text_model(cls, path: str | os.PathLike):
    """The ``cls`` instance a directory written by :func:`write_text_model` holds.

    Raises:
        ModelFileError: if ``path`` is not a saved text model, or its tokeniser or cache
            settings are unreadable.
    """
    files = load_model_dir(path)
    if files.task != TASK:
        raise ModelFileError(f"{path}: a {files.task or 'untyped'!r} model, not a text model")
    params = dict(files.config["params"])
    params["train"] = TrainConfig(**{f.name: params["train"][f.name]
                                     for f in fields(TrainConfig) if f.name in params["train"]})
    model = cls(**params)
    try:
        model.tokenizer_ = tokenizer_from_dict(files.transforms["tokenizer"])
    except ValueError as exc:
        raise ModelFileError(f"{Path(path) / 'tokenizer.json'}: {exc}") from None
    model.model_ = model._build(model.tokenizer_.vocab_size)
    model.model_.load_state_dict(files.state_dict)
    model.model_.eval()
    cache = files.config.get("cache")
    try:
        model.cache_ = model.model_.cache = NeuralCache(**cache) if cache else None
    except (TypeError, ValueError) as exc:
        where = Path(path) / "config.json"
        raise ModelFileError(f"{where}: bad cache settings: {exc}") from None
    model.metrics_ = files.config.get("metrics", {})
    return model
