"""Which tag transitions a chunk-tagging scheme allows (BIO, BIOES), as boolean masks for
:class:`~lstmkit.models.crf.CRF`.

A tag is ``O`` or ``P-TYPE`` with the prefix ``P`` one of ``B`` (begin), ``I`` (inside),
``E`` (end), ``S`` (single). Under BIO a chunk starts with ``B-X`` and continues with
``I-X``, so ``O → I-X``, ``B-X → I-Y`` (Y ≠ X) and a sequence starting with ``I-X`` are
illegal. Under BIOES a chunk is ``S-X`` or ``B-X (I-X)* E-X``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

SCHEMES = ("none", "bio", "bioes")


@dataclass(frozen=True)
class Transitions:
    """The allowed transitions of a tag set.

    Attributes:
        start: (K,) bool: tags a sequence may start with.
        allowed: (K, K) bool: ``allowed[i, j]``: tag j may follow tag i.
        end: (K,) bool: tags a sequence may end with.
    """

    start: Tensor
    allowed: Tensor
    end: Tensor


def split_tag(tag: str) -> tuple[str, str]:
    """``("B", "PER")`` for ``"B-PER"``, ``("O", "")`` for ``"O"``; the prefix is ``""``
    for a tag outside any scheme (``"NOUN"``)."""
    if tag == "O":
        return "O", ""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in "BIES":
        return tag[0], tag[2:]
    return "", tag


def detect_scheme(tags: Sequence[str]) -> str:
    """``"bioes"`` if every tag is O/B-/I-/E-/S- (and some E- or S- occurs), ``"bio"``
    if every tag is O/B-/I-, else ``"none"`` (e.g. part-of-speech tags)."""
    prefixes = {split_tag(str(t))[0] for t in tags}
    if not prefixes or "" in prefixes or prefixes == {"O"}:
        return "none"
    if prefixes <= {"O", "B", "I"}:
        return "bio"
    return "bioes"


def allowed_transitions(tags: Sequence[str], scheme: str) -> Transitions:
    """The transitions ``scheme`` allows between ``tags`` (all of them for ``"none"``).

    Example:
        >>> t = allowed_transitions(["O", "B-X", "I-X"], "bio")
        >>> t.allowed[0, 2].item(), t.start[2].item(), t.allowed[1, 2].item()
        (False, False, True)
    """
    if scheme not in SCHEMES:
        raise ValueError(f"allowed_transitions: expected scheme in {SCHEMES}, got {scheme!r}")
    k = len(tags)
    if scheme == "none":
        everything = torch.ones(k, dtype=torch.bool)
        return Transitions(everything, torch.ones(k, k, dtype=torch.bool), everything)
    parts = [split_tag(str(t)) for t in tags]
    bad = [str(t) for t, (p, _) in zip(tags, parts, strict=True)
           if p not in ("O", "B", "I") + (("E", "S") if scheme == "bioes" else ())]
    if bad:
        raise ValueError(f"allowed_transitions: tag {bad[0]!r} is not a {scheme.upper()} tag")
    start = torch.tensor([_may_follow(("O", ""), p, scheme) for p in parts])
    end = torch.tensor([_may_follow(p, ("O", ""), scheme) for p in parts])
    allowed = torch.tensor([[_may_follow(a, b, scheme) for b in parts] for a in parts])
    return Transitions(start, allowed, end)


def _may_follow(prev: tuple[str, str], tag: tuple[str, str], scheme: str) -> bool:
    """Whether ``tag`` may follow ``prev`` (the sequence's edges count as ``O``)."""
    (p, p_type), (t, t_type) = prev, tag
    if scheme == "bio":
        return t != "I" or (p in ("B", "I") and p_type == t_type)
    inside = p in ("B", "I")  # BIOES: after B or I only I or E of the same type
    if inside:
        return t in ("I", "E") and p_type == t_type
    return t in ("O", "B", "S")
