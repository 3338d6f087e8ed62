"""Similar code: disguised copies are flagged, independently written solutions are not, code every
solution writes alike does not flag a pair, copies of known solutions name the known file, and
the same class gives the same pairs in every process."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from copies import disguise, reference_bodies, students, template_names, write_bodies, write_solution

from grader.batch.one import keep_own_code, run_info, unreadable
from grader.cli import main
from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.core.files import write_json
from grader.grading.discover import prepare
from grader.grading.owncode import CODE_FILE, templates
from grader.report import RESULT_FILE, SIMILARITY_FILE, write_class_reports
from grader.similarity.fingerprints import FULL, THRESHOLD, fingerprint, pair_shares, template_fingerprints, weight
from grader.similarity.pairs import SimilarityOptions, find_similar

ASSIGNMENTS = ["two_layer_net", "fc_nets", "softmax", "cs498dl_nn"]


def copy_of_reference(spec, dest: Path, seed: int) -> Path:
    protected = template_names(spec)
    return write_bodies(spec, dest, {stem: disguise(bodies, protected, seed)
                                     for stem, bodies in reference_bodies(spec.name).items()})


def graded(spec, klass: Path, out: Path) -> Path:
    """``out`` as grading leaves it for the similarity step: each submission's code.json and
    result.json, the run and dashboard (the checks themselves are not run: this is not their test)."""
    results = []
    for folder in sorted(klass.iterdir()):
        submission = prepare(folder, spec, out.parent / "work" / folder.name)
        keep_own_code(spec, submission, out / folder.name)
        result = dataclasses.replace(unreadable(folder, spec, "checks not run in this test"),
                                     content_hash=submission.content_hash)
        write_json(out / folder.name / RESULT_FILE, result.to_json())
        results.append(result)
    write_class_reports(out, results, run_info(spec))
    return out


def flagged_pairs(report: dict) -> set[frozenset[str]]:
    return {frozenset(next(iter(p[s].values())) for s in "ab") for p in report["pairs"]}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_disguised_copies_are_flagged_and_independent_solutions_are_not(tmp_path, name):
    spec = assignments.load(name)
    klass = tmp_path / "class"
    student_files(spec, klass / "reference")
    for student in students(name):  # written independently, in different styles
        write_solution(name, student, klass / student)
    write_solution(name, "ada", klass / "ada_copy", lambda bodies: disguise(bodies, template_names(spec), 1))
    copy_of_reference(spec, klass / "reference_copy", 2)
    report = find_similar(spec, graded(spec, klass, tmp_path / "out"))
    assert flagged_pairs(report) == {frozenset({"ada", "ada_copy"}), frozenset({"reference", "reference_copy"})}
    for pair in report["pairs"]:
        assert max(pair["share_a"], pair["share_b"]) >= THRESHOLD
        page = (tmp_path / "out" / pair["page"]).read_text(encoding="utf-8")
        assert page.count("<mark>") >= 5, "the matching regions are highlighted"
    dashboard = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'id="similarity"' in dashboard and dashboard.count("side by side") == 2 + len(report["common_pairs"])


def test_code_every_solution_writes_alike_does_not_flag_a_pair(tmp_path):
    """Unfinished submissions holding only the short functions everyone writes the same way
    (relu, affine_forward, dropout at test time, sgd) share all of their code; they are not a pair."""
    spec = assignments.load("fc_nets")
    klass = tmp_path / "class"
    student_files(spec, klass / "reference")
    for student in students("fc_nets"):
        write_solution("fc_nets", student, klass / student)
    short = {stem: [body if len(body.splitlines()) <= 3 else 'raise NotImplementedError("TODO: write this part")'
                    for body in bodies] for stem, bodies in reference_bodies("fc_nets").items()}
    for n in range(4):
        write_bodies(spec, klass / f"unfinished{n}", short)
    out = graded(spec, klass, tmp_path / "out")
    report = find_similar(spec, out)
    assert not {pair for pair in flagged_pairs(report) if any(n.startswith("unfinished") for n in pair)}
    common = {frozenset(next(iter(p[s].values())) for s in "ab") for p in report["common_pairs"]}
    assert frozenset({"unfinished0", "unfinished1"}) in common  # listed apart, for a person to judge
    assert "alike in code much of the class shares" in (out / "index.html").read_text(encoding="utf-8")
    # without weighting by rarity they would be flagged: the same code, and nothing else
    boilerplate = template_fingerprints("\n".join(lines) for _, lines in templates(spec.root))
    sets = [frozenset(h for f in json.loads((out / s / CODE_FILE).read_text())["files"]
                      for h in fingerprint("\n".join(line[2] for line in f["lines"]), boilerplate).positions)
            for s in ("unfinished0", "unfinished1")]
    assert len(sets[0]) >= 20 and sets[0] == sets[1]


def test_a_copy_of_a_known_solution_is_flagged_with_the_known_file_named(tmp_path):
    spec = assignments.load("fc_nets")
    known = tmp_path / "known" / "github-someone"
    solved = write_solution("fc_nets", "bo", tmp_path / "bo")
    for path in solved.rglob("*.py"):  # collected as loose files
        if path.stem in ("layers", "fc_net", "optim"):
            known.mkdir(parents=True, exist_ok=True)
            (known / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    klass = tmp_path / "class"
    student_files(spec, klass / "reference")
    write_solution("fc_nets", "ada", klass / "ada")
    write_solution("fc_nets", "bo", klass / "copier", lambda bodies: disguise(bodies, template_names(spec), 3))
    out = graded(spec, klass, tmp_path / "out")
    result = CliRunner().invoke(main, ["similarity", str(out), "--known", str(tmp_path / "known")])
    assert result.exit_code == 0, result.output
    report = json.loads((out / SIMILARITY_FILE).read_text())
    assert report["known_files"] == 3
    sides = {(p["a"]["submission"], p["b"].get("known", "")) for p in report["pairs"]}
    assert sides == {("copier", "github-someone/layers.py"), ("copier", "github-someone/fc_net.py"),
                     ("copier", "github-someone/optim.py")}
    assert "copier ~ known github-someone/layers.py" in result.output
    dashboard = (out / "index.html").read_text(encoding="utf-8")
    assert "github-someone/layers.py" in dashboard and ">known<" in dashboard


def test_the_same_class_gives_the_same_pairs_in_every_process(tmp_path):
    """copydetect hashes k-grams with Python's hash(), salted per process; ours must not be."""
    spec = assignments.load("two_layer_net")
    klass = tmp_path / "class"
    student_files(spec, klass / "reference")
    write_solution("two_layer_net", "ada", klass / "ada")
    write_solution("two_layer_net", "ada", klass / "copy", lambda bodies: disguise(bodies, template_names(spec), 4))
    out = graded(spec, klass, tmp_path / "out")
    outputs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-m", "grader", "similarity", str(out)], env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        outputs.append((out / SIMILARITY_FILE).read_text())
    assert outputs[0] == outputs[1] and '"ada"' in outputs[0]


