"""Dynamic evaluation: the plain sequential score without adaptation, a better score on
a text that repeats, the trained model untouched, clear errors."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from lstmkit.models.dynamic_eval import dynamic_evaluation
from lstmkit.models.language_model import LanguageModel


def _model(vocab: int = 7) -> LanguageModel:
    torch.manual_seed(0)
    return LanguageModel(vocab, embedding_size=6, hidden_size=12).eval()


def _static_nats(model: LanguageModel, ids: torch.Tensor) -> float:
    with torch.no_grad():
        logits, _ = model(ids[None, :-1])
        return float(F.cross_entropy(logits[0], ids[1:], reduction="sum"))


@pytest.mark.parametrize("segment", [1, 5, 64, 500])
def test_without_adaptation_it_is_the_plain_sequential_score(segment):
    model, ids = _model(), torch.randint(1, 7, (200,))
    nats, count = dynamic_evaluation(model, ids, lr=0.0, decay=0.0, segment=segment)
    assert count == 199
    assert math.isclose(nats, _static_nats(model, ids), rel_tol=1e-5)


def test_the_first_segment_is_scored_before_any_update():
    model, ids = _model(), torch.randint(1, 7, (50,))
    nats, _ = dynamic_evaluation(model, ids, lr=5.0, segment=64)  # one segment only
    assert math.isclose(nats, _static_nats(model, ids), rel_tol=1e-5)


def test_adaptation_learns_a_repeating_text_and_leaves_the_model_alone():
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ids = torch.tensor([1, 2, 3, 4, 5] * 60)  # the model has not seen this cycle
    static, _ = dynamic_evaluation(model, ids, lr=0.0)
    adapted, _ = dynamic_evaluation(model, ids, lr=2.0, segment=10)
    assert adapted < 0.8 * static
    for name, value in model.state_dict().items():
        assert_close(value, before[name], rtol=0, atol=0, msg=name)
    assert not model.training


@pytest.mark.parametrize(("ids", "options", "message"), [
    (torch.tensor([3]), {}, "expected ids of shape"),
    (torch.ones(2, 5, dtype=torch.long), {}, "expected ids of shape"),
    (torch.tensor([1, 2, 3]), {"lr": -1.0}, "expected lr >= 0"),
    (torch.tensor([1, 2, 3]), {"decay": 1.0}, "0 <= decay < 1"),
    (torch.tensor([1, 2, 3]), {"segment": 0}, "segment >= 1"),
])
def test_bad_arguments_are_named(ids, options, message):
    with pytest.raises(ValueError, match=message):
        dynamic_evaluation(_model(), ids, **options)
