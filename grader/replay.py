"""The reference oracle without the reference: record its answers at release, replay them offline.

Students run the public checks with ``grader check`` but never receive the solution. At release
(:mod:`grader.release`) the public checks run once against the reference with a
:class:`Recorder` in place of the ``reference`` fixture: every attribute read and call on
reference objects is a *step*, keyed by the check, the object it is made on, the operation,
a digest of the arguments and how many times that same step happened before. A step's answer
is plain data (arrays, numbers, tuples, dicts; stored with the jail's codec, no pickle) or
"an object", which later steps are made on; the step also records how it changed dict or array
arguments in place (batchnorm's ``bn_param``) and numpy's global random state, so replay leaves
the check's world exactly as the reference did.

The release also replays the checks against every catalogued mistake, recording the answers that
their failure paths ask for. In ``grader check`` a :class:`Replayer` answers from the tape; a step
that was never recorded means the student's code took the checks somewhere the reference and the
known mistakes never went, and the check fails with a message saying so.
"""

from __future__ import annotations

import builtins
import hashlib
import inspect
import json
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .jail.codec import CodecError, Handle, decode_value, encode_value

ANSWERS = "answers.json"
BLOBS = "answers.npz"
OBJECT = "object"


class NotRecorded(AssertionError):
    """The check asked the offline reference something it has no recorded answer for."""


def digest(value: Any) -> str:
    """A stable digest of plain data; objects on the tape by their step key."""
    h = hashlib.sha256()
    _feed(h, value, 0)
    return h.hexdigest()[:24]


def _feed(h, value: Any, depth: int) -> None:
    if depth > 40:
        h.update(b"<deep>")
    elif isinstance(value, (Recorded, Replayed)):
        h.update(b"obj:" + object.__getattribute__(value, "_key").encode())
    elif isinstance(value, np.ndarray):
        h.update(f"arr:{value.dtype.str}:{value.shape}:".encode() + np.ascontiguousarray(value).tobytes())
    elif isinstance(value, np.generic):
        _feed(h, np.asarray(value), depth + 1)
    elif isinstance(value, (list, tuple)):
        h.update(f"{type(value).__name__}:{len(value)}:".encode())
        for item in value:
            _feed(h, item, depth + 1)
    elif isinstance(value, dict):
        h.update(f"dict:{len(value)}:".encode())
        for key in sorted(value, key=repr):
            _feed(h, key, depth + 1)
            _feed(h, value[key], depth + 1)
    elif callable(value):
        h.update(b"callable")  # what it computes cannot be digested; replay assumes the recorded one
    else:
        h.update(f"{type(value).__name__}:{value!r}".encode())


def _plain(value: Any) -> bool:
    try:
        encode_value(value, [])
    except CodecError:
        return False
    return True


class Tape:
    """Answers by step key: ``{"kind": "value"|"object"|"error", ...}`` with codec-encoded values."""

    def __init__(self, steps: dict[str, dict] | None = None, blobs: list | None = None) -> None:
        self.steps = steps or {}
        self.blobs = blobs or []

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ANSWERS).write_text(json.dumps(self.steps, sort_keys=True, separators=(",", ":")) + "\n")
        # fixed member dates so a release is byte-for-byte reproducible
        with zipfile.ZipFile(folder / BLOBS, "w", zipfile.ZIP_DEFLATED) as zf:
            for i, blob in enumerate(self.blobs):
                zf.writestr(zipfile.ZipInfo(f"b{i}.npy", (2020, 1, 1, 0, 0, 0)), blob)

    @classmethod
    def load(cls, folder: Path) -> "Tape":
        steps = json.loads((folder / ANSWERS).read_text(encoding="utf-8"))
        with zipfile.ZipFile(folder / BLOBS) as zf:
            blobs = [zf.read(f"b{i}.npy") for i in range(len(zf.namelist()))]
        return cls(steps, blobs)

    def put(self, key: str, entry: dict) -> None:
        self.steps.setdefault(key, entry)

    def encode(self, value: Any) -> Any:
        return encode_value(value, self.blobs)

    def decode(self, node: Any) -> Any:
        return decode_value(node, self.blobs)


