"""The ``text`` task: train a :class:`~lstmkit.tasks.text.TextModel` from an experiment
(``lstmkit train exp.toml`` with ``task = "text"``, or ``lstmkit text train``).

The dataset's last ``test_fraction`` is held out and scored at the end (``test_*`` by the
network alone, ``test_*_with_cache`` with the model's cache, like the validation
metrics); validation is carved from the end of the rest. The model goes to
``run_dir/model`` and the metrics to ``run_dir/metrics.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

from ...data.text import read_text
from ...io import atomic_write
from ...settings import Fraction
from ..registry import TaskResult, TaskRun, estimator_from_settings, register_task
from .estimator import TextModel
from .settings import TextSettings


@dataclass(frozen=True)
class TextTaskSettings(TextSettings):
    """The ``[task]`` table of the text task: the settings of a :class:`TextModel` (see
    :class:`~lstmkit.tasks.text.TextSettings`) and the held-out test part.

    Attributes:
        test_fraction: share at the end of the data held out for the final test score.
    """

    label: ClassVar[str] = "[task]"

    test_fraction: Fraction = 0.1


def run_text(run: TaskRun) -> TaskResult:
    """Fit on the dataset, score the held-out end, save the model and ``metrics.json``."""
    text = read_text(run.data.path)
    cut = len(text) - int(len(text) * run.options.test_fraction)
    train_text, test_text = text[:cut], text[cut:]
    model = estimator_from_settings(TextModel, run).fit(
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


register_task("text", run_text, options=TextTaskSettings, estimator=TextModel,
              uses_data=True, description="Character- or word-level language model of a text")
