"""Written answers graded by a person: the assignment's questions (``[written]``), the answers
the notebooks hold, and the grades given to them in ``OUT/written.json``.

A grade is kept by submission and question together with a hash of the answer it was given to:
when a regrade brings a different answer, the grade stays (and counts) but is marked "changed
since graded" until a reviewer confirms or changes it. ``written.json`` is rewritten atomically
under a lock on every change, so no grade is lost to a crash, a closed tab or a second reviewer;
two reviewers saving the same answer: the last save wins and the other is told.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.core.files import write_json
from grader.core.results import Answer, SubmissionResult

WRITTEN_FILE = "written.json"
STATES = ("ungraded", "graded", "changed", "missing")


@dataclass(frozen=True)
class RubricItem:
    name: str
    points: float


@dataclass(frozen=True)
class Question:
    """One written question: ``match`` is text of the question cell (its heading, or words of
    it) that finds it among a notebook's answers; ``rubric``, named items with their points."""

    id: str
    title: str
    match: str
    points: float
    rubric: tuple[RubricItem, ...] = ()

    def finds(self, answer: Answer) -> bool:
        return _words(self.match) in _words(answer.question)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "match": self.match,
            "points": self.points,
            "rubric": [[r.name, r.points] for r in self.rubric],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Question:
        return cls(
            str(data["id"]),
            str(data["title"]),
            str(data["match"]),
            float(data["points"]),
            tuple(RubricItem(str(n), float(p)) for n, p in data.get("rubric", ())),
        )


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def parse_questions(table: Mapping[str, Any], where: str) -> tuple[Question, ...]:
    """``[written.<id>]`` tables: ``match`` (required), ``points`` (required), ``title``, ``rubric``
    (an inline table of item = points, in order). Raises ValueError naming what is wrong."""
    questions = []
    for qid, spec in table.items():
        if not re.fullmatch(r"[A-Za-z0-9_-]+", qid) or not isinstance(spec, dict):
            raise ValueError(f"{where}: [written.{qid}] must be a table named by letters, digits, - or _")
        unknown = sorted(set(spec) - {"title", "match", "points", "rubric"})
        if unknown:
            raise ValueError(
                f"{where} [written.{qid}]: unknown key(s) {unknown}; allowed: match, points, rubric, title"
            )
        if not isinstance(spec.get("match"), str) or not _words(spec["match"]):
            raise ValueError(f"{where} [written.{qid}]: 'match' must be text of the question cell")
        points = spec.get("points")
        if not isinstance(points, (int, float)) or points <= 0:
            raise ValueError(f"{where} [written.{qid}]: 'points' must be a positive number, not {points!r}")
        rubric = spec.get("rubric", {})
        if not isinstance(rubric, dict) or not all(isinstance(p, (int, float)) for p in rubric.values()):
            raise ValueError(f"{where} [written.{qid}]: 'rubric' must be an inline table of item = points")
        questions.append(
            Question(
                qid,
                str(spec.get("title", qid)),
                spec["match"],
                float(points),
                tuple(RubricItem(n, float(p)) for n, p in rubric.items()),
            )
        )
    return tuple(questions)


def answer_hash(text: str) -> str:
    """The answer's identity: its words, so re-saving a notebook does not count as a change."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


def answers_of(result: SubmissionResult, questions: Sequence[Question]) -> dict[str, Answer]:
    """The submission's answer to each question (the first notebook answer whose question cell
    holds the question's ``match`` text)."""
    found: dict[str, Answer] = {}
    for run in result.notebooks:
        for answer in run.answers:
            for question in questions:
                if question.id not in found and question.finds(answer):
                    found[question.id] = answer
    return found


@dataclass(frozen=True)
class Grade:
    """A reviewer's grade of one answer (``points`` None: a draft, a comment or rubric items
    saved before the points). ``revision`` counts saves of this answer's grade."""

    points: float | None
    rubric: tuple[str, ...] = ()
    comment: str = ""
    answer_hash: str = ""
    saved: str = ""
    revision: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "rubric": list(self.rubric),
            "comment": self.comment,
            "answer_hash": self.answer_hash,
            "saved": self.saved,
            "revision": self.revision,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Grade:
        points = data.get("points")
        return cls(
            None if points is None else float(points),
            tuple(data.get("rubric", ())),
            str(data.get("comment", "")),
            str(data.get("answer_hash", "")),
            str(data.get("saved", "")),
            int(data.get("revision", 0)),
        )


