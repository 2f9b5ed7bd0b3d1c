"""References from one resource record to other resources, as the crawler follows them.

Pure functions on API-shaped dicts. A reference is "guessed" when it comes from a naming
convention rather than a field that names the resource. SageMaker writes a training job's model
to `<S3OutputPath>/<job name>/output/model.tar.gz`, or `.../output/model` when uncompressed. So
an artifact URL suggests the job that produced it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lineage.crawl.result import RecordKind
from lineage.errors import InvalidURIError
from lineage.identity import parse_s3_uri

logger = logging.getLogger(__name__)

# SageMaker job names: up to 63 letters, digits and single or repeated hyphens.
_JOB_ARTIFACT_KEY = re.compile(
    r"(?:^|/)(?P<job>[A-Za-z0-9](?:-*[A-Za-z0-9]){0,62})/output/model(?:\.tar\.gz)?$"
)


@dataclass(frozen=True, slots=True)
class Reference:
    """A name or ARN of a resource of `kind` that a record points to."""

    kind: RecordKind
    identifier: str
    guessed: bool = False


def container_artifacts(container: dict[str, Any]) -> list[str]:
    """Return the model data locations of one model container (compressed or uncompressed)."""
    found = []
    if container.get("ModelDataUrl"):
        found.append(str(container["ModelDataUrl"]))
    source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
    if source.get("S3Uri"):
        found.append(str(source["S3Uri"]))
    return found


def model_containers(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the containers of a model record: the primary one and those of a pipeline."""
    containers = []
    if record.get("PrimaryContainer"):
        containers.append(record["PrimaryContainer"])
    containers.extend(record.get("Containers") or [])
    return containers


def guess_training_job(artifact: str) -> str | None:
    """Return the training job name an artifact location implies, or None."""
    try:
        location = parse_s3_uri(artifact)
    except InvalidURIError:
        return None
    match = _JOB_ARTIFACT_KEY.search(location.key.rstrip("/"))
    return match.group("job") if match else None


def references(kind: RecordKind, record: dict[str, Any]) -> list[Reference]:
    """Return the resources a record of `kind` refers to, without duplicates, in field order.

    A field of the wrong type (a string where the API returns an object) ends the search of that
    record: the references found before it are returned and a warning is logged.
    """
    found: dict[tuple[RecordKind, str], Reference] = {}
    try:
        for reference in _references(kind, record):
            if reference.identifier:
                found.setdefault((reference.kind, reference.identifier.lower()), reference)
    except (AttributeError, TypeError, ValueError) as err:
        logger.warning("skipped the rest of the references of a malformed %s record: %s",
                       kind.value, err)
    return list(found.values())


def _references(kind: RecordKind, record: dict[str, Any]) -> Iterator[Reference]:
    if kind is RecordKind.ENDPOINT:
        yield Reference(RecordKind.ENDPOINT_CONFIG, str(record.get("EndpointConfigName") or ""))
        pending = record.get("PendingDeploymentSummary") or {}
        yield Reference(RecordKind.ENDPOINT_CONFIG, str(pending.get("EndpointConfigName") or ""))

    elif kind is RecordKind.ENDPOINT_CONFIG:
        variants = (record.get("ProductionVariants") or []) + (
            record.get("ShadowProductionVariants") or []
        )
        for variant in variants:
            yield Reference(RecordKind.MODEL, str(variant.get("ModelName") or ""))

    elif kind is RecordKind.INFERENCE_COMPONENT:
        specification = record.get("Specification") or {}
        yield Reference(RecordKind.MODEL, str(specification.get("ModelName") or ""))

    elif kind is RecordKind.MODEL:
        for container in model_containers(record):
            package = container.get("ModelPackageName")
            if package:
                yield Reference(RecordKind.MODEL_PACKAGE, str(package))
            yield from _guessed_jobs(container)

    elif kind is RecordKind.MODEL_PACKAGE:
        specification = record.get("InferenceSpecification") or {}
        for container in specification.get("Containers") or []:
            yield from _guessed_jobs(container)

    elif kind is RecordKind.TRAINING_JOB:
        yield Reference(RecordKind.TUNING_JOB, str(record.get("TuningJobArn") or ""))

    elif kind is RecordKind.PROCESSING_JOB:
        yield Reference(RecordKind.TRAINING_JOB, str(record.get("TrainingJobArn") or ""))

    elif kind is RecordKind.TRANSFORM_JOB:
        yield Reference(RecordKind.MODEL, str(record.get("ModelName") or ""))


def _guessed_jobs(container: dict[str, Any]) -> Iterator[Reference]:
    for artifact in container_artifacts(container):
        job = guess_training_job(artifact)
        if job:
            yield Reference(RecordKind.TRAINING_JOB, job, guessed=True)
