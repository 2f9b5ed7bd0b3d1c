"""Incremental crawls: read only what changed since the previous snapshot.

The watermark of a kind is the latest `LastModifiedTime` (`CreationTime` for models, which
cannot change) among the previous snapshot's records of that kind. The next crawl requests only
records modified at or after the watermark minus an overlap:

- Search gets a `LastModifiedTime >= watermark - overlap` filter, sorted by that field. The
  overlap (default 10 minutes) covers Search's eventual consistency, because a record modified
  just before the previous crawl may have reached the index only after it.
- List calls get `LastModifiedTimeAfter` or `CreationTimeAfter` where the operation accepts one.
  A listed job that the previous snapshot holds is described again only when it may have
  changed: it was not finished, and its LastModifiedTime differs.
- Endpoint configs and models are immutable and are copied from the previous snapshot.

Watermarks come from the records themselves, so they need no separate storage and no clock
agreement between this machine and AWS. A kind that the previous crawl left partial (page or
time budget, failed page) has no watermark and is read in full again.

Deletions are detected only for endpoints, with the full endpoint listing. Other deleted
resources stay in the new snapshot as they were.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from lineage.crawl.result import RECORD_META, CrawlResult, RecordKind

DEFAULT_OVERLAP = timedelta(minutes=10)

# The field a kind's watermark is read from. Models have no LastModifiedTime because a model
# cannot be updated, only created and deleted.
WATERMARK_FIELDS: dict[RecordKind, str] = {
    RecordKind.TRAINING_JOB: "LastModifiedTime",
    RecordKind.MODEL: "CreationTime",
    RecordKind.ENDPOINT: "LastModifiedTime",
    RecordKind.MODEL_PACKAGE: "LastModifiedTime",
    RecordKind.TUNING_JOB: "LastModifiedTime",
    RecordKind.PROCESSING_JOB: "LastModifiedTime",
    RecordKind.TRANSFORM_JOB: "LastModifiedTime",
    RecordKind.INFERENCE_COMPONENT: "LastModifiedTime",
    RecordKind.MODEL_PACKAGE_GROUP: "CreationTime",
}

# The time filter each list operation accepts (botocore's SageMaker service model, 1.44).
# ListModelPackages has only CreationTimeAfter, so a package updated later (such as a changed
# approval status) is missed when Search is not available.
LIST_TIME_FILTERS: dict[str, str] = {
    "list_training_jobs": "LastModifiedTimeAfter",
    "list_models": "CreationTimeAfter",
    "list_endpoints": "LastModifiedTimeAfter",
    "list_model_packages": "CreationTimeAfter",
    "list_hyper_parameter_tuning_jobs": "LastModifiedTimeAfter",
    "list_processing_jobs": "LastModifiedTimeAfter",
    "list_transform_jobs": "LastModifiedTimeAfter",
    "list_inference_components": "LastModifiedTimeAfter",
    "list_model_package_groups": "CreationTimeAfter",
}

# Statuses after which a resource no longer changes, per status field.
_FINAL_STATUSES: dict[RecordKind, tuple[str, frozenset[str]]] = {
    RecordKind.TRAINING_JOB: ("TrainingJobStatus", frozenset({"Completed", "Failed", "Stopped"})),
    RecordKind.PROCESSING_JOB: (
        "ProcessingJobStatus", frozenset({"Completed", "Failed", "Stopped"})
    ),
    RecordKind.TRANSFORM_JOB: ("TransformJobStatus", frozenset({"Completed", "Failed", "Stopped"})),
    RecordKind.TUNING_JOB: (
        "HyperParameterTuningJobStatus", frozenset({"Completed", "Failed", "Stopped"})
    ),
}
IMMUTABLE_KINDS = frozenset({RecordKind.MODEL, RecordKind.ENDPOINT_CONFIG})

_PARTIAL_KIND = re.compile(r"(?:^|\s)([A-Za-z]+):")


def watermarks(
    previous: CrawlResult, overlap: timedelta, kinds: Iterable[RecordKind]
) -> dict[RecordKind, datetime]:
    """Return the start of the changed-records filter per kind, from the previous records.

    A kind gets no watermark (so it is read in full) when the previous crawl left it partial
    or when none of its previous records carries the watermark field.
    """
    partial = partial_kinds(previous.report.partial)
    found: dict[RecordKind, datetime] = {}
    for kind in kinds:
        field = WATERMARK_FIELDS.get(kind)
        if field is None or kind.value in partial:
            continue
        latest = _latest(previous.of(kind), field)
        if latest is not None:
            found[kind] = latest - overlap
    return found


def partial_kinds(partial: Iterable[str]) -> set[str]:
    """Return the kind labels named in report lines such as "TrainingJob: stopped at page 3"."""
    kinds = set()
    for line in partial:
        match = _PARTIAL_KIND.search(line)
        if match:
            kinds.add(match.group(1))
    return kinds


def search_filter(kind: RecordKind, since: datetime) -> dict[str, Any]:
    """Return the Search arguments that select records of `kind` modified at or after `since`."""
    field = WATERMARK_FIELDS[kind]
    return {
        "SearchExpression": {
            "Filters": [{
                "Name": field,
                "Operator": "GreaterThanOrEqualTo",
                "Value": since.isoformat(),
            }],
        },
        "SortBy": field,
        "SortOrder": "Ascending",
    }


def list_filter(operation: str, since: datetime) -> dict[str, Any]:
    """Return the time filter argument of a list operation, or {} when it has none."""
    argument = LIST_TIME_FILTERS.get(operation)
    return {argument: since} if argument else {}


def is_settled(kind: RecordKind, record: dict[str, Any]) -> bool:
    """Tell whether a record can no longer change: an immutable kind, or a finished job."""
    if kind in IMMUTABLE_KINDS:
        return True
    final = _FINAL_STATUSES.get(kind)
    return final is not None and record.get(final[0]) in final[1]


def changed(kind: RecordKind, previous: dict[str, Any], summary: dict[str, Any]) -> bool:
    """Tell whether a listed resource may differ from its record in the previous snapshot.

    A placeholder is always read again. A settled record never is. Otherwise the record is read
    again unless the list summary carries the same LastModifiedTime.
    """
    if "status" in previous.get(RECORD_META, {}):
        return True
    if is_settled(kind, previous):
        return False
    before, now = previous.get("LastModifiedTime"), summary.get("LastModifiedTime")
    return before is None or now is None or _as_time(before) != _as_time(now)


def scope_of(result: CrawlResult, account: str | None, region: str | None) -> CrawlResult:
    """Return the records of `result` crawled in one account and region (None matches any)."""
    scoped = CrawlResult(report=result.report)
    for kind, records in result.records.items():
        for record in records:
            meta = record.get(RECORD_META, {})
            if account is not None and meta.get("account") not in (None, account):
                continue
            if region is not None and meta.get("region") not in (None, region):
                continue
            scoped.add(RecordKind(kind), record)
    return scoped


def _latest(records: Iterable[dict[str, Any]], field: str) -> datetime | None:
    latest: datetime | None = None
    for record in records:
        if "status" in record.get(RECORD_META, {}):
            continue
        value = _as_time(record.get(field))
        if value is not None and (latest is None or value > latest):
            latest = value
    return latest


def _as_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None
