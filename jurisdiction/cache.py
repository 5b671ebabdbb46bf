"""A cache of built objects on disk, keyed by the digest of what they were built from: the
compiled rule library, so a one-spec `check` does not parse and compile 70-odd law files at
every run (pre-commit, CI), and the ISO 3166-2 table (`vocabulary.regions`).

Entries are pickles written by this user only: the folder must belong to the user and be
closed to others (0700), or it is not used. A write goes to a temporary file renamed into
place, so concurrent runs never see half an entry; an entry that does not load is ignored and
rebuilt. `JURISDICTION_CACHE_DIR` names the folder (default `$XDG_CACHE_HOME/jurisdiction`,
else `~/.cache/jurisdiction`); `JURISDICTION_CACHE_DIR=off` turns the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

__all__ = ["cache_dir", "code_digest", "load_cached", "store_cached"]

KEEP = 8  # entries kept; the oldest go first


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off."""
    chosen = os.environ.get("JURISDICTION_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "false", "no") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jurisdiction"


@cache
def code_digest() -> str:
    """The digest of this package's code and data files (name, size, modification time: what a
    cached object was built by) and of the Python that runs it: a new version, an edited module
    or another Python misses."""
    digest = hashlib.sha256(sys.version.encode() + b"\0")
    package = os.path.dirname(os.path.abspath(__file__))
    found = []
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = [s for s in subfolders if s != "__pycache__"]
        found += [os.path.join(folder, n) for n in names if n.endswith((".py", ".json", ".yaml"))]
    for path in sorted(Path(p) for p in found):
        info = path.stat()
        digest.update(f"{path.relative_to(package).as_posix()}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _key_path(folder: Path, parts: Iterable[bytes]) -> Path:
    digest = hashlib.sha256(code_digest().encode())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return folder / f"{digest.hexdigest()[:32]}.pickle"


def _safe(folder: Path) -> bool:
    """The folder is ours and closed to others (so nobody else can plant a pickle in it)."""
    try:
        info = folder.stat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and (not hasattr(os, "getuid") or info.st_uid == os.getuid())
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def load_cached(parts: Iterable[bytes]) -> object | None:
    """The object stored under the digest of `parts`, or None (missing, unreadable, the cache
    off or unsafe)."""
    folder = cache_dir()
    if folder is None or not _safe(folder):
        return None
    path = _key_path(folder, parts)
    try:
        with path.open("rb") as f:
            value: object = pickle.load(f)  # our own folder, closed to others (see _safe)
            return value
    except Exception:  # missing, truncated by a crash, written by another version: rebuild
        return None


def store_cached(parts: Iterable[bytes], value: object) -> None:
    """Store `value` under the digest of `parts`; never fails the caller (a read-only home,
    a full disk: the next run builds again)."""
    folder = cache_dir()
    if folder is None:
        return
    with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _safe(folder):
            return
        path = _key_path(folder, parts)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            with contextlib.suppress(OSError):
                old.unlink()
