"""Every user error of the command line is one line: usage errors of every command and
subcommand, bad experiment files (YAML bombs), bad or unreachable tracking URIs,
unwritable outputs, unexpected exceptions; user text reaches the terminal escaped."""

from __future__ import annotations

import errno
import socket
from types import SimpleNamespace

import pytest

from lstmkit.cli.main import main

EXPERIMENT = """
[experiment]
task = "adding"
name = "tiny"
output_dir = "{out}"

[train]
epochs = 1

[task]
seq_len = 4
n_train = 8
n_test = 8
hidden_size = 2
batch_size = 8
"""

# (argv, fragments of the one error line); every case is a usage error: exit 2
USAGE = [
    (["--nope"], ["No such option: --nope"]),
    (["nope"], ["No such command 'nope'"]),
    (["version", "extra"], ["unexpected extra argument"]),
    (["demo", "--nope"], ["No such option: --nope", "lstmkit demo --help"]),
    (["demo", "--steps", "abc"], ["'--steps'", "valid integer"]),
    (["demo", "--steps", "1e12"], ["'--steps'", "valid integer"]),
    (["demo", "--seq-len", "1"], ["'--seq-len'", "greater than or equal to 2"]),
    (["demo", "--hidden-size"], ["--hidden-size", "requires an argument"]),
    (["demo", "extra"], ["unexpected extra argument"]),
    (["train"], ["Missing argument", "lstmkit train --help"]),
    (["train", "none.toml"], ["none.toml: no such experiment file"]),
    (["train", "exp.txt"], ["must end in .toml, .yaml or .yml"]),
    (["train", "exp.toml", "--data"], ["--data", "requires an argument"]),
    (["train", "exp.toml", "--nope"], ["override '--nope' must look like"]),
    (["data"], []),  # a group without its command: the help, exit 2, no error line
    (["data", "nope"], ["No such command 'nope'"]),
    (["data", "list", "--nope"], ["No such option: --nope"]),
    (["data", "info"], ["Missing argument"]),
    (["data", "info", "a", "b"], ["unexpected extra argument"]),
    (["data", "add"], ["Missing argument"]),
    (["data", "add", "f.csv"], ["Missing option '--name'"]),
    (["text", "nope"], ["No such command 'nope'"]),
    (["text", "train", "--epochs", "abc"], ["'--epochs'", "valid integer"]),
    (["text", "train", "--minutes", "soon"], ["'--minutes'", "valid number"]),
    (["text", "train", "--seed", "1.5"], ["'--seed'", "valid integer"]),
    (["text", "train", "--nope"], ["override '--nope' must look like"]),
    (["text", "train", "--minutes", "1", "--epochs", "1"], ["--minutes or --epochs"]),
    (["text", "evaluate"], ["Missing argument"]),
    (["text", "evaluate", "m"], ["Missing option '--data'"]),
    (["text", "evaluate", "m", "--data", "x", "--nope"], ["No such option: --nope"]),
    (["text", "generate", "m"], ["Missing option '--prompt'"]),
    (["text", "generate", "m", "--prompt", "a", "--length", "abc"], ["'--length'"]),
    (["text", "generate", "m", "--prompt", "a", "--temperature", "hot"], ["'--temperature'"]),
    (["text", "generate", "m", "--prompt", "a", "--top-k", "1e12"], ["'--top-k'"]),
    (["text", "generate", "m", "--prompt", "a", "--nope"], ["No such option: --nope"]),
    (["text", "suggest"], ["Missing argument"]),
    (["text", "suggest", "m"], ["Missing option '--prompt'"]),
    (["text", "suggest", "m", "--prompt", "a", "--top", "1.5"], ["'--top'"]),
    (["text", "inspect", "m"], ["Missing option '--text'"]),
    (["text", "inspect", "m", "--text", "x", "--nope"], ["No such option: --nope"]),
    (["forecast", "nope"], ["No such command 'nope'"]),
    (["forecast", "--nope"], ["No such option: --nope", "lstmkit forecast --help"]),
    (["forecast", "--horizon", "abc"], ["'--horizon'", "valid integer"]),
    (["forecast", "--horizon", "0"], ["horizon must be an integer in [1, "]),
    (["forecast", "--n-models", "1e7"], ["'--n-models'", "valid integer"]),
    (["forecast", "--level"], ["--level", "requires an argument"]),
    (["forecast", "--level", "most"], ["'--level'", "valid number"]),
    (["forecast", "--test-size", "-1"], ["test_size must be an integer in [0, "]),
    (["forecast", "predict"], ["Missing argument"]),
    (["forecast", "predict", "m"], ["Missing option '--data'"]),
    (["forecast", "predict", "m", "--data", "x", "--steps", "1e12"], ["'--steps'"]),
    (["forecast", "predict", "m", "--data", "x", "--steps", "0"],
     ["--steps must be between 1 and"]),
    (["forecast", "predict", "m", "--data", "x", "--nope"], ["No such option: --nope"]),
    (["runs", "--limit", "0"], ["'--limit'", "greater than or equal to 1"]),
    (["runs", "--limit", "many"], ["'--limit'", "valid integer"]),
    (["runs", "--nope"], ["No such option: --nope"]),
    (["bench", "--repeats", "1"], ["'--repeats'"]),
    (["bench", "--sizes", "S99"], ["unknown sizes ['S99']"]),
    (["bench", "--threads", "-1"], ["'--threads'"]),
    (["bench", "--threads", "two"], ["'--threads'", "valid integer"]),
]


