"""Plain-text summaries for the terminal: one line per submission, failures grouped by cause."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from grader.core.results import SubmissionResult

NOTEBOOK_CAUSES = {
    "errors": "notebooks that raised errors",
    "deadline": "notebooks stopped at their deadline",
    "kernel-died": "notebooks whose kernel died",
    "missing": "missing notebooks",
    "invalid": "unreadable notebooks",
}
UNGRADED = "submissions that could not be graded"
CAUSES = {
    "timeout": "checks that ran out of time",
    "error": "checks where the code crashed or raised",
    "not-implemented": "checks of unfinished code (NotImplementedError)",
    "failed": "checks with wrong answers",
}


def summary_table(results: Sequence[SubmissionResult]) -> str:
    """One line per submission: score, outcome counts, problems."""
    width = max([len(r.submission) for r in results] + [10])
    lines = [f"{'submission':<{width}}  {'score':>11}  {'passed':>6}  {'failed':>6}  notes"]
    for r in results:
        passed = sum(c.passed for c in r.checks)
        causes = sorted({c.outcome for c in r.checks if not c.passed} - {"failed"})
        notes = "; ".join(list(r.problems)[:2] + ([", ".join(causes)] if causes else []))
        notes = notes.replace("\n", " ")
        lines.append(
            f"{r.submission:<{width}}  {r.score:>5g}/{r.max_score:<5g}  {passed:>6}  "
            f"{len(r.checks) - passed:>6}  {notes[:100]}"
        )
    return "\n".join(lines)


def _names(names: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", +{len(names) - limit} more" if len(names) > limit else "")


def failures_by_cause(results: Sequence[SubmissionResult]) -> str:
    """Failures grouped by cause: unreadable or ungradable submissions, notebooks that did not
    finish, then checks by outcome, each with the submissions concerned ("" when none failed)."""
    groups: dict[str, list[str]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for r in results:
        if not r.checks:
            groups[UNGRADED].append(r.submission)
        for status in sorted({run.status for run in r.notebooks} - {"completed"}):
            groups[NOTEBOOK_CAUSES[status]].append(r.submission)
        for outcome, label in CAUSES.items():
            bad = [c for c in r.checks if c.outcome == outcome]
            if bad:
                groups[label].append(r.submission)
                counts[label] += len(bad)
    if not groups:
        return ""
    lines = ["Failures by cause:"]
    for label in (UNGRADED, *NOTEBOOK_CAUSES.values(), *CAUSES.values()):
        names = groups.get(label)
        if not names:
            continue
        amount = f"{counts[label]} in " if label in counts else ""
        lines.append(f"  {label}: {amount}{len(names)} submission{'s' * (len(names) != 1)} ({_names(names)})")
    return "\n".join(lines)
