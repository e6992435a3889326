"""``lstmkit detect``: a table of series in; an anomaly detector trained on its first
part, the rest scored and flagged, metrics beside a random detector and baselines when
there are labels, and a picture of every flagged event out.

Examples::

    lstmkit detect                                   # the bundled synthetic example
    lstmkit detect --data sensors.csv --label-col is_anomaly --id-col machine
    lstmkit detect --data ucr-internal-bleeding16 --detector reconstruction
    lstmkit detect predict detect-out --data new.csv --out watch-out

``lstmkit anomaly`` is the same command, and ``score`` the same as ``predict``.
Like ``lstmkit forecast``, a run is staged and moved to ``--out`` only when complete.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .model_dirs import model_dir as find_model
from .task_options import task_command
from .terminal import safe

app = typer.Typer(help="""Detect anomalies in time series: train an LSTM detector on the
first part of every series, flag the rest, score it beside a random detector and
baselines when there are labels; or flag new data with a saved detector (predict).

Examples:

  lstmkit detect   (the bundled synthetic example)

  lstmkit detect --data sensors.csv --label-col is_anomaly --id-col machine

  lstmkit detect --data ucr-internal-bleeding16 --detector reconstruction

  lstmkit detect predict detect-out --data new.csv --out watch-out""",
                  invoke_without_command=True)
DEFAULT_OUT = Path("detect-out")
FILES = "scores.csv, events.csv, metrics.json, anomalies.png, events/, model/"
SHOWN = {"vus_pr": "VUS-PR", "pr_auc": "PR-AUC", "event_precision": "ev P",
         "event_recall": "ev R", "event_f1": "ev F1", "f1": "F1", "pa20_f1": "PA%20 F1",
         "pa_f1": "PA F1*", "ucr_hit": "UCR"}
NAMES = {"model": "LSTM", "random": "random", "diff_zscore": "diff z", "seasonal_naive":
         "s-naive", "pca": "PCA", "isolation_forest": "IForest", "matrix_profile": "MP"}


def _check_data(experiment):
    """The data read and checked as ``fit`` will, before anything is staged."""
    from ..tasks.anomaly import AnomalyDetector
    from ..tasks.registry import estimator_from_settings

    return estimator_from_settings(AnomalyDetector, experiment).check(
        experiment.experiment.data)


def _report(record, experiment, checked) -> None:
    import json

    print_summary(json.loads((record.run_dir / "metrics.json").read_text()), record.run_dir)


def print_summary(metrics: dict, out: Path) -> None:
    """Every detector on the test part, one row each; the point-adjustment warning."""
    console = Console()
    names = [k for k, v in metrics.items() if isinstance(v, dict) and k != "per_series"]
    if not names:
        console.print(safe(metrics.get("note", "nothing was evaluated")), highlight=False)
    else:
        table = Table(title="Test part (after train_part), mean over series with a labelled "
                      "anomaly; higher is better")
        table.add_column("detector")
        for header in SHOWN.values():
            table.add_column(header, justify="right")
        for name in names:
            cells = [_cell(metrics[name].get(key)) for key in SHOWN]
            table.add_row(NAMES.get(name, safe(name)), *cells,
                          style="bold" if name == "model" else None)
        console.print(table)
        console.print(f"* warning: {safe(metrics['warning'])}", highlight=False)
    console.print(f"wrote {safe(out)}/: {FILES}", highlight=False)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _materialise(data: str, values: dict[str, Any]) -> str:
    """A dataset read from aeon or sktime, written once as CSV under ``$LSTMKIT_HOME`` (the run
    records a file), with its column roles as defaults of the options not given."""
    from ..tasks.anomaly.datasets import AEON_FILES, SKTIME_FILES, aeon_frame, sktime_frame

    readers = {**{n: (aeon_frame, r) for n, (_, r) in AEON_FILES.items()},
               **{n: (sktime_frame, r) for n, (_, r) in SKTIME_FILES.items()}}
    if data not in readers or Path(data).is_file():
        return data
    reader, roles = readers[data]
    for key, value in roles.items():
        if values.get(f"task__{key}") is None:
            values[f"task__{key}"] = list(value) if isinstance(value, tuple) else value
    path = Path(os.environ.get("LSTMKIT_HOME", "lstmkit-runs")) / "anomaly-data" / f"{data}.csv"
    if not path.is_file():
        from ..io import atomic_write

        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, reader(data).to_csv(index=False).encode())
    return str(path)


def _detect_command():
    from ..tasks.anomaly import AnomalyDetector, AnomalySettings
    from ..tasks.anomaly.datasets import AEON_FILES

    base = task_command(
        "detect", settings=AnomalySettings, train=AnomalyDetector.default_train_config(),
        train_fields=("epochs", "lr", "seed"),
        data=("synthetic-anomalies", "CSV/Parquet file or dataset name (bundled: "
              "synthetic-anomalies, suthaharan-single-hop, mitbih-ecg; read from aeon: "
              f"{', '.join(AEON_FILES)}; from an installed sktime: yahoo-s5-excerpt)."),
        out=str(DEFAULT_OUT),
        prepare=_check_data, report=_report,
        doc=f"""Train an LSTM anomaly detector on the first part of every series
    (--train-part), flag the rest, and write {FILES} into --out; with labels
    (--label-col), score it beside a random detector and baselines.

    Examples: 'lstmkit detect' (the bundled synthetic example);
    'lstmkit detect --data sensors.csv --label-col is_anomaly --id-col machine';
    'lstmkit detect --data ucr-internal-bleeding16 --detector reconstruction';
    'lstmkit detect predict detect-out --data new.csv --out watch-out'.""")

    def command(ctx: typer.Context, **values: Any) -> None:
        if ctx.invoked_subcommand is None:
            values["data_"] = _materialise(values["data_"], values)
        base(ctx, **values)

    command.__signature__ = base.__signature__  # typer reads the options from these
    command.__annotations__ = dict(base.__annotations__)
    command.__doc__, command.__name__ = base.__doc__, base.__name__
    return command


app.callback()(_detect_command())


@app.command("predict")
def predict(
    model_dir: Annotated[Path, typer.Argument(
        help="A saved detector (or the --out directory of 'lstmkit detect').")],
    data: str = typer.Option(..., "--data", help="Series to score (file or dataset name)."),
    out: Annotated[Path, typer.Option(
        "--out", help="Output directory (new, empty, or written by lstmkit).")] = Path(
        "detect-predict-out"),
    overwrite: bool = typer.Option(False, "--overwrite",
                                   help="Replace a non-empty --out lstmkit did not write."),
) -> None:
    """Score and flag every step of --data with a saved detector; write the same files as
    a run (metrics.json only when --data has labels in the detector's label column)."""
    from ..io import staged_output
    from ..tasks.anomaly import AnomalyDetector
    from ..tasks.anomaly.task import score_with_model

    model = AnomalyDetector.load(find_model(model_dir, "lstmkit detect"))
    with staged_output(out, option="--out", overwrite=overwrite) as staging:
        metrics = score_with_model(model, data, staging)
    print_summary(metrics, out)


app.command("score", help="The same as 'predict' (the issue's name: 'lstmkit anomaly score "
            "RUN_DIR --data PATH --out DIR').")(predict)
