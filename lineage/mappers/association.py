"""Map a SageMaker lineage association (or a query_lineage edge) to one `associated_with` edge.

SageMaker records an association from a source ARN to a destination ARN. For every association
type the destination depends on the source: the source contributed to, produced, or was
modified into the destination ("AssociatedWith" and "SameAs" are undirected, and keep that
order). Edges here point from a thing to what it was made from, so the edge runs
destination -> source.

An end that is a SageMaker resource (training job, model, endpoint, ...) is a reference the
builder resolves by ARN to the crawled node, or turns into an `external` node. An end that is a
lineage entity (artifact, action, context, trial component) is never crawled as a resource, so
it becomes an `external` node here. Its status is "other account" when its ARN names an account
other than the crawled one, else "outside crawl".
"""

from __future__ import annotations

from typing import Any

from lineage.crawl.result import PlaceholderStatus
from lineage.errors import InvalidARNError
from lineage.graph import NodeKind, Relation
from lineage.identity import arn_key, is_arn, parse_arn
from lineage.mappers.base import Fragment, MalformedRecordError, Ref, record_meta, text

# ARN resource types of SageMaker resources the graph has a node kind for.
RESOURCE_KINDS: dict[str, NodeKind] = {
    "training-job": NodeKind.TRAINING_JOB,
    "processing-job": NodeKind.PROCESSING_JOB,
    "transform-job": NodeKind.TRANSFORM_JOB,
    "hyper-parameter-tuning-job": NodeKind.TUNING_JOB,
    "model": NodeKind.MODEL,
    "model-package": NodeKind.MODEL_PACKAGE,
    "model-package-group": NodeKind.MODEL_PACKAGE_GROUP,
    "endpoint": NodeKind.ENDPOINT,
    "endpoint-config": NodeKind.ENDPOINT_CONFIG,
    "inference-component": NodeKind.INFERENCE_COMPONENT,
}


def map_association(record: dict[str, Any]) -> Fragment:
    """Return the fragment of one Association record: destination -[associated_with]-> source.

    Edge attributes: `association_type`, `evidence` (the operations that returned it) and
    `match` "arn". An association from an ARN to itself adds no edge and a warning.
    Raises MalformedRecordError when either end is missing or not an ARN.
    """
    source = _arn(record, "SourceArn")
    destination = _arn(record, "DestinationArn")
    fragment = Fragment()
    association_type = text(record, "AssociationType")
    if arn_key(source) == arn_key(destination):
        fragment.warnings.append(
            f"skipped a {association_type or 'lineage'} association from {source} to itself"
        )
        return fragment

    crawled_account = record_meta(record).get("account")
    source_end = _end(fragment, source, text(record, "SourceType"),
                      text(record, "SourceName"), crawled_account)
    destination_end = _end(fragment, destination, text(record, "DestinationType"),
                           text(record, "DestinationName"), crawled_account)
    evidence = record_meta(record).get("operations")
    fragment.edge(
        destination_end, source_end, Relation.ASSOCIATED_WITH,
        association_type=association_type,
        evidence=list(evidence) if isinstance(evidence, list) else None,
        match="arn",
    )
    return fragment


def _arn(record: dict[str, Any], key: str) -> str:
    value = text(record, key)
    if value is None or not is_arn(value):
        raise MalformedRecordError(
            f"association record has no valid {key}: {record.get(key)!r}; expected an ARN"
        )
    try:
        arn_key(value)
    except InvalidARNError as err:
        raise MalformedRecordError(f"association {key} {value!r} is invalid: {err}") from err
    return value


def _end(
    fragment: Fragment, arn: str, entity_type: str | None, name: str | None,
    crawled_account: Any,
) -> str | Ref:
    parsed = parse_arn(arn)
    kind = RESOURCE_KINDS.get(parsed.resource_type)
    if parsed.resource_type == "pipeline" and "/execution/" in parsed.resource_id:
        kind = NodeKind.PIPELINE_EXECUTION
    if kind is not None:
        return Ref(kind, parsed.resource_type, name=parsed.resource_id, arn=arn,
                   account=parsed.account, region=parsed.region)

    # A lineage entity is labelled with the last part of its id, and typed with SageMaker's
    # entity type (Model, DataSet, ModelDeployment, ...) or else its ARN resource type.
    # NOTE: a lineage artifact's source URI (DescribeArtifact's Source.SourceUri) is not read,
    # so an artifact entity stays apart from the S3 dataset or model artifact node it stands for.
    described = entity_type or parsed.resource_type
    label = name or parsed.resource_id.rsplit("/", 1)[-1]
    foreign = isinstance(crawled_account, str) and parsed.account not in ("", crawled_account)
    if foreign:
        status = PlaceholderStatus.OTHER_ACCOUNT.value
        reason = (
            f"lineage {parsed.resource_type} {label} ({described}) is in account "
            f"{parsed.account}, outside the crawled account {crawled_account}"
        )
    else:
        status = PlaceholderStatus.OUTSIDE_CRAWL.value
        reason = (
            f"lineage {parsed.resource_type} {label} ({described}) is known only from a "
            "SageMaker lineage association; lineage entities are not crawled"
        )
    return fragment.node(
        arn, NodeKind.EXTERNAL, label,
        name=label, arn=arn, account=parsed.account, region=parsed.region,
        ref_kind=f"lineage {parsed.resource_type}", lineage_type=described,
        status=status, reason=reason,
    )
