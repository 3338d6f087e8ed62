"""Checks of cs231n/classifiers/fc_net.py, cs231n/optim.py and cs231n/solver.py."""

import numpy as np
from support import FC, OPTIM, SOLVER, copy_params, fc_net

from grader.checks import (as_dict, as_scalar, assert_dict_close, assert_rel_error,
                           assert_scalar_close, hidden, plain, points)
from grader.data.synthetic import synthetic_arrays


def linspace_two_layer(side, N=3, D=5, H=50, C=7):
    side.seed(231)
    model = side.module(FC).TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=1e-3)
    model.params["W1"] = np.linspace(-0.7, 0.3, num=D * H).reshape(D, H)
    model.params["b1"] = np.linspace(-0.1, 0.9, num=H)
    model.params["W2"] = np.linspace(-0.3, 0.4, num=H * C).reshape(H, C)
    model.params["b2"] = np.linspace(-0.9, 0.1, num=C)
    return model, np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T, np.asarray([0, 5, 1])


@points(1)
def test_two_layer_init(student):
    """TwoLayerNet initializes weights with weight_scale and biases with zeros."""
    student.seed(231)
    model = student.module(FC).TwoLayerNet(input_dim=5, hidden_dim=50, num_classes=7, weight_scale=1e-3)
    params = as_dict("model.params", model.params)
    for name, shape in (("W1", (5, 50)), ("b1", (50,)), ("W2", (50, 7)), ("b2", (7,))):
        assert name in params, f"model.params has no '{name}'"
        value = np.asarray(params[name], dtype=float)
        assert value.shape == shape, f"{name} has shape {value.shape}, expected {shape}"
    assert abs(np.std(params["W1"]) - 1e-3) < 1e-4, "W1 should be drawn with standard deviation weight_scale"
    assert not np.any(params["b1"]) and not np.any(params["b2"]), "biases should start at zero"


@points(2)
def test_two_layer_scores_and_loss(student):
    """TwoLayerNet test-time scores, and losses 3.4702243556 (reg 0) and 26.5948426952 (reg 1)."""
    model, X, y = linspace_two_layer(student)
    correct = np.asarray([
        [11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096],
        [12.05769098, 12.74614105, 13.43459113, 14.1230412, 14.81149128, 15.49994135, 16.18839143],
        [12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.2846319]])
    scores = np.asarray(model.loss(X), dtype=float)
    assert np.abs(scores - correct).sum() < 1e-6, f"test-time scores differ by {np.abs(scores - correct).sum():.3g}"
    assert_scalar_close("training loss (reg = 0)", model.loss(X, y)[0], 3.4702243556, atol=1e-10)
    model.reg = 1.0
    loss = as_scalar("loss (reg = 1.0)", model.loss(X, y)[0])
    if abs(loss - 26.5948426952) > 1e-10:
        half = "" if abs(loss - 3.4702243556 - 2 * (26.5948426952 - 3.4702243556)) > 1e-6 else (
            ": your regularization is reg * sum(W**2); this assignment uses 0.5 * reg * sum(W**2)")
        raise AssertionError(f"loss with reg = 1.0 is {loss:.10f}, expected 26.5948426952{half}")


@points(2)
def test_two_layer_gradients(student, reference):
    """TwoLayerNet gradients match the reference (reg 0 and 0.7)."""
    for reg in (0.0, 0.7):
        mine, X, y = linspace_two_layer(student)
        ref, _, _ = linspace_two_layer(reference)
        mine.reg = ref.reg = reg
        assert_dict_close(f"grads at reg={reg}", mine.loss(X, y)[1], ref.loss(X, y)[1],
                          rtol=1e-7, atol=1e-10)


def net_pair(student, reference, init_seed, dims=(20, 30), **kwargs):
    reference.seed(init_seed)
    ref = fc_net(reference, list(dims), **kwargs)
    student.seed(init_seed)
    mine = fc_net(student, list(dims), **kwargs)
    copy_params(mine, ref)
    return mine, ref


def check_fc_gradients(student, reference, normalization, reg, seed=231, dims=(20, 30), D=15, keep=None):
    rng = np.random.RandomState(seed)
    X, y = rng.randn(2, D), rng.randint(10, size=2)
    extra = {"keep": keep, "seed": 123} if keep is not None else {}
    mine, ref = net_pair(student, reference, seed, dims, input_dim=D, num_classes=10, reg=reg,
                         weight_scale=5e-2, dtype=np.float64, normalization=normalization, **extra)
    loss, grads = mine.loss(X, y)
    ref_loss, ref_grads = ref.loss(X, y)
    assert_scalar_close(f"loss ({normalization or 'no normalization'}, reg={reg})", loss, ref_loss,
                        atol=1e-9)
    assert_dict_close(f"grads ({normalization or 'no normalization'}, reg={reg})", grads, ref_grads,
                      rtol=1e-6, atol=1e-9)


