"""Sequence-classification quality and prediction throughput, beside the baselines.

For each UCR/UEA dataset (GunPoint, ItalyPowerDemand, ArrowHead, BasicMotions; the
archive's fixed train/test split, read from aeon's shipped files), fits the default
:class:`lstmkit.SequenceClassifier` with ``--seeds`` seeds (only the training part
chooses anything: on these small sets, whose 20 % validation split would hold fewer
than ``min_val_size`` series, the epoch with the lowest training loss; the test part
is read once per model at the end) and prints the test
accuracy as mean ± sd beside 1-NN Euclidean, 1-NN DTW and MiniRocket + ridge fitted on
the same split, and the training time of each fit. Text (SpamAssassin, Pang & Lee) is
``benchmarks/classify_text_quality.py``.

Throughput: ``predict_proba`` of the fitted GunPoint model over the test series at batch
256, against a reference measured in the same run (``torch.nn.LSTM`` of the same width
over the same series: the cost of the recurrence alone).

    python benchmarks/classify_quality.py                 # every dataset, 3 seeds
    python benchmarks/classify_quality.py --data GunPoint --seeds 1 --minutes 1
    python benchmarks/classify_quality.py --speed          # the throughput alone
    python benchmarks/classify_quality.py --tune 3 --data ArrowHead --set min_val_size=1
    python benchmarks/classify_quality.py --tune 3 --data ArrowHead --set augment_crop=0.1
    python benchmarks/classify_quality.py --tune 3 --repeats 3 \
        --data GunPoint ItalyPowerDemand ArrowHead          # repeated CV, session 11
    python benchmarks/classify_quality.py --tune 3 --data GunPoint --set n_models=3 \
        --train-set epochs=134 --train-set early_stopping=34
    python benchmarks/classify_quality.py --make-data src/lstmkit/data/datasets
    python benchmarks/classify_quality.py --set num_threads=1   # reproducible: see below

``--minutes M`` trains each model for M minutes of wall-clock time (the learning-rate
schedule spans it) instead of the default epochs; the targets ask for under 3 minutes.

``--set num_threads=1`` makes a run repeatable to the last digit: the default
(``"auto"``) trains on the cores the load leaves idle, and another thread count changes
the float sums and so the trajectory of a fit. The session-12 runs all use it.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from overrides import add_setting_options

from lstmkit import SequenceClassifier
from lstmkit.tasks.classification.baselines import baseline_scores
from lstmkit.tasks.classification.inputs import read_sequences
from lstmkit.threads import torch_threads

SERIES = ("GunPoint", "ItalyPowerDemand", "ArrowHead", "BasicMotions")
TARGETS = {"GunPoint": 0.99, "ItalyPowerDemand": 0.96, "ArrowHead": 0.88, "BasicMotions": 1.0}


def load_ucr(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The archive's train and test parts as (N, T, I) arrays and labels."""
    from aeon.datasets import load_classification

    X, y = load_classification(name, split="train")
    Xt, yt = load_classification(name, split="test")
    return X.transpose(0, 2, 1), y, Xt.transpose(0, 2, 1), yt  # (N, I, T) -> (N, T, I)


def fit_seeds(X, y, Xt, yt, seeds: int, minutes: float | None, settings: dict | None = None,
              train: dict | None = None) -> tuple[list, list, object]:
    """Test accuracies and training seconds of the model for each seed (the default one
    unless ``settings`` / ``train`` override fields; ``train["seed"]`` fixes one seed);
    the test part (``Xt``, ``yt``) is read once per model, after its fit."""
    accuracies, seconds, first = [], [], None
    for seed in range(seeds):
        config = replace(SequenceClassifier.default_train_config(),
                         **{"seed": seed, **(train or {})})
        model = SequenceClassifier(minutes=minutes, progress=False, train=config,
                                   **(settings or {}))
        start = time.perf_counter()
        model.fit(X, y)
        seconds.append(time.perf_counter() - start)
        accuracies.append(model.evaluate(Xt, yt)["accuracy"])  # the test part's one use
        first = first or model
    return accuracies, seconds, first


def tune(names: list[str], folds: int, settings: dict, train: dict, repeats: int = 1
         ) -> None:
    """Training-part-only comparison of settings: stratified ``folds``-fold
    cross-validation accuracy on each archive's training part, ``repeats`` times with
    other folds (repeat r splits with ``random_state=r``; its fold k trains with seed
    ``r * folds + k``, so repeat 0 is the single CV of sessions 7-10; the test parts are
    never loaded). Prints each data set's accuracy, the held-out series it got right per
    repeat, and the mean over the data sets. How the defaults were chosen."""
    from sklearn.model_selection import StratifiedKFold

    means = []
    for name in names:
        X, y, _, _ = load_ucr(name)
        accuracies, seconds, right = [], [], 0.0
        for r in range(repeats):
            splits = StratifiedKFold(folds, shuffle=True, random_state=r).split(X, y)
            for k, (fit_rows, held) in enumerate(splits):
                acc, sec, _ = fit_seeds(X[fit_rows], y[fit_rows], X[held], y[held], 1, None,
                                        settings, {"seed": r * folds + k, **train})
                accuracies += acc
                seconds += sec
                right += acc[0] * len(held)
        means.append(right / (repeats * len(X)))
        print(f"{name:17s} {settings} {train}: {repeats}x{folds}-fold CV accuracy on the "
              f"training part {means[-1]:.4f} ({right / repeats:.2f} of {len(X)} held-out "
              f"series right per repeat) {np.round(accuracies, 3).tolist()}; "
              f"{np.mean(seconds):.0f} s per fit (max {np.max(seconds):.0f})", flush=True)
    print(f"mean over {', '.join(names)}: {np.mean(means):.4f}", flush=True)


