"""Notebooks run headlessly in the jailed kernel: Colab cells offline, limits, dead kernels, bad
files, plain-data exports, inert saved HTML; and grading through notebooks (accuracy measured by
the grader, never read from what the notebook printed)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "notebooks"))

from fc_nets import COLAB  # noqa: E402  (the Colab cell of seed 003, as the reference notebook has it)

from grader.batch.one import grade_one  # noqa: E402
from grader.core import assignment as assignments  # noqa: E402
from grader.core.assignment import student_files  # noqa: E402
from grader.data.grading import GradingData, grading_data  # noqa: E402
from grader.grading.grade import GradeOptions  # noqa: E402
from grader.jail.sandbox import LEVELS, JailLimits, best_level, unavailable  # noqa: E402
from grader.notebooks.run import NotebookInvalid, NotebookLimits, kernel_jail, read_notebook, run_notebook  # noqa: E402

GET_DATASETS = """# cs231n's download script: fetches CIFAR-10 unless it is already here
if [ ! -d "cifar-10-batches-py" ]; then
  wget http://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz -O cifar-10-python.tar.gz
  tar -xzvf cifar-10-python.tar.gz
  rm cifar-10-python.tar.gz
fi
"""


def write_notebook(path: Path, cells, minor: int = 5) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(c[3:]) if c.startswith("md:") else nbformat.v4.new_code_cell(c)
                for c in cells]
    nb.nbformat_minor = minor
    if minor < 5:
        for cell in nb.cells:
            cell.pop("id", None)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def run_cells(tmp_path, cells, limits=NotebookLimits(30, 90, 2048), requests=None, dataset=None,
              dataset_path="", minor=5, level=None, interpreter=None, memory_mb=2048):
    submission = tmp_path / "submission"
    path = write_notebook(submission / "nb.ipynb", cells, minor)
    jail, tmp = kernel_jail(level or best_level(), submission, "nb.ipynb", JailLimits(memory_mb=memory_mb, cpu_seconds=120),
                            dataset, dataset_path, interpreter)
    try:
        return run_notebook(path, submission, jail, limits, {}, requests or {}, tmp_path / "out" / "executed")
    finally:
        shutil.rmtree(tmp)


def outputs(path: Path) -> list[str]:
    nb = nbformat.read(str(path), as_version=4)
    return ["".join(o.get("text", "")) for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def colab_submission(submission: Path) -> None:
    """A submission with a ``cs231n`` package (``answer.VALUE = 42``) and the course's download script."""
    (submission / "cs231n" / "datasets").mkdir(parents=True)
    (submission / "cs231n" / "datasets" / "get_datasets.sh").write_text(GET_DATASETS)
    (submission / "cs231n" / "__init__.py").write_text("")
    (submission / "cs231n" / "answer.py").write_text("VALUE = 42\n")


@pytest.mark.parametrize("level", [level for level in LEVELS if level not in unavailable()])
def test_colab_cells_run_unchanged_and_offline(tmp_path, level):
    """At every level: the Drive paths reach the submission, and nothing is written to the host's
    /content (a jail has its own; without one the shim maps it to a private folder)."""
    content_before = sorted(os.listdir("/content")) if os.path.isdir("/content") else None
    colab_submission(tmp_path / "submission")
    data = grading_data("synthetic")
    run, _, problems = run_cells(tmp_path, [
        COLAB,
        "import os\nprint('cwd', os.getcwd())\nfrom cs231n.answer import VALUE\nprint('value', VALUE)",
        "print('data_batch_1' in os.listdir('cs231n/datasets/cifar-10-batches-py'))",
        "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:9', timeout=5)",
        "!pip install nothing-at-all 2>&1 | tail -1\nprint('after pip')",
    ], dataset=data.path, dataset_path="cs231n/datasets/cifar-10-batches-py", level=level)
    text = "\n".join(outputs(tmp_path / "out" / "executed" / "nb.ipynb"))
    assert "Mounted at /content/drive" in text
    assert "value 42" in text and "after pip" in text and "True" in text
    assert "cwd /" in text and "drive" not in text.split("cwd ", 1)[1].split("\n")[0]  # %cd landed in the submission
    assert [e.cell for e in run.errors] == [4]  # only the network call failed
    assert "URLError" in run.errors[0].ename or "Error" in run.errors[0].ename
    assert run.status == "errors" and run.executed == 5 and not problems
    assert (sorted(os.listdir("/content")) if os.path.isdir("/content") else None) == content_before


