"""``lstmkit sweep``'s engine: the [sweep] table, the study, pruning, resume after kill -9,
the MLflow parent/child structure, storages and workers."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from lstmkit.errors import ConfigError  # noqa: E402
from lstmkit.experiment_sweep import run_sweep  # noqa: E402
from lstmkit.experiments import assemble  # noqa: E402
from lstmkit.tasks import registry  # noqa: E402
from lstmkit.training.sweeps.storage import (  # noqa: E402
    StorageError,
    masked,
    open_storage,
)
from lstmkit.training.sweeps.workers import core_shares  # noqa: E402

HERE = Path(__file__).parent
POSTGRES_ENV = "LSTMKIT_TEST_POSTGRES_URL"
sys.path.insert(0, str(HERE))
import sweep_task  # noqa: E402

ADDING = {"experiment": {"task": "adding", "name": "add"},
          "train": {"epochs": 1},
          "task": {"seq_len": 5, "n_train": 64, "n_test": 32, "hidden_size": 4,
                   "batch_size": 32},
          "sweep": {"task": {"hidden_size": {"type": "int", "low": 2, "high": 8}}}}


@pytest.fixture
def quadratic(monkeypatch, tmp_path):
    """The synthetic task registered for one test, run in a fresh directory."""
    monkeypatch.chdir(tmp_path)
    sweep_task.register()
    yield sweep_task
    registry._TASKS.pop("quadratic-test", None)


def sweep(raw, trials, **options):
    return run_sweep(raw, "exp.toml", trials=trials, tracking=options.pop("tracking", False),
                     progress=False, **options)


# -------------------------------------------------------------- the [sweep] table


@pytest.mark.parametrize(("table", "message"), [
    ({"task": {"hidden": {"type": "int", "low": 1, "high": 4}}},
     "[sweep.task] hidden: unknown parameter; valid [task] keys: cell, hidden_size"),
    ({"train": {"lr": {"type": "float", "low": 0.1, "high": 0.1}}},
     "[sweep.train] lr is an empty range: low 0.1 must be < high 0.1"),
    ({"train": {"lr": {"type": "uniform", "low": 0.1, "high": 0.2}}},
     "[sweep.train] lr type must be one of int, float, log-float, categorical; got 'uniform'"),
    ({"task": {"cell": {"type": "categorical"}}},
     "[sweep.task] cell needs a non-empty choices list (type categorical)"),
    ({"train": {"lr": {"type": "log-float", "low": 0, "high": 1}}},
     "[sweep.train] lr needs low > 0 and no step (type log-float)"),
    ({"task": {"hidden_size": {"type": "int", "low": 1.5, "high": 4}}},
     "[sweep.task] hidden_size needs integer low, high and step (type int)"),
    ({"train": {"lr": {"type": "float", "low": 0.1, "high": 0.2, "scale": 2}}},
     "unknown key in [sweep.train] lr: scale; valid keys: type, low, high, step"),
    ({"metrik": "val_loss", "train": {"lr": {"type": "float", "low": 0.1, "high": 0.2}}},
     "unknown key in [sweep]: metrik; valid keys: metric, direction"),
    ({"task": {}}, "[sweep] has nothing to search"),
    ({"train": {"lr": 0.1}}, "[sweep.train] lr must be a table like"),
])
def test_sweep_table_errors_name_the_key(table, message):
    raw = {**ADDING, "sweep": table}
    with pytest.raises(ConfigError) as info:
        assemble(raw, source="exp.toml", check_location=False)
    assert message in str(info.value)


def test_sweep_table_unknown_key_lists_the_valid_ones():
    raw = {**ADDING, "sweep": {"task": {"hidden_size": {"type": "int", "low": 1, "high": 4,
                                                         "stride": 2}}}}
    with pytest.raises(ConfigError, match="valid keys: type, low, high, step, choices"):
        assemble(raw, source="exp.toml", check_location=False)


def test_sweep_table_defaults_come_from_the_train_table():
    raw = {**ADDING, "train": {"monitor": "val_acc", "monitor_mode": "max", "seed": 7}}
    sweep = assemble(raw, source="x", check_location=False).sweep
    assert (sweep.metric, sweep.direction, sweep.seed) == ("val_acc", "maximize", 7)
    assert assemble(ADDING, source="x", check_location=False).sweep.direction == "minimize"


def test_sweep_range_end_that_is_not_a_valid_setting_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = {**ADDING, "sweep": {"task": {"hidden_size": {"type": "int", "low": 0, "high": 4}}}}
    with pytest.raises(ConfigError, match=r"\[sweep.task\] hidden_size: the value 0 is not a "
                       r"valid setting: .*hidden_size must be an integer"):
        sweep(raw, 1)
    assert not (tmp_path / "lstmkit-runs").exists()


def test_sweep_without_a_sweep_table_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = {k: v for k, v in ADDING.items() if k != "sweep"}
    with pytest.raises(ConfigError, match=r"exp.toml: no \[sweep\] table"):
        sweep(raw, 1)


# -------------------------------------------------------------- the search


def test_sweep_finds_the_known_best_setting(quadratic):
    raw = quadratic.experiment({"type": "categorical", "choices": [1.0, 3.0, 5.0]},
                               pruner="none")
    record = sweep(raw, 6)
    assert record.best.params == {"task.x": 3.0}
    assert record.best.value == pytest.approx(0.25)  # (3 - 3)^2 + 1/4 at epoch 4
    best = (record.sweep_dir / "best.yaml").read_text()
    assert "x: 3.0" in best and "sweep" not in best.split("\n", 2)[2]
    assert {p.name for p in record.sweep_dir.glob("*.png")} >= {
        "optimization_history.png", "parallel_coordinate.png"}
    assert record.final.result.metrics == {"test_loss": 0.0}  # scored once, on test


def test_best_file_runs_with_lstmkit_train(quadratic):
    from lstmkit.experiments import load_experiment

    raw = quadratic.experiment({"type": "float", "low": 0.0, "high": 6.0}, pruner="none")
    record = sweep(raw, 3, evaluate=False)
    exp = load_experiment(record.best_file)
    assert exp.options.x == record.best.params["task.x"]
    assert exp.experiment.name == "quad-best" and exp.sweep is None


def test_pruning_stops_a_bad_trial_early(quadratic):
    raw = quadratic.experiment({"type": "float", "low": 0.0, "high": 10.0},
                               epochs=6, startup_trials=1)
    study = sweep(raw, 8, evaluate=False).study
    pruned = study.get_trials(states=(optuna.trial.TrialState.PRUNED,))
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert pruned, "no trial was pruned"
    assert all(len(t.intermediate_values) < 6 for t in pruned)  # stopped early
    assert all(len(t.intermediate_values) == 6 for t in complete)
    best = min(abs(t.params["task.x"] - 3) for t in complete)
    assert all(abs(t.params["task.x"] - 3) > best for t in pruned)  # only worse settings


def test_sweep_trial_metric_not_in_the_epoch_metrics_lists_them(quadratic):
    raw = quadratic.experiment({"type": "float", "low": 0.0, "high": 1.0}, metric="val_acc")
    with pytest.raises(ConfigError, match=r"metric 'val_acc' is not an epoch metric of "
                       r"this task; available: .*val_loss"):
        sweep(raw, 1)


def test_sweep_refuses_to_restart_a_study_without_resume(quadratic):
    raw = quadratic.experiment({"type": "float", "low": 0.0, "high": 1.0})
    sweep(raw, 1, evaluate=False)
    with pytest.raises(ConfigError, match="already holds a sweep; pass --resume"):
        sweep(raw, 2)
    assert len(sweep(raw, 2, overwrite=True, evaluate=False).study.trials) == 2


def test_resume_after_kill_9_finishes_the_study_without_duplicates(quadratic, tmp_path):
    raw = quadratic.experiment({"type": "float", "low": 0.0, "high": 6.0}, pruner="none")
    script = (f"import sys; sys.path.insert(0, {str(HERE)!r}); import sweep_task; "
              "sweep_task.register(); from lstmkit.experiment_sweep import run_sweep; "
              f"run_sweep({raw!r}, 'exp.toml', trials=5, tracking=False, progress=False)")
    env = {**os.environ, "LSTMKIT_TEST_KILL_AFTER": "2",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == -9, done.stderr
    db = optuna.load_study(study_name="quad", storage=f"sqlite:///{tmp_path}/"
                           "lstmkit-runs/outputs/quad-sweep/study.db")
    before = {t.number: (t.params, t.value) for t in db.trials}
    assert [t.state.name for t in db.trials] == ["COMPLETE", "COMPLETE", "RUNNING"]

    study = sweep(raw, 5, resume=True, evaluate=False).study
    states = [t.state.name for t in study.trials]
    assert states.count("COMPLETE") == 5 and states.count("FAIL") == 1
    assert {n: (study.trials[n].params, study.trials[n].value) for n in (0, 1)} == \
        {n: before[n] for n in (0, 1)}  # completed trials kept as they were
    retry = [t for t in study.trials if t.user_attrs.get("retry_of") == 2]
    assert len(retry) == 1 and retry[0].params == before[2][0]  # re-run once, same settings
    assert len({t.number for t in study.trials}) == len(study.trials)


def test_resume_of_a_finished_sweep_runs_no_new_trial(quadratic):
    raw = quadratic.experiment({"type": "float", "low": 0.0, "high": 6.0})
    sweep(raw, 2, evaluate=False)
    assert len(sweep(raw, 2, resume=True, evaluate=False).study.trials) == 2


# -------------------------------------------------------------- tracking


def test_every_trial_is_a_child_of_one_parent_run(quadratic, tmp_path):
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    raw = quadratic.experiment({"type": "float", "low": 0.0, "high": 6.0})
    record = sweep(raw, 3, tracking=True, tracking_uri=uri)
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("lstmkit")
    runs = client.search_runs([experiment.experiment_id])
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == record.parent_run_id]
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert [p.info.run_id for p in parents] == [record.parent_run_id]
    assert len(children) == 4  # three trials and the best settings scored on test
    trials = [r for r in children if "optuna.trial" in r.data.tags]
    assert sorted(r.data.tags["optuna.trial"] for r in trials) == ["0", "1", "2"]
    assert all("val_loss" in r.data.metrics and "task.x" in r.data.params for r in trials)
    assert all("test_loss" not in r.data.metrics for r in trials)  # trials never see test
    parent = client.get_run(record.parent_run_id)
    assert parent.info.status == "FINISHED" and "best_val_loss" in parent.data.metrics
    assert parent.data.metrics["test_loss"] == pytest.approx(
        (record.best.params["task.x"] - 3) ** 2)


# -------------------------------------------------------------- storage and workers


def test_unreachable_storage_fails_in_one_line_with_the_password_masked():
    url = "postgresql://me:secret@127.0.0.1:1/optuna"
    with pytest.raises(StorageError) as info:
        open_storage(url)
    message = str(info.value)
    assert message.startswith("--storage postgresql://me:***@127.0.0.1:1/optuna: cannot open")
    assert "secret" not in message and "\n" not in message


def test_storage_of_no_known_kind_is_a_usage_error():
    with pytest.raises(ConfigError, match="expected journal:PATH, sqlite:///PATH"):
        open_storage("redis://host/0")


def test_masked_leaves_urls_without_password_alone():
    assert masked("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    assert masked("mysql://u:p@h/db") == "mysql://u:***@h/db"


def test_core_shares_split_the_cores():
    assert core_shares(1, [0, 1]) == [[0, 1]]
    assert core_shares(3, [0, 1, 2, 3, 4]) == [[0, 1], [2, 3], [4]]


def test_a_trial_asked_after_the_last_one_is_surplus_and_not_run():
    from lstmkit.training.sweeps.workers import run_one

    study = optuna.create_study()
    for _ in range(2):  # two workers hold the last two of 3 trials
        study.ask()
    study.tell(study.ask(), 1.0)
    ran = []
    trial = run_one(study, lambda t: ran.append(t.number) or 0.0, n_trials=3)
    assert trial.state.name == "FAIL" and trial.user_attrs == {"surplus": True}
    assert ran == []
    trial = run_one(study, lambda t: ran.append(t.number) or 0.5, n_trials=4)
    assert (trial.state.name, trial.value, ran) == ("COMPLETE", 0.5, [4])


def in_ci() -> bool:
    """Under CI (``CI`` or ``.ci/run``'s ``LSTMKIT_CI`` set): a real component's test must
    run there, so a missing component fails instead of skipping."""
    return any(os.environ.get(name, "").lower() not in ("", "0", "false", "no")
               for name in ("CI", "LSTMKIT_CI"))


def postgres_url() -> str:
    """The PostgreSQL server ``.ci/run`` starts (``LSTMKIT_TEST_POSTGRES_URL``)."""
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    message = (f"{POSTGRES_ENV} is not set: the PostgreSQL storage test needs a server "
               "(.ci/run starts one)")
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.parametrize("kind", ["journal", "postgresql"])
def test_two_worker_processes_share_one_study(kind, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = {**ADDING, "sweep": {"train": {"lr": {"type": "log-float", "low": 1e-3,
                                                "high": 1e-1}}}}
    options = {}
    if kind == "postgresql":  # a fresh study in the shared server
        options = {"storage_url": postgres_url(), "study_name": f"two-{uuid.uuid4().hex}"}
    record = sweep(raw, 3, jobs=2, evaluate=False, **options)
    assert record.storage.startswith("journal:" if kind == "journal" else "postgresql")
    assert (record.sweep_dir / "study.journal").exists() == (kind == "journal")
    trials = optuna.load_study(study_name=record.study.study_name,
                               storage=open_storage(record.storage)).trials
    counted = [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert len(counted) == 3  # exactly the trials asked for
    surplus = [t for t in trials if t not in counted]
    assert all(t.state.name == "FAIL" and t.user_attrs["surplus"] and not t.params
               for t in surplus)  # a worker that came late took no settings, ran nothing
    assert len({t.number for t in trials}) == len(trials)
    assert len({t.params["train.lr"] for t in counted}) == 3  # no trial run twice
    assert all("/" in t.user_attrs["worker"] for t in counted)


# -------------------------------------------------------------- docs/sweeps.md


def test_docs_sweep_example_runs(tmp_path, monkeypatch):
    import re

    import tomllib

    page = (HERE.parents[1] / "docs" / "sweeps.md").read_text()
    raw = tomllib.loads(re.findall(r"```toml\n(.*?)```", page, flags=re.S)[0])
    assert set(assemble(raw, source="doc", check_location=False).sweep.params) == {
        "train.lr", "task.hidden_size", "task.cell"}
    monkeypatch.chdir(tmp_path)
    raw["train"]["epochs"] = 1  # the example, shrunk to seconds
    raw["task"].update(seq_len=5, n_train=64, n_test=32)
    record = sweep(raw, 2)
    assert (record.sweep_dir / "best.yaml").exists() and "test_mse" in record.final.result.metrics


# -------------------------------------------------------------- progress


def test_sweep_progress_shows_trials_done_and_the_best_on_a_terminal(quadratic):
    import io

    from rich.console import Console

    from lstmkit.training.sweeps.progress import SweepProgress

    raw = quadratic.experiment({"type": "categorical", "choices": [1.0, 3.0, 5.0]},
                               pruner="none")
    record = sweep(raw, 3, evaluate=False)
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=120)
    with SweepProgress(record.storage, "quad", 4, "val_loss", console=terminal,
                       interval=60) as bar:
        bar.poll()
    shown = out.getvalue()
    best = record.best
    assert "3/4" in shown
    assert f"best val_loss {best.value:.4g} (trial {best.number})" in shown


def test_sweep_progress_draws_nothing_when_not_a_terminal(quadratic, capfd):
    from lstmkit.training.sweeps.progress import SweepProgress

    raw = quadratic.experiment({"type": "float", "low": 0.0, "high": 6.0})
    record = run_sweep(raw, "exp.toml", trials=2, tracking=False, progress=True,
                       evaluate=False)  # progress asked for, but stderr is captured
    assert capfd.readouterr().err == ""
    progress = SweepProgress(record.storage, "quad", 2, "val_loss")
    with progress:
        assert not progress.enabled and progress._thread is None


# -------------------------------------------------------------- what a trial costs


def test_the_snapshot_median_pruner_decides_as_optunas(tmp_path):
    from lstmkit.training.sweeps.pruning import make_pruner

    study = optuna.create_study(storage=open_storage(f"sqlite:///{tmp_path}/s.db"))
    for slope in (1.0, 2.0, 3.0, 4.0):  # complete trials: slope * (6 - step)
        done = study.ask()
        for step in range(6):
            done.report(slope * (6 - step), step)
        study.tell(done, slope)
    reference = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    snapshot = make_pruner("median", startup_trials=2, warmup_epochs=1, max_epochs=6)
    trial, decisions = study.ask(), []
    for step, value in enumerate([30, 30, 30, 1, 1, 1]):
        trial.report(value, step)
        frozen = study._storage.get_trial(trial._trial_id)
        decisions.append((reference.prune(study, frozen), snapshot.prune(study, frozen)))
    assert [r for r, _ in decisions] == [False, True, True, False, False, False]
    assert [s for _, s in decisions] == [r for r, _ in decisions]


def test_the_snapshot_is_taken_once_per_trial(tmp_path):
    from lstmkit.training.sweeps.pruning import make_pruner

    study = optuna.create_study()
    pruner = make_pruner("median", startup_trials=1, warmup_epochs=0, max_epochs=2)
    first = study.ask()
    first.report(5.0, 0)
    assert not pruner.prune(study, study._storage.get_trial(first._trial_id))  # none done
    other = study.ask()  # another worker finishes a trial meanwhile...
    other.report(1.0, 0)
    study.tell(other, 1.0)
    assert not pruner.prune(study, study._storage.get_trial(first._trial_id))  # ...unseen
    second = study.ask()
    second.report(5.0, 0)
    assert pruner.prune(study, study._storage.get_trial(second._trial_id))  # seen by the next


def run_halving(pruner, curves):
    """Trials reporting ``curves`` one after another; each stops where ``pruner``
    (Optuna's ``SuccessiveHalvingPruner`` or lstmkit's) says. Returns the epochs run."""
    study = optuna.create_study(pruner=pruner)
    epochs = []
    for curve in curves:
        trial = study.ask()
        for step, value in enumerate(curve):
            trial.report(value, step)
            if trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                break
        else:
            study.tell(trial, min(curve))
        epochs.append(step + 1)
    return epochs


def test_the_halving_pruner_decides_as_optunas_and_only_at_its_rungs():
    from lstmkit.training.sweeps.pruning import HalvingPruner, make_pruner, may_prune

    curves = [[10 - step * k / 10 for step in range(20)] for k in (5, 1, 9, 2, 3, 8, 4, 7)]
    curves += [[-9 if step < 4 else 99 for step in range(20)],  # best early, then bad
               [-9 if step < 16 else 99 for step in range(20)]]
    reference = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=4)
    ours = make_pruner("halving", startup_trials=0, warmup_epochs=1, max_epochs=20)
    assert isinstance(ours, HalvingPruner)
    epochs = run_halving(reference, curves)
    assert epochs == run_halving(ours, curves)
    assert set(epochs) == {2, 5, 17, 20}  # stopped only at the rungs, or never
    assert [s for s in range(70) if may_prune(ours, s)] == [1, 4, 16, 64]
    assert [s for s in range(8) if HalvingPruner(2, reduction_factor=2).may_prune(s)] \
        == [2, 4]
    assert HalvingPruner(3).min_resource == 3
    assert make_pruner("halving", startup_trials=0, warmup_epochs=0,
                       max_epochs=9).min_resource == 1  # never before the second epoch


def test_the_halving_pruner_stops_no_trial_before_its_startup_trials_complete():
    from lstmkit.training.sweeps.pruning import make_pruner

    curves = [[10 - step * k / 10 for step in range(20)] for k in (9, 1, 2, 10, 3)]
    pruner = make_pruner("halving", startup_trials=2, warmup_epochs=1, max_epochs=20)
    assert run_halving(pruner, curves) == [20, 20, 2, 20, 2]
    # without: the second trial, worse than the first at epoch 2, stops there
    assert run_halving(make_pruner("halving", startup_trials=0, warmup_epochs=1,
                                   max_epochs=20), curves)[:2] == [20, 2]


def test_the_median_pruner_may_prune_after_its_warm_up_only():
    from lstmkit.training.sweeps.pruning import make_pruner, may_prune

    median = make_pruner("median", startup_trials=1, warmup_epochs=2, max_epochs=9)
    assert [s for s in range(5) if may_prune(median, s)] == [2, 3, 4]
    none = make_pruner("none", startup_trials=1, warmup_epochs=2, max_epochs=9)
    assert may_prune(none, 0)  # a pruner that does not say: asked at every epoch


def test_a_trial_asks_the_study_only_where_the_pruner_may_prune(monkeypatch, quadratic):
    from lstmkit.training.sweeps.trial import TrialReporter

    asked = []
    monkeypatch.setattr(TrialReporter, "_should_prune",
                        lambda self: asked.append(len(self.values)) or False)
    raw = quadratic.experiment({"type": "float", "low": 0.0, "high": 6.0}, epochs=6,
                               startup_trials=1)
    sweep(raw, trials=3)
    assert asked[:2] == [2, 5]  # the first trial, never pruned: epochs 2 and 5 only
    assert set(asked) == {2, 5} and len(asked) >= 4  # (steps 1 and 4), never 1, 3, 4, 6


def test_a_sqlite_study_commits_to_a_write_ahead_log(tmp_path):
    storage = open_storage(f"sqlite:///{tmp_path}/s.db")
    with storage.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_trials_write_no_checkpoint(monkeypatch, tmp_path):
    from lstmkit.training import trainer

    monkeypatch.chdir(tmp_path)
    saved = []
    monkeypatch.setattr(trainer, "save_checkpoint",
                        lambda path, ckpt: saved.append(path) or path)
    record = sweep(ADDING, 2, evaluate=False)
    assert len(record.study.trials) == 2 and saved == []
