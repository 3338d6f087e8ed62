"""Copy detection: fingerprints of the students' own code (:mod:`.fingerprints`) and the pairs of
a graded class that are alike, for a person to look at (:mod:`.pairs`, ``grader similarity``).

May import: :mod:`grader.batch`, :mod:`grader.report`, :mod:`grader.grading` and everything
below; not the other tools of its layer (authoring, students, review).
"""
