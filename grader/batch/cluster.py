"""Grade on a Dask distributed cluster: one task per submission, jailed on whichever worker runs it.

Workers need ``grader`` installed (and bubblewrap for the strongest jail); they need no shared
file system. The client sends each task the assignment folder and the submission as zip bytes,
the worker grades with :func:`grader.batch.one.grade_one` into a private folder and sends back the
files it wrote (results, reports, artifacts), which land in the same ``OUT/<id>/`` layout as a
local run. Only grader-written files travel back; the worker's results are plain JSON/HTML/npy.

Start a cluster with ``dask scheduler`` on one machine and ``dask worker tcp://HOST:8786
--nthreads 1 --nworkers N`` on each grading machine (one thread per worker process: a grading
runs pytest, which is not thread-safe; tasks that share a process are serialised anyway).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import socket
import tempfile
import threading
import urllib.parse
import zipfile
from collections.abc import Iterator
from pathlib import Path

from grader.core.assignment import Assignment
from grader.core.errors import GraderError, UsageError
from grader.core.files import process_temp_dir, walk_files, write_bytes
from grader.core.results import RunInfo, SubmissionResult
from grader.data.grading import GradingData, grading_data
from grader.grading.grade import GradeOptions
from grader.report import RESULT_FILE

_ONE_AT_A_TIME = threading.Lock()
_ASSIGNMENTS: dict[str, Path] = {}


def zip_tree(path: Path, arcroot: str = "") -> bytes:
    """A folder as zip bytes (regular files only; caches and VCS folders skipped)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, full in walk_files(path):
            if full.is_file() and not full.is_symlink():
                zf.write(full, (Path(arcroot) / rel).as_posix())
    return buffer.getvalue()


def pack_submission(source: Path) -> tuple[str, bytes]:
    """(file name, bytes) that the worker turns back into the same submission: a folder travels
    as ``<name>.zip`` (the same id and files), a zip or notebook as itself."""
    if source.is_dir():
        return source.name + ".zip", zip_tree(source)
    return source.name, source.read_bytes()


def grade_on_cluster(
    address: str, assignment: Assignment, tasks, out: Path, options: GradeOptions, run: RunInfo
) -> Iterator[SubmissionResult]:
    """Submit every task to the scheduler at ``address``; yield results as they come back."""
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - dask is a dependency
        raise UsageError("--scheduler needs Dask: pip install 'dask[distributed]'") from None
    bundle = zip_tree(assignment.root, assignment.root.name)
    digest = hashlib.sha256(bundle).hexdigest()
    remote = dataclasses.replace(options, data=None)
    data = (options.data.name, str(options.data.path)) if options.data else None
    try:
        probe(address)
        client = Client(address, timeout=10)
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        shared = client.scatter(bundle, broadcast=True)
        futures = [
            client.submit(
                grade_remote,
                shared,
                digest,
                assignment.root.name,
                *pack_submission(t.source),
                remote,
                data,
                run,
                t.key,
                key=f"grade-{t.id}-{t.key[:12]}",
                pure=False,
            )
            for t in tasks
        ]
        for future in as_completed(futures):
            yield land(future.result(), out)


def probe(address: str, timeout: float = 10.0) -> None:
    """Open and close a TCP connection to a ``tcp://host:port`` scheduler: a refused or unroutable
    address fails at once with the system's reason (Dask's client would retry until its timeout)."""
    parsed = urllib.parse.urlsplit(address)
    if parsed.scheme == "tcp" and parsed.hostname and parsed.port:
        socket.create_connection((parsed.hostname, parsed.port), timeout=timeout).close()


def land(files: dict[str, bytes], out: Path) -> SubmissionResult:
    """Write a worker's files under ``out`` (``result.json`` last) and return its result."""
    names = sorted(files, key=lambda n: n.endswith("/" + RESULT_FILE))
    for name in names:
        parts = Path(name).parts
        if Path(name).is_absolute() or ".." in parts or len(parts) < 2:
            raise GraderError(f"a Dask worker sent back an unexpected path {name!r}")
        write_bytes(out / name, files[name])
    result_name = next(n for n in names if n.endswith("/" + RESULT_FILE))
    return SubmissionResult.from_json(json.loads(files[result_name].decode("utf-8")))


def grade_remote(
    bundle: bytes,
    digest: str,
    folder: str,
    name: str,
    payload: bytes,
    options: GradeOptions,
    data: tuple[str, str] | None,
    run: RunInfo,
    key: str,
) -> dict[str, bytes]:
    """Runs on a Dask worker: grade one submission and return the files written, by path."""
    from grader.batch.one import grade_one
    from grader.core import assignment as assignments

    with _ONE_AT_A_TIME:
        assignment = assignments.load(_unpacked_assignment(bundle, digest, folder))
        options = dataclasses.replace(options, data=_worker_data(data))
        with tempfile.TemporaryDirectory(prefix="grader-task-") as tmp:
            source = Path(tmp, "in", name)
            source.parent.mkdir()
            source.write_bytes(payload)
            out = Path(tmp, "out")
            result = grade_one(assignment, source, out, options, run, key)
            return {
                p.relative_to(out).as_posix(): p.read_bytes()
                for p in sorted((out / result.submission).rglob("*"))
                if p.is_file()
            }


def _unpacked_assignment(bundle: bytes, digest: str, folder: str) -> Path:
    """The assignment folder, unpacked once per worker process and content hash."""
    if digest not in _ASSIGNMENTS:
        root = process_temp_dir(f"grader-assignment-{digest[:12]}-")
        with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
            zf.extractall(root)
        _ASSIGNMENTS[digest] = root / folder
    return _ASSIGNMENTS[digest]


def _worker_data(data: tuple[str, str] | None) -> GradingData | None:
    """The worker's copy of the run's dataset (same name), found where the worker keeps it."""
    if data is None:
        return None
    name, path = data
    found = grading_data("synthetic") if name == "synthetic" else grading_data("cifar10", path)
    if found.name != name:
        raise UsageError(f"this worker's dataset is {found.describe()}, the run grades with {name}")
    return found
