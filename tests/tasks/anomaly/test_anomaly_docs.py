"""The Python example of docs/anomaly.md runs as written."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_anomaly_docs_python_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs/anomaly.md").read_text(),
                        flags=re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, "docs/anomaly.md", "exec"), {})
