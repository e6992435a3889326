"""The CRF against brute-force enumeration of every tag sequence: log-partition, best
path, the k-best list and gradients; padded batches equal each sequence alone; BIO and
BIOES constraints never decoded."""

import itertools

import pytest
import torch
from torch.testing import assert_close

from lstmkit.models.crf import CRF
from lstmkit.models.crf_constraints import allowed_transitions, detect_scheme

BIO = ["O", "B-X", "I-X", "B-Y", "I-Y"]
BIOES = ["O", "B-X", "I-X", "E-X", "S-X"]


def brute_force(crf, emissions, scheme_tags=None):
    """Every legal tag sequence of one sequence (T, K) with its score, best first."""
    steps, k = emissions.shape
    start, trans, end = crf._scores(float("-inf"))
    scored = []
    for path in itertools.product(range(k), repeat=steps):
        s = start[path[0]] + emissions[0, path[0]] + end[path[-1]]
        for t in range(1, steps):
            s = s + trans[path[t - 1], path[t]] + emissions[t, path[t]]
        if torch.isfinite(s):
            scored.append((float(s.detach()), list(path), s))
    scored.sort(key=lambda item: -item[0])
    return scored


def random_crf(k, seed, tags=None, scheme="none"):
    torch.manual_seed(seed)
    constraints = allowed_transitions(tags, scheme) if tags else None
    crf = CRF(k, constraints=constraints).double()
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    return crf


CASES = [(3, 1, None, "none"), (3, 4, None, "none"), (4, 3, None, "none"),
         (5, 4, BIO, "bio"), (5, 3, BIOES, "bioes")]


@pytest.mark.parametrize("k,steps,tags,scheme", CASES)
def test_crf_log_partition_equals_brute_force(k, steps, tags, scheme):
    crf = random_crf(k, steps, tags, scheme)
    emissions = torch.randn(1, steps, k, dtype=torch.float64)
    mask = torch.ones(1, steps, dtype=torch.bool)
    scores = torch.stack([s for _, _, s in brute_force(crf, emissions[0])])
    assert_close(crf.log_partition(emissions, mask)[0], torch.logsumexp(scores, 0))


@pytest.mark.parametrize("k,steps,tags,scheme", CASES)
def test_crf_decode_and_top_k_equal_brute_force(k, steps, tags, scheme):
    crf = random_crf(k, steps + 10, tags, scheme)
    emissions = torch.randn(1, steps, k, dtype=torch.float64)
    mask = torch.ones(1, steps, dtype=torch.bool)
    expected = brute_force(crf, emissions[0])
    path, score = crf.decode(emissions, mask)
    assert path[0].tolist() == expected[0][1]
    assert score[0].item() == pytest.approx(expected[0][0])
    n = min(6, len(expected))
    paths, scores = crf.top_k(emissions, mask, n)
    assert paths[0].tolist() == [p for _, p, _ in expected[:n]]
    assert scores[0].tolist() == pytest.approx([s for s, _, _ in expected[:n]])


def test_crf_top_k_beyond_the_legal_paths_scores_minus_inf():
    crf = random_crf(3, 0, ["O", "B-X", "I-X"], "bio")
    emissions = torch.randn(1, 1, 3, dtype=torch.float64)
    paths, scores = crf.top_k(emissions, torch.ones(1, 1, dtype=torch.bool), 3)
    assert sorted(paths[0, :2, 0].tolist()) == [0, 1]  # O or B-X; I-X cannot start
    assert torch.isfinite(scores[0, :2]).all() and scores[0, 2] == float("-inf")


def test_crf_nll_is_minus_log_probability_of_the_path():
    crf = random_crf(3, 5)
    emissions = torch.randn(1, 4, 3, dtype=torch.float64)
    mask = torch.ones(1, 4, dtype=torch.bool)
    expected = brute_force(crf, emissions[0])
    log_z = torch.logsumexp(torch.stack([s for _, _, s in expected]), 0)
    for s, path, _ in expected[:5]:
        nll = crf(emissions, torch.tensor([path]), mask)[0]
        assert nll.item() == pytest.approx(float(log_z) - s)


