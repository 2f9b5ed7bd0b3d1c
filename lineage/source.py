"""Load a lineage graph from a recording, a store or the bundled sample account.

`load()` is the one entry point that surfaces (CLI, Streamlit app) use to get a graph. It keeps
no state between calls, so a caller may cache its result by its arguments (for example with
Streamlit's `st.cache_resource`); a changed file on disk is only seen by a new call. The sample
account has two recordings, a day apart, so `load()` saves both as snapshots of an in-memory
store: the history queries (as of, timeline, regression) then work on the sample too.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lineage.crawl.result import CrawlReport, CrawlResult, RecordKind
from lineage.errors import LineageError
from lineage.graph import LineageGraph
from lineage.recording import RecordingClient, load_recording

if TYPE_CHECKING:
    from lineage.store import SnapshotInfo, Store

logger = logging.getLogger(__name__)

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"

# The sample account's newest state; older recordings in the folder are earlier snapshots.
DEFAULT_SAMPLE = "account-after.json"

# A snapshot id, a time, a text form of either (see lineage.store.parse_as_of), or None.
AsOfArgument = datetime | int | str | None


class Loaded:
    """A graph together with the crawl it was built from and a description of its origin.

    `store` is the store the graph was read from (None for a single recording) and `as_of` the
    snapshot of that store the graph shows. Give either `result` or `read_result`: a graph
    read from a cache comes with `read_result`, which `result` calls once, on first access,
    because only search needs the records and reading them is most of a large store's load.
    `report` then comes from `report`, so that showing it reads no record.
    """

    def __init__(
        self,
        graph: LineageGraph,
        result: CrawlResult | None = None,
        description: str = "",
        source: str = "",
        store: Store | None = None,
        as_of: SnapshotInfo | None = None,
        *,
        read_result: Callable[[], CrawlResult] | None = None,
        report: CrawlReport | None = None,
    ) -> None:
        if (result is None) == (read_result is None):
            raise ValueError("Loaded needs exactly one of result and read_result")
        self.graph = graph
        self.description = description
        self.source = source
        self.store = store
        self.as_of = as_of
        self._result = result
        self._read_result = read_result
        self._report = report
        self._lock = threading.Lock()

    @property
    def result(self) -> CrawlResult:
        """The crawl's records and report, read from the store on first access if deferred."""
        if self._result is None:
            # Streamlit reruns may ask from several threads; the records are read once.
            with self._lock:
                if self._result is None:
                    assert self._read_result is not None
                    self._result = self._read_result()
                    self._read_result = None
        return self._result

    @property
    def report(self) -> CrawlReport:
        if self._result is None and self._report is not None:
            return self._report
        return self.result.report

    def __repr__(self) -> str:
        return f"Loaded({self.description!r}, {len(self.graph)} nodes)"


def load(
    recording: str | Path | None = None,
    db: str | Path | None = None,
    as_of: AsOfArgument = None,
) -> Loaded:
    """Crawl a recording, or read one snapshot of a store, and build its graph.

    `db` is a SQLite file or a `postgresql://` URL. With neither source, saves every recording
    of the sample account in `sample_data/` as a snapshot of an in-memory store, oldest first.
    `as_of` picks the snapshot of a store (default: the newest). Raises LineageError when both
    sources are given, when `as_of` is given for a single recording, when a file is missing or
    invalid, or when the sample data is not present.
    """
    if recording is not None and db is not None:
        raise LineageError(
            "give either a recording or a store, not both "
            f"(recording={str(recording)!r}, db={str(db)!r})"
        )

    if db is not None:
        return _load_store(db, as_of)
    if recording is not None:
        if as_of is not None:
            raise LineageError(
                f"a recording is one snapshot, so as_of={as_of!r} does not apply to "
                f"{recording}; save it to a store with `lineage crawl --recording FILE --db "
                "PATH` or drop as_of"
            )
        return _load_recording(Path(recording))
    return load_sample(as_of=as_of)


