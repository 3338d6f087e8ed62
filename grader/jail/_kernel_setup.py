# Run inside the student's notebook kernel, in the jail, before the first cell (never imported
# by the grader, which sends this file's text as a cell and drops that cell from the saved
# notebook). It makes course notebooks run headlessly and offline, unchanged:
#   - `from google.colab import drive`; `drive.mount(...)` creates the mount folder;
#   - a Drive path put on sys.path (`sys.path.append('/content/drive/My Drive/' + FOLDERNAME)`)
#     becomes a link to the submission, so `%cd` into it (and below it) lands in the submission;
#   - `%cd` into a Drive folder that does not exist goes to the matching submission folder;
#   - numpy and random are seeded, so a run is repeatable.
# `!` shell commands run in the jail: downloads fail quickly (no network) and the dataset is
# already where the notebook expects it.


def __grader_setup(config):
    import os
    import random
    import sys
    import types

    root = config["submission"]
    mounts = []

    def _noop(*args, **kwargs):
        return None

    class _Stub(types.ModuleType):
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return _noop

    def mount(mountpoint, force_remount=False, timeout_ms=None, readonly=False):
        mountpoint = os.path.abspath(str(mountpoint))
        for name in ("My Drive", "MyDrive"):
            os.makedirs(os.path.join(mountpoint, name), exist_ok=True)
        mounts.append(mountpoint)
        print("Mounted at " + mountpoint)

    def in_drive(path):
        path = os.path.abspath(os.path.expanduser(str(path)))
        for mountpoint in mounts:
            for name in ("My Drive", "MyDrive"):
                top = os.path.join(mountpoint, name)
                if path.startswith(top + os.sep):
                    return top, os.path.relpath(path, top)
        return None, None

    def link_to_submission(path):
        top, rel = in_drive(path)
        if top is None or os.path.exists(path) or ".." in rel.split(os.sep):
            return
        os.makedirs(os.path.dirname(os.path.join(top, rel)), exist_ok=True)
        os.symlink(root, os.path.join(top, rel))

    def submission_folder(path):
        # The deepest existing folder of the submission that the end of `path` names.
        top, rel = in_drive(path)
        if top is None:
            return None
        parts = [p for p in rel.split(os.sep) if p not in ("", ".")]
        for start in range(len(parts) + 1):
            candidate = os.path.join(root, *parts[start:])
            if os.path.isdir(candidate):
                return candidate
        return root

    class _DrivePath(list):
        def append(self, item):
            link_to_submission(item)
            list.append(self, item)

        def insert(self, index, item):
            link_to_submission(item)
            list.insert(self, index, item)

    real_chdir = os.chdir

    def chdir(path):
        if not os.path.exists(str(path)):
            path = submission_folder(path) or path
        return real_chdir(path)

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
    for name in ("drive", "files", "output", "patches", "auth", "widgets", "data_table"):
        module = _Stub("google.colab." + name)
        setattr(colab, name, module)
        sys.modules["google.colab." + name] = module
    colab.drive.mount = mount
    colab.files.upload = lambda *args, **kwargs: {}
    sys.modules["google.colab"] = colab
    google.colab = colab
    sys.path = _DrivePath(sys.path)
    os.chdir = chdir
    try:
        import numpy
        numpy.random.seed(config["seed"])
    except ImportError:
        pass
    random.seed(config["seed"])


def __grader_export(requests, folder, codec_path):
    # Evaluate each requested expression in the notebook's namespace and write it as a plain-data
    # frame (JSON + .npy, the jail's codec); anything else is written as an error message.
    import importlib.util
    import os

    spec = importlib.util.spec_from_file_location("_grader_codec", codec_path)
    codec = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(codec)
    namespace = get_ipython().user_ns  # noqa: F821 (defined in the kernel)
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
