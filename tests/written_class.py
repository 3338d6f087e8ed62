"""A graded class with written answers, for the written-answer tests: results as grading writes
them (the notebooks' answers to two_layer_net's declared questions), without running anything."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from grader.batch.one import run_info
from grader.core import assignment as assignments
from grader.core.files import write_json
from grader.core.results import Answer, CheckResult, NotebookRun, SubmissionResult
from grader.report import RESULT_FILE, write_class_reports, write_submission_reports

TUNING = ("# Tune your hyperparameters\nExperiment with different values.\n\n"
          "**Explain your hyperparameter tuning process below.**")
GAP = ("**Inline Question**\n\nNow that you have trained a Neural Network classifier... In what ways can we "
       "decrease this gap? Select all that apply.\n\n1. Train on a larger dataset.\n2. Add more hidden units.")
HOSTILE_ANSWER = ("1, 3 <script>document.title='pwned'</script> <img src=x onerror=\"document.title='pwned'\"> "
                  "[see here](javascript:document.title='pwned') <b onmouseover=\"document.title='pwned'\">bold</b>")
ANSWERS = {
    "alice": ("I raised the **learning rate** tenfold: the loss fell *linearly*, a sign of underfitting.", "1, 3"),
    "bob": ("Tried a grid of `lr` and `reg`; kept the best on validation.", "2"),
    "carol": ("", ""),
    "mallory": ("Nothing to explain.", HOSTILE_ANSWER),
}


def result_with(name: str, tuning: str, gap: str) -> SubmissionResult:
    answers = (Answer(21, TUNING, tuning), Answer(26, GAP, gap))
    notebook = NotebookRun("two_layer_net.ipynb", "completed", cells=20, executed=20, duration=3.0, answers=answers)
    check = CheckResult("test_nn.py::test_scores", "Toy scores", 2.0, 2.0, "passed")
    return SubmissionResult(name, "two_layer_net", (check,), "bwrap", "0.1.0", f"{name:>8}" * 8, 1.0,
                            notebooks=(notebook,))


def graded_with_answers(out: Path) -> Path:
    """OUT as ``grader grade`` leaves it for four students who answered the notebook's questions."""
    spec = assignments.load("two_layer_net")
    run = run_info(spec)
    results = [result_with(name, *texts) for name, texts in ANSWERS.items()]
    for result in results:
        write_json(out / result.submission / RESULT_FILE, result.to_json())
        write_submission_reports(out / result.submission, result, run)
    write_class_reports(out, results, run)
    return out


def regraded_answer(out: Path, name: str, question_cell: int, text: str) -> None:
    """What a regrade after the student changed an answer leaves in ``result.json``."""
    path = out / name / RESULT_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    result = SubmissionResult.from_json(data)
    run = result.notebooks[0]
    answers = tuple(dataclasses.replace(a, answer=text) if a.cell == question_cell else a for a in run.answers)
    result = dataclasses.replace(result, notebooks=(dataclasses.replace(run, answers=answers),))
    path.write_text(json.dumps(result.to_json()), encoding="utf-8")