def load_sample(folder: Path = SAMPLE_DIR, as_of: AsOfArgument = None) -> Loaded:
    """Save the recordings in `folder` as snapshots of an in-memory store, ordered by their
    `recorded_at`, and build the graph as of one snapshot (default: the newest).

    Raises LineageError when the folder contains no recording.
    """
    from lineage import store as stores

    paths = sample_recordings(folder)
    crawl, _ = _pipeline()
    memory = stores.open_store(stores.MEMORY, create=True)
    for path in paths:
        document = load_recording(path)
        client = RecordingClient(document, source=str(path))
        result = crawl(client, seeds=crawl_seeds(document), account=client.account,
                       region=client.region, **cloudtrail_options(document, path),
                       **tag_options(document))
        memory.save(result, source=f"recording {path.name}",
                    taken_at=recorded_at(document, path))

    names = ", ".join(path.name for path in paths)
    loaded = _from_store(memory, as_of, origin=f"the sample account: {names}")
    loaded.source = str(paths[-1]) if len(paths) == 1 else str(folder)
    return loaded


def sample_recordings(folder: Path = SAMPLE_DIR) -> list[Path]:
    """Return the recordings in `folder`, oldest `recorded_at` first (undated ones first).

    Raises LineageError when the folder contains none.
    """
    dated = _dated_recordings(folder)
    if not dated:
        raise LineageError(
            f"no sample recording found in {folder}; pass --recording FILE or --db PATH, "
            "or restore the sample_data folder of the source tree"
        )
    return [path for _, _, path in sorted(dated)]


def default_recording(folder: Path = SAMPLE_DIR) -> Path:
    """Return the sample recording that `load()` uses when given no source.

    Prefers `account-after.json`; otherwise the recording in `folder` with the latest
    `recorded_at`. Raises LineageError when the folder contains no recording.
    """
    preferred = folder / DEFAULT_SAMPLE
    if preferred.is_file():
        return preferred
    return sample_recordings(folder)[-1]


