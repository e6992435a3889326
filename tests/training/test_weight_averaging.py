"""``LastEpochs``: the last epochs' weights of each network, averaged after training."""

from __future__ import annotations

import torch

from lstmkit.training.averaging import LastEpochs


def _trainer(model: torch.nn.Module):
    return type("FakeTrainer", (), {"model": model})()


def test_last_epochs_averages_each_networks_own_last_k_epochs():
    a, b = torch.nn.Linear(1, 1, bias=False), torch.nn.Linear(1, 1, bias=False)
    cb = LastEpochs(2)
    for epoch in range(4):
        a.weight.data.fill_(epoch)  # 0, 1, 2, 3: the last two average to 2.5
        cb.on_epoch_end(_trainer(a), {"epoch": epoch})
    for epoch in range(3):
        b.weight.data.fill_(10.0 * epoch)  # 0, 10, 20: 15
        cb.on_epoch_end(_trainer(b), {"epoch": epoch})
    assert cb.average_into(a) == [3, 2]
    assert cb.average_into(b) == [2, 1]
    assert a.weight.item() == 2.5 and b.weight.item() == 15.0
    assert cb.average_into(a) is None  # forgotten once used


def test_last_epochs_of_one_keeps_nothing_and_changes_nothing():
    net, cb = torch.nn.Linear(2, 1), LastEpochs(1)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    cb.on_epoch_end(_trainer(net), {"epoch": 0})
    assert cb.kept == {}
    assert cb.average_into(net) is None
    for k, v in net.state_dict().items():
        torch.testing.assert_close(v, before[k])
