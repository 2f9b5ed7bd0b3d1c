"""Crawl several accounts and regions in parallel into one CrawlResult.

A target is one account-region: a profile (or the default credentials), optionally a role to
assume, and a region. Each target gets its own client, its own `RateLimiter` (SageMaker
throttles per account and region) and its own crawl thread. Records keep RECORD_META `account`
and `region`. The merged report sums calls, retries and throttles, prefixes warnings, denied
kinds and partial lines with the target, and keeps each target's own figures in
`by_account_region`.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lineage.crawl import incremental
from lineage.crawl.calls import Budget
from lineage.crawl.crawler import DEFAULT_WORKERS, ProgressCallback, client_region, crawl
from lineage.crawl.ratelimit import DEFAULT_RATE, RateLimiter
from lineage.crawl.result import RECORD_META, CrawlReport, CrawlResult, RecordKind

logger = logging.getLogger(__name__)

DEFAULT_PARALLEL_TARGETS = 8


@dataclass(frozen=True, slots=True)
class Target:
    """One account-region to crawl: a profile (None: default credentials), role and region."""

    profile: str | None = None
    region: str | None = None
    role_arn: str | None = None
    endpoint_url: str | None = None

    @property
    def account(self) -> str | None:
        """Return the account id when the role ARN names it, else None."""
        if self.role_arn is None:
            return None
        from lineage.clients import role_account

        return role_account(self.role_arn)

    @property
    def label(self) -> str:
        identity = self.account or self.profile or "default"
        return f"{identity}/{self.region or 'default-region'}"


def targets_from(
    profiles: Sequence[str] | None,
    regions: Sequence[str] | None,
    role_arns: Sequence[str] | None = None,
    endpoint_url: str | None = None,
) -> list[Target]:
    """Return one target per profile x region, or per role x region when roles are given.

    Roles are assumed with the first profile's credentials (or the default ones).
    """
    region_list: list[str | None] = [*regions] if regions else [None]
    if role_arns:
        base = profiles[0] if profiles else None
        pairs = itertools.product(role_arns, region_list)
        return [Target(base, region, role, endpoint_url) for role, region in pairs]
    profile_list: list[str | None] = [*profiles] if profiles else [None]
    return [
        Target(profile, region, None, endpoint_url)
        for profile, region in itertools.product(profile_list, region_list)
    ]


@dataclass
class TargetOptions:
    """Crawl settings that every target shares."""

    rate: float = DEFAULT_RATE
    workers: int = DEFAULT_WORKERS
    fetch_tags: bool = False
    budget: Budget = field(default_factory=Budget)
    overlap: timedelta = incremental.DEFAULT_OVERLAP
    max_attempts: int = 8
    # Kinds to read (None: the crawler's default) and the CloudTrail and lineage options of
    # `crawl()`.
    kinds: frozenset[RecordKind] | None = None
    cloudtrail: bool = False
    cloudtrail_until: datetime | None = None
    query_lineage: bool = True


def crawl_targets(
    targets: Sequence[Target],
    make_client: Callable[[Target], Any],
    *,
    options: TargetOptions | None = None,
    previous: CrawlResult | None = None,
    progress: Callable[[str, str, int], None] | None = None,
    parallel: int = DEFAULT_PARALLEL_TARGETS,
) -> CrawlResult:
    """Crawl every target in parallel (at most `parallel` at once) and merge the results.

    `make_client(target)` returns a SageMaker client; it is called again to refresh credentials
    after an expired-token error. `previous` is the newest snapshot, and each target crawls
    incrementally from its own account-region part of it. `progress(target_label, kind, count)`
    reports records as they are read.
    """
    settings = options or TargetOptions()
    if not targets:
        raise ValueError("no targets to crawl; give at least one profile, role or region")

    def run(target: Target) -> CrawlResult:
        return _crawl_one(target, make_client, settings, previous, progress)

    if len(targets) == 1:
        results = [run(targets[0])]
    else:
        with ThreadPoolExecutor(min(parallel, len(targets)), thread_name_prefix="crawl-target") \
                as executor:
            results = list(executor.map(run, targets))
    return merge(targets, results)


def _crawl_one(
    target: Target,
    make_client: Callable[[Target], Any],
    settings: TargetOptions,
    previous: CrawlResult | None,
    progress: Callable[[str, str, int], None] | None,
) -> CrawlResult:
    client = make_client(target)
    region = target.region or _client_region(client)
    account = target.account or _client_account(client)
    label = f"{account or target.profile or 'default'}/{region or 'default-region'}"
    logger.info("crawling %s", label)

    scoped = None
    if previous is not None:
        scoped = _previous_scope(previous, account, region, label)

    kind_progress: ProgressCallback | None = None
    if progress is not None:
        report_progress = progress

        def kind_progress(kind: str, count: int) -> None:
            report_progress(label, kind, count)

    return crawl(
        client,
        fetch_tags=settings.fetch_tags,
        max_attempts=settings.max_attempts,
        account=account,
        region=region,
        progress=kind_progress,
        limiter=RateLimiter(settings.rate),
        workers=settings.workers,
        budget=settings.budget,
        refresh_client=lambda: make_client(target),
        previous=scoped,
        overlap=settings.overlap,
        kinds=set(settings.kinds) if settings.kinds is not None else None,
        cloudtrail=settings.cloudtrail,
        cloudtrail_until=settings.cloudtrail_until,
        query_lineage=settings.query_lineage,
    )


def _previous_scope(
    previous: CrawlResult, account: str | None, region: str | None, label: str
) -> CrawlResult | None:
    scoped = incremental.scope_of(previous, account, region)
    accounts = {r[RECORD_META].get("account") for rs in scoped.records.values() for r in rs}
    accounts.discard(None)
    if account is None and len(accounts) > 1:
        # NOTE: without a role ARN or a recording, the account is known only after the crawl,
        # so a region crawled for several profiles is read in full.
        logger.info("%s: account unknown and the previous snapshot has several accounts in "
                    "this region; crawling it in full", label)
        return None
    if not any(scoped.records.values()):
        return None
    return scoped


def merge(targets: Sequence[Target], results: Sequence[CrawlResult]) -> CrawlResult:
    """Merge the results of several targets into one, with per-target figures in the report."""
    if len(results) == 1:
        result = results[0]
        _add_scope(result.report, _scope_label(result.report, targets[0]), result.report)
        return result

    merged = CrawlResult()
    report = merged.report
    for target, result in zip(targets, results, strict=True):
        for kind, records in result.records.items():
            for record in records:
                merged.add(kind, record)
        _merge_report(report, result.report, _scope_label(result.report, target))

    report.accounts = sorted(set(report.accounts))
    report.regions = sorted(set(report.regions))
    report.external = sorted(set(report.external))
    return merged


def _merge_report(report: CrawlReport, part: CrawlReport, scope: str) -> None:
    if part.started is not None and (report.started is None or part.started < report.started):
        report.started = part.started
    if part.finished is not None and (report.finished is None or part.finished > report.finished):
        report.finished = part.finished
    report.accounts.extend(part.accounts)
    report.regions.extend(part.regions)
    for kind, count in part.counts.items():
        report.counts[kind] = report.counts.get(kind, 0) + count
    for kind, by_status in part.placeholders.items():
        merged = report.placeholders.setdefault(kind, {})
        for status, count in by_status.items():
            merged[status] = merged.get(status, 0) + count
    for operation, count in part.calls.items():
        report.calls[operation] = report.calls.get(operation, 0) + count
    report.retries += part.retries
    report.throttled += part.throttled
    report.warnings.extend(f"{scope}: {warning}" for warning in part.warnings)
    report.denied.extend(f"{kind} ({scope})" for kind in part.denied)
    report.external.extend(part.external)
    for kind, names in part.unresolved.items():
        report.unresolved.setdefault(kind, []).extend(names)
    report.partial.extend(f"{scope} {line}" for line in part.partial)
    _add_scope(report, scope, part)


def _add_scope(report: CrawlReport, scope: str, part: CrawlReport) -> None:
    report.by_account_region[scope] = {
        "counts": dict(part.counts),
        "placeholders": {kind: dict(by_status) for kind, by_status in part.placeholders.items()},
        "calls": dict(part.calls),
        "total_calls": part.total_calls,
        "retries": part.retries,
        "throttled": part.throttled,
        "denied": list(part.denied),
        "partial": list(part.partial),
        "warnings": len(part.warnings),
    }


def _scope_label(report: CrawlReport, target: Target) -> str:
    account = report.accounts[0] if len(report.accounts) == 1 else target.account
    region = report.regions[0] if report.regions else target.region
    return f"{account or target.profile or 'default'}/{region or 'default-region'}"


def _client_region(client: Any) -> str | None:
    return client_region(client)


def _client_account(client: Any) -> str | None:
    account = getattr(client, "account", None)
    return account if isinstance(account, str) and account else None
