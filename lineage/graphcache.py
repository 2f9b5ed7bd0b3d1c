"""A cache of built lineage graphs next to a SQLite store, one file per snapshot.

Building the graph of a large snapshot replays every record through the mappers, which takes
tens of seconds on an account with 100,000 training jobs. The records of a saved snapshot
never change, so the graph built from them can be kept in
`<store>.graph-<snapshot id>-<version>.pickle`. `write_graph` writes that file, and
`read_graph` returns its graph when the file matches the snapshot, the store file and the code
that built it.

The file contains, in this order: a pickle of the header (the cache key); the details of every
node, one pickle each (see `lineage.frozen`); a pickle of the payload (the frozen graph
without its node attributes, the snapshot's crawl report and where each node's details
start); and 8 bytes giving where the payload starts. A reader loads the header and the
payload, and reads a node's details from the file only when a query needs them. Only SQLite
files are cached. A PostgreSQL store has no directory that belongs to the store's owner, and
an in-memory store ends with its process, so neither gets a cache.

Security: unpickling runs code named in the file. A cache is therefore read only when it sits
in the store's directory, belongs to the store's owner (same uid) and is writable by its owner
only. A cache that fails these checks or cannot be read is ignored with a warning, and the
graph is built again.
"""

from __future__ import annotations

import gc
import glob
import hashlib
import logging
import os
import pickle
import stat
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import networkx

from lineage.frozen import DetailFile, FrozenLineageGraph, freeze
from lineage.graph import LineageGraph

logger = logging.getLogger(__name__)

PICKLE_PROTOCOL = 5

# Layout of the cache file; bump it when the header or payload changes shape.
CACHE_FORMAT = 2

# How many snapshot graphs are cached next to one store. Each takes about as much disk as
# the snapshot's records, so the least recently used beyond this are removed on each write.
MAX_CACHED_SNAPSHOTS = 4

# The payload's offset is written at the end of the file as an unsigned 64-bit integer.
_TRAILER = struct.Struct("<Q")

_PACKAGE_DIR = Path(__file__).resolve().parent

# Source files whose code decides what graph a snapshot gives (identity.py makes the ids). A
# change to any of them makes a new version, so a cache written by older code is never read.
_BUILDER_SOURCES = ("build.py", "frozen.py", "graph.py", "identity.py", "mappers/*.py")


@lru_cache(maxsize=1)
def code_version() -> str:
    """Return a short hash of the builder's source files and the cache format.

    The networkx and Python versions are part of the hash too, because a pickled graph contains
    networkx's internal dicts and the pickled forms of Python objects.
    """
    digest = hashlib.sha256()
    digest.update(f"format {CACHE_FORMAT}\n".encode())
    digest.update(f"networkx {networkx.__version__}\n".encode())
    digest.update(f"python {sys.version_info.major}.{sys.version_info.minor}\n".encode())
    for pattern in _BUILDER_SOURCES:
        for path in sorted(_PACKAGE_DIR.glob(pattern)):
            digest.update(path.relative_to(_PACKAGE_DIR).as_posix().encode() + b"\n")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# The version written into cache names and headers. Tests replace it to simulate a code change.
CACHE_VERSION = code_version()


@dataclass(frozen=True, slots=True)
class CachedGraph:
    """A graph read from a cache, with the crawl report of the snapshot it was built from."""

    graph: FrozenLineageGraph
    report: dict[str, Any]


def cache_path(store_path: Path, snapshot_id: int, version: str | None = None) -> Path:
    """Return the cache file of one snapshot of a store file, for `version` (default: current)."""
    version = CACHE_VERSION if version is None else version
    return store_path.with_name(f"{store_path.name}.graph-{snapshot_id}-{version}.pickle")


def cache_key(store_path: Path, snapshot: dict[str, Any]) -> dict[str, Any]:
    """Return what a cache must match: the code version, the store file and the snapshot.

    The store file is named by its device and inode, so a store deleted and created again at
    the same path does not reuse the old store's caches. `snapshot` is the snapshot's
    `SnapshotInfo.to_dict()`: its id, time, source and record counts.
    """
    status = store_path.stat()
    return {
        "version": CACHE_VERSION,
        "store": {"device": status.st_dev, "inode": status.st_ino},
        "snapshot": snapshot,
    }


