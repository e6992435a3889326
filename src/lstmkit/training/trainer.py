"""``Trainer``: a small training loop for any model, with exact resume.

The loop, in order, per step: forward under optional bf16 autocast, skip the step if
the loss or gradient norm is not finite, clip gradients, optimizer and schedule step,
carry the detached recurrent state (truncated BPTT). Per epoch: validation, best and
early-stopping bookkeeping, an atomic ``last`` (and ``best``) checkpoint after the first
epoch, then at most every :data:`CHECKPOINT_INTERVAL` seconds and at the end. Ctrl-C saves a
checkpoint and stops cleanly; ``fit(..., resume=True)`` continues from it and ends with
the same weights as a run that was never interrupted.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ..errors import CheckpointError, ConfigError, TrainingStopped
from ..layers import detach_state
from .batches import BatchSource, as_batch_source
from .callbacks import Callback, ProgressBar
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .config import TrainConfig
from .distributed import data_parallel
from .interrupt import deferred_sigint
from .optim import make_optimizer, make_scheduler
from .seeding import capture_rng, restore_rng, seed_everything
from .steps import StepFn

#: Seconds between end-of-epoch checkpoints: the first epoch's, the last one's, and
#: those of Ctrl-C and ``checkpoint_every`` are always written. Each checkpoint is two
#: fsync'd files, while a small model's epoch takes milliseconds (a 150-epoch forecast
#: spent seconds writing checkpoints no one read); a killed run loses at most this much.
CHECKPOINT_INTERVAL = 10.0

log = logging.getLogger("lstmkit.training")

EvaluateFn = Callable[[nn.Module, BatchSource], dict[str, float]]
PROGRESS_FIELDS = ("epoch", "batch", "step", "skipped", "nonfinite_run", "loss_sum",
                   "loss_count", "best", "best_epoch", "bad_epochs", "stopped_early",
                   "history_")


class Trainer:
    """Trains ``model`` by minimising what ``step_fn`` returns.

    Args:
        model: any ``nn.Module``; seed before building it for reproducible initial weights.
        step_fn: ``step_fn(model, batch, state) -> (loss, state)``. ``state`` is the
            recurrent state carried from the previous batch when ``config.tbptt`` is set
            (None at the start of each epoch), else always None. See
            :func:`~lstmkit.training.supervised_step` for plain ``(inputs, targets)`` batches.
        config: hyper-parameters; see :class:`TrainConfig`.
        checkpoint_dir: where ``last.safetensors`` and ``best.safetensors`` go; None
            keeps everything in memory (and makes ``resume`` impossible).
        callbacks: extra :class:`Callback` objects (e.g. tracking).
        evaluate_fn: ``evaluate_fn(model, val_batches) -> {"val_...": float}``; by
            default the mean ``step_fn`` loss as ``val_loss``.
        run_config: the resolved experiment config stored in every checkpoint
            (default: ``{"train": asdict(config)}``); resuming checks it is unchanged.
        progress: show a progress bar (only drawn on a terminal; rank 0 only).

    Under ``torchrun`` (a process group of N > 1 processes) the trainer trains data-
    parallel: see :mod:`lstmkit.training.distributed`.

    Attributes:
        history_: one dict of metrics per finished epoch.
        best, best_epoch: the best monitored value and its epoch.
        epoch, batch, step: the position: epochs done, batches done in the current
            epoch, optimisation steps attempted.
        extra: JSON-able values saved with each checkpoint and restored on resume.

    Example:
        >>> from lstmkit.training import supervised_step
        >>> model = torch.nn.Linear(3, 1)
        >>> data = [(torch.randn(8, 3), torch.randn(8, 1)) for _ in range(4)]
        >>> trainer = Trainer(model, supervised_step(torch.nn.functional.mse_loss),
        ...                   TrainConfig(epochs=2), progress=False).fit(data)
        >>> len(trainer.history_)
        2
    """

    def __init__(self, model: nn.Module, step_fn: StepFn, config: TrainConfig | None = None,
                 *, checkpoint_dir: str | Path | None = None,
                 callbacks: Sequence[Callback] = (), evaluate_fn: EvaluateFn | None = None,
                 run_config: dict[str, Any] | None = None, progress: bool = True) -> None:
        self.model, self.step_fn = model, step_fn
        self.config = config or TrainConfig()
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.parallel = data_parallel()  # None unless run by torchrun with N > 1
        self.train_model = model if self.parallel is None else self.parallel.wrap(model)
        main = self.parallel is None or self.parallel.is_main
        self.callbacks = ([ProgressBar()] if progress and main else []) + list(callbacks)
        self.evaluate_fn = evaluate_fn or self.evaluate_loss
        self.run_config = run_config or {"train": asdict(self.config)}
        self.optimizer = make_optimizer(self.config, model.parameters())
        self.scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
        self.extra: dict[str, Any] = {}
        self.epoch = self.batch = self.step = self.skipped = self.nonfinite_run = 0
        self.loss_sum, self.loss_count, self.bad_epochs = 0.0, 0, 0
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.best_state: dict[str, Tensor] | None = None
        self.stopped_early = False
        self.history_: list[dict[str, float]] = []
        self.carried_state: Any = None
        self.total_steps = 0
        self.last_checkpoint: Path | None = None
        self._interrupted = False
        self.best_unsaved = False
        self.last_saved_at: float | None = None  # time.monotonic() of the last checkpoint
        self.saved_epoch: int | None = None

    @property
    def last_path(self) -> Path | None:
        """``checkpoint_dir / "last.safetensors"``, or None without a checkpoint_dir."""
        return self.checkpoint_dir / "last.safetensors" if self.checkpoint_dir else None

    def fit(self, train: BatchSource | Sequence[Any], val: BatchSource | Sequence[Any] | None
            = None, *, resume: bool = False) -> Trainer:
        """Train for ``config.epochs`` epochs (fewer if early stopping triggers).

        Args:
            train: a :class:`~lstmkit.training.batches.BatchSource` or a list of batches.
            val: validation batches, or None.
            resume: continue from ``checkpoint_dir/last.safetensors``.

        Returns:
            self, with ``history_`` filled and (``config.restore_best``) the best weights.

        Raises:
            TrainingStopped: on Ctrl-C (after saving a checkpoint) or when non-finite
                steps keep coming.
            CheckpointError: if ``resume`` finds no usable checkpoint.
        """
        train = as_batch_source(train)
        if self.parallel is not None:
            train = self.parallel.shard(train)
        val = None if val is None else as_batch_source(val)
        self.total_steps = self.config.epochs * len(train)
        self.scheduler = make_scheduler(self.config, self.optimizer, self.total_steps)
        if resume:
            self.resume_from(self.last_path)
        else:
            seed_everything(self.config.seed)
        self._emit("on_fit_start")
        try:
            with deferred_sigint(self._request_stop):
                while self.epoch < self.config.epochs and not self.stopped_early:
                    self._train_epoch(train)
                    self._end_epoch(val)
                if self.saved_epoch != self.epoch:  # the end of training is always saved
                    self._checkpoint()
        finally:
            self._emit("on_fit_end")
        if self.config.restore_best and self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        return self

    def evaluate_loss(self, model: nn.Module, batches: BatchSource) -> dict[str, float]:
        """The mean ``step_fn`` loss over ``batches`` in eval mode, as ``val_loss``."""
        model.eval()
        total, count, state = 0.0, 0, None
        with torch.no_grad(), self._autocast():
            for batch in batches.epoch(0, self.config.seed):
                loss, state = self.step_fn(model, batch, state if self.config.tbptt else None)
                total, count = total + float(loss), count + 1
        model.train()
        return {"val_loss": total / max(count, 1)}

    def resume_from(self, path: Path | None) -> None:
        """Load model, optimizer, scheduler, RNG and position from a checkpoint file.

        Raises:
            CheckpointError: naming the file if it is missing, unreadable, from another
                config, or does not fit the model.
        """
        if path is None:
            raise CheckpointError("cannot resume: the trainer has no checkpoint_dir")
        if not path.exists():
            raise CheckpointError(f"cannot resume: no checkpoint at {path}")
        ckpt = load_checkpoint(path)
        changed = sorted(k for k in {**ckpt.config, **self.run_config}
                         if ckpt.config.get(k) != self.run_config.get(k))
        if changed:
            raise CheckpointError(f"cannot resume from {path}: the config changed in "
                                  f"{', '.join(changed)}; start a new run instead")
        try:
            self.model.load_state_dict(ckpt.model)
            self.optimizer.load_state_dict(ckpt.optimizer)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise CheckpointError(f"{path} does not fit this model: {exc}") from None
        self.scheduler.load_state_dict(ckpt.scheduler)
        restore_rng(ckpt.rng)
        for name in PROGRESS_FIELDS:
            setattr(self, name, ckpt.progress[name])
        self.carried_state, self.extra, self.last_checkpoint = ckpt.carried_state, ckpt.extra, path
        best = path.with_name("best.safetensors")
        self.best_state = load_checkpoint(best).model if best.exists() else None

    def _train_epoch(self, train: BatchSource) -> None:
        self.model.train()
        for batch in train.epoch(self.epoch, self.config.seed, start=self.batch):
            loss = self._train_step(batch)
            self.batch, self.step = self.batch + 1, self.step + 1
            self._emit("on_step_end", loss)
            if self._interrupted:
                self._checkpoint()
                where = self.last_checkpoint or "nowhere (no checkpoint_dir)"
                raise TrainingStopped(f"interrupted at epoch {self.epoch + 1}, step "
                                      f"{self.step}; checkpoint saved to {where}; "
                                      "resume with --resume", str(where), exit_code=130)
            if self.config.checkpoint_every and self.step % self.config.checkpoint_every == 0:
                self._checkpoint()
        self.epoch, self.batch, self.carried_state = self.epoch + 1, 0, None

    def _train_step(self, batch: Any) -> float:
        state = self.carried_state if self.config.tbptt else None
        with self._autocast():
            loss, state = self.step_fn(self.train_model, batch, state)
        finite = bool(torch.isfinite(loss)) if self.parallel is None else \
            self.parallel.all_finite(loss)
        if finite:
            loss.backward()
            norm = nn.utils.clip_grad_norm_(self.model.parameters(),
                                            self.config.grad_clip or math.inf)
            finite = bool(torch.isfinite(norm))
        value = loss.detach().item()
        if finite:
            self.optimizer.step()
            self.scheduler.step()
            self.nonfinite_run, self.loss_sum = 0, self.loss_sum + value
            self.loss_count += 1
        else:
            self._skip_step(value)
        self.optimizer.zero_grad(set_to_none=True)
        self.carried_state = detach_state(state) if self.config.tbptt and finite else None
        return value

    def _skip_step(self, loss: float) -> None:
        self.skipped, self.nonfinite_run = self.skipped + 1, self.nonfinite_run + 1
        what = "gradients" if math.isfinite(loss) else f"loss ({loss})"
        message = (f"step {self.step + 1}: non-finite {what}; step skipped "
                   f"({self.nonfinite_run} in a row, {self.skipped} in total)")
        log.warning(message)
        self._emit("on_nonfinite", message)
        if self.nonfinite_run >= self.config.max_nonfinite:
            raise TrainingStopped(
                f"training stopped: {self.nonfinite_run} steps in a row had a non-finite "
                f"loss or gradients (last at step {self.step + 1}); lower the learning rate "
                f"or check the data. Last good checkpoint: {self.last_checkpoint or 'none'}",
                None if self.last_checkpoint is None else str(self.last_checkpoint))

    def _end_epoch(self, val: BatchSource | None) -> None:
        if self.parallel is not None:
            self.loss_sum, self.loss_count = self.parallel.epoch_loss(self.loss_sum,
                                                                      self.loss_count)
        metrics = {"epoch": self.epoch,
                   "train_loss": self.loss_sum / self.loss_count if self.loss_count else math.nan,
                   "lr": self.optimizer.param_groups[0]["lr"], "skipped_steps": self.skipped}
        if val is not None:
            metrics.update(self.evaluate_fn(self.model, val))
        self.history_.append(metrics)
        self.loss_sum, self.loss_count = 0.0, 0
        self.best_unsaved |= self._update_best(metrics)
        self._emit("on_epoch_end", metrics)
        if self.last_saved_at is None or \
                time.monotonic() - self.last_saved_at >= CHECKPOINT_INTERVAL:
            self._checkpoint()

    def _checkpoint(self) -> None:
        """Write ``last`` and, if the best epoch changed since, ``best`` (together, so
        that a resumed run's record of its best epoch matches ``best.safetensors``)."""
        self._save("last")
        if self.best_unsaved:
            self._save("best")
        self.best_unsaved, self.last_saved_at = False, time.monotonic()
        self.saved_epoch = self.epoch

    def _update_best(self, metrics: dict[str, float]) -> bool:
        key = self.config.monitor
        if key == "val_loss" and key not in metrics:
            key = "train_loss"
        if key not in metrics:
            raise ConfigError(f"TrainConfig: monitor {key!r} is not an epoch metric; "
                              f"available: {', '.join(sorted(metrics))}")
        value = metrics[key]
        better = math.isfinite(value) and (
            self.best is None or (value < self.best if self.config.monitor_mode == "min"
                                  else value > self.best))
        if better:
            self.best, self.best_epoch, self.bad_epochs = value, self.epoch, 0
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        else:
            self.bad_epochs += 1
        patience = self.config.early_stopping
        self.stopped_early = bool(patience) and self.bad_epochs >= patience
        return better

    def _save(self, kind: str) -> None:
        if self.checkpoint_dir is None:
            return
        if self.parallel is not None and not self.parallel.is_main:  # rank 0 writes
            if kind == "last":
                self.last_checkpoint = self.checkpoint_dir / "last.safetensors"
            return
        ckpt = Checkpoint(model=self.model.state_dict(), optimizer=self.optimizer.state_dict(),
                          scheduler=self.scheduler.state_dict(), rng=capture_rng(),
                          progress={name: getattr(self, name) for name in PROGRESS_FIELDS},
                          config=self.run_config, carried_state=self.carried_state,
                          extra=self.extra)
        path = save_checkpoint(self.checkpoint_dir / f"{kind}.safetensors", ckpt)
        if kind == "last":
            self.last_checkpoint = path
        self._emit("on_checkpoint", path)

    def _request_stop(self) -> None:
        self._interrupted = True

    def _autocast(self) -> torch.autocast:
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.config.bf16)

    def _emit(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)