def _dated_recordings(folder: Path) -> list[tuple[str, str, Path]]:
    dated: list[tuple[str, str, Path]] = []
    for path in sorted(folder.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            logger.debug("skipping %s: not a readable JSON file", path)
            continue
        if isinstance(document, dict) and isinstance(document.get("responses"), dict):
            dated.append((str(document.get("recorded_at") or ""), path.name, path))
    return dated


def recorded_at(document: dict[str, Any], path: Path) -> datetime | None:
    text = document.get("recorded_at")
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise LineageError(
            f"recording {path} has an invalid recorded_at {text!r}; write an ISO time such as "
            "2024-06-12T06:00:00Z"
        ) from None


def cloudtrail_options(document: dict[str, Any], path: Path) -> dict[str, Any]:
    """Return the `crawl()` arguments that read a recording's CloudTrail events, if it has any.

    A recording without `lookup_events` responses is crawled without CloudTrail, so that it
    does not report CloudTrail as denied. The lookup window ends at `recorded_at`.
    """
    if "lookup_events" not in document["responses"]:
        return {}
    return {"cloudtrail": True, "cloudtrail_until": recorded_at(document, path)}


def tag_options(document: dict[str, Any]) -> dict[str, Any]:
    """Return the `crawl()` arguments that read tags, when the recording has list_tags responses.

    Records read with describe carry no tags, so a recording of a crawl that listed and
    described resources keeps them only in its list_tags responses.
    """
    if "list_tags" not in document["responses"]:
        return {}
    return {"fetch_tags": True}


def crawl_seeds(document: dict[str, Any]) -> list[tuple[RecordKind, str]] | None:
    """Return the seeds to crawl a recording from, or None for a full crawl.

    A recording without Search responses (a bug report, a test case) is crawled from the
    resources it describes, because a full crawl would find the Search of every kind denied.
    A recording that describes nothing (only list responses) gets a full crawl, because an
    empty seed list would read nothing at all.
    """
    if "search" in document["responses"]:
        return None
    return recording_seeds(document) or None


# Account-wide listings of kinds that no described resource refers to.
_LISTINGS = {
    RecordKind.PIPELINE_EXECUTION: "list_pipelines",
    RecordKind.ASSOCIATION: "list_associations",
}


def seeded_extras(document: dict[str, Any]) -> set[RecordKind]:
    """Return the kinds that a crawl from seeds should list too: those the recording lists.

    A crawl from seeds follows references, and nothing refers to a pipeline execution or a
    lineage association. A recording with responses to their listings (a bug report showing a
    cross-account association) is read as a full crawl would read it.
    """
    responses = document["responses"]
    return {kind for kind, operation in _LISTINGS.items() if operation in responses}


def _load_recording(path: Path) -> Loaded:
    document = load_recording(path)
    client = RecordingClient(document, source=str(path))
    crawl, build_graph = _pipeline()

    seeds = crawl_seeds(document)
    logger.info("crawling recording %s (%s)", path, "seeded" if seeds else "full")
    extras: dict[str, Any] = {}
    if seeds:
        extras = {"seeded_extras": seeded_extras(document),
                  "query_lineage": "query_lineage" in document["responses"]}
    result = crawl(client, seeds=seeds, account=client.account, region=client.region,
                   **cloudtrail_options(document, path), **tag_options(document), **extras)
    graph = build_graph(result)

    recorded_at = document.get("recorded_at")
    if recorded_at:
        # The records show the account as it was when recorded, not when replayed.
        graph.meta["recorded_at"] = recorded_at
        coverage = graph.meta.get("coverage")
        if isinstance(coverage, dict):
            coverage["crawled_at"] = recorded_at
    description = f"recording {path.name}"
    if recorded_at:
        description += f", recorded {recorded_at}"
    if document.get("description"):
        description += f": {document['description']}"
    return Loaded(graph=graph, result=result, description=description, source=str(path))


def recording_seeds(document: dict[str, Any]) -> list[tuple[RecordKind, str]]:
    """Return (kind, name) for every resource a recording has a describe response for.

    Names come from the `by_args` arguments or, for a response given for any arguments, from
    the response's own name field. Error responses name nothing and are skipped.
    """
    from lineage.crawl.specs import SPECS

    seeds: list[tuple[RecordKind, str]] = []
    for spec in SPECS.values():
        response = document["responses"].get(spec.describe_op or "")
        if response is None:
            continue
        for name in _described_names(response, spec.describe_arg, spec.name_field):
            if (spec.kind, name) not in seeds:
                seeds.append((spec.kind, name))
    return seeds


def _described_names(response: dict[str, Any], argument: str, name_field: str) -> list[str]:
    if "by_args" in response:
        names: list[str] = []
        for entry in response["by_args"]:
            name = entry.get("args", {}).get(argument)
            if isinstance(name, str):
                names.append(name)
            else:
                names += _described_names(entry["response"], argument, name_field)
        return names
    if "pages" in response:
        found = [name for page in response["pages"]
                 for name in _described_names(page, argument, name_field)]
        return found[:1]
    name = response.get(name_field)
    return [name] if isinstance(name, str) and name else []


def _load_store(db: str | Path, as_of: AsOfArgument) -> Loaded:
    from lineage import store as stores

    opened = stores.open_store(db)
    try:
        loaded = _from_store(opened, as_of, origin=f"store {opened.location}")
    except BaseException:
        opened.close()
        raise
    loaded.source = opened.location
    return loaded


def _from_store(opened: Store, as_of: AsOfArgument, origin: str) -> Loaded:
    from lineage import store as stores

    reference = stores.parse_as_of(as_of) if isinstance(as_of, str) else as_of
    snapshots = opened.snapshots()
    info = opened.resolve(reference)
    graph, result, report = _snapshot_graph(opened, info)

    # The records show the account as it was when the snapshot was taken.
    graph.meta["snapshot"] = info.to_dict()
    graph.meta["recorded_at"] = info.taken_at.isoformat()
    coverage = graph.meta.get("coverage")
    if isinstance(coverage, dict):
        coverage["crawled_at"] = info.taken_at.isoformat()

    verb = "recorded" if info.source.startswith("recording ") else "taken"
    description = (
        f"{info.source}, {verb} {info.taken_at.isoformat()} (snapshot {info.id} of "
        f"{len(snapshots)} in {origin})"
    )
    if result is not None:
        return Loaded(graph=graph, result=result, description=description, source=origin,
                      store=opened, as_of=info)
    return Loaded(graph=graph, description=description, source=origin, store=opened,
                  as_of=info, read_result=partial(opened.result_at, info.id), report=report)


# A snapshot with at least this many records is built in a separate process the first time,
# so that the memory the build needs (about 2.7 GB for 108,000 records) is returned to the
# system when it ends. The app then reads the graph from the cache the child wrote.
CHILD_BUILD_RECORDS = 20_000


def _snapshot_graph(
    opened: Store, info: SnapshotInfo
) -> tuple[LineageGraph, CrawlResult | None, CrawlReport | None]:
    """Return the graph of a snapshot with its records, or from the cache with its report only.

    Only a SQLite file has a cache (see lineage.graphcache); a PostgreSQL or in-memory store
    builds the graph on every load.
    """
    from lineage import graphcache

    cache_file = _cache_file(opened)
    if cache_file is not None:
        cached = graphcache.read_graph(cache_file, info.to_dict())
        if cached is None and info.records >= CHILD_BUILD_RECORDS:
            if graphcache.build_in_child(cache_file, info.id):
                cached = graphcache.read_graph(cache_file, info.to_dict())
        if cached is not None:
            return cached.graph, None, CrawlReport.from_dict(cached.report)
    return _build_snapshot(opened, info, cache_file)


def _build_snapshot(
    opened: Store, info: SnapshotInfo, cache_file: Path | None
) -> tuple[LineageGraph, CrawlResult | None, CrawlReport | None]:
    """Build the graph of a snapshot from its records and write its cache when there is one."""
    from lineage import graphcache

    graph, result, written = _build_and_write(opened, info, cache_file)
    if cache_file is not None and written is not None:
        # The graph read back keeps node attributes on disk, and the records are read again
        # when search needs them: on a large account both take gigabytes in memory.
        cached = graphcache.read_graph(cache_file, info.to_dict())
        if cached is not None:
            return cached.graph, None, CrawlReport.from_dict(cached.report)
    return graph, result, None


def _build_and_write(
    opened: Store, info: SnapshotInfo, cache_file: Path | None
) -> tuple[LineageGraph, CrawlResult, Path | None]:
    """Build a snapshot's graph; write its cache when `cache_file` is given. Return the path."""
    from lineage import graphcache
    from lineage.build import collector_paused

    with collector_paused():
        result = opened.result_at(info.id)
        _, build_graph = _pipeline()
        graph = build_graph(result)
        written = None
        if cache_file is not None:
            written = graphcache.write_graph(cache_file, info.to_dict(), graph,
                                             result.report.to_dict())
    return graph, result, written


def build_snapshot_cache(store_path: Path, snapshot_id: int) -> Path | None:
    """Build the graph of one snapshot of a SQLite store and write its cache; return its path.

    This is what `python -m lineage.graphcache` runs in the child process of a first load.
    Returns None when the cache could not be written (the reason is logged). Raises
    LineageError when the store or the snapshot cannot be read.
    """
    from lineage import store as stores

    with stores.open_store(store_path) as opened:
        matches = [info for info in opened.snapshots() if info.id == snapshot_id]
        if not matches:
            raise LineageError(f"store {store_path} has no snapshot {snapshot_id}; pass the id "
                               "of a saved snapshot")
        cache_file = _cache_file(opened)
        if cache_file is None:
            raise LineageError(f"{store_path} is not a SQLite file, so it has no graph cache")
        _, _, written = _build_and_write(opened, matches[0], cache_file)
        return written


def _cache_file(opened: Store) -> Path | None:
    from lineage import store as stores

    backend = opened.backend
    if isinstance(backend, stores.SQLiteBackend) and not backend.memory:
        assert isinstance(backend.path, Path)
        return backend.path.resolve()
    return None


def _pipeline() -> tuple[Any, Any]:
    # Imported on use so that importing this module never depends on the crawler or the
    # graph builder, and a missing one gives a message instead of an ImportError at start-up.
    try:
        from lineage.build import build_graph
        from lineage.crawl.crawler import crawl
    except ModuleNotFoundError as err:
        if err.name not in ("lineage.build", "lineage.crawl.crawler"):
            raise
        raise LineageError(
            f"cannot load a graph: module {err.name} is missing from this installation; "
            "reinstall the package"
        ) from err
    return crawl, build_graph


__all__ = [
    "DEFAULT_SAMPLE", "SAMPLE_DIR", "Loaded", "cloudtrail_options", "crawl_seeds",
    "default_recording", "load",
    "load_sample", "recorded_at",
    "recording_seeds", "sample_recordings",
]
