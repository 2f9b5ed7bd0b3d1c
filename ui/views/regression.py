"""Regression page: what changed behind an endpoint between two of its deployments."""

from __future__ import annotations

import logging
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from lineage.cli.common import counted
from lineage.errors import LineageError
from lineage.export import FORMATS, export_report
from lineage.graph import LineageGraph, NodeKind
from lineage.queries.regression import (
    Point,
    RegressionReport,
    compare_deployments,
    diff_rows,
    suspect_rows,
    timeline_rows,
    trend_rows,
)
from lineage.queries.trend import MetricTrend
from lineage.render import render as render_graph
from lineage.source import Loaded
from lineage.store import Store
from ui.views import common

logger = logging.getLogger(__name__)

GRAPH_HEIGHT_PX = 520
# Background of the first suspect's row: the most likely cause.
TOP_SUSPECT_STYLE = "background-color: #fff1c2; font-weight: 600"
REGRESSION_COLOUR = "#d62728"
MIME_TYPES = {"html": "text/html", "md": "text/markdown", "json": "application/json"}


def render(loaded: Loaded) -> None:
    """Draw the Regression page for the loaded store."""
    st.title("Regression")
    st.write(
        "Pick an endpoint and two of its deployments to see what changed upstream: the "
        "changes ranked by how likely they explain a quality change, the metric trend over "
        "the models it served, and both lineage graphs with the changed nodes outlined in red."
    )
    store = loaded.store
    if store is None:
        st.info(
            "A single recording has no history to compare. Start the app with "
            "`-- --db PATH` (a store written by `lineage crawl --db PATH`), or without a "
            "source to open the sample account's two snapshots."
        )
        return

    graph = loaded.graph
    endpoints = common.nodes_by_label(graph, [NodeKind.ENDPOINT.value])
    if not endpoints:
        st.info("The loaded snapshot has no endpoints. Load a crawl that includes endpoints.")
        return
    endpoint_id = st.selectbox(
        "Endpoint",
        endpoints,
        format_func=lambda node_id: str(graph.attribute(node_id, "label")),
        key="regression_endpoint",
    )
    endpoint = str(graph.attribute(str(endpoint_id), "label"))

    try:
        timeline = _timeline(store, id(store), endpoint)
    except LineageError as err:
        common.show_lineage_error(err, "Pick another endpoint, or crawl again to record it.")
        return

    before_index, after_index = _pick_points(timeline)
    try:
        report = _report(store, id(store), endpoint, before_index, after_index)
    except LineageError as err:
        common.show_lineage_error(err, "Pick other deployments, or crawl again.")
        return
    show_report(report)


# --- choosing the two points ----------------------------------------------------------------


def _pick_points(timeline: list[Point]) -> tuple[int | None, int]:
    """Show the timeline and two pickers; return the positions of the chosen deployments."""
    st.subheader("Deployment timeline")
    rows = timeline_rows(timeline)
    common.show_table(
        [{key: value for key, value in row.items() if key != "compared"} for row in rows]
    )
    last = len(timeline) - 1
    if last == 0:
        st.info(
            f"This endpoint has one recorded deployment (config {timeline[0].config_name}), so "
            "there is nothing to compare; its current lineage is shown below. Crawl again "
            "after the next update."
        )
        return None, 0

    positions = list(range(len(timeline)))
    caption = {
        position: f"{point.config_name} (live from {_time(point.since)})"
        for position, point in enumerate(timeline)
    }
    left, right = st.columns(2)
    before = left.selectbox(
        "Before",
        positions,
        index=_previous(timeline, last),
        format_func=caption.__getitem__,
        key="regression_before",
    )
    after = right.selectbox(
        "After",
        positions,
        index=last,
        format_func=caption.__getitem__,
        key="regression_after",
    )
    return int(before), int(after)


def _previous(timeline: list[Point], after: int) -> int:
    # The latest earlier deployment of another config; a redeploy of one config changes nothing.
    for position in range(after - 1, -1, -1):
        if timeline[position].config_name != timeline[after].config_name:
            return position
    return max(after - 1, 0)


@st.cache_resource(show_spinner="Reading the deployment timeline...", max_entries=32)
def _timeline(_store: Store, store_id: int, endpoint: str) -> list[Point]:
    # `store_id` keys the cache: the store object itself cannot be hashed.
    from lineage.queries.regression import deployments

    return deployments(_store, endpoint)


@st.cache_resource(show_spinner="Comparing the deployments...", max_entries=16)
def _report(
    _store: Store, store_id: int, endpoint: str, before: int | None, after: int
) -> RegressionReport:
    timeline = _timeline(_store, store_id, endpoint)
    return compare_deployments(_store, endpoint, timeline, before, after)


# --- showing the report ---------------------------------------------------------------------------


def show_report(report: RegressionReport) -> None:
    """Show notes, suspects, metric trend, diff, the two graphs and the export buttons."""
    for note in report.notes:
        st.warning(common.escape_markdown(note))

    if report.before is not None:
        _show_suspects(report)
        _show_trend(report.trend)
        _show_diff(report)
    elif report.trend is not None:
        _show_trend(report.trend)
    _show_graphs(report)
    _show_export(report)


