"""Run a student notebook headlessly in the jail and bring back plain results.

The notebook runs top to bottom with nbclient in a jailed kernel (:mod:`grader.jail.kernel`)
with a per-cell time limit and a whole-notebook deadline. A failing cell is recorded (position,
exception, message) and execution goes on, as a person re-running the notebook would see; a cell
over its limit is interrupted; past the deadline the remaining cells are not run; a kernel that
dies ends the run. Outputs are capped per cell.

Before the first cell a setup cell loads ``jail/_kernel_setup.py`` (copied into the jail), which
installs offline shims for Colab and Drive and seeds numpy; after the cell tagged ``parameters``
(or at the top) the grader inserts a cell setting the dataset split and budget it grades with.
After the last cell the expressions an assignment declares under ``[notebook.results]`` are
evaluated in the kernel and sent back as plain-data frames (JSON and ``.npy``, read with
``allow_pickle=False``). The executed notebook is saved (``.ipynb``, and HTML with
HTML/JavaScript outputs removed, sanitised markdown and a script-blocking Content-Security-Policy).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import logging
import math
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from grader.checks.record import Recorder
from grader.core.files import scratch_dir
from grader.core.results import Answer, CellError, NotebookOutcome, NotebookRun
from grader.core.solutions import ANSWER
from grader.data.fullsize import full_size_view, is_full_size
from grader.jail import codec
from grader.jail.kernel import JailedKernelManager, KernelJail
from grader.jail.sandbox import MOUNT_JAIL, Interpreter, JailLimits

MAX_NOTEBOOK_BYTES = 64 << 20
MAX_CELL_OUTPUT = 1 << 20
INJECTED_TAG = "injected-by-grader"
SAFE_MIMETYPES = ("text/plain", "image/png", "image/jpeg")
CSP = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "img-src data:; style-src 'unsafe-inline'; font-src data:\">"
)
UNANSWERED = re.compile(r"[\s*_\[]*fill\s+this\s+in[\s*_\].]*", re.IGNORECASE)  # the course's placeholder
# nbclient and jupyter_client log interrupts and teardown at ERROR/WARNING; the grader reports
# those facts itself (cell errors, timeouts), so their loggers stay quiet.
QUIET = logging.getLogger("grader.notebooks.kernel")
QUIET.setLevel(logging.CRITICAL)
KERNEL_SETUP = "_kernel_setup.py"
LOAD_SETUP = (
    "import importlib.util as _u\n_s = _u.spec_from_file_location('_grader_setup', {path!r})\n"
    "_grader = _u.module_from_spec(_s)\n_s.loader.exec_module(_grader)\n"
)


class NotebookInvalid(ValueError):
    """The file is not a notebook we can run; the message says why, for the student."""


def read_notebook(path: Path) -> tuple[nbformat.NotebookNode, list[str]]:
    """Parse ``path`` as a notebook of nbformat 4 (any minor version); nbformat 3 is converted
    (and said so). Anything else raises :class:`NotebookInvalid` with the precise reason."""
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise NotebookInvalid(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookInvalid(
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); was it saved from Jupyter?"
        ) from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise NotebookInvalid(f"{path.name} is JSON but not a Jupyter notebook (no 'nbformat' field)")
    major = raw.get("nbformat")
    if major not in (3, 4):
        raise NotebookInvalid(f"{path.name} has nbformat {major!r}; only 3 and 4 are supported")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several types for malformed content
        raise NotebookInvalid(f"{path.name} is not a valid notebook: {exc}") from None
    if not isinstance(nb.get("cells"), list):
        raise NotebookInvalid(f"{path.name} has no list of cells")
    problems = (
        [f"{path.name} is an nbformat 3 notebook (IPython 2 era); it was converted to nbformat 4 to run"]
        if major == 3
        else []
    )
    return nb, problems


def inline_answers(nb: nbformat.NotebookNode) -> tuple[Answer, ...]:
    """Written answers: markdown cells with 'Your Answer:' / 'Your Explanation:' and the text
    after the marker (with the question taken from the cell before it when the cell is only the
    answer, as in the cs231n notebooks)."""
    answers = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or not ANSWER.search(cell.source):
            continue
        pieces = ANSWER.split(cell.source)
        question = pieces[0].strip() or _previous_markdown(nb, index)
        parts = (_plain(re.sub(r"^[\s$}*]+", "", p)) for p in pieces[2::2])
        text = "\n\n".join(p for p in parts if p and not UNANSWERED.fullmatch(p))
        answers.append(Answer(cell=index + 1, question=_plain(question)[:2000], answer=text[:5000]))
    return tuple(answers)


def _previous_markdown(nb, index: int) -> str:
    for cell in reversed(nb.cells[:index]):
        if cell.cell_type == "markdown":
            return cell.source
    return ""


def _plain(markdown: str) -> str:
    """The question without the notebook's trailing LaTeX answer prompt."""
    return re.sub(r"\$?\\color\{\w+\}\{\\textit\s*$", "", markdown.strip()).strip()


