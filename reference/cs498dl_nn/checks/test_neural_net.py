"""Checks of models/neural_net.py (CS498DL NeuralNetwork), through its public interface.

The notebook only builds ``NeuralNetwork(input_size, hidden_sizes, num_classes, num_layers)`` and
calls ``forward(X)``, ``backward(y, reg)`` (its returned loss) and ``update(...)``; so do these
checks. Accepted forms (internals vary between terms and students): ``forward`` may return the
last layer's scores or their softmax probabilities; gradients are read from ``net.gradients``
under any usual key (``W1``, ``dW1``, ``d_W1``) or, failing that, from the parameter change of
one SGD step; biases may be shaped ``(H,)`` or ``(1, H)``; ``update`` may name and order its
parameters as it likes. Seed 004 fixes no L2 convention: any one whose gradient matches its loss
passes (``grader.checks.l2``).
"""

import numpy as np

from grader.checks import (Mismatch, as_array, as_dict, as_scalar, assert_close, assert_dict_close,
                           assert_gradient, assert_scalar_close, call_as_notebook, hidden, l2, plain,
                           points)

MODULE = "models.neural_net"
UPDATE_NAMES = {"lr": ("learning_rate", "alpha", "step_size", "eta"), "b1": ("beta1", "beta_1"),
                "b2": ("beta2", "beta_2"), "eps": ("epsilon",), "opt": ("optimizer", "method"),
                "t": ("timestep", "time_step", "step", "epoch", "iteration")}
GRADIENT_KEYS = ("{}", "d{}", "d_{}", "grad_{}", "grad{}", "d{}_")


def build(side, sizes, seed):
    side.seed(seed)
    return side.module(MODULE).NeuralNetwork(sizes[0], list(sizes[1:-1]), sizes[-1], len(sizes) - 1)


def pair(student, reference, sizes, seed=0):
    ref = build(reference, sizes, seed)
    mine = build(student, sizes, seed)
    params = as_dict("net.params", mine.params)
    for name, value in ref.params.items():
        shape = np.shape(params.get(name, value))
        mine.params[name] = value.reshape(shape) if np.size(value) == np.prod(shape) else value
    return mine, ref


def inputs(seed, n, d, c, scale=1.0):
    rng = np.random.RandomState(seed)
    return scale * rng.randn(n, d), rng.randint(c, size=n)


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def update(net, lr, b1=0.9, b2=0.999, eps=1e-8, opt="SGD", t=1):
    """``net.update`` as the notebook calls it (keywords when the student's names are known)."""
    values = (("lr", lr), ("b1", b1), ("b2", b2), ("eps", eps), ("opt", opt), ("t", t))
    return call_as_notebook(net.update, values, UPDATE_NAMES)


def gradients(net):
    """The gradients the last ``backward`` computed, keyed like ``net.params``: from
    ``net.gradients`` under any usual key, else from one SGD step of learning rate 1 (the
    parameters are restored afterwards)."""
    params = {k: np.asarray(v, dtype=float) for k, v in as_dict("net.params", net.params).items()}
    try:
        stored = as_dict("net.gradients", plain(net.gradients))
    except Exception:
        stored = {}
    found = {}
    for name in params:
        key = next((f.format(name) for f in GRADIENT_KEYS if f.format(name) in stored), None)
        if key is None:
            return sgd_step_gradients(net, params)
        found[name] = stored[key]
    return found


def sgd_step_gradients(net, params):
    update(net, 1.0, opt="SGD")
    after = as_dict("net.params after update(1.0, opt='SGD')", net.params)
    grads = {k: v - as_array(f"net.params['{k}'] after an SGD step", after.get(k), v.shape)
             for k, v in params.items()}
    for name, value in params.items():
        net.params[name] = value
    return grads


def check_forward(student, reference, sizes, seed, scale=1.0):
    mine, ref = pair(student, reference, sizes, seed)
    X, _ = inputs(seed + 100, 7, sizes[0], sizes[-1], scale)
    scores = ref.forward(X)
    got = as_array("forward(X)", mine.forward(X), scores.shape)
    if np.allclose(got, softmax(scores), atol=1e-8, rtol=1e-6):
        return
    assert_close("forward(X) scores", got, scores, atol=1e-8, rtol=1e-6)


def reference_backward(ref, X, y, reg):
    ref.forward(X)
    loss = ref.backward(y, reg)
    return loss, {k: np.asarray(v, dtype=float) for k, v in ref.gradients.items()}


