"""`lineage crawl`: read accounts and regions (or a recording) and store the crawl as a snapshot.

A crawl into a store that already has a snapshot is incremental: it reads only what changed
since then (see `lineage.crawl.incremental`), unless `--full` is given. Crawls of recordings
are always full, because a recording replays fixed responses.

Besides the resource kinds, a crawl reads SageMaker Pipelines executions and lineage
associations (`list_associations`), and CloudTrail's endpoint deployment events. Each is
skipped with a warning when the role may not read it. `query_lineage`, one call per endpoint and
model, runs only with `--query-lineage`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO

from lineage.cli.common import counted, emit, print_json, say, section
from lineage.cli.table import format_table
from lineage.crawl import cloudtrail
from lineage.crawl.cloudtrail import WithCloudTrail
from lineage.crawl.extras import LINEAGE_KINDS
from lineage.crawl.result import CrawlReport, CrawlResult
from lineage.crawl.specs import FULL_CRAWL_ORDER
from lineage.errors import LineageError
from lineage.recording import RecordingClient, RecordingWriter, load_recording
from lineage.source import cloudtrail_options, crawl_seeds, seeded_extras

logger = logging.getLogger(__name__)

EXIT_NOTHING_READ = 1
# Kinds of a CLI crawl: every resource kind plus pipelines and lineage associations.
DEFAULT_KINDS = frozenset(FULL_CRAWL_ORDER) | LINEAGE_KINDS
# Seconds between progress lines when stderr is not a terminal, and between redraws when it is.
LOG_INTERVAL_SECONDS = 30.0
REDRAW_INTERVAL_SECONDS = 0.2
BAR_WIDTH = 30


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "crawl",
        help="crawl SageMaker (or a recording) and store a snapshot",
        description="Read the SageMaker resources of one or more accounts and regions with "
                    "read-only calls, print the crawl report and store the records as a "
                    "snapshot. A crawl into a store that has a snapshot reads only what changed "
                    "since (use --full to read everything). Exits with 1 when no record could "
                    "be read (every kind denied).",
    )
    parser.add_argument("--profile", action="append", metavar="PROFILE",
                        help="AWS profile from the shared config files; repeat to crawl several "
                             "(each profile is crawled in each --region)")
    parser.add_argument("--region", action="append", metavar="REGION",
                        help="AWS region to crawl; repeat for several (default: the profile's "
                             "region)")
    parser.add_argument("--role-arn", action="append", metavar="ARN",
                        help="IAM role to assume with STS for one account; repeat for several "
                             "accounts (assumed with the first --profile's credentials)")
    parser.add_argument("--endpoint-url", metavar="URL",
                        help="SageMaker endpoint URL, for testing against a local mock "
                             "such as http://127.0.0.1:5000; CloudTrail is then read only "
                             "with --cloudtrail-endpoint-url")
    parser.add_argument("--cloudtrail-endpoint-url", metavar="URL",
                        help="CloudTrail endpoint URL, for testing against a local mock")
    parser.add_argument("--recording", metavar="FILE",
                        help="crawl this recording instead of AWS (no network access)")
    parser.add_argument("--record", metavar="FILE",
                        help="write every API response to this recording file (one account and "
                             "region only)")
    parser.add_argument("--scrub", action="store_true",
                        help="with --record: replace account ids, bucket and role names in the "
                             "recording")
    parser.add_argument("--report", metavar="FILE", help="write the crawl report as JSON")
    parser.add_argument("--db", metavar="PATH",
                        help="store the snapshot in this SQLite file or postgresql:// URL "
                             "(default: $XDG_DATA_HOME/sagemaker-lineage/lineage.sqlite)")
    parser.add_argument("--no-cloudtrail", action="store_true",
                        help="do not read endpoint deployment events with CloudTrail "
                             "LookupEvents (3 or more calls per account-region)")
    parser.add_argument("--query-lineage", action="store_true",
                        help="also call query_lineage once per endpoint and model, to read "
                             "lineage that list_associations does not return")
    parser.add_argument("--full", action="store_true",
                        help="read everything, even when the store has a previous snapshot")
    parser.add_argument("--overlap-minutes", type=float, default=10.0, metavar="MINUTES",
                        help="incremental crawls re-read records modified this many minutes "
                             "before the previous snapshot's latest change (default: 10)")
    parser.add_argument("--rate", type=_positive_float, default=2.0, metavar="N",
                        help="requests per second per API operation and account-region; lowered "
                             "automatically on throttling (default: 2)")
    parser.add_argument("--workers", type=_positive_int, default=4, metavar="N",
                        help="threads per account-region for parallel listings and describe "
                             "calls (default: 4)")
    parser.add_argument("--max-pages", type=_positive_int, metavar="N",
                        help="stop each listing after N pages and mark the crawl partial")
    parser.add_argument("--max-seconds", type=_positive_float, metavar="SECONDS",
                        help="stop sending calls after this many seconds and mark the crawl "
                             "partial")
    parser.add_argument("--tags", action="store_true",
                        help="fetch tags with ListTags for resources read without Search "
                             "(one extra call per resource)")
    parser.add_argument("--no-graph-cache", action="store_true",
                        help="do not build the graph of a SQLite store's new snapshot now; the "
                             "first `lineage app` or query on it builds it instead")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.scrub and not args.record:
        raise LineageError("--scrub applies to the recording written by --record; "
                           "add --record FILE")
    from lineage import store
    from lineage.crawl.calls import Budget
    from lineage.crawl.multi import TargetOptions

    database = store.open_store(args.db, create=True)
    options = TargetOptions(
        rate=args.rate,
        workers=args.workers,
        fetch_tags=args.tags,
        budget=Budget.of(args.max_pages, args.max_seconds),
        overlap=timedelta(minutes=args.overlap_minutes),
        kinds=DEFAULT_KINDS,
        cloudtrail=not args.no_cloudtrail,
        query_lineage=args.query_lineage,
    )
    display = ProgressDisplay(sys.stderr)
    taken_at: datetime | None = None
    try:
        if args.recording:
            result, source, taken_at = _crawl_recording(args, options, display)
        else:
            result, source = _crawl_live(args, options, display, database)
    finally:
        display.close()

    if args.report:
        Path(args.report).write_text(json.dumps(result.report.to_dict(), indent=2) + "\n")
    snapshot = database.save(result, source=source, taken_at=taken_at)
    cache = None if args.no_graph_cache else _build_graph_cache(database, snapshot)

    if args.json:
        print_json({"report": result.report.to_dict(), "snapshot": snapshot,
                    "store": str(database.path),
                    "graph_cache": str(cache) if cache is not None else None})
    else:
        _print_report(result)
        section(f"Saved snapshot {snapshot} to {database.path}")
        if cache is not None:
            say(f"Graph cache: {cache}")
    return 0 if _record_count(result) else EXIT_NOTHING_READ


def _build_graph_cache(database: Any, snapshot: int) -> Path | None:
    """Build the new snapshot's graph cache now, so the app's first load of it is fast.

    Only a SQLite file has a cache. The graph is built from the records as the store returns
    them, which is what a later load reads. A failed build is logged, and the load builds it.
    """
    from lineage.source import build_snapshot_cache
    from lineage.store import SQLiteBackend

    if not isinstance(database.backend, SQLiteBackend) or database.backend.memory:
        return None
    assert isinstance(database.backend.path, Path)
    try:
        return build_snapshot_cache(database.backend.path.resolve(), snapshot)
    except LineageError as err:
        logger.warning("could not build the graph cache of snapshot %s: %s", snapshot, err)
        return None


def _crawl_recording(
    args: argparse.Namespace, options: Any, display: ProgressDisplay
) -> tuple[CrawlResult, str, datetime | None]:
    """Crawl a recording; return the result, the snapshot source and its `recorded_at`."""
    if args.profile or args.endpoint_url or args.role_arn or args.cloudtrail_endpoint_url:
        raise LineageError("--recording replays a file, so --profile, --role-arn, "
                           "--endpoint-url and --cloudtrail-endpoint-url do not apply; remove "
                           "them")
    path = Path(args.recording)
    document = load_recording(path)
    client: Any = RecordingClient(document, source=args.recording)
    writer = _writer(args, client)
    if writer is not None:
        writer.metadata.update({key: document[key] for key in
                                ("account", "region", "recorded_at", "description")
                                if key in document})
    result = crawl_recording(
        document, path, writer or client, options,
        region=args.region[0] if args.region else None,
        progress=lambda kind, count: display.update("", kind, count),
    )
    if writer is not None:
        _write_recording(writer, args.record)
    return result, f"recording {args.recording}", recorded_time(document, path)


def crawl_recording(
    document: dict[str, Any],
    path: Path,
    client: Any,
    options: Any,
    *,
    region: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> CrawlResult:
    """Crawl a loaded recording through `client` (its RecordingClient, or a writer around it).

    A recording without Search responses is crawled from the resources it describes, and one
    that describes nothing gets a full crawl (see `lineage.source.crawl_seeds`). CloudTrail
    events are read when `options.cloudtrail` is set and the recording contains them.
    """
    from lineage.crawl.crawler import crawl

    seeds = crawl_seeds(document)
    extra = cloudtrail_options(document, path) if options.cloudtrail else {}
    return crawl(
        client, seeds=seeds, fetch_tags=options.fetch_tags, region=region,
        account=document.get("account"), workers=options.workers, budget=options.budget,
        kinds=set(options.kinds) if options.kinds is not None else None,
        query_lineage=options.query_lineage, progress=progress,
        seeded_extras=seeded_extras(document) if seeds else (), **extra,
    )


def recorded_time(document: dict[str, Any], path: Path) -> datetime | None:
    """Return a recording's `recorded_at` as a datetime, or None when it has none."""
    from lineage.source import recorded_at

    return recorded_at(document, path)


