"""The reference notebooks run top to bottom without errors on a small synthetic CIFAR-10.

Each notebook has a cell tagged ``parameters`` (dataset folder, split sizes, training budget);
like papermill, the test inserts an overriding cell right after it. A stub ``google.colab``
stands in for Colab so that the Colab cells of FullyConnectedNets.ipynb run unchanged.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from grader import assignment as assignments
from grader.data import write_synthetic_cifar10

COLAB_STUB = '''
def mount(path, *args, **kwargs):
    print("Mounted at " + path)
'''


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    write_synthetic_cifar10(root, per_batch=120, test=100)
    stubs = root / "stubs" / "google" / "colab"
    stubs.mkdir(parents=True)
    (stubs.parent / "__init__.py").write_text("")
    (stubs / "__init__.py").write_text("")
    (stubs / "drive.py").write_text(COLAB_STUB)
    return root


def run_notebook(name: str, tmp_path: Path, overrides: str, pythonpath: Path) -> nbformat.NotebookNode:
    a = assignments.load(name)
    work = tmp_path / name
    shutil.copytree(a.root, work)
    nb = nbformat.read(str(work / a.notebooks[0]), as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(overrides))
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(work)}})
    env_path = os.pathsep.join([str(pythonpath), os.environ.get("PYTHONPATH", "")])
    client.execute(env={**os.environ, "PYTHONPATH": env_path, "MPLBACKEND": "Agg"})
    return nb


def outputs_text(nb) -> str:
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.get("output_type") == "stream")


@pytest.mark.slow
def test_two_layer_net_notebook(synthetic, tmp_path):
    nb = run_notebook("two_layer_net", tmp_path, (
        f"CIFAR10_DIR = {str(synthetic / 'cifar-10-batches-py')!r}\n"
        "NUM_TRAINING, NUM_VALIDATION, NUM_TEST = 500, 100, 100\nITERATION_BUDGET = 0.1"),
        synthetic / "stubs")
    text = outputs_text(nb)
    assert "Final training loss:  0.0171496" in text
    assert "Test accuracy: " in text


@pytest.mark.slow
def test_fc_nets_notebook_with_colab_cells(synthetic, tmp_path):
    nb = run_notebook("fc_nets", tmp_path, (
        f"CIFAR10_DIR = {str(synthetic / 'cifar-10-batches-py')!r}\n"
        "NUM_TRAINING, NUM_VALIDATION, NUM_TEST = 500, 100, 100\nEPOCH_BUDGET = 0.2"),
        synthetic / "stubs")
    text = outputs_text(nb)
    assert "Mounted at /content/drive" in text
    assert "loss:  8.999602749096233" in text
    assert "next_w error: " in text and "Test set accuracy: " in text


@pytest.mark.slow
def test_cs498dl_notebook_writes_kaggle_csvs(synthetic, tmp_path):
    run_notebook("cs498dl_nn", tmp_path, (
        f"CIFAR10_DIR = {str(synthetic / 'cifar-10-batches-py')!r}\n"
        "TRAIN_IMAGES, VAL_IMAGES, TEST_IMAGES = 500, 100, 100\nEPOCH_BUDGET = 0.1"),
        synthetic / "stubs")
    for opt in ("sgd", "adam"):
        lines = (tmp_path / "cs498dl_nn" / f"nn_3layer_{opt}_submission.csv").read_text().splitlines()
        assert lines[0] == "id,category" and len(lines) == 101
        assert all(0 <= int(line.split(",")[1]) <= 9 for line in lines[1:])
