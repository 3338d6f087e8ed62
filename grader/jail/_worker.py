"""The jailed worker: a fork server that runs student code and answers in plain data.

Started by the grader as ``python -I -u _worker.py CONFIG_JSON`` inside the jail, next to a copy
of ``codec.py`` (unbuffered: a crash loses nothing the student printed). It never imports
``grader``. The server imports numpy (and the packages the assignment preloads), then loops:
for each check the grader sends ``fork``; the child serves that check's requests on the same
pipes until ``end`` or death, and the server reports how the child ended. Every check therefore
starts from a fresh copy of this process.
"""

import importlib
import inspect
import json
import os
import random
import resource
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script dir out
import codec

CONFIG = json.loads(sys.argv[1])
IN_FD, OUT_FD = CONFIG["in_fd"], CONFIG["out_fd"]
ROOT = os.path.realpath(CONFIG["submission"])
_reader = os.fdopen(IN_FD, "rb", buffering=0)


def send(message, handle_for=None):
    data = codec.pack(message, handle_for)
    view = memoryview(data)
    while view:
        written = os.write(OUT_FD, view)
        view = view[written:]


def receive():
    return codec.unpack(_reader.read)


class Table:
    """Objects the grader holds handles to; ids are never reused within a child."""

    def __init__(self):
        self.objects, self.next_id = {}, 1

    def add(self, obj):
        h = codec.Handle(self.next_id, type(obj).__name__)
        self.objects[h.id] = obj
        self.next_id += 1
        return h

    def get(self, value):
        if isinstance(value, codec.Handle):
            if value.id not in self.objects:
                raise LookupError("stale handle %d" % value.id)
            return self.objects[value.id]
        if isinstance(value, list):
            return [self.get(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.get(v) for v in value)
        if isinstance(value, dict):
            return {k: self.get(v) for k, v in value.items()}
        return value


def is_leaf(value):
    """Plain values that always travel by value, even from getattr / getitem."""
    kind = type(value)
    if value is None or kind in (bool, int, float, str, bytes):
        return True
    import numpy

    return kind is numpy.ndarray or (isinstance(value, numpy.generic) and kind.__module__ == "numpy")


def student_traceback(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if os.path.isabs(f.filename) and os.path.realpath(f.filename).startswith(ROOT + os.sep)]
    lines = [
        "%s:%d in %s: %s" % (os.path.relpath(f.filename, ROOT), f.lineno, f.name, (f.line or "").strip())
        for f in mine[-10:]
    ]
    if isinstance(exc, SyntaxError) and exc.filename:
        lines.append(
            "%s:%s: %s"
            % (
                os.path.relpath(os.path.realpath(exc.filename), ROOT) if os.path.isabs(exc.filename) else exc.filename,
                exc.lineno,
                (exc.text or "").strip(),
            )
        )
    return lines


def serve_request(table, request):
    op = request["op"]
    target = table.get(request.get("target"))
    if op == "import":
        return importlib.import_module(request["name"]), "ref"
    if op == "getattr":
        return getattr(target, request["name"]), "ref"
    if op == "setattr":
        setattr(target, request["name"], table.get(request["value"]))
        return None, "value"
    if op == "getitem":
        return target[table.get(request["key"])], "ref"
    if op == "setitem":
        target[table.get(request["key"])] = table.get(request["value"])
        return None, "value"
    if op == "call":
        return target(*table.get(request["args"]), **table.get(request["kwargs"])), "value"
    if op == "fetch":
        return target, "value"
    if op == "hold":
        return table.get(request["value"]), "ref"
    if op == "len":
        return len(target), "value"
    if op == "keys":
        return list(target.keys()), "value"
    if op == "dir":
        return sorted(dir(target)), "value"
    if op == "signature":
        return list(inspect.signature(target).parameters), "value"
    if op == "seed":
        import numpy

        numpy.random.seed(request["value"])
        random.seed(request["value"])
        return None, "value"
    if op == "release":
        table.objects.pop(request["target"].id, None)
        return None, "value"
    raise ValueError("unknown operation %r" % op)


def reply_value(table, value, mode):
    if mode == "ref" and not is_leaf(value):
        send({"ok": table.add(value)})
    else:
        try:
            send({"ok": value}, handle_for=table.add)
        except codec.CodecError:
            send({"ok": table.add(value)})


def flush_and_exit():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    send({"ok": None})
    os._exit(0)


def serve_child():
    """Serve one check: fresh handle table, CPU limit, deterministic RNG."""
    cpu = CONFIG.get("check_cpu_seconds")
    if cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (int(cpu), int(cpu) + 1))
    import numpy

    numpy.random.seed(0)
    random.seed(0)
    table = Table()
    while True:
        request = receive()
        if request.get("op") == "end":
            flush_and_exit()
        try:
            value, mode = serve_request(table, request)
        except BaseException as exc:  # student code may raise anything, SystemExit included
            send(
                {"error": {"ename": type(exc).__name__, "evalue": str(exc)[:2000], "traceback": student_traceback(exc)}}
            )
            continue
        reply_value(table, value, mode)


def die_with_parent(parent):
    """SIGKILL this child when the worker dies (which dies with the grader), so killing the grader
    never leaves student code running."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)  # libc is loaded already
        libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the worker died before the request took effect
        os._exit(0)


def write_fence():
    """Mark the end of a check's output on stdout: the child has exited, so everything it wrote
    is in the pipe before this (the grader waits for the mark before taking the output)."""
    data = codec.OUTPUT_FENCE
    while data:
        try:
            data = data[os.write(1, data) :]
        except OSError:
            return


def main():
    os.chdir(ROOT)
    sys.path.insert(0, ROOT)
    for name in CONFIG.get("preload", []):
        try:
            importlib.import_module(name)
        except Exception:
            pass
    send({"ready": os.getpid()})
    while True:
        request = receive()
        if request.get("op") != "fork":
            os._exit(0)
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                die_with_parent(parent)
                serve_child()
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        write_fence()
        if os.WIFSIGNALED(status):
            send({"exited": {"signal": os.WTERMSIG(status)}})
        else:
            send({"exited": {"code": os.WEXITSTATUS(status)}})


if __name__ == "__main__":
    main()
