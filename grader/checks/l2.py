"""L2 regularization conventions: which one a student's loss uses, and what follows from it.

Where an assignment fixes no convention (``regularization = "any"``), students write
``reg * sum(W**2)``, ``0.5 * reg * sum(W**2)`` or either one divided by the batch size. A check
measures the penalty the student's own loss adds, names the convention it matches, and expects
that share of the reference's L2 term in the loss and in the gradient (so they must agree). The
reference itself uses ``reg*sum(W**2)``.
"""

from __future__ import annotations

from grader.checks.helpers import note

FIXED = {"reg*sum(W**2)": 1.0, "0.5*reg*sum(W**2)": 0.5}
RTOL = 1e-6


def candidates(batch: int) -> dict[str, float]:
    """Every convention seen in real submissions, by the factor it puts before ``reg * sum(W**2)``."""
    return {**FIXED, "reg*sum(W**2)/N": 1.0 / batch, "0.5*reg*sum(W**2)/N": 0.5 / batch}


def detect(penalty: float, reference_penalty: float, batch: int) -> tuple[str, float] | None:
    """The convention whose penalty is ``penalty``, given the reference's (``reg*sum(W**2)``)."""
    for name, factor in candidates(batch).items():
        want = factor * reference_penalty
        if abs(penalty - want) <= RTOL * abs(want) + 1e-12:
            return name, factor
    return None


def factor_for(convention: str, penalty: float, reference_penalty: float, batch: int) -> float:
    """How much of the reference's L2 term to expect: all of it where the assignment fixes the
    convention (the reference follows it), else the share of the convention the student's loss
    uses, relative to the reference's ``reg*sum(W**2)`` (named in the report), else all of it
    (and the loss check fails with the usual message)."""
    if convention in FIXED or not reference_penalty:
        return 1.0
    found = detect(penalty, reference_penalty, batch)
    if found is None:
        note(
            f"your loss adds {penalty / reference_penalty:.6g} * reg * sum(W**2), which is none of "
            f"the usual L2 conventions ({', '.join(candidates(batch))}, N the batch size)"
        )
        return 1.0
    note(
        f"L2 regularization convention detected: {found[0]} (the assignment accepts any "
        "convention whose gradient matches its loss)"
    )
    return found[1]
