"""The README's set-up block is what a newcomer runs, and CI runs the test command verbatim."""

from __future__ import annotations

import re

from conftest import REPO


def setup_block() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "the README has no ```bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_holds_two_set_up_commands():
    grade, test = setup_block()
    assert "grader grade" in grade and "pip install ." in grade
    assert "tools/system-packages.sh" in test and "pytest" in test


def test_ci_runs_the_readme_test_command_and_nothing_else():
    lines = [line for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', setup_block()[1]]
