from __future__ import print_function

import os
import pickle

import numpy as np


def load_CIFAR_batch(filename):
    """Load one batch of CIFAR-10 in the python format (any number of rows)."""
    with open(filename, 'rb') as f:
        datadict = pickle.load(f, encoding='latin1')
    X = np.asarray(datadict['data'], dtype=np.uint8)
    Y = np.array(datadict['labels'], dtype=np.int64)
    X = X.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype("float")
    return X, Y


def load_CIFAR10(ROOT):
    """Load all of CIFAR-10: returns X_train, y_train, X_test, y_test as (N, 32, 32, 3) floats."""
    xs = []
    ys = []
    for b in range(1, 6):
        X, Y = load_CIFAR_batch(os.path.join(ROOT, 'data_batch_%d' % (b,)))
        xs.append(X)
        ys.append(Y)
    Xtr = np.concatenate(xs)
    Ytr = np.concatenate(ys)
    Xte, Yte = load_CIFAR_batch(os.path.join(ROOT, 'test_batch'))
    return Xtr, Ytr, Xte, Yte