@dataclass(frozen=True)
class Marked:
    """One question of one submission as reports and the review page show it."""

    question: Question
    answer: Answer | None
    grade: Grade | None
    state: str  # one of STATES

    @property
    def graded(self) -> bool:
        return self.grade is not None and self.grade.points is not None

    @property
    def points(self) -> float:
        points = self.grade.points if self.grade is not None else None
        return points if points is not None else 0.0


@dataclass(frozen=True)
class Written:
    """Every grade in ``written.json``: ``grades[submission][question]``."""

    grades: Mapping[str, Mapping[str, Grade]] = field(default_factory=dict)

    def grade(self, submission: str, question: str) -> Grade | None:
        return self.grades.get(submission, {}).get(question)

    def marked(self, result: SubmissionResult, questions: Sequence[Question]) -> tuple[Marked, ...]:
        answers = answers_of(result, questions)
        rows = []
        for question in questions:
            answer, grade = answers.get(question.id), self.grade(result.submission, question.id)
            if grade is not None and grade.points is not None:
                current = answer_hash(answer.answer) if answer else ""
                state = "graded" if grade.answer_hash == current else "changed"
            else:
                state = "ungraded" if answer else "missing"
            rows.append(Marked(question, answer, grade, state))
        return tuple(rows)


def load_written(out: Path) -> Written:
    path = out / WRITTEN_FILE
    if not path.is_file():
        return Written()
    data = json.loads(path.read_text(encoding="utf-8"))
    return Written({s: {q: Grade.from_json(g) for q, g in by.items()} for s, by in data.get("grades", {}).items()})


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    with open(out / f".{WRITTEN_FILE}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Saved:
    """What a save did: the grade stored, and the one it replaced when that was not the one the
    reviewer had seen (another tab or reviewer saved in between)."""

    grade: Grade
    overwrote: Grade | None = None


def save_grade(out: Path, submission: str, question: str, grade: Grade, seen_revision: int) -> Saved:
    """Store ``grade`` (its revision and time set here); last write wins, and says so."""
    with _locked(out):
        written = load_written(out)
        before = written.grade(submission, question)
        revision = (before.revision if before else 0) + 1
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        stored = Grade(grade.points, grade.rubric, grade.comment, grade.answer_hash, now, revision)
        grades = {s: dict(by) for s, by in written.grades.items()}
        grades.setdefault(submission, {})[question] = stored
        write_json(
            out / WRITTEN_FILE,
            {"grades": {s: {q: g.to_json() for q, g in sorted(by.items())} for s, by in sorted(grades.items())}},
        )
    overwrote = before if before is not None and before.revision != seen_revision else None
    return Saved(stored, overwrote)


def questions_of(run_written: Sequence[Mapping[str, Any]]) -> tuple[Question, ...]:
    """The questions a run recorded (``RunInfo.written``)."""
    return tuple(Question.from_json(q) for q in run_written)


def written_points(marked: Sequence[Marked]) -> tuple[float, float]:
    """(points given, points possible) of the written questions."""
    return sum(m.points for m in marked), sum(m.question.points for m in marked)


def gradescope_tests(marked: Sequence[Marked]) -> list[dict[str, Any]]:
    """Each graded written question as a Gradescope test (ungraded ones are left out until graded)."""
    tests = []
    for m in marked:
        grade = m.grade
        if grade is None or not m.graded:
            continue
        lines = [f"Rubric: {name}" for name in grade.rubric] + ([f"Comment: {grade.comment}"] if grade.comment else [])
        tests.append(
            {
                "name": f"Written: {m.question.title}",
                "score": grade.points,
                "max_score": m.question.points,
                "output": "\n".join(lines) or "Graded.",
                "visibility": "visible",
            }
        )
    return tests
