"""Shared helpers of the fully-connected-net checks."""

import inspect

import numpy as np

LAYERS = "cs231n.layers"
UTILS = "cs231n.layer_utils"
FC = "cs231n.classifiers.fc_net"
OPTIM = "cs231n.optim"
SOLVER = "cs231n.solver"


def rng_arrays(seed, *shapes, scale=1.0, shift=0.0):
    rng = np.random.RandomState(seed)
    return [scale * rng.randn(*shape) + shift for shape in shapes]


def both(student, reference, module, function, *args):
    """Call ``module.function(*args)`` on the student and on the reference."""
    return (getattr(student.module(module), function)(*args),
            getattr(reference.module(module), function)(*args))


def fc_net(side, hidden_dims, keep=None, **kwargs):
    """``FullyConnectedNet(hidden_dims, ...)``; ``keep`` goes to whichever spelling the class takes:
    seed 002 calls the keep probability ``dropout``, later course years ``dropout_keep_ratio``."""
    cls = side.module(FC).FullyConnectedNet
    if "normalization" in kwargs and kwargs["normalization"] is None:
        del kwargs["normalization"]  # the default: years before normalization= (use_batchnorm=) accept it
    if keep is not None:
        names = cls.parameters() if hasattr(cls, "remote_type") else list(inspect.signature(cls).parameters)
        kwargs["dropout_keep_ratio" if "dropout_keep_ratio" in names else "dropout"] = keep
    return cls(hidden_dims, **kwargs)


def copy_params(mine, ref):
    for name, value in ref.params.items():
        mine.params[name] = value
