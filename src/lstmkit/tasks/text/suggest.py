"""What :class:`~lstmkit.tasks.text.TextModel` does with a prompt: continue it
(``generate``) and suggest the likeliest next tokens or, on a character-level model,
the likeliest words being typed (``suggest``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import torch

from ...data.text import TextError
from ...models import generation
from ...threads import torch_threads


def is_word_char(char: str) -> bool:
    """Whether ``char`` continues a word: a letter, a digit or an apostrophe.

    Example:
        >>> is_word_char("a"), is_word_char("'"), is_word_char(" ")
        (True, True, False)
    """
    return char.isalnum() or char in "'’"


class PromptMixin:
    """``encode_prompt``, ``generate`` and ``suggest`` for an estimator with a fitted
    ``network_`` (a :class:`~lstmkit.models.language_model.LanguageModel`), a fitted
    ``tokenizer_`` and a ``level``."""

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

    @contextlib.contextmanager
    def _cache_on(self, on: bool) -> Iterator[None]:
        """The network uses its fitted cache inside the block only if ``on``."""
        fitted = self.network_.cache
        self.network_.cache = fitted if on else None
        try:
            yield
        finally:
            self.network_.cache = fitted

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
                out = generation.beam_search(self.network_, ids, length, beam=beam)
                for i in out if on_token is not None else ():
                    on_token(i)
            else:
                out = generation.generate_ids(self.network_, ids, length,
                                              temperature=temperature, top_k=top_k,
                                              top_p=top_p, seed=seed, on_token=on_token)
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
            if words and self.level == "char":
                return self._suggest_words(prompt, top)
            probs = generation.next_token_probs(self.network_, self.encode_prompt(prompt))
        probs[0] = 0.0  # never suggest the unknown token
        values, ids = probs.topk(min(top, probs.numel() - 1))
        return [(self.tokenizer_.decode([i]), float(p)) for p, i in
                zip(values.tolist(), ids.tolist(), strict=True)]

    def _suggest_words(self, prompt: str, top: int) -> list[tuple[str, float]]:
        ids = self.encode_prompt(prompt)
        word_chars = torch.tensor([is_word_char(c) for c in self.tokenizer_.vocab_])  # (V,)
        boundaries = ~word_chars
        word_chars[0] = boundaries[0] = False  # the unknown character: neither
        start = len(prompt)
        while start > 0 and is_word_char(prompt[start - 1]):
            start -= 1
        with torch_threads(1):
            found = generation.complete_words(
                self.network_, ids, is_word_char=word_chars, is_boundary=boundaries,
                top=top, min_chars=0 if start < len(prompt) else 1)
        return [(prompt[start:] + self.tokenizer_.decode(tail), p) for tail, p in found]
