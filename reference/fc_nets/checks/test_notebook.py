"""The notebook, executed by the grader on its own dataset, and CIFAR-10 accuracy measured by the
grader: from the notebook's best_model, and from training the student's model with their Solver."""

import numpy as np
from support import FC, LAYERS, SOLVER

from grader.checks import as_array, as_dict, call_timeout, grade_accuracy, points, timeout

TRAIN_LIMIT = 5000
BAND = 0.05


@points(1)
def test_notebook_runs(notebook):
    """FullyConnectedNets.ipynb (Colab cells included) runs from top to bottom without errors and
    produces the results that are graded."""
    notebook.require_completed()


def layer_count(params):
    count = 0
    while f"W{count + 1}" in params:
        count += 1
    if count == 0:
        raise AssertionError(f"best_model.params has no W1 (keys: {sorted(map(str, params))})")
    return count


def scores(layers, params, bn_params, normalization, X):
    """The reference forward pass (test mode) of an affine - [norm] - ReLU stack."""
    L = layer_count(params)
    out = X.reshape(X.shape[0], -1)
    for i in range(1, L + 1):
        W = as_array(f"best_model.params['W{i}']", params.get(f"W{i}"))
        b = as_array(f"best_model.params['b{i}']", params.get(f"b{i}")).reshape(-1)
        if W.ndim != 2 or W.shape[0] != out.shape[1] or b.shape != (W.shape[1],):
            raise AssertionError(f"best_model.params W{i} {W.shape} / b{i} {b.shape} do not fit inputs "
                                 f"of width {out.shape[1]}")
        out, _ = layers.affine_forward(out, W, b)
        if i == L:
            return out
        if normalization in ("batchnorm", "layernorm"):
            gamma = as_array(f"best_model.params['gamma{i}']", params.get(f"gamma{i}"), (W.shape[1],))
            beta = as_array(f"best_model.params['beta{i}']", params.get(f"beta{i}"), (W.shape[1],))
            if normalization == "batchnorm":
                stats = bn_params[i - 1] if i - 1 < len(bn_params) and isinstance(bn_params[i - 1], dict) else {}
                mean = as_array(f"bn_params[{i - 1}]['running_mean']", stats.get("running_mean"), (W.shape[1],))
                var = as_array(f"bn_params[{i - 1}]['running_var']", stats.get("running_var"), (W.shape[1],))
                out, _ = layers.batchnorm_forward(out, gamma, beta, {"mode": "test", "running_mean": mean,
                                                                     "running_var": var, "eps": 1e-5})
            else:
                out, _ = layers.layernorm_forward(out, gamma, beta, {"eps": 1e-5})
        out, _ = layers.relu_forward(out)
    return out


@points(4)
def test_best_model_accuracy(notebook, cifar, reference):
    """best_model from the notebook reaches the validation and test accuracy thresholds (the grader
    evaluates its weights with the reference layers on its own data)."""
    params = as_dict("best_model.params", notebook.value("best_model_params"))
    bn_params = notebook.value("best_model_bn_params") or []
    normalization = notebook.value("best_model_normalization")
    layers = reference.module(LAYERS)
    d = cifar.split
    accuracy = {}
    for split, X, y in (("validation", d.X_val, d.y_val), ("test", d.X_test, d.y_test)):
        accuracy[split] = float(np.mean(np.argmax(scores(layers, params, bn_params, normalization, X), axis=1) == y))
    grade_accuracy(accuracy, cifar.thresholds, cifar.name)


def train(side, d, hp, seed=0):
    side.seed(seed)
    model = getattr(side.module(FC), hp["model"])(**dict(hp["model_kwargs"]))
    data = {"X_train": d.X_train[:TRAIN_LIMIT], "y_train": d.y_train[:TRAIN_LIMIT],
            "X_val": d.X_val, "y_val": d.y_val}
    solver = side.module(SOLVER).Solver(model, data, verbose=False, **dict(hp["solver_kwargs"]))
    solver.train()
    return model, solver


@points(2)
@timeout(300)
@call_timeout(240)
def test_solver_training_on_cifar(student, reference, cifar, record):
    """Trained by the grader on CIFAR-10 with the notebook's default settings (a shorter run on the
    grader's synthetic set), your TwoLayerNet and Solver reach the validation accuracy the
    reference reaches."""
    hp = dict(cifar.calibration.default_hyperparameters)
    d = cifar.split

    def reference_accuracy():
        model, _ = train(reference, d, hp)
        return float(np.mean(np.argmax(model.loss(d.X_val), axis=1) == d.y_val))

    model, solver = train(student, d, hp)
    record.curves("Grader's CIFAR-10 run: training loss", {"loss": solver.loss_history}, ylabel="loss")
    record.curves("Grader's CIFAR-10 run: accuracy", {"train": solver.train_acc_history,
                                                       "val": solver.val_acc_history},
                  xlabel="epoch", ylabel="accuracy")
    record.weights("Grader's CIFAR-10 run: first-layer weights", model.params["W1"], image_shape=(3, 32, 32))
    predicted = np.argmax(as_array("model.loss(X_val)", model.loss(d.X_val), (d.X_val.shape[0], 10)), axis=1)
    cifar.assert_learns_like_reference(float(np.mean(predicted == d.y_val)), reference_accuracy,
                                       f"after Solver training with {hp['solver_kwargs']}", BAND)
