"""The code's shape is checked, not hoped for: the package's layers, the trust boundary and the
check authors' API (import-linter contracts in pyproject.toml), no import cycle anywhere, and
ruff (lint and format) and mypy on grader/. Every tool writes its cache into a temporary folder."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from conftest import REPO

STAGES = sorted(p.parent.name for p in (REPO / "grader").glob("*/__init__.py"))


def tool(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m <tool>``; import-linter has no module entry point: its script beside this Python."""
    command = [str(Path(sys.executable).parent / args[0]), *args[1:]] if args[0] == "lint-imports" \
        else [sys.executable, "-m", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_layers_the_trust_boundary_and_the_checks_api_hold():
    run = tool("lint-imports", "--no-cache")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout and "KEPT" in run.stdout


def test_a_stage_importing_a_stage_above_it_breaks_the_contract(tmp_path):
    """The contracts really bite: the same configuration over a copy of the package where the
    foundations import the command line, and a check imports the grading stage, fails."""
    shutil.copytree(REPO / "grader", tmp_path / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    errors = tmp_path / "grader" / "core" / "errors.py"
    errors.write_text(errors.read_text() + "\n\ndef _late():\n    import grader.cli  # noqa\n")
    helpers = tmp_path / "grader" / "checks" / "helpers.py"
    helpers.write_text(helpers.read_text() + "\n\nfrom grader.grading import grade  # noqa\n")
    run = tool("lint-imports", "--no-cache", cwd=tmp_path, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert run.returncode != 0
    assert "grader.core.errors -> grader.cli" in run.stdout
    assert "grader.checks.helpers -> grader.grading.grade" in run.stdout


def test_no_module_is_part_of_an_import_cycle():
    graph = grimp.build_graph("grader")
    cycles = [(m, chain) for m in sorted(graph.modules) for other in graph.find_modules_directly_imported_by(m)
              if (chain := graph.find_shortest_chain(importer=other, imported=m))]
    assert not cycles


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_says_what_it_does_and_what_it_may_import(stage):
    doc = ast.get_docstring(ast.parse((REPO / "grader" / stage / "__init__.py").read_text()))
    assert doc and len(doc) > 80 and "May import:" in doc, stage


def test_ruff_lint_and_format_pass():
    lint = tool("ruff", "check", "--no-cache", "grader")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatted = tool("ruff", "format", "--check", "--no-cache", "grader")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_mypy_passes(tmp_path):
    typed = tool("mypy", "--cache-dir", str(tmp_path / "mypy"))
    assert typed.returncode == 0 and "Success" in typed.stdout, typed.stdout + typed.stderr
