"""The graph cache next to a SQLite store: same graph as a build, rebuilt when stale or bad."""

from __future__ import annotations

import logging
import os
import pickle
import stat
import struct
from pathlib import Path
from typing import Any

import pytest

from lineage import graphcache, source, store
from lineage.errors import LineageError
from lineage.frozen import CacheChangedError
from lineage.graph import LineageGraph, NodeKind
from lineage.source import SAMPLE_DIR, Loaded, load
from tests.graph_cache_support import assert_same_graph, cache_files, load_counting_writes
from tests.store_targets import fresh_database

SAMPLES = ("account-before.json", "account-after.json")


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    """A SQLite store with the two sample recordings as snapshots 1 and 2."""
    path = tmp_path / "lineage.sqlite"
    for name in SAMPLES:
        crawled = load(recording=SAMPLE_DIR / name)
        store.save(crawled.result, path, source=f"recording {name}")
    return path


def test_first_load_writes_cache(store_path):
    loaded = _load(store_path)

    assert _caches(store_path) == [graphcache.cache_path(store_path, 2)]
    assert _built(loaded)
    # The graph comes back from the cache just written, with its records read on demand.
    assert _records_read(loaded) is False
    assert loaded.result.records


def test_cached_graph_equals_built_graph(store_path):
    built = _load(store_path)
    cached = _load(store_path)

    assert _built(built)
    assert not _built(cached)
    assert _records_read(cached) is False
    assert_same_graph(cached.graph, built.graph)
    assert_same_graph(cached.graph, _build(store_path, 2))


def test_cached_load_reads_records_on_first_access(store_path):
    built = _load(store_path)
    cached = _load(store_path)

    assert cached.report.to_dict() == built.report.to_dict()
    assert _records_read(cached) is False
    assert cached.result.records == built.result.records
    assert cached.result.report.to_dict() == built.result.report.to_dict()
    assert cached.report is cached.result.report


def test_cache_per_snapshot(store_path):
    newest = _load(store_path)
    first = _load(store_path, as_of=1)
    first_again = _load(store_path, as_of=1)

    assert sorted(_caches(store_path)) == sorted(
        [graphcache.cache_path(store_path, 1), graphcache.cache_path(store_path, 2)]
    )
    assert _records_read(first_again) is False
    assert_same_graph(first_again.graph, first.graph)
    assert first.graph.meta["snapshot"]["id"] == 1
    assert newest.graph.meta["snapshot"]["id"] == 2


def test_new_snapshot_builds_new_graph(store_path):
    _load(store_path)
    crawled = load(recording=SAMPLE_DIR / "account-before.json")
    store.save(crawled.result, store_path, source="recording account-before.json")

    loaded = _load(store_path)

    assert loaded.as_of is not None and loaded.as_of.id == 3
    assert _built(loaded)
    assert graphcache.cache_path(store_path, 3).is_file()
    assert_same_graph(loaded.graph, _build(store_path, 3))


def test_changed_version_rebuilds_and_removes_stale_cache(store_path, monkeypatch, caplog):
    _load(store_path)
    old = graphcache.cache_path(store_path, 2)
    monkeypatch.setattr(graphcache, "CACHE_VERSION", "changed-code")

    with caplog.at_level(logging.INFO, logger="lineage.graphcache"):
        loaded = _load(store_path)

    assert _built(loaded)
    assert "written by other code" in caplog.text
    assert not old.exists()
    assert _caches(store_path) == [graphcache.cache_path(store_path, 2, "changed-code")]


def test_code_version_changes_with_builder_source(tmp_path, monkeypatch):
    package = tmp_path / "lineage"
    (package / "mappers").mkdir(parents=True)
    for name in ("build.py", "graph.py", "mappers/model.py"):
        (package / name).write_text("# builder code\n", encoding="utf-8")
    monkeypatch.setattr(graphcache, "_PACKAGE_DIR", package)

    graphcache.code_version.cache_clear()
    try:
        before = graphcache.code_version()
        graphcache.code_version.cache_clear()
        (package / "mappers" / "model.py").write_text("# changed mapper\n", encoding="utf-8")
        after = graphcache.code_version()
    finally:
        graphcache.code_version.cache_clear()

    assert before != after