def report(name: str, accuracies: list, seconds: list, baselines: dict) -> None:
    acc = np.array(accuracies)
    sd = acc.std(ddof=1) if len(acc) > 1 else 0.0
    target = TARGETS.get(name)
    met = "met" if target is not None and acc.mean() >= target else "MISSED"
    verdict = "" if target is None else f" (target ≥ {target:.2f}: {met})"
    print(f"{name:18s} lstmkit {acc.mean():.4f} ± {sd:.4f}{verdict}; training "
          f"{np.mean(seconds):.0f} s per fit (max {np.max(seconds):.0f} s)")
    for key, value in baselines.items():
        shown = f"{value['accuracy']:.4f}" if "accuracy" in value else value["note"]
        print(f"{'':18s}   {key:14s} {shown}")


def throughput(model, X: np.ndarray, repeats: int = 3) -> None:
    """Series per second of predict_proba (float32, and with ``predict_bf16``: the
    convolution branch in bfloat16), beside nn.LSTM over the same series."""
    x = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    reference = torch.nn.LSTM(x.shape[2], model.settings.hidden_size, batch_first=True).eval()

    def rate(fn) -> float:
        fn()
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        return len(X) / best

    with torch_threads(model.settings.num_threads), torch.no_grad():
        threads = torch.get_num_threads()
        ref = rate(lambda: [reference(x[i:i + 256]) for i in range(0, len(x), 256)])
        ours = rate(lambda: model.predict_proba(X))
        model.network_.bf16_inference = True
        fast = rate(lambda: model.predict_proba(X))
        model.network_.bf16_inference = False
    print(f"throughput at T={X.shape[1]} (best of {repeats}, {threads} "
          f"threads; target ≥ 2,000 series/s): float32 {ours:,.0f} series/s, "
          f"predict_bf16 {fast:,.0f} series/s; nn.LSTM({model.settings.hidden_size}) alone "
          f"{ref:,.0f} series/s (ratios {ours / ref:.2f}, {fast / ref:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="*", default=list(SERIES), choices=SERIES)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=None)
    parser.add_argument("--make-data", type=Path, default=None,
                        help="write the bundled CSVs into this folder and exit")
    parser.add_argument("--speed", action="store_true",
                        help="only the throughput (of a GunPoint model trained 1 epoch)")
    parser.add_argument("--tune", type=int, default=0, metavar="FOLDS",
                        help="training part only: FOLDS-fold cross-validation accuracy of "
                        "the model with --set/--train-set overrides (never reads test)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="with --tune: repeat the CV with other folds and seeds")
    add_setting_options(parser, "SequenceClassifier")
    parser.add_argument("--threads", type=int, default=None,
                        help="with --speed: the model's num_threads (default auto: the idle "
                        "cores; on a busy machine 1 measures one core)")
    args = parser.parse_args()
    if args.tune:
        tune(args.data, args.tune, dict(args.set), dict(args.train_set), args.repeats)
        return
    if args.speed:
        X, y, Xt, _ = load_ucr("GunPoint")
        train = replace(SequenceClassifier.default_train_config(), epochs=1)
        model = SequenceClassifier(progress=False, train=train, **dict(args.set),
                                   num_threads=args.threads or "auto").fit(X, y)
        throughput(model, Xt)
        return
    if args.make_data:
        make_data(args.make_data)
        return
    print(f"torch threads {torch.get_num_threads()}; shared machine: absolute times vary "
          "with load")
    for name in args.data:
        X, y, Xt, yt = load_ucr(name)
        accuracies, seconds, model = fit_seeds(X, y, Xt, yt, args.seeds, args.minutes,
                                               dict(args.set), dict(args.train_set))
        base = baseline_scores(read_sequences(X), y, read_sequences(Xt), yt)
        report(name, accuracies, seconds, base)
        if name == "GunPoint":
            throughput(model, Xt)


def make_data(out: Path) -> None:
    """How the bundled classification CSVs were made (UCR/UEA from aeon 1.6.0;
    SpamAssassin from the npm tarball unpacked in /tmp/spam)."""
    import csv
    import io

    from aeon.datasets import load_classification

    for name, dims in (("GunPoint", 1), ("ItalyPowerDemand", 1), ("BasicMotions", 6)):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        cols = ["value"] if dims == 1 else [f"dim_{k}" for k in range(dims)]
        w.writerow(["id", "time", *cols, "label", "split"])
        k = 0
        for split in ("train", "test"):
            X, y = load_classification(name, split=split)  # (N, I, T)
            for i in range(len(X)):
                for t in range(X.shape[2]):
                    w.writerow([k, t, *[f"{v:.6g}" for v in X[i, :, t]], y[i], split])
                k += 1
        (out / f"{name.lower()}.csv").write_text(buf.getvalue())
    root, rng = Path("/tmp/spam/package/data"), np.random.default_rng(0)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "text", "label", "group"])
    for group in ["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"]:
        files = sorted(root.glob(f"{group}/*.json"))
        keep = sorted(rng.choice(len(files), size=round(len(files) * 2000 / 6046),
                                 replace=False))
        for i in keep:
            d = json.loads(files[i].read_text())
            body = d["text"].split("\n\n", 1)[1][:1000]
            w.writerow([f"{group}/{d['id']}", body,
                        "spam" if group.startswith("spam") else "ham", group])
    (out / "spam_assassin.csv").write_text(buf.getvalue())


if __name__ == "__main__":
    main()