@pytest.fixture
def experiment(cli):
    """A valid experiment file (the adding task) in the working directory."""
    (cli.cwd / "exp.toml").write_text(EXPERIMENT.format(out="out"))
    (cli.cwd / "exp.txt").write_text("")
    return cli.cwd / "exp.toml"


@pytest.mark.parametrize(("argv", "fragments"), USAGE, ids=[" ".join(a) for a, _ in USAGE])
def test_cli_usage_error_is_one_line(cli, experiment, argv, fragments):
    outcome = cli(argv)
    if not fragments:  # a group given no command prints its help, as click does
        assert outcome.code == 2 and "Usage" in outcome.out and "error" not in outcome.err
        return
    line = outcome.assert_user_error(*fragments, code=2)
    assert "╭" not in outcome.err and "Usage:" not in outcome.err  # no usage box
    assert len(line) < 400, line
    cli.assert_untouched()


@pytest.mark.parametrize("argv", [["--help"], ["forecast", "--help"], ["text", "generate",
                                                                      "--help"]])
def test_cli_help_still_exits_zero(cli, argv):
    outcome = cli(argv)
    outcome.assert_ok()
    assert "Usage" in outcome.out and outcome.err == ""


# -- experiment files: resource limits ------------------------------------------------
BOMB = "\n".join(["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"] + [
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi",
                                                              strict=True)])


@pytest.mark.parametrize(("name", "content", "fragments"), [
    ("bomb.yaml", BOMB, ["bomb.yaml", "YAML aliases (&/*) are not supported", "line 2"]),
    ("alias.yml", "train: &t {epochs: 1}\ntask: *t\n", ["YAML aliases", "line 2"]),
    ("big.toml", "# padding\n" * 120_000, ["big.toml", "larger than 1048576 bytes"]),
    ("latin1.toml", b"name = '\xe9'\n", ["latin1.toml", "not UTF-8"]),
    ("tags.yaml", "experiment: !!python/object/apply:os.system [ls]\n", ["invalid YAML"]),
    ("list.yaml", "- 1\n- 2\n", ["expected a table of sections, got list"]),
])
def test_cli_bad_experiment_file_is_one_line(cli, name, content, fragments):
    path = cli.cwd / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    cli.mark()
    cli(["train", name, "--no-tracking"]).assert_user_error(*fragments, code=2)
    cli.assert_untouched()


