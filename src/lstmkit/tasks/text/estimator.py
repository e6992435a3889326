"""``TextModel``: a character- or word-level language model as a scikit-learn-style
estimator: fit on a text, evaluate in bits per character or perplexity, generate from a
prompt, suggest the next token, save and load.

Training runs on the :class:`~lstmkit.training.Trainer` with truncated BPTT: the text is
one contiguous stream cut into ``batch_size`` rows and windows of ``bptt`` tokens, and
the recurrent state is carried from one window to the next.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ...data.text import TextError, make_tokenizer
from ...models import generation
from ...models.dynamic_eval import dynamic_evaluation
from ...models.language_model import LanguageModel, activation_penalty
from ...progress import progress_bar
from ...threads import Threads, resolve_threads, torch_threads
from ...training import (
    Callback,
    StreamBatches,
    TrainConfig,
    Trainer,
    seed_everything,
)
from ...training.time_budget import TimeBudget
from .files import read_text_model, write_text_model
from .inspect import inspect_text
from .scoring import cache_rows, score_stream, scores, scoring_stream
from .suggest import suggest_next

MODEL_KEYS = ("embedding_size", "hidden_size", "num_layers", "cell", "dropout",
              "embedding_dropout", "input_dropout", "output_dropout", "weight_dropout",
              "tie_weights")


class TextModel:
    """A recurrent language model of text, from training to generation.

    Args:
        level: ``"char"`` (one token per character) or ``"word"`` (words and
            punctuation; see :class:`~lstmkit.data.text.WordTokenizer`).
        cell, embedding_size, hidden_size, num_layers, dropout, embedding_dropout,
            input_dropout, output_dropout, weight_dropout, tie_weights: the network;
            see :class:`~lstmkit.models.language_model.LanguageModel`.
        cache_size: a continuous cache over this many past tokens (Grave et al. 2017;
            see :mod:`lstmkit.models.cache`), or 0 for none. Its settings are fitted on
            the validation text at the end of ``fit``, and ``evaluate`` and ``suggest``
            then mix its distribution with the network's (``generate`` only if asked):
            the model copies words and names from the text it has just read (a new
            play's speakers) without any weight changing. No validation text, or a
            cache that does not predict it better, and the model has none.
        ar, tar: activation and temporal activation regularisation strengths (AWD-LSTM
            uses 2 and 1).
        max_vocab, min_count: vocabulary limits (word level keeps 20 000 by default).
        batch_size: parallel rows of the training stream.
        bptt: tokens per window of truncated backpropagation through time.
        val_fraction: share of the end of the training text held out for validation
            (early stopping and the best epoch) when ``fit`` gets no ``val_text``.
        minutes: train for this many minutes (the learning rate decays over the time,
            and no early stopping) instead of a number of epochs.
        num_threads: torch threads while training and evaluating: a count, None
            (torch's setting) or ``"auto"`` (the default): the cores other processes
            leave idle when ``fit`` starts (see :func:`lstmkit.threads.idle_cores`). Two
            threads train about 1.8 times faster than one on an idle 2-core machine,
            but were measured 6 to 200 times slower than one while other processes kept
            the cores busy.
        train: the optimisation settings; :meth:`default_train_config` by default.
            ``tbptt`` is always on.

    Attributes:
        tokenizer_: the fitted tokeniser. model_: the trained
            :class:`~lstmkit.models.language_model.LanguageModel`.
        history_: per-epoch metrics. metrics_: the validation metrics of the kept
            epoch, and ``val_*_with_cache`` the same with the fitted cache.
        cache_: the fitted :class:`~lstmkit.models.cache.NeuralCache`, or None.
        seconds_: the wall-clock seconds ``fit`` spent training (``"train"``) and then
            fitting the cache (``"cache"``).
        threads_: the torch threads the last ``fit`` ran on.

    Example:
        >>> tm = TextModel(hidden_size=16, embedding_size=8, batch_size=4, bptt=8,
        ...                train=TrainConfig(epochs=1), progress=False)
        >>> tm = tm.fit("to be or not to be, that is the question. " * 20)
        >>> len(tm.generate("to ", length=10, seed=0))
        10
    """

    def __init__(self, *, level: str = "char", cell: str = "lstm", embedding_size: int = 64,
                 hidden_size: int = 384, num_layers: int = 1, dropout: float = 0.0,
                 embedding_dropout: float = 0.0, input_dropout: float = 0.1,
                 output_dropout: float = 0.25, weight_dropout: float = 0.0,
                 tie_weights: bool = False, cache_size: int = 4000, ar: float = 0.0,
                 tar: float = 0.0,
                 max_vocab: int | None = None, min_count: int = 1, batch_size: int = 32,
                 bptt: int = 64, val_fraction: float = 0.05, minutes: float | None = None,
                 num_threads: Threads = "auto", train: TrainConfig | None = None,
                 progress: bool = True) -> None:
        make_tokenizer(level)  # validates level
        self.level, self.cell, self.embedding_size = level, cell, embedding_size
        self.hidden_size, self.num_layers, self.dropout = hidden_size, num_layers, dropout
        self.embedding_dropout, self.input_dropout = embedding_dropout, input_dropout
        self.output_dropout, self.weight_dropout = output_dropout, weight_dropout
        self.tie_weights, self.ar, self.tar = tie_weights, ar, tar
        if not isinstance(cache_size, int) or cache_size < 0:
            raise ValueError(f"TextModel: expected cache_size >= 0, got {cache_size!r}")
        self.cache_size = cache_size
        self.max_vocab = max_vocab if max_vocab or level == "char" else 20_000
        self.min_count, self.batch_size, self.bptt = min_count, batch_size, bptt
        self.val_fraction, self.minutes, self.progress = val_fraction, minutes, progress
        self.num_threads = num_threads
        resolve_threads(num_threads)  # validates
        self.train = train or self.default_train_config()

    @staticmethod
    def default_train_config() -> TrainConfig:
        """AdamW at 5e-3 with a cosine decay, clipping at 1, early stopping after 3 epochs."""
        return TrainConfig(epochs=20, lr=5e-3, schedule="cosine", warmup_steps=20,
                           weight_decay=0.01, grad_clip=1.0, early_stopping=3)

    # -- training ---------------------------------------------------------------------
    def fit(self, text: str, *, val_text: str | None = None,
            callbacks: Sequence[Callback] = (), checkpoint_dir: str | os.PathLike | None = None,
            resume: bool = False, run_config: dict[str, Any] | None = None) -> TextModel:
        """Fit the tokeniser and the network on ``text``.

        Args:
            text: the training text.
            val_text: validation text; by default the last ``val_fraction`` of ``text``.
            callbacks: extra trainer callbacks (tracking, ...).
            checkpoint_dir: where the trainer keeps its checkpoints (needed to resume).
            resume: continue the interrupted run saved in ``checkpoint_dir``.
            run_config: the experiment config stored in checkpoints (default: this
                estimator's settings).

        Returns:
            self.
        """
        if val_text is None and self.val_fraction > 0:
            cut = int(len(text) * (1.0 - self.val_fraction))
            text, val_text = text[:cut], text[cut:]
        self.tokenizer_ = make_tokenizer(self.level).fit(
            text, max_vocab=self.max_vocab, min_count=self.min_count)
        seed_everything(self.train.seed)
        self.model_ = self._build(self.tokenizer_.vocab_size)
        train_ids = self._ids(text)
        if train_ids.numel() < 2:
            raise TextError(f"the training text is too short ({train_ids.numel()} tokens); "
                            "it needs 2 tokens or more")
        batches = StreamBatches(train_ids, batch_size=self._rows(len(train_ids)), bptt=self.bptt)
        config, callbacks = replace(self.train, tbptt=True), list(callbacks)
        if self.minutes is not None:
            budget = TimeBudget(self.minutes, schedule=config.schedule)
            # the budget decides when to stop: the rate decays to 0 at the deadline, and
            # the last epochs at a low rate often gain after a plateau
            config = replace(config, epochs=10_000, schedule="constant", warmup_steps=0,
                             early_stopping=0)
            batches, callbacks = budget.wrap(batches), [budget, *callbacks]
        val_ids = self._ids(val_text or "")
        val = self._stream(val_ids) if val_ids.numel() >= 2 else None
        trainer = Trainer(self.model_, self._step, config, checkpoint_dir=checkpoint_dir,
                          callbacks=callbacks, evaluate_fn=self._evaluate_batches,
                          run_config=run_config or {"text": self.get_params()},
                          progress=self.progress)
        start = time.monotonic()
        with torch_threads(self.num_threads):
            self.threads_ = torch.get_num_threads()
            trainer.fit(batches, val, resume=resume)
        trained = time.monotonic()
        self.history_ = trainer.history_
        kept = trainer.best_epoch if config.restore_best and trainer.best_epoch else len(
            self.history_)  # the epoch whose weights the model has
        self.metrics_ = {k: v for k, v in self.history_[kept - 1].items() if k.startswith("val_")}
        self.model_.eval()
        self._fit_cache(val_ids)
        self.seconds_ = {"train": trained - start, "cache": time.monotonic() - trained}
        return self

    def _fit_cache(self, val_ids: torch.Tensor) -> None:
        """Fit the cache's settings on the validation stream, in rows long enough for
        the cache to fill (none if there is no cache or no validation text)."""
        self.cache_ = self.model_.cache = None
        if not self.cache_size or val_ids.numel() < 2:
            return
        rows = StreamBatches(val_ids, batch_size=cache_rows(val_ids.numel(), self.cache_size),
                             bptt=1).rows
        with torch_threads(self.num_threads):
            nats = self.model_.fit_cache(rows, size=self.cache_size)
        if self.model_.cache is None:  # it predicts no better: left out
            return
        self.cache_ = self.model_.cache
        cached = scores(self.level, nats, rows.shape[0] * (rows.shape[1] - 1))
        self.metrics_.update({f"val_{k}_with_cache": v for k, v in cached.items() if k != "tokens"})

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, JSON-able (``train`` as a dict)."""
        params = {k: v for k, v in vars(self).items() if not k.endswith("_")}
        params["train"] = asdict(self.train)
        return params

    def _build(self, vocab_size: int) -> LanguageModel:
        return LanguageModel(vocab_size, **{k: getattr(self, k) for k in MODEL_KEYS})

    def _ids(self, text: str) -> torch.Tensor:
        return torch.tensor(self.tokenizer_.encode(text), dtype=torch.long)

    def _rows(self, n: int) -> int:
        """Rows of a stream of ``n`` ids: ``batch_size``, fewer for short streams."""
        return max(1, min(self.batch_size, (n - 1) // (2 * self.bptt)))

    def _stream(self, ids: torch.Tensor) -> StreamBatches:
        cache = self.model_.cache
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
        ids = self._ids_checked(text)
        if ids.numel() < 2:
            raise TextError("the text is too short to evaluate; it needs 2 tokens or more")
        with self._cache_on(cache):
            return self._evaluate(ids, adapt=adapt)

    @contextlib.contextmanager
    def _cache_on(self, on: bool):
        """The network uses its fitted cache inside the block only if ``on``."""
        fitted = self.model_.cache
        self.model_.cache = fitted if on else None
        try:
            yield
        finally:
            self.model_.cache = fitted

    def _evaluate(self, ids: torch.Tensor, *, adapt: bool) -> dict[str, float]:
        if adapt:  # one stream at B = 1: one thread
            with torch_threads(1), progress_bar("adapting", ids.numel() - 1,
                                                enabled=self.progress) as advance:
                nats, count = dynamic_evaluation(self.model_, ids, on_segment=advance)
            return scores(self.level, nats / count, count)
        with torch_threads(self.num_threads):
            return score_stream(self.model_, self._stream(ids), self.level)

    def generate(self, prompt: str, *, length: int = 200, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None, beam: int = 1,
                 seed: int | None = None, stream: Callable[[str], None] | None = None,
                 cache: bool = False) -> str:
        """Continue ``prompt`` with ``length`` new tokens (the prompt is not included).

        Args:
            prompt: the text to start from (its tokens must be in the vocabulary at
                character level).
            length: how many tokens to add.
            temperature: sharpens (< 1) or flattens (> 1) the distribution; 0 is greedy.
            top_k: sample among the k most likely tokens only.
            top_p: sample among the most likely tokens holding probability ``top_p``.
            beam: > 1 runs a beam search of that width for the most likely continuation
                (deterministic; sampling options are ignored).
            seed: the same seed gives the same text.
            stream: called with the text of each token as it is produced.
            cache: mix in the fitted cache (off by default: a model that copies from
                the text it has read also copies its own output, so sampling drifts into
                repetition and beam search into loops).
        """
        ids, decode = self.encode_prompt(prompt), self.tokenizer_.decode
        on_token = None if stream is None else (lambda i: stream(decode([i])))
        with self._cache_on(cache), torch_threads(1):
            if beam > 1:
                out = generation.beam_search(self.model_, ids, length, beam=beam)
                for i in out if on_token is not None else ():
                    on_token(i)
            else:
                out = generation.generate_ids(self.model_, ids, length, temperature=temperature,
                                              top_k=top_k, top_p=top_p, seed=seed,
                                              on_token=on_token)
        return decode(out)

    def suggest(self, prompt: str, *, top: int = 5, words: bool = False,
                cache: bool = True) -> list[tuple[str, float]]:
        """The ``top`` most likely next tokens after ``prompt`` (or, with ``words``, the
        most likely words being typed) and their probabilities, most likely first.

        Args:
            prompt: the text so far.
            top: how many suggestions.
            words: on a character-level model, complete the word the prompt ends with:
                each suggestion is the whole word, the partial word at the end of the
                prompt (the characters after its last non-word character; none if it
                ends with a space) and its completion, with the probability that the
                word being typed is exactly that word (a non-word character follows
                it). Word characters are letters, digits and apostrophes (' and ’);
                the unknown character neither continues nor ends a word; completions
                are at most 24 characters long (see
                :func:`~lstmkit.models.generation.complete_words`). On a word-level
                model the tokens already are words, so ``words`` changes nothing: the
                suggestions are the next tokens, the prompt's last word taken as
                complete.
            cache: mix in the fitted cache: in a long prompt, the names and words it
                holds come back (its weight grows with the prompt; see ``cache_size``).

        Returns:
            ``[(token or word, probability), ...]``; the unknown token is never
            suggested, so the probabilities add up to at most 1.
        """
        with self._cache_on(cache):
            return suggest_next(self, prompt, top=top, words=words)

    def inspect(self, text: str, *, out: str | os.PathLike, cells=None, quantity: str = "c",
                top: int = 3, png: bool = True) -> Path:
        """Write an HTML page (and a PNG) colouring ``text`` by cells' activations; see
        :func:`~lstmkit.tasks.text_inspect.inspect_text`."""
        self._check_fitted()
        return inspect_text(self, text, out=out, cells=cells, quantity=quantity, top=top,
                            png=png)

    def _ids_checked(self, text: str) -> torch.Tensor:
        self._check_fitted()
        return self._ids(text)

    def encode_prompt(self, prompt: str) -> list[int]:
        """The ids of ``prompt``.

        Raises:
            TextError: if the prompt is empty or (character level) holds characters the
                vocabulary does not know.
        """
        self._check_fitted()
        if not prompt:
            raise TextError("the prompt is empty; give at least one character")
        try:
            return self.tokenizer_.encode(prompt, strict=self.level == "char")
        except TextError as exc:
            raise TextError(f"prompt: {exc}") from None

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise ValueError("TextModel: not fitted yet; call fit(text) or TextModel.load(path)")

    # -- persistence ------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write the model directory (config.json with the settings, metrics and cache,
        model.safetensors, tokenizer.json)."""
        self._check_fitted()
        return write_text_model(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> TextModel:
        """A model saved by :meth:`save`; reads JSON and safetensors only.

        Raises:
            ModelFileError: if ``path`` is not a saved text model.
        """
        return read_text_model(cls, path)
