from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader import assignment as assignments
from grader.reference import Reference

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """``../shared`` beside the checkout (CI lays it there), or ``GRADER_SHARED_DIR``."""
    return Path(os.environ.get("GRADER_SHARED_DIR") or REPO.parent / "shared")


@pytest.fixture(scope="session")
def cifar_subset() -> Path:
    path = shared_dir() / "data" / "cifar10-subset" / "cifar-10-batches-py"
    if not (path / "test_batch").is_file():
        pytest.fail(f"the real CIFAR-10 subset is expected at {path} (set GRADER_SHARED_DIR)")
    return path


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test writes its dataset cache into a temporary folder, never the user's."""
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def two_layer() -> Reference:
    return Reference(assignments.load("two_layer_net"))


@pytest.fixture(scope="session")
def fc() -> Reference:
    return Reference(assignments.load("fc_nets"))


@pytest.fixture(scope="session")
def dl() -> Reference:
    return Reference(assignments.load("cs498dl_nn"))
