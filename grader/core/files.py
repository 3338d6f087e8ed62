"""Atomic file writes (a killed run never leaves half a file behind) and per-process scratch
folders that are removed when the process ends."""

from __future__ import annotations

import hashlib
import json
import multiprocessing.util
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def process_temp_dir(prefix: str) -> Path:
    """A temporary folder for this process's caches (mutant references, unpacked assignments),
    removed when the process exits, including pool and Dask worker processes, which skip
    ``atexit`` but run multiprocessing's finalizers."""
    path = scratch_dir(prefix)  # a SIGKILLed process's copy is swept by the next one
    multiprocessing.util.Finalize(
        None, shutil.rmtree, args=(str(path),), kwargs={"ignore_errors": True}, exitpriority=0
    )
    return path


def _namespace() -> str:
    """This process's PID namespace (process ids mean something only inside one)."""
    try:
        return os.readlink("/proc/self/ns/pid").split("[")[-1].rstrip("]")
    except OSError:
        return "0"


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (another user's process counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def scratch_owner(name: str) -> int | None:
    """The process id in the name of a folder :func:`scratch_dir` made
    (``<prefix><namespace>-<pid>-<random>``), or None for another name."""
    found = re.search(r"-\d+-(\d+)-[^-]+$", name)
    return int(found.group(1)) if found else None


def scratch_dir(prefix: str) -> Path:
    """A temporary folder named after this process, for the caller to remove. Folders of the
    same kind left by processes of this PID namespace that no longer exist (a SIGKILLed grader
    cannot clean up; its jailed processes died with it) are removed first."""
    mine = f"{prefix}{_namespace()}-"
    for old in Path(tempfile.gettempdir()).glob(f"{mine}*-*"):
        pid = scratch_owner(old.name)
        if pid is not None and pid != os.getpid() and not process_alive(pid):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{mine}{os.getpid()}-"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file in the same folder, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2) + "\n")


# Never part of a submission's or an assignment's content (discover skips them too).
IGNORED = frozenset({"__pycache__", ".git", ".ipynb_checkpoints", "__MACOSX", ".grader", ".pytest_cache"})


def walk_files(path: Path):
    """``(relative posix path, path)`` of everything under ``path`` in a fixed order, never
    following symbolic links, skipping the :data:`IGNORED` folders."""
    for root, dirs, files in os.walk(path, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED)
        for name in sorted(files):
            full = Path(root, name)
            yield full.relative_to(path).as_posix(), full


def tree_hash(path: Path, instead: Mapping[str, bytes] | None = None) -> str:
    """SHA-256 of a file's bytes, or of a folder's relative paths and file bytes (symbolic links
    by their target text, never followed; caches and VCS folders skipped); ``instead`` gives the
    bytes to hash in place of some files' (by relative path)."""
    h = hashlib.sha256()
    path = Path(path)
    if not path.is_dir():
        h.update(path.read_bytes())
        return h.hexdigest()
    for rel, full in walk_files(path):
        h.update(rel.encode() + b"\0")
        info = full.lstat()
        if instead and rel in instead:
            h.update(hashlib.sha256(instead[rel]).digest())
        elif stat.S_ISLNK(info.st_mode):
            h.update(b"link:" + os.readlink(full).encode())
        elif stat.S_ISREG(info.st_mode):
            h.update(hashlib.sha256(full.read_bytes()).digest())
    return h.hexdigest()
