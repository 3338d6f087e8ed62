"""``grader review OUT``: grade the written answers of a graded class in the browser, question by
question.

A small web server (the standard library's, threaded) bound to 127.0.0.1 by default, with a
per-run token in every URL and request; requests naming another host are refused (DNS
rebinding). Each question's page lists every student's answer (markdown rendered and sanitised
like every report), with points, rubric items and a comment, saved on every change to
``OUT/written.json`` (:mod:`grader.core.written`). Student text is never executed: pages carry a
Content-Security-Policy that allows only the page's own script.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import hmac
import http.server
import json
import math
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import jinja2
import markupsafe

from grader.core.errors import UsageError
from grader.core.files import write_json
from grader.core.paths import bundled
from grader.core.results import RunInfo, SubmissionResult
from grader.core.written import Grade, Question, answer_hash, load_written, save_grade
from grader.report import RESULT_FILE, RUN_FILE, load_results, load_run, rerender
from grader.report.html import markdown_html, templates_at

MAX_BODY = 64 * 1024
LOOPBACK = ("127.0.0.1", "::1")
MAX_COMMENT = 5000


@dataclass(frozen=True)
class Review:
    """What the server serves: the graded folder, its questions and the run's token."""

    out: Path
    questions: tuple[Question, ...]
    token: str

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)


def prepare_review(out: Path, questions: tuple[Question, ...]) -> Review:
    """Check ``out`` is a graded class and record the questions in its run (reports read them)."""
    run = load_run(out)
    if not questions:
        raise UsageError(
            f"{run.assignment} declares no written questions: add [written.<id>] tables to its "
            "assignment.toml (see the README, 'Written answers')"
        )
    written = tuple(q.to_json() for q in questions)
    if run.written != written:
        write_json(out / RUN_FILE, dataclasses.replace(run, written=written).to_json())
    return Review(out, questions, secrets.token_urlsafe(18))


@functools.lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    root = bundled("reports")
    env = templates_at(root)
    script = (root / "static" / "review.js").read_text("utf-8")
    env.globals["script"] = markupsafe.Markup(script)  # our own files, inlined as they are
    env.globals["css"] = markupsafe.Markup((root / "static" / "report.css").read_text("utf-8"))
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    env.globals["csp"] = (
        f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; "
        f"script-src 'sha256-{digest}'; form-action 'none'; base-uri 'none'"
    )
    env.filters["num"] = lambda value: f"{value:g}"
    return env


_LOADED: dict[Path, tuple[tuple, list[SubmissionResult]]] = {}
_LOCK = threading.Lock()


def results_of(out: Path) -> list[SubmissionResult]:
    """The class's results, read again only when a ``result.json`` changed (a regrade)."""
    paths = sorted(out.glob(f"*/{RESULT_FILE}"))
    signature = tuple((p, p.stat().st_mtime_ns) for p in paths)
    with _LOCK:
        cached = _LOADED.get(out)
        if cached is None or cached[0] != signature:
            cached = _LOADED[out] = (signature, load_results(out))
        return cached[1]


def cards(review: Review, question: Question) -> list[dict[str, Any]]:
    """Every submission's answer to ``question`` with its grade, for the question's page."""
    written = load_written(review.out)
    rows = []
    for result in results_of(review.out):
        marked = written.marked(result, (question,))[0]
        text = marked.answer.answer if marked.answer else ""
        grade = marked.grade
        rows.append(
            {
                "submission": result.submission,
                "state": marked.state,
                "hash": answer_hash(text),
                "question": marked.answer.question if marked.answer else "",
                "answer": markdown_html(text) if text else "",
                "points": grade.points if grade else None,
                "rubric": list(grade.rubric) if grade else [],
                "comment": grade.comment if grade else "",
                "revision": grade.revision if grade else 0,
                "saved": grade.saved if grade else "",
            }
        )
    return rows


def progress(review: Review, questions: Sequence[Question] | None = None) -> dict[str, dict[str, int]]:
    """Per question (all, or ``questions``): how many answers are graded (and not changed
    since), of how many."""
    written = load_written(review.out)
    results = results_of(review.out)
    counts = {}
    for question in review.questions if questions is None else questions:
        states = [written.marked(r, (question,))[0].state for r in results]
        counts[question.id] = {
            "graded": states.count("graded"),
            "total": len(states),
            "changed": states.count("changed"),
        }
    return counts


def render_index(review: Review, run: RunInfo) -> str:
    return (
        _templates()
        .get_template("review_index.html.j2")
        .render(run=run, questions=review.questions, progress=progress(review), token=review.token)
    )


def render_question(review: Review, run: RunInfo, question: Question) -> str:
    index = review.questions.index(question)
    neighbours = {
        "previous": review.questions[index - 1].id if index else "",
        "next": review.questions[index + 1].id if index + 1 < len(review.questions) else "",
    }
    rows = cards(review, question)
    asked = next((r["question"] for r in rows if r["question"]), "")
    return (
        _templates()
        .get_template("review_question.html.j2")
        .render(
            run=run,
            question=question,
            cards=rows,
            token=review.token,
            neighbours=neighbours,
            asked=markdown_html(asked) if asked else "",
            graded=sum(r["state"] == "graded" for r in rows),
            total=len(rows),
            quote=quote,
        )
    )


