"""Hostile and broken submissions of the two-layer net, each built from the untouched student
template (so it has earned nothing) plus the attack appended to its module, or a broken input.

Every attack must score 0, must not stop or change the grading of the others, must not change
the grader's files, and must not show students anything hidden. ``needs_fs`` marks attacks that
only a file-system jail stops (bubblewrap or the namespace jail; ``rlimits`` gives them up: see
the README).
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.core.solutions import release_files
from grader.grading.mistakes import load_mistakes, make_mistaken_submission

MODULE = Path("cs231n/classifiers/neural_net.py")
LEAK = "LEAKED"  # printed by an attack that managed to read something it must not see
REPO = Path(__file__).resolve().parents[2]
REFERENCE_FILE = REPO / "reference" / "two_layer_net" / MODULE
HIDDEN_MARKER = "def test_scores_other_shapes"  # a hidden check's source


@dataclass(frozen=True)
class Attack:
    id: str
    title: str
    build: Callable[[Path], None]
    needs_fs: bool = False
    problem: str = ""  # for bad input: what the submission's result must say


def stub(folder: Path) -> Path:
    release_files(assignments.load("two_layer_net"), folder)
    return folder


def appended(code: str) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        path = stub(folder) / MODULE
        path.write_text(path.read_text(encoding="utf-8") + "\n\n" + code.strip() + "\n", encoding="utf-8")
    return build


def patched_loss(body: str) -> Callable[[Path], None]:
    """Replace TwoLayerNet.loss (and predict) with ``body`` (a function of self, X, y, reg)."""
    return appended(f"def _attack(self, X, y=None, reg=0.0):\n{body}\nTwoLayerNet.loss = _attack\n"
                    "TwoLayerNet.predict = lambda self, X: _attack(self, X)\n")


def patched_predict(body: str) -> Callable[[Path], None]:
    """Replace TwoLayerNet.predict only (hangs there cost the few checks that predict)."""
    return appended(f"def _attack(self, X):\n{body}\nTwoLayerNet.predict = _attack\n")


def indent(code: str) -> str:
    return "\n".join("    " + line for line in code.strip().splitlines())


READ_SECRETS = f"""
import glob, os
for pattern in ["/work/**/reference/**/neural_net.py", "/**/reference/two_layer_net/**/*.py",
                "{REFERENCE_FILE}", "/**/checks/test_neural_net.py", "/tmp/**/neural_net.py"]:
    try:
        for path in glob.glob(pattern, recursive=True)[:50]:
            text = open(path).read()
            if "{HIDDEN_MARKER}" in text or "scores = hidden" in text or "START OF YOUR CODE" in text and "raise NotImplementedError" not in text:
                print("{LEAK}", path, text[:2000])
    except Exception:
        pass
"""

FORGE = """
import json, os
forged = {"score": 1000, "tests": [], "output": "forged"}
for folder in [".", "..", "../..", "/tmp", os.path.expanduser("~")] + [os.getcwd() + "/.." * i for i in range(1, 6)]:
    for name in ["results.json", "result.json", "report.html", "index.html"]:
        try:
            with open(os.path.join(folder, name), "w") as f:
                json.dump(forged, f)
        except Exception:
            pass
"""

WRITE_OUTSIDE = f"""
for path in ["/tmp/grader-pwned", "../grader-pwned", "/work/grader-pwned", "{REPO}/grader-pwned",
             "{REPO}/grader/__init__.py"]:
    try:
        with open(path, "a") as f:
            f.write("pwned")
    except Exception:
        pass
