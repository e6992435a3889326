"""The long-memory demo: the LSTM learns the adding problem; the CLI prints the table."""

from typer.testing import CliRunner

from lstmkit.cli.main import app
from lstmkit.data.synthetic import ADDING_MEAN_BASELINE_MSE
from lstmkit.tasks.adding.demo import run_adding_demo


def test_lstm_learns_short_adding_problem():
    results = {r.model: r for r in run_adding_demo(seq_len=20, steps=400, hidden_size=16)}
    assert results["LSTM"].test_mse < 0.2 * ADDING_MEAN_BASELINE_MSE


def test_demo_command_prints_comparison_table():
    result = CliRunner().invoke(app, ["demo", "--steps", "2", "--seq-len", "8"])
    assert result.exit_code == 0, result.output
    for text in ("predict the mean", "RNN (tanh)", "LSTM", "0.167"):
        assert text in result.output


def test_demo_command_rejects_unknown_option():
    result = CliRunner().invoke(app, ["demo", "--nope"])
    assert result.exit_code != 0
    assert "No such option: --nope" in result.output
