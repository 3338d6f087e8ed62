"""Checks of cs231n/classifiers/neural_net.py (TwoLayerNet), following two_layer_net.ipynb."""

import numpy as np
from support import PARAMS, data, make_net, pair, toy, trained_loss  # noqa: F401 (toy is a fixture)

from grader.checks import (as_dict, as_scalar, assert_close, assert_dict_close, assert_gradient,
                           assert_scalar_close, hidden, points)


def regularization_message(loss, ref, X, y, reg):
    """Name the regularization convention the student used when it is the other one."""
    data_loss = ref.loss(X, y, reg=0.0)[0]
    penalty = reg * sum(np.sum(ref.params[w] ** 2) for w in ("W1", "W2"))
    if abs(loss - (data_loss + 0.5 * penalty)) < 1e-9:
        return ("your loss uses 0.5 * reg * sum(W**2); this assignment uses reg * sum(W**2) "
                "(gradient 2 * reg * W)")
    if abs(loss - data_loss) < 1e-9:
        return "your loss leaves out the regularization term reg * (sum(W1**2) + sum(W2**2))"
    return ""


def check_loss(student, reference, X, y, reg, sizes=(4, 10, 3), seed=0):
    mine, ref = pair(student, reference, sizes, seed)
    result = mine.loss(X, y, reg=reg)
    if not isinstance(result, tuple) or len(result) != 2:
        raise AssertionError("loss(X, y, reg) must return a tuple (loss, grads)")
    expected = ref.loss(X, y, reg=reg)[0]
    loss = as_scalar("loss", result[0])
    if abs(loss - expected) > 1e-10:
        advice = regularization_message(loss, ref, X, y, reg)
        raise AssertionError(f"loss at reg={reg} is {loss:.12g}, expected {expected:.12g}"
                             + (f": {advice}" if advice else ""))
    return mine, ref


@points(2)
def test_toy_scores(student, reference, toy):
    """Toy network scores (forward pass) match the reference."""
    X, _ = toy
    mine = make_net(student, (4, 10, 3), 0)
    ref = make_net(reference, (4, 10, 3), 0)
    assert_close("scores of the toy net", mine.loss(X), ref.loss(X), atol=1e-7)


@points(1)
def test_toy_data_loss(student, reference, toy):
    """Softmax data loss of the toy net (reg = 0)."""
    check_loss(student, reference, *toy, reg=0.0)


@points(2)
def test_toy_loss(student, reference, toy):
    """Toy loss with regularization matches 1.30378789133 (reg = 0.05)."""
    X, y = toy
    check_loss(student, reference, X, y, reg=0.05)
    assert_scalar_close("reference toy loss", make_net(reference, (4, 10, 3), 0).loss(X, y, reg=0.05)[0],
                        1.30378789133, atol=1e-10)


@points(3)
def test_toy_gradients(student, reference, toy):
    """Gradients of W1, b1, W2, b2 match the reference's analytic gradients (reg = 0.05)."""
    X, y = toy
    mine, ref = pair(student, reference)
    _, grads = mine.loss(X, y, reg=0.05)
    assert_dict_close("grads", grads, ref.loss(X, y, reg=0.05)[1], rtol=1e-6, atol=1e-9)


@points(1)
def test_toy_numeric_gradient(student, reference, toy):
    """Your analytic gradients agree with a numeric gradient of your own loss."""
    X, y = toy
    mine, ref = pair(student, reference)
    grads = as_dict("grads", mine.loss(X, y, reg=0.05)[1])
    for name in PARAMS:
        def loss_at(value, name=name):
            mine.params[name] = value
            return mine.loss(X, y, reg=0.05)[0]
        try:
            assert_gradient(f"grads['{name}']", loss_at, np.array(ref.params[name], dtype=float),
                            grads.get(name), max_error=1e-7)
        finally:
            mine.params[name] = ref.params[name]


@points(2)
def test_toy_training(student, toy, record):
    """Training on the toy data (lr 0.1, reg 5e-6, 100 iterations) ends below loss 0.02."""
    X, y = toy
    net = make_net(student, (4, 10, 3), 0)
    stats = as_dict("stats returned by train", net.train(X, y, X, y, learning_rate=1e-1, reg=5e-6,
                                                         num_iters=100, verbose=False))
    history = stats.get("loss_history")
    record.curves("Toy net: training loss", {"loss": history}, ylabel="loss")
    if not isinstance(history, (list, np.ndarray)) or len(history) != 100:
        raise AssertionError("stats['loss_history'] must hold one loss per iteration (100)")
    as_scalar("final training loss", history[-1])
    final = trained_loss(net, X, y, 5e-6)
    assert final < 0.02, f"the trained parameters' loss is {final:.4f} (computed by the grader); it should be below 0.02"


@points(1)
def test_predict(student, reference, toy):
    """predict returns the argmax class of the scores."""
    X, _ = toy
    mine, ref = pair(student, reference)
    expected = np.argmax(ref.loss(X), axis=1)
    assert_close("predicted labels", mine.predict(X), expected, atol=0)


