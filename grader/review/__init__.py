"""Written answers graded by a person: ``grader review OUT`` serves the answers of a graded class
question by question in the browser and saves the grades (:mod:`.server`); the records live in
:mod:`grader.core.written`.

May import: :mod:`grader.batch`, :mod:`grader.report`, :mod:`grader.grading` and everything
below; not the other tools of its layer (authoring, students, similarity).
"""
