from .layers import *
from .fast_layers import *


def affine_relu_forward(x, w, b):
    """
    Convenience layer that perorms an affine transform followed by a ReLU

    Inputs:
    - x: Input to the affine layer
    - w, b: Weights for the affine layer

    Returns a tuple of:
    - out: Output from the ReLU
    - cache: Object to give to the backward pass
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    cache = (fc_cache, relu_cache)
    return out, cache


def affine_relu_backward(dout, cache):
    """
    Backward pass for the affine-relu convenience layer
    """
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db


def affine_norm_relu_forward(x, w, b, gamma, beta, norm_param, normalization):
    """
    Convenience layer: affine - batchnorm or layernorm - ReLU.

    normalization is "batchnorm" or "layernorm"; norm_param is the bn_param or
    ln_param dictionary passed to the normalization layer.
    """
    a, fc_cache = affine_forward(x, w, b)
    if normalization == 'batchnorm':
        n, norm_cache = batchnorm_forward(a, gamma, beta, norm_param)
    else:
        n, norm_cache = layernorm_forward(a, gamma, beta, norm_param)
    out, relu_cache = relu_forward(n)
    return out, (fc_cache, norm_cache, relu_cache, normalization)


def affine_norm_relu_backward(dout, cache):
    """
    Backward pass for the affine-norm-relu convenience layer; returns
    dx, dw, db, dgamma, dbeta.
    """
    fc_cache, norm_cache, relu_cache, normalization = cache
    dn = relu_backward(dout, relu_cache)
    if normalization == 'batchnorm':
        da, dgamma, dbeta = batchnorm_backward_alt(dn, norm_cache)
    else:
        da, dgamma, dbeta = layernorm_backward(dn, norm_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta
