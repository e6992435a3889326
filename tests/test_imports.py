"""``import lstmkit`` loads torch and the layers only; the estimators come on first use."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "mlflow", "matplotlib", "statsmodels", "rich", "sklearn", "pydantic",
         "typer", "yaml", "pyarrow")


def test_import_lstmkit_loads_no_task_dependency():
    code = ("import sys, lstmkit; print(' '.join(m for m in " + repr(HEAVY)
            + " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == ""


def test_import_lstmkit_estimators_load_on_first_use():
    import lstmkit

    assert "Forecaster" in dir(lstmkit) and "Forecaster" in lstmkit.__all__
    assert lstmkit.SequenceRegressor.__name__ == "SequenceRegressor"
    try:
        lstmkit.Nope  # noqa: B018
    except AttributeError as exc:
        assert str(exc) == "module 'lstmkit' has no attribute 'Nope'"
    else:
        raise AssertionError("lstmkit.Nope did not raise")
