"""The naive crawl the benchmark compares against: list every kind, then describe every item.

This is how a crawler without SageMaker Search reads an account (DataHub's SageMaker source
works this way): `List*` with paginators, one `Describe*` per listed item, serially, with boto3's
default retries (legacy mode, 5 attempts in all). A describe that still fails after the retries
is counted and skipped, so the run reports coverage instead of ending at the first throttled item.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ListDescribe:
    """List operation, summary keys and describe operation of one resource kind."""

    kind: str
    list_operation: str
    list_key: str
    describe_operation: str
    describe_argument: str
    summary_key: str
    list_arguments: tuple[tuple[str, str], ...] = ()


PLAN: tuple[ListDescribe, ...] = (
    ListDescribe("TrainingJob", "list_training_jobs", "TrainingJobSummaries",
                 "describe_training_job", "TrainingJobName", "TrainingJobName"),
    ListDescribe("Model", "list_models", "Models", "describe_model", "ModelName", "ModelName"),
    ListDescribe("Endpoint", "list_endpoints", "Endpoints", "describe_endpoint", "EndpointName",
                 "EndpointName"),
    ListDescribe("EndpointConfig", "list_endpoint_configs", "EndpointConfigs",
                 "describe_endpoint_config", "EndpointConfigName", "EndpointConfigName"),
    # The API default lists only unversioned packages, which would hide every registered
    # version, so the naive crawl requests both to cover the same records as the others.
    ListDescribe("ModelPackage", "list_model_packages", "ModelPackageSummaryList",
                 "describe_model_package", "ModelPackageName", "ModelPackageArn",
                 (("ModelPackageType", "Both"),)),
    ListDescribe("ModelPackageGroup", "list_model_package_groups",
                 "ModelPackageGroupSummaryList", "describe_model_package_group",
                 "ModelPackageGroupName", "ModelPackageGroupName"),
    ListDescribe("ProcessingJob", "list_processing_jobs", "ProcessingJobSummaries",
                 "describe_processing_job", "ProcessingJobName", "ProcessingJobName"),
    ListDescribe("TransformJob", "list_transform_jobs", "TransformJobSummaries",
                 "describe_transform_job", "TransformJobName", "TransformJobName"),
    ListDescribe("HyperParameterTuningJob", "list_hyper_parameter_tuning_jobs",
                 "HyperParameterTuningJobSummaries", "describe_hyper_parameter_tuning_job",
                 "HyperParameterTuningJobName", "HyperParameterTuningJobName"),
    ListDescribe("InferenceComponent", "list_inference_components", "InferenceComponents",
                 "describe_inference_component", "InferenceComponentName",
                 "InferenceComponentName"),
)


@dataclass
class NaiveResult:
    """Outcome of one naive crawl, counted on the client side."""

    records: dict[str, int] = field(default_factory=dict)
    calls: int = 0
    attempts: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stopped_early: bool = False

    @property
    def retries(self) -> int:
        return self.attempts - self.calls


def naive_crawl(client: Any, max_seconds: float | None = None) -> NaiveResult:
    """List and describe every resource of every kind in `PLAN` through a boto3 client.

    `max_seconds` bounds the run. When it passes, the crawl stops before its next call and
    sets `stopped_early`.
    """
    result = NaiveResult()
    started = time.monotonic()
    deadline = started + max_seconds if max_seconds is not None else None

    def count_attempt(**_: Any) -> None:
        result.attempts += 1

    # before-send fires once per HTTP attempt, retries included.
    client.meta.events.register("before-send.sagemaker", count_attempt)
    try:
        for step in PLAN:
            if not _crawl_kind(client, step, result, deadline):
                result.stopped_early = True
                break
    finally:
        client.meta.events.unregister("before-send.sagemaker", count_attempt)
        result.seconds = time.monotonic() - started

    logger.info("naive crawl: %d calls, %d retries, %d failed, %.1f s", result.calls,
                result.retries, len(result.failed), result.seconds)
    return result


def _crawl_kind(
    client: Any, step: ListDescribe, result: NaiveResult, deadline: float | None
) -> bool:
    # Returns False when the deadline passed before the kind was finished.
    names: list[str] = []
    paginator = client.get_paginator(step.list_operation)
    pages = paginator.paginate(**dict(step.list_arguments), PaginationConfig={"PageSize": 100})
    try:
        for page in pages:
            result.calls += 1
            names.extend(str(item[step.summary_key]) for item in page.get(step.list_key, []))
            if _expired(deadline):
                return False
    except ClientError as err:
        result.calls += 1
        result.failed.append(f"{step.list_operation}: {_code(err)}")
        logger.warning("%s failed after retries: %s", step.list_operation, err)
        return True

    describe = getattr(client, step.describe_operation)
    for name in names:
        if _expired(deadline):
            return False
        result.calls += 1
        try:
            describe(**{step.describe_argument: name})
        except ClientError as err:
            result.failed.append(f"{step.describe_operation} {name}: {_code(err)}")
            logger.debug("%s %s failed after retries: %s", step.describe_operation, name, err)
            continue
        result.records[step.kind] = result.records.get(step.kind, 0) + 1
    return True


def _expired(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", "Unknown"))
