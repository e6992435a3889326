"""Bad input to ``lstmkit detect``: one clear error line, a non-zero exit, nothing written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

TINY = ["--epochs", "1", "--hidden-size", "4", "--window", "8", "--no-tracking"]


def _series(n: int = 300, **columns) -> pd.DataFrame:
    t = np.arange(n)
    frame = pd.DataFrame({"value": np.sin(t / 5.0), "label": (t % 97 == 50).astype(int)})
    for name, values in columns.items():
        frame[name] = values
    return frame


def _with(frame: pd.DataFrame, column: str, row: int, value) -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    return frame


CASES = {
    "nan_value": (_with(_series(), "value", 120, np.nan), ["--label-col", "label"],
                  ["missing values (NaN)", "'value'", "--fill"]),
    "constant": (_series(value=np.ones(300)), ["--label-col", "label"],
                 ["'value'", "constant in the training part"]),
    "shorter_than_window": (_series(30), ["--label-col", "label"],
                            ["training part", "window=8"]),
    "label_not_binary": (_with(_series(), "label", 7, 2), ["--label-col", "label"],
                         ["label column 'label'", "0 (normal) or 1", "row 7 holds 2"]),
    "label_missing_cell": (_with(_series(), "label", 299, np.nan),
                           ["--label-col", "label"], ["label column 'label'", "row 299"]),
    "label_text": (_with(_series(), "label", 3, "yes"), ["--label-col", "label"],
                   ["label column 'label'", "row 3 holds 'yes'"]),
    "unknown_label_col": (_series(), ["--label-col", "nope"],
                          ["column 'nope' not found", "columns are: value, label"]),
    "unknown_id_col": (_series(), ["--id-col", "machine"], ["column 'machine' not found"]),
    "unknown_value_col": (_series(), ["--columns", "temp"], ["column 'temp' not found"]),
    "text_values": (_with(_series(), "value", 5, "high"), ["--label-col", "label"],
                    ["column 'value'", "not numeric", "row 5"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_detect_bad_input_is_one_error_line_and_writes_nothing(cli, case):
    frame, options, fragments = CASES[case]
    frame.to_csv(cli.cwd / "data.csv", index=False)
    cli.mark()
    outcome = cli(["detect", "--data", "data.csv", *options, *TINY])
    outcome.assert_user_error(*fragments)
    cli.assert_untouched()


@pytest.mark.parametrize(("options", "fragments"), [
    (["--threshold", "median"], ["--threshold", "median"]),
    (["--contamination", "0.7"], ["contamination"]),
    (["--smoothing", "0"], ["smoothing"]),
    (["--detector", "forest"], ["--detector"]),
    (["--merge-gap", "-1"], ["merge_gap"]),
    (["--min-event-length", "0"], ["min_event_length"]),
    (["--merge-gap", "2.5"], ["--merge-gap", "valid integer"]),
])
def test_detect_bad_option_is_a_usage_error(cli, options, fragments):
    _series().to_csv(cli.cwd / "data.csv", index=False)
    cli.mark()
    outcome = cli(["detect", "--data", "data.csv", *options, *TINY])
    outcome.assert_user_error(*fragments, code=2)
    cli.assert_untouched()


def test_detect_predict_refuses_a_folder_without_a_model(cli):
    (cli.cwd / "empty").mkdir()
    _series().to_csv(cli.cwd / "data.csv", index=False)
    cli.mark()
    outcome = cli(["detect", "predict", "empty", "--data", "data.csv"])
    outcome.assert_user_error("not a model directory")
    cli.assert_untouched()
