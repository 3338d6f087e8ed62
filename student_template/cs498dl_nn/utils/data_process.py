"""Data preprocessing: load CIFAR-10 from the python batches and normalize it."""

import os
import pickle

import numpy as np

DEFAULT_CIFAR10_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "cifar10", "cifar-10-batches-py")


def load_pickle(f):
    return pickle.load(f, encoding="latin1")


def load_CIFAR_batch(filename):
    """Load a single batch of CIFAR-10 (any number of rows) as float arrays."""
    with open(filename, "rb") as f:
        datadict = load_pickle(f)
    X = np.asarray(datadict["data"], dtype=np.uint8)
    Y = np.array(datadict["labels"], dtype=np.int64)
    X = X.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype("float")
    return X, Y


def load_CIFAR10(ROOT):
    """Load all of CIFAR-10: X_train, y_train, X_test, y_test."""
    xs, ys = [], []
    for b in range(1, 6):
        X, Y = load_CIFAR_batch(os.path.join(ROOT, "data_batch_%d" % (b,)))
        xs.append(X)
        ys.append(Y)
    Xte, Yte = load_CIFAR_batch(os.path.join(ROOT, "test_batch"))
    return np.concatenate(xs), np.concatenate(ys), Xte, Yte


def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=10000,
                     normalize=True, cifar10_dir=DEFAULT_CIFAR10_DIR):
    """
    Load CIFAR-10 and return a dict of flattened (N, 3072) float arrays:
    X_train, y_train, X_val, y_val, X_test, y_test.

    The validation set is taken from the training images that follow the first
    num_training; when fewer images exist, the splits hold what there is.
    With normalize=True the data is standardized with the training mean image
    and the training standard deviation.
    """
    X_train, y_train, X_test, y_test = load_CIFAR10(cifar10_dir)

    X_val = X_train[num_training:num_training + num_validation]
    y_val = y_train[num_training:num_training + num_validation]
    X_train = X_train[:num_training]
    y_train = y_train[:num_training]
    X_test = X_test[:num_test]
    y_test = y_test[:num_test]

    X_train = X_train.reshape(X_train.shape[0], -1)
    X_val = X_val.reshape(X_val.shape[0], -1)
    X_test = X_test.reshape(X_test.shape[0], -1)

    if normalize:
        mean_image = np.mean(X_train, axis=0)
        std = np.std(X_train)
        X_train = (X_train - mean_image) / std
        X_val = (X_val - mean_image) / std
        X_test = (X_test - mean_image) / std

    return {
        "X_train": X_train, "y_train": y_train,
        "X_val": X_val, "y_val": y_val,
        "X_test": X_test, "y_test": y_test,
    }