def check_backward(student, reference, sizes, seed, reg, regularization):
    """Loss and gradients at ``reg``. Where the assignment fixes no L2 convention, the student's
    loss tells which one they use and that share of the reference's L2 term is expected."""
    mine, ref = pair(student, reference, sizes, seed)
    X, y = inputs(seed + 200, 7, sizes[0], sizes[-1])
    data_loss, data_grads = reference_backward(ref, X, y, 0.0)
    loss, grads = reference_backward(ref, X, y, reg) if reg else (data_loss, data_grads)
    penalty = 0.0
    if reg and regularization not in l2.FIXED:
        mine.forward(X)
        without = as_scalar("backward(y, reg=0) loss", mine.backward(y, 0.0))
        mine.forward(X)
        penalty = as_scalar(f"backward(y, reg={reg}) loss", mine.backward(y, reg)) - without
    factor = l2.factor_for(regularization, penalty, loss - data_loss, len(y))
    expected = {k: data_grads[k] + factor * (grads[k] - data_grads[k]) for k in grads}
    mine.forward(X)
    assert_scalar_close(f"backward(y, reg={reg}) loss", mine.backward(y, reg),
                        data_loss + factor * (loss - data_loss), atol=1e-9)
    assert_dict_close(f"gradients at reg={reg}", gradients(mine), expected, rtol=1e-6, atol=1e-10)


def expected_step(params, grads, state, opt, lr, b1, b2, eps, t, bias_correction=True, sign=1.0):
    """One SGD or Adam step computed here from the student's own gradients (``bias_correction``
    and ``sign`` give the known wrong variants, to name them)."""
    out = {}
    for name, value in params.items():
        g = np.reshape(as_array(f"gradients['{name}']", grads.get(name)), np.shape(value))
        if opt == "SGD":
            out[name] = value - sign * lr * g
            continue
        m = b1 * state.get(("m", name), 0.0) + (1 - b1) * g
        v = b2 * state.get(("v", name), 0.0) + (1 - b2) * g * g
        state[("m", name)], state[("v", name)] = m, v
        m_hat, v_hat = (m / (1 - b1 ** t), v / (1 - b2 ** t)) if bias_correction else (m, v)
        out[name] = value - sign * lr * m_hat / (np.sqrt(v_hat) + eps)
    return out


VARIANTS = {"SGD": ("steps up the gradient (params + lr * grad): the update must subtract", {"sign": -1.0}),
            "Adam": ("matches Adam without bias correction: divide m by (1 - b1**t) and v by (1 - b2**t)",
                     {"bias_correction": False})}


def explain_update(mine, before, grads, state, opt, lr, b1, b2, eps, t):
    """Why the student's step differs, when it is a known wrong variant ("" otherwise)."""
    advice, changes = VARIANTS[opt]
    variant = expected_step(before, grads, dict(state), opt, lr, b1, b2, eps, t, **changes)
    got = as_dict("net.params", mine.params)
    if all(np.allclose(np.asarray(got[k], dtype=float), variant[k], rtol=1e-6, atol=1e-10) for k in variant):
        return f"your {opt} step {advice}"
    return ""


def check_update(student, reference, sizes, opt, steps, lr, b1=0.9, b2=0.999, eps=1e-8):
    """update applies the rule to the gradients backward computed (right or wrong)."""
    mine, _ = pair(student, reference, sizes, 3)
    X, y = inputs(7, 7, sizes[0], sizes[-1])
    state = {}
    for step, t in enumerate(steps):
        mine.forward(X)
        mine.backward(y, 1e-3)
        before = {k: np.asarray(v, dtype=float) for k, v in as_dict("net.params", mine.params).items()}
        grads = gradients(mine)
        previous = dict(state)
        expected = expected_step(before, grads, state, opt, lr, b1, b2, eps, t)
        update(mine, lr, b1, b2, eps, opt, t)
        try:
            assert_dict_close(f"params after {opt} step {step + 1} (t={t})", mine.params, expected,
                              rtol=1e-6, atol=1e-10)
        except Mismatch as exc:
            advice = explain_update(mine, before, grads, previous, opt, lr, b1, b2, eps, t)
            if advice:
                raise Mismatch(f"{exc}\n{advice}", exc.details) from None
            raise


@points(1)
def test_forward_two_layers(student, reference):
    """forward of a 2-layer network."""
    check_forward(student, reference, (6, 8, 4), 0)