@points(1)
def test_fc_net_params(student):
    """FullyConnectedNet creates W1..WL, b1..bL (and gamma/beta with normalization) in the given dtype."""
    student.seed(0)
    model = fc_net(student, [10, 20], input_dim=8, num_classes=3, normalization="batchnorm")
    params = as_dict("model.params", model.params)
    expected = {"W1": (8, 10), "b1": (10,), "W2": (10, 20), "b2": (20,), "W3": (20, 3), "b3": (3,),
                "gamma1": (10,), "beta1": (10,), "gamma2": (20,), "beta2": (20,)}
    for name, shape in expected.items():
        assert name in params, f"model.params has no '{name}' (keys: {sorted(params)})"
        assert np.shape(params[name]) == shape, f"{name} has shape {np.shape(params[name])}, expected {shape}"
        assert str(np.asarray(params[name]).dtype) == "float32", f"{name} should be float32 (the default dtype)"


@points(2)
def test_fc_net_gradients(student, reference):
    """FullyConnectedNet loss and gradients without normalization (reg 0 and 3.14)."""
    for reg in (0.0, 3.14):
        check_fc_gradients(student, reference, None, reg)


@points(1)
def test_fc_net_batchnorm(student, reference):
    """FullyConnectedNet with batch normalization (reg 0 and 3.14)."""
    for reg in (0.0, 3.14):
        check_fc_gradients(student, reference, "batchnorm", reg)


@points(1)
def test_fc_net_layernorm(student, reference):
    """FullyConnectedNet with layer normalization."""
    check_fc_gradients(student, reference, "layernorm", 0.0)


@points(1)
def test_fc_net_dropout(student, reference):
    """FullyConnectedNet with dropout (keep probability 0.5, fixed dropout seed)."""
    check_fc_gradients(student, reference, None, 0.0, keep=0.5)


def optimizer_inputs():
    N, D = 4, 5
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
    dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
    return w, dw, np.linspace(0.6, 0.9, num=N * D).reshape(N, D), np.linspace(0.7, 0.5, num=N * D).reshape(N, D)


def check_rule(student, reference, rule, config, state_keys, steps=1):
    w, dw, _, _ = optimizer_inputs()
    mine_w, ref_w = w.copy(), w.copy()
    mine_cfg, ref_cfg = dict(config), dict(config)
    for step in range(steps):
        mine_w, mine_cfg = getattr(student.module(OPTIM), rule)(mine_w, dw, mine_cfg)
        ref_w, ref_cfg = getattr(reference.module(OPTIM), rule)(ref_w.copy(), dw, ref_cfg)
        mine_cfg = as_dict(f"config returned by {rule}", plain(mine_cfg))
        assert_rel_error(f"{rule}: next_w after step {step + 1}", mine_w, ref_w, 1e-7)
        for key in state_keys:
            assert key in mine_cfg, f"{rule} must store '{key}' in config"
            assert_rel_error(f"{rule}: config['{key}'] after step {step + 1}", mine_cfg[key], ref_cfg[key], 1e-7)


@points(1)
def test_sgd(student, reference):
    """sgd: vanilla gradient step."""
    check_rule(student, reference, "sgd", {"learning_rate": 1e-2}, [])


@points(1)
def test_sgd_momentum(student, reference):
    """sgd_momentum: next weights and velocity."""
    _, _, v, _ = optimizer_inputs()
    check_rule(student, reference, "sgd_momentum", {"learning_rate": 1e-3, "velocity": v}, ["velocity"])


@points(1)
def test_rmsprop(student, reference):
    """rmsprop: next weights and the squared-gradient cache."""
    _, _, cache, _ = optimizer_inputs()
    check_rule(student, reference, "rmsprop", {"learning_rate": 1e-2, "cache": cache}, ["cache"])


@points(1)
def test_adam(student, reference):
    """adam: next weights, moments and step count (bias-corrected, t incremented first)."""
    _, _, m, v = optimizer_inputs()
    check_rule(student, reference, "adam", {"learning_rate": 1e-2, "m": m, "v": v, "t": 5}, ["m", "v", "t"])


@points(2)
def test_solver_overfits_small_data(student, record):
    """Solver trains a three-layer net to 100% accuracy on 50 examples within 20 epochs."""
    images, labels = synthetic_arrays(50, seed=4, noise=3.0)
    X = images.transpose(0, 3, 1, 2).astype(np.float64)
    X -= X.mean(axis=0)
    data = {"X_train": X, "y_train": labels, "X_val": X, "y_val": labels}
    student.seed(231)
    model = fc_net(student, [100, 100], weight_scale=1e-2, dtype=np.float64)
    solver = student.module(SOLVER).Solver(model, data, num_epochs=20, batch_size=25, update_rule="sgd",
                                           optim_config={"learning_rate": 1e-2}, verbose=False)
    solver.train()
    history = plain(solver.train_acc_history)
    record.curves("Solver on 50 examples: training loss", {"loss": plain(solver.loss_history)}, ylabel="loss")
    record.curves("Solver on 50 examples: accuracy", {"train": history, "val": plain(solver.val_acc_history)},
                  xlabel="epoch", ylabel="accuracy")
    assert len(history) == 21, f"train_acc_history has {len(history)} entries; expected 21 (start and each epoch)"
    assert as_scalar("final training accuracy", history[-1]) == 1.0, (
        f"training accuracy after 20 epochs is {history[-1]}; the net should overfit 50 examples")
