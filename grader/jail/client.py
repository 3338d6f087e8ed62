"""The grader's side of the jail: start a worker, fork a fresh child per check, talk plain data.

    with Worker(submission_dir, WorkerOptions()) as worker:
        with worker.session(seconds=30) as student:
            net = student.module("cs231n.classifiers.neural_net").TwoLayerNet(4, 10, 3, std=0.1)
            scores = net.loss(X)          # an ndarray, decoded with allow_pickle=False

Objects stay in the worker behind :class:`RemoteObject` handles. A hang kills the worker and
raises :class:`WorkerTimeout`; a crash raises :class:`WorkerDied`; a student exception raises
:class:`StudentError`. The next session starts a fresh worker when the last one died.
"""

from __future__ import annotations

import collections
import json
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from grader.core.errors import ProtocolError, StudentError, WorkerDied, WorkerError, WorkerTimeout
from grader.core.files import scratch_dir
from grader.jail import busy, codec
from grader.jail.cgroup import PidsGroup
from grader.jail.sandbox import (
    MOUNT_JAIL,
    Interpreter,
    JailLimits,
    apply_limits,
    hand_over,
    interpreter_paths,
    launch,
    resolve_level,
    unprivileged_uid,
)

RUNTIME_FILES = ("_worker.py", "codec.py", MOUNT_JAIL)
OUTPUT_LIMIT = 64 << 10


@dataclass(frozen=True)
class WorkerOptions:
    """How to run a worker: isolation, limits, time budgets and modules to import up front."""

    isolation: str | None = None
    limits: JailLimits = field(default_factory=JailLimits)
    call_seconds: float = 10.0
    startup_seconds: float = 60.0
    preload: tuple[str, ...] = ("numpy",)
    interpreter: Interpreter | None = None  # the students' environment (default: the grader's Python)
    # a student function that already ran out of time once gets this long in later checks
    rehang_seconds: float = 1.0


class _Output:
    """Drains the worker's stdout/stderr on a thread, keeping only the last ``OUTPUT_LIMIT`` bytes.

    The fork server writes ``codec.OUTPUT_FENCE`` after each check's child has exited; ``settle``
    waits for it, so a check's output is complete (and none of it is left for the next check)
    however the drain thread is scheduled."""

    def __init__(self, stream) -> None:
        self.chunks: collections.deque[bytes] = collections.deque()
        self.size = 0
        self.fences = 0
        self._carry = b""
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self.thread.start()

    def _drain(self, stream) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):
            pieces = (self._carry + chunk).split(codec.OUTPUT_FENCE)
            self._carry = _fence_prefix(pieces[-1])
            pieces[-1] = pieces[-1][: len(pieces[-1]) - len(self._carry)]
            with self.changed:
                for piece in pieces:
                    self._append(piece)
                self.fences += len(pieces) - 1
                self.changed.notify_all()
        with self.changed:
            self._append(self._carry)
            self.fences = -1  # end of stream: nobody waits any longer
            self.changed.notify_all()

    def _append(self, piece: bytes) -> None:
        if piece:
            self.chunks.append(piece)
            self.size += len(piece)
        while self.size > OUTPUT_LIMIT and len(self.chunks) > 1:
            self.size -= len(self.chunks.popleft())

    def settle(self, fences: int, seconds: float = 5.0) -> None:
        """Wait until ``fences`` end-of-check marks have been read (or the stream ended)."""
        with self.changed:
            self.changed.wait_for(lambda: self.fences < 0 or self.fences >= fences, timeout=seconds)

    def take(self) -> str:
        with self.changed:
            data = b"".join(self.chunks)[-OUTPUT_LIMIT:]
            self.chunks.clear()
            self.size = 0
        return data.decode("utf-8", errors="replace")


def _fence_prefix(data: bytes) -> bytes:
    """The longest end of ``data`` that may be the start of a fence split across two reads."""
    for n in range(min(len(codec.OUTPUT_FENCE) - 1, len(data)), 0, -1):
        if codec.OUTPUT_FENCE.startswith(data[-n:]):
            return data[-n:]
    return b""


