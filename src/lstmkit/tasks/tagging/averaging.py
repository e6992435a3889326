"""Averaging the weights of a tagger's best epochs (checkpoint averaging, as Vaswani et
al. 2017 and fairseq's ``average_checkpoints`` do; close to stochastic weight averaging,
Izmailov et al. 2018): the epochs with the highest validation accuracy are averaged
into one network, which costs no extra training and no extra prediction time.

Written here (rather than with ``torch.optim.swa_utils.AveragedModel``) because the
epochs to average are chosen by their validation accuracy after training, not as a
running average of the last ones.
"""

from __future__ import annotations

from torch import Tensor

from ...training.callbacks import Callback


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
