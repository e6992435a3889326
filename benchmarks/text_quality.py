"""Text quality and generation speed of ``TextModel`` on the bundled Shakespeare.

    python benchmarks/text_quality.py [--minutes 10] [--quick] [--json out.json] [--save DIR]
                                      [--set NAME=VALUE ...]

Holds out the last 10% of the bundled corpus, trains a character-level ``TextModel``
with its default settings for ``--minutes`` of wall-clock time (validation carved from
the end of the training part), then reports:

* bits per character on the held-out 10% (targets: <= 2.3, stretch <= 2.1) of the
  default model: the network with its continuous cache (fitted on the validation text
  at the end of training; no weight changes on the held-out text). Beside it, not
  instead: the network alone (``evaluate(cache=False)``), and dynamic evaluation
  (``evaluate(adapt=True)``: the model learns from each segment after scoring it);
* generation speed at B = 1 in characters per second (target: >= 2000), sampling at
  temperature 1, after a short warm-up: ``generate``'s default (the network alone), and
  with the cache (``generate(cache=True)``) beside it.

``--set`` overrides a ``TextModel`` setting (``--set hidden_size=512``, or one of its
training settings: ``--set train.lr=2e-3``): the targets are for the defaults, the
overrides are for exploring. ``--quick`` is a smoke run (20 seconds on the first 100
kB). The machine's load average is printed too: on a shared machine the training figure
depends on it.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import fields, replace

from lstmkit.data.registry import resolve
from lstmkit.data.text import read_text
from lstmkit.tasks.text import TextModel
from lstmkit.training import TrainConfig


def generation_speed(model: TextModel, chars: int = 3000, *, cache: bool = False) -> float:
    """Characters per second of seeded sampling at B = 1 (after a 200-character warm-up)."""
    model.generate("ROMEO:\n", length=200, seed=0, cache=cache)
    start = time.perf_counter()
    model.generate("ROMEO:\n", length=chars, seed=1, cache=cache)
    return chars / (time.perf_counter() - start)


def _override(item: str, parser: argparse.ArgumentParser) -> tuple[str, object]:
    name, sep, value = item.partition("=")
    known = {*TextModel().get_params(), *(f"train.{f.name}" for f in fields(TrainConfig))}
    if not sep or name not in known or name == "train":
        parser.error(f"--set {item!r}: expected NAME=VALUE with NAME a TextModel setting "
                     "or train.FIELD of its TrainConfig")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value  # a bare string, e.g. cell=layernorm


def _model(minutes: float, overrides: dict[str, object]) -> TextModel:
    train = {k.removeprefix("train."): v for k, v in overrides.items() if k.startswith("train.")}
    params = {k: v for k, v in overrides.items() if not k.startswith("train.")}
    config = replace(TextModel.default_train_config(), **train)
    return TextModel(**{"minutes": minutes, "progress": False, "train": config, **params})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="20 s smoke run on 100 kB")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--save", help="also save the trained model to this directory")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a TextModel setting (JSON value), e.g. hidden_size=512 or "
                        "train.lr=2e-3")
    args = parser.parse_args()
    overrides = dict(_override(item, parser) for item in args.set)
    text = read_text(resolve("shakespeare").path)
    minutes = args.minutes
    if args.quick:
        text, minutes = text[:100_000], 20 / 60
    cut = int(len(text) * 0.9)
    train, held_out = text[:cut], text[cut:]
    load_before = os.getloadavg()[0]
    start = time.monotonic()
    model = _model(minutes, overrides).fit(train)
    trained_for = time.monotonic() - start
    scores = model.evaluate(held_out)
    network_only = model.evaluate(held_out, cache=False)
    adapted = model.evaluate(held_out, adapt=True)
    results = {
        "held_out_bpc": scores["bpc"], "held_out_chars": int(scores["tokens"]),
        "held_out_bpc_adapted": adapted["bpc"], "held_out_bpc_network_only": network_only["bpc"],
        "cache": None if model.cache_ is None else vars(model.cache_),
        "val_bpc": model.metrics_.get("val_bpc"), "epochs": len(model.history_),
        "fit_seconds": trained_for, "train_seconds": model.seconds_["train"],
        "cache_fit_seconds": model.seconds_["cache"],
        "generation_chars_per_s": generation_speed(model),
        "generation_chars_per_s_with_cache": generation_speed(model, cache=True),
        "minutes": minutes, "train_chars": len(train), "torch_threads": model.threads_,
        "load_average_before": load_before, "load_average_after": os.getloadavg()[0],
        "settings": {k: v for k, v in model.get_params().items() if k != "train"},
        "overrides": overrides, "history": model.history_,
    }
    print(f"held-out bits per character: {results['held_out_bpc']:.3f} "
          f"(target <= 2.3, stretch <= 2.1) after {model.seconds_['train'] / 60:.1f} min of "
          f"training ({results['epochs']} epoch(s) on {model.threads_} thread(s)) and "
          f"{model.seconds_['cache']:.0f} s fitting the cache")
    print(f"held-out bits per character of the network alone (cache=False): "
          f"{results['held_out_bpc_network_only']:.3f}; the cache: {results['cache']}")
    print(f"held-out bits per character with dynamic evaluation (adapt=True): "
          f"{results['held_out_bpc_adapted']:.3f}")
    print(f"generation: {results['generation_chars_per_s']:.0f} chars/s at B=1 "
          f"(target >= 2000); {results['generation_chars_per_s_with_cache']:.0f} with the "
          "cache (generate(cache=True))")
    print(f"load average {load_before:.1f} -> {results['load_average_after']:.1f} "
          f"on {os.cpu_count()} cores")
    if args.save:
        model.save(args.save)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
