"""Whether student code was starved of CPU by other work.

A time limit that runs out while the student's processes got less than a third of a core, because
every core was taken by other work (a parallel batch, another job on a shared CI runner, a
student's laptop compiling), says nothing about the student's code, so the wait goes on, up to a
backstop. A busy hang gets its core and is cut at its limit as before; so is any wait on a
machine with idle cores. Read from ``/proc``; without it (not Linux) no wait is ever extended.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

STAT = Path("/proc/stat")
IDLE_SHARE = 0.10  # under this share of idle CPU time over a wait, the machine was saturated
STARVED_SHARE = 0.3  # ... and the student's processes starved if they ran less than this share of it
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
GRACE_FACTOR = 2.0  # a saturated machine extends a wait by at most this many times its limit ...
GRACE_CAP = 20.0  # ... and at most this many seconds


def cpu_times() -> tuple[int, int] | None:
    """(idle, total) CPU time of all cores since boot, in clock ticks; None without /proc/stat."""
    try:
        with open(STAT, "rb") as f:
            fields = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return fields[3] + fields[4], sum(fields)  # idle + iowait, user..steal


def grace(seconds: float) -> float:
    """The most a saturated machine adds to a wait of ``seconds``."""
    return min(GRACE_FACTOR * seconds, GRACE_CAP)


def tree_cpu(root: int) -> float | None:
    """CPU seconds used by process ``root`` and its descendants (live ones, and the children they
    reaped); None when ``root`` is gone or there is no /proc."""
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent, seconds)
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = entry.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()  # after "pid (comm) ": state ppid ... utime stime cutime cstime
        stats[int(entry.parent.name)] = (int(fields[1]), sum(int(x) for x in fields[11:15]) / TICKS)
    if root not in stats:
        return None
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats[pid][1]
        todo += children.get(pid, [])
    return total


SAMPLE_SECONDS = 0.2  # how long :func:`starved` watches


def starved(pid: int, window: float = SAMPLE_SECONDS) -> bool:
    """Whether process ``pid``'s tree is being starved now: over ``window`` seconds the machine
    had (almost) no idle CPU time and the tree ran less than 30 % of the time. Called only when a
    wait has run out, so waits that end in time cost nothing."""
    machine, cpu, started = cpu_times(), tree_cpu(pid), time.monotonic()
    time.sleep(window)
    machine_now, cpu_now = cpu_times(), tree_cpu(pid)
    if machine is None or machine_now is None or cpu is None or cpu_now is None:
        return False
    idle, total = machine_now[0] - machine[0], machine_now[1] - machine[1]
    return total > 0 and idle < IDLE_SHARE * total and cpu_now - cpu < STARVED_SHARE * (time.monotonic() - started)
