"""The layout rules of docs/tasks.md that a reviewer would otherwise check by hand."""

from pathlib import Path

import lstmkit

TASKS = Path(lstmkit.__file__).parent / "tasks"
MAX_LINES = 300


def test_no_task_module_is_over_300_lines():
    sizes = {str(p.relative_to(TASKS)): len(p.read_text().splitlines())
             for p in TASKS.rglob("*.py")}
    assert len(sizes) > 20  # the tasks were found
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