class _Counter:
    """Step keys within one check: the same step made twice gets two keys."""

    def __init__(self, check: str) -> None:
        self.check = check
        self.seen: dict[str, int] = {}

    def key(self, parent: str, op: str, detail: Any) -> str:
        base = f"{self.check}|{parent}|{op}|{digest(detail)}"
        n = self.seen.get(base, 0)
        self.seen[base] = n + 1
        return hashlib.sha256(f"{base}|{n}".encode()).hexdigest()[:32]


def _random_state() -> list:
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    return [keys, int(pos), int(has_gauss), float(gauss)]


def _set_random_state(state: list) -> None:
    keys, pos, has_gauss, gauss = state
    np.random.set_state(("MT19937", np.asarray(keys, dtype=np.uint32), pos, has_gauss, gauss))


def _mutable_args(args: tuple, kwargs: dict) -> dict[str, Any]:
    found = {str(i): a for i, a in enumerate(args) if isinstance(a, (dict, list, np.ndarray))}
    found.update({k: v for k, v in kwargs.items() if isinstance(v, (dict, list, np.ndarray))})
    return found


def _apply(target: Any, state: Any) -> None:
    if isinstance(target, dict):
        target.clear()
        target.update(state)
    elif isinstance(target, list):
        target[:] = state
    elif isinstance(target, np.ndarray):
        target[...] = state


class Recorded:
    """A reference object (or module) whose every use is written to the tape."""

    def __init__(self, target: Any, key: str, tape: Tape, counter: _Counter) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_tape", tape)
        object.__setattr__(self, "_counter", counter)

    def _step(self, op: str, detail: Any, compute, mutable: dict | None = None) -> Any:
        tape, counter = object.__getattribute__(self, "_tape"), object.__getattribute__(self, "_counter")
        key = counter.key(object.__getattribute__(self, "_key"), op, detail)
        before = {k: digest(v) for k, v in (mutable or {}).items()}
        state = digest(_random_state())
        try:
            value = compute()
        except Exception as exc:
            tape.put(key, {"kind": "error", "type": type(exc).__name__, "message": str(exc)[:500]})
            raise
        entry: dict[str, Any] = {"kind": "value"}
        if digest(_random_state()) != state:
            entry["random"] = tape.encode(_random_state())
        changed = {k: v for k, v in (mutable or {}).items() if digest(v) != before[k] and _plain(v)}
        if changed:
            entry["mutated"] = tape.encode(changed)
        if _plain(value):
            entry["value"] = tape.encode(value)
            tape.put(key, entry)
            return value
        tape.put(key, {**entry, "kind": OBJECT})
        return Recorded(value, key, tape, counter)

    def __getattr__(self, name: str) -> Any:
        _no_dunder(name)
        target = object.__getattribute__(self, "_target")
        return self._step("getattr", name, lambda: getattr(target, name))

    @property
    def __signature__(self) -> inspect.Signature:
        target = object.__getattribute__(self, "_target")
        return _signature(self._step("signature", None, lambda: list(inspect.signature(target).parameters)))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        target = object.__getattribute__(self, "_target")
        real_args = tuple(_unwrap(a) for a in args)
        real_kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        return self._step("call", (args, kwargs), lambda: target(*real_args, **real_kwargs),
                          _mutable_args(args, kwargs))

    def __setattr__(self, name: str, value: Any) -> None:
        self._step("setattr", (name, value), lambda: setattr(object.__getattribute__(self, "_target"),
                                                             name, _unwrap(value)))

    def __getitem__(self, item: Any) -> Any:
        target = object.__getattribute__(self, "_target")
        return self._step("getitem", item, lambda: target[item])


