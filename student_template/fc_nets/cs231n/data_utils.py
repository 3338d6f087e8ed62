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


def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=1000,
                     subtract_mean=True, cifar10_dir=None):
    """
    Load the CIFAR-10 dataset from disk and perform preprocessing to prepare
    it for classifiers. Returns a dictionary of (N, 3, 32, 32) images and labels:
    X_train, y_train, X_val, y_val, X_test, y_test.

    The validation set is the num_validation images after the first
    num_training training images.
    """
    if cifar10_dir is None:
        cifar10_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                   'datasets', 'cifar-10-batches-py')
    X_train, y_train, X_test, y_test = load_CIFAR10(cifar10_dir)
    if num_training + num_validation > X_train.shape[0] or num_test > X_test.shape[0]:
        raise ValueError(
            'CIFAR-10 at %s has %d training and %d test images; asked for %d + %d and %d'
            % (cifar10_dir, X_train.shape[0], X_test.shape[0],
               num_training, num_validation, num_test))

    # Subsample the data
    mask = list(range(num_training, num_training + num_validation))
    X_val = X_train[mask]
    y_val = y_train[mask]
    mask = list(range(num_training))
    X_train = X_train[mask]
    y_train = y_train[mask]
    mask = list(range(num_test))
    X_test = X_test[mask]
    y_test = y_test[mask]

    # Normalize the data: subtract the mean image
    if subtract_mean:
        mean_image = np.mean(X_train, axis=0)
        X_train -= mean_image
        X_val -= mean_image
        X_test -= mean_image

    # Transpose so that channels come first
    X_train = X_train.transpose(0, 3, 1, 2).copy()
    X_val = X_val.transpose(0, 3, 1, 2).copy()
    X_test = X_test.transpose(0, 3, 1, 2).copy()

    # Package data into a dictionary
    return {
        'X_train': X_train, 'y_train': y_train,
        'X_val': X_val, 'y_val': y_val,
        'X_test': X_test, 'y_test': y_test,
    }
