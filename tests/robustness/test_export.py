"""Bad input to ``lstmkit export``: one ``error:`` line naming the problem, nothing written."""

from __future__ import annotations

import pytest

CASES = [
    (["export", "no-such-dir"], ["no-such-dir", "no such model directory"]),
    (["export", "."], ["not a model directory (no config.json)"]),
    (["export", ".", "--format", "tflite"], ["--format tflite", "valid: onnx, pt2"]),
    (["export", ".", "--out", "."], ["--out .", "is a directory"]),
]


@pytest.mark.parametrize(("argv", "fragments"), CASES,
                         ids=["missing-dir", "not-a-model", "unknown-format", "out-is-a-dir"])
def test_export_bad_input_is_one_error_line(cli, argv, fragments):
    cli.mark()
    cli(argv).assert_user_error(*fragments)
    cli.assert_untouched()
