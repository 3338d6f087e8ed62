r"""Loaded inside the student's notebook kernel, in the jail, before the first cell (never imported
by the grader: it is copied into the jail's runtime folder, and a cell the grader drops from the
saved notebook loads it from there). It makes course notebooks run headlessly and offline,
unchanged:

- ``from google.colab import drive``; ``drive.mount(...)`` creates the mount folder and in it
  each Drive folder the notebook names (``FOLDERNAME``, literal ``My Drive/...`` paths, read by
  the grader before the run) as a link to the submission folder that the end of its path names
  (``.../assignment1/cs231n/`` is the submission's ``cs231n`` package, anything else the
  submission itself), so ``%cd``, ``%cp -r``, ``!ln -s``, ``sys.path`` and ``os.chdir`` reach it;
- a Drive path put on ``sys.path`` later becomes such a link too;
- ``%cd`` into a Drive folder that does not exist goes to the matching submission folder, and a
  relative path that only exists from Colab's home (``%cd drive/My\ Drive``) is taken from there;
- numpy and random are seeded, so a run is repeatable;
- ``/content`` is the kernel's own: a private tmpfs in a jail, and without one (``rlimits``) a
  private folder that every Colab path under ``/content`` is mapped to, so nothing is ever
  written to the host's ``/content`` and two gradings share nothing.

``!`` shell commands run in the jail: downloads fail quickly (no network) and the dataset is
already where the notebook expects it. After the last cell, :func:`export` sends the declared
results back as plain-data frames.
"""

import importlib.util
import os
import random
import sys
import types

DRIVE_FOLDERS = ("My Drive", "MyDrive")
COLAB_MODULES = ("drive", "files", "output", "patches", "auth", "widgets", "data_table")


def _noop(*args, **kwargs):
    return None


class _Stub(types.ModuleType):
    """A Colab module whose every function does nothing."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _noop


class Drive:
    """Mount points, and the mapping of Drive paths to the submission."""

    def __init__(self, root, content="/content", folders=()):
        self.root = root
        self.content = content
        self.folders = list(folders)
        self.mounts = []

    def local(self, path):
        """``path`` with a leading ``/content`` replaced by the private Colab folder."""
        path = os.path.expanduser(str(path))
        if self.content != "/content" and (path == "/content" or path.startswith("/content/")):
            return self.content + path[len("/content") :]
        return path

    def mount(self, mountpoint, force_remount=False, timeout_ms=None, readonly=False):
        asked = os.path.abspath(os.path.expanduser(str(mountpoint)))
        mountpoint = os.path.abspath(self.local(asked))
        for name in DRIVE_FOLDERS:
            os.makedirs(os.path.join(mountpoint, name), exist_ok=True)
        if mountpoint not in self.mounts:
            self.mounts.append(mountpoint)
        for rel in self.folders:
            for name in DRIVE_FOLDERS:
                self.link(os.path.join(mountpoint, name, rel))
        print("Mounted at " + asked)

    def split(self, path):
        """(Drive folder, path inside it) for a path under a mount, else (None, None)."""
        path = os.path.abspath(self.local(path))
        for mountpoint in self.mounts:
            for name in DRIVE_FOLDERS:
                top = os.path.join(mountpoint, name)
                if path.startswith(top + os.sep):
                    return top, os.path.relpath(path, top)
        return None, None

    def link(self, path):
        """Make a missing Drive folder a link to the submission folder its path names."""
        path = os.path.abspath(self.local(path))
        top, rel = self.split(path)
        if top is None or os.path.lexists(path) or ".." in rel.split(os.sep):
            return
        parent, inside = os.path.dirname(path), top
        for part in os.path.dirname(rel).split(os.sep):
            inside = os.path.join(inside, part)
            if os.path.islink(inside):
                return  # inside a folder that is already a link: nothing to make
        os.makedirs(parent, exist_ok=True)
        os.symlink(self.folder(path), path)

    def folder(self, path):
        """The deepest existing submission folder that the end of a Drive ``path`` names."""
        top, rel = self.split(path)
        if top is None:
            return None
        parts = [p for p in rel.split(os.sep) if p not in ("", ".")]
        for start in range(len(parts) + 1):
            candidate = os.path.join(self.root, *parts[start:])
            if os.path.isdir(candidate):
                return candidate
        return self.root


def _install_colab(drive):
    google = sys.modules.get("google")
    if google is None:
        try:
            import google
        except ImportError:
            google = types.ModuleType("google")
            google.__path__ = []
            sys.modules["google"] = google
    colab = _Stub("google.colab")
    colab.__path__ = []
    for name in COLAB_MODULES:
        module = _Stub("google.colab." + name)
        setattr(colab, name, module)
        sys.modules["google.colab." + name] = module
    colab.drive.mount = drive.mount
    colab.files.upload = lambda *args, **kwargs: {}
    sys.modules["google.colab"] = colab
    google.colab = colab


def _redirect_paths(drive):
    class DrivePath(list):
        def append(self, item):
            item = drive.local(item) if isinstance(item, str) else item
            drive.link(item)
            list.append(self, item)

        def insert(self, index, item):
            item = drive.local(item) if isinstance(item, str) else item
            drive.link(item)
            list.insert(self, index, item)

    real_chdir = os.chdir

    def chdir(path):
        path = drive.local(path) if isinstance(path, str) else path
        if isinstance(path, str) and not os.path.isabs(path) and not os.path.exists(path):
            home = os.path.join(drive.content, path)  # relative to Colab's home (``%cd drive/My\ Drive``)
            path = home if os.path.exists(home) else path
        if not os.path.exists(str(path)):
            path = drive.folder(path) or path
        return real_chdir(path)

    sys.path = DrivePath(sys.path)
    os.chdir = chdir


def setup(config):
    content = config.get("content", "/content")
    os.makedirs(content, exist_ok=True)
    drive = Drive(config["submission"], content, config.get("drive_folders", ()))
    _install_colab(drive)
    _redirect_paths(drive)
    try:
        import numpy

        numpy.random.seed(config["seed"])
    except ImportError:
        pass
    random.seed(config["seed"])


def export(namespace, requests, folder, codec_path):
    """Evaluate each requested expression in the notebook's namespace and write it as a plain-data
    frame (JSON + .npy, the jail's codec); anything else is written as an error message."""
    spec = importlib.util.spec_from_file_location("_grader_codec", codec_path)
    codec = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(codec)
    os.makedirs(folder, exist_ok=True)
    for name, expression in requests.items():
        try:
            data = codec.pack({"value": eval(expression, namespace)})
        except Exception as exc:
            with open(os.path.join(folder, name + ".error"), "w") as f:
                f.write("%s: %s" % (type(exc).__name__, str(exc)[:500]))
            continue
        with open(os.path.join(folder, name + ".frame"), "wb") as f:
            f.write(data)
