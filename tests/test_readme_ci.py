"""The README's two quickstart lines and CI must not drift apart."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quickstart_lines():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Quickstart.*?```bash\n(.*?)```", text, re.S)
    assert block, "README has no Quickstart bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quickstart_has_exactly_two_lines():
    lines = quickstart_lines()
    assert len(lines) == 2
    assert lines[0].startswith("pip install") and "chalkgrad" in lines[0]
    assert "pytest" in lines[1] and "ruff check" in lines[1]


def test_ci_runs_the_readme_test_line_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert quickstart_lines()[1] in ci
