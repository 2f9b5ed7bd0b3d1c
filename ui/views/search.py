"""Search page: SageMaker Search filters over the crawled records, and dataset verification."""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from lineage.errors import LineageError
from lineage.graph import NodeKind
from lineage.search import RESOURCE_KINDS, SearchIndex, format_expression, parse_query
from lineage.search.dataset import verify_dataset
from lineage.search.expression import OPERATORS_BY_TYPE, PRESENCE_OPERATORS, Operator
from lineage.search.properties import display_text, parse_number
from lineage.source import Loaded
from ui.views import common

logger = logging.getLogger(__name__)

MAX_CRITERIA = 8
# Columns the table always shows per resource, before the chosen hyperparameters and metrics.
BASE_COLUMNS = {
    "TrainingJob": ["TrainingJobName", "TrainingJobStatus", "CreationTime"],
    "Model": ["Model.ModelName", "Model.CreationTime"],
    "Endpoint": ["EndpointName", "EndpointStatus", "LastModifiedTime"],
    "ModelPackage": ["ModelPackageGroupName", "ModelPackageVersion", "ModelApprovalStatus"],
    "HyperParameterTuningJob": ["HyperParameterTuningJobName", "HyperParameterTuningJobStatus"],
}
# The graph node kind and name field of each resource, for the "Open in Explore" button.
EXPLORE_KIND = {
    "TrainingJob": (NodeKind.TRAINING_JOB, "TrainingJobName"),
    "Model": (NodeKind.MODEL, "Model.ModelName"),
    "Endpoint": (NodeKind.ENDPOINT, "EndpointName"),
    "ModelPackage": (NodeKind.MODEL_PACKAGE, "ModelPackageArn"),
    "HyperParameterTuningJob": (NodeKind.TUNING_JOB, "HyperParameterTuningJobName"),
}
_NO_SORT = "(default: LastModifiedTime)"
# URL path of the Explore page in ui/app.py.
EXPLORE_URL_PATH = "explore"


@st.cache_resource(show_spinner=False)
def _index(_loaded: Loaded, source: str) -> SearchIndex:
    # Keyed by the source text because the Loaded object itself is not hashable.
    return SearchIndex(_loaded.result)


def render(loaded: Loaded) -> None:
    """Draw the Search page for the loaded crawl."""
    st.title("Search")
    st.write(
        "Filter crawled resources with SageMaker Search semantics: build criteria or type the "
        "text form, such as `Tags.Project = churn and Metrics.\"validation:auc\" > 0.9`."
    )
    index = _index(loaded, loaded.source)
    resource = st.selectbox("Resource", list(RESOURCE_KINDS), key="search_resource")

    request = _request_from_inputs(index, resource)
    if request is not None:
        _show_results(loaded, index, resource, request)

    st.divider()
    _verify_dataset(loaded)


def _request_from_inputs(index: SearchIndex, resource: str) -> dict[str, Any] | None:
    mode = st.radio("Build the search with", ["Criteria", "Text"], horizontal=True,
                    key="search_mode")
    names = index.property_names(resource)
    try:
        if mode == "Text":
            text = st.text_input("Search", key="search_text",
                                 placeholder="TrainingJobStatus = Completed sort by CreationTime")
            parsed = parse_query(text)
            request = parsed.to_request(resource)
        else:
            request = {"Resource": resource}
            expression = _criteria(index, resource, names)
            if expression is not None:
                request["SearchExpression"] = expression
                # Property names come from the crawled records (tag keys, metric names).
                st.caption("As text: " + common.escape_markdown(format_expression(expression)))
    except LineageError as err:
        _show_search_error(err)
        return None

    sort_column, order_column = st.columns([3, 1])
    with sort_column:
        sort_by = st.selectbox("Sort by", [_NO_SORT, *names], key="search_sort_by")
    with order_column:
        order = st.radio("Order", ["Descending", "Ascending"], key="search_sort_order")
    if sort_by != _NO_SORT:
        request["SortBy"] = sort_by
    request.setdefault("SortOrder", order)
    return request


def _show_search_error(err: LineageError) -> None:
    # A syntax error's message is followed by the search text and a caret under the failing
    # column. The error box states the message; the monospace block keeps the caret aligned.
    message = str(err)
    headline = message.partition("\n")[0]
    st.error("Invalid search: " + common.escape_markdown(headline))
    if "\n" in message:
        st.code(message, language=None)


def _criteria(index: SearchIndex, resource: str, names: list[str]) -> dict[str, Any] | None:
    count = int(st.number_input("Criteria", min_value=0, max_value=MAX_CRITERIA, value=1,
                                key="search_criteria_count"))
    combine = st.radio("Match", ["And", "Or"], horizontal=True, key="search_combine",
                       format_func=lambda value: "all criteria" if value == "And" else "any")
    filters = []
    for row in range(count):
        name_column, operator_column, value_column = st.columns([3, 2, 3])
        with name_column:
            name = st.selectbox("Property", names, key=f"search_property_{row}",
                                index=None, placeholder="Choose or type a property")
        if name is None:
            continue
        kind = index.type_of(resource, name)
        operators = [op.value for op in OPERATORS_BY_TYPE[kind]] if kind else []
        with operator_column:
            operator = st.selectbox("Operator", operators, key=f"search_operator_{row}")
        item: dict[str, Any] = {"Name": name, "Operator": operator}
        if operator and Operator(operator) not in PRESENCE_OPERATORS:
            with value_column:
                item["Value"] = st.text_input("Value", key=f"search_value_{row}")
            if not item["Value"]:
                continue
        filters.append(item)
    if not filters:
        return None
    return {"Filters": filters, "Operator": combine}


