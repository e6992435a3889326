"""The built-in ``adding`` task: learn the adding problem (Hochreiter & Schmidhuber 1997).

It needs no data file, so ``lstmkit train`` works out of the box::

    [experiment]
    task = "adding"
    [task]
    seq_len = 50
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..data.registry import describe_tensors
from ..data.synthetic import ADDING_MEAN_BASELINE_MSE, adding_problem
from ..layers import GRU, LSTM, RNN
from ..ranges import check_choice, check_count
from ..training import TensorBatches, Trainer, save_model_dir, seed_everything, supervised_step
from .long_memory import LastStepRegressor
from .registry import TaskResult, TaskRun, register_task

CELLS = ("lstm", "peephole", "multiplicative", "layernorm", "gru", "rnn")


@dataclass(frozen=True)
class AddingOptions:
    """The ``[task]`` table of the adding task.

    Attributes:
        seq_len: steps T per sequence.
        n_train, n_val, n_test: sequences per split.
        cell: ``"lstm"``, ``"peephole"``, ``"multiplicative"``, ``"layernorm"``,
            ``"gru"`` or ``"rnn"``.
        hidden_size: units of the recurrent layer.
        batch_size: sequences per batch.
        data_seed: seed of the generated data.
    """

    seq_len: int = 50
    n_train: int = 2000
    n_val: int = 500
    n_test: int = 1000
    cell: str = "lstm"
    hidden_size: int = 32
    batch_size: int = 64
    data_seed: int = 0

    def __post_init__(self) -> None:
        check_choice("[task]", "cell", self.cell, CELLS)
        for name in ("seq_len", "n_train", "n_val", "n_test", "hidden_size", "batch_size"):
            check_count("[task]", name, getattr(self, name))
        check_count("[task]", "data_seed", self.data_seed, minimum=0)


def build_model(options: AddingOptions) -> LastStepRegressor:
    """A recurrent layer of ``options.cell`` and a linear head on the last step."""
    h = options.hidden_size
    if options.cell == "gru":
        encoder = GRU(2, h, batch_first=True)
    elif options.cell == "rnn":
        encoder = RNN(2, h, batch_first=True)
    else:
        encoder = LSTM(2, h, batch_first=True, cell=options.cell, forget_bias=1.0)
    return LastStepRegressor(encoder, h)


def run_adding(run: TaskRun) -> TaskResult:
    """Generate the three splits, train, score on the test split, save the model."""
    o = run.options
    seed = o.data_seed * 3
    x, y = adding_problem(o.n_train, o.seq_len, seed=seed)
    x_val, y_val = adding_problem(o.n_val, o.seq_len, seed=seed + 1)
    x_test, y_test = adding_problem(o.n_test, o.seq_len, seed=seed + 2)
    run.tracker.log_dataset(describe_tensors(
        f"adding_problem(T={o.seq_len})", f"lstmkit.data.synthetic.adding_problem(seed={seed})",
        {"x": x, "y": y}))
    seed_everything(run.train.seed)
    model = build_model(o)
    trainer = Trainer(model, supervised_step(F.mse_loss), run.train,
                      checkpoint_dir=run.checkpoint_dir, callbacks=run.callbacks,
                      run_config=run.run_config, progress=run.progress)
    trainer.fit(TensorBatches(x, y, batch_size=o.batch_size),
                TensorBatches(x_val, y_val, batch_size=256, shuffle=False), resume=run.resume)
    model.eval()
    with torch.no_grad():
        test_mse = F.mse_loss(model(x_test), y_test).item()
    model_dir = save_model_dir(run.model_dir, model.state_dict(), run.run_config["task"],
                               task="adding")
    return TaskResult({"test_mse": test_mse,
                       "test_mse_vs_mean": test_mse / ADDING_MEAN_BASELINE_MSE},
                      model_dir, trainer.history_)


register_task("adding", run_adding, options=AddingOptions,
              description="the adding problem (synthetic long-memory regression)")
