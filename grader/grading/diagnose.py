"""Name the likely mistake behind a failed check.

Each catalogued mistake (``reference/<name>/mistakes.toml``, :mod:`grader.grading.mistakes`) is a small
edit of the reference. When a check fails, the grader runs it again with a *mutant* reference,
the reference with that mistake made, in place of the real one: same inputs, same student code.
If the check now passes, the student's outputs match the mutant's, and the report names the
mistake and gives its hint. Checks that do not compare with the reference (a loss that must stay
finite, a gradient checked numerically against the student's own loss) are matched by the
mistake's ``signature``, a regular expression over the failed check's message.

Only mistakes that list the check among the ones they fail are tried, mutants are instructor code
run in the grader's process (mistakes that hang or do not import say ``diagnose = false``), and
the re-runs stop after a time budget. Signatures also name mistakes behind crashes and timeouts
(Python 2 syntax, a forward pass that never returns).
"""

from __future__ import annotations

import dataclasses
import re
import time

from grader.checks.plugin import Oracle, live_oracle
from grader.core.assignment import Assignment
from grader.core.files import process_temp_dir
from grader.core.results import CheckResult
from grader.grading.mistakes import Mistake, load_mistakes, make_mistaken_submission
from grader.oracle.reference import Reference

BUDGET_SECONDS = 30.0
_MUTANTS: dict[tuple[str, str], Reference] = {}


def check_name(check_id: str) -> str:
    """``test_x`` from ``file.py::test_x[param]``: the name ``mistakes.toml`` uses."""
    return check_id.split("::")[-1].split("[")[0]


def mutant_oracle(assignment: Assignment, mistake: Mistake) -> Oracle:
    """The reference with ``mistake`` made, importable under its own package prefix (made once
    per process)."""
    key = (str(assignment.root), mistake.id)
    if key not in _MUTANTS:
        folder = process_temp_dir(f"grader-mutant-{mistake.id}-")
        make_mistaken_submission(assignment, mistake, folder)
        _MUTANTS[key] = Reference(dataclasses.replace(assignment, name=f"{assignment.name}__{mistake.id}", root=folder))
    return live_oracle(_MUTANTS[key])


def may_fail(mistake: Mistake, check_id: str) -> bool:
    return mistake.fails == ("*",) or check_name(check_id) in mistake.fails


def consistent(mistake: Mistake, missed: set[str], ran: set[str]) -> bool:
    """Whether the submission failed (``missed``) every check ``mistake`` fails among those that
    ``ran``: a mistake's checks fail on the reference's own inputs whatever else the code does, so
    a submission passing one of them does not have that mistake, and its mutant is not tried."""
    return mistake.fails == ("*",) or all(name in missed for name in mistake.fails if name in ran)


def candidates(mistakes: list[Mistake], results: list[CheckResult]) -> list[Mistake]:
    """The mutants worth trying, in order: a mistake that fails exactly the checks the submission
    failed first, then those that explain more of them (the first that explains a check names it,
    and a check explained is not tried again)."""
    missed = {check_name(c.id) for c in results if not c.passed}
    ran = {check_name(c.id) for c in results}
    tried = [m for m in mistakes if m.diagnose and consistent(m, missed, ran)]
    return sorted(tried, key=lambda m: (set(m.fails) != missed, -len(set(m.fails) & missed)))


def by_signature(check: CheckResult, mistakes: list[Mistake]) -> Mistake | None:
    for mistake in mistakes:
        if (
            mistake.signature
            and may_fail(mistake, check.id)
            and re.search(mistake.signature, check.message, re.IGNORECASE)
        ):
            return mistake
    return None


def diagnose(
    assignment: Assignment, results: list[CheckResult], rerun, budget: float = BUDGET_SECONDS
) -> list[CheckResult]:
    """``results`` with ``diagnosis`` filled on failed checks a catalogued mistake explains.
    ``rerun(select, oracle)`` runs the checks matching a ``-k`` expression that compare with the
    reference (the others cannot tell two references apart) with ``oracle`` as the reference, and
    returns their results."""
    mistakes = load_mistakes(assignment)
    if not mistakes or all(c.passed for c in results):
        return results
    found = by_mutants(assignment, results, mistakes, rerun, time.monotonic() + budget)
    for check in results:  # failed, crashed or timed out: the message may name the mistake
        if not check.passed and check.id not in found:
            match = by_signature(check, mistakes)
            if match:
                found[check.id] = match
    return [
        dataclasses.replace(
            c, diagnosis={"mistake": found[c.id].id, "title": found[c.id].title, "hint": found[c.id].hint}
        )
        if c.id in found
        else c
        for c in results
    ]


def by_mutants(
    assignment: Assignment, results: list[CheckResult], mistakes: list[Mistake], rerun, deadline: float
) -> dict[str, Mistake]:
    """Failed check id -> the first mistake whose mutant reference makes it pass. A check the
    rerun leaves out does not compare with the reference: no mutant is tried on it again."""
    failed = [c.id for c in results if c.outcome == "failed"]
    found: dict[str, Mistake] = {}
    blind: set[str] = set()
    for mistake in candidates(mistakes, results):
        targets = [cid for cid in failed if cid not in found and cid not in blind and may_fail(mistake, cid)]
        if not targets or time.monotonic() > deadline:
            continue
        select = " or ".join(sorted({check_name(cid) for cid in targets}))
        again = {r.id: r for r in rerun(select, mutant_oracle(assignment, mistake))}
        found.update((cid, mistake) for cid in targets if cid in again and again[cid].passed)
        blind.update(cid for cid in targets if cid not in again)
    return found
