"""The plain-data wire format: round trips, and refusal of anything that is not plain data."""

from __future__ import annotations

import io
import json
import pickle

import numpy as np
import pytest

from grader.jail import codec


def roundtrip(message):
    data = codec.pack(message)
    return codec.unpack(io.BytesIO(data).read)


def test_roundtrip_of_plain_values():
    value = {"a": [1, 2.5, None, True, "x", (3, 4)], 5: {"nested": np.arange(6).reshape(2, 3)},
             (1, 2): float("nan"), "inf": float("-inf"), "scalar": np.float32(1.5),
             "dtype": np.float64, "bytes": b"\x00\xff"}
    back = roundtrip({"ok": value})["ok"]
    assert back["a"] == [1, 2.5, None, True, "x", (3, 4)]
    assert np.array_equal(back[5]["nested"], np.arange(6).reshape(2, 3))
    assert np.isnan(back[(1, 2)]) and back["inf"] == float("-inf")
    assert type(back["scalar"]) is np.float32 and back["scalar"] == 1.5
    assert back["dtype"] is np.float64 and back["bytes"] == b"\x00\xff"


def test_objects_need_a_handle():
    with pytest.raises(codec.CodecError, match="cannot send a object"):
        codec.pack({"ok": object()})
    handles = []
    data = codec.pack({"ok": [object()]}, handle_for=lambda o: handles.append(o) or codec.Handle(7, "object"))
    back = codec.unpack(io.BytesIO(data).read)["ok"][0]
    assert isinstance(back, codec.Handle) and back.id == 7


def test_array_subclasses_and_object_arrays_are_not_plain():
    class Sneaky(np.ndarray):
        pass

    with pytest.raises(codec.CodecError):
        codec.pack({"ok": np.zeros(3).view(Sneaky)})
    with pytest.raises(codec.CodecError):
        codec.pack({"ok": np.array([object()], dtype=object)})


def frame(body: dict, blobs=()) -> bytes:
    body = dict(body, blobs=[len(b) for b in blobs])
    text = json.dumps(body).encode()
    return codec.HEADER.pack(codec.MAGIC, len(text)) + text + b"".join(blobs)


@pytest.mark.parametrize("data,message", [
    (b"XXXX\x00\x00\x00\x02{}", "bad frame header"),
    (codec.HEADER.pack(codec.MAGIC, 1 << 30), "too large"),
    (codec.HEADER.pack(codec.MAGIC, 3) + b"{x}", "not valid JSON"),
    (frame({"ok": {"$eval": "1+1"}}), "unknown tag"),
    (frame({"ok": {"$a": 3}}), "missing blob"),
    (frame({"ok": {"$a": 0}}, [pickle.dumps([1, 2])]), "invalid array payload"),
    (frame({"ok": {"$dt": "O"}}), "refused dtype"),
])
def test_malformed_frames_are_refused(data, message):
    with pytest.raises(codec.CodecError, match=message):
        codec.unpack(io.BytesIO(data).read)


def test_pickled_object_array_is_never_loaded():
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(codec.CodecError):
        codec.unpack(io.BytesIO(frame({"ok": {"$a": 0}}, [buf.getvalue()])).read)


def test_truncated_stream_is_eof():
    data = codec.pack({"ok": np.zeros(10)})
    with pytest.raises(EOFError):
        codec.unpack(io.BytesIO(data[:-5]).read)
