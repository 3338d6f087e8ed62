"""The reference oracle without the reference: record its answers at release, replay them offline.

Students run the public checks with ``grader check`` but never receive the solution. At release
(:mod:`grader.core.solutions`) the public checks run once against the reference with a
:class:`Recorder` in place of the ``reference`` fixture: every attribute read and call on
reference objects is a *step*. A step is keyed by its structure only: the check, the object it is
made on, the operation (with the attribute or module name) and how many times that same step
happened before on that object. Under the key, the tape keeps one *variant* per distinct set of
arguments seen (the arguments themselves, stored as plain data) with the reference's answer: plain
data (arrays, numbers, tuples, dicts; stored with the jail's codec, no pickle) or "an object",
which later steps are made on. A variant also records how the call changed dict or array
arguments in place (batchnorm's ``bn_param``) and numpy's global random state, so replay leaves
the check's world exactly as the reference did.

Replay finds the variant whose arguments equal the check's within :data:`ARG_RTOL` /
:data:`ARG_ATOL` (the closest, when several do): inputs a check computes with numpy differ in
their last bits between CPUs, BLAS kernels and numpy releases, so nothing here depends on float
bits. The release also replays the checks against every catalogued mistake, recording the
answers that their failure paths ask for. In ``grader check`` a step with no matching variant
means the student's code took the checks somewhere the reference and the known mistakes never
went, and the check fails with a message saying so.
"""

from __future__ import annotations

import builtins
import hashlib
import inspect
import json
import math
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from grader.jail.codec import CodecError, Handle, decode_value, encode_value

ANSWERS = "answers.json"
BLOBS = "answers.npz"
OBJECT = "object"
FORMAT = 2
ARG_RTOL = 1e-7  # two arguments are the same input when every entry agrees to this relative
ARG_ATOL = 1e-10  # ... or absolute difference (BLAS kernels differ by about 1e-16 relative)


class NotRecorded(AssertionError):
    """The check asked the offline reference something it has no recorded answer for."""


