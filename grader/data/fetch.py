"""Download the official CIFAR-10 python tarball, verify its checksum, unpack it safely."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from grader.core.errors import DownloadError
from grader.data.cifar10 import batches_dir, is_cifar10_dir

OFFICIAL_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
OFFICIAL_MD5 = "c58f30108f718f92721af3b95e74349a"
CHUNK = 1 << 20


@dataclass(frozen=True)
class FetchOptions:
    """Where to download from and what the tarball's MD5 must be."""

    url: str = OFFICIAL_URL
    md5: str = OFFICIAL_MD5
    timeout: float = 60.0
    progress: bool = True


def fetch_cifar10(dest: str | Path, options: FetchOptions = FetchOptions()) -> Path:
    """Download, verify and unpack CIFAR-10 into ``dest``; return the batches folder.

    Does nothing when ``dest`` already holds the batches. The archive is streamed to a
    temporary file next to ``dest`` and removed afterwards, whether or not it succeeded.
    """
    dest = Path(dest)
    if is_cifar10_dir(dest):
        return batches_dir(dest)
    dest.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest, prefix=".cifar10-", suffix=".tar.gz.part")
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _download(options, out)
        if digest != options.md5.lower():
            raise DownloadError(
                f"checksum mismatch for {options.url}: MD5 {digest}, expected {options.md5}; "
                "the download is corrupt or not the official archive (nothing was unpacked)"
            )
        _extract(Path(tmp), dest)
    finally:
        Path(tmp).unlink(missing_ok=True)
    if not is_cifar10_dir(dest):
        raise DownloadError(f"{options.url}: archive has no cifar-10-batches-py folder")
    return batches_dir(dest)


def _download(options: FetchOptions, out) -> str:
    md5 = hashlib.md5()
    try:
        with urllib.request.urlopen(options.url, timeout=options.timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc="cifar-10-python.tar.gz",
                disable=not options.progress,
            ) as bar:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    md5.update(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"download of {options.url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"download of {options.url} failed: {reason}") from None
    return md5.hexdigest()


def _extract(archive: Path, dest: Path) -> None:
    """Unpack only regular files and folders under ``cifar-10-batches-py/``; refuse anything else."""
    staging = Path(tempfile.mkdtemp(dir=dest, prefix=".cifar10-unpack-"))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                _check_member(member)
                if member.isfile():
                    target = staging / member.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    assert source is not None  # a regular file always has contents
                    with source as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst)
        unpacked = staging / "cifar-10-batches-py"
        if unpacked.is_dir():
            final = dest / "cifar-10-batches-py"
            if final.exists():
                shutil.rmtree(final)
            os.replace(unpacked, final)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DownloadError(f"could not unpack the CIFAR-10 archive: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_member(member: tarfile.TarInfo) -> None:
    parts = Path(member.name).parts
    unsafe = (
        member.name.startswith("/")
        or ".." in parts
        or not (member.isfile() or member.isdir())
        or not parts
        or parts[0] != "cifar-10-batches-py"
    )
    if unsafe:
        raise DownloadError(f"refusing unsafe or unexpected archive entry '{member.name}'")
