"""What a test run may not change, and the run's own home.

The suite runs on the machines its users have: it must leave them as it found them. Before the
run the controller records the machine's state (Debian's package list, the names in ``/`` and in
the folders where an install or a stray write would land: the system's and the interpreter's
``bin`` and ``site-packages``, ``/opt``, ``/etc``, the user's home and its caches, and the system's
temporary folder, where the run may work but must leave nothing) and after the run it records it
again: any difference fails the run, with the difference named.

Every process of the run (the xdist workers, the CLIs and images the tests start) gets a private
``HOME``, XDG folders and grader cache inside the run's temporary folder, so that whatever a tool
caches lands there and is removed with it (the grader itself gives every process one BLAS thread).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from grader.core.files import process_alive, scratch_owner

WATCHED = ("/", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/lib", "/usr/lib/python3/dist-packages",
           "/opt", "/etc", "/root", "/home")


def watched_folders(home: str | None = None) -> list[str]:
    """The folders whose names are compared: fixed system folders, the base interpreter's own
    ``bin`` and ``site-packages``, and the user's home with its caches and data."""
    home = home or os.path.expanduser("~")
    base = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})
    found = [*WATCHED, base["purelib"], base["platlib"], base["scripts"],
             home, f"{home}/.cache", f"{home}/.local/share", f"{home}/.local/bin", f"{home}/.config"]
    return list(dict.fromkeys(found))


# Folders other programs use too: what the run left there counts, what others removed does not.
LEFTOVERS = "left in "


def leftover_folders() -> list[str]:
    return [tempfile.gettempdir()]


def listing(folder: str) -> tuple[str, ...]:
    try:
        return tuple(sorted(os.listdir(folder)))
    except OSError:
        return ()


def packages() -> tuple[str, ...]:
    """Debian's installed packages with their versions (empty where there is no dpkg)."""
    if not shutil.which("dpkg-query"):
        return ()
    run = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version} ${db:Status-Abbrev}\n"],
                         capture_output=True, text=True)
    return tuple(sorted(run.stdout.splitlines()))


def snapshot(home: str | None = None) -> dict[str, tuple[str, ...]]:
    state = {"dpkg": packages()}
    state.update({folder: listing(folder) for folder in watched_folders(home)})
    state.update({LEFTOVERS + folder: tuple(name for name in listing(folder) if not _process_owned(name))
                  for folder in leftover_folders()})
    return state


def _process_owned(name: str) -> bool:
    """A folder the grader keeps for a process's lifetime (``grader.core.files.scratch_dir``) while that
    process runs: it is removed when the process exits."""
    pid = scratch_owner(name)
    return pid is not None and process_alive(pid)


def changes(before: dict[str, tuple[str, ...]], after: dict[str, tuple[str, ...]]) -> list[str]:
    """One line per change: what appeared or went, and where."""
    lines = []
    for where in sorted(set(before) | set(after)):
        old, new = set(before.get(where, ())), set(after.get(where, ()))
        label = "installed packages" if where == "dpkg" else where
        lines += [f"{label}: + {name}" for name in sorted(new - old)]
        if not where.startswith(LEFTOVERS):
            lines += [f"{label}: - {name}" for name in sorted(old - new)]
    return lines


def private_home(root: Path) -> dict[str, str]:
    """The variables that point every tool's home, caches and configuration into ``root``."""
    folders = {"HOME": root / "home", "XDG_CACHE_HOME": root / "home" / ".cache",
               "XDG_CONFIG_HOME": root / "home" / ".config", "XDG_DATA_HOME": root / "home" / ".local" / "share",
               "GRADER_CACHE_DIR": root / "cache"}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {name: str(folder) for name, folder in folders.items()}
