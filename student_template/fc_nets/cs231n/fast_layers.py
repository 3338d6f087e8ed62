"""Fast convolution and max-pooling layers, a course helper that students import but never edit.

``layer_utils.py`` of every course year starts with ``from cs231n.fast_layers import *``. The
course builds a Cython ``im2col`` for speed; when it is not built (as here) the pure numpy
version in :mod:`cs231n.im2col` is used instead, with the same results.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

try:  # the course's optional compiled helpers
    from .im2col_cython import col2im_cython as _col2im
    from .im2col_cython import im2col_cython as _im2col
except ImportError:
    _im2col = _col2im = None

from .im2col import col2im_indices, im2col_indices, output_size


def _columns(x, fh, fw, pad, stride):
    if _im2col is not None:
        return _im2col(x, fh, fw, pad, stride)
    return im2col_indices(x, fh, fw, pad, stride)


def _images(cols, shape, fh, fw, pad, stride):
    if _col2im is not None:
        N, C, H, W = shape
        return _col2im(cols, N, C, H, W, fh, fw, pad, stride)
    return col2im_indices(cols, shape, fh, fw, pad, stride)


def conv_forward_im2col(x, w, b, conv_param):
    """Convolution of x (N, C, H, W) with filters w (F, C, HH, WW) through im2col."""
    N, _, H, W = x.shape
    F, _, fh, fw = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    out_h, out_w = output_size(H, fh, pad, stride), output_size(W, fw, pad, stride)
    cols = _columns(x, fh, fw, pad, stride)
    out = _filtered(w, b, cols).reshape(F, out_h, out_w, N).transpose(3, 0, 1, 2)
    return np.ascontiguousarray(out), (x, w, b, conv_param, cols)


def _filtered(w, b, cols):
    """Every filter applied to every column: (F, columns)."""
    return w.reshape(w.shape[0], -1).dot(cols) + b.reshape(-1, 1)


def conv_backward_im2col(dout, cache):
    """Gradients (dx, dw, db) of :func:`conv_forward_im2col`."""
    x, w, _, conv_param, cols = cache
    _, _, fh, fw = w.shape
    dcols, dw, db = _filter_gradients(dout.transpose(1, 2, 3, 0), cols, w)
    dx = _images(dcols, x.shape, fh, fw, conv_param["pad"], conv_param["stride"])
    return dx, dw, db


def _filter_gradients(dout_by_filter, cols, w):
    """Gradients of ``w.reshape(F, -1).dot(cols) + b`` given its upstream gradient laid out with
    the filter axis first: (dcols, dw, db)."""
    F = w.shape[0]
    dout_rows = dout_by_filter.reshape(F, -1)
    dw = dout_rows.dot(cols.T).reshape(w.shape)
    return w.reshape(F, -1).T.dot(dout_rows), dw, dout_rows.sum(axis=1)


def _windows(padded, fh, fw, stride, out_h, out_w):
    """A strided (N, C, fh, fw, out_h, out_w) view of every window of ``padded`` (no copy)."""
    N, C, H, W = padded.shape
    s = padded.strides
    return as_strided(padded, shape=(C, fh, fw, N, out_h, out_w),
                      strides=(s[1], s[2], s[3], s[0], stride * s[2], stride * s[3]))


def conv_forward_strides(x, w, b, conv_param):
    """The same convolution, gathering the windows with a strided view instead of indices."""
    N, C, H, W = x.shape
    F, _, fh, fw = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    out_h, out_w = output_size(H, fh, pad, stride), output_size(W, fw, pad, stride)
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    cols = np.ascontiguousarray(_windows(padded, fh, fw, stride, out_h, out_w))
    cols = cols.reshape(C * fh * fw, N * out_h * out_w)
    out = _filtered(w, b, cols).reshape(F, N, out_h, out_w).transpose(1, 0, 2, 3)
    return np.ascontiguousarray(out), (x, w, b, conv_param, cols)


def conv_backward_strides(dout, cache):
    """Gradients (dx, dw, db) of :func:`conv_forward_strides`."""
    x, w, _, conv_param, cols = cache
    F, C, fh, fw = w.shape
    N, _, out_h, out_w = dout.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    dcols, dw, db = _filter_gradients(dout.transpose(1, 0, 2, 3), cols, w)
    dcols = dcols.reshape(C, fh, fw, N, out_h, out_w)
    padded = np.zeros((N, C, x.shape[2] + 2 * pad, x.shape[3] + 2 * pad), dtype=dcols.dtype)
    for i in range(fh):
        for j in range(fw):
            padded[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride] += \
                dcols[:, i, j].transpose(1, 0, 2, 3)
    dx = padded[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return np.ascontiguousarray(dx), dw, db


conv_forward_fast = conv_forward_strides
conv_backward_fast = conv_backward_strides


def max_pool_forward_fast(x, pool_param):
    """Max pooling: a reshape when square windows tile the input exactly, im2col otherwise."""
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    tiles = ph == pw == stride and x.shape[2] % ph == 0 and x.shape[3] % pw == 0
    if tiles:
        out, cache = max_pool_forward_reshape(x, pool_param)
        return out, ("reshape", cache)
    out, cache = max_pool_forward_im2col(x, pool_param)
    return out, ("im2col", cache)


def max_pool_backward_fast(dout, cache):
    method, inner = cache
    if method == "reshape":
        return max_pool_backward_reshape(dout, inner)
    return max_pool_backward_im2col(dout, inner)


def max_pool_forward_reshape(x, pool_param):
    """Max pooling over non-overlapping square windows that tile ``x``."""
    N, C, H, W = x.shape
    size = pool_param["pool_height"]
    blocks = x.reshape(N, C, H // size, size, W // size, size)
    out = blocks.max(axis=3).max(axis=4)
    return out, (x, blocks, out)


def max_pool_backward_reshape(dout, cache):
    """Gradient of :func:`max_pool_forward_reshape`; ties share the gradient like the course's."""
    x, blocks, out = cache
    winners = blocks == out[:, :, :, None, :, None]
    dblocks = np.zeros_like(blocks)
    spread = np.broadcast_to(dout[:, :, :, None, :, None], dblocks.shape)
    dblocks[winners] = spread[winners]
    dblocks /= np.sum(winners, axis=(3, 5), keepdims=True)
    return dblocks.reshape(x.shape)


def max_pool_forward_im2col(x, pool_param):
    """Max pooling of any window and stride, through im2col (one channel at a time)."""
    N, C, H, W = x.shape
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    out_h, out_w = output_size(H, ph, 0, stride), output_size(W, pw, 0, stride)
    cols = im2col_indices(x.reshape(N * C, 1, H, W), ph, pw, padding=0, stride=stride)
    winners = np.argmax(cols, axis=0)
    out = cols[winners, np.arange(cols.shape[1])]
    out = out.reshape(out_h, out_w, N, C).transpose(2, 3, 0, 1)
    return out, (x, cols, winners, pool_param)


def max_pool_backward_im2col(dout, cache):
    """Gradient of :func:`max_pool_forward_im2col`."""
    x, cols, winners, pool_param = cache
    N, C, H, W = x.shape
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dcols = np.zeros_like(cols)
    dcols[winners, np.arange(cols.shape[1])] = dout.transpose(2, 3, 0, 1).ravel()
    dx = col2im_indices(dcols, (N * C, 1, H, W), ph, pw, padding=0, stride=stride)
    return dx.reshape(x.shape)
