"""Load a lineage graph from a recording, a store or the bundled sample account.

`load()` is the one entry point that surfaces (CLI, Streamlit app) use to get a graph. It keeps
no state between calls, so a caller may cache its result by its arguments (for example with
Streamlit's `st.cache_resource`); a changed file on disk is only seen by a new call.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lineage.crawl.result import CrawlReport, CrawlResult, RecordKind
from lineage.errors import LineageError
from lineage.graph import LineageGraph
from lineage.recording import RecordingClient, load_recording

logger = logging.getLogger(__name__)

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"

# The sample account's newest state; older recordings in the folder are earlier snapshots.
DEFAULT_SAMPLE = "account-after.json"


@dataclass
class Loaded:
    """A graph together with the crawl it was built from and a description of its origin."""

    graph: LineageGraph
    result: CrawlResult
    description: str
    source: str

    @property
    def report(self) -> CrawlReport:
        return self.result.report


def load(recording: str | Path | None = None, db: str | Path | None = None) -> Loaded:
    """Crawl a recording, or read the latest snapshot of a store, and build its graph.

    With neither argument, loads the newest recording of the sample account in `sample_data/`.
    Raises LineageError when both arguments are given, when a file is missing or invalid, or
    when the sample data is not present.
    """
    if recording is not None and db is not None:
        raise LineageError(
            "give either a recording or a store, not both "
            f"(recording={str(recording)!r}, db={str(db)!r})"
        )

    if db is not None:
        return _load_store(db)
    if recording is not None:
        return _load_recording(Path(recording))
    return _load_recording(default_recording())


def default_recording(folder: Path = SAMPLE_DIR) -> Path:
    """Return the sample recording that `load()` uses when given no source.

    Prefers `account-after.json`; otherwise the recording in `folder` with the latest
    `recorded_at`. Raises LineageError when the folder holds no recording.
    """
    preferred = folder / DEFAULT_SAMPLE
    if preferred.is_file():
        return preferred

    dated: list[tuple[str, str, Path]] = []
    for path in sorted(folder.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            logger.debug("skipping %s: not a readable JSON file", path)
            continue
        if isinstance(document, dict) and isinstance(document.get("responses"), dict):
            dated.append((str(document.get("recorded_at") or ""), path.name, path))

    if not dated:
        raise LineageError(
            f"no sample recording found in {folder}; pass --recording FILE or --db PATH, "
            "or restore the sample_data folder of the source tree"
        )
    return max(dated)[2]


def _load_recording(path: Path) -> Loaded:
    document = load_recording(path)
    client = RecordingClient(document, source=str(path))
    crawl, build_graph = _pipeline()

    # A recording without Search responses (a bug report, a test case) is crawled from the
    # resources it describes, because a full crawl would find every kind denied.
    seeds = recording_seeds(document) if "search" not in document["responses"] else None
    logger.info("crawling recording %s (%s)", path, "seeded" if seeds else "full")
    result = crawl(client, seeds=seeds, account=client.account, region=client.region)
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


def _load_store(db: str | Path) -> Loaded:
    from lineage import store

    snapshot = store.open_store(db).latest()
    _, build_graph = _pipeline()
    graph = build_graph(snapshot.result)
    graph.meta.setdefault("snapshot", snapshot.info())
    description = (
        f"store {snapshot.path}, snapshot {snapshot.id} taken {snapshot.taken_at} "
        f"from {snapshot.source}"
    )
    return Loaded(graph=graph, result=snapshot.result, description=description, source=str(db))


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
    "DEFAULT_SAMPLE", "SAMPLE_DIR", "Loaded", "default_recording", "load", "recording_seeds",
]
