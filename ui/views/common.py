"""Widgets and helpers shared by the app's pages: the cached loader, node pickers, the graph.

Every string that comes from the crawled account (names, tags, URIs, messages that quote them)
reaches the page through `st.text`, `st.code`, `st.dataframe`, `st.json`, plain-text widget
options or `escape_markdown`, so a resource name cannot turn into markup.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import string
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

import streamlit as st

from lineage.cli.common import counted
from lineage.errors import LineageError
from lineage.graph import LineageGraph, NodeKind
from lineage.render import (
    DEFAULT_HEIGHT_PX,
    DEFAULT_MAX_NODES,
    FoldSummary,
    RenderedGraph,
    kind_phrase,
    render,
)
from lineage.source import Loaded, load

logger = logging.getLogger(__name__)

# Height of the legend line above the graph inside the frame, added to the frame's height.
LEGEND_HEIGHT_PX = 40

# Rows per page of a paged table.
TABLE_PAGE_SIZE = 200

# Query parameters that a click on a fold node in the graph frame sets (see lineage.render).
EXPAND_PARAM = "expand"
PAGE_PARAM = "page"

_MARKDOWN_SPECIAL = set(string.punctuation)


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """Source of the app's graph: a recording file, a store, or the bundled sample (both None)."""

    recording: str | None = None
    db: str | None = None

    def describe(self) -> str:
        if self.recording:
            return f"recording {self.recording}"
        if self.db:
            return f"store {self.db}"
        return "the bundled sample account"


def parse_source_args(argv: list[str]) -> SourceOptions:
    """Read `--recording FILE` and `--db PATH` from the script arguments; ignore the rest.

    Streamlit passes what follows `--` in `streamlit run ui/app.py -- --recording FILE` to the
    script as `sys.argv[1:]`. Unknown arguments are ignored so that a test runner's own
    arguments do not stop the app.
    """
    parser = argparse.ArgumentParser(prog="ui/app.py", add_help=False)
    parser.add_argument("--recording", default=None)
    parser.add_argument("--db", default=None)
    options, _ = parser.parse_known_args(argv)
    return SourceOptions(recording=options.recording, db=options.db)


@st.cache_resource(show_spinner="Loading the lineage graph...")
def load_source(recording: str | None, db: str | None) -> Loaded:
    """Load the graph once per process and source; pages must treat it as read-only."""
    logger.info("loading lineage graph from recording=%s db=%s", recording, db)
    return load(recording=recording, db=db)


def load_or_report(options: SourceOptions) -> Loaded | None:
    """Load the graph for `options`, or show what failed and how to fix it and return None."""
    try:
        return load_source(options.recording, options.db)
    except LineageError as err:
        logger.error("loading %s failed: %s", options.describe(), err)
        show_error(
            f"Could not load {options.describe()}: {err}",
            "Start the app with `-- --recording FILE` or `-- --db PATH` "
            "pointing at a valid source.",
        )
        return None


def escape_markdown(text: str) -> str:
    """Backslash-escape every ASCII punctuation mark so Streamlit shows `text` literally.

    CommonMark allows a backslash before any ASCII punctuation, and Streamlit's own extensions
    (`:red[...]`, `:material/...:`) need a colon or brackets, which this escapes too.
    """
    return "".join("\\" + char if char in _MARKDOWN_SPECIAL else char for char in text)


def show_error(message: str, what_to_do: str) -> None:
    """Show an error built from data (escaped) followed by a fixed hint (markdown)."""
    st.error(escape_markdown(message) + "\n\n" + what_to_do)


def show_lineage_error(err: LineageError, what_to_do: str) -> None:
    show_error(str(err), what_to_do)


# --- picking nodes ----------------------------------------------------------------------------


def kind_title(kind: str) -> str:
    """Return the display name of a node kind, such as "training job"."""
    return kind_phrase(kind, 1)


def kinds_present(graph: LineageGraph) -> list[str]:
    """Return the node kinds present in the graph in the order of the lineage chain."""
    present = set(graph_counts(graph))
    return [kind.value for kind in NodeKind if kind.value in present]


def graph_counts(graph: LineageGraph) -> dict[str, int]:
    """Return the number of nodes of each kind, counted once per loaded graph."""
    return _counts(graph, graph_cache_key(graph))


@st.cache_resource(show_spinner=False, max_entries=8)
def _counts(_graph: LineageGraph, graph_key: str) -> dict[str, int]:
    # A resource, not data: shared read-only, so reruns skip copying it.
    return _graph.counts()


def edge_count(graph: LineageGraph) -> int:
    """Return the number of edges of the graph, counted once per loaded graph."""
    return _edge_count(graph, graph_cache_key(graph))


@st.cache_resource(show_spinner=False, max_entries=8)
def _edge_count(_graph: LineageGraph, graph_key: str) -> int:
    return int(_graph.number_of_edges())


