"""A Jupyter kernel started inside the jail.

The kernel is ipykernel on the grader's interpreter, launched through the same sandbox as the
worker (bubblewrap, else ``unshare``, else rlimits only) with ``prlimit`` limits and a scrubbed
environment. It talks ZMQ over the ``ipc`` transport: unix sockets in a folder bound writable
into the jail at the same path, which works across network namespaces where loopback TCP cannot.
The notebook's folder in the submission copy is its working directory; the dataset is bound
read-only where the notebook expects it; ``/content`` (Colab's home), ``/tmp`` and ``HOME`` are
private tmpfs folders (without a jail: private folders, and the Colab shim maps ``/content``).
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from jupyter_client import AsyncKernelManager

from grader.jail.cgroup import PidsGroup
from grader.jail.sandbox import (
    JAILED,
    RUNTIME_IN_JAIL,
    SUBMISSION_IN_JAIL,
    Interpreter,
    JailLimits,
    Mount,
    death_prefix,
    drop_prefix,
    hand_over,
    interpreter_paths,
    limits_prefix,
    private_env,
    scrubbed_env,
    unprivileged_uid,
)
from grader.jail.sandbox import jail_prefix as sandbox_prefix

KERNEL_TASKS = 256  # ipykernel and zmq run a dozen threads; each thread counts as a task


@dataclass(frozen=True)
class KernelJail:
    """Where the kernel runs and what it may see."""

    level: str
    submission: Path  # the private copy (host path)
    notebook_dir: str  # relative to the submission
    runtime: Path  # read-only helper files (host path), /grader-runtime in bwrap
    sockets: Path  # writable folder for the connection file, sockets and exports
    limits: JailLimits
    dataset: Path | None = None
    dataset_path: str = ""  # where the notebook expects the dataset, relative to the submission
    interpreter: Interpreter | None = None  # the students' environment (default: the grader's Python)

    @property
    def root_in_jail(self) -> str:
        return SUBMISSION_IN_JAIL if self.level in JAILED else str(self.submission)

    @property
    def runtime_in_jail(self) -> str:
        return RUNTIME_IN_JAIL if self.level in JAILED else str(self.runtime)

    @property
    def content_in_jail(self) -> str:
        """Where Colab's ``/content`` is: a private tmpfs, or a private folder without a jail."""
        return "/content" if self.level in JAILED else str(self.sockets / "content")


def _env_args(env: dict[str, str]) -> list[str]:
    return ["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in env.items())]


def kernel_uid(jail: KernelJail) -> int | None:
    """The user the kernel runs as without a jail when the grader is root (see
    :func:`.sandbox.unprivileged_uid`): it must reach the interpreter and the dataset."""
    dataset = (jail.dataset,) if jail.dataset else ()
    return unprivileged_uid(jail.level, (*interpreter_paths(jail.interpreter), *dataset))


def jail_prefix(jail: KernelJail, uid: int | None = None) -> list[str]:
    """The command prefix that puts the kernel command in the jail (as ``uid`` without one)."""
    if jail.level not in JAILED:
        env = private_env(jail.sockets)
        env["IPYTHONDIR"] = f"{env['HOME']}/.ipython"
        _link_dataset(jail)
        if uid is None:
            return death_prefix() + limits_prefix(jail.limits) + _env_args(env)
        hand_over(uid, (jail.submission, jail.sockets), (jail.runtime,))
        return limits_prefix(jail.limits) + drop_prefix(uid) + _env_args(env)
    env = scrubbed_env("/tmp")
    env["IPYTHONDIR"] = "/tmp/.ipython"
    extra = [Mount("rw", str(jail.sockets), str(jail.sockets))]
    if jail.dataset is not None and jail.dataset_path:
        extra.append(Mount("ro", f"{SUBMISSION_IN_JAIL}/{jail.dataset_path}", str(jail.dataset)))
    chdir = f"{SUBMISSION_IN_JAIL}/{jail.notebook_dir}".rstrip("/.") or SUBMISSION_IN_JAIL
    return (
        limits_prefix(jail.limits)
        + sandbox_prefix(jail.level, jail.submission, jail.runtime, tuple(extra), chdir, True, jail.interpreter)
        + _env_args(env)
    )


def _link_dataset(jail: KernelJail) -> None:
    """Without bubblewrap the dataset is linked into the submission copy (unless it has one)."""
    if jail.dataset is None or not jail.dataset_path:
        return
    target = jail.submission / jail.dataset_path
    if not target.exists() and not target.is_symlink():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(jail.dataset, target_is_directory=True)


class JailedKernelManager(AsyncKernelManager):
    """An (async, as nbclient expects) KernelManager whose kernel command runs in a :class:`KernelJail`."""

    def __init__(self, jail: KernelJail, **kwargs) -> None:
        super().__init__(
            kernel_name="python3",
            transport="ipc",
            ip=str(jail.sockets / "kernel"),
            connection_file=str(jail.sockets / "kernel.json"),
            **kwargs,
        )
        self.group = PidsGroup.create(KERNEL_TASKS)
        self.uid = kernel_uid(jail)
        self._jail_prefix = (self.group.prefix() if self.group else []) + jail_prefix(jail, self.uid)
        self._python = jail.interpreter.python if jail.interpreter else None
        # Signals cannot cross into bubblewrap's session: ask the kernel to interrupt itself.
        spec = self.kernel_spec
        assert spec is not None  # the kernel manager found the kernel spec it was created with
        spec.interrupt_mode = "message"

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if self.uid is not None:  # the kernel, run as that user, reads it
            os.chown(self.connection_file, self.uid, self.uid)

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        if self._python and command and command[0] == sys.executable:
            command = [self._python, *command[1:]]  # ipykernel of the students' environment
        return self._jail_prefix + command

    def release(self) -> None:
        """Kill anything left of the kernel and remove its cgroup."""
        if self.group is not None:
            self.group.close()
            self.group = None

    def kill_now(self) -> None:
        """SIGKILL the kernel's whole process group (from any thread)."""
        provisioner = self.provisioner
        pid = getattr(provisioner, "pid", None) if provisioner is not None else None
        if pid is None:
            return
        try:
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