MOUNT = "from google.colab import drive\ndrive.mount('/content/drive', force_remount=True)\n"
RELATIVE = "'cs231n/datasets/cifar-10-batches-py'"
COLAB_LAYOUTS = {  # the set-up cell, and where the notebook then loads CIFAR-10 from
    # 2020: the package folder itself is FOLDERNAME, copied to Colab's home, datasets fetched there
    "cp-package": (MOUNT + "FOLDERNAME = 'cs231n/assignments/assignment1/cs231n/'\n"
                   "assert FOLDERNAME is not None, '[!] Enter the foldername.'\n"
                   "%cd drive/My\\ Drive\n%cp -r $FOLDERNAME ../../\n%cd ../../\n%cd cs231n/datasets/\n"
                   "!bash get_datasets.sh\n%cd ../../", RELATIVE),
    # the assignment folder on sys.path, %cd into its datasets and back to /content; data from Drive
    "sys-path": (MOUNT + "FOLDERNAME = 'cs231n/assignments/assignment1/'\nimport sys\n"
                 "sys.path.append('/content/drive/My Drive/{}'.format(FOLDERNAME))\n"
                 "%cd /content/drive/My\\ Drive/$FOLDERNAME/cs231n/datasets/\n!bash get_datasets.sh\n%cd /content",
                 "'/content/drive/My Drive/' + FOLDERNAME + 'cs231n/datasets/cifar-10-batches-py'"),
    # os.chdir to a literal Drive path, another mount point
    "chdir": ("from google.colab import drive\ndrive.mount('/content/gdrive')\nimport os\n"
              "os.chdir('/content/gdrive/My Drive/Colab Notebooks/cs231n/assignment1')", RELATIVE),
    # a symbolic link from Colab's home to the package, folder names with spaces
    "ln-spaces": (MOUNT + "!ln -s \"/content/drive/MyDrive/CS 231n/Assignment 1/cs231n\" /content/cs231n\n"
                  "%cd /content", RELATIVE),
    # FOLDERNAME with spaces, quoted %cd
    "quoted-spaces": (MOUNT + "FOLDERNAME = 'Stanford CS231n/assignment 1/'\nimport sys\n"
                      "sys.path.append('/content/drive/My Drive/{}'.format(FOLDERNAME))\n"
                      "%cd \"/content/drive/My Drive/$FOLDERNAME\"", RELATIVE),
}


@pytest.mark.parametrize("layout", sorted(COLAB_LAYOUTS))
def test_every_colab_layout_of_the_course_reaches_the_submission(tmp_path, layout):
    """The Colab set-up cells real course years used, unchanged: the package imports and the
    dataset is where the notebook then looks for it."""
    colab_submission(tmp_path / "submission")
    data = grading_data("synthetic")
    setup, data_dir = COLAB_LAYOUTS[layout]
    run, _, problems = run_cells(tmp_path, [
        setup,
        "from cs231n.answer import VALUE\nprint('value', VALUE)",
        f"import os\nprint('data', 'data_batch_1' in os.listdir({data_dir}))",
    ], dataset=data.path, dataset_path="cs231n/datasets/cifar-10-batches-py")
    text = "\n".join(outputs(tmp_path / "out" / "executed" / "nb.ipynb"))
    assert not run.errors and run.executed == 3 and not problems, (run.errors, text[-2000:])
    assert "value 42" in text and "data True" in text, text[-2000:]


