"""The simple baseline every tagging score is printed beside: each token's most frequent
tag in the training data, and the overall most frequent tag for tokens never seen."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from typing import Any


class MostFrequentTag:
    """Tag each token with the tag it had most often in training (ties: the tag seen
    more often overall, then the first in sorted order); unknown tokens get the most
    frequent tag overall. Series steps are tokens too when they are hashable.

    Example:
        >>> base = MostFrequentTag().fit([["a", "b"], ["a"]], [["X", "Y"], ["X"]])
        >>> base.predict([["a", "zzz"]])
        [['X', 'X']]
    """

    def fit(self, X: Sequence[Sequence[Hashable]], y: Sequence[Sequence[Any]]
            ) -> MostFrequentTag:
        """Count the tags of every token of ``X``."""
        counts: dict[Hashable, Counter] = defaultdict(Counter)
        overall: Counter = Counter()
        for tokens, tags in zip(X, y, strict=True):
            for token, tag in zip(tokens, tags, strict=True):
                counts[token][tag] += 1
                overall[tag] += 1
        rank = {tag: (-n, str(tag)) for tag, n in overall.items()}
        self.default_ = min(overall, key=rank.__getitem__)
        self.table_ = {token: min(seen, key=lambda t, c=seen: (-c[t], *rank[t]))
                       for token, seen in counts.items()}
        return self

    def predict(self, X: Sequence[Sequence[Hashable]]) -> list[list[Any]]:
        """The baseline tags of each sequence."""
        return [[self.table_.get(token, self.default_) for token in tokens] for tokens in X]
