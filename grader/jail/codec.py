"""Plain-data wire format between the grader and its jailed worker.

A frame is ``MAGIC`` + 4-byte big-endian JSON length + JSON + the binary blobs the JSON
lists (``"blobs": [len, ...]``). Values are JSON with tags for what JSON lacks:

    {"$f": "nan" | "inf" | "-inf"}   non-finite float
    {"$t": [...]}                    tuple
    {"$d": [[key, value], ...]}      dict (keys of any encodable type)
    {"$a": i}                        ndarray: blob i is an ``.npy`` file, read with allow_pickle=False
    {"$b": i}                        bytes: blob i
    {"$h": id, "type": "Name"}       handle to an object that stays in the worker
    {"$dt": "<f8"}                   a numpy dtype or scalar type (np.float64)

Decoding refuses unknown tags, object or structured dtypes, deep nesting and oversized frames;
nothing is ever unpickled or evaluated. This module is self-contained (stdlib + numpy) because
it is copied into the jail next to the worker program.
"""

from __future__ import annotations

import io
import json
import math
import struct

import numpy as np

MAGIC = b"GRD1"
HEADER = struct.Struct(">4sI")
MAX_JSON = 16 << 20
MAX_FRAME = 512 << 20
MAX_DEPTH = 64
OUTPUT_FENCE = b"\x00\x1egrader: end of check output\x1e\x00"  # written by the fork server after each child
ARRAY_KINDS = "biufcUS"


class CodecError(ValueError):
    """A value cannot be encoded, or received bytes are not a valid frame."""


class Handle:
    """Reference to an object living in the worker (decoded form of ``{"$h": ...}``)."""

    __slots__ = ("id", "type")

    def __init__(self, id: int, type: str) -> None:
        self.id, self.type = id, type

    def __repr__(self) -> str:
        return f"<remote {self.type} #{self.id}>"


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def encode_value(value, blobs: list, handle_for=None, depth: int = 0):
    """JSON-able form of ``value``; arrays and bytes go to ``blobs``.

    ``handle_for(obj)`` turns an object that is not plain data into a ``Handle``; without
    it such objects raise :class:`CodecError`.
    """
    if depth > MAX_DEPTH:
        raise CodecError("value nested too deeply")
    t = type(value)
    if value is None or t is bool or t is int or t is str:
        return value
    if t is float:
        return value if math.isfinite(value) else {"$f": repr(value)}
    if t is np.ndarray and value.dtype.kind in ARRAY_KINDS:
        blobs.append(_npy(value))
        return {"$a": len(blobs) - 1}
    if isinstance(value, np.generic) and type(value).__module__ == "numpy" and value.dtype.kind in ARRAY_KINDS:
        blobs.append(_npy(np.asarray(value)))
        return {"$a": len(blobs) - 1, "scalar": True}
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        dtype = np.dtype(value)
        if dtype.kind not in ARRAY_KINDS:
            raise CodecError(f"cannot send dtype {dtype}")
        return {"$dt": dtype.str, "instance": isinstance(value, np.dtype)}
    if t is bytes:
        blobs.append(value)
        return {"$b": len(blobs) - 1}
    if t is list or t is tuple:
        items = [encode_value(v, blobs, handle_for, depth + 1) for v in value]
        return items if t is list else {"$t": items}
    if t is dict:
        return {
            "$d": [
                [encode_value(k, blobs, handle_for, depth + 1), encode_value(v, blobs, handle_for, depth + 1)]
                for k, v in value.items()
            ]
        }
    if t is Handle:
        return {"$h": value.id, "type": value.type}
    if handle_for is not None:
        h = handle_for(value)
        return {"$h": h.id, "type": h.type}
    raise CodecError(f"cannot send a {t.__name__} across the jail; only plain data and arrays")


def _hashable(key):
    if isinstance(key, list):
        raise CodecError("a list cannot be a dict key")
    if isinstance(key, np.ndarray):
        raise CodecError("an array cannot be a dict key")
    return key


