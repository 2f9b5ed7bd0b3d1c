"""Read SageMaker resources through a client into a CrawlResult.

A full crawl reads TrainingJob, Model, Endpoint, ModelPackage and HyperParameterTuningJob with
Search (100 full records a page, tags included). When Search is denied or does not support a
kind, it falls back to the kind's list operation and one describe call per item. It describes
each endpoint config an endpoint uses, once per name. It lists and describes processing jobs,
transform jobs and inference components, and lists model package groups. Last, it describes the
models and model packages that other records name but the listings did not return.

Calls go through one `Caller`, which waits for the account-region's shared rate limiter. The
listings of different kinds run in parallel, and describe calls fan out over `workers` threads,
while the pages of one listing stay sequential because each page needs the previous NextToken.
Records are stored in the listing's order on the calling thread, so results do not depend on
thread timing.

An incremental crawl (`previous`: the newest snapshot of the same account and region) reads only
what changed since then. See `lineage.crawl.incremental` for the watermarks and filters.

A seeded crawl starts from named resources and follows references instead of listing:
endpoint -> endpoint config -> model -> model package; model artifact -> the training job its
path names; processing job -> training job; training job -> tuning job. It needs only describe
calls, so a recording of describe responses can be crawled.

The crawl never stops on one resource. A resource that cannot be read becomes a placeholder
record: the name and ARN fields (or the list summary) plus RECORD_META `status` and `reason`.
The report's `unresolved` maps a kind to the names that stayed unreadable because of
throttling, server errors or unexpected errors (not those that were deleted or denied).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

from lineage.crawl import cloudtrail, incremental
from lineage.crawl.calls import (
    Budget,
    Caller,
    CallFailure,
    FailureKind,
    Listing,
    paginate,
    report_incomplete,
)
from lineage.crawl.extras import read_extras
from lineage.crawl.ratelimit import RateLimiter
from lineage.crawl.references import Reference, references
from lineage.crawl.result import (
    RECORD_META,
    CrawlResult,
    PlaceholderStatus,
    RecordKind,
)
from lineage.crawl.specs import FULL_CRAWL_ORDER, SPECS, TAGS_KEY, TAGS_OP, KindSpec
from lineage.identity import arn_key, is_arn, name_from_arn, parse_arn

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int], None]

DEFAULT_WORKERS = 4

_PLACEHOLDER_STATUS = {
    FailureKind.NOT_FOUND: PlaceholderStatus.DELETED,
    FailureKind.DENIED: PlaceholderStatus.NO_PERMISSION,
    FailureKind.THROTTLED: PlaceholderStatus.THROTTLED,
    FailureKind.OUT_OF_BUDGET: PlaceholderStatus.OUTSIDE_CRAWL,
}
# Failures that leave a resource unresolved (worth a re-crawl), not a definite result.
_UNRESOLVED_STATUSES = (PlaceholderStatus.THROTTLED, PlaceholderStatus.FAILED)
# First-page Search failures that mean "use list and describe for this kind instead".
_SEARCH_FALLBACK = (FailureKind.DENIED, FailureKind.UNSUPPORTED, FailureKind.INVALID)


def crawl(
    client: Any,
    *,
    seeds: list[tuple[RecordKind, str]] | None = None,
    kinds: set[RecordKind] | None = None,
    fetch_tags: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    max_attempts: int = 8,
    account: str | None = None,
    region: str | None = None,
    progress: ProgressCallback | None = None,
    limiter: RateLimiter | None = None,
    workers: int = DEFAULT_WORKERS,
    budget: Budget | None = None,
    refresh_client: Callable[[], Any] | None = None,
    previous: CrawlResult | None = None,
    overlap: timedelta = incremental.DEFAULT_OVERLAP,
    cloudtrail: bool = False,
    cloudtrail_until: datetime | None = None,
    query_lineage: bool = True,
    seeded_extras: Iterable[RecordKind] = (),
) -> CrawlResult:
    """Crawl SageMaker through `client` (a boto3 client, RecordingClient or RecordingWriter).

    Without `seeds`, a full crawl of `kinds` (default: every kind the crawler reads). With
    `seeds`, a crawl from those (kind, name or ARN) pairs that follows references into `kinds`,
    plus the account-wide listings of `seeded_extras` (pipeline executions, associations).
    `fetch_tags` adds list_tags calls for records read with describe (Search records carry
    their tags already). `sleep` waits between retries and `max_attempts` bounds the attempts of
    one call. `account` and `region` override what the client and the ARNs tell.
    `progress(kind, records_of_that_kind)` is called after each record, and after each Search
    page with the records read so far. It may be called from worker threads.

    `limiter` is the rate limiter shared by every crawl of this account and region. `workers`
    bounds the threads of describe fan-out and of parallel listings (1: no threads). `budget`
    limits pages per listing and the crawl's time, and when it runs out the report lists the
    kinds left partial. `refresh_client()` returns a client with new credentials after an
    expired-token error. `previous` makes a full crawl incremental: it contains the records of the
    newest snapshot of this account and region (see `incremental.scope_of`), and `overlap` is
    how far before each watermark the changed-records filters start.

    `cloudtrail` also reads the endpoint deployment events of CloudTrail with `lookup_events`
    through the same `client` (see `cloudtrail.read_events`), up to `cloudtrail_until` (default:
    now) and from 90 days before it, or in an incremental crawl from the previous crawl's start
    minus `overlap`. `query_lineage` lets an Association crawl call `query_lineage` once per
    endpoint and model besides `list_associations`.
    """
    session = _CrawlSession(
        client,
        kinds=set(kinds) if kinds is not None else set(FULL_CRAWL_ORDER),
        fetch_tags=fetch_tags,
        caller_sleep=sleep,
        max_attempts=max_attempts,
        account=account,
        region=region if region is not None else client_region(client),
        progress=progress,
        limiter=limiter,
        workers=workers,
        budget=budget,
        refresh_client=refresh_client,
    )
    session.report.started = datetime.now(timezone.utc)
    if previous is not None and seeds is None:
        session.adopt_previous(previous, overlap)
    if seeds is None:
        session.run_full()
        read_extras(session.caller, session.result, session.kinds,
                    account=session.account, region=session.region,
                    query_lineage=query_lineage)
    else:
        session.run_seeded(seeds)
        # Pipeline executions and lineage associations are listed account-wide, and no seed
        # refers to them, so a crawl from seeds reads them only when the caller requests them.
        if seeded_extras:
            read_extras(session.caller, session.result, seeded_extras,
                        account=session.account or _only_account(session.result),
                        region=session.region, query_lineage=query_lineage)
    if cloudtrail:
        session.read_cloudtrail(cloudtrail_until, _cloudtrail_since(previous, seeds, overlap))
    session.finish()
    return session.result


def _only_account(result: CrawlResult) -> str | None:
    """Return the account of the crawled records' own ARNs when they all name one, else None.

    Listed associations are stored with the crawled account, which decides whether their other
    end is in another account. A recording without an `account` field names it only in ARNs.
    """
    accounts = set()
    for records in result.records.values():
        for record in records:
            for key, value in record.items():
                if key.endswith("Arn") and isinstance(value, str) and is_arn(value):
                    accounts.add(parse_arn(value).account)
                    break
    accounts.discard("")
    return accounts.pop() if len(accounts) == 1 else None


def _cloudtrail_since(
    previous: CrawlResult | None, seeds: object, overlap: timedelta
) -> datetime | None:
    """Return where an incremental crawl's CloudTrail lookup starts, or None for 90 days."""
    if previous is None or seeds is not None:
        return None
    started = previous.report.started or previous.report.finished
    return started - overlap if started is not None else None


