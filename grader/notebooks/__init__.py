"""Notebooks: run a submitted notebook headlessly in a jailed kernel and bring back plain data
(:mod:`.run`: executed cells, errors, the values checks ask for, files it wrote, written
answers), and the notebook's definitions as an importable module for assignments graded from the
notebook itself (:mod:`.module`).

May import: :mod:`grader.checks` (the ``record`` of artifacts), :mod:`grader.oracle`,
:mod:`grader.jail`, :mod:`grader.data`, :mod:`grader.core`.
"""