def test_cache_version_is_hash_of_installed_builder():
    graphcache.code_version.cache_clear()

    assert graphcache.code_version() == graphcache.CACHE_VERSION


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "wrong payload"])
def test_damaged_cache_rebuilds_with_warning(store_path, caplog, damage):
    _load(store_path)
    path = graphcache.cache_path(store_path, 2)
    _damage(path, damage)

    with caplog.at_level(logging.WARNING, logger="lineage.graphcache"):
        loaded = _load(store_path)

    assert _built(loaded)
    assert "ignoring graph cache" in caplog.text
    assert_same_graph(loaded.graph, _build(store_path, 2))
    assert not _built(_load(store_path))


def test_cache_truncated_while_in_use_raises_lineage_error(store_path):
    loaded = _load(store_path)
    endpoint = next(loaded.graph.nodes_of_kind(NodeKind.ENDPOINT))
    path = graphcache.cache_path(store_path, 2)
    path.write_bytes(path.read_bytes()[:100])

    # Kind and label stay in memory; the other attributes were in the truncated file.
    assert loaded.graph.kind(endpoint) == NodeKind.ENDPOINT
    with pytest.raises(CacheChangedError, match="changed while it was in use") as raised:
        loaded.graph.node(endpoint)
    assert isinstance(raised.value, LineageError)


def test_cache_of_replaced_store_is_ignored(store_path, caplog):
    _load(store_path)
    cache = graphcache.cache_path(store_path, 2)
    kept = cache.read_bytes()

    # A new store at the same path with other snapshots 1 and 2.
    store_path.unlink()
    for name in reversed(SAMPLES):
        store.save(load(recording=SAMPLE_DIR / name).result, store_path, source=f"again {name}")
    cache.write_bytes(kept)
    os.chmod(cache, 0o600)

    with caplog.at_level(logging.WARNING, logger="lineage.graphcache"):
        loaded = _load(store_path)

    assert _built(loaded)
    assert "another store file or snapshot" in caplog.text
    assert_same_graph(loaded.graph, _build(store_path, 2))


def test_writable_by_others_cache_is_ignored(store_path, caplog):
    _load(store_path)
    cache = graphcache.cache_path(store_path, 2)
    os.chmod(cache, 0o666)

    with caplog.at_level(logging.WARNING, logger="lineage.graphcache"):
        loaded = _load(store_path)

    assert _built(loaded)
    assert "other users may write it" in caplog.text


def test_cache_symlink_is_ignored(store_path, tmp_path, caplog):
    _load(store_path)
    cache = graphcache.cache_path(store_path, 2)
    elsewhere = tmp_path / "elsewhere.pickle"
    cache.rename(elsewhere)
    cache.symlink_to(elsewhere)

    with caplog.at_level(logging.WARNING, logger="lineage.graphcache"):
        loaded = _load(store_path)

    assert _built(loaded)
    assert "ignoring graph cache" in caplog.text


def test_cache_file_readable_by_owner_only(store_path):
    _load(store_path)

    mode = stat.S_IMODE(graphcache.cache_path(store_path, 2).stat().st_mode)

    assert mode == 0o600


def test_unwritable_folder_loads_without_cache(store_path, monkeypatch, caplog):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise PermissionError("read-only folder")

    monkeypatch.setattr(graphcache.tempfile, "mkstemp", refuse)
    with caplog.at_level(logging.WARNING, logger="lineage.graphcache"):
        loaded = _load(store_path)

    assert "could not write graph cache" in caplog.text
    assert _caches(store_path) == []
    assert len(loaded.graph) > 0


def test_memory_store_has_no_cache(monkeypatch):
    calls: list[Path] = []
    monkeypatch.setattr(graphcache, "read_graph", lambda path, *args: calls.append(path))
    monkeypatch.setattr(graphcache, "write_graph", lambda path, *args: calls.append(path))

    # The sample account is loaded through an in-memory store.
    loaded = load()

    assert loaded.store is not None
    assert loaded.store.location == store.MEMORY
    assert _records_read(loaded) is None
    assert calls == []


