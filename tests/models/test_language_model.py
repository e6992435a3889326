"""LanguageModel: state carrying, the fast step path, weight tying, regularisers."""

import pytest
import torch
from torch.testing import assert_close

from lstmkit.models.language_model import LanguageModel, activation_penalty


@pytest.mark.parametrize("cell", ["lstm", "gru", "layernorm"])
def test_language_model_carried_state_equals_concatenated_stream(cell):
    lm = LanguageModel(30, embedding_size=8, hidden_size=12, num_layers=2, cell=cell).eval()
    tokens = torch.randint(30, (3, 20))
    whole, _ = lm(tokens)
    first, state = lm(tokens[:, :7])
    second, _ = lm(tokens[:, 7:], state)
    assert_close(torch.cat([first, second], dim=1), whole)


@pytest.mark.parametrize("cell", ["lstm", "gru", "multiplicative", "rnn"])
def test_language_model_step_equals_forward(cell):
    lm = LanguageModel(30, embedding_size=8, hidden_size=12, num_layers=2, cell=cell).eval()
    tokens = torch.randint(30, (2, 6))
    whole, final = lm(tokens)
    state, steps = None, []
    for t in range(tokens.shape[1]):
        logits, state = lm.step(tokens[:, t], state)
        steps.append(logits)
    assert_close(torch.stack(steps, dim=1), whole)
    assert_close(state, final)


def test_language_model_tie_weights_shares_embedding_and_projects():
    lm = LanguageModel(30, embedding_size=8, hidden_size=12, tie_weights=True)
    assert lm.decoder.weight is lm.embedding.weight
    assert lm.projection is not None and lm.projection.weight.shape == (8, 12)
    logits, _ = lm(torch.randint(30, (2, 5)))
    assert logits.shape == (2, 5, 30)


def test_language_model_regularisers_off_in_eval_on_in_train():
    lm = LanguageModel(30, embedding_size=8, hidden_size=12, embedding_dropout=0.5,
                       input_dropout=0.5, output_dropout=0.5, weight_dropout=0.5)
    tokens = torch.randint(30, (2, 5))
    lm.eval()
    assert_close(lm(tokens)[0], lm(tokens)[0])
    lm.train()
    assert not torch.equal(lm(tokens)[0], lm(tokens)[0])


def test_activation_penalty_is_ar_plus_tar():
    hidden = torch.tensor([[[1.0]], [[3.0]]])  # (T=2, B=1, H=1)
    penalty = activation_penalty(hidden, hidden, alpha=2.0, beta=1.0)
    assert_close(penalty, torch.tensor(2.0 * 5.0 + 1.0 * 4.0))


def test_language_model_rejects_bad_token_shape():
    lm = LanguageModel(30, embedding_size=8, hidden_size=12)
    with pytest.raises(ValueError, match=r"expected tokens of shape \(B, T\), got \(5,\)"):
        lm(torch.randint(30, (5,)))
