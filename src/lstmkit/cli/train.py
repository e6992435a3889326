"""``lstmkit train CONFIG``: run the task an experiment file names, tracked and resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .terminal import safe

CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}


def train(
    ctx: typer.Context,
    config: Annotated[Path, typer.Argument(help="Experiment file (.toml, .yaml or .yml).",
                                           show_default=False)],
    data: str | None = typer.Option(None, "--data", help="Dataset path or registered name "
                                    "(replaces experiment.data)."),
    resume: bool = typer.Option(False, "--resume",
                                help="Continue from the run's last checkpoint."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the run directory "
                                   "even if it is a non-empty directory lstmkit did not "
                                   "write."),
    tracking_uri: str | None = typer.Option(
        None, "--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, "
        "else sqlite:///lstmkit-runs/mlflow.db)."),
    no_tracking: bool = typer.Option(False, "--no-tracking", help="Do not record the run."),
    nproc: int = typer.Option(1, "--nproc", help="Data-parallel training processes on "
                              "this machine (started with torchrun; 1: plain training)."),
) -> None:
    """Train, evaluate and save the model an experiment file describes.

    The file has three tables: experiment (task, name, data), train and task. Any
    --section.key=value option overrides it, e.g. --train.lr=3e-4.

    Built-in task: adding (the adding problem); an unknown task name lists the
    registered ones.

    Checkpoints, the model and the resolved config go to lstmkit-runs/outputs/NAME/
    (output_dir/name), staged beside it and swapped in whole once the run completes.
    Ctrl-C saves a checkpoint; --resume continues from it. --nproc N trains
    data-parallel in N processes on this machine, the same as torchrun --standalone
    --nproc-per-node N -m lstmkit.cli.main train CONFIG (torchrun --nnodes ... for
    several machines); see docs/distributed.md.
    """
    from ..experiments import load_experiment, run_experiment
    from ..training.distributed import is_main_process
    from .launch import check_nproc, launch

    check_nproc(nproc)
    exp = load_experiment(config, list(ctx.args), data=data)
    if nproc > 1:  # checked once here, then run by every process
        launch(nproc, forwarded(config, ctx.args, data=data, resume=resume,
                                overwrite=overwrite, tracking_uri=tracking_uri,
                                no_tracking=no_tracking))
        return
    record = run_experiment(exp, resume=resume, tracking=not no_tracking,
                            tracking_uri=tracking_uri, overwrite=overwrite)
    if record.result.model_dir is None and record.tracking_run_id is None and \
            not is_main_process():
        return  # rank > 0 of a data-parallel run: rank 0 reports
    console = Console()
    table = Table(title=safe(f"{exp.experiment.name} ({exp.task.name})"))
    table.add_column("metric")
    table.add_column("value", justify="right")
    last = record.result.history[-1] if record.result.history else {}
    for key, value in {**last, **record.result.metrics}.items():
        if key != "epoch":
            table.add_row(safe(key), f"{value:.4g}")
    console.print(table)
    console.print(f"run directory: {safe(record.run_dir)}", highlight=False)
    if record.result.model_dir is not None:
        console.print(f"model: {safe(record.result.model_dir)}", highlight=False)
    if record.tracking_run_id:
        console.print(f"tracked as MLflow run {safe(record.tracking_run_id)}; "
                      "list runs with: lstmkit runs", highlight=False)


def forwarded(config: Path, overrides: list[str], *, data: str | None, resume: bool,
              overwrite: bool, tracking_uri: str | None, no_tracking: bool) -> list[str]:
    """The ``lstmkit train`` arguments each process of ``--nproc`` gets (all but
    ``--nproc``).

    Example:
        >>> forwarded(Path("exp.toml"), ["--train.lr=0.1"], data=None, resume=True,
        ...           overwrite=False, tracking_uri=None, no_tracking=True)
        ['train', 'exp.toml', '--train.lr=0.1', '--resume', '--no-tracking']
    """
    argv = ["train", str(config), *overrides]
    argv += ["--data", data] if data is not None else []
    argv += ["--tracking-uri", tracking_uri] if tracking_uri is not None else []
    flags = {"--resume": resume, "--overwrite": overwrite, "--no-tracking": no_tracking}
    return argv + [flag for flag, given in flags.items() if given]