@points(1)
def test_forward_three_layers(student, reference):
    """forward of a 3-layer network."""
    check_forward(student, reference, (6, 8, 5, 4), 1)


@points(2)
def test_backward_two_layers(student, reference, regularization):
    """backward of a 2-layer network: loss and gradients (reg 0 and 0.05)."""
    for reg in (0.0, 0.05):
        check_backward(student, reference, (6, 8, 4), 2, reg, regularization)


@points(2)
def test_backward_three_layers(student, reference, regularization):
    """backward of a 3-layer network: loss and gradients (reg 0 and 0.05)."""
    for reg in (0.0, 0.05):
        check_backward(student, reference, (6, 8, 5, 4), 3, reg, regularization)


@points(1)
def test_numeric_gradient(student, reference):
    """Your gradients agree with a numeric gradient of your own loss (3 layers)."""
    mine, ref = pair(student, reference, (5, 6, 6, 3), 4)
    X, y = inputs(204, 6, 5, 3)
    mine.forward(X)
    mine.backward(y, 0.05)
    grads = gradients(mine)
    for name, value in ref.params.items():
        def loss_at(v, name=name):
            mine.params[name] = v
            mine.forward(X)
            return mine.backward(y, 0.05)
        try:
            assert_gradient(f"gradients['{name}']", loss_at, np.array(value, dtype=float),
                            np.reshape(as_array(name, grads.get(name)), np.shape(value)), max_error=1e-6)
        finally:
            mine.params[name] = value


@points(1)
def test_sgd_update(student, reference):
    """update with SGD moves every parameter by -lr * gradient."""
    check_update(student, reference, (6, 8, 4), "SGD", [1, 1], 0.05)


@points(2)
def test_adam_update(student, reference):
    """update with Adam: moment estimates with bias correction (t passed by the caller)."""
    check_update(student, reference, (6, 8, 4), "Adam", [1, 1, 2], 3e-4, 0.7, 0.79, 1e-8)


@points(1)
def test_training_learns(student, record):
    """The assignment's training loop lowers the loss and fits separable data (SGD and Adam)."""
    rng = np.random.RandomState(0)
    y = rng.randint(3, size=300)
    X = 3 * rng.randn(3, 5)[y] + rng.randn(300, 5)
    for opt, lr in (("SGD", 0.1), ("Adam", 0.01)):
        net = build(student, (5, 16, 3), 1)
        losses = []
        for epoch in range(30):
            net.forward(X)
            losses.append(as_scalar("loss", net.backward(y, 1e-4)))
            update(net, lr, 0.9, 0.999, 1e-8, opt, epoch + 1)
        record.curves(f"{opt}: training loss", {"loss": losses}, xlabel="epoch", ylabel="loss")
        first, loss = losses[0], losses[-1]
        accuracy = float(np.mean(np.argmax(as_array("forward", net.forward(X)), axis=1) == y))
        assert loss < 0.5 * first, f"{opt}: loss went from {first:.3f} to {loss:.3f} in 30 steps"
        assert accuracy > 0.9, f"{opt}: training accuracy {accuracy:.2f} on easily separable data"


@hidden
@points(1)
def test_backward_other_shapes(student, reference, regularization):
    """backward on a 4-layer network with strong regularization."""
    check_backward(student, reference, (7, 9, 6, 5, 3), 11, 0.3, regularization)


@hidden
@points(1)
def test_adam_more_steps(student, reference):
    """Adam over more steps with other hyperparameters."""
    check_update(student, reference, (5, 7, 6, 3), "Adam", [1, 2, 3, 3], 1e-3, 0.9, 0.999, 1e-7)


@hidden
@points(1)
def test_stable_for_large_scores(student, reference):
    """backward's loss stays finite when every score is near 1000 (softmax shifted by the row maximum)."""
    mine, ref = pair(student, reference, (6, 8, 4), 12)
    params = as_dict("net.params", mine.params)
    shifted = ref.params["b2"] + 1000.0
    ref.params["b2"] = shifted
    mine.params["b2"] = shifted.reshape(np.shape(params["b2"]))
    X, y = inputs(13, 7, 6, 4)
    mine.forward(X)
    ref.forward(X)
    expected = ref.backward(y, 0.0)
    loss = as_scalar("loss when all scores are near 1000", mine.backward(y, 0.0))
    assert abs(loss - expected) < 1e-8, (
        f"loss is {loss:.6g}, expected {expected:.6g}: subtract each row's maximum score before exponentiating")
