"""Image patches as matrix columns (and back), for convolution and pooling layers.

A course helper: students import it (through ``fast_layers``) but never edit it. Arrays are laid
out as (N, C, H, W); a patch of a ``field_height x field_width`` window over all ``C`` channels
becomes one column of length ``C * field_height * field_width``.
"""
import numpy as np


def output_size(size, field, padding, stride):
    """Positions of a window of ``field`` along an axis of ``size`` padded by ``padding``."""
    span = size + 2 * padding - field
    if span < 0 or span % stride != 0:
        raise ValueError("window %d with stride %d does not tile an axis of %d padded by %d"
                         % (field, stride, size, padding))
    return span // stride + 1


def get_im2col_indices(x_shape, field_height, field_width, padding=1, stride=1):
    """Index arrays (channel, row, column) that gather every patch of a padded input."""
    _, C, H, W = x_shape
    out_height = output_size(H, field_height, padding, stride)
    out_width = output_size(W, field_width, padding, stride)
    window_rows = np.tile(np.repeat(np.arange(field_height), field_width), C)
    window_cols = np.tile(np.arange(field_width), field_height * C)
    start_rows = stride * np.repeat(np.arange(out_height), out_width)
    start_cols = stride * np.tile(np.arange(out_width), out_height)
    rows = window_rows[:, None] + start_rows[None, :]
    cols = window_cols[:, None] + start_cols[None, :]
    channels = np.repeat(np.arange(C), field_height * field_width)[:, None]
    return channels.astype(int), rows.astype(int), cols.astype(int)


def im2col_indices(x, field_height, field_width, padding=1, stride=1):
    """Every patch of ``x`` as a column: shape (C * fh * fw, N * out_height * out_width)."""
    p = padding
    padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="constant")
    k, i, j = get_im2col_indices(x.shape, field_height, field_width, padding, stride)
    columns = padded[:, k, i, j]  # (N, C * fh * fw, positions)
    return columns.transpose(1, 2, 0).reshape(field_height * field_width * x.shape[1], -1)


def col2im_indices(cols, x_shape, field_height=3, field_width=3, padding=1, stride=1):
    """The adjoint of :func:`im2col_indices`: sums every column back into its patch."""
    N, C, H, W = x_shape
    padded = np.zeros((N, C, H + 2 * padding, W + 2 * padding), dtype=cols.dtype)
    k, i, j = get_im2col_indices(x_shape, field_height, field_width, padding, stride)
    per_image = cols.reshape(C * field_height * field_width, -1, N).transpose(2, 0, 1)
    np.add.at(padded, (slice(None), k, i, j), per_image)
    if padding == 0:
        return padded
    return padded[:, :, padding:-padding, padding:-padding]
