"""Averaging the weights of several epochs into one network, which costs no extra
training and no extra prediction time (checkpoint averaging, as Vaswani et al. 2017 and
fairseq's ``average_checkpoints`` do; stochastic weight averaging, Izmailov et al. 2018).

* :class:`BestEpochs`: the epochs with the highest validation accuracy (the tagger's
  ``average_epochs``), chosen after training;
* :class:`LastEpochs`: the last epochs each network trained (the sequence classifier's
  ``average_epochs``: its small training sets leave no validation split to rank by).

Written here rather than with ``torch.optim.swa_utils.AveragedModel`` because the epochs
are chosen after training (the best ones, or the last before early stopping), not as a
running average from a fixed epoch on.
"""

from __future__ import annotations

from torch import Tensor, nn

from .callbacks import Callback


class BestEpochs(Callback):
    """Keeps a copy of the weights of the ``k`` epochs with the highest ``monitor``.

    Args:
        k: epochs kept.
        monitor: the epoch metric to rank by (higher is better).

    Attributes:
        kept: ``(score, epoch, state_dict)`` of the best epochs seen, best first.
    """

    def __init__(self, k: int, monitor: str = "val_accuracy") -> None:
        self.k, self.monitor = k, monitor
        self.kept: list[tuple[float, int, dict[str, Tensor]]] = []

    def on_epoch_end(self, trainer, metrics: dict[str, float]) -> None:
        score = metrics.get(self.monitor)
        if score is None:
            return
        if len(self.kept) == self.k and score <= self.kept[-1][0]:
            return
        state = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
        self.kept.append((score, int(metrics["epoch"]), state))
        self.kept.sort(key=lambda item: -item[0])  # stable: the earlier epoch wins a tie
        del self.kept[self.k:]

    def epochs(self) -> list[int]:
        """The epochs kept, best first."""
        return [epoch for _, epoch, _ in self.kept]

    def average(self) -> dict[str, Tensor]:
        """The mean of the kept floating-point weights (other tensors from the best)."""
        states = [state for _, _, state in self.kept]
        return {name: (sum(s[name] for s in states) / len(states)
                       if tensor.is_floating_point() else tensor)
                for name, tensor in states[0].items()}


class LastEpochs(Callback):
    """Keeps the weights of the last ``k`` epochs of every network trained with it
    (one callback may serve an ensemble's members, each with its own trainer), and
    loads their mean into a network after training. ``k <= 1``: does nothing.

    A resumed run keeps only the epochs trained since it resumed.

    Args:
        k: epochs averaged.

    Example:
        >>> cb, net = LastEpochs(2), nn.Linear(1, 1, bias=False)
        >>> trainer = type("T", (), {"model": net})()
        >>> for epoch, w in enumerate([1.0, 2.0, 4.0]):
        ...     _ = net.weight.data.fill_(w)
        ...     cb.on_epoch_end(trainer, {"epoch": epoch})
        >>> cb.average_into(net)
        [2, 1]
        >>> net.weight.item()
        3.0
    """

    def __init__(self, k: int) -> None:
        self.k = k
        self.kept: dict[int, BestEpochs] = {}  # id(network) -> its last epochs

    def on_epoch_end(self, trainer, metrics: dict[str, float]) -> None:
        if self.k > 1:
            kept = self.kept.setdefault(id(trainer.model), BestEpochs(self.k, "epoch"))
            kept.on_epoch_end(trainer, metrics)

    def average_into(self, network: nn.Module) -> list[int] | None:
        """Load the mean of ``network``'s kept epochs into it (floating-point tensors;
        others from the last epoch) and forget them; returns the epochs averaged, latest
        first (None: nothing kept for it)."""
        kept = self.kept.pop(id(network), None)
        if kept is None or not kept.kept:
            return None
        network.load_state_dict(kept.average())
        return kept.epochs()
