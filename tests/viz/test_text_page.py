"""The inspect page: every character present, self-contained, feature correlations."""

import html
import re

import numpy as np
import pytest

from lstmkit.data.text import TextError
from lstmkit.tasks.text import TextModel
from lstmkit.training import TrainConfig
from lstmkit.viz.activations import TextTrace, correlated_units

TEXT = 'He said "hello <world> & (friends)"\n  then\tleft.\n'


@pytest.fixture(scope="module")
def model():
    return TextModel(embedding_size=4, hidden_size=8, batch_size=2, bptt=8, progress=False,
                     train=TrainConfig(epochs=1)).fit(TEXT * 4)


def test_inspect_page_contains_every_character(model, tmp_path):
    page = model.inspect(TEXT, out=tmp_path / "p.html", cells=["0:1", "3"], png=False)
    content = page.read_text(encoding="utf-8")
    blocks = re.findall(r'<div class="text">(.*?)</div>', content, flags=re.S)
    assert len(blocks) == 2
    for block in blocks:
        assert html.unescape(re.sub(r"<[^>]+>", "", block)) == TEXT


def test_inspect_page_is_self_contained_and_writes_png(model, tmp_path):
    page = model.inspect(TEXT, out=tmp_path / "p.html", quantity="o")
    content = page.read_text(encoding="utf-8")
    assert "http" not in content and "<script" not in content and "<link" not in content
    assert "inside quotes" in content
    assert page.with_suffix(".png").read_bytes().startswith(b"\x89PNG")


def test_inspect_rejects_unknown_cell_and_quantity(model, tmp_path):
    with pytest.raises(TextError, match=r"no cell 0:8; the model has 1 layer\(s\) of 8 units"):
        model.inspect(TEXT, out=tmp_path / "p.html", cells=["0:8"], png=False)
    with pytest.raises(TextError, match="unknown quantity 'q'; choose one of"):
        model.inspect(TEXT, out=tmp_path / "p.html", quantity="q", png=False)


def test_correlated_units_finds_a_unit_equal_to_the_feature():
    pieces = list('ab "cd" e')
    quote = np.array([0, 0, 0, 1, 1, 1, 0, 0, 0], dtype=float)  # the opening mark counts
    values = np.random.default_rng(0).normal(size=(1, len(pieces), 5))
    values[0, :, 3] = quote
    found = correlated_units(TextTrace(pieces, {"c": values}), top=1)
    best = next(f for f in found if f["feature"] == "inside quotes")
    assert (best["layer"], best["unit"]) == (0, 3) and best["r"] == pytest.approx(1.0)
