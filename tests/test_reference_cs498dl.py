"""Seed 004 behaviour reproduced by reference/cs498dl_nn (UIUC CS498DL assignment 2)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from grader.core.numeric import numerical_gradient, rel_error


@pytest.fixture(scope="module")
def NeuralNetwork(dl):
    return dl.module("models.neural_net").NeuralNetwork


def _toy(NeuralNetwork, num_layers, seed=0):
    np.random.seed(seed)
    net = NeuralNetwork(6, [8] * (num_layers - 1), 4, num_layers)
    X = np.random.randn(7, 6)
    y = np.random.randint(4, size=7)
    return net, X, y


def _loss(net, X, y, reg):
    net.forward(X)
    return net.backward(y, reg)


def test_initialization_scale(NeuralNetwork):
    np.random.seed(0)
    net = NeuralNetwork(3072, [120, 120], 10, 3)
    assert net.params["W1"].shape == (3072, 120) and net.params["W3"].shape == (120, 10)
    assert abs(net.params["W1"].std() - 1 / np.sqrt(3072)) < 1e-3
    assert not any(net.params[f"b{i}"].any() for i in (1, 2, 3))


@pytest.mark.parametrize("num_layers", [2, 3])
def test_forward_scores_shape_and_argmax(NeuralNetwork, num_layers):
    net, X, _ = _toy(NeuralNetwork, num_layers)
    scores = net.forward(X)
    assert scores.shape == (7, 4)
    hidden = X
    for i in range(1, num_layers):
        hidden = np.maximum(0, hidden @ net.params[f"W{i}"] + net.params[f"b{i}"])
    expected = hidden @ net.params[f"W{num_layers}"] + net.params[f"b{num_layers}"]
    assert rel_error(scores, expected) < 1e-12


@pytest.mark.parametrize("num_layers", [2, 3])
@pytest.mark.parametrize("reg", [0.0, 0.05])
def test_backward_gradients_match_numeric(NeuralNetwork, num_layers, reg):
    net, X, y = _toy(NeuralNetwork, num_layers)
    _loss(net, X, y, reg)
    grads = {k: v.copy() for k, v in net.gradients.items()}
    assert set(grads) == set(net.params)
    for name, grad in grads.items():
        numeric = numerical_gradient(lambda _: _loss(net, X, y, reg), net.params[name])
        assert rel_error(numeric, grad) < 1e-7, name


def test_backward_loss_convention(NeuralNetwork):
    net, X, y = _toy(NeuralNetwork, 3)
    data_loss = _loss(net, X, y, 0.0)
    assert abs(data_loss - np.log(4)) < 1.0
    reg_term = sum(np.sum(net.params[f"W{i}"] ** 2) for i in (1, 2, 3))
    assert abs(_loss(net, X, y, 0.1) - (data_loss + 0.1 * reg_term)) < 1e-12


def test_sgd_update(NeuralNetwork):
    net, X, y = _toy(NeuralNetwork, 3)
    _loss(net, X, y, 0.01)
    before = {k: v.copy() for k, v in net.params.items()}
    net.update(0.05, 0.5)  # seed 004 calls update(learning_rate, 0.5) for SGD
    for name, value in net.params.items():
        assert rel_error(value, before[name] - 0.05 * net.gradients[name]) < 1e-12


def test_adam_updates_with_bias_correction(NeuralNetwork):
    net, X, y = _toy(NeuralNetwork, 2)
    b1, b2, eps, lr = 0.7, 0.79, 1e-8, 3e-4
    m = {k: np.zeros_like(v) for k, v in net.params.items()}
    v = {k: np.zeros_like(w) for k, w in net.params.items()}
    for step, t in enumerate([1, 1, 2]):  # seed 004 passes t = epoch + 1
        _loss(net, X, y, 1e-5)
        expected = {}
        for name, g in net.gradients.items():
            m[name] = b1 * m[name] + (1 - b1) * g
            v[name] = b2 * v[name] + (1 - b2) * g * g
            m_hat, v_hat = m[name] / (1 - b1 ** t), v[name] / (1 - b2 ** t)
            expected[name] = net.params[name] - lr * m_hat / (np.sqrt(v_hat) + eps)
        net.update(lr, b1, b2, eps, "Adam", t)
        for name in expected:
            assert rel_error(net.params[name], expected[name]) < 1e-12, (step, name)


def test_unknown_optimizer_is_an_error(NeuralNetwork):
    net, X, y = _toy(NeuralNetwork, 2)
    _loss(net, X, y, 0.0)
    with pytest.raises(ValueError, match="unknown optimizer"):
        net.update(opt="RMSprop")


def test_training_loop_learns_toy_data(NeuralNetwork):
    rng = np.random.RandomState(0)
    centers = 3 * rng.randn(3, 5)
    y = rng.randint(3, size=300)
    X = centers[y] + rng.randn(300, 5)
    for opt, lr in (("SGD", 0.1), ("Adam", 0.01)):
        np.random.seed(1)
        net = NeuralNetwork(5, [16], 3, 2)
        first = None
        for epoch in range(30):
            loss = _loss(net, X, y, 1e-4)
            first = loss if first is None else first
            net.update(lr, 0.9, 0.999, 1e-8, opt, epoch + 1)
        assert loss < 0.5 * first, opt
        assert np.mean(np.argmax(net.forward(X), axis=1) == y) > 0.9, opt


def test_kaggle_csv_format(dl, tmp_path):
    write = dl.module("kaggle_submission").output_submission_csv
    path = tmp_path / "out" / "nn_3layer_adam_submission.csv"
    write(str(path), np.array([3, 0, 9]))
    rows = list(csv.reader(path.open()))
    assert rows == [["id", "category"], ["0", "3"], ["1", "0"], ["2", "9"]]
