"""HTML reports rendered with jinja2 from stored results: per-submission (student and instructor
versions) and the class dashboard. Autoescaping is on for every template: messages and output come
from student code and are hostile input. Every page is one self-contained file (inline CSS and
script, images as data URIs), so it opens from disk, from an LMS or as an e-mail attachment."""

from __future__ import annotations

import base64
import functools
import hashlib
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import markupsafe

from grader.core.paths import bundled
from grader.core.results import CheckResult, RunInfo, SubmissionResult
from grader.core.written import Marked, written_points
from grader.report.charts import histogram_png, images_for
from grader.report.exports import check_columns

AUDIENCES = ("student", "instructor")
OUTCOME_LABELS = {
    "passed": "passed",
    "failed": "failed",
    "error": "error",
    "timeout": "timed out",
    "not-implemented": "not implemented",
}


def templates_at(root: Path) -> jinja2.Environment:
    """The templates in ``root/templates``: autoescaped, and an undefined name is an error."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(root / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    root = bundled("reports")
    env = templates_at(root)
    env.globals["asset"] = lambda name: markupsafe.Markup((root / "static" / name).read_text("utf-8"))
    script = (root / "static" / "report.js").read_bytes()
    env.globals["csp"] = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
    )
    env.globals["outcome_label"] = OUTCOME_LABELS.get
    env.filters["num"] = lambda value: f"{value:g}"
    env.filters["seconds"] = lambda value: f"{value:.2f} s" if value < 100 else f"{value:.0f} s"
    return env


def _percent(score: float, maximum: float) -> float:
    return 100.0 * score / maximum if maximum else 0.0


def check_images(result: SubmissionResult, folder: Path) -> dict[str, list[dict[str, str]]]:
    """The pictures of each check's and notebook's artifacts, drawn once for both versions of the
    report (notebooks are keyed by their path)."""
    images = {c.id: images_for(c.artifacts, folder) for c in result.checks if c.artifacts}
    images.update({n.notebook: images_for(n.artifacts, folder) for n in result.notebooks if n.artifacts})
    return images


def check_view(check: CheckResult, audience: str, images: list[dict[str, str]]) -> dict[str, Any]:
    """What one row of the report shows; a hidden check shows students only its title and score."""
    visible = audience == "instructor" or not check.hidden
    return {
        "id": check.id,
        "title": check.title,
        "hidden": check.hidden,
        "points": check.points,
        "max_points": check.max_points,
        "outcome": check.outcome,
        "duration": check.duration,
        "visible": visible,
        "message": check.message if visible else "",
        "hint": check.hint if visible else "",
        "diagnosis": check.diagnosis if visible else {},
        "output": check.output if visible and not check.passed else "",
        "details": check.details if visible else {},
        "notes": list(check.notes) if visible else [],
        "images": images if visible else [],
    }


def markdown_html(text: str) -> markupsafe.Markup:
    """Markdown from a notebook (a question, a student's answer) as HTML that cannot run: rendered
    by nbconvert's markdown filter, then cleaned by bleach (nbconvert's sanitiser) keeping only
    text markup; links only to http(s) and mail."""
    import bleach
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    html = markdown2html_mistune(text)
    return markupsafe.Markup(
        bleach.clean(
            html,
            tags=SAFE_TAGS,
            attributes={"a": ["href", "title"], "*": ["class"]},
            protocols=["http", "https", "mailto"],
            strip=True,
        )
    )


SAFE_TAGS = frozenset(
    {
        "a",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)


def written_view(marked: Sequence[Marked]) -> list[dict[str, Any]]:
    """The written questions of a report: question, answer (rendered), points, rubric, comment."""
    return [
        {
            "id": m.question.id,
            "title": m.question.title,
            "points": m.points,
            "max_points": m.question.points,
            "state": m.state,
            "graded": m.graded,
            "question": markdown_html(m.answer.question) if m.answer else "",
            "answer": markdown_html(m.answer.answer) if m.answer and m.answer.answer else "",
            "rubric": [
                {"name": r.name, "points": r.points, "given": bool(m.grade and r.name in m.grade.rubric)}
                for r in m.question.rubric
            ],
            "comment": m.grade.comment if m.grade is not None and m.graded else "",
        }
        for m in marked
    ]


def render_submission(
    result: SubmissionResult,
    run: RunInfo,
    audience: str,
    images: dict[str, list[dict[str, str]]],
    marked: Sequence[Marked] = (),
) -> str:
    """The report of one submission for ``audience`` (``student`` or ``instructor``);
    ``images`` comes from :func:`check_images`; ``marked``, its written questions and grades."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}")
    checks = [check_view(c, audience, images.get(c.id, [])) for c in result.checks]
    notebooks = [
        {
            "run": n,
            "images": images.get(n.notebook, []),
            "answers": [
                {
                    "cell": a.cell,
                    "title": a.question.splitlines()[0] if a.question else "",
                    "question": markdown_html(a.question),
                    "answer": markdown_html(a.answer),
                }
                for a in n.answers
            ]
            if not marked
            else [],
            "links": [{"href": quote(f), "name": Path(f).name} for f in n.files],
        }
        for n in result.notebooks
    ]
    given, possible = written_points(marked)
    return (
        environment()
        .get_template("submission.html.j2")
        .render(
            result=result,
            run=run,
            audience=audience,
            checks=checks,
            notebooks=notebooks,
            written=written_view(marked),
            total=result.score + given,
            maximum=result.max_score + possible,
            percent=_percent(result.score + given, result.max_score + possible),
            images=[dict(image, check=c["title"]) for c in checks for image in c["images"]],
        )
    )


