"""`lineage regression`, `lineage diff` and `lineage export`: what changed behind an endpoint."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from lineage.cli.common import emit, load_source, print_json, say, section
from lineage.cli.table import format_table
from lineage.errors import LineageError
from lineage.export import FORMATS, export_report
from lineage.graph import LineageGraph
from lineage.queries.diff import diff
from lineage.queries.regression import (
    RegressionReport,
    diff_rows,
    regression,
    suspect_rows,
    timeline_rows,
    trend_rows,
)
from lineage.queries.suspects import rank_suspects
from lineage.source import Loaded

logger = logging.getLogger(__name__)

# Exit code when the command ran but had nothing to compare (one deployment, missing config).
EXIT_NOTHING_TO_COMPARE = 1

_TIME_HELP = (
    "a snapshot id (such as 3), an ISO 8601 time (UTC unless it has an offset, such as "
    "2024-06-12T10:00:00Z) or a date (the end of that day in UTC)"
)


def register(subparsers: Any) -> None:
    _register_regression(subparsers)
    _register_diff(subparsers)
    _register_export(subparsers)


def _register_regression(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "regression",
        help="show what changed upstream of an endpoint between two deployments",
        description="Compare the deployment of ENDPOINT live at --from with the one live at "
        "--to (default: the latest deployment and the one before it). Prints the deployment "
        "timeline, the changes ranked by how likely they explain a quality change, the metric "
        "trend over the models the endpoint served, and the diff. Needs a store with history: "
        "--db PATH or the bundled sample.",
    )
    parser.add_argument("endpoint", metavar="ENDPOINT", help="endpoint name or ARN")
    _add_points(parser)
    _add_all(parser)
    _add_source(parser, json_help="print the report as JSON instead of tables")
    parser.set_defaults(handler=run_regression)


def _register_diff(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="compare the lineage of two endpoint configs, models or training jobs",
        description="Compare the upstream lineage of A (before) with that of B (after): "
        "datasets per channel, code, images, hyperparameters, instances, tags, serving "
        "settings and final metrics, with suspects ranked first. With a store, A and B may be "
        "resources of any snapshot, such as a config an endpoint no longer uses.",
    )
    parser.add_argument("before", metavar="A", help="name or ARN of the earlier resource")
    parser.add_argument("after", metavar="B", help="name or ARN of the later resource")
    _add_all(parser)
    parser.add_argument(
        "--framework",
        action="store_true",
        help="also compare the sagemaker_* hyperparameters the SageMaker SDK sets",
    )
    _add_source(parser, json_help="print the diff and suspects as JSON instead of tables")
    parser.set_defaults(handler=run_diff)


def _register_export(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write an endpoint's regression report as one HTML, Markdown or JSON file",
        description="Write the regression report of ENDPOINT as one self-contained file for an "
        "incident ticket. The HTML file draws the lineage graph offline and loads nothing.",
    )
    parser.add_argument("endpoint", metavar="ENDPOINT", help="endpoint name or ARN")
    parser.add_argument("--format", choices=FORMATS, required=True, dest="fmt", help="file format")
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="write to FILE instead of standard output (overwrites FILE)",
    )
    _add_points(parser)
    _add_all(parser)
    _add_source(parser, json_help=None)
    parser.set_defaults(handler=run_export, json=False)


def _add_all(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--all",
        action="store_true",
        help="list equal diff entries too (default: only what differs)",
    )


def _add_source(parser: argparse.ArgumentParser, json_help: str | None) -> None:
    # Like the other query commands, but regression needs history, so without a source these
    # commands read the sample account's two snapshots.
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--recording",
        metavar="FILE",
        help="read this recording (a single snapshot, so regression has nothing to compare)",
    )
    source.add_argument(
        "--db",
        metavar="PATH",
        help="read the snapshots of this store (written by `lineage crawl --db PATH`)",
    )
    if json_help is not None:
        parser.add_argument("--json", action="store_true", help=json_help)


def _add_points(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from",
        dest="from_",
        metavar="T",
        help=f"the earlier point: {_TIME_HELP} (default: the deployment before --to)",
    )
    parser.add_argument(
        "--to",
        metavar="T",
        help=f"the later point: {_TIME_HELP} (default: now)",
    )


# --- regression ----------------------------------------------------------------------------------


def run_regression(args: argparse.Namespace) -> int:
    loaded = load_source(args)
    report = _regression(loaded, args)

    if args.json:
        data = report.to_dict(changed_only=not args.all)
        data["source"] = loaded.description
        print_json(data)
    else:
        say(f"Source: {loaded.description}")
        print_report(report, changed_only=not args.all)
    return 0 if report.before is not None and report.diff is not None else EXIT_NOTHING_TO_COMPARE


def _regression(loaded: Loaded, args: argparse.Namespace) -> RegressionReport:
    if loaded.store is None:
        raise LineageError(
            f"{loaded.description} is a single snapshot, so no earlier deployment can be "
            "found; save crawls to a store with `lineage crawl --db PATH` and pass --db PATH"
        )
    return regression(loaded.store, args.endpoint, from_=args.from_, to=args.to)


def print_report(report: RegressionReport, changed_only: bool = True) -> None:
    """Print the summary, timeline, suspects, metric trend, diff and notes as tables."""
    section(f"Endpoint {report.endpoint}")
    if report.before is not None:
        say(f"Before: config {report.before.config_name}")
    say(f"After:  config {report.after.config_name}")
    coverage = report.coverage
    say(
        f"Snapshots used: {_join(coverage.get('snapshot_ids'))} (crawled "
        f"{coverage.get('first_crawl')} to {coverage.get('last_crawl')})"
    )

    _table(
        "Deployment timeline",
        timeline_rows(report.timeline, report.before, report.after),
        "No deployment recorded.",
    )
    _table("Suspects, most likely first", suspect_rows(report), "No suspect.")
    if report.trend is not None:
        trend = report.trend
        title = f"Trend of {trend.metric} ({trend.direction.text}"
        title += f", {trend.direction.detail})" if trend.direction.detail else ")"
        _table(title, trend_rows(trend), "No point.")
        for note in trend.notes:
            say(f"Note: {note}")
    if report.diff is not None:
        _table("Diff", diff_rows(report.diff, changed_only), "No differences.")
        for sentence in report.diff.summary():
            say(sentence)

    if report.notes:
        section("Notes")
        for note in report.notes:
            say(f"- {note}")
    if report.before is None and report.lineage.get("after"):
        _print_current(report)


def _print_current(report: RegressionReport) -> None:
    graph = report.graph
    rows = [
        (graph.kind(node).value, graph.attribute(node, "label") or node, node)
        for node in report.lineage["after"]
    ]
    rows.sort(key=lambda row: (row[0], str(row[1])))
    section(f"Current lineage of config {report.after.config_name}")
    emit(format_table(["kind", "name", "id"], rows))


# --- diff -------------------------------------------------------------------------------------


def run_diff(args: argparse.Namespace) -> int:
    loaded = load_source(args)
    graph = _history_graph(loaded)
    result = diff(graph, args.before, args.after, include_framework=args.framework)
    suspects = rank_suspects(result)

    if args.json:
        data = result.to_dict(changed_only=not args.all)
        data["suspects"] = [suspect.to_dict() for suspect in suspects]
        data["source"] = loaded.description
        print_json(data)
        return 0

    say(f"Source: {loaded.description}")
    section(
        f"Diff of {result.kind.value} {_label(graph, result.before)} (before) and "
        f"{_label(graph, result.after)} (after)"
    )
    _table("Suspects, most likely first", _suspect_table(suspects), "No suspect.")
    _table("Diff", diff_rows(result, changed_only=not args.all), "No differences.")
    for sentence in result.summary():
        say(sentence)
    for note in result.notes:
        say(f"Note: {note}")
    if result.hidden_hyperparameters:
        say(
            f"Hidden framework hyperparameters (show with --framework): "
            f"{', '.join(result.hidden_hyperparameters)}"
        )
    return 0


def _history_graph(loaded: Loaded) -> LineageGraph:
    """Return a graph of every snapshot of the store, or the loaded graph without a store.

    A diff usually compares a resource with one the account has moved on from, and the newest
    snapshot may no longer list it.
    """
    if loaded.store is None:
        return loaded.graph
    from lineage.build import build_graph

    return build_graph(loaded.store.result_between(None, None))


def _suspect_table(suspects: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "rank": rank,
            "kind": suspect.kind.value,
            "name": suspect.name,
            "scope": suspect.scope,
            "reason": suspect.reason,
        }
        for rank, suspect in enumerate(suspects, start=1)
    ]


# --- export -------------------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    loaded = load_source(args)
    report = _regression(loaded, args)
    text = export_report(report, args.fmt, changed_only=not args.all)

    if args.output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    path = Path(args.output)
    try:
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as err:
        raise LineageError(
            f"cannot write {path}: {err.strerror}; check the folder exists and is writable"
        ) from err
    sys.stderr.write(f"Wrote {args.fmt} report of {report.endpoint} to {path}\n")
    return 0


# --- helpers --------------------------------------------------------------------------------------


def _table(title: str, rows: list[dict[str, Any]], empty: str) -> None:
    section(title)
    if not rows:
        say(empty)
        return
    headers = list(rows[0])
    emit(format_table(headers, [[row.get(key) for key in headers] for row in rows]))


def _label(graph: LineageGraph, node: str) -> str:
    return str(graph.node(node).get("label") or node) if node in graph else node


def _join(values: Any) -> str:
    return ", ".join(str(value) for value in values or []) or "none"