def with_parameters(nb: nbformat.NotebookNode, values: Mapping[str, Any]) -> nbformat.NotebookNode:
    """A copy of ``nb`` with a cell assigning ``values`` after the ``parameters`` cell (papermill's
    convention) or, without one, at the top."""
    nb = copy.deepcopy(nb)
    if not values:
        return nb
    source = "# Set by the grader for this run\n" + "".join(f"{k} = {v!r}\n" for k, v in values.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": [INJECTED_TAG]})
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):
        cell.pop("id", None)  # cell ids arrived in nbformat 4.5
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    nb.cells.insert(tagged[0] + 1 if tagged else 0, cell)
    return nb


@dataclass(frozen=True)
class NotebookLimits:
    cell_seconds: float
    notebook_seconds: float
    memory_mb: int


@dataclass
class Execution:
    """What one run produced, before it is summarised into a :class:`NotebookRun`."""

    nb: nbformat.NotebookNode
    status: str = "completed"
    message: str = ""
    executed: int = 0
    timeouts: set[int] = field(default_factory=set)
    values: dict[str, Any] = field(default_factory=dict)
    export_errors: list[str] = field(default_factory=list)
    duration: float = 0.0


class _Client(NotebookClient):
    """nbclient with a per-cell output cap, so printing 100 MB cannot exhaust the grader."""

    def __init__(self, nb, **kwargs) -> None:
        super().__init__(nb, **kwargs)
        self._sizes: dict[int, int] = {}

    def output(self, outs, msg, display_id, cell_index):
        before = self._sizes.get(cell_index, 0)
        self._sizes[cell_index] = before + len(json.dumps(msg.get("content", {}), default=str))
        if self._sizes[cell_index] <= MAX_CELL_OUTPUT:
            return super().output(outs, msg, display_id, cell_index)
        if before <= MAX_CELL_OUTPUT:
            outs.append(
                nbformat.v4.new_output(
                    "stream",
                    name="stderr",
                    text=(f"\n[grader: output beyond {MAX_CELL_OUTPUT >> 20} MB in this cell was dropped]\n"),
                )
            )
        return None


def _run_hidden(client: _Client, source: str) -> nbformat.NotebookNode:
    """Run ``source`` as an extra last cell, then take it out of the notebook again."""
    cell = nbformat.v4.new_code_cell(source)
    client.nb.cells.append(cell)
    try:
        client.execute_cell(cell, len(client.nb.cells) - 1)
    finally:
        client.nb.cells.pop()
    return cell


DRIVE_LITERAL = re.compile(r"""(?:My\\? Drive|MyDrive)/((?:[^'"\n$#{}\\]|\\ )+)""")
FOLDER_ASSIGNMENT = re.compile(r"""^[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*[rRuU]?(['"])([^'"\n]+)\2""", re.M)
FOLDER_NAMES = re.compile(r"FOLDER|DRIVE", re.I)


