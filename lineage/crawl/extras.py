"""Read the records that add lineage beyond the resource kinds in `specs.SPECS`.

Three readers, each run after a full crawl of the other kinds (a seeded crawl runs none):

- Tuning-job children. A tuning job whose `TrainingJobStatusCounters` add up to more training
  jobs than the crawl holds for it is listed with `list_training_jobs_for_hyper_parameter_
  tuning_job`. Each child missing from the crawl becomes a TrainingJob record built from its
  summary, with the tuning job's ARN added as `TuningJobArn` so that its `child_of` edge exists.
- SageMaker Pipelines. `list_pipelines`, `list_pipeline_executions` per pipeline and
  `list_pipeline_execution_steps` per execution. One PipelineExecution record per execution:
  the execution summary plus `PipelineName`, `PipelineArn` and `PipelineExecutionSteps`.
- SageMaker's own lineage store. Every page of `list_associations`, plus `query_lineage`
  (ascendants, with edges) from each crawled endpoint and model. One Association record per
  distinct (source ARN, destination ARN, association type); RECORD_META `operations` names the
  calls that returned it.

Pipelines and associations cost one call per pipeline, per execution and per endpoint or
model, so they are read only when `kinds` names them (see `LINEAGE_KINDS`). Tuning-job children
are read whenever both training jobs and tuning jobs are crawled, because the call is made only
for tuning jobs whose children are missing. An operation that is denied marks its kind denied
in the report, and the crawl goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lineage.crawl.calls import (
    Caller,
    CallFailure,
    FailureKind,
    Listing,
    paginate,
    report_incomplete,
)
from lineage.crawl.result import RECORD_META, CrawlReport, CrawlResult, RecordKind
from lineage.errors import InvalidARNError
from lineage.identity import arn_key, is_arn, name_from_arn, sagemaker_arn

logger = logging.getLogger(__name__)

# Kinds that a full crawl reads only on request, because they cost calls per pipeline, per
# execution and per endpoint or model.
LINEAGE_KINDS = frozenset({RecordKind.PIPELINE_EXECUTION, RecordKind.ASSOCIATION})

TUNING_CHILDREN_OP = "list_training_jobs_for_hyper_parameter_tuning_job"
TUNING_CHILDREN_LABEL = "HyperParameterTuningJob children"

# query_lineage accepts at most 50 results a page (botocore's SageMaker service model).
QUERY_LINEAGE_PAGE_SIZE = 50

# Association records by `association_key`, each with the operations that returned it.
_Merged = dict[tuple[str, str, str], tuple[dict[str, Any], set[str]]]

# Failures on a first page that mean the caller may not use the operation at all.
_NOT_ALLOWED = (FailureKind.DENIED, FailureKind.UNSUPPORTED)


def read_extras(
    caller: Caller,
    result: CrawlResult,
    kinds: Iterable[RecordKind],
    *,
    account: str | None,
    region: str | None,
    query_lineage: bool = True,
) -> None:
    """Add tuning-job children, pipeline executions and associations to `result`.

    `kinds` is the set of kinds the crawl reads; `account` and `region` go into the metadata of
    the new records. `query_lineage` False reads associations with `list_associations` only.
    Never raises on an API error: it is counted and reported in `result.report`.
    """
    requested = set(kinds)
    reader = _ExtrasReader(caller, result, account, region)
    if {RecordKind.TRAINING_JOB, RecordKind.TUNING_JOB} <= requested:
        reader.read_tuning_children()
    if RecordKind.PIPELINE_EXECUTION in requested:
        reader.read_pipeline_executions()
    if RecordKind.ASSOCIATION in requested:
        reader.read_associations(query_lineage)


def association_key(record: dict[str, Any]) -> tuple[str, str, str]:
    """Return what makes an association distinct: both ARNs (name part lower-cased) and type."""
    source = str(record.get("SourceArn") or "")
    destination = str(record.get("DestinationArn") or "")
    return (_arn_or_text_key(source), _arn_or_text_key(destination),
            str(record.get("AssociationType") or ""))


def expected_children(tuning: dict[str, Any]) -> int | None:
    """Return how many training jobs a tuning job launched, from its status counters, or None."""
    counters = tuning.get("TrainingJobStatusCounters")
    if not isinstance(counters, dict):
        return None
    values = [v for v in counters.values() if isinstance(v, int) and not isinstance(v, bool)]
    return sum(values) if values else None


@dataclass
class _ExtrasReader:
    caller: Caller
    result: CrawlResult
    account: str | None
    region: str | None
    _identities: dict[RecordKind, dict[Any, int]] = field(default_factory=dict)

    @property
    def report(self) -> CrawlReport:
        return self.result.report

    # --- tuning-job children --------------------------------------------------------------

    def read_tuning_children(self) -> None:
        children = self._children_by_tuning_job()
        known = self._training_job_keys()

        for tuning in list(self.result.of(RecordKind.TUNING_JOB)):
            if tuning.get(RECORD_META, {}).get("status"):
                continue
            name, arn = self._tuning_identity(tuning)
            if name is None:
                continue
            expected = expected_children(tuning)
            seen = len(children.get(_arn_or_text_key(arn or name), set()))
            if expected is not None and seen >= expected:
                continue

            logger.info("listing training jobs of tuning job %s (%d of %s in the crawl)",
                        name, seen, expected if expected is not None else "unknown")
            listing = paginate(self.caller, TUNING_CHILDREN_OP, "TrainingJobSummaries",
                               {"HyperParameterTuningJobName": name})
            if self._first_page_not_allowed(listing, TUNING_CHILDREN_LABEL):
                return
            for summary in listing.items:
                self._add_child(summary, arn, known)
            self._note_incomplete(listing, TUNING_CHILDREN_OP, f"tuning job {name}")

    def _children_by_tuning_job(self) -> dict[str, set[str]]:
        children: dict[str, set[str]] = {}
        for job in self.result.of(RecordKind.TRAINING_JOB):
            tuning = job.get("TuningJobArn")
            name = job.get("TrainingJobName") or job.get("TrainingJobArn")
            if isinstance(tuning, str) and tuning and isinstance(name, str):
                child = name_from_arn(name).lower()
                children.setdefault(_arn_or_text_key(tuning), set()).add(child)
        return children

    def _training_job_keys(self) -> set[str]:
        keys: set[str] = set()
        for job in self.result.of(RecordKind.TRAINING_JOB):
            for field_name in ("TrainingJobArn", "TrainingJobName"):
                value = job.get(field_name)
                if isinstance(value, str) and value:
                    keys.add(_arn_or_text_key(value))
        return keys

    def _tuning_identity(self, tuning: dict[str, Any]) -> tuple[str | None, str | None]:
        arn = tuning.get("HyperParameterTuningJobArn")
        arn = arn if isinstance(arn, str) and is_arn(arn) else None
        name = tuning.get("HyperParameterTuningJobName")
        name = name if isinstance(name, str) and name else None
        if name is None and arn is not None:
            name = name_from_arn(arn)
        meta = tuning.get(RECORD_META, {})
        account, region = meta.get("account") or self.account, meta.get("region") or self.region
        if arn is None and name is not None and account and region:
            arn = sagemaker_arn("hyper-parameter-tuning-job", name, region, account)
        return name, arn

    def _add_child(self, summary: dict[str, Any], tuning_arn: str | None, known: set[str]) -> None:
        keys = {
            _arn_or_text_key(value)
            for value in (summary.get("TrainingJobArn"), summary.get("TrainingJobName"))
            if isinstance(value, str) and value
        }
        if not keys or keys & known:
            return
        record = dict(summary)
        # The summary names its tuning job only by name; the describe shape carries the ARN,
        # which the training-job mapper turns into the child_of edge.
        if tuning_arn is not None:
            record.setdefault("TuningJobArn", tuning_arn)
        self._add(RecordKind.TRAINING_JOB, record)
        known.update(keys)

    # --- pipelines ------------------------------------------------------------------------

    def read_pipeline_executions(self) -> None:
        label = RecordKind.PIPELINE_EXECUTION.value
        pipelines = paginate(self.caller, "list_pipelines", "PipelineSummaries")
        if self._first_page_not_allowed(pipelines, label):
            return
        self._note_incomplete(pipelines, "list_pipelines", "pipelines")

        seen: set[str] = set()
        denied = 0
        for pipeline in pipelines.items:
            arn = str(pipeline.get("PipelineArn") or "")
            name = pipeline.get("PipelineName") or name_from_arn(arn)
            if not name:
                self.report.warn(f"list_pipelines returned an item without a name: {pipeline!r}")
                continue
            executions = paginate(self.caller, "list_pipeline_executions",
                                  "PipelineExecutionSummaries", {"PipelineName": name})
            failure = executions.failure
            if executions.pages == 0 and failure is not None and failure.kind in _NOT_ALLOWED:
                denied += 1
                self.report.warn(
                    f"executions of pipeline {name} not read: list_pipeline_executions failed "
                    f"with {failure.code} ({failure.message})"
                )
                continue
            self._note_incomplete(executions, "list_pipeline_executions", f"pipeline {name}")
            for execution in executions.items:
                self._add_execution(pipeline, name, execution, seen)

        if pipelines.items and denied == len(pipelines.items):
            self._mark_denied(label)

    def _add_execution(
        self, pipeline: dict[str, Any], pipeline_name: str, execution: dict[str, Any],
        seen: set[str],
    ) -> None:
        arn = execution.get("PipelineExecutionArn")
        if not isinstance(arn, str) or not arn:
            self.report.warn(
                f"list_pipeline_executions for pipeline {pipeline_name} returned an item "
                f"without PipelineExecutionArn: {execution!r}"
            )
            return
        if _arn_or_text_key(arn) in seen:
            return
        seen.add(_arn_or_text_key(arn))

        steps = paginate(self.caller, "list_pipeline_execution_steps", "PipelineExecutionSteps",
                         {"PipelineExecutionArn": arn})
        if steps.failure is not None and steps.pages == 0:
            self.report.warn(
                f"steps of pipeline execution {arn} not read: list_pipeline_execution_steps "
                f"failed with {steps.failure.code} ({steps.failure.message})"
            )
        else:
            self._note_incomplete(steps, "list_pipeline_execution_steps", f"execution {arn}")

        record = dict(execution)
        record["PipelineName"] = pipeline_name
        if pipeline.get("PipelineArn"):
            record["PipelineArn"] = pipeline["PipelineArn"]
        record["PipelineExecutionSteps"] = steps.items
        self._add(RecordKind.PIPELINE_EXECUTION, record)

    # --- lineage associations -------------------------------------------------------------

    def read_associations(self, query_lineage: bool = True) -> None:
        label = RecordKind.ASSOCIATION.value
        merged: _Merged = {}

        listing = paginate(self.caller, "list_associations", "AssociationSummaries")
        if not self._first_page_not_allowed(listing, label):
            self._note_incomplete(listing, "list_associations", "associations")
            for summary in listing.items:
                _merge_association(merged, summary, "list_associations")

        if query_lineage:
            self._query_lineage(merged)
        for record, operations in merged.values():
            self._add(RecordKind.ASSOCIATION, record, operations=sorted(operations))

    def _query_lineage(self, merged: _Merged) -> None:
        # NOTE: botocore's service model documents StartArns as resource ARNs (one per call),
        # but starting from an endpoint or model ARN has not been run against the service,
        # because moto implements no lineage API. A rejected start ARN is reported below, and
        # list_associations then stays the only source.
        rejected: list[str] = []
        last_failure: CallFailure | None = None
        for start in self._lineage_starts():
            edges = paginate(
                self.caller, "query_lineage", "Edges",
                {"StartArns": [start], "Direction": "Ascendants", "IncludeEdges": True},
                page_size=QUERY_LINEAGE_PAGE_SIZE,
            )
            failure = edges.failure
            if edges.pages == 0 and failure is not None:
                if failure.kind in _NOT_ALLOWED:
                    self.report.warn(
                        f"query_lineage not used: it failed with {failure.code} "
                        f"({failure.message}); associations come from list_associations only"
                    )
                    return
                rejected.append(start)
                last_failure = failure
                continue
            self._note_incomplete(edges, "query_lineage", f"lineage of {start}")
            for edge in edges.items:
                _merge_association(merged, edge, "query_lineage")

        if rejected and last_failure is not None:
            names = ", ".join(name_from_arn(arn) for arn in rejected[:5])
            more = f" and {len(rejected) - 5} more" if len(rejected) > 5 else ""
            self.report.warn(
                f"query_lineage failed for {len(rejected)} start ARN(s) ({names}{more}); last "
                f"error {last_failure.code}: {last_failure.message}"
            )

    def _lineage_starts(self) -> list[str]:
        starts: dict[str, str] = {}
        for kind, arn_field, name_field, arn_type in (
            (RecordKind.ENDPOINT, "EndpointArn", "EndpointName", "endpoint"),
            (RecordKind.MODEL, "ModelArn", "ModelName", "model"),
        ):
            for record in self.result.of(kind):
                meta = record.get(RECORD_META, {})
                if meta.get("status"):
                    continue
                arn = record.get(arn_field)
                name = record.get(name_field)
                account = meta.get("account") or self.account
                region = meta.get("region") or self.region
                if not (isinstance(arn, str) and is_arn(arn)):
                    if not (isinstance(name, str) and name and account and region):
                        continue
                    arn = sagemaker_arn(arn_type, name, region, account)
                starts.setdefault(arn_key(arn), arn)
        return list(starts.values())

    # --- shared ---------------------------------------------------------------------------

    def _add(self, kind: RecordKind, record: dict[str, Any], **extra_meta: Any) -> None:
        """Store a record, replacing one of the same identity (an incremental crawl starts
        from the previous snapshot's records, so an execution may be there with an old status).
        """
        # Records carry the crawled account, never that of a referenced ARN, because the
        # builder counts every record's account as crawled.
        stored = dict(record)
        stored[RECORD_META] = {
            "account": self.account, "region": self.region, "source": "list", **extra_meta,
        }

        records = self.result.records.setdefault(kind, [])
        positions = self._positions(kind)
        identity = _record_identity(kind, stored)
        if identity is not None and identity in positions:
            records[positions[identity]] = stored
            return
        if identity is not None:
            positions[identity] = len(records)
        self.result.add(kind, stored)

    def _positions(self, kind: RecordKind) -> dict[Any, int]:
        """Return the list position of each record of `kind` by identity, built on first use."""
        if kind not in self._identities:
            self._identities[kind] = {
                identity: position
                for position, record in enumerate(self.result.of(kind))
                if (identity := _record_identity(kind, record)) is not None
            }
        return self._identities[kind]

    def _first_page_not_allowed(self, listing: Listing, label: str) -> bool:
        """Return True (and mark `label` denied) when the first page was denied or unsupported."""
        failure = listing.failure
        if listing.pages > 0 or failure is None or failure.kind not in _NOT_ALLOWED:
            return False
        self._mark_denied(label)
        self.report.warn(
            f"{label} skipped: {failure.operation} failed with {failure.code} "
            f"({failure.message}); grant sagemaker:{_api_name(failure.operation)} to read it"
        )
        return True

    def _mark_denied(self, label: str) -> None:
        if label not in self.report.denied:
            self.report.denied.append(label)

    def _note_incomplete(self, listing: Listing, operation: str, what: str) -> None:
        report_incomplete(self.report, listing, operation, what, f"{operation} for {what}")


def _merge_association(merged: _Merged, item: dict[str, Any], operation: str) -> None:
    """Add one association or lineage edge to `merged`, keeping the fullest record of each."""
    ends = (item.get("SourceArn"), item.get("DestinationArn"))
    if not all(isinstance(end, str) and end for end in ends):
        return
    key = association_key(item)
    if key not in merged:
        merged[key] = (dict(item), {operation})
        return
    record, operations = merged[key]
    operations.add(operation)
    # A list_associations summary has types and names that a query_lineage edge lacks.
    for name, value in item.items():
        record.setdefault(name, value)


def _record_identity(kind: RecordKind, record: dict[str, Any]) -> Any:
    if kind is RecordKind.ASSOCIATION:
        return association_key(record)
    if kind is RecordKind.PIPELINE_EXECUTION:
        arn = record.get("PipelineExecutionArn")
        return _arn_or_text_key(arn) if isinstance(arn, str) else None
    return None


def _arn_or_text_key(value: str) -> str:
    if is_arn(value):
        try:
            return arn_key(value)
        except InvalidARNError:
            return value.lower()
    return value.lower()


def _api_name(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


__all__ = ["LINEAGE_KINDS", "association_key", "expected_children", "read_extras"]
