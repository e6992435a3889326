"""``lstmkit classify``: a CSV (long-format series, or a text column) or a bundled
dataset in; a trained classifier scored beside the baselines, its predictions, a
confusion matrix and a tracked run out. ``lstmkit classify predict`` labels new data with
a saved model.

Everything is written into a staging directory and moved to ``--out`` only when complete
(:mod:`lstmkit.io`), as for ``lstmkit forecast``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .model_dirs import emit_csv
from .model_dirs import model_dir as find_model
from .task_options import task_command
from .terminal import safe

app = typer.Typer(help="Classify sequences (time series or text): train and score beside "
                  "baselines, or predict with a saved model.", invoke_without_command=True)
DEFAULT_OUT = Path("classify-out")
EXAMPLES = """

    Examples:

      lstmkit classify --data gunpoint --epochs 100

      lstmkit classify --data basicmotions --model lstm --bidirectional --pooling mean

      lstmkit classify --data spam_assassin --model lstm --text-level word --seeds 3

      lstmkit classify --data mine.csv --id-col series --time-col t --label-col kind

      lstmkit classify --data reviews.csv --model lstm --unlabelled more_reviews.txt

      lstmkit classify predict classify-out --data new.csv --out predictions.csv

    Bundled data: gunpoint, italypowerdemand, basicmotions (UCR/UEA, fixed train/test
    split), spam_assassin (text; a stratified --test-fraction is held out)."""


def _check_data(experiment):
    """The data read, checked and split as the task will, before anything is staged."""
    from ..data.registry import resolve
    from ..tasks.classification.dataset import load_classify_data
    from ..tasks.classification.task import read_unlabelled

    data = load_classify_data(resolve(experiment.experiment.data), experiment.options)
    read_unlabelled(experiment.options, data.kind)  # a bad file fails before staging
    return data


def _report(record, experiment, data) -> None:
    import json

    metrics = json.loads((record.run_dir / "metrics.json").read_text())
    print_summary(metrics, record.run_dir)


def _classify_command():
    from ..tasks.classification import SequenceClassifier
    from ..tasks.classification.task import ClassifyTaskSettings

    return task_command(
        "classify", settings=ClassifyTaskSettings,
        train=SequenceClassifier.default_train_config(),
        train_fields=("epochs", "lr", "seed", "early_stopping"),
        data=("gunpoint", "CSV file or dataset name (bundled: gunpoint, italypowerdemand, "
                          "basicmotions, spam_assassin)."),
        out=str(DEFAULT_OUT),
        prepare=_check_data, report=_report,
        doc="""Train a sequence classifier, score it once on the test part beside the
    baselines, and write metrics.json, predictions.csv, confusion_matrix.png and model/
    into --out. The best epoch, early stopping and the probability calibration use a
    validation split of the training part only.""" + EXAMPLES)


app.callback()(_classify_command())


def print_summary(metrics: dict, out: Path) -> None:
    """The model beside the baselines on the test part, one row each."""
    split = metrics["split"]
    table = Table(title=f"Test part: {split['test']} sequences (trained on "
                  f"{split['train']}; mean ± sd over {split['seeds']} seed(s))")
    for column in ("classifier", "accuracy", "balanced acc.", "macro F1"):
        table.add_column(column, justify="left" if column == "classifier" else "right")
    model = metrics["model"]
    table.add_row("LSTM model", *(_mean_sd(model, k) for k in
                                  ("accuracy", "balanced_accuracy", "macro_f1")),
                  style="bold")
    for name, scores in metrics.items():
        if name in ("model", "split"):
            continue
        if "accuracy" in scores:
            table.add_row(safe(name.replace("_", " ")), f"{scores['accuracy']:.4f}", "-", "-")
        else:
            table.add_row(safe(name.replace("_", " ")), safe(scores.get("note", "-")), "-", "-")
    console = Console()
    console.print(table)
    console.print(f"wrote {safe(out)}/: metrics.json, predictions.csv, confusion_matrix.png, "
                  "model/", highlight=False)


def _mean_sd(scores: dict, key: str) -> str:
    return f"{scores[key]:.4f} ± {scores[key + '_sd']:.4f}"


@app.command("predict")
def predict(
    model_dir: Annotated[Path, typer.Argument(
        help="A saved model (or a classify --out directory).")],
    data: str = typer.Option(..., "--data", help="Sequences to classify (file or name), in "
                             "the layout the model was trained on."),
    out: Annotated[Path | None, typer.Option(
        "--out", help="CSV file to write, replaced atomically (default: stdout).")] = None,
) -> None:
    """Label every sequence of --data with a saved model: id, predicted, p_<class>."""
    from ..data.registry import resolve
    from ..io import check_output_file
    from ..tasks.classification import SequenceClassifier
    from ..tasks.classification.prediction import prediction_table

    target = check_output_file(out, option="--out") if out is not None else None
    model = SequenceClassifier.load(find_model(model_dir, "lstmkit classify"))
    emit_csv(prediction_table(model, resolve(data)), target, out)