class Worker:
    """One jailed fork server for one submission; owns its process and temporary folder."""

    def __init__(self, submission: Path, options: WorkerOptions = WorkerOptions()) -> None:
        self.submission = Path(submission)
        self.options = options
        self.isolation = resolve_level(options.isolation)
        self.proc: subprocess.Popen | None = None
        self._tmp: Path | None = None
        self._group: PidsGroup | None = None
        self.failed_imports: dict[str, WorkerError] = {}
        self.hung: set[str] = set()  # student functions (call paths) that ran out of time
        self._to_worker = self._from_worker = -1
        self._output: _Output | None = None
        self._children = 0  # checks' children that ended since the worker started
        self.starts = 0
        self.granted = 0.0  # seconds the last wait was extended because the machine was saturated

    # -- lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        self.starts += 1
        self._tmp = scratch_dir("grader-jail-")
        runtime = self._tmp / "runtime"
        runtime.mkdir()
        here = Path(__file__).parent
        for name in RUNTIME_FILES:
            shutil.copy(here / name, runtime / name)
        uid = unprivileged_uid(self.isolation, interpreter_paths(self.options.interpreter))
        if uid is not None:
            hand_over(uid, (self._tmp,), (self.submission.resolve(),))
        spec = launch(self.isolation, self.submission.resolve(), runtime, self.options.interpreter, uid)
        self._group = PidsGroup.create(self.options.limits.tasks)
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        config = {
            "in_fd": req_r,
            "out_fd": rep_w,
            "submission": spec.submission_in_jail,
            "preload": list(self.options.preload),
            "check_cpu_seconds": self.options.limits.cpu_seconds,
        }
        try:
            self.proc = subprocess.Popen(
                (self._group.prefix() if self._group else []) + spec.argv + [json.dumps(config)],
                env=spec.env,
                cwd=spec.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(req_r, rep_w),
                start_new_session=True,
                preexec_fn=lambda: apply_limits(self.options.limits),
            )
        finally:
            os.close(req_r)
            os.close(rep_w)
        self._to_worker, self._from_worker = req_w, rep_r
        self._output = _Output(self.proc.stdout)
        self._children = 0
        reply = self._receive(self.options.startup_seconds, "starting the worker")
        if "ready" not in reply:
            self._kill()
            raise ProtocolError("the worker did not start properly", "starting the worker")

    def _kill(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
            if self._output is not None:
                self._output.thread.join(timeout=1)
            self.proc = None
        for fd in (self._to_worker, self._from_worker):
            if fd >= 0:
                os.close(fd)
        self._to_worker = self._from_worker = -1
        if self._group is not None:
            self._group.close()
            self._group = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def close(self) -> None:
        """Stop the worker and remove its temporary files; safe to call twice."""
        self._kill()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        """What student code printed since the last call (bounded)."""
        return self._output.take() if self._output else ""

    def _child_ended(self) -> None:
        """The fork server reported a check's child gone: wait until all it printed is read."""
        self._children += 1
        if self._output is not None:
            self._output.settle(self._children)

    # -- framing -------------------------------------------------------------------------
    def _send(self, message: dict, what: str) -> None:
        try:
            data = codec.pack(message, handle_for=_handle_of)
        except codec.CodecError as exc:  # the check's own input: nothing was sent
            raise TypeError(f"a check cannot send this to student code: {exc}") from None
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._to_worker, view) :]
        except OSError:
            self._died(what)

    def _receive(self, seconds: float, what: str) -> dict:
        """The next reply, within ``seconds`` of wall time, plus what :mod:`.busy` grants while
        the machine is saturated (kept in ``self.granted`` for the check's own budget)."""
        deadline = time.monotonic() + seconds
        spare = busy.grace(seconds)
        self.granted = 0.0

        def read(n: int) -> bytes:
            nonlocal deadline, spare
            while True:
                ready, _, _ = select.select([self._from_worker], [], [], max(deadline - time.monotonic(), 0))
                if ready:
                    return os.read(self._from_worker, n)
                if spare <= 0 or self.proc is None or not busy.starved(self.proc.pid):
                    self._kill()
                    raise WorkerTimeout(f"timed out after {seconds:g} s in {what}", what)
                step = min(spare, max(seconds, 0.5))
                deadline, spare, self.granted = time.monotonic() + step, spare - step, self.granted + step

        try:
            return codec.unpack(read)
        except EOFError:
            self._died(what)
        except codec.CodecError as exc:
            self._kill()
            raise ProtocolError(f"invalid reply from student code in {what}: {exc}", what) from None

    def _died(self, what: str) -> NoReturn:
        code = self.proc.wait(timeout=5) if self.proc is not None else None
        self._kill()
        raise WorkerDied(f"{describe_exit(code, self.options.limits)} in {what}", what)

    # -- sessions ------------------------------------------------------------------------
    def session(self, seconds: float, call_seconds: float | None = None) -> Session:
        """Fork a fresh child for one check with a budget of ``seconds`` for all its calls, each
        limited to ``call_seconds`` (default: the worker's)."""
        if not self.alive:
            self._kill()
            self._start()
        self._send({"op": "fork"}, "starting the check")
        return Session(self, time.monotonic() + seconds, call_seconds or self.options.call_seconds)