def _no_dunder(name: str) -> None:
    """Python's and numpy's probes (``__array__``, ``__len__``...) are not steps: a proxy has none."""
    if name.startswith("__") and name.endswith("__"):
        raise AttributeError(name)


def _signature(names: list[str]) -> inspect.Signature:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature([inspect.Parameter(n, kind) for n in names])


def _error(name: str, message: str) -> Exception:
    """The reference's exception again: builtin types as themselves (``hasattr`` needs its
    AttributeError), others as RuntimeError."""
    kind = getattr(builtins, name, None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        return kind(message)
    return RuntimeError(f"the reference raised {name}: {message}")


def _unwrap(value: Any) -> Any:
    """The real objects behind proxies; containers are rebuilt only when they hold a proxy, so
    a dict the reference updates in place (``bn_param``) is the check's own dict."""
    if isinstance(value, Recorded):
        return object.__getattribute__(value, "_target")
    if isinstance(value, (list, tuple)) and any(isinstance(v, Recorded) for v in value):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict) and any(isinstance(v, Recorded) for v in value.values()):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


class Replayed:
    """Stands where a reference object stood at release: answers each step from the tape."""

    def __init__(self, key: str, tape: Tape, counter: _Counter) -> None:
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_tape", tape)
        object.__setattr__(self, "_counter", counter)

    def _step(self, op: str, detail: Any, what: str, mutable: dict | None = None) -> Any:
        tape, counter = object.__getattribute__(self, "_tape"), object.__getattribute__(self, "_counter")
        key = counter.key(object.__getattribute__(self, "_key"), op, detail)
        entry = tape.steps.get(key)
        if entry is None:
            raise NotRecorded(f"the offline reference has no answer for {what} with these inputs: your code "
                              "led this check where neither the reference nor a known mistake went. "
                              "Your result is probably wrong here; the full grader gives the details.")
        if entry["kind"] == "error":
            raise _error(entry["type"], entry["message"])
        if "random" in entry:
            _set_random_state(tape.decode(entry["random"]))
        for name, state in tape.decode(entry.get("mutated", {"$d": []})).items():
            if mutable and name in mutable:
                _apply(mutable[name], state)
        if entry["kind"] == OBJECT:
            return Replayed(key, tape, counter)
        return tape.decode(entry["value"])

    def __getattr__(self, name: str) -> Any:
        _no_dunder(name)
        return self._step("getattr", name, f"reading .{name}")

    @property
    def __signature__(self) -> inspect.Signature:
        return _signature(self._step("signature", None, "its signature"))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._step("call", (args, kwargs), "a call", _mutable_args(args, kwargs))

    def __setattr__(self, name: str, value: Any) -> None:
        self._step("setattr", (name, value), f"setting .{name}")

    def __getitem__(self, item: Any) -> Any:
        return self._step("getitem", item, f"reading [{item!r}]")


class RecordingReference:
    """The ``reference`` fixture at release: the real reference, every use recorded."""

    def __init__(self, reference, tape: Tape, check: str) -> None:
        self._reference = reference
        self._tape = tape
        self._counter = _Counter(check)

    def module(self, name: str) -> Any:
        root = Recorded(self, "root", self._tape, self._counter)
        return root._step("module", name, lambda: self._reference.module(name))

    def seed(self, value: int) -> None:
        np.random.seed(value)
        random.seed(value)

    def hold(self, value: Any) -> Any:
        return value


class ReplayingReference:
    """The ``reference`` fixture in ``grader check``: the same interface, answered from the tape."""

    def __init__(self, tape: Tape, check: str) -> None:
        self._root = Replayed("root", tape, _Counter(check))

    def module(self, name: str) -> Any:
        return self._root._step("module", name, f"module {name}")

    def seed(self, value: int) -> None:
        np.random.seed(value)
        random.seed(value)

    def hold(self, value: Any) -> Any:
        return value


__all__ = ["Handle", "NotRecorded", "RecordingReference", "ReplayingReference", "Tape", "digest"]
