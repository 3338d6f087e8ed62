"""CIFAR-10 accuracy measured by the grader: your Softmax, trained by the grader on its own split
with the notebook's default hyperparameters, learns as well as the reference does."""

import numpy as np
from support import LINEAR

from grader.checks import as_array, call_timeout, points, timeout

TRAIN_LIMIT = 5000  # images the grader trains on: enough to tell learning from not learning


def validation_accuracy(side, d, hp, seed=0):
    side.seed(seed)
    classifier = side.module(LINEAR).Softmax()
    classifier.train(d.X_train[:TRAIN_LIMIT], d.y_train[:TRAIN_LIMIT], learning_rate=hp["learning_rate"],
                     reg=hp["reg"], num_iters=hp["num_iters"], batch_size=hp["batch_size"])
    predictions = as_array("predict(X_val)", classifier.predict(d.X_val), d.y_val.shape)
    return float(np.mean(predictions == d.y_val))


@points(2)
@timeout(300)
@call_timeout(240)
def test_training_on_cifar(student, reference, cifar):
    """Trained by the grader on CIFAR-10 with the default hyperparameters (a shorter run on the
    grader's synthetic set), your Softmax reaches the validation accuracy the reference reaches."""
    hp = dict(cifar.calibration.default_hyperparameters)
    accuracy = validation_accuracy(student, cifar.split, hp)
    cifar.assert_learns_like_reference(accuracy, lambda: validation_accuracy(reference, cifar.split, hp),
                                       "after training with the default hyperparameters")
