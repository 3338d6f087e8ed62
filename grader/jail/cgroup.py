"""A pids cgroup around each jailed process tree, so a fork bomb stops at a fixed number of tasks.

RLIMIT_NPROC cannot do this for a grader running as root (root is exempt from it), so where the
grader may create cgroups (cgroup v1 ``pids`` hierarchy, or a cgroup v2 tree with the ``pids``
controller) each worker and kernel gets its own group with ``pids.max``. The command is prefixed
with a tiny shell that moves itself into the group before ``exec``-ing the real command, so every
process the student starts is counted. Without cgroups, non-root graders fall back to
RLIMIT_NPROC (see :func:`grader.jail.sandbox.limits_prefix`); root without cgroups has no task limit.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))


def _usable(root: Path) -> bool:
    if not root.is_dir() or not os.access(root, os.W_OK):
        return False
    if (root / "cgroup.controllers").is_file():  # cgroup v2: pids must be enabled for children
        return "pids" in (root / "cgroup.subtree_control").read_text().split()
    return (root / "tasks").is_file() and root.name == "pids"


class PidsGroup:
    """One cgroup limited to ``limit`` tasks (threads count); remove it with :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, limit: int) -> PidsGroup | None:
        for root in ROOTS:
            if not _usable(root):
                continue
            path = root / f"grader-{uuid.uuid4().hex[:12]}"
            try:
                path.mkdir()
                (path / "pids.max").write_text(str(limit))
            except OSError:
                try:
                    path.rmdir()
                except OSError:
                    pass
                continue
            return cls(path)
        return None

    def prefix(self) -> list[str]:
        """Arguments that run the rest of the command inside the group."""
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.path / "cgroup.procs")]

    def close(self) -> None:
        """Kill whatever is left in the group and remove it."""
        for _ in range(20):
            try:
                pids = [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
            except OSError:
                return
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        try:
            self.path.rmdir()
        except OSError:
            pass