def decode_value(node, blobs: list, depth: int = 0):
    """Inverse of :func:`encode_value`, strict: anything unexpected is a :class:`CodecError`."""
    if depth > MAX_DEPTH:
        raise CodecError("value nested too deeply")
    if node is None or isinstance(node, (bool, int, str)):
        return node
    if isinstance(node, float):
        return node
    if isinstance(node, list):
        return [decode_value(v, blobs, depth + 1) for v in node]
    if not isinstance(node, dict) or len(node) == 0:
        raise CodecError(f"unexpected JSON value {type(node).__name__}")
    tag = next(iter(node))
    if tag == "$f" and node["$f"] in ("nan", "inf", "-inf"):
        return float(node["$f"])
    if tag == "$t":
        return tuple(decode_value(v, blobs, depth + 1) for v in _list(node["$t"]))
    if tag == "$d":
        out = {}
        for pair in _list(node["$d"]):
            if not isinstance(pair, list) or len(pair) != 2:
                raise CodecError("malformed dict entry")
            out[_hashable(decode_value(pair[0], blobs, depth + 1))] = decode_value(pair[1], blobs, depth + 1)
        return out
    if tag == "$a":
        array = _load_array(_blob(blobs, node["$a"]))
        return array[()] if node.get("scalar") and array.ndim == 0 else array
    if tag == "$dt" and isinstance(node["$dt"], str) and len(node["$dt"]) < 16:
        try:
            dtype = np.dtype(node["$dt"])
        except TypeError:
            raise CodecError(f"invalid dtype {node['$dt']!r}") from None
        if dtype.kind not in ARRAY_KINDS or dtype.fields:
            raise CodecError(f"refused dtype {dtype}")
        return dtype if node.get("instance") else dtype.type
    if tag == "$b":
        return bytes(_blob(blobs, node["$b"]))
    if tag == "$h" and isinstance(node["$h"], int) and isinstance(node.get("type"), str):
        return Handle(node["$h"], node["type"][:200])
    raise CodecError(f"unknown tag {tag!r}")


def _list(value) -> list:
    if not isinstance(value, list):
        raise CodecError("expected a list")
    return value


def _blob(blobs: list, index) -> bytes:
    if not isinstance(index, int) or not 0 <= index < len(blobs):
        raise CodecError("reference to a missing blob")
    return blobs[index]


def _load_array(data: bytes) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise CodecError(f"invalid array payload: {exc}") from None
    if type(array) is not np.ndarray or array.dtype.kind not in ARRAY_KINDS or array.dtype.fields:
        raise CodecError(f"refused array of dtype {array.dtype}")
    return array


def pack(message: dict, handle_for=None) -> bytes:
    """Frame a message: its ``"value"`` / ``"args"`` members may hold arrays and handles."""
    blobs: list[bytes] = []
    body = {k: encode_value(v, blobs, handle_for) for k, v in message.items()}
    body["blobs"] = [len(b) for b in blobs]
    text = json.dumps(body, allow_nan=False, separators=(",", ":")).encode()
    if len(text) > MAX_JSON or len(text) + sum(map(len, blobs)) > MAX_FRAME:
        raise CodecError("message too large")
    return b"".join([HEADER.pack(MAGIC, len(text)), text, *blobs])


def read_exact(read, n: int) -> bytes:
    """Read exactly ``n`` bytes with ``read(k)``; raise EOFError when the stream ends first."""
    chunks, got = [], 0
    while got < n:
        chunk = read(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("stream closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def unpack(read) -> dict:
    """Read one frame with ``read(k)`` and decode it strictly."""
    magic, length = HEADER.unpack(read_exact(read, HEADER.size))
    if magic != MAGIC:
        raise CodecError("bad frame header (not a grader frame)")
    if length > MAX_JSON:
        raise CodecError(f"frame header too large ({length} bytes)")
    try:
        body = json.loads(read_exact(read, length))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CodecError(f"frame is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise CodecError("frame is not a JSON object")
    sizes = body.pop("blobs", [])
    if not isinstance(sizes, list) or not all(isinstance(s, int) and s >= 0 for s in sizes) or sum(sizes) > MAX_FRAME:
        raise CodecError("bad blob table")
    blobs = [read_exact(read, s) for s in sizes]
    return {k: decode_value(v, blobs) for k, v in body.items()}
