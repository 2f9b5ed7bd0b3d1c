"""Explore page: the neighbourhood of one node as a graph, with the node's details beside it.

The view is bounded whatever the account's size. At most `DEFAULT_MAX_NODES` nodes are drawn,
and siblings beyond a limit fold into "N more" nodes. A click on a fold node, or the fold list
beside the graph, draws one page of its members. The page reads its state from the URL query
parameters `focus`, `expand` and `page`, so a view can be linked to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from lineage.errors import LineageError
from lineage.graph import LineageGraph, NodeKind
from lineage.identity import decode_hyperparameter, is_framework_hyperparameter
from lineage.render import RenderedGraph
from lineage.render import render as render_graph
from lineage.source import Loaded
from ui.views import common

ALL_KINDS = "all kinds"
DIRECTIONS = {
    "both": "Upstream and downstream",
    "up": "Upstream (made from)",
    "down": "Downstream (made from it)",
}
# Enough for endpoint -> config -> model -> artifact -> training job -> dataset -> processing job.
DEFAULT_DEPTH = 6
MAX_DEPTH = 12

# Query parameter naming the focus node by id, for links to a view.
FOCUS_PARAM = "focus"


@dataclass(frozen=True, slots=True)
class ExploreView:
    """A drawn Explore view and the counts its side panel shows."""

    rendered: RenderedGraph
    selected: int
    selected_by_kind: dict[str, int]

# Attributes shown in their own tables rather than in the attribute table.
_OWN_TABLES = (
    "tags",
    "hyperparameters",
    "hyperparameters_decoded",
    "metrics",
    "channels",
    "variants",
    "containers",
)


def render(loaded: Loaded) -> None:
    """Draw the Explore page for the loaded graph."""
    st.title("Explore")
    st.write(
        "Pick a node to see what it was made from and what was made from it; "
        "hover over a node in the graph for its details."
    )
    graph = loaded.graph
    if len(graph) == 0:
        st.info("The loaded graph has no nodes. Crawl an account or load another recording.")
        return

    focus = _pick_focus(graph)
    depth, direction, shown_kinds = _pick_view(graph)

    # A frame with a loading message goes out before the view is computed. The browser loads
    # its frame code meanwhile, so the graph, which replaces it in place, is shown as soon as
    # it arrives rather than when the next element after it does.
    graph_slot = st.empty()
    with graph_slot:
        common.show_loading_frame("Drawing the view...")
    try:
        view = explore_view(
            graph,
            common.graph_cache_key(graph),
            focus,
            depth,
            direction,
            tuple(sorted(shown_kinds)),
            tuple(sorted(common.expanded_from_query().items())),
        )
    except LineageError as err:
        graph_slot.empty()
        common.show_lineage_error(err, "Pick another node.")
        return

    # The graph takes the page's full width: a lineage chain is up to eight columns deep, and
    # in two thirds of the page its labels were fitted too small to read.
    with graph_slot.container():
        common.draw_rendered(view.rendered)
    fold_column, details_column = st.columns([1, 1])
    with fold_column:
        common.show_fold_panel(view.rendered, key="explore_fold")
        _show_stats(graph, view)
    with details_column:
        show_details(graph, focus)


@st.cache_data(show_spinner="Drawing the view...", max_entries=64)
def explore_view(
    _graph: LineageGraph,
    graph_key: str,
    focus: str,
    depth: int,
    direction: str,
    kinds: tuple[str, ...],
    expanded: tuple[tuple[str, int], ...],
) -> ExploreView:
    """Select the neighbourhood of `focus` and render it; cached by every argument but `_graph`.

    Raises NodeNotFoundError when `focus` is not in the graph.
    """
    distances = _graph.neighbourhood(focus, depth, direction)
    shown = set(kinds)
    node_ids = []
    by_kind: dict[str, int] = {}
    for node_id in distances:
        kind = _graph.kind(node_id).value
        if node_id == focus or kind in shown:
            node_ids.append(node_id)
            by_kind[kind] = by_kind.get(kind, 0) + 1

    # `render`, not `common.render_cached`, because this function's cache already covers the
    # view. A second cache would hash the selection (20,000 ids around a hub) on every miss.
    rendered = render_graph(_graph, node_ids, focus=focus, expanded=dict(expanded))
    return ExploreView(rendered=rendered, selected=len(node_ids), selected_by_kind=by_kind)


def _pick_focus(graph: LineageGraph) -> str:
    kinds = common.kinds_present(graph)
    kind_options = [ALL_KINDS, *kinds]
    default_kind = NodeKind.ENDPOINT.value if NodeKind.ENDPOINT.value in kinds else ALL_KINDS
    default_kind = _linked_kind(graph, kinds) or default_kind

    picker_kind, picker_node = st.columns([1, 3])
    with picker_kind:
        kind = st.selectbox(
            "Kind",
            kind_options,
            index=kind_options.index(default_kind),
            format_func=lambda value: value if value == ALL_KINDS else common.kind_title(value),
            key="explore_kind",
        )
    candidate_kinds = kinds if kind == ALL_KINDS else [kind]
    candidates = common.nodes_by_label(graph, candidate_kinds)
    captions = common.node_captions(graph, candidate_kinds)
    linked = st.query_params.get(FOCUS_PARAM)
    index = candidates.index(linked) if linked in candidates else 0
    with picker_node:
        focus = st.selectbox(
            "Node",
            candidates,
            index=index,
            format_func=captions.__getitem__,
            key="explore_node",
            on_change=_focus_changed,
        )
    return str(focus)


def _focus_changed() -> None:
    # A new focus keeps the URL a link to this view, and drops the expansion of the old one.
    st.query_params[FOCUS_PARAM] = str(st.session_state["explore_node"])
    common.set_expansion(None)


def _linked_kind(graph: LineageGraph, kinds: list[str]) -> str | None:
    linked = st.query_params.get(FOCUS_PARAM)
    if not linked or linked not in graph:
        return None
    kind = graph.kind(linked).value
    return kind if kind in kinds else None


def _pick_view(graph: LineageGraph) -> tuple[int, str, set[str]]:
    depth_column, direction_column, kinds_column = st.columns([1, 1, 2])
    with depth_column:
        depth = st.slider(
            "Depth (edges)",
            min_value=1,
            max_value=MAX_DEPTH,
            value=DEFAULT_DEPTH,
            key="explore_depth",
        )
    with direction_column:
        direction = st.radio(
            "Direction",
            list(DIRECTIONS),
            format_func=DIRECTIONS.__getitem__,
            key="explore_direction",
        )
    kinds = common.kinds_present(graph)
    with kinds_column:
        shown = st.multiselect(
            "Node kinds to show",
            kinds,
            default=kinds,
            format_func=common.kind_title,
            key="explore_kinds",
        )
    return int(depth), str(direction), set(shown)


def show_details(graph: LineageGraph, node_id: str) -> None:
    """Show every attribute of a node: a table of plain values, then one table per collection."""
    attrs = graph.node(node_id)
    st.subheader("Details")
    st.code(node_id, language=None)

    plain = [
        {"attribute": key, "value": value}
        for key, value in attrs.items()
        if key not in _OWN_TABLES and value not in (None, "", [], {})
    ]
    common.show_table(plain)

    _mapping_table("Tags", attrs.get("tags"), ("key", "value"))
    _hyperparameter_table(attrs)
    _mapping_table("Final metrics", attrs.get("metrics"), ("metric", "value"))
    for key, title in (
        ("channels", "Channels"),
        ("variants", "Variants"),
        ("containers", "Containers"),
    ):
        rows = attrs.get(key)
        if isinstance(rows, list) and rows:
            st.markdown(f"**{title}**")
            common.show_table([row if isinstance(row, Mapping) else {"value": row} for row in rows])

    with st.expander("All attributes as JSON"):
        st.json(common.display_value(dict(attrs)), expanded=False)


def _mapping_table(title: str, values: Any, columns: tuple[str, str]) -> None:
    if not isinstance(values, Mapping) or not values:
        return
    st.markdown(f"**{title}**")
    common.show_table([{columns[0]: key, columns[1]: value} for key, value in values.items()])


def _hyperparameter_table(attrs: Mapping[str, Any]) -> None:
    raw = attrs.get("hyperparameters")
    if not isinstance(raw, Mapping) or not raw:
        return
    decoded = attrs.get("hyperparameters_decoded")
    if not isinstance(decoded, Mapping):
        decoded = {}
    rows = [
        {
            "name": name,
            "value": decoded.get(name, decode_hyperparameter(str(value))),
            "raw": value,
            "framework": "yes" if is_framework_hyperparameter(name) else "",
        }
        for name, value in raw.items()
    ]
    rows.sort(key=lambda row: (row["framework"] != "", row["name"]))
    st.markdown("**Hyperparameters**")
    common.show_table(rows)


def _show_stats(graph: LineageGraph, view: ExploreView) -> None:
    st.subheader("Graph")
    whole = common.graph_counts(graph)
    rows = [
        {
            "kind": common.kind_title(kind),
            "in this view": view.selected_by_kind.get(kind, 0),
            "in the graph": whole.get(kind, 0),
        }
        for kind in common.kinds_present(graph)
    ]
    common.show_table(rows)
    st.caption(
        f"The view selects {view.selected} of {len(graph)} nodes and draws "
        f"{view.rendered.node_count} (fold and summary nodes included); the graph has "
        f"{common.edge_count(graph)} edges."
    )
