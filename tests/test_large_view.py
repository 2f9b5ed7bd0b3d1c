"""Bounded views of large graphs: folding, paging through a fold, hidden-neighbour counts."""

from __future__ import annotations

import json
import re

import pytest

from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.render import (
    DEFAULT_SIBLING_LIMIT,
    FOLD_KIND,
    hidden_neighbour_count,
    render,
    select_view,
    wrap_label,
)

HUB = "s3://data/shared/features/"
JOBS = 130
PAGE_SIZE = 25
FOLD_ID = f"fold:downstream:training_job:{HUB}"


def _hub_graph(jobs: int = JOBS) -> LineageGraph:
    """A hub dataset read by `jobs` training jobs, each with an artifact and a model."""
    graph = LineageGraph()
    graph.add_node(HUB, NodeKind.DATASET, "shared/features/", uri=HUB)
    for number in range(jobs):
        job = graph.add_node(
            f"training-job:job-{number:04d}",
            NodeKind.TRAINING_JOB,
            f"job-{number:04d}",
            created=f"2024-01-01T00:{number // 60:02d}:{number % 60:02d}",
        )
        graph.add_edge(job, HUB, Relation.TRAINED_ON, channel="train")
        artifact = graph.add_node(
            f"s3://models/job-{number:04d}/model.tar.gz", NodeKind.ARTIFACT, "model.tar.gz"
        )
        graph.add_edge(artifact, job, Relation.PRODUCED_BY)
    return graph


def _jobs_of(view_ids: list[str]) -> list[str]:
    return [node_id for node_id in view_ids if node_id.startswith("training-job:")]


def _vis_nodes(html: str) -> list[dict]:
    match = re.search(r"nodes = new vis\.DataSet\((\[.*?\])\);", html, re.DOTALL)
    assert match is not None
    return json.loads(match.group(1))


def _view(graph: LineageGraph, expanded: dict[str, int] | None = None, max_nodes: int = 300):
    selection = list(graph.downstream(HUB, depth=1))
    return select_view(
        graph,
        selection,
        focus=HUB,
        max_nodes=max_nodes,
        sibling_limit=DEFAULT_SIBLING_LIMIT,
        expanded=expanded,
        page_size=PAGE_SIZE,
    )


