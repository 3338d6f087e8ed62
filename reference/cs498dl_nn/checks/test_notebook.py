"""The notebook, executed by the grader on its own dataset; accuracy measured by the grader from the
notebook's SGD and Adam networks and Kaggle CSVs, and from training the student's network itself."""

import csv
import io

import numpy as np

from grader.checks import as_array, as_dict, as_scalar, call_timeout, grade_accuracy, points, timeout

MODULE = "models.neural_net"
TRAIN_LIMIT = 2500
EPOCH_LIMIT = 10
BAND = 0.05


@points(1)
def test_notebook_runs(notebook):
    """neural_network.ipynb runs from top to bottom without errors and produces the
    results that are graded."""
    notebook.require_completed()


def network(reference, params, label):
    """The reference NeuralNetwork holding exported parameters (biases (H,) or (1, H))."""
    params = as_dict(f"{label}.params", params)
    layers = sum(1 for k in params if isinstance(k, str) and k.startswith("W") and k[1:].isdigit())
    if layers == 0:
        raise AssertionError(f"{label}.params has no W1 (keys: {sorted(map(str, params))})")
    weights = [as_array(f"{label}.params['W{i}']", params.get(f"W{i}")) for i in range(1, layers + 1)]
    sizes = [w.shape[0] for w in weights] + [weights[-1].shape[1]]
    net = reference.module(MODULE).NeuralNetwork(sizes[0], sizes[1:-1], sizes[-1], layers)
    for i, w in enumerate(weights, start=1):
        b = as_array(f"{label}.params['b{i}']", params.get(f"b{i}")).reshape(-1)
        net.params[f"W{i}"], net.params[f"b{i}"] = w, b.reshape(net.params[f"b{i}"].shape)
    return net


@points(3)
def test_trained_networks_accuracy(notebook, cifar, reference):
    """The notebook's SGD and Adam networks reach the validation and test accuracy thresholds (the
    grader evaluates their weights on its own data)."""
    d = cifar.split
    accuracy = {}
    for name in ("sgd", "adam"):
        net = network(reference, notebook.value(f"{name}_params"), f"{name}_net")
        for split, X, y in (("validation", d.X_val, d.y_val), ("test", d.X_test, d.y_test)):
            value = float(np.mean(np.argmax(net.forward(X), axis=1) == y))
            accuracy[split] = min(accuracy.get(split, 1.0), value)
    grade_accuracy(accuracy, cifar.thresholds, cifar.name)


def read_kaggle(name, text, count):
    """The predictions of a Kaggle CSV (header id,category; ids 0..count-1; classes 0-9)."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip().lower() for c in rows[0]] != ["id", "category"]:
        raise AssertionError(f"{name}: the first line must be 'id,category', not {','.join(rows[0]) if rows else 'empty'}")
    body = [r for r in rows[1:] if r]
    if len(body) != count:
        raise AssertionError(f"{name}: {len(body)} predictions; the test set has {count} images")
    labels = np.full(count, -1)
    for line, row in enumerate(body, start=2):
        try:
            index, label = int(row[0]), int(row[1])
        except (ValueError, IndexError):
            raise AssertionError(f"{name} line {line}: expected two integers, got {','.join(row)!r}") from None
        if not 0 <= index < count or labels[index] != -1:
            raise AssertionError(f"{name} line {line}: id {index} is out of range or repeated")
        if not 0 <= label <= 9:
            raise AssertionError(f"{name} line {line}: category {label} is not a class 0-9")
        labels[index] = label
    return labels


@points(2)
def test_kaggle_csvs(notebook, cifar):
    """The notebook writes Kaggle CSVs for both SGD and Adam, and their test predictions reach
    the test accuracy threshold (scored by the grader against the test labels)."""
    d = cifar.split
    files = notebook.files(".csv")
    accuracy = {}
    for optimizer in ("sgd", "adam"):
        found = {k: v for k, v in files.items() if optimizer in k.lower()}
        if not found:
            raise AssertionError(f"no Kaggle CSV for {optimizer.upper()}: expected a file like "
                                 f"nn_3layer_{optimizer}_submission.csv (found: {sorted(files) or 'no CSV'})")
        name, text = sorted(found.items())[0]
        labels = read_kaggle(name, text, d.y_test.shape[0])
        accuracy["test"] = min(accuracy.get("test", 1.0), float(np.mean(labels == d.y_test)))
    grade_accuracy(accuracy, cifar.thresholds, cifar.name)


def train(side, d, hp, seed=0):
    """The notebook's loop (shuffled mini-batches, per-epoch decay) driving a network's forward,
    backward and update; returns the network and its per-epoch losses and validation accuracy."""
    side.seed(seed)
    rng = np.random.RandomState(seed)
    layers = hp["num_layers"]
    net = side.module(MODULE).NeuralNetwork(3072, [hp["hidden_size"]] * (layers - 1), 10, layers)
    X, y = d.X_train[:TRAIN_LIMIT], d.y_train[:TRAIN_LIMIT]
    lr, batch, history = hp["learning_rate"], hp["batch_size"], {"loss": [], "val": []}
    for epoch in range(min(hp["epochs"], EPOCH_LIMIT)):
        order, total = rng.permutation(len(X)), 0.0
        for start in range(0, len(X) - batch + 1, batch):
            index = order[start:start + batch]
            net.forward(X[index])
            total += as_scalar("backward(y, reg)", net.backward(y[index], hp["reg"]))
            net.update(lr, 0.9, 0.999, 1e-8, hp["opt"], epoch + 1)
        history["loss"].append(total / (len(X) // batch))
        history["val"].append(float(np.mean(np.argmax(as_array("forward", net.forward(d.X_val)), axis=1) == d.y_val)))
        lr *= hp["learning_rate_decay"]
    return net, history


@points(2)
@timeout(300)
@call_timeout(60)
def test_training_on_cifar(student, reference, cifar, record):
    """Trained by the grader on CIFAR-10 with the notebook's default settings (SGD; a shorter run on
    the grader's synthetic set), your network reaches the validation accuracy the reference reaches."""
    hp = dict(cifar.calibration.default_hyperparameters)
    d = cifar.split
    net, history = train(student, d, hp)
    record.curves("Grader's CIFAR-10 run: training loss", {"loss": history["loss"]}, xlabel="epoch", ylabel="loss")
    record.curves("Grader's CIFAR-10 run: validation accuracy", {"val": history["val"]}, xlabel="epoch",
                  ylabel="accuracy")
    record.weights("Grader's CIFAR-10 run: first-layer weights", net.params["W1"])
    cifar.assert_learns_like_reference(history["val"][-1], lambda: train(reference, d, hp)[1]["val"][-1],
                                       f"after {len(history['val'])} epochs of the notebook's loop", BAND)