def client_region(client: Any) -> str | None:
    """Return the region of a RecordingClient (`.region`) or a boto3 client (`.meta`)."""
    region = getattr(client, "region", None)
    if isinstance(region, str):
        return region
    meta = getattr(client, "meta", None)
    region_name = getattr(meta, "region_name", None)
    return region_name if isinstance(region_name, str) else None


def _client_account(client: Any) -> str | None:
    account = getattr(client, "account", None)
    return account if isinstance(account, str) and account else None


def _noun(kind: RecordKind, count: int) -> str:
    words = SPECS[kind].arn_type.replace("-", " ") if kind in SPECS else kind.value
    return words if count == 1 else words + "s"


class _CrawlSession:
    """The state of one crawl: the caller, the records read so far and their index."""

    def __init__(
        self,
        client: Any,
        *,
        kinds: set[RecordKind],
        fetch_tags: bool,
        caller_sleep: Callable[[float], None],
        max_attempts: int,
        account: str | None,
        region: str | None,
        progress: ProgressCallback | None,
        limiter: RateLimiter | None = None,
        workers: int = 1,
        budget: Budget | None = None,
        refresh_client: Callable[[], Any] | None = None,
    ) -> None:
        self.result = CrawlResult()
        self.report = self.result.report
        self.caller = Caller(
            client, self.report, sleep=caller_sleep, max_attempts=max_attempts, limiter=limiter,
            refresh_client=refresh_client, budget=budget or Budget(),
        )
        self.workers = max(1, workers)
        self.kinds = kinds
        self.fetch_tags = fetch_tags
        self.account = account or _client_account(client)
        self.region = region
        self.progress = progress
        # Records by kind and lookup key (lower-cased name, or arn_key of the ARN).
        self._index: dict[RecordKind, dict[str, dict[str, Any]]] = {}
        # Describe calls already made, so each resource is described at most once.
        self._attempted: set[tuple[RecordKind, str]] = set()
        self._tags_denied = False
        # Incremental crawl: ids of records copied from the previous snapshot, ids of records
        # replaced or deleted since, and the LastModifiedTime watermark per kind.
        self._previous_ids: set[int] = set()
        self._dropped: set[int] = set()
        self._since: dict[RecordKind, datetime] = {}
        self._out_of_budget = 0

    # --- crawl modes ----------------------------------------------------------------------

    def run_full(self) -> None:
        listings = self._read_listings()
        for kind in FULL_CRAWL_ORDER:
            if kind not in self.kinds:
                continue
            spec = SPECS[kind]
            logger.info("crawling %s", spec.label)
            if kind is RecordKind.ENDPOINT_CONFIG:
                self._describe_referenced((RecordKind.ENDPOINT,), kind)
                continue

            source, listing = listings[kind]
            if listing is None:
                continue
            if source == "search":
                self._take_search(spec, listing)
            elif spec.describe_op is None:
                self._take_list_only(spec, listing)
            else:
                self._take_list_and_describe(spec, listing)
            if kind is RecordKind.ENDPOINT and kind in self._since:
                self._sync_endpoint_deletions()

        # Records other records name but no listing returned (deleted, or not readable).
        if RecordKind.MODEL in self.kinds:
            self._describe_referenced(
                (RecordKind.ENDPOINT_CONFIG, RecordKind.INFERENCE_COMPONENT), RecordKind.MODEL
            )
        if RecordKind.MODEL_PACKAGE in self.kinds:
            self._describe_referenced((RecordKind.MODEL,), RecordKind.MODEL_PACKAGE)

    def run_seeded(self, seeds: Iterable[tuple[RecordKind, str]]) -> None:
        # NOTE: endpoint configs of inference-component endpoints name no model, and this mode
        # does not list the components of a seeded endpoint, so their models are not reached.
        queue: deque[Reference] = deque(Reference(RecordKind(k), name) for k, name in seeds)
        while queue:
            reference = queue.popleft()
            spec = SPECS.get(reference.kind)
            if spec is None or spec.describe_op is None:
                self.report.warn(
                    f"seed {reference.kind.value} {reference.identifier!r} was skipped: the "
                    "crawler cannot describe that kind; seed one of "
                    + ", ".join(k.value for k, s in SPECS.items() if s.describe_op)
                )
                continue

            record = self._ensure(reference)
            if record is None or "status" in record[RECORD_META]:
                continue
            for found in references(reference.kind, record):
                if found.kind in self.kinds and self._find(found.kind, found.identifier) is None:
                    queue.append(found)

    def read_cloudtrail(self, until: datetime | None, since: datetime | None) -> None:
        count = cloudtrail.read_events(self.caller, self.result, until=until, since=since,
                                       account=self.account, region=self.region)
        if self.progress is not None:
            self.progress(RecordKind.CLOUDTRAIL_EVENT.value, count)

    # --- reading one kind -----------------------------------------------------------------

    def _read_listings(self) -> dict[RecordKind, tuple[str, Listing | None]]:
        """Read the listing of every listed kind, in parallel over `workers` threads.

        Returns the source ("search" or "list") and the listing per kind, or None for a kind
        whose listing was denied.
        """
        kinds = [
            kind for kind in FULL_CRAWL_ORDER
            if kind in self.kinds and kind is not RecordKind.ENDPOINT_CONFIG
        ]
        if self.workers == 1 or len(kinds) < 2:
            return {kind: self._read_listing(SPECS[kind]) for kind in kinds}
        with ThreadPoolExecutor(self.workers, thread_name_prefix="crawl-list") as executor:
            futures = {kind: executor.submit(self._read_listing, SPECS[kind]) for kind in kinds}
            return {kind: future.result() for kind, future in futures.items()}

    def _read_listing(self, spec: KindSpec) -> tuple[str, Listing | None]:
        if spec.search_resource:
            listing = self._search_listing(spec)
            if listing is not None:
                return "search", listing
        return "list", self._list(spec)

    def _search_listing(self, spec: KindSpec) -> Listing | None:
        """Read a kind with Search; return None when it should be listed instead."""
        resource = str(spec.search_resource)
        args: dict[str, Any] = {"Resource": resource}
        since = self._since.get(spec.kind)
        if since is not None:
            args.update(incremental.search_filter(spec.kind, since))
        listing = paginate(self.caller, "search", "Results", args,
                           on_page=self._page_progress(spec.kind))
        failure = listing.failure
        if listing.pages == 0 and failure is not None and failure.kind in _SEARCH_FALLBACK:
            self.report.warn(
                f"search for {resource} failed with {failure.code} ({failure.message}); "
                f"reading {resource} with {spec.list_op} and {spec.describe_op} instead"
            )
            return None
        return listing

    def _take_search(self, spec: KindSpec, listing: Listing) -> None:
        resource = str(spec.search_resource)
        for item in listing.items:
            record = item.get(resource)
            if spec.search_inner_key and isinstance(record, dict):
                record = record.get(spec.search_inner_key)
            if not isinstance(record, dict):
                continue
            existing = self._find(spec.kind, self._identifier(spec, record))
            if existing is None or self._is_previous(existing):
                self._add(spec.kind, record, "search")
        self._note_incomplete(spec, listing, "search")

    def _take_list_and_describe(self, spec: KindSpec, listing: Listing) -> None:
        pending: list[tuple[str, dict[str, Any] | None, bool]] = []
        for summary in listing.items:
            identifier = self._identifier(spec, summary)
            if not identifier:
                self.report.warn(f"{spec.list_op} returned an item without a name: {summary!r}")
                continue
            existing = self._find(spec.kind, identifier)
            if existing is not None and not (
                self._is_previous(existing) and incremental.changed(spec.kind, existing, summary)
            ):
                continue
            attempt = (spec.kind, self._key(identifier))
            if attempt in self._attempted:
                continue
            self._attempted.add(attempt)
            pending.append((identifier, summary, False))
        self._describe_all(spec, pending)
        self._note_incomplete(spec, listing, str(spec.list_op))

    def _take_list_only(self, spec: KindSpec, listing: Listing) -> None:
        for summary in listing.items:
            self._add(spec.kind, summary, "list")
        self._note_incomplete(spec, listing, str(spec.list_op))

    def _list(self, spec: KindSpec) -> Listing | None:
        """List a kind; return None (and mark the kind denied) when listing is not allowed."""
        args = dict(spec.list_args)
        since = self._since.get(spec.kind)
        if since is not None:
            args.update(incremental.list_filter(str(spec.list_op), since))
        listing = paginate(self.caller, str(spec.list_op), spec.list_key, args)
        failure = listing.failure
        if listing.pages == 0 and failure is not None and failure.kind is FailureKind.DENIED:
            if spec.label not in self.report.denied:
                self.report.denied.append(spec.label)
            self.report.warn(
                f"{spec.label} skipped: {spec.list_op} was denied ({failure.message}); "
                f"grant sagemaker:{_api_name(str(spec.list_op))} to read it"
            )
            return None
        return listing

    def _describe_referenced(self, sources: tuple[RecordKind, ...], target: RecordKind) -> None:
        """Describe every `target` resource that records of `sources` name and are not read."""
        pending: list[tuple[str, dict[str, Any] | None, bool]] = []
        for source in sources:
            for record in list(self.result.of(source)):
                if id(record) in self._dropped:
                    continue
                for reference in references(source, record):
                    if reference.kind is not target or reference.guessed:
                        continue
                    if self._find(target, reference.identifier) is not None:
                        continue
                    attempt = (target, self._key(reference.identifier))
                    if attempt in self._attempted:
                        continue
                    self._attempted.add(attempt)
                    pending.append((reference.identifier, None, False))
        self._describe_all(SPECS[target], pending)

    def _sync_endpoint_deletions(self) -> None:
        """Drop previous endpoints that the full endpoint listing no longer returns.

        Search is eventually consistent, so an endpoint the listing returns but neither the
        previous snapshot nor the filtered Search did is described here.
        """
        spec = SPECS[RecordKind.ENDPOINT]
        listing = paginate(self.caller, str(spec.list_op), spec.list_key)
        if not listing.complete:
            self.report.warn(
                "endpoint deletions not checked: list_endpoints did not complete; endpoints of "
                "the previous snapshot are kept"
            )
            return

        live = {str(item.get(spec.name_field, "")).lower() for item in listing.items}
        for record in list(self.result.of(RecordKind.ENDPOINT)):
            name = str(record.get(spec.name_field, "")).lower()
            if id(record) in self._previous_ids and id(record) not in self._dropped and (
                name not in live
            ):
                logger.info("endpoint %s was deleted since the previous snapshot", name)
                self._drop(RecordKind.ENDPOINT, record)
        self._take_list_and_describe(spec, listing)

    # --- reading one resource -------------------------------------------------------------

    def _ensure(self, reference: Reference) -> dict[str, Any] | None:
        """Return the record of a referenced resource, describing it on first request."""
        found = self._find(reference.kind, reference.identifier)
        if found is not None:
            return found
        attempt = (reference.kind, self._key(reference.identifier))
        if attempt in self._attempted:
            return None
        self._attempted.add(attempt)
        spec = SPECS[reference.kind]
        return self._describe(spec, reference.identifier, guessed=reference.guessed)

    def _describe(
        self,
        spec: KindSpec,
        identifier: str,
        summary: dict[str, Any] | None = None,
        guessed: bool = False,
    ) -> dict[str, Any] | None:
        return self._store_described(spec, identifier, summary, guessed,
                                     self._fetch(spec, identifier))

    def _describe_all(
        self, spec: KindSpec, items: list[tuple[str, dict[str, Any] | None, bool]]
    ) -> None:
        """Describe (identifier, summary, guessed) items over `workers` threads, storing each
        record in the order of `items`."""
        for (identifier, summary, guessed), outcome in zip(
            items, self._fetch_all(spec, [item[0] for item in items]), strict=True
        ):
            self._store_described(spec, identifier, summary, guessed, outcome)

    def _fetch_all(
        self, spec: KindSpec, identifiers: list[str]
    ) -> Iterator[dict[str, Any] | CallFailure]:
        if self.workers == 1 or len(identifiers) < 2:
            for identifier in identifiers:
                yield self._fetch(spec, identifier)
            return
        with ThreadPoolExecutor(self.workers, thread_name_prefix="crawl-describe") as executor:
            # map() yields in submission order, as soon as each result is there.
            yield from executor.map(lambda name: self._fetch(spec, name), identifiers)

    def _fetch(self, spec: KindSpec, identifier: str) -> dict[str, Any] | CallFailure:
        """Describe one resource (and read its tags); safe to run on a worker thread."""
        operation = str(spec.describe_op)
        try:
            response = self.caller.call(operation, **{spec.describe_arg: identifier})
        except CallFailure as failure:
            return failure

        if self.fetch_tags and TAGS_KEY not in response:
            tags = self._tags(response.get(spec.arn_field))
            if tags is not None:
                response[TAGS_KEY] = tags
        return response

    def _store_described(
        self,
        spec: KindSpec,
        identifier: str,
        summary: dict[str, Any] | None,
        guessed: bool,
        outcome: dict[str, Any] | CallFailure,
    ) -> dict[str, Any] | None:
        if isinstance(outcome, CallFailure):
            self._on_describe_failure(spec, identifier, summary, outcome, guessed)
            return None
        return self._add(spec.kind, outcome, "describe")

    def _on_describe_failure(
        self,
        spec: KindSpec,
        identifier: str,
        summary: dict[str, Any] | None,
        failure: CallFailure,
        guessed: bool,
    ) -> None:
        where = f"{failure.operation} for {spec.label} {identifier!r}"
        if failure.kind is FailureKind.OUT_OF_BUDGET:
            self._out_of_budget += 1
            if guessed:
                return
        existing = self._find(spec.kind, identifier)
        if existing is not None and failure.kind is not FailureKind.NOT_FOUND:
            # A changed resource that cannot be read now keeps its previous record.
            if failure.kind is not FailureKind.OUT_OF_BUDGET:
                self.report.warn(f"{where} failed with {failure.code}: {failure.message}; kept "
                                 "the record of the previous snapshot")
            return
        if guessed:
            # The name came from an artifact path, so "not found" only means the guess was wrong.
            if failure.kind is FailureKind.NOT_FOUND:
                logger.info("%s: no such job (%s)", where, failure.message)
            else:
                self.report.warn(f"{where} failed with {failure.code}: {failure.message}")
            return

        status = _PLACEHOLDER_STATUS.get(failure.kind, PlaceholderStatus.FAILED)
        if status is PlaceholderStatus.DELETED and self._is_foreign(identifier):
            status = PlaceholderStatus.OTHER_ACCOUNT
        if failure.kind is FailureKind.INVALID:
            self.report.warn(
                f"{where} was rejected with {failure.code}: {failure.message}; the request may "
                "be wrong for this resource, so it is kept as a placeholder"
            )
        elif status is PlaceholderStatus.FAILED:
            self.report.warn(
                f"{where} failed with {failure.code} after {failure.attempts} attempts: "
                f"{failure.message}"
            )

        fields = dict(summary) if summary else _identity_fields(spec, identifier)
        reason = f"{failure.operation}: {failure.code}: {failure.message}".rstrip(": ")
        self._add(spec.kind, fields, "list" if summary else "describe", status, reason)
        if status in _UNRESOLVED_STATUSES:
            self.report.unresolved.setdefault(spec.label, []).append(name_from_arn(identifier))

    def _tags(self, arn: Any) -> list[dict[str, Any]] | None:
        """Read a resource's tags with list_tags (all pages), or None when they are unreadable."""
        if self._tags_denied or not isinstance(arn, str) or not arn:
            return None
        listing = paginate(self.caller, TAGS_OP, TAGS_KEY, {"ResourceArn": arn})
        failure = listing.failure
        if failure is None:
            return listing.items
        if failure.kind is FailureKind.DENIED:
            self._tags_denied = True
            self.report.warn(
                f"tags not read: list_tags was denied ({failure.message}); "
                "grant sagemaker:ListTags or crawl without tags"
            )
            return None
        self.report.warn(f"tags of {arn} not read completely: {failure.code}: {failure.message}")
        return listing.items or None

    # --- records and the index ------------------------------------------------------------

    def _add(
        self,
        kind: RecordKind,
        record: dict[str, Any],
        source: str,
        status: PlaceholderStatus | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        stored = dict(record)
        account, region = self.account, self.region
        arn = stored.get(SPECS[kind].arn_field) if kind in SPECS else None
        if isinstance(arn, str) and is_arn(arn):
            parsed = parse_arn(arn)
            account, region = parsed.account or account, parsed.region or region
            # A list summary's ARN names the crawled account too; a referenced ARN may not.
            if self.account is None and (status is None or source == "list"):
                self.account = parsed.account

        meta: dict[str, Any] = {"account": account, "region": region, "source": source}
        if status is not None:
            meta["status"] = status.value
            meta["reason"] = reason or status.value
        stored[RECORD_META] = meta

        replaced = None
        if kind in SPECS and self._previous_ids:
            replaced = self._find(kind, self._identifier(SPECS[kind], stored))
        if replaced is not None and self._is_previous(replaced):
            self._drop(kind, replaced)
        self.result.add(kind, stored)
        self._index_record(kind, stored)
        if self.progress is not None:
            self.progress(kind.value, len(self.result.of(kind)))
        return stored

    def _index_record(self, kind: RecordKind, record: dict[str, Any]) -> None:
        spec = SPECS.get(kind)
        if spec is None:
            return
        keys = self._index.setdefault(kind, {})
        arn = record.get(spec.arn_field)
        if isinstance(arn, str) and is_arn(arn):
            keys[arn_key(arn)] = record
        name = record.get(spec.name_field)
        # A versioned package's ModelPackageName is its group's name, shared by every version.
        if isinstance(name, str) and name and not record.get("ModelPackageVersion"):
            keys[name.lower()] = record

    def _drop(self, kind: RecordKind, record: dict[str, Any]) -> None:
        """Remove a record from the index; `finish` removes it from the result."""
        self._dropped.add(id(record))
        keys = self._index.get(kind, {})
        for key in [key for key, value in keys.items() if value is record]:
            del keys[key]

    def _is_previous(self, record: dict[str, Any]) -> bool:
        return id(record) in self._previous_ids

    def _page_progress(self, kind: RecordKind) -> Callable[[int, int], None] | None:
        progress = self.progress
        if progress is None:
            return None
        return lambda pages, items: progress(kind.value, items)

    # --- incremental crawl ----------------------------------------------------------------

    def adopt_previous(self, previous: CrawlResult, overlap: timedelta) -> None:
        """Start from the records of the previous snapshot and set the watermark per kind.

        Placeholders left by throttling, errors or a spent budget are not copied, so they are
        read again.
        """
        unresolved = {status.value for status in _UNRESOLVED_STATUSES}
        unresolved.add(PlaceholderStatus.OUTSIDE_CRAWL.value)
        for kind, records in previous.records.items():
            kind = RecordKind(kind)
            for record in records:
                if record.get(RECORD_META, {}).get("status") in unresolved:
                    continue
                copied = dict(record)
                self.result.add(kind, copied)
                self._index_record(kind, copied)
                self._previous_ids.add(id(copied))
        self._since = incremental.watermarks(previous, overlap, self.kinds)
        logger.info(
            "incremental crawl from %d previous records; watermarks: %s",
            len(self._previous_ids),
            ", ".join(f"{kind.value} {when.isoformat()}" for kind, when in self._since.items()),
        )

    def _find(self, kind: RecordKind, identifier: str) -> dict[str, Any] | None:
        if not identifier:
            return None
        return self._index.get(kind, {}).get(self._key(identifier))

    @staticmethod
    def _key(identifier: str) -> str:
        return arn_key(identifier) if is_arn(identifier) else identifier.lower()

    @staticmethod
    def _identifier(spec: KindSpec, record: dict[str, Any]) -> str:
        preferred = spec.arn_field if spec.describe_by_arn else spec.name_field
        value = record.get(preferred) or record.get(spec.arn_field) or record.get(spec.name_field)
        return str(value or "")

    def _is_foreign(self, identifier: str) -> bool:
        if not is_arn(identifier) or self.account is None:
            return False
        return parse_arn(identifier).account not in ("", self.account)

    def _note_incomplete(self, spec: KindSpec, listing: Listing, operation: str) -> None:
        report_incomplete(self.report, listing, operation, spec.label, spec.label)

    # --- the report -----------------------------------------------------------------------

    def finish(self) -> None:
        report = self.result.report
        if self._dropped:
            for kind, records in self.result.records.items():
                self.result.records[kind] = [r for r in records if id(r) not in self._dropped]
        if self._out_of_budget:
            report.partial.append(
                f"time budget ran out: {self._out_of_budget} describe calls were not sent"
            )
        accounts: set[str] = set()
        for records in self.result.records.values():
            for record in records:
                meta = record[RECORD_META]
                if meta["account"] is None:
                    meta["account"] = self.account
                if meta["account"] and ("status" not in meta or meta["source"] == "list"):
                    accounts.add(meta["account"])
        if self.account:
            accounts.add(self.account)

        report.accounts = sorted(accounts)
        report.regions = [self.region] if self.region else []
        report.counts, report.placeholders = _count_records(self.result.records)
        report.external = self._external_references()
        for kind_label in report.unresolved:
            self._warn_unresolved(RecordKind(kind_label))
        for kind in SPECS:
            self._warn_denied(kind)
        report.finished = datetime.now(timezone.utc)
        logger.info(
            "crawl finished: %s records, %d calls, %d retries, %d warnings",
            sum(report.counts.values()), report.total_calls, report.retries, len(report.warnings),
        )

    def _external_references(self) -> list[str]:
        found: set[str] = set()
        for kind, records in self.result.records.items():
            for record in records:
                for reference in references(kind, record):
                    if self._is_foreign(reference.identifier):
                        found.add(reference.identifier)
        return sorted(found)

    def _warn_unresolved(self, kind: RecordKind) -> None:
        names_by_status: dict[str, list[str]] = {}
        for record in self.result.of(kind):
            status = record[RECORD_META].get("status")
            if status in {s.value for s in _UNRESOLVED_STATUSES}:
                name = self._identifier(SPECS[kind], record)
                names_by_status.setdefault(status, []).append(name_from_arn(name))

        for status, names in sorted(names_by_status.items()):
            cause = "throttling" if status == PlaceholderStatus.THROTTLED.value else "errors"
            listed_names = ", ".join(names[:10])
            if len(names) > 10:
                listed_names += f" and {len(names) - 10} more"
            self.report.warn(
                f"{len(names)} {_noun(kind, len(names))} unresolved due to {cause}: {listed_names}"
            )


    def _warn_denied(self, kind: RecordKind) -> None:
        """Name the records of `kind` that this crawl left as placeholders because describing
        them was denied. When the kind's own listing returned every one of them, the kind is
        listed in `report.denied` too; a denied describe of a resource that another record names
        (such as a model in another account) is only a warning."""
        spec = SPECS[kind]
        records = [r for r in self.result.of(kind) if id(r) not in self._previous_ids]
        denied = [r for r in records
                  if r[RECORD_META].get("status") == PlaceholderStatus.NO_PERMISSION.value]
        if not denied:
            return
        names = [name_from_arn(self._identifier(spec, r)) for r in denied]

        listed_names = ", ".join(names[:10])
        if len(names) > 10:
            listed_names += f" and {len(names) - 10} more"
        self.report.warn(
            f"{len(names)} {_noun(kind, len(names))} not described because "
            f"{spec.describe_op} was denied: {listed_names}; grant "
            f"sagemaker:{_api_name(str(spec.describe_op))} to read "
            f"{'it' if len(names) == 1 else 'them'}"
        )
        listed = all(r[RECORD_META]["source"] == "list" for r in denied)
        if listed and len(denied) == len(records) and spec.label not in self.report.denied:
            self.report.denied.append(spec.label)


def _count_records(
    records: dict[RecordKind, list[dict[str, Any]]],
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Count full records per kind, and placeholders per kind and status.

    A placeholder carries only a name or ARN, so counting it as a record would report a
    resource as read when describing it was denied or failed.
    """
    counts: dict[str, int] = {}
    placeholders: dict[str, dict[str, int]] = {}
    for kind, kind_records in records.items():
        for record in kind_records:
            status = record[RECORD_META].get("status")
            if status is None:
                counts[kind.value] = counts.get(kind.value, 0) + 1
                continue
            by_status = placeholders.setdefault(kind.value, {})
            by_status[status] = by_status.get(status, 0) + 1
    return counts, placeholders


def _identity_fields(spec: KindSpec, identifier: str) -> dict[str, Any]:
    """Return the name and ARN fields a placeholder for `identifier` carries."""
    if not is_arn(identifier):
        return {spec.name_field: identifier}
    fields: dict[str, Any] = {spec.arn_field: identifier}
    resource_id = parse_arn(identifier).resource_id
    group, slash, version = resource_id.partition("/")
    if spec.kind is RecordKind.MODEL_PACKAGE and slash and version.isdigit():
        # model-package/<group>/<version>: a versioned package is named after its group.
        fields.update(
            ModelPackageName=group, ModelPackageGroupName=group, ModelPackageVersion=int(version)
        )
    else:
        fields[spec.name_field] = resource_id
    return fields


def _api_name(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))
