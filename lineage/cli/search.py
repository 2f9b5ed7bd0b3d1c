"""`lineage search` and `lineage suggest`: SageMaker Search over the crawled records."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lineage.cli.common import counted, emit, load_source, print_json, say
from lineage.cli.table import format_table
from lineage.errors import LineageError, SearchError
from lineage.search import RESOURCE_KINDS, SearchIndex, get_search_suggestions, parse_query
from lineage.search.properties import display_text

EXIT_NO_MATCH = 1

# Columns every table starts with, per resource; `--columns` and SortBy add to them.
DEFAULT_COLUMNS: dict[str, list[str]] = {
    "TrainingJob": ["TrainingJobName", "TrainingJobStatus", "CreationTime"],
    "Model": ["Model.ModelName", "Model.CreationTime"],
    "Endpoint": ["EndpointName", "EndpointStatus", "LastModifiedTime"],
    "ModelPackage": ["ModelPackageGroupName", "ModelPackageVersion", "ModelApprovalStatus"],
    "HyperParameterTuningJob": [
        "HyperParameterTuningJobName", "HyperParameterTuningJobStatus", "CreationTime",
    ],
}

_SORT_ORDERS = {"asc": "Ascending", "desc": "Descending"}


def register(subparsers: Any) -> None:
    """Add the `search` and `suggest` subcommands."""
    search_parser = subparsers.add_parser(
        "search",
        help="filter crawled resources with SageMaker Search expressions",
        description="Filter crawled resources as SageMaker Search does. EXPRESSION is the "
                    "text form, for example: Tags.Project = churn and "
                    "Metrics.\"validation:auc\" > 0.9 sort by Metrics.\"validation:auc\" desc. "
                    "Operators: =, !=, >, >=, <, <=, contains, in (a, b), exists, not exists; "
                    "combine with and, or and parentheses. Exits with 1 when nothing matches.",
    )
    search_parser.add_argument("expression", nargs="?", default=None, metavar="EXPRESSION",
                               help="search in the text form; omit it to list every record")
    search_parser.add_argument("--params", metavar="FILE.json",
                               help="read boto3 search() arguments (Resource, SearchExpression, "
                                    "SortBy, ...) from a JSON file instead of EXPRESSION")
    search_parser.add_argument("--resource", choices=list(RESOURCE_KINDS), default=None,
                               help="resource to search (default: TrainingJob)")
    search_parser.add_argument("--sort-by", metavar="NAME", help="property to sort by")
    search_parser.add_argument("--sort-order", choices=sorted(_SORT_ORDERS),
                               help="sort order (default: desc)")
    search_parser.add_argument("--max-results", type=int, default=None, metavar="N",
                               help="results per page, 1 to 100 (default: 100)")
    search_parser.add_argument("--next-token", metavar="TOKEN",
                               help="continue a search from the NextToken it printed")
    search_parser.add_argument("--columns", metavar="NAMES",
                               help="comma-separated extra columns, such as "
                                    "HyperParameters.eta,Metrics.validation:auc")
    _add_source_options(search_parser, "print the boto3-shaped search() response as JSON")
    search_parser.set_defaults(handler=run_search)

    suggest_parser = subparsers.add_parser(
        "suggest",
        help="list property names for search that start with a hint",
        description="List the property names present in the crawled records that start with "
                    "HINT, ignoring case, like GetSearchSuggestions. Exits with 1 when none do.",
    )
    suggest_parser.add_argument("hint", nargs="?", default="", metavar="HINT",
                                help="start of a property name, such as Metrics. or Tags.P")
    suggest_parser.add_argument("--resource", choices=list(RESOURCE_KINDS),
                                default="TrainingJob",
                                help="resource whose properties to list (default: TrainingJob)")
    _add_source_options(suggest_parser,
                        "print the boto3-shaped GetSearchSuggestions response as JSON")
    suggest_parser.set_defaults(handler=run_suggest)


def _add_source_options(parser: argparse.ArgumentParser, json_help: str) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--recording", metavar="FILE",
                        help="crawl this recording in memory instead of reading the sample data")
    source.add_argument("--db", metavar="PATH",
                        help="read the newest snapshot of this store (written by `lineage crawl`)")
    parser.add_argument("--json", action="store_true", help=json_help)


def build_request(args: argparse.Namespace) -> dict[str, Any]:
    """Return the search() arguments that the command line describes."""
    if args.params and args.expression:
        raise SearchError("give either EXPRESSION or --params FILE.json, not both")

    if args.params:
        request = _read_params(Path(args.params))
        if args.resource:
            request["Resource"] = args.resource
        request.setdefault("Resource", "TrainingJob")
    else:
        parsed = parse_query(args.expression or "")
        request = parsed.to_request(args.resource or "TrainingJob")

    if args.sort_by:
        request["SortBy"] = args.sort_by
    if args.sort_order:
        request["SortOrder"] = _SORT_ORDERS[args.sort_order]
    if args.max_results is not None:
        request["MaxResults"] = args.max_results
    request.setdefault("MaxResults", 100)
    if args.next_token:
        request["NextToken"] = args.next_token
    return request


def _read_params(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise LineageError(f"cannot read --params file {path}: {err.strerror}") from err
    except json.JSONDecodeError as err:
        raise LineageError(f"--params file {path} is not valid JSON: {err}") from err
    if not isinstance(document, dict):
        raise LineageError(
            f"--params file {path} must contain a JSON object of search() arguments, "
            'such as {"Resource": "TrainingJob", "SearchExpression": {...}}'
        )
    return document


def run_search(args: argparse.Namespace) -> int:
    request = build_request(args)
    loaded = load_source(args)
    response = SearchIndex(loaded.result).search(request)

    if args.json:
        print_json(response)
    else:
        say(f"Source: {loaded.description}")
        resource = request["Resource"]
        columns = result_columns(resource, request.get("SortBy"), args.columns,
                                 filtered=filtered_names(request.get("SearchExpression")))
        records = [item[resource] for item in response["Results"]]
        rows = [[display_text(resource, record, name) for name in columns] for record in records]
        if rows:
            emit(format_table(columns, rows))
        total = response["TotalHits"]["Value"]
        say(f"{len(rows)} of {counted(total, f'matching {resource} record')} shown.")
        if "NextToken" in response:
            say(f"More results: repeat with --next-token {response['NextToken']}")
    return 0 if response["TotalHits"]["Value"] else EXIT_NO_MATCH


def result_columns(
    resource: str, sort_by: str | None, extra: str | None, filtered: Sequence[str] = ()
) -> list[str]:
    """Return the table columns: the resource's defaults, the properties the search filters
    on, the sort property, then extras. Each name appears once."""
    columns = list(DEFAULT_COLUMNS[resource])
    wanted = list(filtered)
    wanted += [sort_by] if sort_by else []
    wanted += [name.strip() for name in (extra or "").split(",") if name.strip()]
    for name in wanted:
        if name not in columns:
            columns.append(name)
    return columns


def filtered_names(expression: Any) -> list[str]:
    """Return the property names a SearchExpression filters on, in order of appearance.

    Walks Filters, NestedFilters and SubExpressions. Malformed parts are skipped here, because
    the search itself rejects them with a message.
    """
    names: list[str] = []
    if not isinstance(expression, dict):
        return names
    filters = list(expression.get("Filters") or [])
    for nested in expression.get("NestedFilters") or []:
        if isinstance(nested, dict):
            filters += nested.get("Filters") or []
    for item in filters:
        name = item.get("Name") if isinstance(item, dict) else None
        if isinstance(name, str) and name not in names:
            names.append(name)
    for sub_expression in expression.get("SubExpressions") or []:
        names += [name for name in filtered_names(sub_expression) if name not in names]
    return names


def run_suggest(args: argparse.Namespace) -> int:
    loaded = load_source(args)
    response = get_search_suggestions(SearchIndex(loaded.result), {
        "Resource": args.resource,
        "SuggestionQuery": {"PropertyNameQuery": {"PropertyNameHint": args.hint}},
    })
    names = [item["PropertyName"] for item in response["PropertyNameSuggestions"]]

    if args.json:
        print_json(response)
    else:
        for name in names:
            say(name)
        if not names:
            say(f"No {args.resource} property name starts with {args.hint!r}.")
    return 0 if names else EXIT_NO_MATCH
