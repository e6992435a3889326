"""The built-in ``adding`` task: learn the adding problem (Hochreiter & Schmidhuber 1997)
with a :class:`~lstmkit.tasks.adding.estimator.SequenceRegressor`.

It needs no data file, so ``lstmkit train`` works out of the box::

    [experiment]
    task = "adding"
    [task]
    seq_len = 50
"""

from __future__ import annotations

from dataclasses import dataclass

from ...data.registry import describe_tensors
from ...data.synthetic import ADDING_MEAN_BASELINE_MSE, adding_problem
from ...settings import Count, NonNegativeInt
from ..registry import TaskResult, TaskRun, estimator_from_settings, register_task
from .estimator import RegressorSettings, SequenceRegressor


@dataclass(frozen=True)
class AddingSettings(RegressorSettings):
    """The ``[task]`` table of the adding task: the data, then the estimator's settings.

    Attributes:
        seq_len: steps T per sequence.
        n_train: sequences to fit on (the last ``val_fraction`` of them validate).
        n_test: sequences held out and scored once, at the end.
        data_seed: seed of the generated data.
        cell: the recurrent cell (any registered name).
        hidden_size: units of each recurrent layer.
        num_layers: stacked recurrent layers.
        batch_size: sequences per training step.
        val_fraction: share of the training sequences held out for validation.
    """

    seq_len: Count = 50
    n_train: Count = 2500
    n_test: Count = 1000
    data_seed: NonNegativeInt = 0


def run_adding(run: TaskRun) -> TaskResult:
    """Generate the data, fit, score the test sequences once, save the model."""
    s: AddingSettings = run.options
    x, y = adding_problem(s.n_train, s.seq_len, seed=3 * s.data_seed)
    x_test, y_test = adding_problem(s.n_test, s.seq_len, seed=3 * s.data_seed + 2)
    run.tracker.log_dataset(describe_tensors(
        f"adding_problem(T={s.seq_len})",
        f"lstmkit.data.synthetic.adding_problem(seed={3 * s.data_seed})", {"x": x, "y": y}))
    model = estimator_from_settings(SequenceRegressor, run).fit(
        x, y, callbacks=run.callbacks, checkpoint_dir=run.checkpoint_dir, resume=run.resume,
        run_config=run.run_config)
    test_mse = float(((model.predict(x_test) - y_test.numpy()) ** 2).mean())
    model.save(run.model_dir)
    return TaskResult({"test_mse": test_mse,
                       "test_mse_vs_mean": test_mse / ADDING_MEAN_BASELINE_MSE},
                      run.model_dir, model.history_)


register_task("adding", run_adding, options=AddingSettings, estimator=SequenceRegressor,
              description="the adding problem (synthetic long-memory regression)")
