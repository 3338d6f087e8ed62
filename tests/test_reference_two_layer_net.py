"""Seed 000/001 numbers reproduced by reference/two_layer_net (cs231n assignment 1)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.core.numeric import numerical_gradient, rel_error

# Printed in seed 000.
TOY_X = np.array([
    [16.24345364, -6.11756414, -5.28171752, -10.72968622],
    [8.65407629, -23.01538697, 17.44811764, -7.61206901],
    [3.19039096, -2.49370375, 14.62107937, -20.60140709],
    [-3.22417204, -3.84054355, 11.33769442, -10.99891267],
    [-1.72428208, -8.77858418, 0.42213747, 5.82815214]])
CORRECT_SCORES = np.asarray([
    [-0.81233741, -1.27654624, -0.70335995],
    [-0.17129677, -1.18803311, -0.47310444],
    [-0.51590475, -1.01354314, -0.8504215],
    [-0.15419291, -0.48629638, -0.52901952],
    [-0.00618733, -0.12435261, -0.15226949]])
CORRECT_LOSS = 1.30378789133
SEED_FINAL_TRAINING_LOSS = 0.017149607938732023


@pytest.fixture
def net_cls(two_layer):
    return two_layer.module("cs231n.classifiers.neural_net").TwoLayerNet


@pytest.fixture
def toy(net_cls):
    np.random.seed(0)
    net = net_cls(4, 10, 3, std=1e-1)
    np.random.seed(1)
    X = 10 * np.random.randn(5, 4)
    y = np.array([0, 1, 2, 2, 1])
    return net, X, y


def test_toy_data_is_the_seeds(toy):
    _, X, _ = toy
    assert np.abs(X - TOY_X).max() < 1e-8


def test_toy_scores(toy):
    net, X, _ = toy
    scores = net.loss(X)
    assert scores.shape == (5, 3)
    assert np.sum(np.abs(scores - CORRECT_SCORES)) < 1e-7


def test_toy_loss(toy):
    net, X, y = toy
    loss, _ = net.loss(X, y, reg=0.05)
    assert abs(loss - CORRECT_LOSS) < 1e-12


def test_regularization_convention_is_reg_sum_w_squared(toy):
    net, X, y = toy
    data_loss, _ = net.loss(X, y, reg=0.0)
    loss, _ = net.loss(X, y, reg=0.05)
    W1, W2 = net.params["W1"], net.params["W2"]
    expected = 0.05 * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    assert abs((loss - data_loss) - expected) < 1e-14
    # The other convention (0.5*reg) gives a visibly different number: 1.2848..., not 1.3038.
    assert abs(data_loss + 0.5 * expected - 1.3038) > 0.01


@pytest.mark.parametrize("reg", [0.0, 0.05])
def test_toy_gradients_match_numeric(toy, reg):
    net, X, y = toy
    _, grads = net.loss(X, y, reg=reg)
    assert sorted(grads) == ["W1", "W2", "b1", "b2"]
    for name, grad in grads.items():
        numeric = numerical_gradient(lambda _: net.loss(X, y, reg=reg)[0], net.params[name])
        assert rel_error(numeric, grad) < 1e-8, name


def test_toy_training_reaches_seed_loss(toy, net_cls, capsys):
    net, X, y = toy
    np.random.seed(0)
    net = net_cls(4, 10, 3, std=1e-1)
    stats = net.train(X, y, X, y, learning_rate=1e-1, reg=5e-6, num_iters=100, verbose=True)
    final = stats["loss_history"][-1]
    assert final < 0.02
    assert abs(final - SEED_FINAL_TRAINING_LOSS) < 1e-12
    assert "iteration 0 / 100: loss 1.241994" in capsys.readouterr().out
    assert len(stats["loss_history"]) == 100


def test_train_histories_and_per_epoch_decay(net_cls):
    rng = np.random.RandomState(3)
    X, y = rng.randn(400, 6), rng.randint(3, size=400)
    np.random.seed(0)
    net = net_cls(6, 8, 3, std=1e-1)
    stats = net.train(X, y, X[:50], y[:50], num_iters=10, batch_size=100, learning_rate=1e-2)
    # 400 / 100 = 4 iterations per epoch: accuracy recorded at iterations 0, 4 and 8.
    assert len(stats["train_acc_history"]) == 3 == len(stats["val_acc_history"])
    assert all(0.0 <= a <= 1.0 for a in stats["val_acc_history"])


def test_predict_is_argmax_of_scores(toy):
    net, X, _ = toy
    assert np.array_equal(net.predict(X), np.argmax(CORRECT_SCORES, axis=1))


def test_std_defaults_to_1e_4(net_cls):
    np.random.seed(0)
    net = net_cls(3072, 50, 10)
    assert abs(net.params["W1"].std() - 1e-4) < 1e-5
    assert not net.params["b1"].any() and not net.params["b2"].any()