def _crawl_live(
    args: argparse.Namespace, options: Any, display: ProgressDisplay, database: Any
) -> tuple[CrawlResult, str]:
    from lineage.clients import RefreshingClient, make_client
    from lineage.crawl.multi import Target, crawl_targets, targets_from
    from lineage.errors import StoreError

    targets = targets_from(args.profile, args.region, args.role_arn, args.endpoint_url)
    if args.record and len(targets) > 1:
        raise LineageError(f"--record writes one account-region, but {len(targets)} are "
                           "crawled; give one --profile or --role-arn and one --region")

    read_cloudtrail = options.cloudtrail and (
        args.cloudtrail_endpoint_url is not None or args.endpoint_url is None
    )
    if options.cloudtrail and not read_cloudtrail:
        logger.info("CloudTrail not read: --endpoint-url points SageMaker at another server; "
                    "add --cloudtrail-endpoint-url to read CloudTrail there too")
    options.cloudtrail = read_cloudtrail
    started = datetime.now(timezone.utc).replace(microsecond=0)
    options.cloudtrail_until = started

    def new_client(target: Target) -> Any:
        sagemaker = make_client(target.profile, target.region, target.endpoint_url,
                                role_arn=target.role_arn)
        if not read_cloudtrail:
            return sagemaker
        trail = make_client(target.profile, target.region, args.cloudtrail_endpoint_url,
                            role_arn=target.role_arn, service="cloudtrail")
        return WithCloudTrail(sagemaker, trail)

    make = new_client
    writer: RecordingWriter | None = None
    if args.record:
        holder = RefreshingClient(lambda: new_client(targets[0]))
        writer = _writer(args, holder)
        clients_made: list[int] = []

        def make(target: Target) -> Any:
            # Later calls come after an expired token: they refresh the client inside the
            # writer, so that one recording keeps every response.
            if clients_made:
                holder.refresh()
            clients_made.append(1)
            return writer

    previous = None
    if not args.full:
        try:
            previous = database.latest().result
        except StoreError:
            previous = None
    result = crawl_targets(targets, make, options=options, previous=previous,
                           progress=display.update)
    if writer is not None:
        writer.metadata["recorded_at"] = started.isoformat()
        if len(result.report.accounts) == 1:
            writer.metadata["account"] = result.report.accounts[0]
        if len(result.report.regions) == 1:
            writer.metadata["region"] = result.report.regions[0]
        _write_recording(writer, args.record)

    source = "aws " + ", ".join(sorted(result.report.by_account_region))
    if args.endpoint_url:
        source += f" via {args.endpoint_url}"
    if previous is not None:
        source += " (incremental)"
    return result, source


