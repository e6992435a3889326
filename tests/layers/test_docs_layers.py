"""The Python examples of docs/layers.md run as written."""

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "layers.md"


def test_layers_page_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    assert len(blocks) == 2
    for code in blocks:
        exec(compile(code, str(PAGE), "exec"), {})