def drive_folders(nb: nbformat.NotebookNode) -> list[str]:
    """The Drive folders a notebook names, relative to ``My Drive``, read before the run: each
    ``FOLDERNAME = '...'``-like literal (cs231n's Colab cell) and every literal path under
    ``My Drive/`` (``%cd``, ``%cp``, ``!ln -s``, ``os.chdir``; shell escapes undone)."""
    found: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for name, _, value in FOLDER_ASSIGNMENT.findall(cell.source):
            if FOLDER_NAMES.search(name):
                found.append(value)
        found.extend(m.replace("\\ ", " ") for m in DRIVE_LITERAL.findall(cell.source))
    folders = []
    for value in found:
        rel = re.sub(r"^(?:/?content/)?(?:drive/)?(?:My Drive|MyDrive)/", "", value.strip()).strip("/")
        if rel and not rel.startswith("/") and ".." not in rel.split("/") and rel not in folders:
            folders.append(rel)
    return sorted(folders[:20], key=lambda rel: rel.count("/"))  # a folder before those inside it


def _setup_source(jail: KernelJail, seed: int, folders: Sequence[str] = ()) -> str:
    config = {
        "submission": jail.root_in_jail,
        "seed": seed,
        "content": jail.content_in_jail,
        "drive_folders": list(folders),
    }
    return (
        LOAD_SETUP.format(path=f"{jail.runtime_in_jail}/{KERNEL_SETUP}")
        + f"_grader.setup({config!r})\ndel _u, _s, _grader\n"
    )


def _export_source(jail: KernelJail, requests: Mapping[str, str]) -> str:
    folder, codec_path = str(jail.sockets / "exports"), f"{jail.runtime_in_jail}/codec.py"
    return (
        LOAD_SETUP.format(path=f"{jail.runtime_in_jail}/{KERNEL_SETUP}")
        + f"_grader.export(globals(), {dict(requests)!r}, {folder!r}, {codec_path!r})\n"
    )


def execute(
    nb: nbformat.NotebookNode, jail: KernelJail, limits: NotebookLimits, requests: Mapping[str, str], seed: int = 0
) -> Execution:
    """Run every code cell of ``nb`` (in place) in a kernel in ``jail``; then export ``requests``."""
    run = Execution(nb)
    start = time.monotonic()
    deadline = start + limits.notebook_seconds
    km = JailedKernelManager(jail, log=QUIET)
    client = _Client(
        nb,
        km=km,
        log=QUIET,
        timeout=int(limits.cell_seconds),
        allow_errors=True,
        interrupt_on_timeout=True,
        startup_timeout=60,
        kernel_name="python3",
        error_on_timeout={"ename": "CellTimeout", "evalue": "", "traceback": []},
        resources={"metadata": {"path": str(jail.submission / jail.notebook_dir)}},
        extra_arguments=["--HistoryManager.enabled=False"],
    )
    client.timeout_func = lambda cell: max(1, math.ceil(min(limits.cell_seconds, deadline - time.monotonic())))
    watchdog = threading.Timer(limits.notebook_seconds + 30, km.kill_now)
    watchdog.daemon = True
    try:
        with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            watchdog.start()
            _run_hidden(client, _setup_source(jail, seed, drive_folders(nb)))
            _run_cells(client, nb, run, limits, deadline)
            if requests and run.status != "kernel-died":
                _run_hidden(client, _export_source(jail, requests))
    except DeadKernelError:
        run.status = "kernel-died"
        run.message = run.message or "the kernel died (out of memory, os._exit, a signal or the deadline)"
    except RuntimeError as exc:  # the kernel did not start
        run.status, run.message = "kernel-died", f"the kernel could not start: {exc}"
    finally:
        watchdog.cancel()
        km.release()
    if requests:
        run.values, run.export_errors = read_exports(jail.sockets / "exports", requests)
    run.duration = time.monotonic() - start
    return run


