"""The run's guard: it sees what a run changed on the machine, and gives every process a private home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import machine


def test_a_new_cache_folder_in_the_home_is_a_change(tmp_path):
    home = tmp_path / "home"
    (home / ".cache").mkdir(parents=True)
    before = machine.snapshot(str(home))
    (home / ".cache" / "grader").mkdir()
    (home / ".bashrc").write_text("")
    assert machine.changes(before, machine.snapshot(str(home))) == [
        f"{home}: + .bashrc", f"{home}/.cache: + grader"]
    assert machine.changes(before, before) == []


def test_what_the_run_leaves_in_the_temporary_folder_is_a_change_what_others_remove_is_not(tmp_path, monkeypatch):
    monkeypatch.setattr(machine, "leftover_folders", lambda: [str(tmp_path)])
    (tmp_path / "someone-elses").mkdir()
    before = machine.snapshot(str(tmp_path / "home"))
    (tmp_path / "someone-elses").rmdir()
    (tmp_path / "dask-scratch-space").mkdir()
    (tmp_path / f"grader-mutant-x-4026531836-{os.getpid()}-ab12cd").mkdir()  # removed when this process exits
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    (tmp_path / f"grader-mutant-x-4026531836-{dead}-ef34gh").mkdir()  # its process is gone: left behind
    assert machine.changes(before, machine.snapshot(str(tmp_path / "home"))) == [
        f"{machine.LEFTOVERS}{tmp_path}: + dask-scratch-space",
        f"{machine.LEFTOVERS}{tmp_path}: + grader-mutant-x-4026531836-{dead}-ef34gh"]


def test_a_package_installed_or_removed_is_a_change():
    before = {"dpkg": ("bash 5.2 ii",), "/": ("bin",)}
    after = {"dpkg": ("bash 5.2 ii", "bubblewrap 0.8.0 ii"), "/": ("bin",)}
    assert machine.changes(before, after) == ["installed packages: + bubblewrap 0.8.0 ii"]
    assert machine.changes(after, before) == ["installed packages: - bubblewrap 0.8.0 ii"]


def test_the_watched_folders_include_the_interpreters_site_packages_and_the_home():
    folders = machine.watched_folders("/nonexistent-home")
    assert "/" in folders and "/nonexistent-home/.cache" in folders
    base = subprocess.run([sys.executable, "-c", "import sysconfig, sys; print(sysconfig.get_paths("
                           "vars={'base': sys.base_prefix, 'platbase': sys.base_prefix})['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert base in folders


def test_every_process_of_the_run_has_a_private_home_and_cache(tmp_path_factory):
    run = tmp_path_factory.getbasetemp()
    run = run.parent if os.environ.get("PYTEST_XDIST_WORKER") else run
    for name in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "GRADER_CACHE_DIR"):
        assert Path(os.environ[name]).is_relative_to(run), name
    child = subprocess.run([sys.executable, "-c", "import os; print(os.path.expanduser('~'))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(child).is_relative_to(run)