def _write_recording(writer: RecordingWriter, path: str) -> None:
    """Write the recording with the time window left out of its `lookup_events` arguments.

    CloudTrail lookups ask for the 90 days before the crawl, so a replay at a later time sends
    other StartTime and EndTime values. Without them, a replay matches the recorded responses
    by event name and NextToken.
    """
    document = writer.document()
    entries = document["responses"].get(cloudtrail.LOOKUP_OP, {}).get("by_args", [])
    for entry in entries:
        for argument in ("StartTime", "EndTime"):
            entry["args"].pop(argument, None)
    Path(path).write_text(json.dumps(document, indent=1) + "\n")
    logger.info("wrote recording %s", path)


def _writer(args: argparse.Namespace, client: Any) -> RecordingWriter | None:
    if not args.record:
        return None
    return RecordingWriter(client, scrub=_scrubber() if args.scrub else None)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


class ProgressDisplay:
    """Progress per account-region and kind on stderr.

    On a terminal, one line per kind with a bar, redrawn in place at most every
    REDRAW_INTERVAL_SECONDS. Otherwise one summary line every LOG_INTERVAL_SECONDS. The bar has
    no total to fill (listings do not say how many records remain), so it grows one mark per
    100 records up to BAR_WIDTH marks. Thread-safe.
    """

    def __init__(self, stream: TextIO, clock: Any = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._counts: dict[str, int] = {}
        self._lines_drawn = 0
        self._last = clock()
        self._lock = threading.Lock()

    def update(self, scope: str, kind: str, count: int) -> None:
        with self._lock:
            self._counts[f"{scope} {kind}".strip()] = count
            now = self._clock()
            interval = REDRAW_INTERVAL_SECONDS if self._tty else LOG_INTERVAL_SECONDS
            if now - self._last >= interval:
                self._last = now
                self._draw()

    def close(self) -> None:
        with self._lock:
            if self._counts and (self._tty or self._lines_drawn):
                self._draw()

    def _draw(self) -> None:
        if not self._tty:
            summary = ", ".join(f"{name} {count}" for name, count in self._counts.items())
            self._stream.write(f"crawl progress: {summary}\n")
            self._lines_drawn += 1
            self._stream.flush()
            return

        width = max(len(name) for name in self._counts)
        # Move the cursor up over the previous drawing, then rewrite every line.
        out = f"\x1b[{self._lines_drawn}F" if self._lines_drawn else ""
        for name, count in self._counts.items():
            bar = "#" * min(BAR_WIDTH, count // 100 + (1 if count else 0))
            out += f"\x1b[2K{name:<{width}} [{bar:<{BAR_WIDTH}}] {count}\n"
        self._lines_drawn = len(self._counts)
        self._stream.write(out)
        self._stream.flush()


def _scrubber() -> Any:
    try:
        from lineage.crawl.scrub import scrub
    except ModuleNotFoundError as err:
        raise LineageError("--scrub is not available in this installation: the module "
                           "lineage.crawl.scrub is missing") from err
    return scrub


def _record_count(result: CrawlResult) -> int:
    """Return the number of records read, placeholders included.

    A placeholder of a listed resource still carries what its listing returned, so a crawl
    that found only placeholders did read something.
    """
    return sum(len(records) for records in result.records.values())


def _placeholder_count(report: CrawlReport) -> int:
    return sum(sum(by_status.values()) for by_status in report.placeholders.values())


def _print_report(result: CrawlResult) -> None:
    report: CrawlReport = result.report
    placeholders = _placeholder_count(report)
    summary = counted(sum(report.counts.values()), "record")
    if placeholders:
        summary += f", {counted(placeholders, 'placeholder')} (named but not described)"
    say(f"Crawled {', '.join(report.accounts) or 'unknown account'} in "
        f"{', '.join(report.regions) or 'unknown region'}: {summary}, "
        f"{counted(report.total_calls, 'call')}, {counted(report.retries, 'retry', 'retries')}, "
        f"{report.throttled} throttled")

    rows = _count_rows(report)
    if rows:
        emit(format_table(["kind", "records", "placeholders"], rows))
    if report.calls:
        section("Calls per operation")
        emit(format_table(["operation", "calls"], sorted(report.calls.items())))
    if len(report.by_account_region) > 1:
        section("Per account and region")
        emit(format_table(
            ["account/region", "records", "calls", "retries", "throttled", "denied"],
            [(scope, sum(part["counts"].values()), part["total_calls"], part["retries"],
              part["throttled"], ", ".join(part["denied"]))
             for scope, part in sorted(report.by_account_region.items())],
        ))
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


def _count_rows(report: CrawlReport) -> list[tuple[str, int, str]]:
    """Return (kind, full records, placeholders per status) for every kind the crawl met."""
    rows: list[tuple[str, int, str]] = []
    for kind in sorted(set(report.counts) | set(report.placeholders)):
        by_status = report.placeholders.get(kind, {})
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(by_status.items()))
        rows.append((kind, report.counts.get(kind, 0), statuses))
    return rows