def nodes_by_label(graph: LineageGraph, kinds: Iterable[str]) -> list[str]:
    """Return the ids of nodes of `kinds`, sorted by label (case-insensitive), then id.

    The list is computed once per graph and set of kinds and shared: callers must not change it.
    """
    return _nodes_by_label(graph, graph_cache_key(graph), tuple(sorted(set(kinds))))


@st.cache_resource(show_spinner=False, max_entries=64)
def _nodes_by_label(_graph: LineageGraph, graph_key: str, kinds: tuple[str, ...]) -> list[str]:
    wanted = {NodeKind(kind) for kind in kinds}
    ids = list(_graph.nodes_of_kind(*wanted))
    # `attribute`, not `node`, because a cached graph reads a node's other attributes from disk.
    return sorted(
        ids, key=lambda node_id: (str(_graph.attribute(node_id, "label")).lower(), node_id)
    )


def node_caption(graph: LineageGraph, node_id: str) -> str:
    """Return "label (kind)" for select boxes, which show options as plain text."""
    return f"{graph.attribute(node_id, 'label')} ({kind_title(graph.kind(node_id).value)})"


def node_captions(graph: LineageGraph, kinds: Iterable[str]) -> Mapping[str, str]:
    """Return {node id: `node_caption`} for the nodes of `kinds`, made once per graph and kinds.

    A select box calls its `format_func` for every option on every rerun, and a large account
    has thousands of nodes of one kind, so the captions are looked up rather than built.
    """
    return _node_captions(graph, graph_cache_key(graph), tuple(sorted(set(kinds))))


@st.cache_resource(show_spinner=False, max_entries=64)
def _node_captions(_graph: LineageGraph, graph_key: str, kinds: tuple[str, ...]) -> dict[str, str]:
    return {
        node_id: node_caption(_graph, node_id)
        for node_id in _nodes_by_label(_graph, graph_key, kinds)
    }


def first_endpoint(graph: LineageGraph) -> str | None:
    endpoints = nodes_by_label(graph, [NodeKind.ENDPOINT.value])
    return endpoints[0] if endpoints else None


# --- showing values -------------------------------------------------------------------------


def display_value(value: Any) -> Any:
    """Return a value JSON and `st.dataframe` can show: enums by value, times as ISO text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): display_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [display_value(item) for item in value]
    return value


def text_cell(value: Any) -> str:
    """Return a value as one table cell of text; lists and maps are shown as compact JSON."""
    shown = display_value(value)
    if shown is None:
        return ""
    if isinstance(shown, (dict, list)):
        return json.dumps(shown, ensure_ascii=False, sort_keys=True)
    return str(shown)


def show_table(rows: Sequence[Mapping[str, Any]], *, empty: str | None = None) -> None:
    """Show rows as a table of text cells, or `empty` as plain text when there are none."""
    if not rows:
        if empty:
            st.text(empty)
        return
    cells = [{column: text_cell(value) for column, value in row.items()} for row in rows]
    st.dataframe(cells, hide_index=True)


def show_paged_table(
    rows: Sequence[Mapping[str, Any]],
    *,
    key: str,
    page_size: int = TABLE_PAGE_SIZE,
    empty: str | None = None,
) -> None:
    """Show rows as a table `page_size` rows at a time, with a page number input above it.

    Only the rows of the current page are converted to text cells and sent to the browser.
    """
    if len(rows) <= page_size:
        show_table(rows, empty=empty)
        return
    pages = -(-len(rows) // page_size)
    page = st.number_input(
        f"Page (of {pages})", min_value=1, max_value=pages, value=1, step=1, key=key
    )
    start = (int(page) - 1) * page_size
    stop = min(start + page_size, len(rows))
    st.caption(f"Rows {start + 1}-{stop} of {len(rows)}.")
    show_table(rows[start:stop])


# --- the graph frame ------------------------------------------------------------------------


def graph_cache_key(graph: LineageGraph) -> str:
    """Return a key that names the loaded graph in st.cache_data keys.

    The graph is a cached resource that lives as long as the server process, so its id is
    stable. The node count tells a graph apart from a later one that reused the id; the edge
    count is left out because networkx counts a multigraph's edges one by one.
    """
    return f"{id(graph)}:{len(graph)}"


def expanded_from_query() -> dict[str, int]:
    """Return {fold node id: page} from the `expand` and `page` query parameters."""
    fold_id = st.query_params.get(EXPAND_PARAM)
    if not fold_id:
        return {}
    try:
        page = max(int(st.query_params.get(PAGE_PARAM, "0")), 0)
    except ValueError:
        page = 0
    return {fold_id: page}


def set_expansion(fold_id: str | None, page: int = 0) -> None:
    """Set the query parameters that choose which fold node draws which page (None: none)."""
    if fold_id is None:
        for name in (EXPAND_PARAM, PAGE_PARAM):
            if name in st.query_params:
                del st.query_params[name]
        return
    st.query_params[EXPAND_PARAM] = fold_id
    st.query_params[PAGE_PARAM] = str(max(page, 0))


@st.cache_data(show_spinner=False, max_entries=64)
def _rendered(
    _graph: LineageGraph,
    graph_key: str,
    node_ids: tuple[str, ...],
    focus: str | None,
    height_px: int,
    max_nodes: int,
    expanded: tuple[tuple[str, int], ...],
) -> RenderedGraph:
    # `_graph` is left out of the cache key (leading underscore); `graph_key` names it.
    return render(
        _graph,
        node_ids,
        focus=focus,
        height_px=height_px,
        max_nodes=max_nodes,
        expanded=dict(expanded),
    )


def render_cached(
    graph: LineageGraph,
    node_ids: Iterable[str],
    *,
    focus: str | None = None,
    height_px: int = DEFAULT_HEIGHT_PX,
    max_nodes: int = DEFAULT_MAX_NODES,
    expanded: Mapping[str, int] | None = None,
) -> RenderedGraph:
    """Render a view of the graph, reusing the page of an earlier run with the same view."""
    return _rendered(
        graph,
        graph_cache_key(graph),
        tuple(node_ids),
        focus,
        height_px,
        max_nodes,
        tuple(sorted((expanded or {}).items())),
    )


def show_graph(
    graph: LineageGraph,
    node_ids: Iterable[str],
    *,
    focus: str | None = None,
    height_px: int = DEFAULT_HEIGHT_PX,
) -> RenderedGraph:
    """Draw nodes of the graph in a frame and state how many nodes and edges were drawn.

    The fold node named by the `expand` query parameter draws the page named by `page`.
    """
    rendered = render_cached(
        graph, node_ids, focus=focus, height_px=height_px, expanded=expanded_from_query()
    )
    draw_rendered(rendered, height_px=height_px)
    return rendered


def show_loading_frame(message: str, *, height_px: int = DEFAULT_HEIGHT_PX) -> None:
    """Show a frame of the graph's size with `message`, to be replaced by the drawn graph."""
    page = f"<p style=\"font-family: sans-serif; color: #555\">{html.escape(message)}</p>"
    if hasattr(st, "iframe"):
        st.iframe(page, height=height_px + LEGEND_HEIGHT_PX)
    else:  # Streamlit before st.iframe existed
        import streamlit.components.v1 as components

        components.html(page, height=height_px + LEGEND_HEIGHT_PX)


