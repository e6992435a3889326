"""``lstmkit sweep CONFIG``: search the experiment file's ``[sweep]`` space with Optuna."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .terminal import safe

CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}


def sweep(
    ctx: typer.Context,
    config: Annotated[Path, typer.Argument(help="Experiment file with a [sweep] table.",
                                           show_default=False)],
    trials: int = typer.Option(..., "--trials", min=1, help="Complete or pruned trials the "
                               "study should have (a resumed study counts those it has)."),
    jobs: int = typer.Option(1, "--jobs", min=1, help="Worker processes on this machine, "
                             "each on its share of the cores."),
    storage: str | None = typer.Option(None, "--storage", help="Study storage shared by "
                                       "workers: journal:PATH, sqlite:///PATH, "
                                       "postgresql://... or mysql://... (default: a file in "
                                       "the sweep directory)."),
    study: str | None = typer.Option(None, "--study", help="Study name (default: the "
                                     "experiment's name)."),
    timeout: float | None = typer.Option(None, "--timeout", min=0, help="Minutes after "
                                         "which no new trial starts."),
    resume: bool = typer.Option(False, "--resume", help="Finish an interrupted sweep: "
                                "completed trials are kept, interrupted ones re-run."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Start the sweep again."),
    data: str | None = typer.Option(None, "--data", help="Dataset path or registered name "
                                    "(replaces experiment.data)."),
    tracking_uri: str | None = typer.Option(None, "--tracking-uri", help="MLflow tracking "
                                            "URI (default: $MLFLOW_TRACKING_URI, else "
                                            "sqlite:///lstmkit-runs/mlflow.db)."),
    no_tracking: bool = typer.Option(False, "--no-tracking", help="Do not record the runs."),
) -> None:
    """Search hyper-parameters with Optuna (TPE, pruning by successive halving).

    The [sweep] table of the experiment file gives the ranges, e.g.
    [sweep.train] lr = { type = "log-float", low = 1e-4, high = 1e-2 }; see docs/sweeps.md.
    The sweep optimises the validation metric only; the best settings are then trained
    again and scored on test, once. Outputs go to output_dir/NAME-sweep/: best.yaml (run it
    with lstmkit train), trials.csv and PNG plots. Any --section.key=value option
    overrides the file.
    """
    import optuna

    from ..config import apply_overrides, load_config_file
    from ..experiment_sweep import run_sweep
    from ..training.sweeps.report import top_table
    from ..training.sweeps.storage import opened

    raw = apply_overrides(load_config_file(config), list(ctx.args))
    if data is not None:
        raw.setdefault("experiment", {})["data"] = data
    record = run_sweep(raw, str(config), trials=trials, jobs=jobs, storage_url=storage,
                       study_name=study, timeout=timeout, resume=resume, overwrite=overwrite,
                       tracking=not no_tracking, tracking_uri=tracking_uri)
    console = Console()
    with opened(record.storage) as store:  # read, then closed: no connection left open
        study = optuna.load_study(study_name=record.study.study_name, storage=store)
        console.print(top_table(study, record.metric))
    if record.final is not None:
        scores = "  ".join(f"{k} {v:.4g}" for k, v in record.final.result.metrics.items())
        console.print(f"best settings on test (scored once): {safe(scores)}", highlight=False)
    console.print(f"best settings: {safe(record.best_file)} (lstmkit train "
                  f"{safe(record.best_file)})", highlight=False)
    console.print(f"sweep directory: {safe(record.sweep_dir)}", highlight=False)
    if record.parent_run_id:
        console.print(f"tracked as MLflow run {safe(record.parent_run_id)} with one child "
                      "run per trial", highlight=False)
