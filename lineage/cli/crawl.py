"""`lineage crawl`: read an account (or a recording) and store the crawl as a snapshot."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from lineage.cli.common import emit, print_json, say, section
from lineage.cli.table import format_table
from lineage.crawl.result import CrawlReport, CrawlResult, RecordKind
from lineage.errors import LineageError
from lineage.recording import RecordingClient, RecordingWriter, load_recording
from lineage.source import recording_seeds

logger = logging.getLogger(__name__)

EXIT_NOTHING_READ = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "crawl",
        help="crawl SageMaker (or a recording) and store a snapshot",
        description="Read the SageMaker resources of one account and region with read-only "
                    "calls, print the crawl report and store the records as a snapshot. "
                    "Exits with 1 when no record could be read (every kind denied).",
    )
    parser.add_argument("--profile", help="AWS profile name from the shared config files")
    parser.add_argument("--region", help="AWS region to crawl (default: the profile's region)")
    parser.add_argument("--endpoint-url", metavar="URL",
                        help="SageMaker endpoint URL, for testing against a local mock "
                             "such as http://127.0.0.1:5000")
    parser.add_argument("--recording", metavar="FILE",
                        help="crawl this recording instead of AWS (no network access)")
    parser.add_argument("--record", metavar="FILE",
                        help="write every API response to this recording file")
    parser.add_argument("--scrub", action="store_true",
                        help="with --record: replace account ids, bucket and role names in the "
                             "recording")
    parser.add_argument("--report", metavar="FILE", help="write the crawl report as JSON")
    parser.add_argument("--db", metavar="PATH",
                        help="store the snapshot in this SQLite file (default: "
                             "$XDG_DATA_HOME/sagemaker-lineage/lineage.sqlite)")
    parser.add_argument("--tags", action="store_true",
                        help="fetch tags with ListTags for resources read without Search "
                             "(one extra call per resource)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.scrub and not args.record:
        raise LineageError("--scrub applies to the recording written by --record; "
                           "add --record FILE")
    from lineage import store
    from lineage.crawl.crawler import crawl

    client, source, seeds = _client(args)
    writer = None
    if args.record:
        writer = RecordingWriter(client, scrub=_scrubber() if args.scrub else None)
        client = writer

    result = crawl(client, seeds=seeds, fetch_tags=args.tags, region=args.region or None,
                   account=getattr(client, "account", None))

    if writer is not None:
        writer.write(args.record)
    if args.report:
        Path(args.report).write_text(json.dumps(result.report.to_dict(), indent=2) + "\n")
    database = store.open_store(args.db, create=True)
    snapshot = database.save(result, source=source)

    if args.json:
        print_json({"report": result.report.to_dict(), "snapshot": snapshot,
                    "store": str(database.path)})
    else:
        _print_report(result)
        section(f"Saved snapshot {snapshot} to {database.path}")
    return 0 if _record_count(result) else EXIT_NOTHING_READ


def _client(args: argparse.Namespace) -> tuple[Any, str, list[tuple[RecordKind, str]] | None]:
    """Return the client, a description of it, and crawl seeds for a Search-less recording."""
    if args.recording:
        if args.profile or args.endpoint_url:
            raise LineageError("--recording replays a file, so --profile and --endpoint-url do "
                               "not apply; remove them")
        document = load_recording(args.recording)
        client = RecordingClient(document, source=args.recording)
        seeds = recording_seeds(document) if "search" not in document["responses"] else None
        return client, f"recording {args.recording}", seeds

    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
        # The crawler retries throttled calls itself, with backoff and a shared budget.
        client = session.client("sagemaker", endpoint_url=args.endpoint_url,
                                config=Config(retries={"total_max_attempts": 1}))
    except BotoCoreError as err:
        raise LineageError(f"cannot create a SageMaker client: {err}; check --profile and "
                           "--region") from err
    source = f"aws {client.meta.region_name}"
    if args.endpoint_url:
        source += f" via {args.endpoint_url}"
    return client, source, None


def _scrubber() -> Any:
    try:
        from lineage.crawl.scrub import scrub
    except ModuleNotFoundError as err:
        raise LineageError("--scrub is not available in this installation: the module "
                           "lineage.crawl.scrub is missing") from err
    return scrub


def _record_count(result: CrawlResult) -> int:
    return sum(len(records) for records in result.records.values())


def _print_report(result: CrawlResult) -> None:
    report: CrawlReport = result.report
    say(f"Crawled {', '.join(report.accounts) or 'unknown account'} in "
        f"{', '.join(report.regions) or 'unknown region'}: {_record_count(result)} records, "
        f"{report.total_calls} calls, {report.retries} retries, {report.throttled} throttled")

    rows = [(kind, count) for kind, count in sorted(report.counts.items())]
    if rows:
        emit(format_table(["kind", "records"], rows))
    if report.denied:
        section("Not crawled (access denied or unsupported)")
        emit(format_table(["kind"], [(kind,) for kind in report.denied]))
    unresolved = [(kind, name) for kind, names in sorted(report.unresolved.items())
                  for name in names]
    if unresolved:
        section("Referenced but not readable")
        emit(format_table(["kind", "name"], unresolved))
    if report.partial:
        section("Partial")
        for line in report.partial:
            say(f"  {line}")
    if report.warnings:
        section(f"Warnings ({len(report.warnings)})")
        for warning in report.warnings:
            say(f"  {warning}")