def test_collapsed_fold_keeps_newest_siblings() -> None:
    graph = _hub_graph()

    view = _view(graph)

    kept = DEFAULT_SIBLING_LIMIT - 1
    jobs = _jobs_of(view.graph_node_ids)
    assert len(jobs) == kept
    # Newest first: the jobs with the highest numbers were created last.
    assert jobs[0] == f"training-job:job-{JOBS - 1:04d}"
    folds = [node for node in view.nodes if node.kind == FOLD_KIND]
    assert [fold.id for fold in folds] == [FOLD_ID]
    assert len(folds[0].members) == JOBS - kept
    assert folds[0].page is None
    assert folds[0].pages == -(-(JOBS - kept) // PAGE_SIZE)
    assert folds[0].next_page == 0


def test_expanded_fold_draws_one_page() -> None:
    graph = _hub_graph()
    collapsed = _view(graph)
    folded = next(node for node in collapsed.nodes if node.kind == FOLD_KIND).members

    view = _view(graph, {FOLD_ID: 0})

    kept = DEFAULT_SIBLING_LIMIT - 1
    jobs = _jobs_of(view.graph_node_ids)
    assert len(jobs) == kept + PAGE_SIZE
    assert jobs[kept:] == list(folded[:PAGE_SIZE])
    fold = next(node for node in view.nodes if node.kind == FOLD_KIND)
    assert len(fold.members) == JOBS - kept - PAGE_SIZE
    assert fold.page == 0
    assert fold.next_page == 1
    assert len(view.nodes) == len(collapsed.nodes) + PAGE_SIZE


def test_pages_partition_the_folded_members() -> None:
    graph = _hub_graph()
    collapsed = _view(graph)
    fold = next(node for node in collapsed.nodes if node.kind == FOLD_KIND)

    drawn: list[str] = []
    for page in range(fold.pages):
        view = _view(graph, {FOLD_ID: page})
        drawn += _jobs_of(view.graph_node_ids)[DEFAULT_SIBLING_LIMIT - 1 :]

    assert drawn == list(fold.members)


def test_last_page_wraps_to_first_on_click() -> None:
    graph = _hub_graph()
    pages = -(-(JOBS - DEFAULT_SIBLING_LIMIT + 1) // PAGE_SIZE)

    view = _view(graph, {FOLD_ID: pages - 1})

    fold = next(node for node in view.nodes if node.kind == FOLD_KIND)
    assert fold.page == pages - 1
    assert fold.next_page == 0


def test_page_past_the_end_shows_last_page() -> None:
    graph = _hub_graph()
    pages = -(-(JOBS - DEFAULT_SIBLING_LIMIT + 1) // PAGE_SIZE)

    view = _view(graph, {FOLD_ID: 999})

    fold = next(node for node in view.nodes if node.kind == FOLD_KIND)
    assert fold.page == pages - 1


def test_unknown_fold_id_changes_nothing() -> None:
    graph = _hub_graph()

    view = _view(graph, {"fold:downstream:training_job:s3://other/": 2})

    assert [node.id for node in view.nodes] == [node.id for node in _view(graph).nodes]


def test_expanded_page_respects_node_cap() -> None:
    graph = _hub_graph()
    max_nodes = 20

    view = _view(graph, {FOLD_ID: 0}, max_nodes=max_nodes)

    assert len(view.nodes) <= max_nodes
    fold = next(node for node in view.nodes if node.kind == FOLD_KIND)
    drawn = len(_jobs_of(view.graph_node_ids))
    assert drawn + len(fold.members) == JOBS


def test_hidden_neighbours_counted_per_node() -> None:
    graph = _hub_graph()

    view = _view(graph)

    drawn = set(view.graph_node_ids)
    hub = next(node for node in view.nodes if node.id == HUB)
    assert hub.hidden_neighbours == JOBS - (DEFAULT_SIBLING_LIMIT - 1)
    job = next(node for node in view.nodes if node.id.startswith("training-job:"))
    # The job's artifact is outside the depth-1 selection.
    assert job.hidden_neighbours == 1
    assert hidden_neighbour_count(graph, job.id, drawn) == 1


def test_label_shows_hidden_count() -> None:
    graph = _hub_graph()

    result = render(graph, list(graph.downstream(HUB, depth=1)), focus=HUB)

    nodes = {node["id"]: node for node in _vis_nodes(result.html)}
    folded = JOBS - (DEFAULT_SIBLING_LIMIT - 1)
    # The name is wrapped to the node's width; the hidden count is the label's last line.
    assert nodes[HUB]["label"] == (
        f"{wrap_label('shared/features/')}\n+{folded} hidden ({folded} folded)"
    )
    assert nodes[FOLD_ID]["expand_page"] == 0


def test_render_reports_folds() -> None:
    graph = _hub_graph()

    result = render(
        graph, list(graph.downstream(HUB, depth=1)), focus=HUB, expanded={FOLD_ID: 1}
    )

    assert [fold.id for fold in result.folds] == [FOLD_ID]
    assert result.folds[0].page == 1
    assert result.folds[0].caption.startswith(f"{JOBS - 11 - PAGE_SIZE} more training jobs")
    assert result.node_count == len(_vis_nodes(result.html))


def test_fold_click_script_inside_data_script() -> None:
    graph = _hub_graph(jobs=30)

    html = render(graph, list(graph.downstream(HUB, depth=1)), focus=HUB).html

    data_script = html[html.rfind("<script") : html.rfind("</script>")]
    assert "drawGraph()" in data_script
    assert 'url.searchParams.set("expand", node.id)' in data_script
    assert "PopStateEvent" in data_script


def test_whole_large_graph_stays_bounded() -> None:
    graph = _hub_graph(jobs=3000)

    result = render(graph, list(graph.nx.nodes), focus=HUB)

    assert result.node_count <= 300
    assert len(result.graph_node_ids) + result.folded + result.hidden == len(graph)


def test_page_size_must_be_positive() -> None:
    graph = _hub_graph(jobs=3)

    with pytest.raises(ValueError, match="page_size"):
        render(graph, [HUB], page_size=0)
