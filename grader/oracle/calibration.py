"""Train a reference solution on CIFAR-10 with declared hyperparameters and measure its accuracy.

Recipes mirror the seeds' notebooks:
- ``neural_net_train``: cs231n assignment 1, ``TwoLayerNet.train`` (SGD with per-epoch decay);
- ``solver``: cs231n fully-connected nets, a model trained by ``Solver``;
- ``epoch_loop``: CS498DL, the notebook's shuffled mini-batch loop with SGD or Adam;
- ``linear_classifier_train``: cs231n assignment 1, ``Softmax().train`` (SGD on sampled batches).
Each returns test accuracy computed here from the model's predictions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from grader.core.assignment import Assignment
from grader.data.cifar10 import Split, load_cifar10, split
from grader.oracle.reference import Reference


def prepare(data: Split, style: str) -> Split:
    """Apply the assignment's preprocessing: mean-image subtraction, then its layout."""
    X_train, X_val, X_test = (a.astype(np.float64) for a in (data.X_train, data.X_val, data.X_test))
    mean_image = X_train.mean(axis=0)
    X_train, X_val, X_test = X_train - mean_image, X_val - mean_image, X_test - mean_image
    if style == "rows":
        shape = lambda a: a.reshape(a.shape[0], -1)
    elif style == "channels_first":
        shape = lambda a: np.ascontiguousarray(a.transpose(0, 3, 1, 2))
    elif style == "standardized_rows":
        std = X_train.std()
        shape = lambda a: a.reshape(a.shape[0], -1) / std
    else:
        raise ValueError(f"unknown preprocessing '{style}'")
    return Split(shape(X_train), data.y_train, shape(X_val), data.y_val, shape(X_test), data.y_test)


def _neural_net_train(ref: Reference, d: Split, hp: Mapping[str, Any]) -> np.ndarray:
    TwoLayerNet = ref.module("cs231n.classifiers.neural_net").TwoLayerNet
    net = TwoLayerNet(d.X_train.shape[1], hp["hidden_size"], 10)
    net.train(
        d.X_train,
        d.y_train,
        d.X_val,
        d.y_val,
        num_iters=hp["num_iters"],
        batch_size=hp["batch_size"],
        learning_rate=hp["learning_rate"],
        learning_rate_decay=hp["learning_rate_decay"],
        reg=hp["reg"],
        verbose=False,
    )
    return net.predict(d.X_test)


def _solver(ref: Reference, d: Split, hp: Mapping[str, Any]) -> np.ndarray:
    fc_net = ref.module("cs231n.classifiers.fc_net")
    Solver = ref.module("cs231n.solver").Solver
    model_cls = getattr(fc_net, hp["model"])
    model = model_cls(**dict(hp["model_kwargs"]))
    data = {"X_train": d.X_train, "y_train": d.y_train, "X_val": d.X_val, "y_val": d.y_val}
    solver = Solver(model, data, verbose=False, **dict(hp["solver_kwargs"]))
    solver.train()
    return np.argmax(model.loss(d.X_test), axis=1)


def _epoch_loop(ref: Reference, d: Split, hp: Mapping[str, Any]) -> np.ndarray:
    NeuralNetwork = ref.module("models.neural_net").NeuralNetwork
    layers = hp["num_layers"]
    net = NeuralNetwork(d.X_train.shape[1], [hp["hidden_size"]] * (layers - 1), 10, layers)
    lr, n, bs = hp["learning_rate"], d.X_train.shape[0], hp["batch_size"]
    for epoch in range(hp["epochs"]):
        order = np.random.permutation(n)
        for start in range(0, n - bs + 1, bs):
            batch = order[start : start + bs]
            net.forward(d.X_train[batch])
            net.backward(d.y_train[batch], hp["reg"])
            net.update(lr, hp.get("b1", 0.9), hp.get("b2", 0.999), hp.get("eps", 1e-8), hp["opt"], epoch + 1)
        lr *= hp["learning_rate_decay"]
    return np.argmax(net.forward(d.X_test), axis=1)


def _linear_classifier_train(ref: Reference, d: Split, hp: Mapping[str, Any]) -> np.ndarray:
    classifier = ref.module("cs231n.classifiers.linear_classifier").Softmax()
    classifier.train(
        d.X_train,
        d.y_train,
        learning_rate=hp["learning_rate"],
        reg=hp["reg"],
        num_iters=hp["num_iters"],
        batch_size=hp["batch_size"],
    )
    return classifier.predict(d.X_test)


RECIPES: dict[str, Callable[[Reference, Split, Mapping[str, Any]], np.ndarray]] = {
    "neural_net_train": _neural_net_train,
    "solver": _solver,
    "epoch_loop": _epoch_loop,
    "linear_classifier_train": _linear_classifier_train,
}


def reference_accuracy(
    assignment: Assignment,
    dataset_dir,
    split_sizes: Mapping[str, int],
    hyperparameters: Mapping[str, Any],
    seed: int = 0,
) -> float:
    """Train the reference with ``hyperparameters`` (its ``recipe`` key picks the loop); return test accuracy."""
    data = split(load_cifar10(dataset_dir), split_sizes["train"], split_sizes["val"], split_sizes.get("test"))
    prepared = prepare(data, assignment.data.preprocess)
    np.random.seed(seed)
    predictions = RECIPES[hyperparameters["recipe"]](Reference(assignment), prepared, hyperparameters)
    return float(np.mean(predictions == prepared.y_test))
