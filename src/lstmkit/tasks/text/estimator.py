"""``TextModel``: a character- or word-level language model as a scikit-learn estimator:
fit on a text, evaluate in bits per character or perplexity, generate from a prompt,
suggest the next token, save and load.

Training runs on the :class:`~lstmkit.training.Trainer` with truncated BPTT: the text is
one contiguous stream cut into ``batch_size`` rows and windows of ``bptt`` tokens, and
the recurrent state is carried from one window to the next.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ...data.text import TextError, make_tokenizer
from ...models.dynamic_eval import dynamic_evaluation
from ...models.language_model import LanguageModel, activation_penalty
from ...progress import progress_bar
from ...threads import torch_threads
from ...training import StreamBatches, TrainConfig
from ..base import ContractExample, Estimator, FitContext
from .files import TextFitted, read_tokenizer
from .inspect import inspect_text
from .scoring import cache_rows, score_stream, scores, scoring_stream
from .settings import TextSettings
from .suggest import PromptMixin

MODEL_KEYS = ("embedding_size", "hidden_size", "num_layers", "cell", "dropout",
              "embedding_dropout", "input_dropout", "output_dropout", "weight_dropout",
              "tie_weights")
WORD_VOCAB = 20_000  # the word-level vocabulary when max_vocab is None


class TextModel(PromptMixin, Estimator):
    """A recurrent language model of text, from training to generation.

    ``fit(X)`` takes the training text as a string (``val_text=`` gives the validation
    text); ``evaluate``, ``generate``, ``suggest`` and ``inspect`` use the fitted model.

    Args:
        level, cell, ..., num_threads: see :class:`TextSettings`.
        train: the training settings (default :meth:`default_train_config`); ``tbptt``
            is always on.
        progress: show progress bars.

    Attributes:
        tokenizer_: the fitted tokeniser. network_: the trained
            :class:`~lstmkit.models.language_model.LanguageModel`.
        history_: per-epoch metrics. metrics_: the validation metrics of the kept
            epoch, and ``val_*_with_cache`` the same with the fitted cache.
        cache_: the fitted :class:`~lstmkit.models.cache.NeuralCache`, or None.
        seconds_: the wall-clock seconds fit spent training (``"train"``) and then
            fitting the cache (``"cache"``).
        threads_: the torch threads the last fit trained on.

    Example:
        >>> tm = TextModel(hidden_size=16, embedding_size=8, batch_size=4, bptt=8,
        ...                train=TrainConfig(epochs=1))
        >>> tm = tm.fit("to be or not to be, that is the question. " * 20)
        >>> len(tm.generate("to ", length=10, seed=0))
        10
    """

    task = "text"
    settings_class = TextSettings
    fitted_class = TextFitted
    fit_params = ("val_text",)

    @classmethod
    def default_train_config(cls) -> TrainConfig:
        """AdamW at 5e-3 with a cosine decay, clipping at 1, early stopping after 3 epochs."""
        return TrainConfig(epochs=20, lr=5e-3, schedule="cosine", warmup_steps=20,
                           weight_decay=0.01, grad_clip=1.0, early_stopping=3)

    # -- training ---------------------------------------------------------------------
    def fit(self, X: str, y: Any = None, *, val_text: str | None = None,
            **options: Any) -> TextModel:
        """Fit the tokeniser and the network on the text ``X``.

        Args:
            X: the training text.
            y: ignored (scikit-learn's signature).
            val_text: validation text; by default the last ``val_fraction`` of ``X``.
            **options: ``callbacks``, ``checkpoint_dir``, ``resume``, ``run_config``;
                see :meth:`Estimator.fit <lstmkit.tasks.base.Estimator.fit>`.

        Returns:
            self.
        """
        return super().fit(X, y, val_text=val_text, **options)

    def _fit(self, X: Any, y: Any, context: FitContext) -> None:
        s, val_text = context.settings, context.fit_params["val_text"]
        if not isinstance(X, str):
            raise TextError(f"TextModel: expected the training text as a str, got "
                            f"{type(X).__name__}")
        text = X
        if val_text is None and s.val_fraction > 0:
            cut = int(len(text) * (1.0 - s.val_fraction))
            text, val_text = text[:cut], text[cut:]
        self.tokenizer_ = make_tokenizer(s.level).fit(
            text, max_vocab=s.max_vocab or (WORD_VOCAB if s.level == "word" else None),
            min_count=s.min_count)
        self.network_ = self._build()
        train_ids, val_ids = self._ids(text), self._ids(val_text or "")
        if train_ids.numel() < 2:
            raise TextError(f"the training text is too short ({train_ids.numel()} tokens); "
                            "it needs 2 tokens or more")
        batches = StreamBatches(train_ids, batch_size=self._rows(len(train_ids)), bptt=s.bptt)
        val = self._stream(val_ids) if val_ids.numel() >= 2 else None
        start = time.monotonic()
        trainer = self._train(self.network_, self._step, batches, val, context,
                              config=replace(context.train, tbptt=True),
                              evaluate_fn=self._evaluate_batches)
        trained = time.monotonic()
        self.history_ = trainer.history_
        kept = trainer.best_epoch if context.train.restore_best and trainer.best_epoch \
            else len(self.history_)  # the epoch whose weights the model has
        self.metrics_ = {k: v for k, v in self.history_[kept - 1].items() if k.startswith("val_")}
        self.network_.eval()
        self._fit_cache(val_ids)
        self.seconds_ = {"train": trained - start, "cache": time.monotonic() - trained}

    def _fit_cache(self, val_ids: torch.Tensor) -> None:
        """Fit the cache's settings on the validation stream, in rows long enough for
        the cache to fill (none if there is no cache or no validation text)."""
        self.cache_ = self.network_.cache = None
        if not self.cache_size or val_ids.numel() < 2:
            return
        rows = StreamBatches(val_ids, batch_size=cache_rows(val_ids.numel(), self.cache_size),
                             bptt=1).rows
        with torch_threads(self.num_threads):
            nats = self.network_.fit_cache(rows, size=self.cache_size)
        if self.network_.cache is None:  # it predicts no better: left out
            return
        self.cache_ = self.network_.cache
        cached = scores(self.level, nats, rows.shape[0] * (rows.shape[1] - 1))
        self.metrics_.update({f"val_{k}_with_cache": v for k, v in cached.items() if k != "tokens"})

    def _build(self) -> LanguageModel:
        return LanguageModel(self.tokenizer_.vocab_size,
                             **{k: getattr(self, k) for k in MODEL_KEYS})

    def _ids(self, text: str) -> torch.Tensor:
        return torch.tensor(self.tokenizer_.encode(text), dtype=torch.long)

    def _rows(self, n: int) -> int:
        """Rows of a stream of ``n`` ids: ``batch_size``, fewer for short streams."""
        return max(1, min(self.batch_size, (n - 1) // (2 * self.bptt)))

    def _stream(self, ids: torch.Tensor) -> StreamBatches:
        cache = self.network_.cache
        return scoring_stream(ids, bptt=self.bptt, cache_size=cache.size if cache else None)

    def _step(self, model: LanguageModel, batch, state):
        x, y = batch  # (B, T), (B, T)
        logits, state, (hidden, dropped) = model(x, state, return_hidden=True)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())  # (B*T, V), (B*T,)
        if model.training and (self.ar or self.tar):
            loss = loss + activation_penalty(hidden, dropped, alpha=self.ar, beta=self.tar)
        return loss, state

    def _evaluate_batches(self, model: LanguageModel, batches) -> dict[str, float]:
        """The trainer's validation: :func:`score_stream` as ``val_*`` metrics."""
        return {f"val_{k}": v for k, v in score_stream(model, batches, self.level).items()}

    # -- using the model --------------------------------------------------------------
    def evaluate(self, text: str, *, adapt: bool = False,
                 cache: bool = True) -> dict[str, float]:
        """How well the model predicts ``text``, the state carried through it.

        Args:
            text: the text to score.
            adapt: dynamic evaluation: read the text as one stream and, after scoring
                each segment of 64 tokens, take one gradient step on it (see
                :func:`~lstmkit.models.dynamic_eval.dynamic_evaluation`; the settings
                were chosen on the validation part of the bundled Shakespeare). Every
                token is still predicted before the model learns from it; a text unlike
                the training data (new names, another style) scores much better. The
                fitted model is not changed.
            cache: use the fitted cache (see ``cache_size``); False scores the network
                alone.

        Returns:
            ``{"loss": nats per token, "bpc" or "perplexity": ..., "tokens": n}``.
        """
        self._check_fitted()
        ids = self._ids(text)
        if ids.numel() < 2:
            raise TextError("the text is too short to evaluate; it needs 2 tokens or more")
        with self._cache_on(cache):
            if not adapt:
                with torch_threads(self.num_threads):
                    return score_stream(self.network_, self._stream(ids), self.level)
            with torch_threads(1), progress_bar("adapting", ids.numel() - 1,
                                                enabled=self.progress) as advance:
                nats, n = dynamic_evaluation(self.network_, ids, on_segment=advance)
            return scores(self.level, nats / n, n)  # one stream at B = 1: one thread

    def inspect(self, text: str, *, out: str | os.PathLike, cells=None, quantity: str = "c",
                top: int = 3, png: bool = True) -> Path:
        """Write an HTML page (and a PNG) colouring ``text`` by cells' activations; see
        :func:`~lstmkit.tasks.text.inspect.inspect_text`."""
        self._check_fitted()
        return inspect_text(self, text, out=out, cells=cells, quantity=quantity, top=top,
                            png=png)

    # -- persistence ------------------------------------------------------------------
    def _fitted_config(self) -> TextFitted:
        return TextFitted(self.metrics_, self.cache_)

    def _transforms(self) -> dict[str, dict[str, Any]]:
        return {"tokenizer": self.tokenizer_.to_dict()}

    def _restore(self, fitted: TextFitted, transforms: dict[str, dict[str, Any]],
                 where: Path) -> None:
        self.tokenizer_ = read_tokenizer(transforms.get("tokenizer"),
                                         where.parent / "tokenizer.json")
        self.metrics_, self.network_ = dict(fitted.metrics), self._build()
        self.cache_ = self.network_.cache = fitted.cache

    @classmethod
    def contract_example(cls) -> ContractExample:
        model = cls(hidden_size=8, embedding_size=4, batch_size=4, bptt=8, cache_size=20,
                    num_threads=1, train=TrainConfig(epochs=1))
        return ContractExample(model, "to be or not to be, that is the question. " * 8,
                               output=lambda est: est.suggest("to be or", top=3))