def read_graph(store_path: Path, snapshot: dict[str, Any]) -> CachedGraph | None:
    """Return the cached graph of a snapshot, or None when there is no usable cache.

    Never raises for a cache problem: a missing cache returns None quietly, while an untrusted,
    stale or unreadable one is logged as a warning and returns None, so the caller builds.
    """
    path = cache_path(store_path, int(snapshot["id"]))
    try:
        expected = cache_key(store_path, snapshot)
        with _open_trusted(path, store_path) as file:
            header = pickle.load(file)
            if header != {"format": CACHE_FORMAT, "key": expected}:
                logger.warning("ignoring graph cache %s: it was written for another store file "
                               "or snapshot; the graph is built again", path)
                return None
            graph, report = _read_payload(file, str(path))
    except FileNotFoundError:
        if _other_versions(store_path, int(snapshot["id"])):
            logger.info("graph cache of snapshot %s was written by other code; the graph is "
                        "built again", snapshot["id"])
        return None
    except Exception as err:  # noqa: BLE001 - any unpickling error means "build instead"
        logger.warning("ignoring graph cache %s: %s: %s; the graph is built again",
                       path, type(err).__name__, err)
        return None

    _touch(path)
    logger.info("read the graph of snapshot %s from cache %s", snapshot["id"], path)
    return CachedGraph(graph, report)


def _read_payload(file: BinaryIO, name: str) -> tuple[FrozenLineageGraph, dict[str, Any]]:
    """Return the graph, reading its details from a copy of `file`'s descriptor, and report."""
    size = os.fstat(file.fileno()).st_size
    if size < _TRAILER.size:
        raise ValueError("the file is too short to be a graph cache")
    file.seek(size - _TRAILER.size)
    (payload_start,) = _TRAILER.unpack(file.read(_TRAILER.size))
    if not 0 < payload_start < size - _TRAILER.size:
        raise ValueError(f"the payload offset {payload_start} is outside the file")
    file.seek(payload_start)
    payload = _load_without_gc(file.read(size - _TRAILER.size - payload_start))
    graph, report = payload["graph"], payload["report"]
    offsets, details_start = payload["offsets"], payload["details_start"]
    if not isinstance(graph, FrozenLineageGraph) or not isinstance(report, dict):
        raise TypeError(f"invalid payload: expected a FrozenLineageGraph and a dict, found "
                        f"{type(graph).__name__} and {type(report).__name__}")
    if len(offsets) != len(graph) + 1 or details_start + offsets[-1] > payload_start:
        raise ValueError("the node details do not match the graph")
    # The graph keeps a duplicate of the descriptor, because `file` is closed on return.
    graph.attach_details(DetailFile(os.dup(file.fileno()), details_start, offsets, name))
    return graph, report


def _touch(path: Path) -> None:
    # The modification time records the last use, which decides which caches are pruned.
    try:
        os.utime(path)
    except OSError:
        pass


def write_graph(store_path: Path, snapshot: dict[str, Any], graph: LineageGraph,
                report: dict[str, Any]) -> Path | None:
    """Write the graph of a snapshot to its cache file atomically; return the path or None.

    Writes nothing when this process's user does not own the store, because `read_graph`
    trusts only caches of the store's owner. A failed write is logged as a warning, never
    raised: the cache only saves time. Caches of the same snapshot written by other code
    versions are removed, since they can never be read again.
    """
    path = cache_path(store_path, int(snapshot["id"]))
    try:
        owner = store_path.stat().st_uid
        if owner != os.geteuid():
            logger.info("not caching the graph of %s: the store belongs to uid %d, not to this "
                        "user", store_path, owner)
            return None
        header = {"format": CACHE_FORMAT, "key": cache_key(store_path, snapshot)}
        _write_atomically(path, header, freeze(graph), report)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError) as err:
        logger.warning("could not write graph cache %s: %s: %s", path, type(err).__name__, err)
        return None

    _remove_other_versions(store_path, int(snapshot["id"]), keep=path)
    _prune(store_path, keep=path)
    logger.info("wrote the graph of snapshot %s to cache %s", snapshot["id"], path)
    return path


