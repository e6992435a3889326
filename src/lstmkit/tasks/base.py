"""``Estimator``: the one base every task's estimator is built on.

A scikit-learn estimator (``clone``, ``Pipeline``, ``cross_val_score`` work) and the one
place that wires what every task needs: the settings dataclass, the
:class:`~lstmkit.training.Trainer` (callbacks, checkpoints, resume, a time budget,
threads, seeding) and the model directory (``save``/``load``).

A task supplies its settings and fitted-state dataclasses (:mod:`lstmkit.settings`
dataclasses, so what ``load`` reads back is validated like the settings) and a few hooks
(``_fit``, ``_fitted_config``, ``_transforms``, ``_restore``, ``contract_example``);
``docs/tasks.md`` walks through them with :mod:`lstmkit.tasks.adding` as the example.
The constructor takes the settings' fields plus ``train`` and ``progress``, keyword-only,
stored unchanged (:mod:`lstmkit.tasks.constructor`); reading a learned attribute (its
name ends in ``_``) before ``fit`` or ``load`` raises ``NotFittedError``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from torch import nn

from ..errors import ConfigError, ModelFileError
from ..settings import build_settings, to_dict
from ..threads import torch_threads
from ..training import Callback, TrainConfig, Trainer, load_model_dir, save_model_dir
from ..training.checkpoint import member_dir
from ..training.model_files import weights_mismatch
from ..training.seeding import seed_everything
from ..training.time_budget import TimeBudget
from .constructor import make_init
from .contract import ContractExample
from .saved_config import check_saved_config


@dataclass(frozen=True)
class FitContext:
    """What ``fit`` passes to a task's ``_fit`` hook.

    Attributes:
        settings: the validated settings dataclass.
        train: the validated :class:`~lstmkit.training.TrainConfig`.
        callbacks: extra trainer callbacks (tracking, ...).
        checkpoint_dir: where the trainer keeps checkpoints (None: in memory only).
        resume: continue the interrupted run saved in ``checkpoint_dir``.
        run_config: the configuration stored in checkpoints (resuming checks it).
        fit_params: the task's own keyword arguments of ``fit`` (its ``fit_params``).
    """

    settings: Any
    train: TrainConfig
    callbacks: tuple[Callback, ...] = ()
    checkpoint_dir: Path | None = None
    resume: bool = False
    run_config: dict[str, Any] | None = None
    fit_params: dict[str, Any] = field(default_factory=dict)


class Estimator(BaseEstimator):
    """The base of every lstmkit task estimator; see the module docstring.

    Class attributes:
        task: the task name written into model directories and checked on load.
        settings_class: the task's settings dataclass; its fields are constructor
            arguments.
        fitted_class: the settings dataclass of what ``fit`` learns besides the weights
            and the transforms (sizes, names, metrics...): ``_fitted_config`` returns one,
            ``save`` writes it into config.json and ``load`` validates it from there.
    """

    task: ClassVar[str] = ""
    settings_class: ClassVar[type]
    fitted_class: ClassVar[type]
    fit_params: ClassVar[tuple[str, ...]] = ()  # the task's own keyword arguments of fit

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "settings_class" in vars(cls) and "__init__" not in vars(cls):
            cls.__init__ = make_init(cls)

    # -- settings ---------------------------------------------------------------------
    @classmethod
    def default_train_config(cls) -> TrainConfig:
        """The training settings used when ``train`` is None."""
        return TrainConfig()

    @property
    def settings(self) -> Any:
        """The current parameters as the validated settings dataclass.

        Raises:
            ConfigError: naming the class, the parameter and the value at fault.
        """
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self.settings_class)}
        key, cached = self.__dict__.get("_settings", (None, None))
        if key != repr(values):  # validated once per change of the parameters (in place too)
            cached = build_settings(self.settings_class, values, f"{type(self).__name__}:")
            self.__dict__["_settings"] = repr(values), cached
        return cached

    @property
    def train_config(self) -> TrainConfig:
        """``train``, or :meth:`default_train_config` when it is None."""
        if self.train is None:
            return self.default_train_config()
        if not isinstance(self.train, TrainConfig):
            raise ConfigError(f"{type(self).__name__}: train must be a TrainConfig or None, "
                              f"got {type(self.train).__name__}")
        return self.train

    def __getattr__(self, name: str) -> Any:
        if _is_learned(name):
            raise NotFittedError(self._not_fitted())
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _not_fitted(self) -> str:
        cls = type(self).__name__
        return f"This {cls} instance is not fitted yet: call fit(...) or {cls}.load(path) first"

    def _check_fitted(self) -> None:
        if not any(map(_is_learned, vars(self))):
            raise NotFittedError(self._not_fitted())

    # -- fit --------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, *, callbacks: Sequence[Callback] = (),
            checkpoint_dir: str | os.PathLike | None = None, resume: bool = False,
            run_config: dict[str, Any] | None = None, **fit_params: Any) -> Estimator:
        """Train on ``X`` (and ``y``, for tasks with targets apart from the inputs).

        Args:
            X, y: the data; see the task's class docstring.
            callbacks: extra trainer callbacks (tracking, ...).
            checkpoint_dir: where training checkpoints go (needed for ``resume``).
            resume: continue the interrupted run saved in ``checkpoint_dir``.
            run_config: the configuration stored in checkpoints (default: this
                estimator's settings and training settings).
            **fit_params: the task's own arguments (those its ``fit_params`` names,
                e.g. the text model's ``val_text``), passed to ``_fit`` in the context.

        Returns:
            self.
        """
        unknown = sorted(set(fit_params) - set(self.fit_params))
        if unknown:
            raise TypeError(f"{type(self).__name__}.fit() got an unexpected keyword argument "
                            f"{unknown[0]!r}")
        settings, train = self.settings, self.train_config
        for key in [k for k in vars(self) if _is_learned(k)]:
            delattr(self, key)  # a second fit starts from nothing
        context = FitContext(
            settings, train, tuple(callbacks),
            Path(checkpoint_dir) if checkpoint_dir is not None else None, resume,
            run_config or {"settings": to_dict(settings), "train": to_dict(train)},
            fit_params)
        seed_everything(train.seed)
        self._fit(X, y, context)
        return self

    def _fit(self, X: Any, y: Any, context: FitContext) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _fit")

    def _train(self, network: nn.Module, step: Callable, batches: Any, val: Any,
               context: FitContext, *, config: TrainConfig | None = None, member: int = 0,
               evaluate_fn: Callable | None = None, callbacks: Sequence[Callback] = ()) -> Trainer:
        """Train ``network`` with the engine's :class:`~lstmkit.training.Trainer`: the
        context's callbacks, checkpoints and resume, the estimator's progress bar.

        Two settings fields are honoured by name: ``num_threads`` (torch threads while
        training; the count used is kept in ``threads_``) and ``minutes`` (None or 0:
        off; see :meth:`~lstmkit.training.time_budget.TimeBudget.apply`).

        Args:
            network, step, batches, val, evaluate_fn: as for the Trainer.
            context: the fit's context; ``callbacks``: this network's, after its own.
            config: the training settings (default ``context.train``).
            member: k for the k-th network of a seed ensemble: seed ``config.seed + k``,
                checkpoints in :func:`~lstmkit.training.checkpoint.member_dir`.
        """
        config, callbacks = config or context.train, (*context.callbacks, *callbacks)
        config = dataclasses.replace(config, seed=config.seed + member)
        minutes = getattr(context.settings, "minutes", None)
        if minutes:
            config, batches, callbacks = TimeBudget.apply(minutes, config, batches, callbacks)
        folder = member_dir(context.checkpoint_dir, member)
        trainer = Trainer(network, step, config, checkpoint_dir=folder,
                          callbacks=callbacks, evaluate_fn=evaluate_fn,
                          run_config=context.run_config, progress=self.progress)
        resumable = context.resume and folder is not None and (folder / "last.safetensors").exists()
        with torch_threads(getattr(context.settings, "num_threads", None)):
            self.threads_ = torch.get_num_threads()
            trainer.fit(batches, val, resume=resumable)
        return trainer

    # -- persistence ------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write the model directory: config.json (settings, training settings and what
        ``fit`` learned besides the weights), model.safetensors, one JSON per transform.

        Returns:
            ``Path(path)``.
        """
        self._check_fitted()
        config = {"settings": to_dict(self.settings), "train": to_dict(self.train_config),
                  "fitted": to_dict(self._fitted_config())}
        return save_model_dir(path, self._network().state_dict(), config, self._transforms(),
                              task=self.task)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Estimator:
        """An estimator saved by :meth:`save`, ready to use; reads JSON and safetensors
        only (never a pickle). The weights are checked against the network config.json
        describes on the meta device (names, shapes, finite values) before the network
        is allocated (:func:`~lstmkit.training.model_files.weights_mismatch`).

        Raises:
            ModelFileError: naming the file and the field at fault: another task's model,
                a layout of an older lstmkit, invalid or missing settings, or weights that
                do not fit the network.
        """
        path = Path(path)
        files = load_model_dir(path)
        where = path / "config.json"
        if files.task != cls.task:
            raise ModelFileError(f"{path}: a {files.task or 'untyped'!r} model, not a "
                                 f"{cls.task!r} model ({cls.__name__})")
        config = check_saved_config(cls, cls._upgrade_config(files.config), where)
        try:
            settings = build_settings(cls.settings_class, config["settings"],
                                      f"{where}: settings")
            train = build_settings(TrainConfig, config["train"], f"{where}: train")
            fitted = build_settings(cls.fitted_class, config["fitted"],
                                    f"{where}: config.fitted")
        except ConfigError as exc:
            raise ModelFileError(str(exc)) from None
        model = cls(**{f.name: getattr(settings, f.name)
                       for f in dataclasses.fields(settings)}, train=train)

        def restore() -> nn.Module:
            try:
                model._restore(fitted, files.transforms, where)
            except (KeyError, TypeError, ValueError) as exc:
                raise ModelFileError(f"{where}: invalid fitted state: {exc}") from None
            return model._network()

        with torch.device("meta"):  # nothing is allocated before the weights fit
            skeleton = restore()
        problem = weights_mismatch(skeleton.state_dict(), files.state_dict)
        if problem:
            raise ModelFileError(f"{path / 'model.safetensors'}: does not match the network "
                                 f"config.json describes: {problem}")
        restore().load_state_dict(files.state_dict)  # built for real (tied weights stay tied)
        model._network().eval()
        return model

    @classmethod
    def _upgrade_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """The saved ``config`` in today's layout (``settings``, ``train``, ``fitted``);
        a task that reads an older lstmkit's layout converts it (default: unchanged)."""
        return config

    def _network(self) -> nn.Module:
        """The fitted network whose weights are saved (default ``network_``)."""
        return self.network_

    def _fitted_config(self) -> Any:
        """What ``fit`` learned besides weights and transforms, a :attr:`fitted_class`."""
        raise NotImplementedError(f"{type(self).__name__} must implement _fitted_config")

    def _transforms(self) -> dict[str, dict[str, Any]]:
        """``{name: JSON dict}`` of learned data transforms (scalers, tokenizer...)."""
        return {}

    def _restore(self, fitted: Any, transforms: dict[str, dict[str, Any]],
                 where: Path) -> None:
        """Set the learned attributes from what :meth:`_fitted_config` (``fitted``, a
        validated :attr:`fitted_class`) and :meth:`_transforms` saved, and build the
        untrained network (``load`` then reads the weights into it).

        ``load`` calls it twice: inside ``torch.device("meta")``, to check the weights
        against the network before allocating it (decide nothing on tensor values here),
        then for real."""
        raise NotImplementedError(f"{type(self).__name__} must implement _restore")

    @classmethod
    def contract_example(cls) -> ContractExample:
        """A tiny example of this task for the contract tests (see docs/tasks.md)."""
        raise NotImplementedError(f"{cls.__name__} must implement contract_example")


def _is_learned(name: str) -> bool:
    """scikit-learn's convention: learned attributes end in ``_`` (and are not private)."""
    return name.endswith("_") and not name.startswith("_")
