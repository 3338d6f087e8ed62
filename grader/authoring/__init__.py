"""For course staff writing an assignment: ``grader release`` writes the student version of a
reference (:mod:`.release`: solutions stubbed, public checks, recorded answers for offline
self-checks) and verifies the catalogued mistakes fail their checks.

May import: :mod:`grader.batch`, :mod:`grader.report`, :mod:`grader.grading` and everything
below; not the other tools of its layer (students, similarity, review).
"""