class BadRequest(ValueError):
    """A request the reviewer's page would never send; answered 400 with the reason."""


def parse_grade(review: Review, body: dict[str, Any]) -> tuple[str, Question, Grade, int]:
    """(submission, question, grade, revision seen) from a save request, validated."""
    question = review.question(str(body.get("question", "")))
    submission = str(body.get("submission", ""))
    if question is None or not (review.out / submission / "result.json").is_file() or "/" in submission:
        raise BadRequest("unknown question or submission")
    points = body.get("points")  # None: a draft (a comment or rubric items before the points)
    if points is not None and (
        not isinstance(points, (int, float))
        or isinstance(points, bool)
        or not math.isfinite(points)
        or not 0 <= points <= question.points
    ):
        raise BadRequest(f"points must be a number from 0 to {question.points:g}, or none yet")
    names = {r.name for r in question.rubric}
    rubric = body.get("rubric", [])
    if not isinstance(rubric, list) or not all(isinstance(r, str) and r in names for r in rubric):
        raise BadRequest("rubric items must be the question's own")
    comment = body.get("comment", "")
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise BadRequest(f"the comment must be text of at most {MAX_COMMENT} characters")
    revision = body.get("revision", 0)
    if not isinstance(revision, int):
        raise BadRequest("revision must be an integer")
    ordered = tuple(r.name for r in question.rubric if r.name in rubric)
    grade = Grade(None if points is None else float(points), ordered, comment, str(body.get("hash", "")))
    return submission, question, grade, revision


def save(review: Review, body: dict[str, Any]) -> dict[str, Any]:
    """Store one grade; the reply says what was stored, whether it replaced another tab's or
    reviewer's save, and the question's progress."""
    submission, question, grade, revision = parse_grade(review, body)
    saved = save_grade(review.out, submission, question.id, grade, revision)
    reply = {
        "saved": saved.grade.saved,
        "revision": saved.grade.revision,
        "progress": progress(review, (question,))[question.id],
    }
    if saved.overwrote is not None:
        reply["overwrote"] = {
            "points": saved.overwrote.points,
            "saved": saved.overwrote.saved,
            "comment": saved.overwrote.comment,
        }
    return reply


class Handler(http.server.BaseHTTPRequestHandler):
    review: Review  # set on the class made for one server
    server_version = "grader-review"

    def log_message(self, format: str, *args: Any) -> None:
        return  # no request log on the instructor's terminal

    def _allowed(self) -> bool:
        """On a loopback address, only requests addressed to it (a page of another site that
        resolves its name to 127.0.0.1 cannot reach the server); elsewhere the token decides."""
        address = self.server.server_address  # (host, port) for this IP server
        if not isinstance(address, tuple) or str(address[0]) not in LOOPBACK:
            return True
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        return host in ("localhost", *LOOPBACK)

    def _token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.review.token.encode())

    def _send(self, status: int, body: str, kind: str = "text/html; charset=utf-8") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        token = parse_qs(url.query).get("token", [""])[0]
        if not self._allowed() or not self._token_ok(token):
            return self._send(
                403,
                "Forbidden: open the address grader review printed (it carries the token).",
                "text/plain; charset=utf-8",
            )
        run = load_run(self.review.out)
        if url.path == "/":
            return self._send(200, render_index(self.review, run))
        if url.path.startswith("/question/"):
            question = self.review.question(url.path.removeprefix("/question/"))
            if question is not None:
                return self._send(200, render_question(self.review, run, question))
        return self._send(404, "Not found", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        if not self._allowed() or not self._token_ok(self.headers.get("X-Review-Token", "")):
            return self._send(403, json.dumps({"error": "forbidden"}), "application/json")
        if urlparse(self.path).path != "/api/grade" or self.headers.get("Content-Type") != "application/json":
            return self._send(404, json.dumps({"error": "not found"}), "application/json")
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            return self._send(413, json.dumps({"error": "request too large"}), "application/json")
        try:
            body = json.loads(self.rfile.read(length))
            if not isinstance(body, dict):
                raise BadRequest("expected a JSON object")
            reply = save(self.review, body)
        except (BadRequest, json.JSONDecodeError) as exc:
            return self._send(400, json.dumps({"error": str(exc)}), "application/json")
        return self._send(200, json.dumps(reply), "application/json")


def serve(review: Review, host: str = "127.0.0.1", port: int = 0) -> http.server.ThreadingHTTPServer:
    """A server for ``review`` listening on ``host:port`` (0: any free port), not yet serving."""
    handler = type("ReviewHandler", (Handler,), {"review": review})
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    server.daemon_threads = True
    return server


def url_of(server: http.server.ThreadingHTTPServer, review: Review) -> str:
    host, port = str(server.server_address[0]), server.server_address[1]
    return f"http://{host if ':' not in host else f'[{host}]'}:{port}/?token={review.token}"


def finish(review: Review) -> Path:
    """Render every report again with the written grades; returns the dashboard."""
    return rerender(review.out)
