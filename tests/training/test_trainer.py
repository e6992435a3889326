"""Trainer: the loop, schedules, clipping, early stopping, the non-finite guard, TBPTT."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn.functional import mse_loss

from lstmkit.errors import ConfigError, TrainingStopped
from lstmkit.training import (
    StreamBatches,
    TensorBatches,
    TrainConfig,
    Trainer,
    load_checkpoint,
    supervised_step,
)


def linear_data(n: int = 64) -> TensorBatches:
    torch.manual_seed(0)
    x = torch.randn(n, 3)
    return TensorBatches(x, x @ torch.tensor([[1.0], [-2.0], [0.5]]), batch_size=16)


def test_trainer_fit_reduces_loss_with_adamw():
    model = torch.nn.Linear(3, 1)
    trainer = Trainer(model, supervised_step(mse_loss), TrainConfig(epochs=30, lr=0.1),
                      progress=False).fit(linear_data())
    assert isinstance(trainer.optimizer, torch.optim.AdamW)
    assert trainer.history_[-1]["train_loss"] < 0.05 * trainer.history_[0]["train_loss"]


def test_trainer_same_seed_gives_same_weights():
    weights = []
    for _ in range(2):
        torch.manual_seed(1)
        model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Dropout(0.5),
                                    torch.nn.Linear(8, 1))
        Trainer(model, supervised_step(mse_loss), TrainConfig(epochs=2, seed=5),
                progress=False).fit(linear_data())
        weights.append(model.state_dict())
    torch.testing.assert_close(weights[0], weights[1], rtol=0, atol=0)


def test_trainer_cosine_schedule_with_warmup_ends_at_zero():
    trainer = Trainer(torch.nn.Linear(3, 1), supervised_step(mse_loss),
                      TrainConfig(epochs=2, lr=0.1, schedule="cosine", warmup_steps=4),
                      progress=False).fit(linear_data())
    assert trainer.history_[0]["lr"] == pytest.approx(0.1 * 0.5 * (1 + math.cos(0)))
    assert trainer.history_[-1]["lr"] == pytest.approx(0.0, abs=1e-12)


def test_trainer_grad_clip_bounds_the_update():
    model = torch.nn.Linear(3, 1, bias=False)
    before = model.weight.detach().clone()
    config = TrainConfig(epochs=1, lr=1.0, optimizer="sgd", weight_decay=0, grad_clip=1e-3)
    huge = [(torch.full((4, 3), 1e3), torch.zeros(4, 1))]
    Trainer(model, supervised_step(mse_loss), config, progress=False).fit(huge)
    assert (model.weight - before).norm() <= 1.01e-3


def test_trainer_early_stopping_restores_best_weights():
    model = torch.nn.Linear(3, 1)
    data = linear_data()
    config = TrainConfig(epochs=50, lr=0.5, early_stopping=2, optimizer="sgd")
    val = [(torch.randn(8, 3), torch.randn(8, 1))]  # noise: val stops improving early
    trainer = Trainer(model, supervised_step(mse_loss), config, progress=False).fit(data, val)
    assert trainer.stopped_early and len(trainer.history_) < 50
    assert trainer.best == min(h["val_loss"] for h in trainer.history_)
    assert trainer.evaluate_loss(model, trainer_source(val))["val_loss"] == pytest.approx(
        trainer.best)


def trainer_source(batches):
    from lstmkit.training.batches import as_batch_source

    return as_batch_source(batches)


def test_trainer_unknown_monitor_lists_available_metrics():
    config = TrainConfig(epochs=1, monitor="val_acc")
    with pytest.raises(ConfigError, match="monitor 'val_acc' is not an epoch metric; "
                       "available: epoch, lr, skipped_steps, train_loss"):
        Trainer(torch.nn.Linear(3, 1), supervised_step(mse_loss), config,
                progress=False).fit(linear_data())


def nan_at(steps: set[int]):
    """A step_fn whose loss is NaN on the given (1-based) call numbers."""
    calls = {"n": 0}

    def step(model, batch, state):
        calls["n"] += 1
        loss = mse_loss(model(batch[0]), batch[1])
        return (loss * math.nan if calls["n"] in steps else loss), None

    return step


def test_trainer_nonfinite_step_is_skipped_and_reported(caplog):
    model = torch.nn.Linear(3, 1)
    data = [(torch.randn(4, 3), torch.randn(4, 1))] * 3
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer = Trainer(model, nan_at({2}), TrainConfig(epochs=1, restore_best=False),
                      progress=False).fit(data)
    assert trainer.skipped == 1 and trainer.history_[0]["skipped_steps"] == 1
    assert "step 2: non-finite loss (nan); step skipped (1 in a row, 1 in total)" in caplog.text
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert not torch.equal(before["weight"], model.weight)


def test_trainer_nonfinite_gradients_are_skipped():
    model = torch.nn.Linear(3, 1)
    data = [(torch.ones(1, 3), torch.ones(1, 1))]

    def step(model, batch, state):  # sqrt'(0) = inf: a finite loss with NaN gradients
        return torch.sqrt((model(batch[0]) * 0).sum()), None

    trainer = Trainer(model, step, TrainConfig(epochs=1), progress=False).fit(data)
    assert trainer.skipped == 1


def test_trainer_nonfinite_streak_stops_and_keeps_last_good_checkpoint(tmp_path):
    model = torch.nn.Linear(3, 1)
    data = [(torch.randn(4, 3), torch.randn(4, 1))] * 4
    config = TrainConfig(epochs=3, max_nonfinite=3)
    trainer = Trainer(model, nan_at({5, 6, 7}), config, checkpoint_dir=tmp_path, progress=False)
    last = tmp_path / "last.safetensors"
    with pytest.raises(TrainingStopped, match=f"3 steps in a row had a non-finite loss.*"
                       f"Last good checkpoint: {last}"):
        trainer.fit(data)
    good = load_checkpoint(last)
    assert good.progress["step"] == 4
    assert all(torch.isfinite(t).all() for t in good.model.values())


def test_trainer_tbptt_carries_detached_state_within_epoch():
    seen = []

    def step(model, batch, state):
        seen.append(None if state is None else float(state))
        x, y = batch
        out = model(x).sum() + (0 if state is None else state)
        return (out - y.sum()) ** 2 * 1e-6, out

    stream = torch.arange(40, dtype=torch.float32).unsqueeze(-1)
    batches = StreamBatches(stream, batch_size=2, bptt=5)
    Trainer(torch.nn.Linear(1, 1), step, TrainConfig(epochs=2, tbptt=True),
            progress=False).fit(batches)
    per_epoch = len(batches)
    assert seen[0] is None and seen[per_epoch] is None
    assert all(s is not None for s in seen[1:per_epoch])


def test_stream_batches_rows_continue_across_batches():
    batches = StreamBatches(torch.arange(20), batch_size=2, bptt=3)
    chunks = list(batches.epoch(0, seed=0))
    assert len(chunks) == len(batches) == 3
    x0, y0 = chunks[0]
    assert x0.tolist() == [[0, 1, 2], [10, 11, 12]] and y0.tolist() == [[1, 2, 3], [11, 12, 13]]
    assert chunks[1][0][:, 0].tolist() == [3, 13]


def test_tensor_batches_order_depends_only_on_seed_and_epoch():
    batches = TensorBatches(torch.arange(10), batch_size=3)
    first = [b[0].tolist() for b in batches.epoch(2, seed=1)]
    assert first == [b[0].tolist() for b in batches.epoch(2, seed=1)]
    assert first != [b[0].tolist() for b in batches.epoch(3, seed=1)]
    assert [b[0].tolist() for b in batches.epoch(2, seed=1, start=2)] == first[2:]


def test_trainer_bf16_autocast_trains():
    model = torch.nn.Linear(3, 1)
    trainer = Trainer(model, supervised_step(mse_loss), TrainConfig(epochs=5, lr=0.1, bf16=True),
                      progress=False).fit(linear_data())
    assert trainer.history_[-1]["train_loss"] < trainer.history_[0]["train_loss"]
    assert model.weight.dtype == torch.float32


def test_train_config_bad_choice_names_field_and_choices():
    with pytest.raises(ConfigError, match="optimizer must be one of adamw, adam, sgd; got 'lion'"):
        TrainConfig(optimizer="lion")
    with pytest.raises(ConfigError, match=r"grad_clip must be a finite number >= 0, got -1"):
        TrainConfig(grad_clip=-1)
