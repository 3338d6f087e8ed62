"""Submissions shaped like real ones from past course years get what a careful TA gives them:
conventions the assignment leaves open, shapes the course accepts, internal names the notebook
never uses, the course's helper modules, Python 2 leftovers. Each is written here as an edit of
the reference (what real students wrote differently), graded on the module checks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.grading.discover import prepare
from grader.grading.grade import GradeOptions, grade_submission
from grader.grading.mistakes import Edit, apply_edits

MODULES = GradeOptions(notebooks=False, select="not test_notebook and not test_cifar")
DL = "models/neural_net.py"
LAYERS = "cs231n/layers.py"
GRAD_LINE = 'self.gradients["W" + str(i)] = self.outputs["A" + str(i - 1)].T.dot(dz) + 2 * reg * W'


def graded(name: str, tmp_path: Path, *edits: Edit, keep: tuple[str, ...] | None = None):
    """Grade the reference with ``edits`` made; ``keep``: hand in only those files."""
    a = assignments.load(name)
    folder = student_files(a, tmp_path / "full")
    apply_edits(folder, tuple(edits))
    if keep is not None:
        handed = tmp_path / "handed-in"
        for rel in keep:
            (handed / rel).parent.mkdir(parents=True, exist_ok=True)
            (handed / rel).write_bytes((folder / rel).read_bytes())
        folder = handed
    return grade_submission(a, prepare(folder, a, tmp_path / "work"), MODULES)


def failed(result) -> list[str]:
    return sorted(c.id.split("::")[-1] for c in result.checks if not c.passed)


def notes(result) -> str:
    return "\n".join(n for c in result.checks for n in c.notes)


def l2_edits(loss_term: str, grad_term: str) -> tuple[Edit, ...]:
    return (Edit(DL, "loss += reg * np.sum(W * W)", f"loss += {loss_term}"),
            Edit(DL, GRAD_LINE, GRAD_LINE.replace("2 * reg * W", grad_term)))


@pytest.mark.parametrize("convention,loss_term,grad_term", [
    ("0.5*reg*sum(W**2)", "0.5 * reg * np.sum(W * W)", "reg * W"),
    ("reg*sum(W**2)/N", "reg * np.sum(W * W) / N", "2 * reg * W / N"),
    ("0.5*reg*sum(W**2)/N", "0.5 * reg * np.sum(W * W) / N", "reg * W / N"),
])
def test_cs498dl_any_self_consistent_l2_convention_passes_and_is_named(convention, loss_term, grad_term, tmp_path):
    result = graded("cs498dl_nn", tmp_path, *l2_edits(loss_term, grad_term))
    assert result.score == result.max_score, [(c.id, c.message) for c in result.checks if not c.passed]
    assert f"L2 regularization convention detected: {convention}" in notes(result)


def test_cs498dl_a_loss_and_gradient_that_disagree_still_fail(tmp_path):
    result = graded("cs498dl_nn", tmp_path, *l2_edits("0.5 * reg * np.sum(W * W)", "2 * reg * W"))
    assert failed(result) == ["test_backward_other_shapes", "test_backward_three_layers",
                              "test_backward_two_layers", "test_numeric_gradient"]
    assert "does not match the reference" in next(c.message for c in result.checks if not c.passed)


def test_cs498dl_a_fixed_convention_fails_the_other_one(tmp_path):
    """Where the assignment fixes the convention (as the two-layer net's notebook does), the other
    one keeps failing; here the CS498DL assignment is made to fix reg*sum(W**2)."""
    a = assignments.load("cs498dl_nn")
    folder = student_files(a, tmp_path / "half")
    apply_edits(folder, l2_edits("0.5 * reg * np.sum(W * W)", "reg * W"))
    fixed = dataclasses.replace(a, regularization="reg*sum(W**2)")
    result = grade_submission(fixed, prepare(folder, fixed, tmp_path / "work"), MODULES)
    assert "test_backward_two_layers" in failed(result) and "convention detected" not in notes(result)


def test_cs498dl_own_gradient_keys_row_biases_and_update_order(tmp_path):
    """``self.gradients["d_W1"]``, biases of shape (1, H), and an ``update`` whose parameters come
    in the student's own order and names: the notebook never sees any of it."""
    result = graded(
        "cs498dl_nn", tmp_path,
        Edit(DL, 'self.params["b" + str(i)] = np.zeros(sizes[i])', 'self.params["b" + str(i)] = np.zeros((1, sizes[i]))'),
        Edit(DL, 'self.gradients["W" + str(i)] =', 'self.gradients["d_W" + str(i)] ='),
        Edit(DL, 'self.gradients["b" + str(i)] = np.sum(dz, axis=0)',
             'self.gradients["d_b" + str(i)] = np.sum(dz, axis=0, keepdims=True)'),
        Edit(DL, '''        lr: float = 0.001,
        b1: float = 0.9,
        b2: float = 0.999,
        eps: float = 1e-8,
        opt: str = "SGD",
        t: int = 1,
    ):''', '''        learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, optimizer="SGD", t=1):
        lr, b1, b2, eps, opt = learning_rate, beta1, beta2, epsilon, optimizer'''),
        Edit(DL, '''            for name, grad in self.gradients.items():
                self.params[name] -= lr * grad
        elif''', '''            for name, grad in self.gradients.items():
                self.params[name[2:]] -= lr * grad
        elif'''),
        Edit(DL, '''                self.params[name] -= lr * m_hat / (np.sqrt(v_hat) + eps)''',
             '''                self.params[name[2:]] -= lr * m_hat / (np.sqrt(v_hat) + eps)'''),
    )
    assert result.score == result.max_score, [(c.id, c.message) for c in result.checks if not c.passed]
    assert "accepted for" in notes(result)


def test_cs498dl_gradients_without_a_gradients_attribute_come_from_an_sgd_step(tmp_path):
    result = graded("cs498dl_nn", tmp_path,
                    Edit(DL, "        self.gradients = {}\n", "        self.grads = {}\n"),
                    Edit(DL, GRAD_LINE, GRAD_LINE.replace("self.gradients", "self.grads")),
                    Edit(DL, 'self.gradients["b" + str(i)]', 'self.grads["b" + str(i)]'),
                    Edit(DL, "            for name, grad in self.gradients.items():\n                self.params[name] -= lr * grad",
                         "            for name, grad in self.grads.items():\n                self.params[name] -= lr * grad"),
                    Edit(DL, "            for name, grad in self.gradients.items():\n                m =",
                         "            for name, grad in self.grads.items():\n                m ="))
    assert result.score == result.max_score, [(c.id, c.message) for c in result.checks if not c.passed]


KEEPDIMS = (Edit(LAYERS, "    dbeta = np.sum(dout, axis=0)\n    dgamma = np.sum(dout * x_hat, axis=0)\n    dx_hat = dout * gamma\n    # x_hat",
                 "    dbeta = np.sum(dout, axis=0, keepdims=True)\n    dgamma = np.sum(dout * x_hat, axis=0, keepdims=True)\n"
                 "    dx_hat = dout * gamma\n    # x_hat"),
            Edit(LAYERS, "        mean = x.mean(axis=0)\n        var = x.var(axis=0)\n",
                 "        mean = x.mean(axis=0, keepdims=True)\n        var = x.var(axis=0, keepdims=True)\n"))


def test_fc_nets_keepdims_rows_are_accepted_with_a_note(tmp_path):
    """(1, D) for dgamma, dbeta and the running mean and variance: the course's rel_error and
    Solver accept them, so do we, and the report says so."""
    result = graded("fc_nets", tmp_path, *KEEPDIMS)
    assert result.score == result.max_score, [(c.id, c.message) for c in result.checks if not c.passed]
    text = notes(result)
    assert "batchnorm_backward: dgamma: shape (1, 5) accepted for (5,)" in text
    assert "bn_param['running_mean'] after 5 batches: shape (1, 3) accepted for (3,)" in text


def test_fc_nets_a_column_where_a_vector_belongs_still_fails(tmp_path):
    result = graded("fc_nets", tmp_path, Edit(
        LAYERS, "    dbeta = np.sum(dout, axis=0)\n    dgamma = np.sum(dout * x_hat, axis=0)\n    dx_hat = dout * gamma\n    # x_hat",
        "    dbeta = np.sum(dout, axis=0)[:, None]\n    dgamma = np.sum(dout * x_hat, axis=0)\n    dx_hat = dout * gamma\n    # x_hat"))
    bad = [c for c in result.checks if c.id.endswith("test_batchnorm_backward")]
    assert bad and not bad[0].passed and "expected shape" in bad[0].message


def test_fc_nets_only_the_edited_files_with_a_course_layer_utils(tmp_path):
    """A hand-in of the files students edit, whose layer_utils imports the course's conv helpers
    by absolute name (as every real one does) and defines the conv sandwiches: the grader
    provides fast_layers and im2col and the submission gets full marks."""
    a = assignments.load("fc_nets")
    utils = "cs231n/layer_utils.py"
    course_header = ("from cs231n.layers import *\nfrom cs231n.fast_layers import *\n\n\n"
                     "def conv_relu_forward(x, w, b, conv_param):\n"
                     "    a, conv_cache = conv_forward_fast(x, w, b, conv_param)\n"
                     "    out, relu_cache = relu_forward(a)\n"
                     "    return out, (conv_cache, relu_cache)\n")
    original = (a.root / utils).read_text()
    header = original[:original.index("\n\n")]
    result = graded("fc_nets", tmp_path, Edit(utils, header + "\n", course_header), keep=a.submit)
    assert result.score == result.max_score, [(c.id, c.message) for c in result.checks if not c.passed]
    assert result.problems == ()


def test_two_layer_net_with_python_2_leftovers(tmp_path):
    """``from past.builtins import xrange``, ``from __future__`` imports and ``xrange`` loops, as
    cs231n's 2016-2017 files have them (the course's environment ships ``future``)."""
    path = "cs231n/classifiers/neural_net.py"
    text = (assignments.load("two_layer_net").root / path).read_text()
    first = text.index("import numpy as np")
    edits = [Edit(path, "import numpy as np", "from __future__ import print_function\n"
                  "from builtins import range\nfrom past.builtins import xrange\nimport numpy as np")]
    if " range(num_iters)" in text[first:]:
        edits.append(Edit(path, " range(num_iters)", " xrange(num_iters)"))
    result = graded("two_layer_net", tmp_path, *edits)
    assert result.score == result.max_score, [(c.id, c.message) for c in result.checks if not c.passed]


FC = "cs231n/classifiers/fc_net.py"
CS231N_2017 = (  # no layer norm, dropout's p the drop probability, use_batchnorm=
    Edit(FC, "                 dropout=1, normalization=None, reg=0.0,", "                 dropout=0, use_batchnorm=False, reg=0.0,"),
    Edit(FC, "        self.normalization = normalization\n        self.use_dropout = dropout != 1",
         "        self.normalization = 'batchnorm' if use_batchnorm else None\n        self.use_dropout = dropout > 0"),
    Edit(LAYERS, "mask = (np.random.rand(*x.shape) < p) / p", "mask = (np.random.rand(*x.shape) >= p) / (1 - p)"),
    Edit(LAYERS, "def layernorm_forward(", "def _not_in_2017_forward("),
    Edit(LAYERS, "def layernorm_backward(", "def _not_in_2017_backward("),
)


def test_fc_nets_a_2017_solution_loses_exactly_what_the_later_course_changed(tmp_path):
    """A correct cs231n 2017 solution, graded against the later assignment (seeds 002/003): the
    parts the course changed fail (layer norm, dropout's p, normalization=), the rest is credited."""
    result = graded("fc_nets", tmp_path, *CS231N_2017)
    assert failed(result) == ["test_dropout_forward", "test_fc_net_batchnorm", "test_fc_net_dropout",
                              "test_fc_net_layernorm", "test_fc_net_other_shapes", "test_fc_net_params",
                              "test_layernorm_backward", "test_layernorm_forward"]
    assert "(keep probability)" in next(c.message for c in result.checks if c.id.endswith("test_dropout_forward"))