@points(1)
def test_learning_rate_decays_each_epoch(student, reference):
    """train decays the learning rate after every epoch (learning_rate_decay=0 stops learning)."""
    X, y = data(3, 400, 6, 3, scale=1.0)
    initial = make_net(student, (6, 8, 3), 0).params.fetch()
    nets = []
    for iters in (1, 10):
        net = make_net(student, (6, 8, 3), 0)
        student.seed(5)
        net.train(X, y, X[:50], y[:50], num_iters=iters, batch_size=100, learning_rate=1e-1,
                  learning_rate_decay=0.0, reg=0.0)
        nets.append(net)
    after_one = as_dict("params after 1 iteration", nets[0].params.fetch())
    if all(np.array_equal(np.asarray(after_one.get(k)), v) for k, v in initial.items()):
        raise AssertionError("train(num_iters=1) left every parameter unchanged: each iteration must "
                             "take an SGD step")
    assert_dict_close("params after 10 iterations with learning_rate_decay=0",
                      nets[1].params, after_one, atol=1e-12)


@points(1)
def test_train_histories(student, record):
    """train records train and validation accuracy once per epoch."""
    X, y = data(3, 400, 6, 3, scale=1.0)
    net = make_net(student, (6, 8, 3), 0)
    initial = net.params.fetch()
    stats = as_dict("stats", net.train(X, y, X[:50], y[:50], num_iters=10, batch_size=100,
                                       learning_rate=1e-2))
    trained = as_dict("net.params after train", net.params)
    if all(np.array_equal(np.asarray(trained.get(k)), v) for k, v in initial.items()):
        raise AssertionError("train left every parameter unchanged: these are not the histories of a training run")
    record.curves("Accuracy per epoch", {k: stats.get(k) for k in ("train_acc_history", "val_acc_history")},
                  xlabel="epoch", ylabel="accuracy")
    for key in ("loss_history", "train_acc_history", "val_acc_history"):
        assert key in stats, f"stats has no '{key}' (keys: {sorted(stats)})"
    # 400 / 100 = 4 iterations per epoch: accuracies at iterations 0, 4 and 8.
    assert len(stats["val_acc_history"]) == 3, (
        f"val_acc_history has {len(stats['val_acc_history'])} entries after 10 iterations of "
        "4-iteration epochs; expected 3 (iterations 0, 4, 8)")


@hidden
@points(2)
def test_scores_other_shapes(student, reference):
    """Scores on another network shape."""
    X, _ = data(11, 9, 7, 5, scale=2.0)
    mine, ref = pair(student, reference, (7, 13, 5), 7)
    assert_close("scores", mine.loss(X), ref.loss(X), atol=1e-7)


@hidden
@points(2)
def test_loss_other_shapes(student, reference):
    """Loss with regularization on another network shape."""
    X, y = data(12, 9, 7, 5, scale=2.0)
    for reg in (0.0, 0.1, 1.3):
        check_loss(student, reference, X, y, reg, (7, 13, 5), 8)


@hidden
@points(3)
def test_gradients_other_shapes(student, reference):
    """Gradients on another network shape and regularization."""
    X, y = data(13, 9, 7, 5, scale=2.0)
    for reg in (0.0, 0.7):
        mine, ref = pair(student, reference, (7, 13, 5), 9)
        assert_dict_close(f"grads at reg={reg}", mine.loss(X, y, reg=reg)[1],
                          ref.loss(X, y, reg=reg)[1], rtol=1e-6, atol=1e-9)


@hidden
@points(1)
def test_training_other_data(student, reference):
    """Training on other data reaches a low loss."""
    centers = np.random.RandomState(21).randn(4, 6) * 3
    labels = np.random.RandomState(22).randint(4, size=60)
    X = centers[labels] + np.random.RandomState(23).randn(60, 6)
    net = make_net(student, (6, 16, 4), 3)
    stats = as_dict("stats", net.train(X, labels, X, labels, learning_rate=0.2, reg=1e-4,
                                       num_iters=200, batch_size=30))
    as_scalar("final training loss", stats["loss_history"][-1])
    final = trained_loss(net, X, labels, 1e-4)
    assert final < 0.3, f"the trained parameters' loss is {final:.4f} (computed by the grader); it should be below 0.3"


@hidden
@points(1)
def test_loss_numerically_stable(student, reference, toy):
    """Loss stays finite when every score is near 1000 (softmax shifted by the row maximum)."""
    X, y = toy
    mine, ref = pair(student, reference, (4, 10, 3), 0)
    shifted = ref.params["b2"] + 1000.0
    ref.params["b2"] = mine.params["b2"] = shifted
    expected = ref.loss(X, y, reg=0.0)[0]
    loss = as_scalar("loss when all scores are near 1000", mine.loss(X, y, reg=0.0)[0])
    assert abs(loss - expected) < 1e-8, (
        f"loss is {loss:.6g}, expected {expected:.6g}: subtract each row's maximum score before exponentiating")
