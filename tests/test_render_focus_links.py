"""A capped view with a focus draws one connected piece around the focus.

Nodes linked to the focus only through folded siblings are counted as not drawn, never drawn
as loose pieces. Parts that a kind filter cut off from the focus are still drawn.
"""

from __future__ import annotations

from collections import defaultdict

from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.render import FOLD_KIND, SUMMARY_KIND, select_view

HUB = "s3://data/shared/features/"
JOBS = 60


def _hub_graph() -> LineageGraph:
    """A hub read by JOBS training jobs; each job's artifact is loaded by a model."""
    graph = LineageGraph()
    graph.add_node(HUB, NodeKind.DATASET, "shared/features/", uri=HUB)
    for number in range(JOBS):
        job = graph.add_node(f"training-job:job-{number:03d}", NodeKind.TRAINING_JOB,
                             f"job-{number:03d}", created=f"2024-01-01T00:00:{number:02d}")
        graph.add_edge(job, HUB, Relation.TRAINED_ON, channel="train")
        artifact = graph.add_node(f"s3://models/job-{number:03d}/model.tar.gz",
                                  NodeKind.ARTIFACT, f"job-{number:03d}/model.tar.gz")
        graph.add_edge(artifact, job, Relation.PRODUCED_BY)
        model = graph.add_node(f"model:model-{number:03d}", NodeKind.MODEL,
                               f"model-{number:03d}")
        graph.add_edge(model, artifact, Relation.LOADS)
    return graph


def _pieces(view) -> list[set[str]]:
    """Return the connected pieces of the drawn graph and fold nodes."""
    drawn = [node.id for node in view.nodes if node.kind != SUMMARY_KIND]
    links: dict[str, set[str]] = defaultdict(set)
    for edge in view.edges:
        links[edge.source].add(edge.target)
        links[edge.target].add(edge.source)
    pieces: list[set[str]] = []
    seen: set[str] = set()
    for node_id in drawn:
        if node_id in seen:
            continue
        piece, stack = {node_id}, [node_id]
        while stack:
            for other in links[stack.pop()]:
                if other not in piece:
                    piece.add(other)
                    stack.append(other)
        seen |= piece
        pieces.append(piece)
    return pieces


def test_focus_view_is_one_piece() -> None:
    graph = _hub_graph()
    selection = list(graph.neighbourhood(HUB, 6, "both"))

    view = select_view(graph, selection, focus=HUB, max_nodes=300, sibling_limit=12)

    pieces = _pieces(view)
    assert len(pieces) == 1
    assert HUB in pieces[0]
    assert any(node.kind == FOLD_KIND for node in view.nodes)
    # The folded jobs' artifacts and models are counted as not drawn.
    drawn = {node.id for node in view.nodes}
    assert "model:model-000" not in drawn
    assert view.hidden == 2 * (JOBS - 11)


def test_kind_filter_still_draws_cut_off_parts() -> None:
    graph = _hub_graph()
    # Without training jobs and artifacts, models share no edge with the hub.
    selection = [node_id for node_id in graph.neighbourhood(HUB, 6, "both")
                 if graph.kind(node_id) in (NodeKind.DATASET, NodeKind.MODEL)]

    view = select_view(graph, selection, focus=HUB, max_nodes=300, sibling_limit=12)

    drawn = {node.id for node in view.nodes}
    assert HUB in drawn
    assert {f"model:model-{number:03d}" for number in range(JOBS)} <= drawn


def test_deployed_siblings_are_drawn_before_newer_ones() -> None:
    graph = _hub_graph()
    # Two of the oldest jobs have models that endpoints serve.
    for number in (1, 3):
        config = graph.add_node(f"endpoint-config:config-{number}", NodeKind.ENDPOINT_CONFIG,
                                f"config-{number}")
        graph.add_edge(config, f"model:model-{number:03d}", Relation.SERVES, variant="main")
        endpoint = graph.add_node(f"endpoint:endpoint-{number}", NodeKind.ENDPOINT,
                                  f"endpoint-{number}")
        graph.add_edge(endpoint, config, Relation.USES_CONFIG)
    selection = list(graph.neighbourhood(HUB, 6, "both"))

    view = select_view(graph, selection, focus=HUB, max_nodes=300, sibling_limit=12)

    drawn = {node.id for node in view.nodes}
    assert {"endpoint:endpoint-1", "endpoint:endpoint-3"} <= drawn
    assert {"training-job:job-001", "training-job:job-003"} <= drawn
    # The other drawn jobs are the newest.
    assert f"training-job:job-{JOBS - 1:03d}" in drawn
    assert "training-job:job-000" not in drawn
    assert len(_pieces(view)) == 1