COURSE_LOADER = """import pickle, numpy as np, os
def load_CIFAR_batch(filename):
    with open(filename, 'rb') as f:
        datadict = pickle.load(f, encoding='latin1')
        X = datadict['data'].reshape(10000, 3, 32, 32).transpose(0, 2, 3, 1).astype('float')
        return X, np.array(datadict['labels'])
def load_CIFAR10(ROOT):
    parts = [load_CIFAR_batch(os.path.join(ROOT, 'data_batch_%d' % b)) for b in range(1, 6)]
    Xte, Yte = load_CIFAR_batch(os.path.join(ROOT, 'test_batch'))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), Xte, Yte
X_train, y_train, X_test, y_test = load_CIFAR10('cs231n/datasets/cifar-10-batches-py')
mask = list(range(49000, 49000 + 1000))
X_val = X_train[mask]
X_train, X_test = X_train[:49000], X_test[:1000]
print('shapes', X_train.shape, X_val.shape, X_test.shape)
"""


def test_a_course_notebook_gets_cifar10_in_its_real_layout(tmp_path):
    """A notebook without the grader's parameters cell (the course's own, with its loader that
    reshapes every batch to 10,000 rows) runs on the synthetic data laid out as the real one;
    ours, with the cell, keeps the grading data as it is."""
    from grader.data.grading import SYNTHETIC_SPLIT
    from grader.notebooks.run import dataset_for
    data = grading_data("synthetic")
    course = write_notebook(tmp_path / "course" / "nb.ipynb", [COURSE_LOADER])
    bound, notes = dataset_for(course, data.path, SYNTHETIC_SPLIT)
    assert bound != data.path and "no cell tagged 'parameters'" in notes[0] and "49,000-49,999" in notes[0]
    run, _, problems = run_cells(tmp_path, [COURSE_LOADER], dataset=bound, memory_mb=6144,
                                 dataset_path="cs231n/datasets/cifar-10-batches-py")
    text = "\n".join(outputs(tmp_path / "out" / "executed" / "nb.ipynb"))
    assert not run.errors and "shapes (49000, 32, 32, 3) (1000, 32, 32, 3) (1000, 32, 32, 3)" in text, text
    ours = write_notebook(tmp_path / "ours" / "nb.ipynb", ["NUM_TRAINING = 49000"])
    nb = nbformat.read(str(ours), as_version=4)
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, str(ours))
    assert dataset_for(ours, data.path, SYNTHETIC_SPLIT) == (data.path, [])


def test_exports_are_plain_data_and_objects_are_refused(tmp_path):
    run, values, _ = run_cells(tmp_path, ["import numpy as np\nw = {'W1': np.arange(6.).reshape(2, 3)}"],
                               requests={"w": "w", "n": "len(w)", "obj": "object()", "gone": "undefined_name"})
    assert values["w"]["W1"].shape == (2, 3) and values["n"] == 1
    assert run.exported == ("w", "n")
    errors = " | ".join(run.export_errors)
    assert "object(): " in errors and "cannot send a object" in errors
    assert "undefined_name: NameError" in errors


def test_cell_limit_interrupts_and_the_notebook_goes_on(tmp_path):
    run, _, _ = run_cells(tmp_path, ["x = 1", "while True:\n    pass", "y = 2\nprint('y is', y)"],
                          limits=NotebookLimits(3, 60, 2048))
    assert run.status == "errors" and run.executed == 3
    assert [(e.cell, e.timeout) for e in run.errors] == [(2, True)]
    assert run.duration < 30
    assert "y is 2" in "\n".join(outputs(tmp_path / "out" / "executed" / "nb.ipynb"))


def test_deadline_stops_the_notebook(tmp_path):
    run, _, _ = run_cells(tmp_path, ["import time\ntime.sleep(1000)", "print('never')"],
                          limits=NotebookLimits(60, 4, 2048))
    assert run.status == "deadline" and "in cell 1; later cells were not run" in run.message
    assert run.duration < 30


