"""Widgets and helpers shared by the app's pages: the cached loader, node pickers, the graph.

Every string that comes from the crawled account (names, tags, URIs, messages that quote them)
reaches the page through `st.text`, `st.code`, `st.dataframe`, `st.json`, plain-text widget
options or `escape_markdown`, so a resource name cannot turn into markup.
"""

from __future__ import annotations

import argparse
import json
import logging
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

import streamlit as st

from lineage.errors import LineageError
from lineage.graph import LineageGraph, NodeKind
from lineage.render import DEFAULT_HEIGHT_PX, RenderedGraph, kind_phrase, render
from lineage.source import Loaded, load

logger = logging.getLogger(__name__)

# Height of the legend line above the graph inside the frame, added to the frame's height.
LEGEND_HEIGHT_PX = 40

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
    present = set(graph.counts())
    return [kind.value for kind in NodeKind if kind.value in present]


def nodes_by_label(graph: LineageGraph, kinds: Iterable[str]) -> list[str]:
    """Return the ids of nodes of `kinds`, sorted by label (case-insensitive), then id."""
    wanted = {NodeKind(kind) for kind in kinds}
    ids = list(graph.nodes_of_kind(*wanted))
    return sorted(ids, key=lambda node_id: (str(graph.node(node_id)["label"]).lower(), node_id))


def node_caption(graph: LineageGraph, node_id: str) -> str:
    """Return "label (kind)" for select boxes, which show options as plain text."""
    attrs = graph.node(node_id)
    return f"{attrs['label']} ({kind_title(NodeKind(attrs['kind']).value)})"


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


# --- the graph frame ------------------------------------------------------------------------


def show_graph(
    graph: LineageGraph,
    node_ids: Iterable[str],
    *,
    focus: str | None = None,
    height_px: int = DEFAULT_HEIGHT_PX,
) -> RenderedGraph:
    """Draw nodes of the graph in a frame and state how many nodes and edges were drawn."""
    rendered = render(graph, node_ids, focus=focus, height_px=height_px)
    frame_height = height_px + LEGEND_HEIGHT_PX
    if hasattr(st, "iframe"):
        st.iframe(rendered.html, height=frame_height)
    else:  # Streamlit before st.iframe existed
        import streamlit.components.v1 as components

        components.html(rendered.html, height=frame_height)

    caption = f"Drawn: {rendered.node_count} nodes, {rendered.edge_count} edges."
    if rendered.folded:
        caption += f' {rendered.folded} nodes are folded into "more" nodes.'
    if rendered.hidden:
        caption += f" {rendered.hidden} nodes are over the node cap and not drawn."
    st.caption(caption)
    return rendered
