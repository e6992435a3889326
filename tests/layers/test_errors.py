"""Bad input gets an error naming the class, what was expected and what came."""

import pytest
import torch

import lstmkit


@pytest.mark.parametrize(("make", "call", "error", "message"), [
    (lambda: lstmkit.LSTM(32, 8), lambda m: m(torch.randn(5, 8, 16)), ValueError,
     r"^LSTM: expected input of shape \(T, B, 32\), got \(5, 8, 16\)$"),
    (lambda: lstmkit.LSTM(32, 8, batch_first=True), lambda m: m(torch.randn(8, 5, 16)),
     ValueError, r"^LSTM: expected input of shape \(B, T, 32\), got \(8, 5, 16\)$"),
    (lambda: lstmkit.GRU(4, 8), lambda m: m(torch.randn(2, 3, 4, 4)), ValueError,
     r"^GRU: expected input of shape \(T, B, 4\) or \(T, 4\), got \(2, 3, 4, 4\)$"),
    (lambda: lstmkit.RNN(4, 8), lambda m: m(torch.ones(3, 2, 4, dtype=torch.float64)),
     TypeError, r"^RNN: expected input of dtype torch.float32, got torch.float64$"),
    (lambda: lstmkit.LSTM(4, 8, 2), lambda m: m(torch.randn(3, 2, 4),
                                                 (torch.zeros(1, 2, 8), torch.zeros(2, 2, 8))),
     ValueError, r"^LSTM: expected hx\[0\] of shape \(2, 2, 8\), got \(1, 2, 8\)$"),
    (lambda: lstmkit.GRU(4, 8), lambda m: m(torch.randn(3, 2, 4), (torch.zeros(1, 2, 8),) * 2),
     ValueError, r"^GRU: expected hx as 1 tensor\(s\), got 2$"),
    (lambda: lstmkit.LSTM(4, 8), lambda m: m(torch.randn(3, 2, 4), lengths=[3, 4]),
     ValueError, r"^LSTM: expected lengths in \[1, 3\], got 4 at batch index 1$"),
    (lambda: lstmkit.LSTM(4, 8), lambda m: m(torch.randn(3, 2, 4), lengths=[3]),
     ValueError, r"^LSTM: expected 2 lengths \(one per sequence\), got 1$"),
    (lambda: lstmkit.LSTM(4, 8), lambda m: m(torch.randn(3, 2, 4), lengths=[0, 2]),
     ValueError, r"^LSTM: expected lengths in \[1, 3\], got 0 at batch index 0$"),
])
def test_layer_bad_input_message(make, call, error, message):
    with pytest.raises(error, match=message):
        call(make())


def test_layer_unknown_cell_lists_valid_ones():
    with pytest.raises(ValueError, match=r"^LSTM: unknown cell 'gru'; valid cells: lstm, "
                                         r"peephole, multiplicative, layernorm$"):
        lstmkit.LSTM(4, 8, cell="gru")


def test_layer_bad_dropout_message():
    with pytest.raises(ValueError, match=r"^GRU: expected dropout in \[0, 1\), got 1.5$"):
        lstmkit.GRU(4, 8, dropout=1.5)


def test_layer_projection_not_smaller_than_hidden_message():
    with pytest.raises(ValueError, match=r"^LSTMCell: expected proj_size < hidden_size \(8\), "
                                         r"got 8$"):
        lstmkit.LSTM(4, 8, proj_size=8)