def _all_results(index: SearchIndex, request: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    records: list[dict[str, Any]] = []
    page = index.search({**request, "MaxResults": 100})
    records.extend(item[request["Resource"]] for item in page["Results"])
    while "NextToken" in page:
        page = index.search({**request, "MaxResults": 100, "NextToken": page["NextToken"]})
        records.extend(item[request["Resource"]] for item in page["Results"])
    return records, page["TotalHits"]["Value"]


def _show_results(loaded: Loaded, index: SearchIndex, resource: str,
                  request: dict[str, Any]) -> None:
    try:
        records, total = _all_results(index, request)
    except LineageError as err:
        _show_search_error(err)
        return

    st.text(f"{total} matching {resource} records.")
    if not records:
        return

    names = index.property_names(resource)
    optional = [n for n in names if n.startswith(("HyperParameters.", "Metrics.", "Tags."))]
    chosen = st.multiselect("Columns", optional, key="search_columns",
                            help="Hyperparameters, metrics and tags to show as columns")
    columns = BASE_COLUMNS[resource] + [n for n in chosen if n not in BASE_COLUMNS[resource]]
    if request.get("SortBy") and request["SortBy"] not in columns:
        columns.append(request["SortBy"])
    rows = [{name: display_text(resource, record, name) for name in columns}
            for record in records]
    st.dataframe(rows, hide_index=True)
    st.download_button("Download CSV", _csv(columns, rows), file_name=f"{resource}-search.csv",
                       mime="text/csv", key="search_csv")

    _metric_chart(resource, records, names)
    _open_in_explore(loaded, resource, records)


def _csv(columns: list[str], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _metric_chart(resource: str, records: list[dict[str, Any]], names: list[str]) -> None:
    metrics = [n for n in names if n.startswith("Metrics.")]
    hyperparameters = [n for n in names if n.startswith("HyperParameters.")]
    if not metrics or not hyperparameters:
        return
    st.subheader("Metric against hyperparameter")
    left, right = st.columns(2)
    with left:
        x_name = st.selectbox("Hyperparameter (x)", hyperparameters, key="search_chart_x")
    with right:
        y_name = st.selectbox("Metric (y)", metrics, key="search_chart_y")
    points = []
    for record in records:
        x_value = parse_number(display_text(resource, record, x_name))
        y_value = parse_number(display_text(resource, record, y_name))
        if x_value is not None and y_value is not None:
            points.append({x_name: x_value, y_name: y_value})
    if not points:
        st.text("No result has numeric values for both.")
        return
    st.scatter_chart(points, x=x_name, y=y_name)


def _open_in_explore(loaded: Loaded, resource: str, records: list[dict[str, Any]]) -> None:
    kind, name_field = EXPLORE_KIND[resource]
    labels = [display_text(resource, record, name_field) for record in records]
    labels = [label for label in labels if label]
    if not labels:
        return
    picked_column, button_column = st.columns([3, 1])
    with picked_column:
        picked = st.selectbox("Result", labels, key="search_pick")
    with button_column:
        clicked = st.button("Open in Explore", key="search_open")
    if not clicked:
        return
    node_id = loaded.graph.find(picked, kinds=[kind])
    if node_id is None:
        st.text(f"{picked} is not in the lineage graph.")
        return
    # The Explore page reads its focus from these widget keys.
    st.session_state["explore_kind"] = kind.value
    st.session_state["explore_node"] = node_id
    try:
        # Streamlit identifies a page by its URL path, so a stand-in Page with the Explore
        # page's path switches to it.
        st.switch_page(st.Page(_explore_stand_in, url_path=EXPLORE_URL_PATH))
    except StreamlitAPIException as err:
        # Raised when the page runs outside the app's navigation, as in a single-page test.
        logger.info("switching to the Explore page failed: %s", err)
        st.text(f"Open the Explore page: {picked} is now its focus.")


def _explore_stand_in() -> None:
    """Stand in for the Explore page when switching to it; Streamlit never runs it."""


def _verify_dataset(loaded: Loaded) -> None:
    st.subheader("Verify a dataset")
    st.write("Enter an S3 location to list the training and processing jobs that read it.")
    location = st.text_input("S3 location", key="search_dataset",
                             placeholder="s3://bucket/holdout/")
    if not location.strip():
        return
    try:
        # The crawl time the Impact page states: a recording's recorded_at or the snapshot's
        # time, not the moment the app replayed it.
        crawled_at = loaded.graph.meta.get("coverage", {}).get("crawled_at")
        check = verify_dataset(loaded.result, location.strip(), crawled_at=crawled_at)
    except LineageError as err:
        common.show_lineage_error(err, "Enter an `s3://bucket/key` URI or an https S3 URL.")
        return
    st.text(check.summary)
    common.show_table([
        {"job": use.job_name, "kind": use.job_kind, "channel": use.channel, "input": use.uri,
         "data type": use.data_type, "match": use.match}
        for use in check.uses
    ])
