"""``--download``: fetch a public copy of a source, verified against a pinned checksum before use.

URLs point at fixed upstream commits (or a fixed archive), so a checksum mismatch means the copy is not the
one the loader was written for; the partial file is deleted and nothing is prepared.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from harness.errors import UserError


@dataclass(frozen=True)
class RemoteFile:
    """One file: where to get it, its checksum (``sha256:<hex>``, ``md5:<hex>`` or "") and its local name."""

    url: str
    checksum: str
    name: str


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _verified(path: Path, checksum: str) -> bool:
    """``checksum`` "" means the caller verifies a whole group of files together (FSDD)."""
    if not checksum:
        return path.is_file()
    algorithm, _, expected = checksum.partition(":")
    return path.is_file() and _digest(path, algorithm) == expected


def fetch(remote: RemoteFile, folder: Path) -> Path:
    """Download ``remote`` into ``folder`` unless a verified copy is already there."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / remote.name
    if _verified(path, remote.checksum):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        with urllib.request.urlopen(remote.url, timeout=60) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=remote.name, leave=False) as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
    except OSError as err:
        part.unlink(missing_ok=True)
        raise UserError(f"download of {remote.url} failed ({err}); check the network or use --from") from err
    if not _verified(part, remote.checksum):
        part.unlink(missing_ok=True)
        raise UserError(f"{remote.url}: checksum differs from the pinned {remote.checksum}; the upstream file "
                        "changed, so it was not used")
    os.replace(part, path)
    return path


def fetch_all(remotes: list[RemoteFile], folder: Path) -> Path:
    for remote in tqdm(remotes, desc="files", disable=len(remotes) < 20):
        fetch(remote, folder)
    return folder


def fetch_tar(remote: RemoteFile, folder: Path, member_dir: str) -> Path:
    """Download and unpack a tar archive (data members only); returns ``folder/member_dir``."""
    archive = fetch(remote, folder)
    target = folder / member_dir
    if not target.is_dir():
        tmp = folder / ".unpack"
        shutil.rmtree(tmp, ignore_errors=True)
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        os.replace(tmp / member_dir, target)
        shutil.rmtree(tmp, ignore_errors=True)
    return target