def _run_cells(client: _Client, nb, run: Execution, limits: NotebookLimits, deadline: float) -> None:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        allowed = min(limits.cell_seconds, deadline - time.monotonic())
        if allowed <= 0:
            run.status = "deadline"
            run.message = (
                f"the notebook used its {limits.notebook_seconds:.0f} s; cells from {index + 1} on were not run"
            )
            return
        started = time.monotonic()
        try:
            client.execute_cell(cell, index)
        except DeadKernelError:
            run.message = f"the kernel died in cell {index + 1} (out of memory, os._exit or a signal)"
            raise
        run.executed += 1
        if (
            any(o.get("ename") == "CellTimeout" for o in cell.get("outputs", ()))
            or time.monotonic() - started >= allowed
        ):
            run.timeouts.add(index)
            if allowed < limits.cell_seconds:  # stopped by the notebook's deadline, not the cell limit
                run.status = "deadline"
                run.message = (
                    f"the notebook used its {limits.notebook_seconds:.0f} s in cell {index + 1}; "
                    f"later cells were not run"
                )
                return


def read_exports(folder: Path, requests: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Decode the exported frames strictly (never unpickling); say why any name is missing."""
    values, errors = {}, []
    for name, expression in requests.items():
        frame, error = folder / f"{name}.frame", folder / f"{name}.error"
        try:
            if frame.is_file() and frame.stat().st_size <= codec.MAX_FRAME:
                with open(frame, "rb") as f:
                    values[name] = codec.unpack(f.read)["value"]
                continue
            reason = error.read_text(errors="replace")[:500] if error.is_file() else "it was not produced"
        except (codec.CodecError, EOFError, OSError, KeyError) as exc:
            reason = f"it is not plain data: {exc}"
        errors.append(f"{expression}: {reason}")
    return values, errors


def cell_errors(nb: nbformat.NotebookNode, timeouts: set[int]) -> tuple[CellError, ...]:
    errors = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", ()) if cell.cell_type == "code" else ():
            if output.get("output_type") == "error":
                timeout = index in timeouts
                errors.append(
                    CellError(
                        index + 1,
                        str(output.get("ename", ""))[:200],
                        "" if timeout else str(output.get("evalue", ""))[:1000],
                        timeout,
                    )
                )
                break
    return tuple(errors)


def safe_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy keeping only inert outputs (text and raster images): no HTML, JavaScript, SVG or
    widget state from student code reaches a report."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", ()):
            if "data" in output:
                output["data"] = {k: v for k, v in output["data"].items() if k in SAFE_MIMETYPES}
    return nb


@functools.lru_cache(maxsize=1)
def _html_exporter():
    """One exporter per process: building one compiles nbconvert's templates (0.2 s a notebook)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(sanitize_html=True, embed_images=True)


def save_executed(nb: nbformat.NotebookNode, folder: Path, name: str) -> tuple[str, ...]:
    """``folder/<name>.ipynb`` and ``.html``; returns paths relative to ``folder.parent``."""
    folder.mkdir(parents=True, exist_ok=True)
    clean = safe_copy(nb)
    stem = Path(name).stem
    nbformat.write(clean, str(folder / f"{stem}.ipynb"))
    html, _ = _html_exporter().from_notebook_node(clean)
    html = html.replace("<head>", "<head>\n" + CSP, 1)
    (folder / f"{stem}.html").write_text(html, encoding="utf-8")
    return tuple(f"{folder.name}/{stem}.{ext}" for ext in ("ipynb", "html"))


def summarize(
    notebook: str, nb, run: Execution, files: tuple[str, ...], requests: Mapping[str, str], answers: tuple[Answer, ...]
) -> NotebookRun:
    errors = cell_errors(nb, run.timeouts)
    status = run.status if run.status != "completed" or not errors else "errors"
    return NotebookRun(
        notebook=notebook,
        status=status,
        message=run.message,
        cells=sum(c.cell_type == "code" for c in nb.cells),
        executed=run.executed,
        errors=errors,
        duration=run.duration,
        files=files,
        answers=answers,
        exported=tuple(n for n in requests if n in run.values),
        export_errors=tuple(run.export_errors),
    )


def run_notebook(
    path: Path,
    submission: Path,
    jail: KernelJail,
    limits: NotebookLimits,
    parameters: Mapping[str, Any],
    requests: Mapping[str, str],
    out: Path | None,
) -> tuple[NotebookRun, dict[str, Any], list[str]]:
    """Read, run, save and summarise one notebook: (run, exported values, problems)."""
    notebook = path.relative_to(submission).as_posix()
    if not path.is_file():
        return NotebookRun(notebook, "missing", "the submission has no such notebook"), {}, []
    try:
        original, problems = read_notebook(path)
    except NotebookInvalid as exc:
        return NotebookRun(notebook, "invalid", str(exc)), {}, []
    nb = with_parameters(original, parameters)
    run = execute(nb, jail, limits, requests)
    files = save_executed(nb, out, notebook.replace("/", "__")) if out is not None else ()
    return summarize(notebook, nb, run, files, requests, inline_answers(original)), run.values, problems


def kernel_jail(
    level: str,
    submission: Path,
    notebook: str,
    limits: JailLimits,
    dataset: Path | None,
    dataset_path: str,
    interpreter: Interpreter | None = None,
) -> tuple[KernelJail, Path]:
    """A :class:`KernelJail` with fresh runtime and socket folders (remove the returned tmp)."""
    tmp = scratch_dir("grader-kernel-")
    runtime, sockets = tmp / "runtime", tmp / "sockets"
    runtime.mkdir()
    sockets.mkdir()
    for name in ("codec.py", KERNEL_SETUP, MOUNT_JAIL):
        shutil.copy(Path(__file__).parents[1] / "jail" / name, runtime / name)
    jail = KernelJail(
        level=level,
        submission=submission,
        notebook_dir=str(Path(notebook).parent),
        runtime=runtime,
        sockets=sockets,
        limits=limits,
        dataset=dataset,
        dataset_path=dataset_path,
        interpreter=interpreter,
    )
    return jail, tmp


MAX_OUTPUT_FILE = 8 << 20


def notebook_parameters(
    assignment, data_name: str | None, sizes: Mapping[str, int] | None, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """Variables the grader sets after the parameters cell: the split sizes under the notebook's
    names, the assignment's per-dataset parameters, then ``overrides`` (CLI / environment)."""
    values: dict[str, Any] = {}
    if sizes:
        values.update({var: int(sizes[key]) for key, var in assignment.notebook.split_names.items() if key in sizes})
    values.update(assignment.notebook.parameters.get(data_name or "", {}))
    values.update(overrides)
    return values


def produced_files(folder: Path, patterns) -> dict[str, str]:
    """Text of the files the notebook wrote that match ``patterns`` (size-limited, no symlinks)."""
    found = {}
    for pattern in patterns:
        for path in sorted(folder.glob(pattern)):
            if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_OUTPUT_FILE:
                found[path.relative_to(folder).as_posix()] = path.read_bytes().decode("utf-8", "replace")
    return found


def _history(value: Any) -> bool:
    """A training history: a one-dimensional sequence of at least two numbers (under a name of a
    loss, an accuracy or a history: a bias vector is one-dimensional too)."""
    if not isinstance(value, (list, tuple, np.ndarray)) or len(value) < 2:
        return False
    try:
        return np.asarray(value, dtype=float).ndim == 1
    except (TypeError, ValueError):
        return False


def history_curves(values: Mapping[str, Any], folder: Path | None = None) -> tuple:
    """Pictures of what a notebook exported: its training histories (dicts of per-step or
    per-epoch sequences) as curves, losses in one plot and accuracies in another, and a network's
    first-layer weights (``W1`` of its parameters) as the grid of one image per hidden unit
    (written to ``folder``). Other weights are not pictured."""
    recorder = Recorder("notebook", folder)
    for name, value in values.items():
        if not isinstance(value, dict):
            continue
        sequences = {str(k): v for k, v in value.items() if re.search(r"loss|acc|hist", str(k), re.I) and _history(v)}
        accuracy = {k: v for k, v in sequences.items() if "acc" in k}
        loss = {k: v for k, v in sequences.items() if "acc" not in k}
        if loss:
            recorder.curves(f"Your notebook: {name} (loss)", loss, ylabel="loss")
        if accuracy:
            recorder.curves(f"Your notebook: {name} (accuracy)", accuracy, xlabel="epoch", ylabel="accuracy")
        if isinstance(value.get("W1"), np.ndarray):
            recorder.weights(f"Your notebook: {name} first-layer weights", value["W1"])
    return tuple(recorder.artifacts)


def locate(submission: Path, expected: str) -> tuple[Path, list[str]]:
    """The expected notebook, or the only notebook of the submission under another name."""
    path = submission / expected
    if path.is_file():
        return path, []
    others = [p for p in submission.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    if len(others) == 1:
        return others[0], [f"expected {expected}; graded {others[0].relative_to(submission)} instead"]
    return path, []


def has_parameters_cell(path: Path) -> bool:
    """Whether the notebook has the cell tagged ``parameters`` our released notebooks carry."""
    try:
        nb, _ = read_notebook(path)
    except NotebookInvalid:
        return True  # nothing will run: keep the dataset as it is
    return any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells)


def course_notebooks(assignment, submission: Path) -> bool:
    """Whether a notebook of ``submission`` is the course's own (no ``parameters`` cell): it then
    runs with the course's sizes on the full-size view, and its deadline is measured that way."""
    for expected in assignment.notebooks:
        path, _ = locate(submission, expected)
        if path.is_file() and not has_parameters_cell(path):
            return True
    return False


def as_course_notebooks(assignment, folder: Path) -> None:
    """Untag the ``parameters`` cells of ``folder``'s notebooks (the reference run as a course
    notebook: its own defaults, the course's split sizes)."""
    for expected in assignment.notebooks:
        path = folder / expected
        if not path.is_file():
            continue
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            tags = cell.get("metadata", {}).get("tags", [])
            if "parameters" in tags:
                tags.remove("parameters")
        nbformat.write(nb, str(path))


def dataset_for(path: Path, dataset: Path | None, split: Mapping[str, int] | None) -> tuple[Path | None, list[str]]:
    """The dataset folder to give the notebook at ``path``, with a note when it is a view: a
    course notebook (no ``parameters`` cell: it takes the course's split sizes itself) gets the
    grading data laid out like the full CIFAR-10 (:mod:`grader.data.fullsize`)."""
    if dataset is None or not split or not path.is_file() or has_parameters_cell(path) or is_full_size(dataset):
        return dataset, []
    view = full_size_view(dataset, split)
    return view, [
        f"{path.name} has no cell tagged 'parameters' (the course's own notebook), so CIFAR-10 "
        f"was given to it in the real layout (5 training batches and a test batch of 10,000 "
        f"images each) repeating the grading data's {split['train']} training, {split['val']} "
        f"validation and {split['test']} test images; its training images 49,000-49,999 are "
        "the grader's validation images."
    ]


def run_assignment_notebooks(
    assignment,
    submission: Path,
    level: str,
    jail_limits: JailLimits,
    limits: NotebookLimits,
    dataset: Path | None,
    parameters: Mapping[str, Any],
    out: Path | None,
    interpreter: Interpreter | None = None,
    split: Mapping[str, int] | None = None,
) -> NotebookOutcome:
    """Run each of the assignment's notebooks on a scratch copy of ``submission`` (checks grade
    the files as submitted, not as the notebook left them)."""
    runs, values, files, problems = [], {}, {}, []
    for expected in assignment.notebooks:
        scratch = scratch_dir("grader-nb-")
        try:
            copy_root = scratch / "submission"
            shutil.copytree(submission, copy_root, symlinks=True)
            path, notes = locate(copy_root, expected)
            bound, layout = dataset_for(path, dataset, split)
            notes = notes + layout
            jail, tmp = kernel_jail(
                level,
                copy_root,
                path.relative_to(copy_root).as_posix(),
                jail_limits,
                bound,
                assignment.data.notebook_path,
                interpreter,
            )
            try:
                run, exported, read_problems = run_notebook(
                    path, copy_root, jail, limits, parameters, assignment.notebook.results, out
                )
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            files.update(produced_files(path.parent, assignment.notebook.outputs))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        pictures = out.parent / "artifacts" if out else None  # out: the submission folder's executed/
        runs.append(dataclasses.replace(run, artifacts=history_curves(exported, pictures)))
        values.update(exported)
        problems += notes + read_problems
    return NotebookOutcome(tuple(runs), values, files, tuple(problems))