KERNEL_ORPHAN = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from test_notebooks import run_cells
from grader.notebooks.run import NotebookLimits
print("started", flush=True)
run_cells(Path(sys.argv[1]), ["while True:\\n    sum(range(1000))"], limits=NotebookLimits(300, 300, 2048),
          level=sys.argv[2])
"""


@pytest.mark.parametrize("level", [level for level in LEVELS if level not in unavailable()])
def test_the_kernel_dies_with_a_killed_grader(tmp_path, level):
    """A grader killed with SIGKILL mid-notebook leaves no kernel running, at every level."""
    import subprocess
    import time

    import psutil

    script = tmp_path / "grader_process.py"
    script.write_text(KERNEL_ORPHAN)
    grader = subprocess.Popen([sys.executable, str(script), str(tmp_path), level, str(Path(__file__).parent)],
                              stdout=subprocess.PIPE, text=True)
    assert grader.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 60
    kernel = []
    while time.monotonic() < deadline and not kernel:
        time.sleep(0.5)
        kernel = [p for p in psutil.Process(grader.pid).children(recursive=True)
                  if "ipykernel" in " ".join(p.cmdline())]
    assert kernel, "the kernel never started"
    time.sleep(2)  # the cell is running
    everything = psutil.Process(grader.pid).children(recursive=True)
    grader.kill()
    grader.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in everything):
        time.sleep(0.2)
    assert not [p.cmdline() for p in everything if _alive(p)], "kernel processes outlived the grader"


def _alive(process) -> bool:
    try:
        return process.is_running() and process.status() != "zombie"
    except Exception:  # psutil.NoSuchProcess
        return False


def test_a_kernel_that_dies_ends_the_run_with_its_cell(tmp_path):
    run, values, _ = run_cells(tmp_path, ["x = 1", "import os\nos._exit(3)", "print('never')"],
                               requests={"x": "x"})
    assert run.status == "kernel-died" and "cell 2" in run.message
    assert values == {} and run.executed == 1


def test_output_is_capped_per_cell(tmp_path):
    run, _, _ = run_cells(tmp_path, ["for _ in range(300):\n    print('x' * 10000)", "print('next')"])
    saved = tmp_path / "out" / "executed" / "nb.ipynb"
    text = "\n".join(outputs(saved))
    assert "output beyond 1 MB in this cell was dropped" in text and "next" in text
    assert saved.stat().st_size < 1_500_000 and run.status == "completed"


@pytest.mark.parametrize("minor", range(6))
def test_every_nbformat_4_minor_version_reads(tmp_path, minor):
    path = write_notebook(tmp_path / "nb.ipynb", ["print(1)", "md:**Inline Question**\n\nYour Answer: yes"], minor)
    nb, problems = read_notebook(path)
    assert nb.nbformat == 4 and len(nb.cells) == 2 and problems == []


@pytest.mark.parametrize("minor", [0, 5])
def test_old_and_new_minor_versions_execute(tmp_path, minor):
    run, _, _ = run_cells(tmp_path, ["print('hello')", "md:Question?\n\nYour Answer: forty-two"], minor=minor)
    assert run.status == "completed" and run.answers[0].answer == "forty-two"
    assert nbformat.read(str(tmp_path / "out" / "executed" / "nb.ipynb"), as_version=4).nbformat_minor == minor


def test_unreadable_notebooks_say_why(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [', encoding="utf-8")
    with pytest.raises(NotebookInvalid, match=r"not valid JSON \(line 1, column 12"):
        read_notebook(bad)
    bad.write_text('{"cells": []}', encoding="utf-8")
    with pytest.raises(NotebookInvalid, match="not a Jupyter notebook"):
        read_notebook(bad)
    old = tmp_path / "old.ipynb"
    old.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [
        {"cells": [{"cell_type": "code", "input": "print(1)", "language": "python", "outputs": []}]}]}))
    nb, problems = read_notebook(old)
    assert nb.cells[0].source == "print(1)" and "nbformat 3" in problems[0]
    jail, tmp = kernel_jail(best_level(), tmp_path, "missing.ipynb", JailLimits(), None, "")
    shutil.rmtree(tmp)  # neither notebook starts a kernel
    run, _, _ = run_notebook(tmp_path / "missing.ipynb", tmp_path, jail, NotebookLimits(5, 5, 512), {}, {}, None)
    assert run.status == "missing"
    run, _, _ = run_notebook(bad, tmp_path, jail, NotebookLimits(5, 5, 512), {}, {}, None)
    assert run.status == "invalid" and "not a Jupyter notebook" in run.message


def test_saved_html_keeps_student_html_and_javascript_inert(tmp_path):
    run_cells(tmp_path, [
        "from IPython.display import HTML, Javascript, display\n"
        "display(HTML('<script>document.title=\"pwned-1\"</script><b>bold</b>'))\n"
        "display(Javascript('document.title=\"pwned-2\"'))",
        "md:<script>document.title='pwned-3'</script> <img src=x onerror=\"document.title='pwned-4'\">",
    ])
    html = (tmp_path / "out" / "executed" / "nb.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S | re.I)
    assert not any("pwned" in script for script in scripts)
    assert not re.search(r"<[^>]*\bonerror\s*=", html, flags=re.I)
    assert "Content-Security-Policy" in html and "script-src" not in html.split("Content-Security-Policy")[1][:20]
    nb = nbformat.read(str(tmp_path / "out" / "executed" / "nb.ipynb"), as_version=4)
    kinds = {k for o in nb.cells[0].outputs for k in o.get("data", {})}
    assert kinds == {"text/plain"}  # the HTML and JavaScript outputs were dropped


# -- grading through notebooks -------------------------------------------------------------------

def synthetic() -> GradingData:
    return grading_data("synthetic")


def reference_copy(name: str, dest: Path, edit=None) -> Path:
    a = assignments.load(name)
    folder = student_files(a, dest)
    if edit is not None:
        path = folder / a.notebooks[0]
        nb = nbformat.read(str(path), as_version=4)
        edit(nb)
        nbformat.write(nb, str(path))
    return folder


def by_check(result):
    return {c.id.split("::")[-1]: c for c in result.checks}


def test_printed_accuracy_earns_nothing(tmp_path):
    def fake(nb):
        tune = next(c for c in nb.cells if "solution" in c.metadata.get("tags", []))
        tune.source = ("best_net = TwoLayerNet(input_size, 50, num_classes)\nbest_stats = stats\n"
                       "print('Validation accuracy: 0.99')")
    a = assignments.load("two_layer_net")
    folder = reference_copy("two_layer_net", tmp_path / "faker", fake)
    result = grade_one(a, folder, tmp_path / "out", GradeOptions(data=synthetic(), select="test_notebook"))
    checks = by_check(result)
    assert checks["test_best_net_accuracy"].points == 0 and "accuracy 0." in checks["test_best_net_accuracy"].message
    assert checks["test_notebook_runs"].passed and checks["test_training_on_cifar"].passed
    report = (tmp_path / "out" / "faker" / "report.html").read_text(encoding="utf-8")
    assert "Executed notebook" in report and "two_layer_net.html" in report and "Written answers" in report


def test_infinite_loop_loses_only_what_depends_on_it_within_the_deadline(tmp_path):
    def hang(nb):
        index = next(i for i, c in enumerate(nb.cells) if "solution" in c.metadata.get("tags", []))
        nb.cells.insert(index, nbformat.v4.new_code_cell("while True:\n    pass"))
    a = assignments.load("two_layer_net")
    a = dataclasses.replace(a, limits=dataclasses.replace(a.limits, notebook_factor=1.5, notebook_floor_seconds=5))
    folder = reference_copy("two_layer_net", tmp_path / "looper", hang)
    result = grade_one(a, folder, tmp_path / "out", GradeOptions(data=synthetic()))
    checks = by_check(result)
    lost = sorted(name for name, c in checks.items() if not c.passed)
    assert lost == ["test_best_net_accuracy", "test_notebook_runs"]
    run = result.notebooks[0]
    assert run.status == "deadline" or any(e.timeout for e in run.errors)
    assert "best_net" in checks["test_best_net_accuracy"].message
    assert result.execution_time < 200


def test_a_course_notebook_runs_with_the_course_sizes_within_a_deadline_measured_that_way(tmp_path):
    """The solved notebook without its parameters cell, as the course hands it out: it loads
    49,000 training images from the full-size view, its deadline comes from the reference run
    the same way (not from the small parameterised run), and it earns full marks. (An assignment
    copy whose notebook trains a twentieth of the iterations keeps the test short.)"""
    def brief(nb):  # the course's notebook, training a twentieth of its iterations: the sizes stay the course's
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        cell.source = cell.source.replace("ITERATION_BUDGET = 1.0", "ITERATION_BUDGET = 0.05")
        assert "0.05" in cell.source

    def untag(nb):
        for cell in nb.cells:
            cell.metadata["tags"] = [t for t in cell.metadata.get("tags", []) if t != "parameters"]
    root = shutil.copytree(assignments.load("two_layer_net").root, tmp_path / "assignment")
    notebook = root / "two_layer_net.ipynb"
    nb = nbformat.read(str(notebook), as_version=4)
    brief(nb)
    nbformat.write(nb, str(notebook))
    a = assignments.load(root)
    folder = student_files(a, tmp_path / "course")
    nb = nbformat.read(str(folder / a.notebooks[0]), as_version=4)
    untag(nb)
    nbformat.write(nb, str(folder / a.notebooks[0]))
    result = grade_one(a, folder, tmp_path / "out", GradeOptions(data=synthetic(), select="test_notebook"))
    assert result.notebooks[0].status == "completed", result.notebooks[0].summary()
    assert result.score == result.max_score > 0, [(c.id, c.message) for c in result.checks if not c.passed]
    assert any("in the real layout" in p for p in result.problems)


# What each reference notebook prints that the seeds print too (toy numbers, layer checks).
SEED_OUTPUTS = {
    "two_layer_net": ["Final training loss:  0.0171496", "Difference between your loss and correct loss:"],
    "fc_nets": ["Mounted at /content/drive", "loss:  8.999602749096233", "next_w error: "],
    "cs498dl_nn": [],
}


# The training budget each notebook's parameters cell is given on the real subset: the smallest
# that clears the subset's thresholds (0.38) with room (validation / test accuracy reached:
# two_layer_net 0.43 / 0.41, fc_nets 0.42 / 0.42, cs498dl_nn 0.42 / 0.41). At the full budget the
# three took 160 s and trained 100+ epochs of the subset's 4,670 images.
SUBSET_BUDGETS = {"two_layer_net": ("ITERATION_BUDGET", 0.3), "fc_nets": ("EPOCH_BUDGET", 0.5),
                  "cs498dl_nn": ("EPOCH_BUDGET", 0.3)}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["two_layer_net", "fc_nets", "cs498dl_nn"])
def test_reference_notebooks_score_full_marks_on_the_real_subset(name, cifar_subset, tmp_path):
    a = assignments.load(name)
    data = GradingData("cifar10-subset", cifar_subset)
    result = grade_one(a, student_files(a, tmp_path / "ref"), tmp_path / "out",
                       GradeOptions(data=data, select="test_notebook", parameters=(SUBSET_BUDGETS[name],)))
    assert result.notebooks[0].status == "completed", result.notebooks[0].summary()
    assert result.score == result.max_score > 0, [(c.id, c.message) for c in result.checks if not c.passed]
    assert (tmp_path / "out" / "ref" / "artifacts").is_dir()  # the grader's run recorded its weights
    executed = tmp_path / "out" / "ref" / "executed" / Path(a.notebooks[0]).name
    text = "\n".join(outputs(executed))
    assert all(line in text for line in SEED_OUTPUTS[name]), text[:2000]
    assert bool(result.notebooks[0].answers) == (name != "cs498dl_nn")  # cs231n's inline answers


@pytest.mark.slow
def test_softmax_trains_like_the_reference_on_the_real_subset(cifar_subset, tmp_path):
    a = assignments.load("softmax")
    result = grade_one(a, student_files(a, tmp_path / "ref"), tmp_path / "out",
                       GradeOptions(data=GradingData("cifar10-subset", cifar_subset), select="test_cifar"))
    assert [c.id.split("::")[-1] for c in result.checks] == ["test_training_on_cifar"]
    assert result.score == result.max_score == 2, result.checks[0].message


def test_kaggle_csv_errors_are_precise(tmp_path):
    def bad_csv(nb):
        cell = next(c for c in nb.cells if "output_submission_csv(" in c.source and "sgd" in c.source)
        cell.source = ("import numpy as np\npredictions = np.array(best_3layer_sgd_prediction)\npredictions[3] = 11\n"
                       "output_submission_csv('./nn_3layer_sgd_submission.csv', predictions)")
    a = assignments.load("cs498dl_nn")
    folder = reference_copy("cs498dl_nn", tmp_path / "kaggler", bad_csv)
    result = grade_one(a, folder, tmp_path / "out", GradeOptions(data=synthetic(), select="test_kaggle"))
    check = by_check(result)["test_kaggle_csvs"]
    assert check.points == 0 and "nn_3layer_sgd_submission.csv line 5: category 11 is not a class 0-9" in check.message


def test_grading_the_reference_is_its_own_measurement(tmp_path, monkeypatch):
    """On a cold cache the reference notebook runs once, not twice (once to time the reference,
    once to grade it): its graded run is the measurement, and later gradings reuse it."""
    import grader.grading.grade
    from grader.data.grading import split_sizes
    from grader.grading.limits import cached_reference_seconds
    from grader.notebooks.run import notebook_parameters

    options = GradeOptions(data=synthetic(), select="test_notebook", parameters=(("MEASURED_ONCE", 1),))  # a cold key
    runs = []
    real = grader.grading.grade.run_assignment_notebooks
    monkeypatch.setattr(grader.grading.grade, "run_assignment_notebooks", lambda *a, **k: runs.append(1) or real(*a, **k))
    a = assignments.load("cs498dl_nn")
    result = grade_one(a, student_files(a, tmp_path / "ref"), tmp_path / "out", options)
    assert result.score == result.max_score > 0 and len(runs) == 1
    parameters = notebook_parameters(a, "synthetic", split_sizes(a, "synthetic"), {"MEASURED_ONCE": 1})
    assert cached_reference_seconds(a, synthetic().path, {**parameters, "(course notebook)": False}) > 0
    again = grade_one(a, student_files(a, tmp_path / "ref2"), tmp_path / "out2", options)
    assert again.score == result.score and len(runs) == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="the unprivileged user is only used when the grader runs as root")
def test_without_a_jail_root_runs_the_kernel_as_an_unprivileged_user(tmp_path, public_python):
    """The notebook writes in its own folder and nowhere only root may (Gradescope without namespaces)."""
    secret = tmp_path / "bundle"
    secret.mkdir(mode=0o700)
    run, _, _ = run_cells(tmp_path, ["import os\nprint('uid', os.getuid())\nopen('mine.txt', 'w').write('x')",
                                     f"open({str(secret / 'forged.json')!r}, 'w')"],
                          level="rlimits", interpreter=public_python)
    text = "\n".join(outputs(tmp_path / "out" / "executed" / "nb.ipynb"))
    assert "uid 0" not in text and "uid " in text, text
    assert [e.ename for e in run.errors] == ["PermissionError"] and not (secret / "forged.json").exists()
