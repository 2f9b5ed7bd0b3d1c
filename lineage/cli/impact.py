"""`lineage impact URI`: which jobs, models and endpoints were made from an S3 location."""

from __future__ import annotations

import argparse
from typing import Any

from lineage.cli.common import (
    add_source_options,
    emit,
    load_source,
    print_json,
    ref_text,
    say,
    section,
)
from lineage.cli.table import format_table
from lineage.queries.export import subgraph_json
from lineage.queries.impact import DOWNSTREAM_GROUPS, ImpactResult, impact

EXIT_NO_MATCH = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "impact",
        help="list jobs, models and endpoints made from an S3 location",
        description="Find every dataset and model artifact matching an S3 location and "
                    "everything made from them. The location is a key-name prefix: without a "
                    "trailing slash, s3://b/data/train also covers s3://b/data/train_v2/. "
                    "Exits with 1 when nothing matches, not even possibly.",
    )
    parser.add_argument("uri", metavar="URI",
                        help="S3 location: s3://, s3a://, s3n:// or an https S3 URL")
    add_source_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_source(args)
    result = impact(loaded.graph, args.uri)

    if args.json:
        data: dict[str, Any] = dict(subgraph_json(loaded.graph, result.node_ids()))
        data.update(result.to_dict())
        data["source"] = loaded.description
        print_json(data)
    else:
        say(f"Source: {loaded.description}")
        _print(result)
    return EXIT_NO_MATCH if result.empty else 0


def _print(result: ImpactResult) -> None:
    for warning in result.warnings:
        say(f"Warning: {warning}")

    section(f"Matches for {result.location}")
    rows: list[tuple[Any, ...]]
    if result.hits:
        rows = [(hit.match, hit.node.kind, hit.uri, hit.data_type, _consumers(hit))
                for hit in result.hits]
        emit(format_table(["match", "kind", "location", "data type", "read by (channel)"], rows))
    else:
        say(result.coverage_statement or "No match.")

    rows = [(name, ref.kind, ref_text(ref), ref.id)
            for name in DOWNSTREAM_GROUPS for ref in result.downstream.get(name, [])]
    if rows:
        section("Downstream")
        emit(format_table(["group", "kind", "name", "id"], rows))

    if result.endpoints or result.unused_configs:
        section("Endpoints")
        rows = [(item.endpoint.label, item.config.label, item.state) for item in result.endpoints]
        rows += [("(none)", ref.label, "not used by any endpoint now")
                 for ref in result.unused_configs]
        emit(format_table(["endpoint", "config", "state"], rows))

    if result.possible:
        section("Possible: jobs reading manifests the crawl did not open")
        rows = [(item.job.label, item.channel, item.manifest.id) for item in result.possible]
        emit(format_table(["job", "channel", "manifest"], rows))
        rows = [(name, ref_text(ref)) for name in DOWNSTREAM_GROUPS
                for ref in result.possible_downstream.get(name, [])]
        if rows:
            emit(format_table(["possibly affected", "name"], rows))


# A hub dataset is read by thousands of jobs, which made one cell of 100,000 characters. The
# Downstream table lists every job on its own line, and --json lists every consumer.
LISTED_CONSUMERS = 5


def _consumers(hit: Any) -> str:
    listed = [
        f"{consumer.job.label} ({consumer.channel})" if consumer.channel else consumer.job.label
        for consumer in hit.consumers[:LISTED_CONSUMERS]
    ]
    rest = len(hit.consumers) - len(listed)
    if rest > 0:
        listed.append(f"and {rest:,} more (see Downstream)")
    return ", ".join(listed)
