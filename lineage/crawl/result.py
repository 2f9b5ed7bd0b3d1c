"""What a crawl returns: raw resource records per kind and a report of how they were read.

Records are the dicts SageMaker returns (a Search result's inner record, or a Describe
response), unchanged except for one added key, `RECORD_META`, which records where the record came
from. Keeping the API's own shape lets the search engine evaluate boto3-shaped queries on them and
lets mappers be tested on dicts copied from the API reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

# Key added to every record; its value is a dict with `account`, `region`, `source`
# ("search", "describe", "list") and, for a placeholder, `status` and `reason`.
RECORD_META = "_lineage"


class RecordKind(str, Enum):
    """Resource kinds as SageMaker Search names them (and the crawler uses for the rest)."""

    TRAINING_JOB = "TrainingJob"
    MODEL = "Model"
    ENDPOINT = "Endpoint"
    ENDPOINT_CONFIG = "EndpointConfig"
    MODEL_PACKAGE = "ModelPackage"
    MODEL_PACKAGE_GROUP = "ModelPackageGroup"
    PROCESSING_JOB = "ProcessingJob"
    TRANSFORM_JOB = "TransformJob"
    TUNING_JOB = "HyperParameterTuningJob"
    INFERENCE_COMPONENT = "InferenceComponent"
    PIPELINE_EXECUTION = "PipelineExecution"
    ASSOCIATION = "Association"
    # A CloudTrail LookupEvents event (endpoint deployments), not a SageMaker resource.
    CLOUDTRAIL_EVENT = "CloudTrailEvent"


class PlaceholderStatus(str, Enum):
    """The reason a referenced resource has no full record."""

    DELETED = "deleted or inaccessible"
    NO_PERMISSION = "no permission"
    THROTTLED = "unresolved: throttled"
    OUTSIDE_CRAWL = "outside crawl"
    OTHER_ACCOUNT = "other account"
    FAILED = "unresolved: error"


@dataclass
class CrawlReport:
    """Counts, calls and problems of one crawl, for people and for `--report FILE`."""

    started: datetime | None = None
    finished: datetime | None = None
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    # Full records per kind; placeholders are counted apart, per kind and status.
    counts: dict[str, int] = field(default_factory=dict)
    placeholders: dict[str, dict[str, int]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    throttled: int = 0
    warnings: list[str] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    unresolved: dict[str, list[str]] = field(default_factory=dict)
    partial: list[str] = field(default_factory=list)
    # Per "account/region" of a crawl of several: counts, calls, retries, throttled, denied.
    by_account_region: dict[str, dict[str, Any]] = field(default_factory=dict)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def count_call(self, operation: str) -> None:
        self.calls[operation] = self.calls.get(operation, 0) + 1

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "started": self.started.isoformat() if self.started else None,
            "finished": self.finished.isoformat() if self.finished else None,
            "accounts": list(self.accounts),
            "regions": list(self.regions),
            "counts": dict(self.counts),
            "placeholders": {k: dict(v) for k, v in self.placeholders.items()},
            "calls": dict(self.calls),
            "total_calls": self.total_calls,
            "retries": self.retries,
            "throttled": self.throttled,
            "warnings": list(self.warnings),
            "denied": list(self.denied),
            "external": list(self.external),
            "unresolved": {k: list(v) for k, v in self.unresolved.items()},
            "partial": list(self.partial),
            "by_account_region": {k: dict(v) for k, v in self.by_account_region.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CrawlReport:
        def when(value: Any) -> datetime | None:
            return datetime.fromisoformat(value) if isinstance(value, str) else None

        return cls(
            started=when(data.get("started")),
            finished=when(data.get("finished")),
            accounts=list(data.get("accounts", [])),
            regions=list(data.get("regions", [])),
            counts=dict(data.get("counts", {})),
            placeholders={k: dict(v) for k, v in data.get("placeholders", {}).items()},
            calls=dict(data.get("calls", {})),
            retries=int(data.get("retries", 0)),
            throttled=int(data.get("throttled", 0)),
            warnings=list(data.get("warnings", [])),
            denied=list(data.get("denied", [])),
            external=list(data.get("external", [])),
            unresolved={k: list(v) for k, v in data.get("unresolved", {}).items()},
            partial=list(data.get("partial", [])),
            by_account_region={
                k: dict(v) for k, v in data.get("by_account_region", {}).items()
            },
        )


@dataclass
class CrawlResult:
    """Records per kind plus the report. `records[kind]` lists API-shaped dicts."""

    records: dict[RecordKind, list[dict[str, Any]]] = field(default_factory=dict)
    report: CrawlReport = field(default_factory=CrawlReport)

    def add(self, kind: RecordKind, record: dict[str, Any]) -> None:
        self.records.setdefault(kind, []).append(record)

    def of(self, kind: RecordKind) -> list[dict[str, Any]]:
        return self.records.get(kind, [])