def describe_exit(code: int | None, limits: JailLimits) -> str:
    if code is None:
        return "the worker stopped responding"
    if code < 0:
        return f"the worker was {_killed(-code, limits)}"
    return f"the worker exited with code {code}"


def _handle_of(value):
    if isinstance(value, RemoteObject):
        return object.__getattribute__(value, "_handle")
    raise codec.CodecError(f"cannot send a {type(value).__name__} to student code")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def child_exit_message(exited: dict, limits: JailLimits) -> str:
    """Why the check's child process ended, as the server reported it."""
    if "signal" not in exited:
        return f"student code ended the process (exit code {exited.get('code')})"
    return f"student code was {_killed(int(exited['signal']), limits)}"


def _killed(number: int, limits: JailLimits) -> str:
    """How a process killed by signal ``number`` died, in the student's terms."""
    if number == signal.SIGXCPU:
        return f"killed: CPU time limit {limits.cpu_seconds} s"
    if number == signal.SIGKILL:
        return "killed by SIGKILL (memory or process limit, or it killed itself)"
    return f"killed by {_signal_name(number)}"


class Session:
    """One check's view of the student: a forked child with a time budget."""

    def __init__(self, worker: Worker, deadline: float, call_seconds: float) -> None:
        self.worker = worker
        self.deadline = deadline
        self.call_seconds = call_seconds
        self.open = True

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, message: dict, what: str) -> Any:
        if not self.open:
            raise WorkerDied("this check's student process has already ended", what)
        w = self.worker
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            w._kill()
            self.open = False
            raise WorkerTimeout("the check's time budget was used up", what)
        seconds = min(self.call_seconds, remaining)
        again = what in w.hung and message.get("op") == "call"
        if again:  # it never returned once: a hang costs one check's limit, not every check's
            seconds = min(seconds, w.options.rehang_seconds)
        try:
            w._send(message, what)
            reply = w._receive(seconds, what)
            self.deadline += w.granted
        except WorkerTimeout:
            self.open = False
            w.hung.add(what)
            if again:
                raise WorkerTimeout(
                    f"timed out: {what} ran out of time in an earlier check, so each call "
                    f"had {w.options.rehang_seconds:g} s here",
                    what,
                ) from None
            if seconds < self.call_seconds:  # the check's limit (derived, so in time_limit), not the call's
                raise WorkerTimeout(f"timed out: the check's time limit ran out in {what}", what) from None
            raise
        except (WorkerDied, ProtocolError):
            self.open = False
            raise
        if "exited" in reply:
            self.open = False
            w._child_ended()
            raise WorkerDied(f"{child_exit_message(reply['exited'], w.options.limits)} in {what}", what)
        if "error" in reply and isinstance(reply["error"], dict):
            raise StudentError.from_reply(reply["error"], what)
        if "ok" not in reply:
            w._kill()
            self.open = False
            raise ProtocolError(f"invalid reply from student code in {what}", what)
        return self._wrap(reply["ok"], what)

    def _wrap(self, value: Any, what: str) -> Any:
        if isinstance(value, codec.Handle):
            return RemoteObject(self, value, value.type if value.type != "module" else what)
        if isinstance(value, list):
            return [self._wrap(v, what) for v in value]
        if isinstance(value, tuple):
            return tuple(self._wrap(v, what) for v in value)
        if isinstance(value, dict):
            return {k: self._wrap(v, what) for k, v in value.items()}
        return value

    def module(self, name: str) -> RemoteObject:
        """Import a student module (e.g. ``cs231n.layers``) and return a handle to it. An import
        that hung or crashed once is not tried again by later checks: they fail at once."""
        failed = self.worker.failed_imports.get(name)
        if failed is not None:
            raise type(failed)(f"{failed} (in an earlier check; not tried again)", failed.what)
        try:
            module = self.request({"op": "import", "name": name}, f"importing {name}")
        except (WorkerTimeout, WorkerDied) as exc:
            self.worker.failed_imports[name] = exc
            raise
        object.__setattr__(module, "_path", name.rsplit(".", 1)[-1])
        return module

    def hold(self, value: Any) -> RemoteObject:
        """Send plain ``value`` (e.g. a ``bn_param`` dict) and keep it in the worker, so that
        student code can mutate it and the check can ``fetch()`` it afterwards."""
        return self.request({"op": "hold", "value": value}, "sending a value")

    def seed(self, value: int) -> None:
        """``np.random.seed(value)`` and ``random.seed(value)`` in the student's process."""
        self.request({"op": "seed", "value": int(value)}, "seeding numpy")

    def close(self) -> None:
        """End the child; a worker that misbehaves here is killed and restarted next time."""
        if not self.open:
            return
        self.open = False
        w = self.worker
        try:
            w._send({"op": "end"}, "ending the check")
            w._receive(5, "ending the check")
            exited = w._receive(5, "ending the check")
            if "exited" not in exited:
                w._kill()
            else:
                w._child_ended()
        except (WorkerTimeout, WorkerDied, ProtocolError):
            pass


