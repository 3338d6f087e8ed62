"""CIFAR-10 python batches written byte for byte the way the real ones are.

The real ``data_batch_*`` files were pickled by Python 2: their keys and file names are Python 2
``str`` (``SHORT_BINSTRING``), so course loaders read them with ``pickle.load(f,
encoding='latin1')`` (str keys, ``datadict['data']``) or ``encoding='bytes'`` (bytes keys,
``datadict[b'data']``); the images are a ``numpy.core.multiarray._reconstruct`` of a ``uint8``
array of shape (n, 3072). Python 3's pickler cannot write Python 2 strings, so this module
writes those opcodes itself (protocol 2, as the originals).
"""

from __future__ import annotations

import pickle
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

CHUNK = 1000  # the originals append list items 1000 at a time


def _string(text: str | bytes) -> bytes:
    """A Python 2 ``str``: SHORT_BINSTRING below 256 bytes, else BINSTRING."""
    data = text.encode("latin1") if isinstance(text, str) else text
    if len(data) < 256:
        return pickle.SHORT_BINSTRING + bytes([len(data)]) + data
    return pickle.BINSTRING + struct.pack("<i", len(data)) + data


def _int(value: int) -> bytes:
    if 0 <= value < 256:
        return pickle.BININT1 + bytes([value])
    if 0 <= value < 65536:
        return pickle.BININT2 + struct.pack("<H", value)
    return pickle.BININT + struct.pack("<i", value)


def _list(items: Sequence[bytes]) -> bytes:
    out = [pickle.EMPTY_LIST]
    for start in range(0, len(items), CHUNK):
        out += [pickle.MARK, *items[start : start + CHUNK], pickle.APPENDS]
    return b"".join(out)


def _uint8_rows(data: np.ndarray) -> bytes:
    """A C-ordered 2-D uint8 array as Python 2's numpy pickled it."""
    rows, columns = data.shape
    shape = _int(rows) + _int(columns) + pickle.TUPLE2
    dtype = (
        pickle.GLOBAL
        + b"numpy\ndtype\n"
        + _string("u1")
        + _int(0)
        + _int(1)
        + pickle.TUPLE3
        + pickle.REDUCE
        + pickle.MARK
        + _int(3)
        + _string("|")
        + pickle.NONE
        + pickle.NONE
        + pickle.NONE
        + pickle.BININT
        + struct.pack("<i", -1)
        + pickle.BININT
        + struct.pack("<i", -1)
        + _int(0)
        + pickle.TUPLE
        + pickle.BUILD
    )
    return (
        pickle.GLOBAL
        + b"numpy.core.multiarray\n_reconstruct\n"
        + pickle.GLOBAL
        + b"numpy\nndarray\n"
        + _int(0)
        + pickle.TUPLE1
        + _string("b")
        + pickle.TUPLE3
        + pickle.REDUCE
        + pickle.MARK
        + _int(1)
        + shape
        + dtype
        + pickle.NEWFALSE
        + _string(np.ascontiguousarray(data, dtype=np.uint8).tobytes())
        + pickle.TUPLE
        + pickle.BUILD
    )


def batch_bytes(label: str, labels: Sequence[int], rows: np.ndarray, filenames: Sequence[str]) -> bytes:
    """One batch: ``batch_label``, ``labels``, ``data`` (uint8 (n, 3072)), ``filenames``."""
    if rows.dtype != np.uint8 or rows.ndim != 2 or rows.shape[1] != 3072 or len(labels) != rows.shape[0]:
        raise ValueError(f"a batch holds uint8 rows of 3072 values and one label each, not {rows.shape}")
    body = (
        _string("batch_label")
        + _string(label)
        + _string("labels")
        + _list([_int(int(v)) for v in labels])
        + _string("data")
        + _uint8_rows(rows)
        + _string("filenames")
        + _list([_string(name) for name in filenames])
    )
    return pickle.PROTO + b"\x02" + pickle.EMPTY_DICT + pickle.MARK + body + pickle.SETITEMS + pickle.STOP


def write_batch(path: Path, label: str, labels: Sequence[int], rows: np.ndarray, filenames: Sequence[str]) -> None:
    Path(path).write_bytes(batch_bytes(label, labels, rows, filenames))


def meta_bytes(label_names: Sequence[str], per_batch: int) -> bytes:
    """``batches.meta``: ``num_cases_per_batch``, ``label_names``, ``num_vis``."""
    body = (
        _string("num_cases_per_batch")
        + _int(per_batch)
        + _string("label_names")
        + _list([_string(n) for n in label_names])
        + _string("num_vis")
        + _int(3072)
    )
    return pickle.PROTO + b"\x02" + pickle.EMPTY_DICT + pickle.MARK + body + pickle.SETITEMS + pickle.STOP
