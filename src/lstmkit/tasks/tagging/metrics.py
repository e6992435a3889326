"""Scores of a tagging: token accuracy, per-tag precision/recall/F1, and span-level
precision/recall/F1 over BIO/BIOES chunks.

The spans follow the chunking rules of CoNLL's ``conlleval`` as implemented by
seqeval 1.2.2 (its default, non-strict mode), so the span scores equal
``seqeval.metrics.precision_score/recall_score/f1_score`` (micro average), which the
tests check; seqeval is not needed at run time. Written here rather than imported
because seqeval is an optional dependency and its rules fit in a few lines.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ...models.crf_constraints import allowed_transitions, detect_scheme, split_tag


def _parts(tag: str) -> tuple[str, str]:
    """seqeval's reading of a tag: its first character and the type after a ``-``."""
    return tag[0], tag[1:].split("-", maxsplit=1)[-1] or "_"


def _ends(prev: str, tag: str, prev_type: str, type_: str) -> bool:
    return (prev in ("E", "S") or (prev in ("B", "I") and tag in ("B", "S", "O"))
            or (prev not in ("O", ".") and prev_type != type_))


def _starts(prev: str, tag: str, prev_type: str, type_: str) -> bool:
    return (tag in ("B", "S") or (prev in ("E", "S", "O") and tag in ("E", "I"))
            or (tag not in ("O", ".") and prev_type != type_))


def spans(sequences: Sequence[Sequence[str]]) -> list[tuple[str, int, int]]:
    """The chunks ``(type, first, last)`` of the sentences, positions counted over the
    sentences joined with an ``O`` between them (as seqeval does).

    Example:
        >>> spans([["B-PER", "I-PER", "O", "B-LOC"]])
        [('PER', 0, 1), ('LOC', 3, 3)]
    """
    flat = [t for seq in sequences for t in [*seq, "O"]]
    prev, prev_type, begin, chunks = "O", "", 0, []
    for i, label in enumerate([*flat, "O"]):
        tag, type_ = _parts(str(label))
        if _ends(prev, tag, prev_type, type_):
            chunks.append((prev_type, begin, i - 1))
        if _starts(prev, tag, prev_type, type_):
            begin = i
        prev, prev_type = tag, type_
    return chunks


def span_scores(truth: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
                ) -> dict[str, float]:
    """Micro-averaged span precision, recall and F1 (0 where undefined, as seqeval)."""
    true, pred = set(spans(truth)), set(spans(predicted))
    right = len(true & pred)
    precision = right / len(pred) if pred else 0.0
    recall = right / len(true) if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"span_precision": precision, "span_recall": recall, "span_f1": f1}


def token_accuracy(truth: Sequence[Sequence[Any]], predicted: Sequence[Sequence[Any]]) -> float:
    """The share of steps whose predicted tag is the true one."""
    pairs = [(a, b) for t, p in zip(truth, predicted, strict=True)
             for a, b in zip(t, p, strict=True)]
    return sum(a == b for a, b in pairs) / len(pairs)


def tagging_scores(truth: Sequence[Sequence[Any]], predicted: Sequence[Sequence[Any]]
                   ) -> dict[str, float]:
    """``token_accuracy``, plus the span scores when the true tags are BIO or BIOES."""
    scores = {"token_accuracy": token_accuracy(truth, predicted)}
    labels = {t for seq in truth for t in seq}
    if all(isinstance(t, str) for t in labels) and detect_scheme(sorted(labels)) != "none":
        scores.update(span_scores(truth, predicted))
    return scores


def per_tag_report(truth: Sequence[Sequence[Any]], predicted: Sequence[Sequence[Any]]
                   ) -> list[dict[str, Any]]:
    """Token-level precision, recall, F1 and support of every tag, most frequent first."""
    pairs = [(a, b) for t, p in zip(truth, predicted, strict=True)
             for a, b in zip(t, p, strict=True)]
    support, guessed = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    right = Counter(a for a, b in pairs if a == b)
    rows = []
    for tag in sorted(set(support) | set(guessed), key=lambda t: (-support[t], str(t))):
        p = right[tag] / guessed[tag] if guessed[tag] else 0.0
        r = right[tag] / support[tag] if support[tag] else 0.0
        rows.append({"tag": tag, "precision": p, "recall": r,
                     "f1": 2 * p * r / (p + r) if p + r else 0.0, "support": support[tag]})
    return rows


def scheme_violation(sequences: Sequence[Sequence[Any]], scheme: str
                     ) -> tuple[int, str] | None:
    """``(index, description)`` of the first sequence whose tags break ``scheme``."""
    labels = sorted({str(t) for seq in sequences for t in seq})
    if any(split_tag(t)[0] == "" for t in labels):
        return 0, f"tag {next(t for t in labels if split_tag(t)[0] == '')!r} is not a " \
                  f"{scheme.upper()} tag"
    rules = allowed_transitions(labels, scheme)
    index = {t: i for i, t in enumerate(labels)}
    for n, seq in enumerate(sequences):
        ids = [index[str(t)] for t in seq]
        if not rules.start[ids[0]]:
            return n, f"it starts with {seq[0]!r}"
        if not rules.end[ids[-1]]:
            return n, f"it ends with {seq[-1]!r}"
        for a, b in itertools.pairwise(ids):
            if not rules.allowed[a, b]:
                return n, f"{labels[a]!r} is followed by {labels[b]!r}"
    return None