class Tape:
    """Variants by step key: ``{"args": ..., "kind": "value"|"object"|"error", ...}`` with
    codec-encoded values; identical array blobs are stored once."""

    def __init__(self, steps: dict[str, list[dict]] | None = None, blobs: list | None = None) -> None:
        self.steps = steps or {}
        self.blobs = blobs or []
        self._index = {hashlib.sha256(b).digest(): i for i, b in enumerate(self.blobs)}

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"format": FORMAT, "steps": self.steps}, sort_keys=True, separators=(",", ":"))
        (folder / ANSWERS).write_text(text + "\n")
        # fixed member dates so a release is byte-for-byte reproducible on one machine
        with zipfile.ZipFile(folder / BLOBS, "w", zipfile.ZIP_DEFLATED) as zf:
            for i, blob in enumerate(self.blobs):
                zf.writestr(zipfile.ZipInfo(f"b{i}.npy", (2020, 1, 1, 0, 0, 0)), blob)

    @classmethod
    def load(cls, folder: Path) -> Tape:
        data = json.loads((folder / ANSWERS).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{folder / ANSWERS} was written by another grader version: release the assignment again")
        with zipfile.ZipFile(folder / BLOBS) as zf:
            blobs = [zf.read(f"b{i}.npy") for i in range(len(zf.namelist()))]
        return cls(data["steps"], blobs)

    def encode(self, value: Any) -> Any:
        fresh: list[bytes] = []
        node = encode_value(value, fresh)
        where = [self._store(b) for b in fresh]
        return _renumber(node, where)

    def _store(self, blob: bytes) -> int:
        key = hashlib.sha256(blob).digest()
        if key not in self._index:
            self._index[key] = len(self.blobs)
            self.blobs.append(blob)
        return self._index[key]

    def decode(self, node: Any) -> Any:
        return decode_value(node, self.blobs)

    def arguments(self, value: Any) -> Any:
        """The stored form of call arguments: plain data, proxies by key, the rest by type."""
        return self.encode(_pattern(value))

    def find(self, key: str, args: Any) -> tuple[int, dict] | None:
        """The recorded variant of step ``key`` whose arguments match ``args`` most closely."""
        best: tuple[float, int, dict] | None = None
        live = _pattern(args)
        for i, variant in enumerate(self.steps.get(key, [])):
            distance = _distance(live, self.decode(variant["args"]))
            if distance is not None and (best is None or distance < best[0]):
                best = (distance, i, variant)
        return None if best is None else best[1:]

    def add(self, key: str, args: Any, entry: dict) -> int:
        """Store ``entry`` as a new variant of ``key`` unless a matching one is there; its index."""
        found = self.find(key, args)
        if found is not None:
            return found[0]
        variants = self.steps.setdefault(key, [])
        variants.append({"args": self.arguments(args), **entry})
        return len(variants) - 1


def _renumber(node: Any, where: list[int]) -> Any:
    """Point a freshly encoded node's blob references at the tape's (deduplicated) blobs."""
    if isinstance(node, list):
        return [_renumber(v, where) for v in node]
    if isinstance(node, dict):
        if "$a" in node or "$b" in node:
            tag = "$a" if "$a" in node else "$b"
            return {**node, tag: where[node[tag]]}
        return {k: _renumber(v, where) for k, v in node.items()}
    return node


def _pattern(value: Any, depth: int = 0) -> Any:
    """Arguments as plain data: proxies become ``("$o", key)``, callables ``("$c",)``, anything
    else that is not plain data ``("$x", type name)``."""
    if depth > 40:
        return ("$x", "deep")
    if isinstance(value, (Recorded, Replayed)):
        return ("$o", object.__getattribute__(value, "_key"))
    if isinstance(value, (list, tuple)):
        return type(value)(_pattern(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return {k: _pattern(v, depth + 1) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str, bytes, np.ndarray, np.generic)):
        return value
    if callable(value):
        return ("$c",)
    return ("$x", type(value).__name__)


def _distance(live: Any, recorded: Any) -> float | None:
    """How far apart two argument patterns are (0 when equal), ``None`` when they differ beyond
    the tolerances or in structure, types, shapes, strings or integers."""
    if isinstance(live, (np.ndarray, np.generic)) or isinstance(recorded, (np.ndarray, np.generic)):
        return _array_distance(np.asarray(live), np.asarray(recorded))
    if isinstance(live, float) or isinstance(recorded, float):
        if (
            isinstance(live, bool)
            or isinstance(recorded, bool)
            or not isinstance(live, (int, float))
            or not isinstance(recorded, (int, float))
        ):
            return None
        return _array_distance(np.asarray(float(live)), np.asarray(float(recorded)))
    if type(live) is not type(recorded):
        return None
    if isinstance(live, (list, tuple)):
        if len(live) != len(recorded):
            return None
        return _most(_distance(a, b) for a, b in zip(live, recorded))
    if isinstance(live, dict):
        if set(live) != set(recorded):
            return None
        return _most(_distance(live[k], recorded[k]) for k in live)
    return 0.0 if live == recorded else None


def _most(distances) -> float | None:
    worst = 0.0
    for d in distances:
        if d is None:
            return None
        worst = max(worst, d)
    return worst


def _array_distance(a: np.ndarray, b: np.ndarray) -> float | None:
    if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
        return None
    if a.dtype.kind not in "fc":
        return 0.0 if np.array_equal(a, b) else None
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return None
    finite = np.isfinite(a) & np.isfinite(b)
    if not np.array_equal(a[~finite & ~np.isnan(a)], b[~finite & ~np.isnan(b)]):
        return None
    gap = np.abs(a[finite] - b[finite])
    if np.any(gap > ARG_ATOL + ARG_RTOL * np.abs(b[finite])):
        return None
    return float(gap.max()) if gap.size else 0.0


class _Counter:
    """Step keys within one check: the same step made twice on an object gets two keys."""

    def __init__(self, check: str) -> None:
        self.check = check
        self.seen: dict[str, int] = {}

    def key(self, parent: str, op: str, name: str) -> str:
        base = f"{self.check}|{parent}|{op}|{name}"
        n = self.seen.get(base, 0)
        self.seen[base] = n + 1
        return hashlib.sha256(f"{base}|{n}".encode()).hexdigest()[:32]


def _step_name(op: str, detail: Any) -> str:
    """What names a step apart from its arguments: an attribute, module or item name."""
    if op in ("getattr", "module"):
        return str(detail)
    if op == "setattr":
        return str(detail[0])
    if op == "getitem" and isinstance(detail, (str, int)) and not isinstance(detail, bool):
        return repr(detail)
    return ""


def _step_args(op: str, detail: Any) -> Any:
    if op == "call":
        return detail
    if op == "setattr":
        return detail[1]
    if op == "getitem" and not _step_name(op, detail):
        return detail
    return None


def _random_state() -> list:
    _, keys, pos, has_gauss, gauss = np.random.get_state()
    return [keys, int(pos), int(has_gauss), float(gauss)]


def _set_random_state(state: list) -> None:
    keys, pos, has_gauss, gauss = state
    np.random.set_state(("MT19937", np.asarray(keys, dtype=np.uint32), pos, has_gauss, gauss))


def _same_random_state(a: list, b: list) -> bool:
    return np.array_equal(a[0], b[0]) and a[1:3] == b[1:3] and (a[3] == b[3] or (math.isnan(a[3]) and math.isnan(b[3])))


def _mutable_args(args: tuple, kwargs: dict) -> dict[str, Any]:
    found = {str(i): a for i, a in enumerate(args) if isinstance(a, (dict, list, np.ndarray))}
    found.update({k: v for k, v in kwargs.items() if isinstance(v, (dict, list, np.ndarray))})
    return found


def _snapshot(value: Any) -> Any:
    """A deep copy of plain containers and arrays, to see later whether a call changed them."""
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_snapshot(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def _changed(before: Any, after: Any) -> bool:
    if type(before) is not type(after):
        return True
    if isinstance(after, np.ndarray):
        return (
            before.shape != after.shape
            or before.dtype != after.dtype
            or not np.array_equal(before, after, equal_nan=after.dtype.kind in "fc")
        )
    if isinstance(after, dict):
        return set(before) != set(after) or any(_changed(before[k], after[k]) for k in after)
    if isinstance(after, (list, tuple)):
        return len(before) != len(after) or any(_changed(a, b) for a, b in zip(before, after))
    return not (before is after or before == after)


def _plain(value: Any) -> bool:
    try:
        encode_value(value, [])
    except CodecError:
        return False
    return True


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
        key = counter.key(object.__getattribute__(self, "_key"), op, _step_name(op, detail))
        args = _snapshot(_step_args(op, detail))  # as they were before the call changed them
        before = {k: _snapshot(v) for k, v in (mutable or {}).items()}
        state = _random_state()
        try:
            value = compute()
        except Exception as exc:
            tape.add(key, args, {"kind": "error", "type": type(exc).__name__, "message": str(exc)[:500]})
            raise
        entry: dict[str, Any] = {"kind": "value"}
        if not _same_random_state(_random_state(), state):
            entry["random"] = tape.encode(_random_state())
        changed = {k: v for k, v in (mutable or {}).items() if _changed(before[k], v) and _plain(v)}
        if changed:
            entry["mutated"] = tape.encode(changed)
        if _plain(value):
            tape.add(key, args, {**entry, "value": tape.encode(value)})
            return value
        index = tape.add(key, args, {**entry, "kind": OBJECT})
        return Recorded(value, f"{key}/{index}", tape, counter)

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
        return self._step(
            "call", (args, kwargs), lambda: target(*real_args, **real_kwargs), _mutable_args(args, kwargs)
        )

    def __setattr__(self, name: str, value: Any) -> None:
        self._step(
            "setattr", (name, value), lambda: setattr(object.__getattribute__(self, "_target"), name, _unwrap(value))
        )

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
        key = counter.key(object.__getattribute__(self, "_key"), op, _step_name(op, detail))
        found = tape.find(key, _step_args(op, detail))
        if found is None:
            raise NotRecorded(
                f"the offline reference has no answer for {what} with these inputs: your code "
                "led this check where neither the reference nor a known mistake went. "
                "Your result is probably wrong here; the full grader gives the details."
            )
        index, entry = found
        if entry["kind"] == "error":
            raise _error(entry["type"], entry["message"])
        if "random" in entry:
            _set_random_state(tape.decode(entry["random"]))
        for name, state in tape.decode(entry.get("mutated", {"$d": []})).items():
            if mutable and name in mutable:
                _apply(mutable[name], state)
        if entry["kind"] == OBJECT:
            return Replayed(f"{key}/{index}", tape, counter)
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


def same_answers(a: Tape, b: Tape, rtol: float = 1e-9, atol: float = 1e-12) -> list[str]:
    """Where two tapes differ beyond float noise (the same release recorded on two machines):
    step keys and every non-float value must be equal, floats close. Empty when they agree."""
    if set(a.steps) != set(b.steps):
        return [f"steps only in one: {sorted(set(a.steps) ^ set(b.steps))[:5]}"]
    found = []
    for key in sorted(a.steps):
        if len(a.steps[key]) != len(b.steps[key]):
            found.append(f"{key}: {len(a.steps[key])} vs {len(b.steps[key])} variants")
            continue
        for i, (x, y) in enumerate(zip(a.steps[key], b.steps[key])):
            if not _close(_decoded(a, x), _decoded(b, y), rtol, atol):
                found.append(f"{key} variant {i}")
    return found


def _decoded(tape: Tape, variant: dict) -> dict:
    return {
        name: tape.decode(node) if name in ("args", "value", "random", "mutated") else node
        for name, node in variant.items()
    }


def _close(x: Any, y: Any, rtol: float, atol: float) -> bool:
    if isinstance(x, (np.ndarray, np.generic, float)) or isinstance(y, (np.ndarray, np.generic, float)):
        x, y = np.asarray(x), np.asarray(y)
        return (
            x.shape == y.shape
            and x.dtype == y.dtype
            and bool(
                np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True)
                if x.dtype.kind in "fc"
                else np.array_equal(x, y)
            )
        )
    if type(x) is not type(y):
        return False
    if isinstance(x, (list, tuple)):
        return len(x) == len(y) and all(_close(p, q, rtol, atol) for p, q in zip(x, y))
    if isinstance(x, dict):
        return set(x) == set(y) and all(_close(x[k], y[k], rtol, atol) for k in x)
    return x == y


__all__ = [
    "ARG_ATOL",
    "ARG_RTOL",
    "Handle",
    "NotRecorded",
    "RecordingReference",
    "ReplayingReference",
    "Tape",
    "same_answers",
]
