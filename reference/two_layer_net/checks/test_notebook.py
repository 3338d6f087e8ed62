"""The notebook, executed by the grader on its own dataset, and CIFAR-10 accuracy measured by the
grader: from the notebook's best_net, and from training the student's TwoLayerNet itself."""

import numpy as np
from support import MODULE

from grader.checks import as_array, as_dict, call_timeout, grade_accuracy, points, timeout

TRAIN_LIMIT = 5000  # images the grader trains on: enough to tell learning from not learning
BAND = 0.05         # how far below the reference's validation accuracy a student may land


@points(1)
def test_notebook_runs(notebook):
    """two_layer_net.ipynb runs from top to bottom without errors and produces the
    results that are graded."""
    notebook.require_completed()


def best_net(notebook, reference):
    """The reference TwoLayerNet holding the parameters of the notebook's best_net."""
    params = as_dict("best_net.params", notebook.value("best_net_params"))
    W1 = as_array("best_net.params['W1']", params.get("W1"))
    if W1.ndim != 2 or W1.shape[0] != 3072:
        raise AssertionError(f"best_net.params['W1'] has shape {W1.shape}; expected (3072, hidden)")
    hidden, classes = W1.shape[1], 10
    shapes = {"W1": (3072, hidden), "b1": (hidden,), "W2": (hidden, classes), "b2": (classes,)}
    net = reference.module(MODULE).TwoLayerNet(3072, hidden, classes)
    net.params = {k: as_array(f"best_net.params['{k}']", params.get(k), shape) for k, shape in shapes.items()}
    return net


@points(4)
def test_best_net_accuracy(notebook, cifar, reference):
    """best_net from the notebook reaches the validation and test accuracy thresholds (the grader
    evaluates its weights on its own data)."""
    net = best_net(notebook, reference)
    d = cifar.split
    grade_accuracy({"validation": float(np.mean(net.predict(d.X_val) == d.y_val)),
                    "test": float(np.mean(net.predict(d.X_test) == d.y_test))}, cifar.thresholds, cifar.name)


def train(side, d, hp, seed=0):
    side.seed(seed)
    net = side.module(MODULE).TwoLayerNet(d.X_train.shape[1], hp["hidden_size"], 10)
    X, y = d.X_train[:TRAIN_LIMIT], d.y_train[:TRAIN_LIMIT]
    stats = net.train(X, y, d.X_val, d.y_val, num_iters=hp["num_iters"], batch_size=hp["batch_size"],
                      learning_rate=hp["learning_rate"], learning_rate_decay=hp["learning_rate_decay"],
                      reg=hp["reg"], verbose=False)
    return net, stats


@points(2)
@timeout(300)
@call_timeout(240)
def test_training_on_cifar(student, reference, cifar, record):
    """Trained by the grader on CIFAR-10 with the notebook's default hyperparameters (a shorter run
    on the grader's synthetic set), your TwoLayerNet reaches the validation accuracy the reference
    reaches."""
    hp = dict(cifar.calibration.default_hyperparameters)
    d = cifar.split

    def reference_accuracy():
        net, _ = train(reference, d, hp)
        return float(np.mean(net.predict(d.X_val) == d.y_val))

    net, stats = train(student, d, hp)
    stats = as_dict("stats returned by train", stats)
    record.curves("Grader's CIFAR-10 run: training loss", {"loss": stats.get("loss_history")}, ylabel="loss")
    record.curves("Grader's CIFAR-10 run: accuracy", {"train": stats.get("train_acc_history"),
                                                       "val": stats.get("val_acc_history")},
                  xlabel="epoch", ylabel="accuracy")
    record.weights("Grader's CIFAR-10 run: first-layer weights", net.params["W1"])
    predicted = as_array("predict(X_val)", net.predict(d.X_val), d.y_val.shape)
    cifar.assert_learns_like_reference(float(np.mean(predicted == d.y_val)), reference_accuracy,
                                       f"after training with {hp}", BAND)
