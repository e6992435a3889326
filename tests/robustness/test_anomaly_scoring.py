"""Bad ``--scoring`` options of ``lstmkit detect``: one usage error line, nothing written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

TINY = ["--epochs", "1", "--hidden-size", "4", "--window", "8", "--no-tracking"]


@pytest.mark.parametrize(("options", "fragments"), [
    (["--scoring", "median"], ["--scoring", "median"]),
    (["--scoring", "max", "--detector", "reconstruction"],
     ["scoring='max' needs detector='prediction'"]),
    (["--scoring", "state", "--detector", "reconstruction"],
     ["scoring='state' needs detector='prediction'", "scoring='error'"]),
])
def test_detect_bad_scoring_is_a_usage_error(cli, options, fragments):
    t = np.arange(300)
    pd.DataFrame({"value": np.sin(t / 5.0)}).to_csv(cli.cwd / "data.csv", index=False)
    cli.mark()
    outcome = cli(["detect", "--data", "data.csv", *options, *TINY])
    outcome.assert_user_error(*fragments, code=2)
    cli.assert_untouched()
