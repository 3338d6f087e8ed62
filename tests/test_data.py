"""CIFAR-10 data layer: N-agnostic loader, .npy cache, synthetic twin, location, fetch."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import pickle
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.core.errors import DatasetFormatError, DatasetNotFound, DownloadError
from grader.data import cifar10 as cifar
from grader.data import fetch as fetching
from grader.data import load_cifar10, locate_cifar10, read_batch, split, write_synthetic_cifar10


def test_real_subset_loads_whatever_the_batch_sizes(cifar_subset, tmp_path):
    data = load_cifar10(cifar_subset, cache_dir=tmp_path)
    assert data.X_train.shape == (1102 + 4 * 1017, 32, 32, 3) and data.X_train.dtype == np.uint8
    assert data.y_train.shape == (5170,) and data.X_test.shape == (1017, 32, 32, 3)
    assert data.label_names[:2] == ("airplane", "automobile")
    assert set(np.unique(data.y_train)) == set(range(10))
    X1, y1 = read_batch(cifar_subset / "data_batch_1")
    assert X1.shape == (1102, 32, 32, 3) and np.array_equal(data.y_train[:1102], y1)


def test_loader_agrees_with_the_reference_course_loader(cifar_subset, two_layer, tmp_path):
    Xtr, ytr, Xte, yte = two_layer.module("cs231n.data_utils").load_CIFAR10(str(cifar_subset))
    data = load_cifar10(cifar_subset, cache_dir=tmp_path)
    assert np.array_equal(Xtr, data.X_train) and np.array_equal(yte, data.y_test)


def test_second_load_reads_the_npy_cache(tmp_path, monkeypatch):
    folder = write_synthetic_cifar10(tmp_path / "d", per_batch=30, test=20)
    first = load_cifar10(folder, cache_dir=tmp_path / "cache")
    assert list((tmp_path / "cache").rglob("X_train.npy"))

    def no_decoding(_):
        raise AssertionError("batches were decoded again instead of read from the cache")

    monkeypatch.setattr(cifar, "_decode", no_decoding)
    again = load_cifar10(folder, cache_dir=tmp_path / "cache")
    assert np.array_equal(first.X_train, again.X_train) and np.array_equal(first.y_test, again.y_test)


def test_changed_batches_invalidate_the_cache(tmp_path):
    folder = write_synthetic_cifar10(tmp_path / "d", per_batch=30, test=20, seed=1)
    before = load_cifar10(folder, cache_dir=tmp_path / "cache")
    write_synthetic_cifar10(tmp_path / "d", per_batch=40, test=20, seed=2)
    after = load_cifar10(folder, cache_dir=tmp_path / "cache")
    assert before.X_train.shape[0] == 150 and after.X_train.shape[0] == 200


def test_batches_with_code_in_them_are_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    (tmp_path / "test_batch").write_bytes(pickle.dumps({"data": Evil(), "labels": []}))
    with pytest.raises(DatasetFormatError, match="not allowed"):
        read_batch(tmp_path / "test_batch")
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("payload,message", [
    (b"not a pickle", "not a CIFAR-10 python batch"),
    (pickle.dumps([1, 2]), "a list"),
    (pickle.dumps({"data": np.zeros((2, 10), np.uint8), "labels": [0, 1]}), "rows of 3072"),
    (pickle.dumps({"data": np.zeros((2, 3072), np.uint8), "labels": [0]}), "1 labels for 2 images"),
    (pickle.dumps({"data": np.zeros((1, 3072), np.uint8), "labels": [12]}), "labels outside"),
])
def test_malformed_batches_give_specific_errors(tmp_path, payload, message):
    (tmp_path / "b").write_bytes(payload)
    with pytest.raises(DatasetFormatError, match=message):
        read_batch(tmp_path / "b")


def test_synthetic_data_has_learnable_class_structure(tmp_path):
    data = load_cifar10(write_synthetic_cifar10(tmp_path, per_batch=100, test=200), cache_dir=tmp_path)
    X = data.X_train.reshape(len(data.X_train), -1).astype(float)
    means = np.stack([X[data.y_train == c].mean(axis=0) for c in range(10)])
    Xt = data.X_test.reshape(len(data.X_test), -1).astype(float)
    nearest = np.argmin(((Xt[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    assert np.mean(nearest == data.y_test) > 0.8  # chance is 0.1


def test_split_follows_cs231n_and_checks_sizes(tmp_path):
    data = load_cifar10(write_synthetic_cifar10(tmp_path, per_batch=20, test=30), cache_dir=tmp_path)
    s = split(data, 90, 10, 25)
    assert np.array_equal(s.X_val, data.X_train[90:100]) and s.X_test.shape[0] == 25
    with pytest.raises(DatasetFormatError, match="100 training images, asked for 95 \\+ 10"):
        split(data, 95, 10)


@pytest.fixture
def three_datasets(tmp_path):
    return {k: write_synthetic_cifar10(tmp_path / k, per_batch=5, test=5).parent
            for k in ("flag", "env", "config")}


def _config(tmp_path, folder):
    project = tmp_path / "course"
    project.mkdir(exist_ok=True)
    (project / "pyproject.toml").write_text(f'[tool.grader]\ncifar10_dir = "{folder}"\n')
    return project


def test_location_precedence(tmp_path, three_datasets, monkeypatch):
    monkeypatch.setattr("grader.data.locate.default_data_dir", lambda: tmp_path / "nowhere")
    project = _config(tmp_path, three_datasets["config"])
    env = {"CIFAR10_DIR": str(three_datasets["env"])}
    inner = "cifar-10-batches-py"
    assert locate_cifar10(three_datasets["flag"], env, project) == three_datasets["flag"] / inner
    assert locate_cifar10(None, env, project) == three_datasets["env"] / inner
    assert locate_cifar10(None, {}, project) == three_datasets["config"] / inner
    with pytest.raises(DatasetNotFound) as info:
        locate_cifar10(None, {}, tmp_path)
    assert str(tmp_path / "nowhere") in str(info.value) and "grader data fetch cifar10" in str(info.value)


def test_error_names_every_place_looked(tmp_path, monkeypatch):
    monkeypatch.setattr("grader.data.locate.default_data_dir", lambda: tmp_path / "user")
    project = _config(tmp_path, tmp_path / "cfg")
    with pytest.raises(DatasetNotFound) as info:
        locate_cifar10(None, {"CIFAR10_DIR": str(tmp_path / "envdir")}, project)
    message = str(info.value)
    for where in ("envdir", "cfg", "user", "CIFAR10_DIR environment variable", "cifar10_dir in"):
        assert where in message
    assert info.value.exit_code == 3


def test_wrong_dir_flag_is_not_silently_replaced(tmp_path, three_datasets):
    with pytest.raises(DatasetNotFound, match="--dir option"):
        locate_cifar10(tmp_path / "typo", {"CIFAR10_DIR": str(three_datasets["env"])}, tmp_path)


# --- fetch, against a real HTTP server on 127.0.0.1 ------------------------------------------

def _tarball(tmp_path: Path, extra: tarfile.TarInfo | None = None) -> bytes:
    batches = write_synthetic_cifar10(tmp_path / "src", per_batch=10, test=10)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(batches, arcname="cifar-10-batches-py")
        if extra is not None:
            tar.addfile(extra, io.BytesIO(b"x"))
    return buffer.getvalue()


@pytest.fixture
def server():
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield files, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetch_downloads_verifies_and_unpacks(tmp_path, server):
    files, base = server
    files["/c.tar.gz"] = body = _tarball(tmp_path)
    options = fetching.FetchOptions(url=base + "/c.tar.gz", md5=hashlib.md5(body).hexdigest(),
                                    progress=False)
    folder = fetching.fetch_cifar10(tmp_path / "data", options)
    assert load_cifar10(folder, cache_dir=tmp_path).X_train.shape == (50, 32, 32, 3)
    assert not list((tmp_path / "data").glob(".cifar10-*"))  # no partial files left
    del files["/c.tar.gz"]  # already there: a second fetch does not download
    assert fetching.fetch_cifar10(tmp_path / "data", options) == folder


def test_fetch_refuses_a_checksum_mismatch(tmp_path, server):
    files, base = server
    files["/c.tar.gz"] = _tarball(tmp_path)
    options = fetching.FetchOptions(url=base + "/c.tar.gz", md5="0" * 32, progress=False)
    with pytest.raises(DownloadError, match="checksum mismatch"):
        fetching.fetch_cifar10(tmp_path / "data", options)
    assert list((tmp_path / "data").iterdir()) == []


def test_fetch_refuses_path_traversal(tmp_path, server):
    files, base = server
    evil = tarfile.TarInfo("cifar-10-batches-py/../../escaped")
    evil.size = 1
    files["/c.tar.gz"] = body = _tarball(tmp_path, evil)
    options = fetching.FetchOptions(url=base + "/c.tar.gz", md5=hashlib.md5(body).hexdigest(),
                                    progress=False)
    with pytest.raises(DownloadError, match="unsafe"):
        fetching.fetch_cifar10(tmp_path / "data" / "inner", options)
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "data" / "escaped").exists()


def test_fetch_reports_http_errors(tmp_path, server):
    _, base = server
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetching.fetch_cifar10(tmp_path, fetching.FetchOptions(url=base + "/missing", progress=False))


def test_cli_fetch_with_progress_then_locate(tmp_path, server):
    files, base = server
    files["/c.tar.gz"] = body = _tarball(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["data", "fetch", "cifar10", "--dir", str(tmp_path / "d"),
                                  "--url", base + "/c.tar.gz", "--md5", hashlib.md5(body).hexdigest()])
    assert result.exit_code == 0, result.output
    assert "cifar-10-python.tar.gz" in result.output  # the progress bar
    assert "CIFAR-10 is ready in" in result.output
    located = runner.invoke(main, ["data", "locate", "cifar10", "--dir", str(tmp_path / "d")])
    assert located.exit_code == 0 and located.output.strip().endswith("cifar-10-batches-py")


def test_cli_checksum_failure_exit_code(tmp_path, server):
    files, base = server
    files["/c.tar.gz"] = _tarball(tmp_path)
    result = CliRunner().invoke(main, ["data", "fetch", "cifar10", "--quiet", "--dir", str(tmp_path),
                                       "--url", base + "/c.tar.gz", "--md5", "f" * 32])
    assert result.exit_code == 4 and "checksum mismatch" in result.output


def test_cli_lists_assignments():
    result = CliRunner().invoke(main, ["assignments"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == [
        "cs498dl_nn", "fc_nets", "softmax", "two_layer_net"]


def course_load_batch(path, encoding):
    """cs231n's loader of 2016-2023 (and CS498DL's): exactly 10,000 rows per batch."""
    with open(path, "rb") as f:
        d = pickle.load(f, encoding=encoding)
    key = (lambda k: k.encode()) if encoding == "bytes" else (lambda k: k)
    X = d[key("data")].reshape(10000, 3, 32, 32).transpose(0, 2, 3, 1).astype("float")
    return X, np.array(d[key("labels")])


@pytest.mark.parametrize("encoding", ["latin1", "bytes"])
def test_a_full_size_view_looks_like_cifar10_to_course_loaders(cifar_subset, encoding):
    """The subset laid out as the real CIFAR-10: five training batches and a test batch of
    10,000 rows each, in the real files' pickle format; the course split 49,000 / 1,000 / 1,000
    trains on training images only and validates on the grading split's validation images."""
    from grader.data.fullsize import full_size_view, is_full_size
    sizes = {"train": 4670, "val": 500, "test": 1017}
    view = full_size_view(cifar_subset, sizes)
    assert full_size_view(cifar_subset, sizes) == view and is_full_size(view)
    parts = [course_load_batch(view / f"data_batch_{i}", encoding) for i in range(1, 6)]
    X, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    X_test, y_test = course_load_batch(view / "test_batch", encoding)
    data = load_cifar10(cifar_subset)
    grading = split(data, 4670, 500, 1017)
    assert np.array_equal(X[:4670], grading.X_train) and np.array_equal(y[:4670], grading.y_train)
    assert np.array_equal(X[49000:49500], grading.X_val) and np.array_equal(y[49000:49500], grading.y_val)
    assert np.array_equal(X[49500:], grading.X_val) and np.array_equal(X_test[:1017], grading.X_test)
    train_set = {row.tobytes() for row in grading.X_train.reshape(4670, -1).astype(np.uint8)}
    assert all(row.astype(np.uint8).tobytes() in train_set for row in X[:49000:997].reshape(-1, 3072))
    assert not any(row.tobytes() in train_set for row in grading.X_val.reshape(500, -1).astype(np.uint8))
    with open(view / "batches.meta", "rb") as f:
        assert pickle.load(f, encoding="latin1")["label_names"][0] == "airplane"
    real = open(cifar_subset / "data_batch_1", "rb").read(40)
    assert open(view / "data_batch_1", "rb").read(17)[:17] == real[:17]  # same opcodes and keys
