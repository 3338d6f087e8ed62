"""Grade a class: every submission once (:mod:`.one`), in parallel on this machine's cores
(:mod:`.run`) or on a Dask cluster (:mod:`.cluster`), skipping what is unchanged since the last
run (:mod:`.cache`), then the class reports.

May import: :mod:`grader.report`, :mod:`grader.grading` and everything below it.
"""
