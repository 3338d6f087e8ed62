"""Isolate and execute: student code runs only here, in a fresh interpreter of the students'
environment (:mod:`.environment`), jailed by bubblewrap, namespaces or resource limits
(:mod:`.sandbox`, :mod:`.cgroup`), answering the grader over a pipe of plain data (:mod:`.client`
and :mod:`.codec` on the grader's side; ``_worker.py``, ``_kernel_setup.py`` and ``_mountjail.py``
run inside the jail and are never imported by the grader). Notebook kernels get the same jail
(:mod:`.kernel`).

May import: :mod:`grader.core` and :mod:`grader.data`.
"""