@pytest.mark.postgres
def test_postgres_store_has_no_cache(postgres_url, monkeypatch):
    written: list[Path] = []
    monkeypatch.setattr(graphcache, "read_graph", lambda path, *args: written.append(path))
    monkeypatch.setattr(graphcache, "write_graph", lambda path, *args: written.append(path))
    with fresh_database(postgres_url) as url:
        with store.open_store(url, create=True) as opened:
            opened.save(load(recording=SAMPLE_DIR / "account-after.json").result)

        first = load(db=url)
        second = load(db=url)
        for loaded in (first, second):
            assert loaded.store is not None
            loaded.store.close()

    assert written == []
    assert _records_read(second) is None


def test_large_snapshot_is_built_in_child_process(store_path, monkeypatch, caplog):
    monkeypatch.setattr(source, "CHILD_BUILD_RECORDS", 1)

    with caplog.at_level(logging.INFO, logger="lineage.graphcache"):
        loaded = _load(store_path)

    assert "in a child process" in caplog.text
    # The child wrote the cache, so this process only read it.
    assert not _built(loaded)
    assert _records_read(loaded) is False
    assert _caches(store_path) == [graphcache.cache_path(store_path, 2)]
    assert_same_graph(loaded.graph, _build(store_path, 2))


def test_failed_child_build_builds_in_process(store_path, monkeypatch, caplog):
    monkeypatch.setattr(source, "CHILD_BUILD_RECORDS", 1)
    monkeypatch.setattr(graphcache.sys, "executable", "/bin/false")

    with caplog.at_level(logging.WARNING, logger="lineage.graphcache"):
        loaded = _load(store_path)

    assert "failed with exit code 1" in caplog.text
    assert _built(loaded)
    assert_same_graph(loaded.graph, _build(store_path, 2))


def test_cache_builder_command_rejects_unknown_snapshot(store_path, capsys):
    code = graphcache.main([str(store_path), "99"])

    assert code == 2
    assert "has no snapshot 99" in capsys.readouterr().err
    assert _caches(store_path) == []


def test_loaded_needs_result_or_reader():
    with pytest.raises(ValueError, match="exactly one"):
        Loaded(graph=LineageGraph())


# --- helpers -----------------------------------------------------------------------------------


# The Loaded objects whose graph was built from records rather than read from a cache.
_BUILT: list[Loaded] = []


def _load(path: Path, as_of: int | None = None) -> Loaded:
    loaded, writes = load_counting_writes(path, as_of)
    assert loaded.store is not None
    if writes:
        _BUILT.append(loaded)
    return loaded


def _built(loaded: Loaded) -> bool:
    return any(loaded is other for other in _BUILT)


def _caches(store_path: Path) -> list[Path]:
    return cache_files(store_path)

def _records_read(loaded: Loaded) -> bool | None:
    """Return None for a graph built from records, else whether the deferred records were read."""
    if loaded._read_result is None and loaded._report is None:
        return None
    return loaded._result is not None


def _build(path: Path, snapshot_id: int) -> LineageGraph:
    """Return the graph `load` gives for a snapshot with the cache turned off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graphcache, "read_graph", lambda *args: None)
        patch.setattr(graphcache, "write_graph", lambda *args: None)
        loaded = _load(path, as_of=snapshot_id)
    assert _records_read(loaded) is None
    return loaded.graph


def _damage(path: Path, damage: str) -> None:
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x80\x05not a pickle at all" * 10)
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        with path.open("rb") as file:
            header = pickle.load(file)
        with path.open("wb") as file:
            pickle.dump(header, file, protocol=5)
            payload_start = file.tell()
            pickle.dump({"graph": "not a graph", "report": {}, "offsets": [0],
                         "details_start": payload_start}, file, protocol=5)
            file.write(struct.pack("<Q", payload_start))