def _row(result: SubmissionResult, marked: Sequence[Marked] = ()) -> dict[str, Any]:
    outcomes = [c.outcome for c in result.checks]
    link = quote(result.submission)
    given, possible = written_points(marked)
    return {
        "id": result.submission,
        "score": result.score + given,
        "max_score": result.max_score + possible,
        "percent": _percent(result.score + given, result.max_score + possible),
        "passed": outcomes.count("passed"),
        "failed": len(outcomes) - outcomes.count("passed"),
        "timeouts": outcomes.count("timeout"),
        "errors": outcomes.count("error"),
        "time": result.execution_time,
        "problems": list(result.problems),
        "isolation": result.isolation,
        "notebooks": [n.summary().split("\n")[0] for n in result.notebooks if n.status != "completed"],
        "student_href": f"{link}/report.html",
        "instructor_href": f"{link}/report.instructor.html",
    }


def _check_stats(results: Sequence[SubmissionResult]) -> list[dict[str, Any]]:
    stats = []
    for check_id, _ in check_columns(results):
        runs = [c for r in results for c in r.checks if c.id == check_id]
        stats.append(
            {
                "id": check_id,
                "title": runs[0].title,
                "hidden": runs[0].hidden,
                "max_points": runs[0].max_points,
                "count": len(runs),
                "pass_rate": 100.0 * sum(c.passed for c in runs) / len(runs),
                "mean_points": statistics.fmean(c.points for c in runs),
                "timeouts": sum(c.outcome == "timeout" for c in runs),
                "errors": sum(c.outcome == "error" for c in runs),
            }
        )
    return stats


def _pair_rows(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "a_name": next(iter(p["a"].values())),
            "b_name": next(iter(p["b"].values())),
            "b_known": "known" in p["b"],
            "share_a": p["share_a"],
            "share_b": p["share_b"],
            "plain_a": p["plain_a"],
            "plain_b": p["plain_b"],
            "href": quote(p["page"]),
        }
        for p in pairs
    ]


def similarity_view(data: dict | None, results: Sequence[SubmissionResult]) -> dict[str, Any] | None:
    """The dashboard's similar-code section from ``similarity.json``: its pairs, and which
    submissions changed since it was computed."""
    if data is None:
        return None
    compared, missing = data.get("content_hashes", {}), data.get("not_compared", {})
    stale = sorted(
        r.submission
        for r in results
        if r.submission not in missing and compared.get(r.submission, "") != r.content_hash
    )
    return {
        "submissions": data.get("submissions", 0),
        "known_files": data.get("known_files", 0),
        "threshold": data.get("parameters", {}).get("threshold", 0.0),
        "missing": [f"{name}: {why}" for name, why in sorted(missing.items())],
        "stale": stale,
        "pairs": _pair_rows(data.get("pairs", [])),
        "common": _pair_rows(data.get("common_pairs", [])),
    }


def render_similar_pair(pair: dict[str, Any], sides: Sequence[dict[str, Any]], run: RunInfo) -> str:
    """The side-by-side page of one flagged pair (``sides`` from :func:`grader.similarity.pairs.side_view`)."""
    return environment().get_template("similar_pair.html.j2").render(run=run, pair=pair, a=sides[0], b=sides[1])


def written_stats(marked: Mapping[str, Sequence[Marked]]) -> list[dict[str, Any]]:
    """Per written question: how many answers are graded, their mean points, how many wait."""
    rows: dict[str, dict[str, Any]] = {}
    for per_submission in marked.values():
        for m in per_submission:
            row = rows.setdefault(
                m.question.id,
                {
                    "title": m.question.title,
                    "max_points": m.question.points,
                    "points": [],
                    "ungraded": 0,
                    "changed": 0,
                    "missing": 0,
                },
            )
            if m.graded:
                row["points"].append(m.points)
            row["ungraded"] += m.state == "ungraded"
            row["changed"] += m.state == "changed"
            row["missing"] += m.state == "missing"
    return [
        dict(row, graded=len(row["points"]), mean=statistics.fmean(row["points"]) if row["points"] else None)
        for row in rows.values()
    ]


def render_dashboard(
    results: Sequence[SubmissionResult],
    run: RunInfo,
    similarity: dict | None = None,
    marked: Mapping[str, Sequence[Marked]] | None = None,
) -> str:
    """The class dashboard (``index.html``) linking to every submission's reports; ``similarity``
    is what ``grader similarity`` wrote, if it ran; ``marked``, the written questions' grades."""
    rows = sorted((_row(r, (marked or {}).get(r.submission, ())) for r in results), key=lambda row: row["id"])
    percents = [row["percent"] for row in rows]
    summary = {
        "count": len(rows),
        "mean": statistics.fmean(percents) if percents else 0.0,
        "median": statistics.median(percents) if percents else 0.0,
        "full_marks": sum(r.max_score > 0 and r.score == r.max_score for r in results),
    }
    return (
        environment()
        .get_template("dashboard.html.j2")
        .render(
            run=run,
            rows=rows,
            summary=summary,
            checks=_check_stats(results),
            similarity=similarity_view(similarity, results),
            written=written_stats(marked or {}),
            unjailed=sum(r.isolation == "rlimits" for r in results),
            histogram=histogram_png(percents) if percents else "",
            slowest=sorted(rows, key=lambda row: -row["time"])[:5],
            trouble=[row for row in rows if row["problems"] or row["timeouts"] or row["errors"] or row["notebooks"]],
        )
    )