def test_cli_experiment_file_that_is_a_directory_is_one_line(cli):
    (cli.cwd / "dir.toml").mkdir()
    cli(["train", "dir.toml"]).assert_user_error("dir.toml: not a regular file", code=2)


# -- tracking URIs ---------------------------------------------------------------------
def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(("uri", "fragments", "code"), [
    ("nope://x", ["'nope://x'", "unknown scheme 'nope'"], 2),
    ("http://", ["no host"], 2),
    ("http://127.0.0.1:port", ["Port could not be cast"], 2),
    ("sqlite://relative.db", ["expected sqlite:///PATH"], 2),
    ("sqlite:///junk.db", ["junk.db", "file is not a database"], 1),
    ("file:mlruns", ["file:mlruns"], 1),
    ("UNREACHABLE", ["cannot connect to 127.0.0.1:", "--no-tracking"], 1),
])
def test_cli_bad_tracking_uri_is_one_line(cli, uri, fragments, code):
    (cli.cwd / "afile").write_text("x")
    (cli.cwd / "junk.db").write_text("not a database")
    uri = f"http://127.0.0.1:{free_port()}" if uri == "UNREACHABLE" else uri
    cli.mark()
    cli(["runs", "--tracking-uri", uri]).assert_user_error(*fragments, code=code)
    cli.assert_untouched()


def test_cli_runs_of_a_store_not_created_yet_lists_nothing(cli):
    outcome = cli(["runs", "--tracking-uri", "sqlite:///missing/m.db"])
    outcome.assert_ok()
    assert outcome.out == "no runs in sqlite:///missing/m.db\n"
    cli.assert_untouched()


def test_cli_train_with_sqlite_store_under_a_file_is_one_line(cli, experiment):
    (cli.cwd / "afile").write_text("x")
    cli.mark()
    cli(["train", "exp.toml", "--tracking-uri", "sqlite:///afile/sub/m.db"]).assert_user_error(
        "sqlite:///afile/sub/m.db", "cannot create the directory afile/sub", code=2)
    cli.assert_untouched(allowed=["out"])


def test_cli_train_with_unreachable_tracking_uri_fails_before_training(cli, experiment):
    uri = f"http://127.0.0.1:{free_port()}"
    cli(["train", "exp.toml", "--tracking-uri", uri]).assert_user_error(
        uri, "cannot connect", code=1)
    assert not (cli.cwd / "out" / "tiny" / "model").exists()  # never trained
    cli.assert_untouched(allowed=["out"])


# -- files that cannot be written -------------------------------------------------------
def test_cli_output_under_a_regular_file_is_one_line(cli):
    (cli.cwd / "afile").write_text("x")
    (cli.cwd / "exp.toml").write_text(EXPERIMENT.format(out="afile/sub"))
    cli.mark()
    outcome = cli(["train", "exp.toml", "--no-tracking"])
    outcome.assert_user_error("afile is a file, not a directory")
    cli.assert_untouched()


def test_cli_read_only_output_directory_is_one_line(cli):
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes into a 0o555 directory; the regular-file case covers it")
    locked = cli.cwd / "locked"
    locked.mkdir()
    (cli.cwd / "exp.toml").write_text(EXPERIMENT.format(out="locked/out"))
    locked.chmod(0o555)
    try:
        cli(["train", "exp.toml", "--no-tracking"]).assert_user_error(
            "locked", "Permission denied", code=1)
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize(("error", "fragments"), [
    (OSError(errno.ENOSPC, "No space left on device", "out/model.safetensors"),
     ["out/model.safetensors: No space left on device (the disk is full)"]),
    (PermissionError(errno.EACCES, "Permission denied", "/etc/x"),
     ["/etc/x: Permission denied"]),
    (IsADirectoryError(errno.EISDIR, "Is a directory", "out.csv"), ["out.csv: Is a directory"]),
    (OSError(errno.EXDEV, "Invalid cross-device link", "a", None, "b"),
     ["a -> b: Invalid cross-device link"]),
    (OSError(errno.ENOSPC, "No space left on device", "ev\x1b[2Jil"),
     ["ev\\x1b[2Jil: No space left"]),
    (RuntimeError("boom\n  on two lines"),
     ["internal error: RuntimeError: boom on two lines (run with --debug for the traceback)"]),
    (KeyError("missing"), ["internal error: KeyError: 'missing'"]),
])
def test_cli_unexpected_exception_is_one_line(cli, monkeypatch, error, fragments):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr("lstmkit.training.tracking.recent_runs", broken)
    cli(["runs"]).assert_user_error(*fragments, code=1)