def _show_suspects(report: RegressionReport) -> None:
    st.subheader("Suspects, most likely first")
    rows = suspect_rows(report)
    if not rows:
        st.text("No suspect: nothing upstream of the served models changed.")
        return
    st.text(f"Most likely cause: {rows[0]['reason']}")
    table = pd.DataFrame(
        [{key: common.text_cell(value) for key, value in row.items()} for row in rows]
    )
    styled = table.style.apply(
        lambda row: [TOP_SUSPECT_STYLE if row.name == 0 else ""] * len(row), axis=1
    )
    st.dataframe(styled, hide_index=True)


def _show_diff(report: RegressionReport) -> None:
    st.subheader("Diff")
    changed_only = st.toggle("Only differences", value=True, key="regression_diff_only")
    if report.diff is None:
        st.text("No diff: see the notes above.")
        return
    common.show_table(diff_rows(report.diff, changed_only), empty="No differences.")
    for sentence in report.diff.summary():
        st.text(sentence)


def _show_trend(trend: MetricTrend | None) -> None:
    if trend is None:
        return
    st.subheader(f"Trend of {trend.metric}")
    detail = f" ({trend.direction.detail})" if trend.direction.detail else ""
    st.text(
        f"Direction: {trend.direction.text}{detail}. Red points fell against the previous "
        "model of their variant."
    )
    points = [
        {
            "time": point.time.isoformat() if point.time else None,
            "value": point.value,
            "variant": point.group or "all",
            "point": point.label,
            "regression": "yes" if point.regression else "no",
        }
        for point in trend.points
        if point.value is not None and point.time is not None
    ]
    if points:
        st.altair_chart(trend_chart(points, trend.metric), width="stretch")
    common.show_table(trend_rows(trend))
    for note in trend.notes:
        st.caption(common.escape_markdown(note))


def trend_chart(points: list[dict[str, Any]], metric: str) -> alt.LayerChart:
    """Return a line per variant with every point drawn and regression points in red."""
    data = alt.Data(values=points)
    base = alt.Chart(data).encode(
        x=alt.X("time:T", title="deployed"),
        y=alt.Y("value:Q", title=metric, scale=alt.Scale(zero=False)),
        detail="variant:N",
    )
    line = base.mark_line(color="#7f7f7f")
    dots = base.mark_point(filled=True).encode(
        color=alt.Color(
            "regression:N",
            scale=alt.Scale(domain=["no", "yes"], range=["#1f77b4", REGRESSION_COLOUR]),
            title="regression",
        ),
        size=alt.condition(alt.datum.regression == "yes", alt.value(160), alt.value(60)),
        tooltip=["point:N", "variant:N", "value:Q", "time:T", "regression:N"],
    )
    return alt.LayerChart(layer=[line, dots])


def _show_graphs(report: RegressionReport) -> None:
    st.subheader("Lineage")
    sides = [
        ("before", report.before, report.before_config),
        ("after", report.after, report.after_config),
    ]
    shown = [side for side in sides if side[1] is not None]
    changed = report.changed
    # One above the other, each at full width: side by side, a chain of eight columns was
    # fitted into half the page and its labels could not be read.
    for side, point, config in shown:
        assert point is not None
        st.text(f"{side.capitalize()}: config {point.config_name}")
        ids = report.lineage.get(side, [])
        if config is None or not ids:
            st.text("This config is not in the crawled records.")
            continue
        _show_frame(report.graph, ids, config, changed)


def _show_frame(graph: LineageGraph, ids: list[str], focus: str, changed: list[str]) -> None:
    rendered = render_graph(graph, ids, focus=focus, height_px=GRAPH_HEIGHT_PX, highlight=changed)
    height = GRAPH_HEIGHT_PX + common.LEGEND_HEIGHT_PX
    if hasattr(st, "iframe"):
        st.iframe(rendered.html, height=height)
    else:  # Streamlit before st.iframe existed
        import streamlit.components.v1 as components

        components.html(rendered.html, height=height)
    outlined = len(set(changed) & set(rendered.graph_node_ids))
    verb = "differs" if outlined == 1 else "differ"
    st.caption(
        f"Drawn: {counted(rendered.node_count, 'node')}; {outlined} outlined in red {verb}."
    )


def _show_export(report: RegressionReport) -> None:
    st.subheader("Export")
    fmt = st.radio("Format", FORMATS, horizontal=True, key="regression_export_format")
    data = export_report(report, str(fmt))
    st.download_button(
        f"Download the {fmt} report",
        data=data,
        file_name=f"regression-{_file_part(report.endpoint)}.{fmt}",
        mime=MIME_TYPES[str(fmt)],
        key="regression_download",
    )


def _file_part(name: str) -> str:
    # SageMaker names allow letters, digits and hyphens only; anything else came from elsewhere.
    return "".join(char if char.isalnum() or char in "-_" else "_" for char in name) or "endpoint"


def _time(moment: Any) -> str:
    return moment.isoformat() if moment else "before the first crawl"
