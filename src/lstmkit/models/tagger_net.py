"""``TaggerNet``: one tag per step. Word embeddings and a character-level encoder of
each word (Lample et al. 2016), or the features of a multivariate series, read by a
stacked bidirectional recurrent encoder of any cell, then a CRF or a softmax head."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..layers import Recurrent
from .crf import CRF
from .crf_constraints import Transitions


class CharEncoder(nn.Module):
    """Each word from its characters: a bidirectional recurrent layer over them, the
    forward direction's last output beside the backward direction's first.

    Shape:
        chars (N, C) long, 0 for padding, at least one character per row -> (N, 2 H).
    """

    def __init__(self, vocab_size: int, embedding_size: int, hidden_size: int, cell: str):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_size, padding_idx=0)
        self.rnn = Recurrent(embedding_size, hidden_size, batch_first=True,
                             bidirectional=True, cell=cell)
        self.output_size = 2 * self.rnn.output_size

    def forward(self, chars: Tensor) -> Tensor:
        lengths = (chars != 0).sum(1)  # (N,)
        out, _ = self.rnn(self.embedding(chars), lengths=lengths)  # (N, C, 2H)
        half = out.shape[2] // 2
        last = out[torch.arange(len(chars)), lengths - 1, :half]  # (N, H)
        return torch.cat([last, out[:, 0, half:]], dim=1)  # (N, 2H)


class TaggerNet(nn.Module):
    """Emission scores per step from words (+ characters) or features; a CRF or softmax.

    Args:
        num_tags: K.
        hidden_size, num_layers, cell: the bidirectional encoder.
        vocab_size, word_size: the word embeddings (0: none).
        char_vocab_size, char_size, char_hidden_size: the character encoder (0: none).
        suffix_vocab_sizes, affix_size: an embedding of this width per suffix
            vocabulary (token input; ``batch.suffixes`` (B, T, len(sizes)) ids; 0: none).
        shape_size: word-shape flags per token read as they are (``batch.shapes``
            (B, T, shape_size); 0: none).
        n_features: F, features per step of series input (0: token input).
        dropout: on the inputs of the encoder and on its output.
        word_dropout: while training, the share of known words whose word embedding is
            replaced by the unknown word's (so the network learns to tag words it has
            not seen from their characters and context; 0: none).
        unknown_id: the unknown word's id.
        head: ``"crf"`` or ``"softmax"``.
        constraints: the CRF's allowed transitions (None: all).

    Shape:
        a :class:`~lstmkit.tasks.tagging.batching.TagBatch`-like object with
        ``lengths`` and ``words``/``chars``/``feats`` -> emissions (B, T, K).
    """

    def __init__(self, num_tags: int, *, hidden_size: int, num_layers: int = 1,
                 cell: str = "lstm", vocab_size: int = 0, word_size: int = 0,
                 char_vocab_size: int = 0, char_size: int = 0, char_hidden_size: int = 1,
                 n_features: int = 0, dropout: float = 0.0, head: str = "crf",
                 constraints: Transitions | None = None, word_dropout: float = 0.0,
                 unknown_id: int = 1, suffix_vocab_sizes: Sequence[int] = (),
                 affix_size: int = 0, shape_size: int = 0) -> None:
        super().__init__()
        self.word_dropout, self.unknown_id = word_dropout, unknown_id
        width = n_features
        self.words = nn.Embedding(vocab_size, word_size, padding_idx=0) \
            if vocab_size and word_size else None
        width += word_size if self.words is not None else 0
        self.chars = CharEncoder(char_vocab_size, char_size, char_hidden_size, cell) \
            if char_vocab_size and char_size else None
        width += self.chars.output_size if self.chars is not None else 0
        self.suffixes = nn.ModuleList(
            nn.Embedding(n, affix_size, padding_idx=0) for n in suffix_vocab_sizes) \
            if affix_size and suffix_vocab_sizes else None
        width += affix_size * len(self.suffixes) if self.suffixes is not None else 0
        self.shape_size = shape_size
        width += shape_size
        if width == 0:
            raise ValueError("TaggerNet: no input: give n_features, or word or character "
                             "embeddings")
        self.dropout = nn.Dropout(dropout)
        self.encoder = Recurrent(width, hidden_size, num_layers, batch_first=True,
                                 bidirectional=True, dropout=dropout, cell=cell)
        self.project = nn.Linear(2 * self.encoder.output_size, num_tags)
        self.head = head
        self.crf = CRF(num_tags, constraints=constraints) if head == "crf" else None

    def emissions(self, batch) -> Tensor:
        """Emission scores (B, T, K) of a batch."""
        parts = []
        if batch.feats is not None:
            parts.append(batch.feats)
        if self.words is not None:
            parts.append(self.words(self._drop_words(batch.words)))  # (B, T) -> (B, T, E)
        if self.chars is not None:
            parts.append(self._chars(batch.chars))
        if self.suffixes is not None:  # (B, T, S) ids -> S times (B, T, A)
            parts += [emb(batch.suffixes[:, :, i]) for i, emb in enumerate(self.suffixes)]
        if self.shape_size:
            parts.append(batch.shapes)  # (B, T, shape_size)
        x = self.dropout(torch.cat(parts, dim=2))
        out, _ = self.encoder(x, lengths=batch.lengths)  # (B, T, 2H)
        return self.project(self.dropout(out))

    def _drop_words(self, words: Tensor) -> Tensor:
        """While training, known word ids (B, T) replaced by ``unknown_id`` at the rate
        ``word_dropout``; unchanged in eval mode."""
        if not (self.training and self.word_dropout):
            return words
        drop = (torch.rand(words.shape, device=words.device) < self.word_dropout) & (
            words > self.unknown_id)
        return words.masked_fill(drop, self.unknown_id)

    def _chars(self, chars: Tensor) -> Tensor:
        """(B, T, C) character ids -> (B, T, 2 H_c): only real words go through the encoder."""
        batch, steps, _ = chars.shape
        real = chars[:, :, 0] != 0  # (B, T)
        # each distinct word once: a batch repeats its common words and punctuation
        words, inverse = torch.unique(chars[real], dim=0, return_inverse=True)
        encoded = self._encode_words(words)[inverse]  # (N_unique, C) -> (N, 2H_c)
        out = encoded.new_zeros(batch, steps, encoded.shape[1])
        out[real] = encoded
        return out

    def _encode_words(self, words: Tensor) -> Tensor:
        """(N, C) character ids of distinct words -> (N, 2 H_c).

        When predicting, the words go through the encoder in two groups, the shorter
        half and the longer half, each cut to its own longest word: the encoder runs
        over every padded step, and most words are far shorter than a batch's longest
        (Turkish test part: 5.4 characters on average, 16-18 at most), so this runs
        the character encoder in 40% less time, with outputs identical to one group's
        (``tests/tasks/tagging/test_char_groups.py``). Training keeps one group (the reference
        path), so that training is unchanged."""
        if self.training or len(words) < 2:
            return self.chars(words)
        lengths = (words != 0).sum(1)
        out = None
        for group in lengths.argsort().tensor_split(2):
            part = self.chars(words[group][:, :int(lengths[group].max())])
            out = part.new_empty(len(words), part.shape[1]) if out is None else out
            out[group] = part
        return out

    def loss(self, batch) -> Tensor:
        """Mean negative log-likelihood per tag (CRF) or cross-entropy per tag (softmax)."""
        emissions, mask = self.emissions(batch), batch.mask
        if self.crf is None:
            return F.cross_entropy(emissions[mask], batch.tags[mask], ignore_index=-1)
        return self.crf(emissions, batch.tags.clamp(min=0), mask).sum() / mask.sum()

    def decode(self, batch) -> Tensor:
        """The predicted tag ids (B, T), -1 on padding."""
        emissions, mask = self.emissions(batch), batch.mask
        if self.crf is None:
            return emissions.argmax(2).masked_fill(~mask, -1)
        return self.crf.decode(emissions, mask)[0]