def draw_rendered(rendered: RenderedGraph, *, height_px: int = DEFAULT_HEIGHT_PX) -> None:
    """Put a rendered page in a frame and caption the counts it drew."""
    frame_height = height_px + LEGEND_HEIGHT_PX
    if hasattr(st, "iframe"):
        st.iframe(rendered.html, height=frame_height)
    else:  # Streamlit before st.iframe existed
        import streamlit.components.v1 as components

        components.html(rendered.html, height=frame_height)

    caption = (
        f"Drawn: {counted(rendered.node_count, 'node')}, "
        f"{counted(rendered.edge_count, 'edge')}."
    )
    if rendered.folded:
        verb = "is" if rendered.folded == 1 else "are"
        caption += f' {counted(rendered.folded, "node")} {verb} folded into "more" nodes.'
    if rendered.hidden:
        verb = "is" if rendered.hidden == 1 else "are"
        caption += f" {counted(rendered.hidden, 'node')} {verb} over the node cap, not drawn."
    st.caption(caption)


def show_fold_panel(rendered: RenderedGraph, *, key: str) -> None:
    """List the fold nodes of a drawn view and page through the one that is expanded.

    This does what a click on a fold node does, for readers who prefer a list, and where the
    frame cannot reach the page's URL.
    """
    if not rendered.folds:
        return
    st.markdown("**Folded groups**")
    by_id = {fold.id: fold for fold in rendered.folds}
    current = next((fold for fold in rendered.folds if fold.page is not None), None)
    options = list(by_id)
    # The options are part of the key, so a new view starts with a fresh select box.
    options_digest = zlib.crc32("\n".join(options).encode("utf-8"))
    choice_key = f"{key}_choice_{options_digest}"
    st.selectbox(
        "Draw a page of a folded group",
        options,
        index=options.index(current.id) if current else None,
        format_func=lambda fold_id: by_id[fold_id].caption,
        placeholder="Choose a group",
        key=choice_key,
        on_change=_choose_fold,
        args=(choice_key,),
    )
    if current is None:
        return
    _page_buttons(current, key=key)


def _choose_fold(choice_key: str) -> None:
    set_expansion(st.session_state.get(choice_key), 0)


def _page_buttons(fold: FoldSummary, *, key: str) -> None:
    page = fold.page or 0
    st.text(f"Page {page + 1} of {fold.pages} of {fold.caption}")
    previous, following, collapse = st.columns(3)
    previous.button(
        "Previous page",
        key=f"{key}_previous",
        disabled=page == 0,
        on_click=set_expansion,
        args=(fold.id, page - 1),
    )
    following.button(
        "Next page",
        key=f"{key}_next",
        disabled=page + 1 >= fold.pages,
        on_click=set_expansion,
        args=(fold.id, page + 1),
    )
    collapse.button("Collapse", key=f"{key}_collapse", on_click=set_expansion, args=(None,))
