"""LSTM-FCN and MLSTM-FCN (Karim et al. 2017, 2019): a fully convolutional branch with
squeeze-and-excitation beside a recurrent branch, their pooled features concatenated.

Two deliberate differences from the published Keras code, both documented in
``docs/classification.md``:

* the recurrent branch reads the **time axis** by default (T steps of I features).
  The original's "dimension shuffle" feeds the LSTM the transposed series, I steps of T
  features, so for a univariate series it sees one step (titu1994/LSTM-FCN#4, #9); it is
  available as ``dimension_shuffle=True`` for fixed-length series;
* padding is masked: convolutions see zeros past each sequence's end and the global
  average pool averages the valid steps only, so variable-length series need no
  resampling.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .pooling import step_mask
from .sequence_encoder import SequenceEncoder


def with_differences(x: Tensor, lengths: Tensor) -> Tensor:
    """Each series beside its first difference: ``[x_t, x_t - x_{t-1}]`` per feature,
    the first step's difference 0 and the padding (steps past ``lengths``) 0, as in
    derivative DTW (Keogh & Pazzani 2001; Górecki & Łuczak 2013).

    Shape:
        x (B, T, I), lengths (B,) -> (B, T, 2I).

    Example:
        >>> x = torch.tensor([[1.0, 3.0, 2.0, 0.0]])[..., None]
        >>> with_differences(x, torch.tensor([3]))[0, :, 1].tolist()
        [0.0, 2.0, -1.0, 0.0]
    """
    delta = torch.zeros_like(x)
    delta[:, 1:] = x[:, 1:] - x[:, :-1]  # (B, T, I)
    if int(lengths.min()) < x.shape[1]:
        delta = delta.masked_fill(~step_mask(lengths, x.shape[1])[..., None], 0.0)
    return torch.cat([x, delta], dim=2)  # (B, T, I) -> (B, T, 2I)


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation (Hu et al. 2018) over channels, masked mean over time.

    Shape:
        x (B, C, T), mask (B, 1, T) or None (no padding) -> (B, C, T).
    """

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        inner = max(channels // reduction, 1)
        self.gate = nn.Sequential(nn.Linear(channels, inner), nn.ReLU(),
                                  nn.Linear(inner, channels), nn.Sigmoid())

    def forward(self, x: Tensor, mask: Tensor | None) -> Tensor:
        if mask is None:
            squeezed = x.mean(2)  # (B, C, T) -> (B, C)
        else:
            squeezed = (x * mask).sum(2) / mask.sum(2).clamp(min=1)  # (B, C, T) -> (B, C)
        return x * self.gate(squeezed)[:, :, None]


def folded_conv(conv: nn.Conv1d, norm: nn.BatchNorm1d, x: Tensor) -> Tensor:
    """``norm(conv(x))`` in eval mode as one convolution: the batch norm's affine map
    folded into the weights and bias (one pass over the activations instead of two).
    A convolution over few input values per step (``in_channels * kernel <= 64``, e.g.
    the first block on a univariate series) runs as one matrix product over the unfolded
    windows: PyTorch's CPU conv1d took 16 ms for GunPoint's 150 test series there
    against 0.6 ms (oneDNN's direct kernel is slow for one input channel).

    Shape:
        x (B, I, T') -> (B, O, T' + 2 * conv.padding - k + 1).
    """
    scale = norm.weight * torch.rsqrt(norm.running_var + norm.eps)  # (O,)
    weight = conv.weight * scale[:, None, None]  # (O, I, k)
    bias = norm.bias - norm.running_mean * scale
    bias = bias if conv.bias is None else bias + conv.bias * scale
    out_channels, in_channels, k = weight.shape
    if in_channels * k > 64:
        return F.conv1d(x, weight, bias, padding=conv.padding)
    pad = conv.padding[0]
    x = F.pad(x, (pad, pad)) if pad else x
    windows = x.unfold(2, k, 1).transpose(1, 2)  # (B, I, T, k) -> (B, T, I, k)
    flat = windows.reshape(-1, in_channels * k)  # (B * T, I * k)
    out = torch.addmm(bias, flat, weight.reshape(out_channels, -1).t())  # (B * T, O)
    return out.view(x.shape[0], -1, out_channels).transpose(1, 2)  # (B, O, T)


class ConvBranch(nn.Module):
    """Three temporal convolution blocks (conv, batch norm, ReLU; squeeze-excitation
    after the first two) and a masked global average pool.

    In eval mode each block's batch norm is folded into its convolution
    (:func:`folded_conv`; ``fast_inference = False`` runs the reference modules).

    Shape:
        x (B, T, I), lengths (B,) -> (B, filters[-1]).
    """

    def __init__(self, input_size: int, filters: tuple[int, ...] = (128, 256, 128),
                 kernels: tuple[int, ...] = (8, 5, 3), *, squeeze_excite: bool = True) -> None:
        super().__init__()
        self.convs, self.norms, self.excite = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        size = input_size
        for k, (width, kernel) in enumerate(zip(filters, kernels, strict=True)):
            self.convs.append(nn.Conv1d(size, width, kernel,
                                        padding=0 if kernel % 2 == 0 else kernel // 2))
            self.norms.append(nn.BatchNorm1d(width))
            last = k == len(filters) - 1
            self.excite.append(nn.Identity() if last or not squeeze_excite
                               else SqueezeExcite(width))
            size = width
        self.output_size = size
        self.fast_inference = True  # eval: batch norm folded (folded_conv); False: reference

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        full = bool((lengths == x.shape[1]).all())  # no padding: skip the masking (faster)
        mask = None if full else step_mask(lengths, x.shape[1])[:, None, :].to(x.dtype)
        h = x.transpose(1, 2)  # (B, T, I) -> (B, I, T)
        h = h if mask is None else h * mask
        fold = self.fast_inference and not self.training
        for conv, norm, excite in zip(self.convs, self.norms, self.excite, strict=True):
            k = conv.kernel_size[0]  # "same" padding, also for even kernels (left (k-1)//2)
            padded = F.pad(h, ((k - 1) // 2, k // 2)) if k % 2 == 0 else h
            h = (folded_conv(conv, norm, padded) if fold else norm(conv(padded))).relu()
            h = h if mask is None else h * mask
            h = excite(h, mask) if isinstance(excite, SqueezeExcite) else h
        if mask is None:
            return h.mean(2)  # (B, C, T) -> (B, C)
        return h.sum(2) / mask.sum(2).clamp(min=1)  # (B, C, T) -> (B, C)


class LSTMFCN(nn.Module):
    """LSTM-FCN (univariate) / MLSTM-FCN (multivariate, with squeeze-excitation).

    Args:
        input_size: I, features per step (the embedding size for tokens).
        n_classes: C.
        hidden_size, num_layers, cell, bidirectional, pooling: the recurrent branch
            (a :class:`~lstmkit.models.sequence_encoder.SequenceEncoder`).
        filters, kernels: the convolution blocks.
        dropout: dropout on the recurrent branch's pooled output (0.8 in the paper).
        dimension_shuffle: the paper's variant: the recurrent branch reads the
            transposed series (I steps of ``seq_len`` features); needs ``seq_len``.
        seq_len: the fixed length T for ``dimension_shuffle``.
        vocab_size, embedding_dim: token-id input through an embedding.
        differences: numeric series enter both branches with their first difference
            as I more features (:func:`with_differences`).
        standardize: numeric series: every input feature (the differences too) is
            shifted and scaled by the buffers ``input_shift`` / ``input_scale``, which
            :meth:`fit_standardization` sets from the training series (identity until
            then); the padding stays 0.

    Attributes:
        bf16_inference: in eval mode, run the convolution branch under bfloat16 autocast
            (faster prediction, probabilities within about 1e-2 of float32); off by default.

    Shape:
        x (B, T, I) or (B, T) long, lengths (B,) -> logits (B, C).

    Example:
        >>> net = LSTMFCN(2, 3, hidden_size=4, filters=(8, 8, 8))
        >>> tuple(net(torch.randn(5, 20, 2), torch.full((5,), 20)).shape)
        (5, 3)
    """

    def __init__(self, input_size: int, n_classes: int, *, hidden_size: int = 64,
                 num_layers: int = 1, cell: str = "lstm", bidirectional: bool = False,
                 pooling: str = "last", filters: tuple[int, ...] = (128, 256, 128),
                 kernels: tuple[int, ...] = (8, 5, 3), dropout: float = 0.8,
                 dimension_shuffle: bool = False, seq_len: int | None = None,
                 vocab_size: int | None = None, embedding_dim: int = 32,
                 differences: bool = False, standardize: bool = False) -> None:
        super().__init__()
        if dimension_shuffle and (seq_len is None or vocab_size is not None):
            raise ValueError("LSTMFCN: dimension_shuffle needs numeric series of one fixed "
                             "length (seq_len)")
        if (differences or standardize) and vocab_size is not None:
            raise ValueError("LSTMFCN: differences and standardize need numeric series, "
                             "got token ids (vocab_size)")
        self.embedding = None if vocab_size is None else nn.Embedding(vocab_size, embedding_dim)
        self.differences = differences
        size = input_size * (2 if differences else 1) if vocab_size is None else embedding_dim
        self.standardize = standardize
        if standardize:
            self.register_buffer("input_shift", torch.zeros(size))
            self.register_buffer("input_scale", torch.ones(size))
        self.dimension_shuffle = dimension_shuffle
        self.recurrent = SequenceEncoder(seq_len if dimension_shuffle else size, hidden_size,
                                         num_layers=num_layers, cell=cell,
                                         bidirectional=bidirectional, pooling=pooling)
        self.conv = ConvBranch(size, tuple(filters), tuple(kernels))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.recurrent.output_size + self.conv.output_size, n_classes)
        self.bf16_inference = False  # set by the owner; not a weight (see _conv)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        x = x if self.embedding is None else self.embedding(x)  # (B, T) -> (B, T, E)
        x = self._inputs(x, lengths)  # (B, T, I) -> (B, T, 2I) with differences
        if self.dimension_shuffle:
            shuffled = x.transpose(1, 2)  # (B, T, I) -> (B, I, T): I steps of T features
            steps = lengths.new_full((x.shape[0],), x.shape[2])
            recurrent = self.recurrent(shuffled, steps)
        else:
            recurrent = self.recurrent(x, lengths)
        features = [self.dropout(recurrent), self._conv(x, lengths)]
        return self.head(torch.cat(features, dim=1))  # (B, H + C') -> (B, C)

    def _features(self, x: Tensor, lengths: Tensor) -> Tensor:
        """The series, with its differences when ``differences`` is on."""
        return with_differences(x, lengths) if self.differences else x

    def _inputs(self, x: Tensor, lengths: Tensor) -> Tensor:
        """What both branches read: :meth:`_features`, standardized."""
        x = self._features(x, lengths)
        if not self.standardize:
            return x
        x = (x - self.input_shift) * self.input_scale
        if int(lengths.min()) < x.shape[1]:
            x = x.masked_fill(~step_mask(lengths, x.shape[1])[..., None], 0.0)
        return x

    @torch.no_grad()
    def fit_standardization(self, x: Tensor, lengths: Tensor) -> None:
        """Set ``input_shift`` / ``input_scale`` to the mean and 1 / standard deviation
        of each input feature (with its differences) over the valid steps of ``x``
        (B, T, I), the training series; a constant feature keeps scale 1."""
        valid = self._features(x, lengths)[step_mask(lengths, x.shape[1])]  # (steps, F)
        sd = valid.std(0, correction=0)
        self.input_shift.copy_(valid.mean(0))
        self.input_scale.copy_(torch.where(sd > 1e-8, 1.0 / sd, torch.ones_like(sd)))

    def _conv(self, x: Tensor, lengths: Tensor) -> Tensor:
        """The convolution branch; in eval mode with ``bf16_inference``, under bfloat16
        autocast (its convolutions are most of the model's arithmetic: about 20 MFLOP
        per GunPoint series against 5 for the LSTM; bfloat16 runs them about 4 times
        faster on a CPU with AVX512-BF16). The float32 path is the reference."""
        if self.training or not self.bf16_inference:
            return self.conv(x, lengths)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return self.conv(x, lengths).float()


def start_standardization(network: nn.Module, x: Tensor, lengths: Tensor) -> None:
    """:meth:`LSTMFCN.fit_standardization` on ``x`` (B, T, I) for every LSTM-FCN in
    ``network`` (each ensemble member) built with ``standardize``."""
    for fcn in network.modules():
        if isinstance(fcn, LSTMFCN) and fcn.standardize:
            fcn.fit_standardization(x, lengths)