"""


def symlink_to_reference(folder: Path) -> None:
    stub(folder)
    (folder / MODULE).unlink()
    os.symlink(REFERENCE_FILE, folder / MODULE)


def zipped(folder: Path, entries: dict[str, bytes]) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder.with_suffix(".zip"), "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)


def template_zip_with_escapes(folder: Path) -> None:
    template = stub(folder.parent / f"{folder.name}-template")
    entries = {f"s/{p.relative_to(template).as_posix()}": p.read_bytes() for p in template.rglob("*") if p.is_file()}
    shutil.rmtree(template)
    entries.update({"../../evil.py": b"print('escaped')", "/tmp/evil-absolute.py": b"print('escaped')"})
    zipped(folder, entries)


def huge_file(folder: Path) -> None:
    stub(folder)
    with open(folder / "weights.bin", "wb") as f:
        f.truncate(2 << 30)  # 2 GB (sparse)


def not_utf8(folder: Path) -> None:
    stub(folder)
    path = folder / MODULE
    path.write_bytes(path.read_bytes().replace(b"class TwoLayerNet", 'AUTHOR = "\xe9t\xe9"\nclass TwoLayerNet'.encode("latin-1"), 1))


def renamed_class(folder: Path) -> None:
    stub(folder)
    path = folder / MODULE
    path.write_text(path.read_text(encoding="utf-8").replace("class TwoLayerNet", "class TwoLayerNetwork"), encoding="utf-8")


ATTACKS = [
    # cheating from inside student code
    Attack("patch_allclose", "np.allclose / np.testing patched to always pass", appended(
        "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
        "np.testing.assert_array_almost_equal = lambda *a, **k: None\nnp.array_equal = lambda *a, **k: True")),
    Attack("seed_noop", "np.random.seed made a no-op and the global generator reseeded", appended(
        "import numpy as np\nnp.random.seed(1234)\nnp.random.seed = lambda *a, **k: None")),
    Attack("builtins_override", "builtins abs/max/isinstance/len overridden", appended(
        "import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.max = lambda *a, **k: 0\n"
        "builtins.isinstance = lambda *a: True\nbuiltins.len = lambda x: 0")),
    Attack("always_equal", "loss returns an object whose __eq__ is always true", patched_loss(indent(
        "class Yes:\n    def __eq__(self, other): return True\n    def __lt__(self, other): return True\n"
        "    def __float__(self): return 0.0\nreturn Yes()"))),
    Attack("ndarray_subclass", "loss returns an ndarray subclass that claims equality", patched_loss(indent(
        "import numpy as np\nclass Liar(np.ndarray):\n    def __eq__(self, other): return True\n"
        "return np.zeros((X.shape[0], 3)).view(Liar)"))),
    Attack("object_array", "loss returns an object array", patched_loss(indent(
        "import numpy as np\nreturn np.array([object()] * X.shape[0], dtype=object)"))),
    Attack("wrong_shape", "loss returns an array of the wrong shape and dtype", patched_loss(indent(
        "import numpy as np\nreturn np.zeros((7, 7, 7), dtype=np.complex64)"))),
    Attack("nan_inf", "loss returns NaN and inf", patched_loss(indent(
        "import numpy as np\nout = np.full((X.shape[0], 3), np.nan)\nout[0] = np.inf\n"
        "return out if y is None else (np.nan, {'W1': out})"))),
    Attack("read_secrets", "reads the reference solution and hidden checks from disk", appended(READ_SECRETS),
           needs_fs=True),
    Attack("read_others", "lists and reads other students' submissions", appended(
        f"import glob\nfor p in glob.glob('/tmp/grader-*/**/neural_net.py', recursive=True)[:20] + "
        f"glob.glob('../*/cs231n/classifiers/neural_net.py'):\n"
        f"    text = open(p).read()\n    if 'raise NotImplementedError' not in text: print('{LEAK}', p)"),
           needs_fs=True),
    Attack("import_grader", "imports the grader package to patch it", appended(
        f"try:\n    import grader, grader.checks.helpers as h\n    h.assert_close = lambda *a, **k: None\n"
        f"    print('{LEAK} grader importable at', grader.__file__)\nexcept ImportError:\n    pass"), needs_fs=True),
    Attack("forge_results", "writes forged results.json and reports wherever it can", appended(FORGE)),
    Attack("write_outside", "writes outside its own copy", appended(WRITE_OUTSIDE), needs_fs=True),
    Attack("symlink_reference", "the module is a symlink to the reference solution", symlink_to_reference),
    # crashing and hanging
    Attack("os_exit_import", "os._exit(0) at import time", appended("import os\nos._exit(0)")),
    Attack("sys_exit_import", "sys.exit() at import time", appended("import sys\nsys.exit(0)")),
    Attack("systemexit_call", "raises SystemExit from loss", patched_loss(indent("raise SystemExit(0)"))),
    Attack("kill_group", "kills its own process group and its parent", patched_loss(indent(
        "import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept Exception:\n    pass\n"
        "os.killpg(0, signal.SIGKILL)"))),
    Attack("close_stdio", "closes stdout and stderr at import", appended("import os\nos.close(1)\nos.close(2)")),
    Attack("print_100mb", "prints 100 MB", patched_loss(indent(
        "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(100):\n    sys.stdout.write(chunk)\nraise ValueError('done')"))),
    Attack("invalid_utf8", "writes invalid UTF-8 to stdout", patched_loss(indent(
        "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe\\xfd invalid \\xc3\\x28')\nsys.stdout.flush()\nraise ValueError('bytes')"))),
    Attack("import_loop", "infinite loop at import time", appended("while True:\n    pass")),
    Attack("predict_sleeps", "time.sleep(10**6) inside predict", appended(
        "import time\nTwoLayerNet.predict = lambda self, X: time.sleep(10 ** 6)")),
    Attack("recursion_bomb", "unbounded recursion with a raised recursion limit", patched_predict(indent(
        "import sys\nsys.setrecursionlimit(10 ** 6)\ndef deeper(n):\n    return deeper(n + 1) + 1\nreturn deeper(0)"))),
    Attack("fork_bomb", "fork bomb", patched_predict(indent(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"))),
    Attack("memory_bomb", "allocates 20 GB", patched_loss(indent(
        "blocks = []\nwhile True:\n    blocks.append(bytearray(1 << 30))"))),
    Attack("disk_fill", "fills the disk from its copy", patched_loss(indent(
        "i = 0\nwhile True:\n    with open(f'fill{i}.bin', 'wb') as f:\n        f.write(b'0' * (64 << 20))\n    i += 1"))),
    Attack("network", "opens network connections", appended(
        f"import socket\nfor host in [('93.184.216.34', 80), ('1.1.1.1', 53), ('127.0.0.1', 22)]:\n"
        f"    try:\n        socket.create_connection(host, timeout=3).close()\n        print('{LEAK} network', host)\n"
        f"    except OSError:\n        pass")),
    Attack("subprocess", "starts subprocesses to read the reference", appended(
        f"import subprocess\nout = subprocess.run(['cat', '{REFERENCE_FILE}'], capture_output=True, text=True).stdout\n"
        f"if 'START OF YOUR CODE' in out and 'NotImplementedError' not in out:\n    print('{LEAK} subprocess')"),
           needs_fs=True),
    Attack("kill_grader", "walks up the process tree and kills the grader", patched_loss(indent(
        "import os, signal\npid = os.getppid()\nfor _ in range(6):\n    try:\n"
        "        cmd = open(f'/proc/{pid}/cmdline', 'rb').read()\n"
        "        if b'pytest' in cmd or b'grader' in cmd and b'_worker' not in cmd:\n"
        "            os.kill(pid, signal.SIGKILL)\n"
        "        pid = int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])\n"
        "    except Exception:\n        break\nraise ValueError('still here')")), needs_fs=True),
    Attack("daemon", "leaves a daemon behind that rewrites files later", appended(
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(5)\n"
        "        for p in ['../reference/cs231n/classifiers/neural_net.py']:\n            try:\n"
        "                open(p, 'w').write('pwned')\n            except Exception:\n                pass\n"
        "        os._exit(0)\n    os._exit(0)")),
    # broken input
    Attack("missing_module", "the solution module is missing",
           lambda f: (stub(f), (f / MODULE).unlink()), problem="neural_net"),
    Attack("syntax_error", "a syntax error", appended("def broken(:\n    pass"), problem="SyntaxError"),
    Attack("renamed_class", "the class is misnamed TwoLayerNetwork", renamed_class, problem="TwoLayerNet"),
    Attack("wrong_signature", "loss takes no y or reg", appended(
        "TwoLayerNet.loss = lambda self, X: None"), problem=""),
    Attack("empty_zip", "an empty zip", lambda f: zipped(f, {}), problem="zip"),
    Attack("corrupt_zip", "a corrupt zip", lambda f: (f.parent.mkdir(parents=True, exist_ok=True),
                                                       f.with_suffix(".zip").write_bytes(b"PK\x03\x04garbage")),
           problem="zip"),
    Attack("zip_escapes", "zip entries with .. and absolute paths", template_zip_with_escapes,
           problem="refused zip entry"),
    Attack("huge_file", "a 2 GB file", huge_file, problem="weights.bin"),
    Attack("not_utf8", "source that is not UTF-8", not_utf8, problem="not UTF-8 encoded"),
]


def controls(klass: Path) -> dict[str, float]:
    """Honest submissions graded in the same batch, with the scores they must keep."""
    a = assignments.load("two_layer_net")
    student_files(a, klass / "control_reference")
    mistake = {m.id: m for m in load_mistakes(a)}["reg_half_convention"]
    make_mistaken_submission(a, mistake, klass / "control_mistake")
    return {"control_reference": 23.0, "control_mistake": 13.0}


def build_class(klass: Path, fs_isolation: bool = True,
                only: set[str] | None = None) -> tuple[list[Attack], dict[str, float]]:
    attacks = [a for a in ATTACKS if (fs_isolation or not a.needs_fs) and (only is None or a.id in only)]
    for attack in attacks:
        attack.build(klass / attack.id)
    return attacks, controls(klass)


def snapshot(*roots: Path) -> dict[str, bytes]:
    """Bytes of every file under ``roots`` (the grader's code and references), to compare later."""
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                found[str(path)] = path.read_bytes()
    return found


def remove_class(klass: Path) -> None:
    shutil.rmtree(klass, ignore_errors=True)


# -- notebooks: graded with the notebook checks -------------------------------------------------

NOTEBOOK = Path("two_layer_net.ipynb")
HOSTILE_HTML = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"


def edited_notebook(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        path = stub(folder) / NOTEBOOK
        nb = json.loads(path.read_text(encoding="utf-8"))
        edit(nb)
        path.write_text(json.dumps(nb), encoding="utf-8")
    return build


def hostile_outputs(nb: dict) -> None:
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": HOSTILE_HTML}}
    nb["cells"].insert(1, {"cell_type": "code", "metadata": {"tags": []}, "execution_count": 1, "id": "hostile",
                           "outputs": [{"output_type": "display_data", "metadata": {},
                                        "data": {"text/html": HOSTILE_HTML, "text/plain": "x"}}],
                           "source": "from IPython.display import HTML, Javascript, display\n"
                                     f"display(HTML({HOSTILE_HTML!r}))\ndisplay(Javascript(\"document.title='pwned'\"))"})
    nb["cells"].insert(2, {"cell_type": "markdown", "metadata": {}, "id": "hostile-md", "source": HOSTILE_HTML})


def other_kernel(nb: dict) -> None:
    nb["metadata"]["kernelspec"] = {"name": "evil", "display_name": "Evil", "language": "bash",
                                    "argv": ["/bin/sh", "-c", "touch /tmp/grader-pwned"]}


def patch_checker(nb: dict) -> None:
    nb["cells"].insert(1, {"cell_type": "code", "metadata": {}, "execution_count": None, "id": "cheat", "outputs": [],
                           "source": "import builtins, sys\n"
                                     "try:\n    import grader\n    print('LEAKED grader', grader.__file__)\n"
                                     "except ImportError:\n    pass\n"
                                     "ip = get_ipython()\n"
                                     "ip.input_transformers_post.append(\n"
                                     "    lambda lines: [l.replace('_grader.export', 'print') for l in lines])\n"
                                     "best_net = None\nbuiltins._grader = None"})


def not_json(folder: Path) -> None:
    (stub(folder) / NOTEBOOK).write_text('{"cells": [ this is not json', encoding="utf-8")


def nbformat3(folder: Path) -> None:
    """An nbformat 3 notebook that keeps the handout's parameters cell (a notebook without one
    would also make the grader time the reference notebook at the course's full size, which
    tests/test_notebooks.py covers on a shortened copy)."""
    cells = [{"cell_type": "code", "input": "ITERATION_BUDGET = 1.0", "language": "python", "outputs": [],
              "metadata": {"tags": ["parameters"]}},
             {"cell_type": "code", "input": "print('old notebook')", "language": "python", "outputs": [], "metadata": {}}]
    (stub(folder) / NOTEBOOK).write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                                                     "worksheets": [{"cells": cells}]}), encoding="utf-8")


NOTEBOOK_ATTACKS = [
    Attack("nb_hostile_outputs", "HTML and JavaScript in outputs, markdown and metadata", edited_notebook(hostile_outputs)),
    Attack("nb_other_kernel", "notebook metadata naming another kernel with its own command", edited_notebook(other_kernel)),
    Attack("nb_patch_checker", "patches the grader's export and rewrites later cells from the kernel",
           edited_notebook(patch_checker)),
    Attack("nb_not_json", "a notebook that is not JSON", not_json, problem="not valid JSON"),
    Attack("nb_format3", "an nbformat 3 notebook", nbformat3, problem="nbformat 3"),
]
