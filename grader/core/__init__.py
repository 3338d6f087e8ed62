"""Foundations every stage stands on: the assignment's configuration (:mod:`.assignment`), run
settings (:mod:`.settings`, :mod:`.config`), results as frozen dataclasses that serialize to JSON
(:mod:`.results`), typed errors and their exit codes (:mod:`.errors`), atomic files
(:mod:`.files`), where things live (:mod:`.paths`), numeric helpers (:mod:`.numeric`), the
written-answer records (:mod:`.written`) and the solution markers that grading and authoring
share (:mod:`.solutions`).

May import: nothing else of the grader's (the standard library and third-party packages only).
"""