def test_stale_and_missing_code_are_said_on_the_dashboard(tmp_path):
    spec = assignments.load("softmax")
    klass = tmp_path / "class"
    student_files(spec, klass / "reference")
    write_solution("softmax", "ada", klass / "ada")
    write_solution("softmax", "bo", klass / "bo")
    out = graded(spec, klass, tmp_path / "out")
    (out / "bo" / CODE_FILE).unlink()  # as left by a grader before code.json existed
    find_similar(spec, out, SimilarityOptions())
    result = json.loads((out / "ada" / RESULT_FILE).read_text())
    result["content_hash"] = "changed"
    (out / "ada" / RESULT_FILE).write_text(json.dumps(result))
    rendered = CliRunner().invoke(main, ["report", str(out)])
    assert rendered.exit_code == 0, rendered.output
    dashboard = (out / "index.html").read_text(encoding="utf-8")
    assert "bo: no code.json" in dashboard and "regrade it with --force" in dashboard
    assert re.search(r"Compared before the latest grading \(ada changed since\)", dashboard)


def test_weights_fall_with_how_common_a_fingerprint_is():
    assert weight(2, 300) == FULL and weight(300, 300) == 0 and weight(10, 10) == 0
    assert weight(3, 3) == weight(3, 10) > FULL // 2  # too few documents to call three "common"
    assert FULL > weight(5, 300) > weight(30, 300) > weight(150, 300) > 0
    shares = pair_shares([frozenset({1, 2, 3, 4}), frozenset({1, 2, 3, 4}), frozenset({9})], [(0, 1), (0, 2)])
    assert (shares[0].share_a, shares[0].plain_a) == (1.0, 1.0) and shares[1].share == 0.0
