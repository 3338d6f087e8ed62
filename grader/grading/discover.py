"""Find and unpack submissions: a folder, a ``.zip`` or a notebook, copied into a private folder.

Nothing is executed here. Copies never follow symbolic links (a link is dropped and noted), zip
entries with absolute paths or ``..`` are refused, and sizes are capped, so a submission cannot
pull the grader's files into its own copy or fill the disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.core.assignment import Assignment, student_paths
from grader.core.errors import GraderError
from grader.core.files import IGNORED
from grader.core.solutions import SOLUTION_MARKERS

MAX_FILE = 256 << 20
MAX_TOTAL = 1 << 30
MAX_FILES = 20_000
SKIP_DIRS = IGNORED  # caches, VCS folders, macOS zip debris, grader check's .grader/


class SubmissionError(GraderError):
    """A submission cannot be read at all (the rest of the batch goes on)."""

    exit_code = 1


@dataclass(frozen=True)
class Submission:
    """A submission ready to grade: its id, the private folder, and what was noticed on the way."""

    id: str
    source: Path
    path: Path
    kind: str
    content_hash: str
    problems: tuple[str, ...] = ()


def submission_id(source: Path) -> str:
    name = source.name
    for suffix in (".zip", ".ipynb"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "submission"


def content_hash(folder: Path) -> str:
    """SHA-256 over relative paths and bytes of every file, in sorted order."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _copy_tree(src: Path, dest: Path, problems: list[str]) -> None:
    total = count = 0
    for root, dirs, files in os.walk(src, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not Path(root, d).is_symlink())
        rel = Path(root).relative_to(src)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for name in sorted(files):
            path = Path(root, name)
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
                problems.append(f"ignored {rel / name}: not a regular file (symbolic link or device)")
                continue
            if info.st_size > MAX_FILE:
                problems.append(
                    f"ignored {rel / name}: {info.st_size >> 20} MB, over the {MAX_FILE >> 20} MB limit per file"
                )
                continue
            count, total = count + 1, total + info.st_size
            if total > MAX_TOTAL or count > MAX_FILES:
                problems.append(
                    f"ignored {rel / name}: the submission is over {MAX_TOTAL >> 20} MB or {MAX_FILES} files"
                )
                continue
            shutil.copyfile(path, dest / rel / name)


def _unzip(archive: Path, dest: Path, problems: list[str]) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            total = 0
            if not zf.infolist():
                raise SubmissionError(f"{archive.name} is an empty zip archive: nothing was submitted")
            for info in zf.infolist():
                parts = PurePosixPath(info.filename.replace("\\", "/")).parts
                if info.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                    problems.append(f"refused zip entry '{info.filename}': it points outside the submission")
                    continue
                if info.is_dir() or any(p in SKIP_DIRS for p in parts):
                    continue
                if (info.external_attr >> 16) & 0o170000 == 0o120000:
                    problems.append(f"ignored zip entry '{info.filename}': symbolic link")
                    continue
                total += info.file_size
                if info.file_size > MAX_FILE or total > MAX_TOTAL:
                    problems.append(f"ignored zip entry '{info.filename}': too large")
                    continue
                target = dest.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise SubmissionError(f"{archive.name} is not a readable zip file ({exc})") from None


def _find_root(folder: Path, assignment: Assignment) -> Path:
    """The folder that holds the expected files (students often zip a parent folder)."""
    for rel in assignment.submit:
        if (folder / rel).is_file():
            return folder
    for rel in assignment.submit:
        matches = sorted(folder.glob(f"**/{rel}"), key=lambda p: len(p.parts))
        if matches:
            return Path(str(matches[0])[: -len(rel)].rstrip("/"))
    return folder


def _place_loose_files(folder: Path, assignment: Assignment, problems: list[str]) -> None:
    """A file the assignment expects in a sub-folder but handed in without it (``neural_net.py``
    uploaded alone, as Gradescope and LMS uploads often are) goes where it belongs, when its
    name is found once."""
    for rel in assignment.submit:
        wanted = PurePosixPath(rel)
        if len(wanted.parts) == 1 or any(p.is_file() for p in folder.glob(f"**/{rel}")):
            continue
        named = [p for p in sorted(folder.rglob(wanted.name)) if p.is_file() and not p.is_symlink()]
        if len(named) == 1:
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            named[0].rename(folder / rel)
            problems.append(
                f"{named[0].relative_to(folder).as_posix()} was handed in without its folders: graded as {rel}"
            )


def _provide_missing(root: Path, assignment: Assignment, problems: list[str]) -> None:
    """Copy course-provided helper files the student did not include (never solution files)."""
    for rel in student_paths(assignment.root):
        path = assignment.root / rel
        if rel.suffix != ".py" or rel.as_posix() in assignment.submit or (root / rel).exists():
            continue
        text = path.read_text(encoding="utf-8")
        if any(marker in text for marker in SOLUTION_MARKERS):
            continue
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, root / rel)
    missing = [rel for rel in assignment.submit if not (root / rel).is_file()]
    if missing:
        problems.append("missing file(s): " + ", ".join(missing))


def prepare(source: Path, assignment: Assignment, workdir: Path) -> Submission:
    """Copy or unpack ``source`` into ``workdir/<id>/submission`` and return the :class:`Submission`."""
    source = Path(source)
    sid = submission_id(source)
    dest = workdir / sid / "submission"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    problems: list[str] = []
    if source.is_dir():
        kind = "folder"
        _copy_tree(source, dest, problems)
    elif source.suffix.lower() == ".zip":
        kind = "zip"
        _unzip(source, dest, problems)
    elif source.suffix.lower() == ".ipynb":
        kind = "notebook"
        target = assignment.notebooks[0] if assignment.notebooks else source.name
        shutil.copyfile(source, dest / target)
    elif not source.exists():
        raise SubmissionError(f"{source}: no such file or folder")
    else:
        raise SubmissionError(f"{source}: a submission must be a folder, a .zip or a .ipynb")
    digest = content_hash(dest)
    _place_loose_files(dest, assignment, problems)
    root = _find_root(dest, assignment)
    _provide_missing(root, assignment, problems)
    return Submission(sid, source, root, kind, digest, tuple(problems))


def find_submissions(path: Path, assignment: Assignment) -> list[Path]:
    """``path`` itself when it is one submission, else every submission inside a class folder.

    A folder is one submission when it holds one of the assignment's files or any ``.py`` file
    directly; otherwise each sub-folder, ``.zip`` and ``.ipynb`` in it is one submission.
    """
    path = Path(path)
    if not path.is_dir():
        return [path]
    if any((path / rel).is_file() for rel in assignment.submit) or any(path.glob("*.py")):
        return [path]
    entries = sorted(
        p
        for p in path.iterdir()
        if not p.name.startswith((".", "_")) and (p.is_dir() or p.suffix.lower() in (".zip", ".ipynb"))
    )
    return entries or [path]
