"""Dataset impact page: everything made from an S3 location or prefix.

Long lists (the jobs reading a hub dataset, everything made from them) are shown as paged
tables, and the graph is bounded like the Explore page's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar, overload

import streamlit as st

from lineage.errors import LineageError
from lineage.graph import LineageGraph
from lineage.queries.common import NodeRef
from lineage.queries.impact import Consumer, ImpactHit, ImpactResult, impact
from lineage.source import Loaded
from ui.views import common

# Titles of the downstream groups of an impact result, in the order they are shown.
GROUP_TITLES = {
    "jobs": "Jobs",
    "datasets": "Datasets written downstream",
    "artifacts": "Model artifacts",
    "models": "Models",
    "model_packages": "Model packages",
    "endpoint_configs": "Endpoint configs",
    "inference_components": "Inference components",
    "endpoints": "Endpoints",
}


def render(loaded: Loaded) -> None:
    """Draw the Dataset impact page for the loaded graph."""
    st.title("Dataset impact")
    st.write(
        "Enter an S3 URI or prefix to list every job, artifact, model and endpoint made from "
        "data under it. A prefix is a key-name prefix: `s3://bucket/data/train` also covers "
        "`s3://bucket/data/train_v2/`."
    )
    uri = st.text_input("S3 URI or prefix", key="impact_uri", placeholder="s3://bucket/prefix/")
    if not uri.strip():
        st.info("Enter a location to see what was made from it.")
        return

    try:
        result = cached_impact(loaded.graph, common.graph_cache_key(loaded.graph), uri.strip())
    except LineageError as err:
        common.show_lineage_error(
            err, "Enter an `s3://bucket/key` URI or an https S3 URL, such as `s3://bucket/prefix/`."
        )
        return
    show_result(loaded, result)


@st.cache_data(show_spinner="Finding what was made from this location...", max_entries=32)
def cached_impact(_graph: LineageGraph, graph_key: str, uri: str) -> ImpactResult:
    """Return `impact(_graph, uri)`, computed once per graph and location."""
    return impact(_graph, uri)


def _node_status(graph: LineageGraph, ref: NodeRef) -> str | None:
    # A placeholder's status (not found, access denied) first, else the resource's own status
    # (TrainingJobStatus, EndpointStatus), which models, artifacts and configs do not have.
    if ref.status:
        return ref.status
    status = graph.attribute(ref.id, "status") if ref.id in graph else None
    return str(status) if status else None


_Row = dict[str, str | None]
_Item = TypeVar("_Item")


class _LazyRows(Sequence[_Row], Generic[_Item]):
    """Table rows made from items when their page is shown.

    A hub dataset has tens of thousands of consumers and downstream nodes, and a table shows
    one page of them at a time, so rows are not made up front.
    """

    def __init__(self, items: Sequence[_Item], make_row: Callable[[_Item], _Row]) -> None:
        self._items = items
        self._make_row = make_row

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> _Row: ...

    @overload
    def __getitem__(self, index: slice) -> list[_Row]: ...

    def __getitem__(self, index: int | slice) -> _Row | list[_Row]:
        if isinstance(index, slice):
            return [self._make_row(item) for item in self._items[index]]
        return self._make_row(self._items[index])


def _ref_rows(graph: LineageGraph, refs: Sequence[NodeRef]) -> _LazyRows[NodeRef]:
    """Return one row per node; the status column is left out when no node has a status."""
    # Jobs and endpoints have a status, so this scan usually stops at the first node.
    with_status = any(_node_status(graph, ref) for ref in refs)

    def row(ref: NodeRef) -> _Row:
        cells: _Row = {"name": ref.label, "kind": common.kind_title(ref.kind)}
        if with_status:
            cells["status"] = _node_status(graph, ref)
        cells["id"] = ref.id
        return cells

    return _LazyRows(refs, row)


def _match_row(pair: tuple[ImpactHit, Consumer | None]) -> _Row:
    hit, consumer = pair
    return {
        "location": hit.uri,
        "match": hit.match,
        "data type": hit.data_type,
        "read by": consumer.job.label if consumer else "",
        "channel": consumer.channel if consumer else "",
        "node": hit.node.label,
    }


def show_result(loaded: Loaded, result: ImpactResult) -> None:
    """Show the hits, warnings, downstream tables, possible manifest hits and the graph."""
    st.text(f"Location: {result.location}")
    for warning in result.warnings:
        st.warning(common.escape_markdown(warning))

    if result.empty:
        st.info("No dataset or artifact in the crawl matches this location.")
    if result.coverage_statement:
        st.text(result.coverage_statement)

    if result.hits:
        st.subheader("Matches")
        # One row per job reading a match, or one row for a match nothing reads.
        pairs: list[tuple[ImpactHit, Consumer | None]] = []
        for hit in result.hits:
            consumers: list[Consumer | None] = list(hit.consumers) or [None]
            pairs.extend((hit, consumer) for consumer in consumers)
        common.show_paged_table(_LazyRows(pairs, _match_row), key="impact_matches_page")

    if result.endpoints:
        st.subheader("Endpoints serving affected configs")
        common.show_paged_table(
            [
                {
                    "endpoint": item.endpoint.label,
                    "status": _node_status(loaded.graph, item.endpoint),
                    "config": item.config.label,
                    "state": item.state,
                }
                for item in result.endpoints
            ],
            key="impact_endpoints_page",
        )
    if result.unused_configs:
        st.subheader("Affected configs no crawled endpoint uses")
        common.show_paged_table(
            _ref_rows(loaded.graph, result.unused_configs), key="impact_unused_page"
        )

    for group, title in GROUP_TITLES.items():
        refs = result.downstream.get(group) or []
        if refs:
            st.subheader(f"{title} ({len(refs)})")
            common.show_paged_table(
                _ref_rows(loaded.graph, refs), key=f"impact_{group}_page"
            )

    if result.possible:
        st.subheader("Possible matches through unread manifests")
        common.show_paged_table(
            [
                {
                    "job": item.job.label,
                    "channel": item.channel,
                    "manifest": item.manifest.label,
                    "reason": item.reason,
                }
                for item in result.possible
            ],
            key="impact_possible_page",
        )
        possible_rows = _ref_rows(
            loaded.graph,
            [ref for refs in result.possible_downstream.values() for ref in refs],
        )
        if possible_rows:
            st.text("Made from those jobs:")
            common.show_paged_table(possible_rows, key="impact_possible_downstream_page")

    node_ids = result.node_ids()
    if node_ids:
        st.subheader("Graph")
        rendered = common.show_graph(loaded.graph, node_ids)
        common.show_fold_panel(rendered, key="impact_fold")
