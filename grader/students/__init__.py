"""For students and their CI: ``grader check`` grades a released assignment on its public checks,
offline (:mod:`.check`), and ``grader ci init`` writes CI jobs that run it on every push
(:mod:`.ci`).

May import: :mod:`grader.batch`, :mod:`grader.report`, :mod:`grader.grading` and everything
below; not the other tools of its layer (authoring, similarity, review).
"""
