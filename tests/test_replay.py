"""Offline replay never depends on float bits: a recorded step is found by its structure and its
arguments are compared with tolerances, so the same solution passes `grader check` on any CPU,
BLAS kernel or numpy build, and catalogued mistakes still fail offline as they do online."""

from __future__ import annotations

import shutil
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.oracle import replay
from grader.oracle.replay import NotRecorded, RecordingReference, ReplayingReference, Tape, same_answers
from grader.students.check import self_check

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "student_template"
NAMES = ["two_layer_net", "fc_nets", "cs498dl_nn", "softmax"]


class _Reference:
    """A stand-in for :class:`grader.oracle.reference.Reference`: one module of plain functions."""

    def module(self, name):
        def norm(x, param):
            param["mean"] = x.mean(axis=0)
            return (x - x.mean(axis=0)) / 2.0

        def noise(shape):
            return np.random.randn(*shape)

        class Net:
            def __init__(self, scale):
                self.scale = scale

            def loss(self, x, reg=0.0):
                return float((x ** 2).sum() * self.scale + reg)

        return types.SimpleNamespace(norm=norm, noise=noise, Net=Net, name=name)


def record(tape: Tape, check: str, x: np.ndarray) -> tuple:
    ref = RecordingReference(_Reference(), tape, check)
    param = {"mode": "train"}
    out = ref.module("m").norm(x, param)
    ref.seed(3)
    noise = ref.module("m").noise((2, 3))
    loss = ref.module("m").Net(0.5).loss(x, reg=0.1)
    return out, param, noise, loss


def replay_once(tape: Tape, check: str, x: np.ndarray) -> tuple:
    ref = ReplayingReference(tape, check)
    param = {"mode": "train"}
    out = ref.module("m").norm(x, param)
    ref.seed(3)
    noise = ref.module("m").noise((2, 3))
    after = np.random.rand()
    loss = ref.module("m").Net(0.5).loss(x, reg=0.1)
    return out, param, noise, loss, after


def ulps(value, n: int):
    """``value`` with every float moved ``n`` representable steps up."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        for _ in range(n):
            value = np.nextafter(value, np.inf)
        return value
    if isinstance(value, float):
        for _ in range(n):
            value = float(np.nextafter(value, np.inf))
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(ulps(v, n) for v in value)
    if isinstance(value, dict):
        return {k: ulps(v, n) for k, v in value.items()}
    return value


def test_replay_answers_inputs_a_few_ulps_away_and_refuses_other_inputs(tmp_path):
    x = np.random.RandomState(0).randn(4, 3)
    tape = Tape()
    out, param, noise, loss = record(tape, "c", x)
    tape.save(tmp_path)
    loaded = Tape.load(tmp_path)
    np.random.seed(3)
    np.random.randn(2, 3)
    expected_after = np.random.rand()
    for moved in (x, ulps(x, 4), x * (1 + 1e-12)):
        got_out, got_param, got_noise, got_loss, after = replay_once(loaded, "c", moved)
        np.testing.assert_array_equal(got_out, out)
        assert set(got_param) == {"mode", "mean"}  # the in-place change to the dict is replayed
        np.testing.assert_array_equal(got_param["mean"], param["mean"])
        np.testing.assert_array_equal(got_noise, noise)
        assert after == expected_after  # numpy's random state is left as the reference left it
        assert got_loss == loss
    with pytest.raises(NotRecorded, match="no answer for a call"):
        replay_once(loaded, "c", x + 1e-3)
    with pytest.raises(NotRecorded):
        replay_once(loaded, "c", x[:2])  # another shape is another input


def test_each_distinct_input_is_its_own_variant_and_the_closest_wins():
    tape = Tape()
    x = np.linspace(0, 1, 6).reshape(2, 3)
    first = record(tape, "c", x)[0]
    second = record(Tape(), "c", x + 0.5)[0]
    record(tape, "c", x + 0.5)  # the same check again (a mistake's path) with other inputs
    record(tape, "c", ulps(x, 2))  # float noise of the first: no new variant
    assert max(len(v) for v in tape.steps.values()) == 2
    np.testing.assert_array_equal(replay_once(tape, "c", ulps(x, 1))[0], first)
    np.testing.assert_array_equal(replay_once(tape, "c", x + 0.5)[0], second)


def test_tapes_from_two_machines_compare_by_value_not_bits():
    x = np.random.RandomState(1).randn(5, 3)
    a, b, c = Tape(), Tape(), Tape()
    record(a, "c", x)
    record(b, "c", ulps(x, 3))
    record(c, "c", x * 1.001)
    assert same_answers(a, b) == []
    assert same_answers(a, c)


@pytest.mark.parametrize("name", NAMES)
def test_a_solution_passes_offline_with_every_argument_a_few_ulps_away(name, tmp_path, monkeypatch):
    a = assignments.load(name)
    folder = student_files(a, tmp_path / name)
    shutil.copytree(TEMPLATES / name / ".grader", folder / ".grader")
    exact = self_check(folder).result
    assert exact.score == exact.max_score > 0
    real = replay._step_args
    monkeypatch.setattr(replay, "_step_args", lambda op, detail: ulps(real(op, detail), 3))
    moved = self_check(folder).result
    failed = [f"{c.id}: {c.message}" for c in moved.checks if not c.passed]
    assert not failed and moved.score == exact.score


def _matmul_bits(coretype: str) -> str:
    code = ("import numpy as np, hashlib; r = np.random.RandomState(0); "
            "print(hashlib.sha256((r.randn(64, 300) @ r.randn(300, 50)).tobytes()).hexdigest())")
    env = {"PATH": "/usr/bin:/bin", "OPENBLAS_CORETYPE": coretype}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout


def test_grader_check_passes_a_solution_with_another_blas_kernel(tmp_path):
    """Recorded on this machine's default kernel, replayed with the grader's and the worker's
    OpenBLAS forced to one that gives other bits for the same matmul."""
    default = _matmul_bits("")
    other = next((k for k in ("Prescott", "Nehalem", "Sandybridge", "Haswell", "Core2")
                  if _matmul_bits(k) != default), None)
    assert other is not None, "no OpenBLAS kernel changes a float64 matmul's bits here"
    folder = shutil.copytree(TEMPLATES / "fc_nets", tmp_path / "fc_nets")
    reference = assignments.load("fc_nets").root
    for path in (reference / "cs231n").rglob("*.py"):
        shutil.copyfile(path, folder / path.relative_to(reference))
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(tmp_path),
           "OPENBLAS_CORETYPE": other, "GRADER_CACHE_DIR": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-m", "grader", "check"], cwd=folder, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "public checks pass" in run.stdout
