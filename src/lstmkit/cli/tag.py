"""``lstmkit tag``: a tagged corpus (CoNLL, CoNLL-U, or the bundled Turkish Web Treebank
tags) in; a trained BiLSTM-CRF tagger, its test scores beside the most-frequent-tag
baseline, predictions and a per-tag report out. ``lstmkit tag predict`` tags new text
with a saved model.

Everything is staged and moved to ``--out`` only when complete (see
:func:`lstmkit.cli.task_options.task_command`), so a failed run leaves nothing
half-written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .model_dirs import model_dir as find_model
from .task_options import task_command
from .terminal import safe

app = typer.Typer(help="Tag every token of sentences (part of speech, named entities...): "
                  "train and score beside the most-frequent-tag baseline, or predict with "
                  "a saved model.", invoke_without_command=True)
DEFAULT_OUT = Path("tag-out")
EXAMPLES = """

    Examples:

      lstmkit tag                                   # the bundled Turkish treebank tags

      lstmkit tag --data train.conllu --column xpos --head softmax --out pos-run

      lstmkit tag --data ner.txt --format conll --seeds 3 --cell gru

      lstmkit tag --data wsj.conll --unlabelled news.txt   # + word vectors from raw text

      lstmkit tag predict pos-run --data new.txt --format tokens --out tagged.txt
"""


def _check_data(experiment):
    """Read and split the data as the run will, before anything is staged."""
    from ..data.registry import resolve
    from ..tasks.tagging.task import read_corpus, read_unlabelled, split_corpus

    s = experiment.options
    split = split_corpus(read_corpus(resolve(experiment.experiment.data), s.format, s.column))
    read_unlabelled(s)  # a bad --unlabelled file fails before anything is staged
    return split


def _report(record, experiment, split) -> None:
    metrics = json.loads((record.run_dir / "metrics.json").read_text())
    print_summary(metrics, record.run_dir)


def print_summary(metrics: dict, out: Path) -> None:
    """The model (mean ± sd over seeds) beside the most-frequent-tag baseline."""
    parts = metrics["split"]
    table = Table(title=f"Test part: {parts['test']['sentences']} sentences, "
                  f"{parts['test']['tokens']} tokens, read once after training "
                  f"({metrics['seeds']} seed{'s' * (metrics['seeds'] > 1)})")
    table.add_column("tagger")
    names = list(metrics["model"])
    for name in names:
        table.add_column(name.replace("_", " "), justify="right")
    table.add_row("BiLSTM model", *[f"{v['mean']:.4f} ± {v['sd']:.4f}"
                                    for v in metrics["model"].values()], style="bold")
    table.add_row("most frequent tag", *[f"{metrics['most_frequent_tag'][n]:.4f}"
                                         for n in names])
    Console().print(table)
    Console().print(f"wrote {safe(out)}/: metrics.json, predictions.conll, tag_report.csv, "
                    "model/", highlight=False)


def _tag_command():
    from ..tasks.tagging import SequenceTagger
    from ..tasks.tagging.task import TagTaskSettings

    return task_command(
        "tag", settings=TagTaskSettings, train=SequenceTagger.default_train_config(),
        train_fields=("epochs", "lr", "seed"),
        data=("turkish_web_upos", "Tagged file (CoNLL, CoNLL-U) or dataset name (bundled: "
                                  "turkish_web_upos)."),
        out=str(DEFAULT_OUT),
        prepare=_check_data, report=_report,
        doc="""Train a tagger, score it on the held-out test part beside the
    most-frequent-tag baseline, and write metrics.json, predictions.conll,
    tag_report.csv and model/ into --out.

    The split is fixed: sentence i is test when i % 10 == 9 and validation (early
    stopping, the best epoch) when i % 10 == 8 (the Turkish treebank's own split); the
    test part is read once, after training. With no --data: the bundled Turkish Web
    Treebank part-of-speech tags.""" + EXAMPLES)


app.callback()(_tag_command())


@app.command("predict")
def predict(
    model_dir: Annotated[Path, typer.Argument(
        help="A saved model (or a 'lstmkit tag' --out directory).")],
    data: str = typer.Option(..., "--data", help="Sentences to tag: a file."),
    format: str = typer.Option("tokens", "--format", help="conll, conllu or tokens (one "
                               "token per line, a blank line between sentences)."),
    column: str | None = typer.Option(None, "--column", help="For conll/conllu input: "
                                      "the tag column, scored when given."),
    out: Annotated[Path | None, typer.Option(
        "--out", help="File to write token<TAB>tag lines to, replaced atomically "
        "(default: stdout).")] = None,
) -> None:
    """Tag the sentences of --data with a saved model.

    Example: lstmkit tag predict tag-out --data new.txt --out tagged.txt
    """
    from ..data.conll import FORMATS, read_tagged, write_tagged
    from ..errors import ConfigError
    from ..io import check_output_file
    from ..tasks.tagging import SequenceTagger
    from ..tasks.tagging.metrics import tagging_scores

    if format not in FORMATS:
        raise ConfigError(f"--format: expected one of {', '.join(FORMATS)}, got {format!r}")
    target = check_output_file(out, option="--out") if out is not None else None
    model = SequenceTagger.load(find_model(model_dir, "lstmkit tag"))
    corpus = read_tagged(data, format=format,
                         column=column if column is not None or format == "tokens" else "none")
    tags = model.predict(corpus.sentences)
    if corpus.tags is not None:
        for key, value in tagging_scores(corpus.tags, tags).items():
            typer.echo(f"{key}: {value:.4f}", err=True)
    if target is None:
        for words, labels in zip(corpus.sentences, tags, strict=True):
            typer.echo("\n".join(f"{w}\t{t}" for w, t in zip(words, labels, strict=True))
                       + "\n")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    write_tagged(target, corpus.sentences, [[str(t) for t in seq] for seq in tags])
    typer.echo(safe(f"wrote {len(tags)} sentences to {out}", markup=False), err=True)