def test_crf_gradcheck_of_the_nll_in_float64():
    crf = random_crf(4, 7, ["O", "B-X", "I-X", "B-Y"], "bio")
    emissions = torch.randn(3, 5, 4, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[1] * 5, [1] * 3 + [0] * 2, [1] + [0] * 4]).bool()
    tags = torch.tensor([[0, 1, 2, 0, 3], [1, 2, 2, 0, 0], [3, 0, 0, 0, 0]])

    def nll(em, trans, start, end):
        return functional_nll(crf, em, trans, start, end, tags, mask)

    inputs = (emissions, crf.transitions.detach().clone().requires_grad_(),
              crf.start_transitions.detach().clone().requires_grad_(),
              crf.end_transitions.detach().clone().requires_grad_())
    assert torch.autograd.gradcheck(nll, inputs)


def functional_nll(crf, em, trans, start, end, tags, mask):
    """The CRF's nll with its parameters swapped for ``trans, start, end`` (for gradcheck)."""
    from torch.func import functional_call

    params = {"transitions": trans, "start_transitions": start, "end_transitions": end}
    return functional_call(crf, params, (em, tags, mask))


def test_crf_padded_batch_equals_each_sequence_alone():
    crf = random_crf(5, 3, BIO, "bio")
    lengths = [6, 1, 4, 3]
    emissions = torch.randn(4, 6, 5, dtype=torch.float64)
    mask = torch.arange(6)[None] < torch.tensor(lengths)[:, None]
    tags = torch.randint(0, 5, (4, 6))
    tags[:, :] = 0  # O everywhere is legal under BIO
    log_z = crf.log_partition(emissions, mask)
    nll = crf(emissions, tags, mask)
    paths, scores = crf.top_k(emissions, mask, 3)
    for b, n in enumerate(lengths):
        alone = emissions[b:b + 1, :n]
        one = torch.ones(1, n, dtype=torch.bool)
        assert_close(log_z[b], crf.log_partition(alone, one)[0])
        assert_close(nll[b], crf(alone, tags[b:b + 1, :n], one)[0])
        p, s = crf.top_k(alone, one, 3)
        assert paths[b, :, :n].tolist() == p[0].tolist()
        assert (paths[b, :, n:] == -1).all()
        assert_close(scores[b], s[0])


@pytest.mark.parametrize("tags,scheme", [(BIO, "bio"), (BIOES, "bioes")])
def test_crf_constrained_decoding_never_yields_a_forbidden_transition(tags, scheme):
    torch.manual_seed(0)
    rules = allowed_transitions(tags, scheme)
    crf = CRF(len(tags), constraints=rules)
    emissions = torch.randn(64, 7, len(tags)) * 5  # emissions that favour illegal tags
    paths, _ = crf.decode(emissions, torch.ones(64, 7, dtype=torch.bool))
    assert rules.start[paths[:, 0]].all() and rules.end[paths[:, -1]].all()
    assert rules.allowed[paths[:, :-1], paths[:, 1:]].all()


def test_crf_constraints_of_bio_and_bioes():
    bio = allowed_transitions(BIO, "bio")
    o, bx, ix, by, iy = range(5)
    assert not bio.allowed[o, ix] and not bio.allowed[bx, iy] and not bio.allowed[ix, iy]
    assert bio.allowed[bx, ix] and bio.allowed[ix, ix] and bio.allowed[ix, by]
    assert not bio.start[ix] and bio.end.all()
    bioes = allowed_transitions(BIOES, "bioes")
    o, b, i, e, s = range(5)
    assert bioes.allowed[b, i] and bioes.allowed[b, e] and not bioes.allowed[b, o]
    assert not bioes.allowed[o, e] and bioes.allowed[e, s] and not bioes.end[b]
    assert [detect_scheme(t) for t in (BIO, BIOES, ["NOUN", "VERB"], ["O"])] == [
        "bio", "bioes", "none", "none"]


@pytest.mark.parametrize("call,message", [
    (lambda c: c.decode(torch.randn(2, 3, 4), torch.ones(2, 3, dtype=torch.bool)),
     r"expected emissions of shape \(B, T, 3\), got \(2, 3, 4\)"),
    (lambda c: c.decode(torch.randn(2, 3, 3), torch.ones(2, 3)), "expected a bool mask"),
    (lambda c: c.decode(torch.randn(1, 2, 3), torch.tensor([[False, False]])),
     "at least one step"),
    (lambda c: c.top_k(torch.randn(1, 2, 3), torch.ones(1, 2, dtype=torch.bool), 0),
     "expected k ≥ 1, got 0"),
])
def test_crf_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call(CRF(3))