def test_cli_ctrl_c_outside_training_is_one_line_exit_130(cli, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("lstmkit.training.tracking.recent_runs", interrupted)
    cli(["runs"]).assert_user_error("interrupted", code=130)


def test_cli_debug_reraises_unexpected_exceptions(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("lstmkit.training.tracking.recent_runs", broken)
    with pytest.raises(RuntimeError, match="boom"):
        main(["--debug", "runs"])
    with pytest.raises(SystemExit) as exited:  # --debug does not stick
        main(["runs"])
    assert exited.value.code == 1


# -- user text reaches the terminal escaped ----------------------------------------------
ANSI = "\x1b[31mred\x1b]0;title\x07\r"


def test_cli_error_line_naming_a_path_with_escapes_shows_them(cli):
    line = cli(["train", f"{ANSI}.toml"]).assert_user_error("no such experiment file", code=2)
    assert "\\x1b[31mred\\x1b]0;title\\x07\\x0d.toml" in line


def test_cli_unknown_dataset_name_with_escapes_is_one_clean_line(cli, monkeypatch):
    monkeypatch.setenv("LSTMKIT_HOME", str(cli.cwd.parent / "home"))
    cli(["data", "info", f"x\n{ANSI}"]).assert_user_error("not found", code=1)


@pytest.fixture
def weird_csv(cli, monkeypatch):
    """A registered CSV whose path has markup and whose header has a link and escapes."""
    monkeypatch.setenv("LSTMKIT_HOME", str(cli.cwd.parent / "home"))
    path = cli.cwd / "data[bold]" / "we[" / "i]rd.csv"  # data[bold]/we[/i]rd.csv
    path.parent.mkdir(parents=True)
    path.write_text(f"t,[link=https://evil.example]x{ANSI}y\n1,2\n2,3\n")
    return path


def test_cli_data_add_and_info_print_markup_and_escapes_as_text(cli, weird_csv):
    added = cli(["data", "add", str(weird_csv), "--name", "weird"])
    added.assert_ok()
    assert "data[bold]/we[/i]rd.csv" in added.out and "\x1b" not in added.out
    shown = cli(["data", "info", "weird"])
    shown.assert_ok()
    assert "[link=https://evil.example]x\\x1b[31mred" in shown.out
    assert "data[bold]/we[/i]rd.csv" in shown.out
    assert "\x1b" not in shown.out and "\r" not in shown.out and "\x07" not in shown.out
    listed = cli(["data", "list"])
    listed.assert_ok()
    assert "weird" in listed.out and "\x1b" not in listed.out


def test_forecast_summary_prints_markup_in_out_as_text(capsys, monkeypatch):
    from pathlib import Path

    from lstmkit.cli.forecast import print_summary

    monkeypatch.setenv("COLUMNS", "200")
    metrics = {"model": {"MAE": 1.0, "MASE": 0.5, "coverage_80": 0.8},
               "seasonal_[link=x]naive\x1b[2J": {"MAE": 2.0, "MASE": 1.0, "coverage_80": None}}
    model = SimpleNamespace(resolved_=SimpleNamespace(test_size=3, horizon=2, season=12))
    print_summary(metrics, model, Path("data[/tmp]/x"))
    out = capsys.readouterr().out
    assert "wrote data[/tmp]/x/: forecast.csv" in out
    assert "seasonal [link=x]naive\\x1b[2J" in out  # the row's name, as text
    assert "\x1b" not in out
