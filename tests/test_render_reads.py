"""Tests of how much of a cached graph a view reads, on the first Explore view of a hub.

A graph read from the graph cache keeps each node's full attributes on disk and reads them on
`node()`. Folding, sorting and counting the thousands of neighbours of a hub must use the
columns kept in memory (`kind`, `brief`, `attribute`), so a view reads from disk only the
nodes it draws, whose tooltips need every attribute.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from lineage import graphcache
from lineage.frozen import DetailFile, FrozenLineageGraph
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.render import DEFAULT_MAX_NODES, FOLD_KIND, render, select_view
from tests.browser_support import REPO_ROOT

HUB = "s3://data/shared/features/"
JOBS = 600
# Every job also made a model artifact, so the hub's neighbourhood goes past the node cap.
SNAPSHOT = {"id": 1, "time": "2024-02-01T00:00:00", "source": "test", "records": {}}


def _hub_graph() -> LineageGraph:
    graph = LineageGraph()
    graph.add_node(HUB, NodeKind.DATASET, "shared/features/", uri=HUB)
    for number in range(JOBS):
        job = graph.add_node(
            f"training-job:job-{number:04d}",
            NodeKind.TRAINING_JOB,
            f"job-{number:04d}",
            # Some jobs share a creation time, and some have none, so the label breaks ties.
            created=f"2024-01-01T{number % 24:02d}:00:00" if number % 7 else None,
            hyperparameters={"epochs": str(number)},
        )
        graph.add_edge(job, HUB, Relation.TRAINED_ON, channel="train")
        artifact = graph.add_node(
            f"s3://models/job-{number:04d}/model.tar.gz", NodeKind.ARTIFACT, "model.tar.gz"
        )
        graph.add_edge(artifact, job, Relation.PRODUCED_BY)
    return graph


@pytest.fixture(scope="module")
def cached_graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrozenLineageGraph]:
    """The hub graph written to a graph cache and read back, with its details on disk."""
    folder = tmp_path_factory.mktemp("cache")
    # The cache key names the store file only by device and inode, so an empty file will do.
    store_path = folder / "lineage.sqlite"
    store_path.touch()
    assert graphcache.write_graph(store_path, SNAPSHOT, _hub_graph(), report={})
    cached = graphcache.read_graph(store_path, SNAPSHOT)
    assert cached is not None
    yield cached.graph


@pytest.fixture
def detail_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the index of every node whose details are read from the cache file."""
    reads: list[int] = []
    original = DetailFile.read

    def counting_read(self: DetailFile, index: int) -> dict:
        reads.append(index)
        return original(self, index)

    monkeypatch.setattr(DetailFile, "read", counting_read)
    return reads


def test_hub_view_reads_only_drawn_nodes(cached_graph, detail_reads) -> None:
    selection = list(cached_graph.neighbourhood(HUB, 2, "both"))

    result = render(cached_graph, selection, focus=HUB)

    assert len(selection) == 1 + 2 * JOBS
    assert result.folded > 0
    assert result.hidden > 0
    assert len(result.graph_node_ids) < DEFAULT_MAX_NODES
    assert len(detail_reads) <= len(result.graph_node_ids)


def test_cached_hub_view_equals_in_memory_view(cached_graph) -> None:
    graph = _hub_graph()
    selection = list(graph.neighbourhood(HUB, 2, "both"))
    expanded = {f"fold:downstream:training_job:{HUB}": 2}

    in_memory = render(graph, selection, focus=HUB, expanded=expanded)
    cached = render(cached_graph, selection, focus=HUB, expanded=expanded)

    assert cached.graph_node_ids == in_memory.graph_node_ids
    assert cached.folds == in_memory.folds
    assert cached.html == in_memory.html


def test_siblings_newest_first_then_label(cached_graph) -> None:
    selection = list(cached_graph.neighbourhood(HUB, 1, "both"))

    result = render(cached_graph, selection, focus=HUB, max_nodes=40, sibling_limit=30)

    drawn_jobs = [node_id for node_id in result.graph_node_ids if node_id != HUB]
    created = [cached_graph.attribute(node_id, "created") for node_id in drawn_jobs]
    assert len(drawn_jobs) == 29
    assert created == sorted(created, reverse=True)
    assert all(created)
    newest = [
        node_id for node_id, time in zip(drawn_jobs, created, strict=True) if time == created[0]
    ]
    assert newest == sorted(newest)


def test_fold_tooltip_names_first_members(cached_graph) -> None:
    selection = list(cached_graph.neighbourhood(HUB, 1, "both"))

    view = select_view(
        cached_graph, selection, focus=HUB, max_nodes=DEFAULT_MAX_NODES, sibling_limit=12
    )

    [fold] = [node for node in view.nodes if node.kind == FOLD_KIND]
    lines = fold.title.splitlines()
    assert lines[0] == f"{len(fold.members)} more training jobs downstream of shared/features/"
    assert lines[1:11] == [cached_graph.attribute(member, "label") for member in fold.members[:10]]
    assert lines[11] == f"\u2026 {len(fold.members) - 10} more"
    assert len(lines) == 13


def test_app_import_loads_no_page_module() -> None:
    # Importing every page module made a cold start about 1 s slower, mostly through the
    # Regression page's pandas and altair.
    code = (
        "import sys; import ui.app; "
        "print(sorted(name for name in sys.modules if name.startswith('ui.views.')))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        capture_output=True,
        text=True,
        check=True,
    )

    assert completed.stdout.strip() == "['ui.views.common']"