def build_in_child(store_path: Path, snapshot_id: int) -> bool:
    """Build and cache a snapshot's graph in a new Python process; return whether it worked.

    The build of a large snapshot needs several times the memory of the graph it makes, and a
    Python process keeps most of that memory after the build. A child process returns it all
    when it ends. A failed child is logged as a warning, and the caller builds in its own
    process instead.
    """
    command = [sys.executable, "-m", "lineage.graphcache", str(store_path), str(snapshot_id)]
    logger.info("building the graph of snapshot %s of %s in a child process", snapshot_id,
                store_path)
    try:
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as err:
        logger.warning("could not start the graph build of snapshot %s: %s", snapshot_id, err)
        return False
    if completed.returncode != 0:
        last_lines = "\n".join(completed.stderr.strip().splitlines()[-5:])
        logger.warning("the graph build of snapshot %s failed with exit code %d; building "
                       "here instead:\n%s", snapshot_id, completed.returncode, last_lines)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    """Build and cache the graph of one snapshot: `python -m lineage.graphcache STORE ID`."""
    from lineage.errors import LineageError
    from lineage.source import build_snapshot_cache

    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 2 or not arguments[1].isdigit():
        print("usage: python -m lineage.graphcache STORE_FILE SNAPSHOT_ID", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        written = build_snapshot_cache(Path(arguments[0]), int(arguments[1]))
    except LineageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if written is None:
        print(f"error: no graph cache was written for {arguments[0]}; see the warnings above",
              file=sys.stderr)
        return 1
    return 0


def _open_trusted(path: Path, store_path: Path) -> Any:
    """Open a cache file for reading after checking who may have written it.

    The checks run on the opened descriptor, not on the path, so a file swapped in between
    the check and the read is the one checked. Symbolic links are not followed.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        status = os.fstat(descriptor)
        owner = store_path.stat().st_uid
        if not stat.S_ISREG(status.st_mode):
            raise PermissionError("it is not a regular file")
        if status.st_uid != owner:
            raise PermissionError(f"it belongs to uid {status.st_uid}, the store to uid {owner}")
        if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            mode = stat.filemode(status.st_mode)
            raise PermissionError(f"other users may write it (mode {mode})")
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _load_without_gc(data: bytes) -> Any:
    # Unpickling a large graph creates millions of dicts, and each collection pass walks all
    # of them again. With the collector paused, the load of the 314,000-node graph of the
    # benchmark's large account took 2.7 s instead of 10.7 s (2 CPUs, Python 3.11).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if enabled:
            gc.enable()


def _write_atomically(path: Path, header: dict[str, Any], graph: FrozenLineageGraph,
                      report: dict[str, Any]) -> None:
    # A reader sees either the old file or the complete new one, never a partial write.
    # mkstemp creates the file readable and writable by its owner only.
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                             dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            pickle.dump(header, file, protocol=PICKLE_PROTOCOL)
            details_start = file.tell()
            offsets = graph.write_details(file)
            payload_start = file.tell()
            payload = {"graph": graph.without_attributes(), "report": report,
                       "offsets": offsets, "details_start": details_start}
            pickle.dump(payload, file, protocol=PICKLE_PROTOCOL)
            file.write(_TRAILER.pack(payload_start))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _prune(store_path: Path, keep: Path) -> None:
    """Remove the least recently used caches of a store beyond MAX_CACHED_SNAPSHOTS."""
    pattern = f"{glob.escape(store_path.name)}.graph-*.pickle"
    caches = []
    for candidate in store_path.parent.glob(pattern):
        try:
            caches.append((candidate.stat().st_mtime, candidate))
        except OSError:
            continue  # removed by another process meanwhile
    caches.sort(reverse=True)
    for _, old in caches[MAX_CACHED_SNAPSHOTS:]:
        if old == keep:
            continue
        try:
            old.unlink()
            logger.info("removed graph cache %s: only the %d most recently used are kept",
                        old, MAX_CACHED_SNAPSHOTS)
        except OSError as err:
            logger.warning("could not remove graph cache %s: %s", old, err)


def _other_versions(store_path: Path, snapshot_id: int) -> list[Path]:
    pattern = f"{glob.escape(store_path.name)}.graph-{snapshot_id}-*.pickle"
    current = cache_path(store_path, snapshot_id)
    return [path for path in store_path.parent.glob(pattern) if path != current]


def _remove_other_versions(store_path: Path, snapshot_id: int, keep: Path) -> None:
    for other in _other_versions(store_path, snapshot_id):
        if other == keep:
            continue
        try:
            other.unlink()
            logger.info("removed stale graph cache %s", other)
        except OSError as err:
            logger.warning("could not remove stale graph cache %s: %s", other, err)


__all__ = [
    "CACHE_FORMAT", "CACHE_VERSION", "MAX_CACHED_SNAPSHOTS", "CachedGraph", "build_in_child",
    "cache_key", "cache_path", "code_version", "read_graph", "write_graph",
]


if __name__ == "__main__":
    raise SystemExit(main())
