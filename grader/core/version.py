"""The grader's version, and the one-BLAS-thread environment every grader process starts with."""

__version__ = "0.1.0"

# One BLAS thread in every process of the grader, as in the students' jail: a class is graded in
# parallel by jobs, not by threads (threads that spin-wait while other jobs hold the cores cost
# twice the CPU for nothing), and what the reference computes here does not depend on how many
# threads a machine's BLAS would start. grader/__init__.py sets it before numpy loads its BLAS; a
# value the user set wins.
SINGLE_THREADED = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
}
