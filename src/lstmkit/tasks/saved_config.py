"""The layout of a task estimator's saved ``config.json`` (its ``config`` object), checked
before anything is rebuilt from it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ..errors import ModelFileError
from ..training import TrainConfig

SAVED_KEYS = ("settings", "train", "fitted")  # the layout of config.json's "config"


def check_saved_config(cls: type, config: dict[str, Any], where: Path
                       ) -> dict[str, Any]:
    """``config`` if it has today's layout: the tables of :data:`SAVED_KEYS` (JSON
    objects) and nothing else, every setting and training setting present (``save``
    writes them all, so a missing one means a damaged file) — except the settings a
    task added after models of it were first saved: ``cls.added_settings`` maps each
    to the value that reproduces how a model saved without it behaves, filled in.

    Raises:
        ModelFileError: naming ``where`` and the field; for a layout without any of
            :data:`SAVED_KEYS`, saying that an older lstmkit wrote it.
    """
    if not set(SAVED_KEYS) & set(config):
        raise ModelFileError(
            f"{where}: written by an older lstmkit model format (its config holds "
            f"{', '.join(sorted(config)) or 'nothing'}, not {', '.join(SAVED_KEYS)}); "
            f"retrain the {cls.__name__} with this lstmkit")
    unknown = sorted(set(config) - set(SAVED_KEYS))
    if unknown:
        raise ModelFileError(f"{where}: unknown field config.{unknown[0]}; valid: "
                             f"{', '.join(SAVED_KEYS)}")
    added = getattr(cls, "added_settings", {})
    if added and isinstance(config.get("settings"), dict):
        config = {**config, "settings": {**added, **config["settings"]}}
    for key, table in zip(SAVED_KEYS, (cls.settings_class, TrainConfig, None), strict=True):
        if not isinstance(config.get(key), dict):
            raise ModelFileError(f"{where}: field config.{key} " + (
                "is missing" if key not in config else
                f"must be an object, got {type(config[key]).__name__}"))
        missing = [f.name for f in dataclasses.fields(table) if f.name not in config[key]] \
            if table else []
        if missing:
            raise ModelFileError(f"{where}: field config.{key}.{missing[0]} is missing")
    return config
