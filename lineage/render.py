"""Render part of a lineage graph as a self-contained vis-network HTML page.

`render()` is a pure function from a graph and a set of node ids to an HTML string (plus counts
for the caller to show). The page works offline: pyvis inlines vis-network
(`cdn_resources="in_line"`), and the Bootstrap tags its template always adds are removed, so
the page loads nothing from the network. Positions come from a layered left-to-right layout
computed here, with physics off, so a big view draws at once and the same input always gives
the same picture.

Tooltips are plain text with "\\n" line breaks. vis-network 9 shows a string `title` as text,
so `<`, `&` and quotes in resource names, tags or hyperparameters appear as typed and never run.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import networkx as nx
from pyvis.network import Network

from lineage.crawl.result import PlaceholderStatus
from lineage.errors import LineageError
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.identity import decode_hyperparameter, is_framework_hyperparameter

logger = logging.getLogger(__name__)

DEFAULT_HEIGHT_PX = 750
DEFAULT_MAX_NODES = 300
# Neighbours of one kind beyond this many, on one side of a node, fold into an "N more" node.
DEFAULT_SIBLING_LIMIT = 12
# Members of a fold node drawn per page when the reader expands it.
DEFAULT_PAGE_SIZE = 25

LABEL_MAX_CHARS = 28
# Characters per label line. This module wraps labels itself because vis-network wraps only at
# spaces, which resource names rarely contain. A line this long fits inside NODE_WIDTH.
LABEL_LINE_CHARS = 15
TOOLTIP_SECTION_LINES = 10
# Longer tooltip lines are cut: a tag or hyperparameter can be megabytes long in a recording,
# and a tooltip that size makes the page slow to send and unreadable when shown.
TOOLTIP_LINE_MAX_CHARS = 300

# Every node is this wide (vis-network units), whatever its label, so columns stay narrow and a
# long name cannot grow a node into its neighbours.
NODE_WIDTH = 120
NODE_FONT_SIZE = 14
# Distance between layout columns (dependency layers). A lineage chain is up to eight columns
# deep (data capture, endpoint, config, model, artifact, job, dataset, processing job), and this
# spacing fits such a chain into a full-width frame at a 1,600 px window at scale 0.74
# (measured in Chromium on the sample's churn-prod view).
COLUMN_SPACING = 165
# Rows are spread to use the frame's height: the spacing makes the drawing about as tall,
# relative to its width, as the frame, between these bounds.
ROW_SPACING_MIN = 80
ROW_SPACING_MAX = 140
# Frame width the row spacing is tuned for: the main area of a wide Streamlit page at a
# 1,600 px window. Narrower frames zoom out further; the layout stays readable when zoomed in.
ASSUMED_FRAME_WIDTH_PX = 1100

FOLD_KIND = "fold"
SUMMARY_KIND = "summary"

PLACEHOLDER_STATUSES = frozenset(status.value for status in PlaceholderStatus)
DASHED_RELATIONS = frozenset({Relation.PENDING_CONFIG, Relation.SERVES_SHADOW})


class RenderError(LineageError):
    """The generated page would load an outside resource or let a string escape its script."""


@dataclass(frozen=True, slots=True)
class KindStyle:
    """Display name, vis-network shape, fill colour and corner radius of one node kind.

    Every kind is a box: vis-network's ellipse and database shapes grow in height with the label
    and overlapped the next row. Models and packages get round corners instead of ellipses.
    """

    name: str
    shape: str
    colour: str
    corner_radius: int = 4


KIND_STYLES: dict[str, KindStyle] = {
    NodeKind.ENDPOINT.value: KindStyle("endpoint", "box", "#f4a6a6"),
    NodeKind.ENDPOINT_CONFIG.value: KindStyle("endpoint config", "box", "#f9c98f"),
    NodeKind.INFERENCE_COMPONENT.value: KindStyle("inference component", "box", "#fbd8b0"),
    NodeKind.MODEL.value: KindStyle("model", "box", "#9ec5e8", corner_radius=18),
    NodeKind.MODEL_PACKAGE.value: KindStyle("model package", "box", "#a9dcd8", corner_radius=18),
    NodeKind.MODEL_PACKAGE_GROUP.value: KindStyle(
        "model package group", "box", "#cdeae8", corner_radius=18
    ),
    NodeKind.ARTIFACT.value: KindStyle("artifact", "box", "#f6e38c"),
    NodeKind.TRAINING_JOB.value: KindStyle("training job", "box", "#a8d89a"),
    NodeKind.TUNING_JOB.value: KindStyle("tuning job", "box", "#cfe9c5"),
    NodeKind.PROCESSING_JOB.value: KindStyle("processing job", "box", "#d3b5d8"),
    NodeKind.TRANSFORM_JOB.value: KindStyle("transform job", "box", "#e6cfe3"),
    NodeKind.PIPELINE_EXECUTION.value: KindStyle("pipeline execution", "box", "#d9d4cf"),
    NodeKind.DATASET.value: KindStyle("dataset", "box", "#d8c3b0"),
    NodeKind.IMAGE.value: KindStyle("image", "box", "#e0e0e0"),
    NodeKind.HYPERPARAMETERS.value: KindStyle("hyperparameter set", "box", "#fff6d5"),
    NodeKind.EXTERNAL.value: KindStyle("external resource", "box", "#f0f0f0"),
    FOLD_KIND: KindStyle("folded nodes", "box", "#ffffff"),
    SUMMARY_KIND: KindStyle("nodes over the cap", "box", "#ffffff"),
}

# Order of kinds inside a layout column and in the legend: the chain read left to right.
KIND_ORDER = {kind: position for position, kind in enumerate(KIND_STYLES)}


@dataclass(frozen=True, slots=True)
class ViewNode:
    """One node as drawn: a graph node, an "N more" fold node or the over-the-cap summary."""

    id: str
    kind: str
    label: str
    title: str
    placeholder: bool = False
    members: tuple[str, ...] = ()
    # Graph neighbours of this node that are not drawn as nodes of their own.
    hidden_neighbours: int = 0
    # For a fold node: the page of its members that is drawn (None when collapsed), the
    # number of pages, and the page a click on it opens.
    page: int | None = None
    pages: int = 0
    next_page: int = 0


@dataclass(frozen=True, slots=True)
class FoldSummary:
    """A fold node as a surface lists it: id, plain-text caption and paging state."""

    id: str
    caption: str
    members: int
    page: int | None
    pages: int


@dataclass(frozen=True, slots=True)
class ViewEdge:
    """One edge as drawn, in dependency direction (from a thing to what it was made from)."""

    source: str
    target: str
    label: str
    title: str
    dashed: bool = False


@dataclass
class View:
    """The nodes and edges selected for drawing, after folding and the node cap."""

    nodes: list[ViewNode] = field(default_factory=list)
    edges: list[ViewEdge] = field(default_factory=list)
    folded: int = 0
    hidden: int = 0

    @property
    def graph_node_ids(self) -> list[str]:
        return [node.id for node in self.nodes if node.kind not in (FOLD_KIND, SUMMARY_KIND)]


@dataclass(frozen=True, slots=True)
class RenderedGraph:
    """A rendered page and what it contains, so a surface can report the counts it drew.

    `node_count` counts every drawn node, fold and summary nodes included; it equals the length
    of the vis-network node data set in the page. `folded` and `hidden` count graph nodes
    represented by fold nodes and by the over-the-cap summary node.
    """

    html: str
    node_count: int
    edge_count: int
    graph_node_ids: tuple[str, ...]
    folded: int
    hidden: int
    kinds: tuple[str, ...]
    folds: tuple[FoldSummary, ...] = ()


# --- public entry points -----------------------------------------------------------------


def render_html(
    graph: LineageGraph,
    node_ids: Iterable[str],
    *,
    focus: str | None = None,
    height_px: int = DEFAULT_HEIGHT_PX,
    max_nodes: int = DEFAULT_MAX_NODES,
    highlight: Iterable[str] = (),
) -> str:
    """Return a self-contained HTML page drawing `node_ids` of `graph`; see `render`."""
    return render(
        graph, node_ids, focus=focus, height_px=height_px, max_nodes=max_nodes, highlight=highlight
    ).html


def render(
    graph: LineageGraph,
    node_ids: Iterable[str],
    *,
    focus: str | None = None,
    height_px: int = DEFAULT_HEIGHT_PX,
    max_nodes: int = DEFAULT_MAX_NODES,
    sibling_limit: int = DEFAULT_SIBLING_LIMIT,
    highlight: Iterable[str] = (),
    expanded: Mapping[str, int] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> RenderedGraph:
    """Draw the nodes `node_ids` of `graph` and the edges among them as an offline HTML page.

    Nodes are visited breadth-first from `focus` (or from the leftmost nodes when there is no
    focus). More than `sibling_limit` neighbours of one kind on one side of a node fold into one
    "N more ..." node, and at most `max_nodes` nodes are drawn in all, an over-the-cap summary
    node included. `expanded` maps fold node ids to the page of members (of `page_size`) to
    draw. Clicking a fold node in the page adds `expand=<fold id>&page=<n>` to the URL of the
    enclosing Streamlit page (see `_FOLD_CLICK_SCRIPT`). Raises NodeNotFoundError for an id not
    in the graph and ValueError for a height, cap or page size that cannot be drawn.
    """
    if height_px < 100:
        raise ValueError(f"invalid height_px {height_px}: use at least 100 pixels")
    if max_nodes < 2:
        raise ValueError(f"invalid max_nodes {max_nodes}: use at least 2")
    if sibling_limit < 2:
        raise ValueError(f"invalid sibling_limit {sibling_limit}: use at least 2")
    if page_size < 1:
        raise ValueError(f"invalid page_size {page_size}: use at least 1")

    selected = _checked_ids(graph, node_ids, focus)
    view = select_view(
        graph,
        selected,
        focus=focus,
        max_nodes=max_nodes,
        sibling_limit=sibling_limit,
        expanded=expanded,
        page_size=page_size,
    )
    positions = layered_positions(view, aspect=height_px / ASSUMED_FRAME_WIDTH_PX)
    html = _page_html(view, positions, focus=focus, height_px=height_px, highlight=set(highlight))
    kinds = tuple(
        sorted({node.kind for node in view.nodes}, key=lambda kind: KIND_ORDER.get(kind, 99))
    )

    logger.debug(
        "rendered %d nodes and %d edges (%d folded, %d over the cap)",
        len(view.nodes),
        len(view.edges),
        view.folded,
        view.hidden,
    )
    return RenderedGraph(
        html=html,
        node_count=len(view.nodes),
        edge_count=len(view.edges),
        graph_node_ids=tuple(view.graph_node_ids),
        folded=view.folded,
        hidden=view.hidden,
        kinds=kinds,
        folds=tuple(_fold_summary(node) for node in view.nodes if node.kind == FOLD_KIND),
    )


def _fold_summary(node: ViewNode) -> FoldSummary:
    caption = node.title.splitlines()[0] if node.title else node.label
    return FoldSummary(
        id=node.id, caption=caption, members=len(node.members), page=node.page, pages=node.pages
    )


def _checked_ids(graph: LineageGraph, node_ids: Iterable[str], focus: str | None) -> list[str]:
    selected = list(dict.fromkeys(node_ids))
    if focus is not None and focus not in selected:
        selected.insert(0, focus)
    for node_id in selected:
        if node_id not in graph:
            graph.node(node_id)  # raises NodeNotFoundError with suggestions
    return selected


# --- choosing what to draw ------------------------------------------------------------------


def select_view(
    graph: LineageGraph,
    node_ids: list[str],
    *,
    focus: str | None,
    max_nodes: int,
    sibling_limit: int,
    expanded: Mapping[str, int] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> View:
    """Choose the nodes and edges to draw: breadth-first from the focus, folding and capping.

    Expanding a node takes its not-yet-seen neighbours in the selection, grouped by side
    (upstream or downstream) and kind. A group larger than `sibling_limit` keeps its first
    `sibling_limit - 1` members (those leading to an endpoint, then the newest) and folds the
    rest into one node whose id is `fold:<side>:<kind>:<parent id>`. When `expanded` names
    that id with a page number, that page of the folded members (`page_size` of them) is drawn
    too, and the fold keeps the rest.
    Folded members are not expanded, so nodes reachable only through them are not drawn
    either. The summary node counts those together with the nodes over the cap, and one slot
    of `max_nodes` is kept for it. Every drawn graph node records how many of its graph
    neighbours are not drawn.
    """
    selection = set(node_ids)
    budget = max_nodes - 1
    kept: list[str] = []
    folds: list[ViewNode] = []
    seen: set[str] = set()
    pages = dict(expanded or {})

    # Nodes linked to the focus within the selection are drawn only through the focus, so
    # that nothing behind a fold or over the cap turns up as a loose piece of the view. Other
    # starts draw the parts a kind filter cut off from the focus.
    linked = _linked_within(graph, focus, selection) if focus is not None else set()
    starts = _start_order(graph, node_ids, focus)
    while len(kept) + len(folds) < budget:
        # The budget is checked before the next start is taken, because any start after the
        # focus sorts the whole selection. A view that its focus fills needs no sort.
        start = next(starts, None)
        if start is None:
            break
        if start in seen or (start != focus and start in linked):
            continue
        seen.add(start)
        kept.append(start)
        queue = deque([start])
        while queue and len(kept) + len(folds) < budget:
            parent = queue.popleft()
            for side, group in _neighbour_groups(graph, parent, selection, seen):
                group = [member for member in group if member not in seen]
                room = budget - len(kept) - len(folds)
                if not group or room <= 0:
                    continue
                shown, folded = _split_group(graph, group, sibling_limit, room, side, selection)
                fold_id = _fold_id(graph, parent, side, group[0])
                page = pages.get(fold_id)
                page_count = -(-len(folded) // page_size)
                if folded and page is not None:
                    page = min(max(page, 0), page_count - 1)
                    shown, folded = _open_page(shown, folded, page, page_size, room)
                seen.update(shown)
                kept.extend(shown)
                queue.extend(shown)
                if folded:
                    seen.update(folded)
                    folds.append(_fold_node(graph, parent, side, folded, page, page_count))

    kept_set = set(kept)
    folded_by_parent: dict[str, int] = {}
    for fold in folds:
        parent = fold.id.split(":", 3)[3]
        folded_by_parent[parent] = folded_by_parent.get(parent, 0) + len(fold.members)
    view = View(
        nodes=[
            _graph_view_node(graph, node_id, kept_set, folded_by_parent.get(node_id, 0))
            for node_id in kept
        ]
        + folds
    )
    view.edges = _graph_edges(graph, kept_set) + _fold_edges(graph, folds)
    view.folded = sum(len(fold.members) for fold in folds)

    hidden = [node_id for node_id in node_ids if node_id not in seen]
    if hidden:
        view.nodes.append(_summary_node(graph, hidden))
        view.hidden = len(hidden)
    return view


def _linked_within(graph: LineageGraph, start: str, selection: set[str]) -> set[str]:
    """Return the selected nodes that edges between selected nodes link to `start`."""
    linked = {start}
    queue = deque([start])
    while queue:
        node_id = queue.popleft()
        for neighbour in (*graph.successors(node_id), *graph.predecessors(node_id)):
            if neighbour in selection and neighbour not in linked:
                linked.add(neighbour)
                queue.append(neighbour)
    return linked


def _fold_id(graph: LineageGraph, parent: str, side: str, member: str) -> str:
    kind = graph.kind(member).value
    return f"fold:{side}:{kind}:{parent}"


def _open_page(
    shown: list[str], folded: list[str], page: int, page_size: int, room: int
) -> tuple[list[str], list[str]]:
    """Move one page of folded members into the drawn ones, within `room` drawing slots.

    The page is cut short when the view has no room for all of it. One slot stays for the
    fold node while members remain folded.
    """
    start = page * page_size
    page_members = folded[start : start + page_size]
    rest = folded[:start] + folded[start + page_size :]
    free = room - len(shown) - (1 if rest else 0)
    if free < len(page_members):
        free = max(free, 0)
        rest = folded[:start] + page_members[free:] + folded[start + page_size :]
        page_members = page_members[:free]
    return shown + page_members, rest


def _start_order(graph: LineageGraph, node_ids: list[str], focus: str | None) -> Iterator[str]:
    """Yield the focus, then the other nodes from the leftmost kinds (endpoints) rightwards.

    Without a focus, the drawn part of a capped view is then the part a reader starts from.
    The sort runs only when the caller takes a node after the focus.
    """
    if focus is not None:
        yield focus
    ordered = sorted(node_ids, key=lambda node_id: _node_sort_key(graph, node_id))
    for node_id in ordered:
        if node_id != focus:
            yield node_id


def _node_sort_key(graph: LineageGraph, node_id: str) -> tuple[int, str, str]:
    kind = graph.kind(node_id).value
    return KIND_ORDER.get(kind, 99), str(graph.attribute(node_id, "label", "")).lower(), node_id


def _neighbour_groups(
    graph: LineageGraph, parent: str, selection: set[str], seen: set[str]
) -> list[tuple[str, list[str]]]:
    """Group the unseen selected neighbours of `parent` by side and kind, upstream first."""
    # Each group is a dict used as an ordered set, because a hub's group has thousands of
    # members and a membership test on a list made grouping quadratic.
    groups: dict[tuple[int, str, int, str], dict[str, None]] = {}
    sides = (
        (0, "upstream", graph.successors(parent)),
        (1, "downstream", graph.predecessors(parent)),
    )
    for side_rank, side, neighbours in sides:
        for neighbour in neighbours:
            if neighbour not in selection or neighbour in seen:
                continue
            kind = graph.kind(neighbour).value
            members = groups.setdefault((side_rank, side, KIND_ORDER.get(kind, 99), kind), {})
            members[neighbour] = None
    return [(side, list(members)) for (_, side, _, _), members in sorted(groups.items())]


def _split_group(
    graph: LineageGraph,
    group: list[str],
    sibling_limit: int,
    room: int,
    side: str = "downstream",
    selection: set[str] | None = None,
) -> tuple[list[str], list[str]]:
    """Split siblings into those drawn and those folded; a fold node takes one slot of `room`.

    When some must be folded, the siblings that lead to an endpoint within the selection are
    drawn first, then the newest. Of a hub's 10,000 jobs, the few whose models are deployed
    are the ones an on-call engineer or an auditor looks for.
    """
    if len(group) > sibling_limit and selection is not None:
        leads = {node_id for node_id in group
                 if _leads_to_endpoint(graph, node_id, side, selection)}
        ordered = sorted(group, key=lambda node_id: (
            node_id not in leads, *_recency_key(graph, node_id),
        ))
    else:
        ordered = sorted(group, key=lambda node_id: _recency_key(graph, node_id))
    keep = len(ordered) if len(ordered) <= sibling_limit else sibling_limit - 1
    if keep < len(ordered) or keep > room:
        keep = min(keep, room - 1)
    return ordered[:keep], ordered[keep:]


# A walk looking for an endpoint stops after this many nodes, so that a member that is itself
# a hub costs no more than a few ordinary ones.
_ENDPOINT_WALK_LIMIT = 64


def _leads_to_endpoint(graph: LineageGraph, start: str, side: str, selection: set[str]) -> bool:
    """Return whether walking from `start` away from its parent reaches a selected endpoint."""
    step = graph.predecessors if side == "downstream" else graph.successors
    visited = {start}
    queue = deque([start])
    while queue and len(visited) < _ENDPOINT_WALK_LIMIT:
        for neighbour in step(queue.popleft()):
            if neighbour in visited or neighbour not in selection:
                continue
            if graph.kind(neighbour) == NodeKind.ENDPOINT:
                return True
            visited.add(neighbour)
            queue.append(neighbour)
    return False


def _recency_key(graph: LineageGraph, node_id: str) -> tuple[int, str, str, str]:
    # Newest first; nodes without a creation time after those with one, then by label.
    attrs = graph.brief(node_id)
    created = attrs.get("created")
    if isinstance(created, datetime):
        created_text = created.isoformat()
    else:
        created_text = str(created) if created else ""
    inverted = created_text.translate(_INVERTED_CHARS)
    return (0 if created_text else 1), inverted, str(attrs.get("label", "")).lower(), node_id


class _InvertedCharTable(dict[int, str]):
    """A `str.translate` table that maps each character to chr(0x10FFFF - its code point).

    Translating reverses the order of any two characters, so an ascending sort of translated
    ISO timestamps puts the latest first. Each character is computed on its first use and then
    looked up, since timestamps use few characters.
    """

    def __missing__(self, code: int) -> str:
        inverted = chr(0x10FFFF - code)
        self[code] = inverted
        return inverted


_INVERTED_CHARS = _InvertedCharTable()


def _graph_view_node(
    graph: LineageGraph, node_id: str, drawn: set[str], folded_here: int
) -> ViewNode:
    attrs = graph.node(node_id)
    kind = NodeKind(attrs["kind"]).value
    hidden = hidden_neighbour_count(graph, node_id, drawn)
    label = wrap_label(short_label(str(attrs.get("label") or node_id)))
    if hidden:
        # In the label, not the tooltip: the tooltip describes the resource, whatever the view.
        label += f"\n+{hidden} hidden"
        if folded_here:
            label += f" ({folded_here} folded)"
    return ViewNode(
        id=node_id,
        kind=kind,
        label=label,
        title=tooltip_text(node_id, attrs),
        placeholder=is_placeholder(attrs),
        hidden_neighbours=hidden,
    )


def hidden_neighbour_count(graph: LineageGraph, node_id: str, drawn: set[str]) -> int:
    """Return how many graph neighbours of `node_id`, either side, are not in `drawn`."""
    neighbours = set(graph.successors(node_id))
    neighbours.update(graph.predecessors(node_id))
    neighbours.discard(node_id)
    return len(neighbours - drawn)


def _fold_node(
    graph: LineageGraph,
    parent: str,
    side: str,
    members: list[str],
    page: int | None = None,
    pages: int = 1,
) -> ViewNode:
    kind = graph.kind(members[0]).value
    phrase = kind_phrase(kind, len(members))
    parent_label = str(graph.attribute(parent, "label") or parent)
    lines = [f"{len(members)} more {phrase} {side} of {parent_label}"]
    lines += _capped_names(graph, members, TOOLTIP_SECTION_LINES)
    label = f"{len(members)} more {phrase}"
    next_page = 0 if page is None else (page + 1) % max(pages, 1)
    if page is not None:
        label += f"\n(page {page + 1} of {pages} shown)"
        lines.append(f"Page {page + 1} of {pages} is drawn. Click for page {next_page + 1}.")
    else:
        lines.append("Click to draw a page of them, or pick one of them as the focus.")
    return ViewNode(
        id=f"fold:{side}:{kind}:{parent}",
        kind=FOLD_KIND,
        label=label,
        title="\n".join(lines),
        members=tuple(members),
        page=page,
        pages=pages,
        next_page=next_page,
    )


def _capped_names(graph: LineageGraph, members: list[str], limit: int) -> list[str]:
    # The same lines as _capped() over every member's label, reading only the labels shown.
    names = [str(graph.attribute(member, "label") or member) for member in members[:limit]]
    if len(members) > limit:
        names.append(f"\u2026 {len(members) - limit} more")
    return names


def _summary_node(graph: LineageGraph, hidden: list[str]) -> ViewNode:
    counts: dict[str, int] = {}
    for node_id in hidden:
        kind = graph.kind(node_id).value
        counts[kind] = counts.get(kind, 0) + 1
    lines = [f"{len(hidden)} more nodes not drawn (node cap or reachable only via folded nodes)"]
    for kind in sorted(counts, key=lambda kind: KIND_ORDER.get(kind, 99)):
        lines.append(f"{counts[kind]} {kind_phrase(kind, counts[kind])}")
    lines.append("Lower the depth or filter kinds to see them.")
    return ViewNode(
        id="summary:not-drawn",
        kind=SUMMARY_KIND,
        label=f"{len(hidden)} more nodes not drawn",
        title="\n".join(lines),
        members=tuple(hidden),
    )


def _graph_edges(graph: LineageGraph, kept: set[str]) -> list[ViewEdge]:
    edges: list[ViewEdge] = []
    for source, target, attrs in sorted(
        graph.edges_among(kept),
        key=lambda edge: (edge[0], edge[1], _edge_label(edge[2])),
    ):
        edges.append(
            ViewEdge(
                source=source,
                target=target,
                label=_edge_label(attrs),
                title=_edge_title(attrs),
                dashed=_edge_dashed(attrs),
            )
        )
    return edges


def _fold_edges(graph: LineageGraph, nodes: list[ViewNode]) -> list[ViewEdge]:
    # A fold node takes the place of its members, so it gets the edge of its first member.
    edges: list[ViewEdge] = []
    for node in nodes:
        if node.kind != FOLD_KIND:
            continue
        _, side, _, parent = node.id.split(":", 3)
        member = node.members[0]
        if side == "upstream":
            source, target = parent, node.id
            attrs = _first_edge_attrs(graph, parent, member)
        else:
            source, target = node.id, parent
            attrs = _first_edge_attrs(graph, member, parent)
        edges.append(ViewEdge(source, target, _edge_label(attrs), _edge_title(attrs), dashed=True))
    return edges


def _first_edge_attrs(graph: LineageGraph, source: str, target: str) -> dict[str, Any]:
    edges = graph.edge_data(source, target)
    if not edges:
        return {}
    # The same edge every time: the first by relation, then by channel or variant.
    first = min(edges, key=_edge_label)
    return dict(first)


# --- text --------------------------------------------------------------------------------


def kind_phrase(kind: str, count: int) -> str:
    """Return the display name of a node kind, plural unless `count` is 1."""
    style = KIND_STYLES.get(kind)
    name = style.name if style else kind.replace("_", " ")
    if count == 1 or name.endswith("nodes"):
        return name
    return name + "s"


def short_label(text: str, max_chars: int = LABEL_MAX_CHARS) -> str:
    """Shorten a label to `max_chars` by cutting its middle, where names differ least."""
    if len(text) <= max_chars:
        return text
    head = (max_chars - 1) // 2
    tail = max_chars - 1 - head
    return text[:head] + "\u2026" + text[-tail:]


def wrap_label(text: str, line_chars: int = LABEL_LINE_CHARS) -> str:
    """Break a label into lines of at most `line_chars`, after a "-", "/", "_", "." or ":"
    where one falls in the second half of a line."""
    lines: list[str] = []
    rest = text
    while len(rest) > line_chars:
        window = rest[:line_chars]
        cut = max(window.rfind(separator) for separator in "-/_.:") + 1
        if cut <= line_chars // 2:
            cut = line_chars
        lines.append(rest[:cut])
        rest = rest[cut:]
    lines.append(rest)
    return "\n".join(line for line in lines if line)


def is_placeholder(attrs: Mapping[str, Any]) -> bool:
    """Return whether a node stands for a resource the crawl referenced but could not read."""
    if attrs.get("kind") in (NodeKind.EXTERNAL, NodeKind.EXTERNAL.value):
        return True
    return str(attrs.get("status") or "") in PLACEHOLDER_STATUSES


def tooltip_text(node_id: str, attrs: Mapping[str, Any]) -> str:
    """Build the plain-text tooltip of a node: name, status, then kind-specific details.

    Each entry is cut to TOOLTIP_LINE_MAX_CHARS characters, with the number of characters cut.

    Values are never escaped: vis-network shows string titles as text, so escaping here would
    show `&amp;` to the reader.
    """
    kind = NodeKind(attrs["kind"]).value
    lines = [str(attrs.get("label") or node_id)]
    if kind == NodeKind.EXTERNAL.value:
        lines.append("External: not part of the crawl")
    lines += _field_lines(
        attrs, (("status", "Status"), ("reason", "Reason"), ("failure_reason", "Failure"))
    )

    if kind == NodeKind.TRAINING_JOB.value:
        lines += _mapping_lines(attrs.get("tags"))
        lines += _hyperparameter_lines(attrs)
        lines += _mapping_lines(attrs.get("metrics"), number=True)
    elif kind == NodeKind.ENDPOINT.value:
        lines += _field_lines(attrs, (("config_name", "Config"),))
        lines += _variant_lines(attrs.get("variants"))
    elif kind == NodeKind.ENDPOINT_CONFIG.value:
        lines += _variant_lines(attrs.get("variants"))
    elif kind == NodeKind.MODEL.value:
        lines += _field_lines(attrs, (("mode", "Mode"),))
        containers = attrs.get("containers") or []
        lines += _capped([str(container.get("image") or "") for container in containers], 4)
    elif kind in (NodeKind.DATASET.value, NodeKind.ARTIFACT.value):
        lines += _field_lines(attrs, (("uri", "URI"), ("data_type", "Data type")))
    elif kind == NodeKind.HYPERPARAMETERS.value:
        lines += _hyperparameter_lines(attrs)
    return "\n".join(_clipped(line) for line in lines if line)


def _clipped(line: str, max_chars: int = TOOLTIP_LINE_MAX_CHARS) -> str:
    if len(line) <= max_chars:
        return line
    return f"{line[:max_chars]}\u2026 ({len(line) - max_chars} more characters)"


def _field_lines(attrs: Mapping[str, Any], fields: tuple[tuple[str, str], ...]) -> list[str]:
    return [f"{title}: {attrs[key]}" for key, title in fields if attrs.get(key) not in (None, "")]


def _mapping_lines(values: Any, number: bool = False) -> list[str]:
    if not isinstance(values, Mapping):
        return []
    lines = []
    for key, value in values.items():
        shown = f"{value:g}" if number and isinstance(value, (int, float)) else value
        lines.append(f"{key}: {shown}")
    return _capped(lines, TOOLTIP_SECTION_LINES)


def _hyperparameter_lines(attrs: Mapping[str, Any]) -> list[str]:
    decoded = attrs.get("hyperparameters_decoded")
    if not isinstance(decoded, Mapping):
        raw = attrs.get("hyperparameters")
        if not isinstance(raw, Mapping):
            return []
        decoded = {name: decode_hyperparameter(str(value)) for name, value in raw.items()}
    visible = {
        name: value for name, value in decoded.items() if not is_framework_hyperparameter(name)
    }
    return _mapping_lines(visible)


def _variant_lines(variants: Any) -> list[str]:
    if not isinstance(variants, list):
        return []
    lines = []
    for variant in variants:
        if not isinstance(variant, Mapping):
            continue
        parts = [str(variant.get("name") or "variant")]
        if variant.get("shadow"):
            parts.append("shadow")
        if variant.get("model_name"):
            parts.append(f"model {variant['model_name']}")
        if variant.get("serverless"):
            memory = (
                variant["serverless"].get("MemorySizeInMB")
                if isinstance(variant["serverless"], Mapping)
                else None
            )
            parts.append(f"serverless {memory} MB" if memory else "serverless")
        elif variant.get("instance_type"):
            parts.append(f"{variant.get('instance_count') or '?'} x {variant['instance_type']}")
        if variant.get("weight") is not None:
            parts.append(f"weight {variant['weight']}")
        lines.append("Variant " + ", ".join(parts))
    return _capped(lines, TOOLTIP_SECTION_LINES)


def _capped(lines: list[str], limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    return lines[:limit] + [f"\u2026 {len(lines) - limit} more"]


def _edge_label(attrs: Mapping[str, Any]) -> str:
    relation = attrs.get("relation")
    text = relation.value if isinstance(relation, Relation) else str(relation or "")
    detail = attrs.get("channel") or attrs.get("variant")
    return f"{text} ({detail})" if detail else text


def _edge_title(attrs: Mapping[str, Any]) -> str:
    lines = [_edge_label(attrs)]
    for key, title in (("weight", "Weight"), ("match", "Match"), ("pending", "Pending")):
        value = attrs.get(key)
        if value not in (None, "", False):
            lines.append(f"{title}: {value.value if hasattr(value, 'value') else value}")
    return "\n".join(lines)


def _edge_dashed(attrs: Mapping[str, Any]) -> bool:
    relation = attrs.get("relation")
    try:
        dashed_relation = Relation(relation) in DASHED_RELATIONS
    except ValueError:
        dashed_relation = False
    return dashed_relation or bool(attrs.get("pending")) or bool(attrs.get("shadow"))


# --- layout ------------------------------------------------------------------------------


def layered_positions(view: View, aspect: float = 0.0) -> dict[str, tuple[int, int]]:
    """Place nodes in columns by dependency layer (endpoints left, datasets right).

    Columns are COLUMN_SPACING apart. Rows are spaced so that the drawing's height is about
    `aspect` times its width (the frame's height over its width), within ROW_SPACING_MIN and
    ROW_SPACING_MAX, so a fitted view fills the frame in both directions.

    A node's column is the longest path to it from a node without in-edges, computed on the
    condensation so that a cycle (a job that reads and writes one prefix) shares a column.
    Within a column, nodes are ordered by the mean row of their neighbours in earlier columns
    (one barycentre sweep, which removes most crossings of a lineage tree), then by kind and
    label, and centred on row 0. The result depends only on the view, never on hash order.
    """
    digraph = nx.DiGraph()
    order = {node.id: position for position, node in enumerate(view.nodes)}
    digraph.add_nodes_from(order)
    digraph.add_edges_from(
        (edge.source, edge.target) for edge in view.edges if edge.source != edge.target
    )

    layers = _longest_path_layers(digraph, order)
    columns: dict[int, list[str]] = {}
    for node_id in order:
        columns.setdefault(layers[node_id], []).append(node_id)

    kinds = {
        node.id: (KIND_ORDER.get(node.kind, 99), node.label.lower(), node.id) for node in view.nodes
    }
    row_spacing = _row_spacing(columns, aspect)
    rows: dict[str, float] = {}
    positions: dict[str, tuple[int, int]] = {}
    for column in sorted(columns):
        members = columns[column]
        members.sort(key=lambda node_id: (_barycentre(digraph, node_id, rows), kinds[node_id]))
        offset = (len(members) - 1) / 2
        for row, node_id in enumerate(members):
            rows[node_id] = row - offset
            positions[node_id] = (column * COLUMN_SPACING, round((row - offset) * row_spacing))
    return positions


def _row_spacing(columns: Mapping[int, list[str]], aspect: float) -> int:
    tallest = max((len(members) for members in columns.values()), default=1)
    if tallest < 2:
        return ROW_SPACING_MIN
    width = (len(columns) - 1) * COLUMN_SPACING + NODE_WIDTH
    spacing = aspect * width / (tallest - 1)
    return round(min(max(spacing, ROW_SPACING_MIN), ROW_SPACING_MAX))


def _longest_path_layers(digraph: nx.DiGraph, order: Mapping[str, int]) -> dict[str, int]:
    condensed = nx.condensation(digraph)
    members = condensed.graph["mapping"]
    component_layer: dict[int, int] = {}
    for component in nx.lexicographical_topological_sort(
        condensed, key=lambda c: min(order[n] for n in condensed.nodes[c]["members"])
    ):
        parents = list(condensed.predecessors(component))
        component_layer[component] = max((component_layer[p] + 1 for p in parents), default=0)
    return {node_id: component_layer[members[node_id]] for node_id in digraph}


def _barycentre(digraph: nx.DiGraph, node_id: str, rows: Mapping[str, float]) -> float:
    placed = [rows[n] for n in nx.all_neighbors(digraph, node_id) if n in rows]
    return sum(placed) / len(placed) if placed else 0.0


# --- HTML --------------------------------------------------------------------------------

# Tags pyvis 0.3.2's template adds in every mode: Bootstrap from jsdelivr, and a commented-out
# vis.js from ../node_modules. Both are removed; the graph does not need them.
_EXTERNAL_TAG = re.compile(
    r"<link\b[^>]*\bhref\s*=\s*[\"'][^\"']*[\"'][^>]*>"
    r"|<script\b[^>]*\bsrc\s*=\s*[\"'][^\"']*[\"'][^>]*>\s*</script>",
    re.IGNORECASE,
)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_EMPTY_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>")
_SOURCE_MAP = re.compile(r"//# sourceMappingURL=[^\s<]+")
_RESOURCE_ATTRIBUTE = re.compile(
    r"<(?:script|link|img|iframe|object|embed)\b[^>]*\b(?:src|href)\s*=", re.IGNORECASE
)
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style>", re.IGNORECASE | re.DOTALL)
_CSS_URL = re.compile(r"url\(\s*(?![\"']?data:)", re.IGNORECASE)
# The last script of the page contains the node and edge data, so only it could be escaped.
_DATA_SCRIPT = re.compile(r"<script type=\"text/javascript\">(.*?)</script>", re.DOTALL)
# pyvis switches to its own popup, filled with innerHTML, when any title contains "href".
_LINK_POPUP_FILL = "popup.innerHTML = nodeData[0].title;"


# The jinja2 Environment of pyvis's template folder, shared by every page. Streamlit renders
# pages from several script threads, and jinja2 3.1 guards its template cache with a lock.
_TEMPLATE_ENVIRONMENTS: dict[str, Any] = {}


def _page_html(
    view: View,
    positions: Mapping[str, tuple[int, int]],
    *,
    focus: str | None,
    height_px: int,
    highlight: set[str] | None = None,
) -> str:
    network = Network(height=f"{height_px}px", width="100%", directed=True, cdn_resources="in_line")
    # pyvis 0.3.2 gives every Network its own jinja2 Environment, which compiled the template
    # again for every page (about 0.1 s). The first one is kept, with its compiled templates.
    network.templateEnv = _TEMPLATE_ENVIRONMENTS.setdefault(
        network.template_dir, network.templateEnv
    )
    # Appending to pyvis's lists directly: add_node scans a list per call (quadratic), and it
    # turns numeric-looking string ids such as "20240115" into ints while add_edge does not.
    network.nodes = [
        _vis_node(node, positions[node.id], focus, node.id in (highlight or ()))
        for node in view.nodes
    ]
    network.edges = [_vis_edge(edge) for edge in view.edges]
    network.options = _vis_options()

    html = network.generate_html()
    html = _strip_outside_references(html)
    html = html.replace(_LINK_POPUP_FILL, "popup.innerText = nodeData[0].title;")
    html = html.replace("<body>", "<body>" + _legend_html(view), 1)
    html = _add_fold_click_handler(html)
    check_offline_html(html)
    return html


# Runs at the end of the data script, after pyvis's drawGraph() has set the globals `network`
# and `nodes`. A click on a fold node adds expand=<fold id>&page=<n> to the URL of the
# Streamlit page that contains this frame and fires `popstate`, which makes Streamlit rerun
# the page with the new query parameters (the same path as the browser's back button).
# NOTE: this needs a same-origin frame (Streamlit's st.iframe gives srcdoc frames
# allow-same-origin) and Streamlit's popstate handling, checked with Streamlit 1.67. Where
# either is missing the click does nothing and the page's own fold selector still works.
_FOLD_CLICK_SCRIPT = """
(function () {
  if (typeof network === "undefined" || typeof nodes === "undefined") { return; }
  network.on("click", function (params) {
    if (!params.nodes || params.nodes.length !== 1) { return; }
    var node = nodes.get(params.nodes[0]);
    if (!node || node.kind !== "fold") { return; }
    try {
      var host = window.parent;
      var url = new URL(host.location.href);
      url.searchParams.set("expand", node.id);
      url.searchParams.set("page", String(node.expand_page || 0));
      host.history.pushState(null, "", url.toString());
      host.dispatchEvent(new PopStateEvent("popstate", {state: null}));
    } catch (err) {
      console.warn("cannot expand the fold node from inside this frame", err);
    }
  });
})();
"""


def _add_fold_click_handler(html: str) -> str:
    # Inside the data script, so the page keeps one script per purpose and the data-script
    # check in check_offline_html covers this code too.
    end = html.rfind("</script>")
    if end < 0 or "drawGraph()" not in html[:end]:
        raise RenderError("rendered page has no data script; the pyvis template changed")
    return html[:end] + _FOLD_CLICK_SCRIPT + html[end:]


def _vis_node(
    node: ViewNode, position: tuple[int, int], focus: str | None, highlighted: bool = False
) -> dict[str, Any]:
    style = KIND_STYLES.get(node.kind, KIND_STYLES[NodeKind.EXTERNAL.value])
    dashed = node.placeholder or node.kind in (FOLD_KIND, SUMMARY_KIND)
    border = "#555555" if not dashed else "#888888"
    vis: dict[str, Any] = {
        "id": node.id,
        "label": node.label,
        "title": node.title,
        "kind": node.kind,
        "x": position[0],
        "y": position[1],
        "shape": style.shape,
        "color": {"background": "#f0f0f0" if node.placeholder else style.colour, "border": border},
        "borderWidth": 1,
        "font": {"color": "#666666" if dashed else "#1b1b1b", "size": NODE_FONT_SIZE},
        "shapeProperties": {
            "borderDashes": [5, 4] if dashed else False,
            "borderRadius": style.corner_radius,
        },
    }
    if node.kind == FOLD_KIND:
        vis["expand_page"] = node.next_page
    if node.id == focus:
        vis["borderWidth"] = 4
        vis["color"]["border"] = "#1b1b1b"
    if highlighted:
        vis["borderWidth"] = 4
        vis["color"]["border"] = "#d62728"
    return vis


def _vis_edge(edge: ViewEdge) -> dict[str, Any]:
    return {
        "from": edge.source,
        "to": edge.target,
        "label": edge.label,
        "title": edge.title,
        "dashes": edge.dashed,
        "arrows": "to",
    }


def _vis_options() -> dict[str, Any]:
    return {
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False, "hierarchical": {"enabled": False}},
        "interaction": {"hover": True, "tooltipDelay": 150, "multiselect": False},
        "nodes": {"margin": 6, "widthConstraint": {"minimum": NODE_WIDTH, "maximum": NODE_WIDTH}},
        "edges": {
            "smooth": False,
            "color": {"color": "#999999", "highlight": "#333333"},
            # Small labels on a white ground: the gap between columns is narrow, so a label
            # may cross a node's border, and the ground keeps both legible.
            "font": {"size": 9, "align": "middle", "color": "#555555", "background": "#ffffff"},
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}},
        },
    }


def _legend_html(view: View) -> str:
    # Built only from this module's kind names and colours, never from graph data.
    kinds = sorted({node.kind for node in view.nodes}, key=lambda kind: KIND_ORDER.get(kind, 99))
    items = []
    for kind in kinds:
        style = KIND_STYLES.get(kind, KIND_STYLES[NodeKind.EXTERNAL.value])
        border = "dashed" if kind in (FOLD_KIND, SUMMARY_KIND, NodeKind.EXTERNAL.value) else "solid"
        items.append(
            f'<span style="display:inline-block;margin-right:10px;">'
            f'<span style="display:inline-block;width:12px;height:12px;background:{style.colour};'
            f'border:1px {border} #555;margin-right:4px;vertical-align:middle;"></span>'
            f"{style.name}</span>"
        )
    items.append('<span style="color:#666;">dashed edge: shadow variant or pending update</span>')
    return (
        '<div id="lineage-legend" style="font:12px sans-serif;padding:2px 4px 6px 4px;">'
        + "".join(items)
        + "</div>"
    )


def _strip_outside_references(html: str) -> str:
    html = _HTML_COMMENT.sub("", html)
    html = _EXTERNAL_TAG.sub("", html)
    html = _SOURCE_MAP.sub("", html)
    return _EMPTY_HEADING.sub("", html)


def check_offline_html(html: str) -> None:
    """Raise RenderError when a page could load anything or let data close its script.

    No script, link, img, iframe, object or embed tag may have a `src` or `href`, which rules
    out outside URLs and relative `lib/` paths alike. Styles may use only `data:` URLs. The data
    script may not contain `</` or `<!--`, because either would end it early. No tooltip popup
    may be filled with innerHTML.
    """
    resource = _RESOURCE_ATTRIBUTE.search(html)
    if resource:
        snippet = html[resource.start() : resource.start() + 120]
        raise RenderError(f"rendered page still references a resource: {snippet!r}")

    for style in _STYLE_BLOCK.findall(html):
        css_url = _CSS_URL.search(style)
        if css_url:
            snippet = style[css_url.start() : css_url.start() + 120]
            raise RenderError(f"rendered page still loads a CSS url(): {snippet!r}")

    scripts = _DATA_SCRIPT.findall(html)
    if not scripts:
        raise RenderError("rendered page has no data script; the pyvis template changed")
    data_script = scripts[-1]
    if "</" in data_script or "<!--" in data_script:
        raise RenderError("a string in the graph data escaped the page's data script")

    if "popup.innerHTML" in html:
        raise RenderError(
            "rendered page fills tooltips with innerHTML; titles must stay plain text"
        )


__all__ = [
    "DEFAULT_HEIGHT_PX",
    "DEFAULT_MAX_NODES",
    "DEFAULT_PAGE_SIZE",
    "FoldSummary",
    "KIND_STYLES",
    "ROW_SPACING_MIN",
    "NODE_WIDTH",
    "LABEL_LINE_CHARS",
    "RenderError",
    "RenderedGraph",
    "check_offline_html",
    "hidden_neighbour_count",
    "is_placeholder",
    "kind_phrase",
    "layered_positions",
    "render",
    "render_html",
    "select_view",
    "short_label",
    "wrap_label",
    "tooltip_text",
]
