"""Hostile and broken submissions graded in one batch through the CLI, under every file-system
jail this machine can build (bubblewrap and the namespace jail): each gains nothing,
the honest submissions in the same batch keep their scores, the grader's files do not change,
nothing hidden reaches a student, and bad input gets a specific message."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.jail.sandbox import JAILED, best_level, unavailable

from .attacks import ATTACKS, HIDDEN_MARKER, LEAK, NOTEBOOK_ATTACKS, REPO, build_class, snapshot

# One xdist worker grades these batches (pyproject: --dist loadgroup), the other runs the rest.
pytestmark = pytest.mark.xdist_group("adversarial")
OUTSIDE = [Path("/tmp/grader-pwned"), Path("/work/grader-pwned"), REPO / "grader-pwned", REPO.parent / "grader-pwned"]
OUTSIDE += [Path(folder) / name for folder in ("/", "/tmp", Path.home(), REPO.parent)
            for name in ("results.json", "result.json", "report.html", "index.html")]
LEVELS = [level for level in JAILED if level not in unavailable()]
# Attacks whose outcome depends on how the jail is built (files, processes, network, disk): every
# jail level meets them; the others (patched numpy, odd return values, broken input, exits, output
# floods) meet the same worker at every level and are graded at the strongest level only.
JAIL_DEPENDENT = {a.id for a in ATTACKS if a.needs_fs} | {
    "forge_results", "symlink_reference", "network", "subprocess", "kill_group", "kill_grader", "daemon", "fork_bomb",
    "disk_fill", "memory_bomb"}


def attacks_at(level: str) -> list:
    return [a for a in ATTACKS if level == LEVELS[0] or a.id in JAIL_DEPENDENT]


@dataclass
class Graded:
    level: str
    out: Path
    attacks: list
    controls: dict
    exit_code: int
    output: str
    unchanged: bool

    def result(self, name: str) -> dict:
        return json.loads((self.out / name / "result.json").read_text())

    def student_text(self, name: str) -> str:
        return (self.out / name / "results.json").read_text() + (self.out / name / "report.html").read_text()


def grade_class(level: str, root: Path) -> Graded:
    attacks, controls = build_class(root / "class", only={a.id for a in attacks_at(level)})
    protected = (REPO / "grader", REPO / "reference")
    before = snapshot(*protected)
    result = CliRunner().invoke(main, ["grade", "two_layer_net", str(root / "class"), "-o", str(root / "out"),
                                       "--isolation", level, "--no-notebooks", "-k", "not test_notebook"])
    return Graded(level, root / "out", attacks, controls, result.exit_code, result.output,
                  snapshot(*protected) == before)


@pytest.fixture(scope="session")
def graded_at(tmp_path_factory):
    """The class graded at a level, once per level per session (a cache, not a parametrized
    fixture: the attacks' tests and the batch's tests name levels in different combinations)."""
    done: dict[str, Graded] = {}

    def at(level: str) -> Graded:
        if level not in done:
            done[level] = grade_class(level, tmp_path_factory.mktemp(f"adversarial-{level}"))
        return done[level]
    return at


@pytest.mark.parametrize("level", LEVELS)
def test_the_batch_completes(graded_at, level):
    graded = graded_at(level)
    assert graded.exit_code == 0, graded.output
    for name in [a.id for a in graded.attacks] + list(graded.controls):
        assert (graded.out / name / "result.json").is_file(), name
    assert (graded.out / "index.html").is_file() and (graded.out / "gradebook.csv").is_file()


@pytest.mark.parametrize("level, attack", [(level, a) for level in LEVELS for a in attacks_at(level)],
                         ids=[f"{level}-{a.id}" for level in LEVELS for a in attacks_at(level)])
def test_attack_gains_nothing(graded_at, level, attack):
    graded = graded_at(level)
    result = graded.result(attack.id)
    assert result["score"] == 0, [(c["id"], c["message"]) for c in result["checks"] if c["points"]]
    text = graded.student_text(attack.id)
    assert LEAK not in text and HIDDEN_MARKER not in text
    if attack.problem:
        said = " ".join(result["problems"] + [c["message"] + " " + c["hint"] for c in result["checks"]])
        assert attack.problem in said, said[:2000]


@pytest.mark.parametrize("level", LEVELS)
def test_honest_submissions_keep_their_scores(graded_at, level):
    graded = graded_at(level)
    for name, score in graded.controls.items():
        assert graded.result(name)["score"] == score, name


@pytest.mark.parametrize("level", LEVELS)
def test_grader_files_unchanged_and_nothing_written_outside(graded_at, level):
    assert graded_at(level).unchanged
    assert not [p for p in OUTSIDE if p.exists()]


@pytest.mark.parametrize("level", LEVELS)
def test_forged_results_are_not_taken(graded_at, level):
    graded = graded_at(level)
    forged = graded.result("forge_results")
    assert forged["score"] == 0 and forged["type"] == "SubmissionResult"
    assert json.loads((graded.out / "forge_results" / "results.json").read_text())["score"] == 0


@pytest.fixture(scope="session")
def notebooks_graded(tmp_path_factory) -> Graded:
    root = tmp_path_factory.mktemp("adversarial-notebooks")
    for attack in NOTEBOOK_ATTACKS:
        attack.build(root / "class" / attack.id)
    result = CliRunner().invoke(main, ["grade", "two_layer_net", str(root / "class"), "-o", str(root / "out"),
                                       "--dataset", "synthetic", "-k", "test_notebook"])
    return Graded(best_level(), root / "out", NOTEBOOK_ATTACKS, {}, result.exit_code, result.output, True)


@pytest.mark.parametrize("attack", NOTEBOOK_ATTACKS, ids=[a.id for a in NOTEBOOK_ATTACKS])
def test_notebook_attack_gains_nothing(notebooks_graded, attack):
    assert notebooks_graded.exit_code == 0, notebooks_graded.output
    result = notebooks_graded.result(attack.id)
    assert result["score"] == 0
    pages = [notebooks_graded.out / attack.id / name for name in ("report.html", "report.instructor.html")]
    pages += list((notebooks_graded.out / attack.id / "executed").glob("*.html"))
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not any("pwned" in s for s in re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S | re.I))
        assert not re.search(r"<[^>]*\bonerror\s*=", html, flags=re.I)
    assert LEAK not in notebooks_graded.student_text(attack.id)
    assert not Path("/tmp/grader-pwned").exists()
    if attack.problem:
        said = " ".join(result["problems"] + [n["message"] for n in result["notebooks"]])
        assert attack.problem in said, said
