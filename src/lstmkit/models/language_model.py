"""``LanguageModel``: embedding -> stacked recurrent layers (any cell) -> output layer.

With the AWD-LSTM regularisers of Merity et al. 2017 ("Regularizing and Optimizing
LSTM Language Models"): embedding dropout, variational (locked) dropout of the
embeddings and outputs, weight drop on the recurrent weights, weight tying, and the
activation (AR) and temporal activation (TAR) penalties of :func:`activation_penalty`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..layers import Recurrent
from ..layers.fused import fused_step
from ..layers.regularizers import locked_dropout
from ..validation import check_positive_int, check_probability
from .cache import MEMORY_TENSORS, Memory, NeuralCache, empty_memory, mix
from .cache_fit import fit_cache

State = Tensor | tuple[Tensor, ...]


def embedding_dropout(weight: Tensor, p: float, training: bool) -> Tensor:
    """Drop whole rows (tokens) of an embedding matrix (V, E), scaling the rest by
    ``1 / (1 - p)``: every occurrence of a dropped token reads zeros in this batch."""
    if not training or p == 0.0:
        return weight
    mask = weight.new_empty(weight.shape[0], 1).bernoulli_(1 - p) / (1 - p)  # (V, 1)
    return weight * mask


def activation_penalty(hidden: Tensor, dropped: Tensor, *, alpha: float, beta: float) -> Tensor:
    """AR and TAR of Merity et al. 2017 on the last layer's outputs (T, B, H).

    ``alpha * mean(dropped ** 2)`` keeps activations small; ``beta * mean((h_t -
    h_{t-1}) ** 2)`` on the un-dropped ``hidden`` keeps them slow. Zero if both are 0.
    """
    penalty = hidden.new_zeros(())
    if alpha:
        penalty = penalty + alpha * dropped.pow(2).mean()
    if beta and hidden.shape[0] > 1:
        penalty = penalty + beta * (hidden[1:] - hidden[:-1]).pow(2).mean()
    return penalty


class LanguageModel(nn.Module):
    """Predict the next token of a stream from the ones before it.

    Args:
        vocab_size: ``V``, the number of token ids.
        embedding_size: ``E``, the width of the token embeddings.
        hidden_size: ``H``, the width of each recurrent layer.
        num_layers: stacked recurrent layers.
        cell: any registered cell name (``"lstm"``, ``"gru"``, ``"layernorm"``, ...).
        dropout: dropout between recurrent layers.
        embedding_dropout: probability of dropping a whole token's embedding.
        input_dropout: variational dropout of the embeddings (one mask per sequence).
        output_dropout: variational dropout of the last layer's outputs.
        weight_dropout: DropConnect on the recurrent weights ("weight drop").
        tie_weights: share the embedding matrix with the output layer (Press & Wolf
            2017); a bias-free projection H -> E is added when ``H != E``.

    Attributes:
        cache: a :class:`~lstmkit.models.cache.NeuralCache` (None: none). In eval mode
            the outputs are then the log-probabilities of the network's distribution
            mixed with the cache's, and the state carries the cache's memory after the
            recurrent state's tensors. Training never uses it.

    Shape:
        - tokens: (B, T) ids; state: the layer's state, tensors (L, B, H), or None.
        - output: logits (B, T, V) and the new state.

    Example:
        >>> lm = LanguageModel(50, embedding_size=8, hidden_size=16, num_layers=2)
        >>> logits, state = lm(torch.randint(50, (3, 7)))
        >>> tuple(logits.shape), tuple(state[0].shape)
        ((3, 7, 50), (2, 3, 16))
    """

    def __init__(self, vocab_size: int, *, embedding_size: int = 128, hidden_size: int = 512,
                 num_layers: int = 1, cell: str = "lstm", dropout: float = 0.0,
                 embedding_dropout: float = 0.0, input_dropout: float = 0.0,
                 output_dropout: float = 0.0, weight_dropout: float = 0.0,
                 tie_weights: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        self.vocab_size = check_positive_int(name, "vocab_size", vocab_size)
        self.embedding_dropout = check_probability(name, "embedding_dropout", embedding_dropout)
        self.input_dropout = check_probability(name, "input_dropout", input_dropout)
        self.output_dropout = check_probability(name, "output_dropout", output_dropout)
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.rnn = Recurrent(embedding_size, hidden_size, num_layers, dropout=dropout,
                             cell=cell, weight_dropout=weight_dropout)
        width = self.rnn.output_size
        self.projection = (nn.Linear(width, embedding_size, bias=False)
                           if tie_weights and width != embedding_size else None)
        self.decoder = nn.Linear(embedding_size if tie_weights else width, vocab_size)
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        if tie_weights:
            self.decoder.weight = self.embedding.weight
        self.cache: NeuralCache | None = None

    def _uses_cache(self) -> bool:
        return self.cache is not None and not self.training

    def _split_state(self, state: State | None) -> tuple[State | None, Memory | None]:
        """The recurrent state and the cache's memory (the last tensors)."""
        if state is None or not self._uses_cache():
            return state, None
        rnn = state[:-MEMORY_TENSORS]
        return (rnn[0] if len(rnn) == 1 else rnn), tuple(state[-MEMORY_TENSORS:])

    def _join_state(self, rnn: State, memory: Memory) -> State:
        return (*((rnn,) if isinstance(rnn, Tensor) else rnn), *memory)

    def _mix_cache(self, logits: Tensor, hidden: Tensor, tokens: Tensor, state: State,
                   memory: Memory | None, *, inplace: bool) -> tuple[Tensor, State]:
        """Logits (B, T, V) -> the cache mixture's log-probabilities, and the state
        with the cache's memory appended."""
        if memory is None:
            memory = empty_memory(tokens.shape[0], hidden)
        logits, memory = mix(logits, hidden, tokens, memory, self.cache, inplace=inplace)
        return logits, self._join_state(state, memory)

    def forward(self, tokens: Tensor, state: State | None = None, *,
                return_hidden: bool = False):
        """Logits for every position; with ``return_hidden`` also the last layer's outputs
        before and after output dropout, each (T, B, H), for :func:`activation_penalty`."""
        if tokens.dim() != 2:
            raise ValueError(f"{type(self).__name__}: expected tokens of shape (B, T), got "
                             f"{tuple(tokens.shape)}")
        state, memory = self._split_state(state)
        weight = embedding_dropout(self.embedding.weight, self.embedding_dropout, self.training)
        x = F.embedding(tokens.t(), weight)  # (B, T) -> (T, B, E)
        x = locked_dropout(x, self.input_dropout, self.training)
        hidden, state = self.rnn(x, state)  # (T, B, E) -> (T, B, H)
        dropped = locked_dropout(hidden, self.output_dropout, self.training)
        logits = self.decode(dropped).transpose(0, 1)  # (T, B, V) -> (B, T, V)
        if self._uses_cache():
            logits, state = self._mix_cache(logits, hidden.transpose(0, 1), tokens, state,
                                            memory, inplace=False)
        if return_hidden:
            return logits, state, (hidden, dropped)
        return logits, state

    def decode(self, hidden: Tensor) -> Tensor:
        """Logits from recurrent outputs: ``(..., H) -> (..., V)``."""
        if self.projection is not None:
            hidden = self.projection(hidden)
        return self.decoder(hidden)

    @torch.no_grad()
    def step(self, token: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """One token per row in, the next token's logits out: the fast path of
        generation (eval-mode semantics), through the fused ``lstm_step`` kernel for a
        classic LSTM and the cells directly otherwise.

        With a cache, the memory in ``state`` is updated in place (copying it at every
        token would cost more than the network): pass each state to ``step`` once.

        Shape:
            token (B,) ids -> logits (B, V); state as in :meth:`forward`.
        """
        state, memory = self._split_state(state)
        x = self.embedding.weight[token]  # (B,) -> (B, E)
        fused = fused_step(self.rnn, x, state)  # the classic LSTM: one kernel call
        if fused is not None:
            x, new_state = fused
        else:
            x, new_state = self._step_cells(x, state)
        if self._uses_cache():
            logits, new_state = self._mix_cache(self.decode(x)[:, None], x[:, None],
                                                token[:, None], new_state, memory, inplace=True)
            return logits[:, 0], new_state
        return self.decode(x), new_state

    def _step_cells(self, x: Tensor, state: State | None) -> tuple[Tensor, State]:
        """One step through the stacked cells: x (B, E) -> the last layer's h (B, H)."""
        cells = self.rnn.cells
        if state is None:
            parts = [c.init_state(x.shape[0], dtype=x.dtype) for c in cells]
        else:
            state = (state,) if isinstance(state, Tensor) else state
            parts = [tuple(s[k] for s in state) for k in range(len(cells))]
        new_parts = []
        for cell, s in zip(cells, parts, strict=True):
            weights = cell.weights()
            s, _ = cell.step(cell.project_input(x, weights), s, weights)
            new_parts.append(s)
            x = s[0]
        new_state = tuple(torch.stack(ts) for ts in zip(*new_parts, strict=True))  # (L, B, H)
        return x, new_state if len(new_state) > 1 else new_state[0]

    @torch.no_grad()
    def fit_cache(self, tokens: Tensor, *, size: int, window: int = 256) -> float:
        """Give the model a continuous cache of ``size`` positions whose settings predict
        ``tokens`` best (see :func:`~lstmkit.models.cache_fit.fit_cache`).

        Args:
            tokens: (B, N) validation streams, N >= 2 (long rows: the cache needs history).
            size: how many past positions the cache holds.
            window: positions run through the network at a time.

        Returns:
            The mean loss (nats per token) on ``tokens`` with the fitted cache. If no
            setting predicts better than the network alone, the model keeps no cache.
        """
        if tokens.dim() != 2 or tokens.shape[1] < 2:
            raise ValueError(f"{type(self).__name__}.fit_cache: expected tokens of shape (B, N) "
                             f"with N >= 2, got {tuple(tokens.shape)}")
        was_training, self.cache = self.training, None
        self.eval()
        state, hidden, log_probs = None, [], []
        for a in range(0, tokens.shape[1], window):
            logits, state, (out, _) = self(tokens[:, a:a + window], state, return_hidden=True)
            hidden.append(out.transpose(0, 1))  # (T, B, H) -> (B, T, H)
            log_probs.append(logits.log_softmax(-1))
        following = tokens[:, 1:, None]  # (B, N - 1, 1)
        target_log_probs = torch.cat(log_probs, 1)[:, :-1].gather(-1, following)[..., 0]
        cache, loss = fit_cache(torch.cat(hidden, 1), tokens, target_log_probs, size=size,
                                vocab_size=self.vocab_size, window=window)
        self.cache = cache if cache.lam > 0 else None  # lam 0: the network alone
        self.train(was_training)
        return loss