class RemoteObject:
    """A student object that stays in the worker; attribute, item and call access go over the wire."""

    __slots__ = ("_handle", "_path", "_session")

    def __init__(self, session: Session, handle: codec.Handle, path: str) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_path", path)

    def _ask(self, message: dict, what: str) -> Any:
        message["target"] = object.__getattribute__(self, "_handle")
        return object.__getattribute__(self, "_session").request(message, what)

    def _sub(self, suffix: str) -> str:
        return object.__getattribute__(self, "_path") + suffix

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        path = name if self.remote_type == "module" else self._sub("." + name)
        value = self._ask({"op": "getattr", "name": name}, path)
        if isinstance(value, RemoteObject):
            object.__setattr__(value, "_path", path)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        self._ask({"op": "setattr", "name": name, "value": value}, self._sub("." + name))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._ask({"op": "call", "args": list(args), "kwargs": kwargs}, self._sub(""))

    def __getitem__(self, key: Any) -> Any:
        return self._ask({"op": "getitem", "key": key}, self._sub(f"[{key!r}]"))

    def __setitem__(self, key: Any, value: Any) -> None:
        self._ask({"op": "setitem", "key": key, "value": value}, self._sub(f"[{key!r}]"))

    def __len__(self) -> int:
        return int(self._ask({"op": "len"}, self._sub("")))

    def keys(self) -> list:
        return list(self._ask({"op": "keys"}, self._sub(".keys()")))

    def fetch(self) -> Any:
        """The whole object by value (plain data only; nested objects come back as handles)."""
        return self._ask({"op": "fetch"}, self._sub(""))

    def attributes(self) -> list[str]:
        return list(self._ask({"op": "dir"}, self._sub("")))

    def parameters(self) -> list[str]:
        """Parameter names of a remote callable (``inspect.signature``)."""
        return list(self._ask({"op": "signature"}, self._sub("")))

    @property
    def remote_type(self) -> str:
        return object.__getattribute__(self, "_handle").type

    def __repr__(self) -> str:
        return f"<student {self.remote_type} {object.__getattribute__(self, '_path')}>"
