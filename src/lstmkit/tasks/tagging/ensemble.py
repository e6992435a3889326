"""A seed ensemble of taggers: the members' scores are averaged before decoding.

Why: one tagger's accuracy moves by a few tenths of a point from one seed to the next
(Reimers & Gurevych 2017); averaging a few networks trained with different seeds is the
classic remedy, and on the tagging benchmarks the seed noise is as large as the gap to
the targets (``docs/tagging.md``).

How the members are combined: the emission scores (B, T, K) and the CRF's start,
transition and end scores are averaged, and the averaged CRF decodes (Viterbi). A tag
sequence ``y`` then scores the mean of the members' scores ``s_k(y)``; as each member's
``log p_k(y) = s_k(y) - log Z_k`` and ``log Z_k`` does not depend on ``y``, the decoded
sequence is exactly the one with the highest mean log-probability under the members (a
product of experts), at the cost of one Viterbi pass. With the softmax head the mean
emissions' argmax is, in the same way, each step's tag with the highest mean
log-probability.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import torch
from torch import Tensor, nn

from ...models.crf import CRF
from ...models.crf_constraints import Transitions
from ...models.tagger_net import TaggerNet


class TaggerEnsemble(nn.Module):
    """Taggers (:class:`~lstmkit.models.tagger_net.TaggerNet`, same tags and head) whose
    emission and CRF scores are averaged; used like one ``TaggerNet``.

    Args:
        members: the networks, trained one by one.

    Example:
        >>> nets = [TaggerNet(3, hidden_size=4, n_features=2) for _ in range(2)]
        >>> ens = TaggerEnsemble(nets)
        >>> from types import SimpleNamespace
        >>> batch = SimpleNamespace(feats=torch.randn(1, 5, 2), lengths=torch.tensor([5]),
        ...                         words=None, chars=None, mask=torch.ones(1, 5).bool())
        >>> ens.decode(batch).shape
        torch.Size([1, 5])
    """

    def __init__(self, members: Sequence[TaggerNet]) -> None:
        super().__init__()
        if len(members) < 2:
            raise ValueError(f"TaggerEnsemble: expected at least 2 members, got {len(members)}")
        self.members = nn.ModuleList(members)
        self.head = members[0].head

    def emissions(self, batch) -> Tensor:
        """The members' mean emission scores (B, T, K).

        When predicting (eval mode, no gradient) with several torch threads, the members
        run side by side, one thread each (:meth:`parallel_emissions`); otherwise one
        after the other (the reference path, :meth:`serial_emissions`)."""
        if self.training or torch.is_grad_enabled() or torch.get_num_threads() < 2:
            return self.serial_emissions(batch)
        return self.parallel_emissions(batch)

    def serial_emissions(self, batch) -> Tensor:
        """The members' mean emission scores, one member after the other."""
        return torch.stack([m.emissions(batch) for m in self.members]).mean(0)

    def parallel_emissions(self, batch) -> Tensor:
        """The members' mean emission scores, up to ``torch.get_num_threads()`` members
        at a time, each on one thread.

        Why: at batch 64 a tagger's small matrix products gain nothing from a second
        intra-op thread (``docs/tagging.md``: 22,249 tokens/s on two threads, 22,518
        per CPU-second of one), while the members are independent; the recurrent
        kernels run in C++ without Python's lock, so the members overlap."""
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with ThreadPoolExecutor(min(threads, len(self.members))) as pool:
                scores = list(pool.map(lambda m: _emissions_without_grad(m, batch),
                                       self.members))
        finally:
            torch.set_num_threads(threads)
        return torch.stack(scores).mean(0)

    def mean_crf(self) -> CRF | None:
        """A CRF whose start, transition and end scores are the members' means (and whose
        forbidden transitions are theirs); None for the softmax head."""
        first = self.members[0].crf
        if first is None:
            return None
        with torch.random.fork_rng(devices=[]), torch.no_grad():  # the init draws nothing
            crf = CRF(first.num_tags, constraints=Transitions(
                first.start_allowed, first.allowed, first.end_allowed))
            for name in ("transitions", "start_transitions", "end_transitions"):
                mean = torch.stack([getattr(m.crf, name) for m in self.members]).mean(0)
                getattr(crf, name).copy_(mean)
        return crf

    def loss(self, batch) -> Tensor:
        """The members' mean loss (each member is trained on its own loss)."""
        return torch.stack([m.loss(batch) for m in self.members]).mean()

    def decode(self, batch) -> Tensor:
        """The predicted tag ids (B, T) of the averaged scores, -1 on padding."""
        emissions, mask = self.emissions(batch), batch.mask
        crf = self.mean_crf()
        if crf is None:
            return emissions.argmax(2).masked_fill(~mask, -1)
        return crf.decode(emissions, mask)[0]


def _emissions_without_grad(member: TaggerNet, batch) -> Tensor:
    """``member.emissions(batch)`` on a worker thread (``no_grad`` is per thread)."""
    with torch.no_grad():
        return member.emissions(batch)


def members_of(network: nn.Module) -> list[TaggerNet]:
    """The networks trained one by one: an ensemble's members, or ``[network]``."""
    return list(network.members) if isinstance(network, TaggerEnsemble) else [network]
