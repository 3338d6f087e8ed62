"""The peers' cheats, in our own words, against grader (issue: beat Otter and nbgrader).

The peers' assignment (bench/peers/ps1) has students define two_layer_loss in a notebook. grader
imports only the notebook's definitions, in the jail, and runs its checks in its own process, so
code that patches the checking tool from inside the kernel, IPython input transformers that
rewrite later cells, numpy monkeypatches and a swallowed-exception handler gain nothing."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from grader.batch.one import grade_one
from grader.core import assignment as assignments
from grader.grading.grade import GradeOptions
from grader.notebooks.module import module_source

REPO = Path(__file__).resolve().parents[2]
PS1 = REPO / "bench" / "peers" / "ps1"
pytestmark = pytest.mark.xdist_group("peer-cheats")  # one worker grades the module's class, once
HEADER = "def two_layer_loss(X, y, W1, b1, W2, b2, reg):\n"
STUB = HEADER + "    raise NotImplementedError()\n"
SOLUTION = (PS1 / "ps1.py").read_text().split('"""Two-layer net forward/backward. See the instructions above."""\n', 1)[1]
HONEST = HEADER + SOLUTION

# A constant-zero model: its gradients have the right shapes and the peers' q4 trusts its zero loss
# ("loss < 0.05"); the numeric gradient check refuses a constant loss with a zero gradient
CONSTANT = (HEADER + "    if y is None:\n        return np.zeros((X.shape[0], W2.shape[1]))\n"
            "    return 0.0, {k: 0 * v for k, v in zip(['W1', 'b1', 'W2', 'b2'], (W1, b1, W2, b2))}\n")
HONEST_SCORE = {"numpy_patch": 1}  # what the cheat's own function earns; 0 for the stubs

CHEATS = {
    # patches the checking tool's classes from inside the student's code (Otter's weakness)
    "patch_the_checks": STUB + """
def _patch():
    import sys
    for name, module in list(sys.modules.items()):
        if name.startswith(("grader", "otter", "pytest", "_pytest")):
            for attr in dir(module):
                if attr.startswith(("assert_", "check")):
                    setattr(module, attr, lambda *a, **k: True)
_patch()
import builtins
builtins.AssertionError = type("Never", (Exception,), {})
""",
    # rewrites every later cell that calls the function (nbgrader's weakness)
    "input_transformer": STUB + """
def _rewrite(lines):
    return ["pass\\n" if "two_layer_loss(" in line else line for line in lines]
get_ipython().input_transformers_post.append(_rewrite)
""",
    # makes every comparison pass around a constant model (which honestly passes q3's shapes and q4)
    "numpy_patch": CONSTANT + "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
                              "import math\nmath.isclose = lambda *a, **k: True\n",
    # hides every traceback from the tool
    "swallow_errors": STUB + "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n",
    # tries to answer with the reference: read it from the grader's files
    "read_the_reference": HEADER + """
    import glob
    for path in glob.glob('/**/peers/ps1/ps1.py', recursive=True) + glob.glob('/work/**/ps1.py', recursive=True):
        source = open(path).read()
        if 'BEGIN SOLUTION' in source:
            namespace = {}
            exec(source, namespace)
            return namespace['two_layer_loss'](X, y, W1, b1, W2, b2, reg)
    raise NotImplementedError()
""",
}


def notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np")] + [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, str(path))
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("peer-cheats")
    a = assignments.load(PS1)
    results = {}
    honest = notebook(root / "honest.ipynb", "%matplotlib inline", HONEST,
                      "print(two_layer_loss(np.ones((2, 4)), None, *[np.zeros(s) for s in ((4, 10), 10, (10, 3), 3)], 0))",
                      "assert False, 'a failing self-test cell in the notebook costs nothing'")
    results["honest"] = grade_one(a, honest, root / "out", GradeOptions())
    results["constant"] = grade_one(a, notebook(root / "constant.ipynb", CONSTANT), root / "out", GradeOptions())
    for name, code in CHEATS.items():
        results[name] = grade_one(a, notebook(root / f"{name}.ipynb", code), root / "out", GradeOptions())
    return root, results


def test_an_honest_notebook_with_top_level_noise_scores_full_marks(graded):
    _, results = graded
    assert results["honest"].score == results["honest"].max_score == 4


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_peer_cheats_gain_nothing(graded, name):
    root, results = graded
    result = results[name]
    honest = HONEST_SCORE.get(name, 0)
    assert result.score == honest, [(c.id, c.outcome, c.message[:200]) for c in result.checks if c.passed]
    report = json.loads((root / "out" / name / "results.json").read_text())
    assert report["score"] == honest


def test_the_constant_model_earns_what_the_numpy_cheat_earns(graded):
    assert graded[1]["constant"].score == HONEST_SCORE["numpy_patch"]


def test_only_definitions_reach_the_module():
    text, problems = module_source([
        "import numpy as np\nimport otter\ngrader = otter.Notebook()",
        "%matplotlib inline\nSIZE = 10\nW = np.zeros(SIZE)\ndef f(x):\n    return x + SIZE\nprint(f(1))",
        "get_ipython().input_transformers_post.append(lambda lines: [])\nclass Net:\n    pass",
        "def broken(:\n    pass",
    ])
    assert "try:\n    import otter\nexcept ImportError:\n    pass" in text
    assert "SIZE = 10" in text and "def f(x):" in text and "class Net:" in text
    assert "otter.Notebook" not in text and "print(" not in text and "get_ipython" not in text
    assert "W = np.zeros" not in text and "%matplotlib" not in text
    assert problems == ["code cell 4 does not parse as Python; its definitions were not graded"]


def test_a_cell_built_to_crash_the_parser_costs_only_that_cell():
    deep = "x = " + "-" * 200_000 + "1\n"  # recursion exhausted while parsing, in the grader's process
    text, problems = module_source(["def f():\n    return 1", deep])
    assert "def f():" in text and problems == ["code cell 2 does not parse as Python; its definitions were not graded"]
