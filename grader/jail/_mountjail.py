"""Build a private root file system, then run a command in it (the ``unshare`` isolation level).

Run by the grader as::

    unshare --user --map-root-user --mount --net --pid --fork --ipc --uts --kill-child -- \
        python -I _mountjail.py PLAN_JSON COMMAND...

so it starts as root of fresh user, mount, network, PID, IPC and UTS namespaces. It mounts a
small tmpfs as the new root, binds into it only what the plan lists (the interpreter and its
libraries read-only, the submission copy, the worker program, private tmpfs folders, a minimal
``/dev`` and a new ``/proc``), pivots into it and detaches the host's file system, then drops
every capability (the bounding set too, so ``execve`` cannot give them back) and sets
``no_new_privs`` before it executes the command. This is what bubblewrap does, from what every
Linux has: util-linux ``unshare`` and the interpreter. It never imports ``grader`` (it is copied
into the jail's runtime folder) and uses only the standard library.

The plan is JSON: ``{"mounts": [{"kind", "dst", "src", "size"}...], "chdir": PATH}`` with kinds
``ro``, ``rw``, ``tmpfs``, ``symlink``, ``dev`` and ``proc``, applied in order.
"""

import ctypes
import errno
import json
import os
import platform
import sys
import tempfile

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
KEPT_FLAGS = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME
MNT_DETACH = 2
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 24, 47, 4
PR_SET_SECUREBITS = 28
SECURE_NOROOT_ALL = 0x2F  # NOROOT, NO_SETUID_FIXUP and KEEP_CAPS locked off
PIVOT_ROOT = {
    "x86_64": 155,
    "amd64": 155,
    "aarch64": 41,
    "arm64": 41,
    "riscv64": 41,
    "ppc64le": 203,
    "ppc64": 203,
    "s390x": 217,
    "i686": 217,
    "i386": 217,
    "armv7l": 218,
}
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
LINUX_CAPABILITY_VERSION_3 = 0x20080522

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p)
libc.umount2.argtypes = (ctypes.c_char_p, ctypes.c_int)


class JailSetupError(RuntimeError):
    pass


def _check(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise JailSetupError("%s: %s" % (what, os.strerror(code)))


def mount(source, target, fstype, flags, data=None):
    _check(
        libc.mount(
            source and source.encode(),
            target.encode(),
            fstype and fstype.encode(),
            flags,
            data and ctypes.c_char_p(data.encode()),
        ),
        "mount %s on %s" % (source or fstype, target),
    )


def mount_points_under(path):
    """Mount points at or below ``path``, from this namespace's mount table."""
    found = []
    with open("/proc/self/mountinfo") as table:
        for line in table:
            point = line.split()[4].encode().decode("unicode_escape")
            if point == path or point.startswith(path.rstrip("/") + "/"):
                found.append(point)
    return found


def make_read_only(path):
    """Remount a bind and every mount below it read-only, keeping the flags the kernel locks."""
    for point in mount_points_under(path):
        try:
            kept = os.statvfs(point).f_flag & KEPT_FLAGS
        except OSError:
            continue
        mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | kept)


def mountpoint(target, like_file):
    if os.path.lexists(target):
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if like_file:
        open(target, "w").close()
    else:
        os.mkdir(target)


def bind(source, target, read_only):
    if not os.path.exists(source):
        raise JailSetupError("cannot bind %s: it does not exist" % source)
    mountpoint(target, not os.path.isdir(source))
    mount(source, target, None, MS_BIND | MS_REC)
    if read_only:
        make_read_only(target)


def tmpfs(target, size, mode="1777"):
    mountpoint(target, False)
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "size=%d,mode=%s" % (size or (64 << 20), mode))


def devices(target):
    tmpfs(target, 1 << 20, "0755")
    for name in DEVICES:
        if os.path.exists("/dev/" + name):
            bind("/dev/" + name, os.path.join(target, name), False)
    for name, link in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(link, os.path.join(target, name))
    tmpfs(os.path.join(target, "shm"), 64 << 20)
    pts = os.path.join(target, "pts")
    os.mkdir(pts)
    try:  # a private pseudo-terminal instance: the notebook's ``!`` commands run on a pty
        mount("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
        os.symlink("pts/ptmx", os.path.join(target, "ptmx"))
    except JailSetupError:
        pass


def proc(target):
    mountpoint(target, False)
    try:
        mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except JailSetupError:
        pass  # a container that masks parts of /proc forbids a new one: run without /proc


def build(root, mounts):
    for m in mounts:
        target = root + m["dst"]
        kind = m["kind"]
        if kind in ("ro", "rw"):
            bind(m["src"], target, kind == "ro")
        elif kind == "tmpfs":
            tmpfs(target, m.get("size", 0))
        elif kind == "symlink":
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.symlink(m["src"], target)
        elif kind == "dev":
            devices(target)
        elif kind == "proc":
            proc(target)
        else:
            raise JailSetupError("unknown mount kind %r" % kind)


def pivot(root):
    number = PIVOT_ROOT.get(platform.machine().lower())
    if number is None:
        raise JailSetupError("pivot_root: unknown architecture %s" % platform.machine())
    os.chdir(root)
    _check(libc.syscall(number, b".", b"."), "pivot_root")
    _check(libc.umount2(b".", MNT_DETACH), "detaching the host file system")
    os.chdir("/")
    mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_privileges():
    """No capability left, none to regain through execve, no set-uid either."""
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    _check(libc.prctl(PR_SET_SECUREBITS, SECURE_NOROOT_ALL, 0, 0, 0), "securebits")
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break  # past the last capability this kernel knows
    header, data = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    _check(libc.capset(ctypes.byref(header), data), "dropping capabilities")


def main(argv):
    plan, command = json.loads(argv[1]), argv[2:]
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing done here reaches the host
    root = tempfile.mkdtemp(prefix="root-", dir=plan["scratch"])
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=%d,mode=0755" % (8 << 20))
    build(root, plan["mounts"])
    pivot(root)
    drop_privileges()
    os.chdir(plan["chdir"])
    os.execve(command[0], command, dict(os.environ))


if __name__ == "__main__":
    try:
        main(sys.argv)
    except (JailSetupError, OSError) as exc:
        sys.stderr.write("grader jail setup failed: %s\n" % exc)
        sys.exit(125)
