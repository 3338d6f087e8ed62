"""Grade one submission: discover and unpack it into a private copy (:mod:`.discover`), derive
time limits from the reference (:mod:`.limits`), run its notebooks and the assignment's checks
against a jailed worker (:mod:`.grade`), name the likely mistake behind a failure
(:mod:`.diagnose`, from the catalogue of :mod:`.mistakes`), and keep the student's own code for
copy detection (:mod:`.owncode`).

May import: :mod:`grader.notebooks`, :mod:`grader.checks`, :mod:`grader.oracle`,
:mod:`grader.jail`, :mod:`grader.data`, :mod:`grader.core`.
"""
