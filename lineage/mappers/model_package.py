"""Map a model package (registry version) to its node, artifacts and package group."""

from __future__ import annotations

from typing import Any

from lineage.graph import NodeKind, Relation
from lineage.mappers.base import (
    Fragment,
    as_dict,
    as_list,
    identify,
    number,
    resource_ref,
    text,
)
from lineage.mappers.model import map_containers

ARN_TYPE = "model-package"


def map_model_package(record: dict[str, Any]) -> Fragment:
    """Return the fragment of one ModelPackage record.

    Edges: package -[loads]-> artifact per InferenceSpecification container (which then joins
    the training job that wrote it) and package -[member_of]-> its group.
    """
    group = text(record, "ModelPackageGroupName")
    version = number(record, "ModelPackageVersion")
    # A versioned package's ModelPackageName is its group's name; the ARN ends in group/version.
    name = f"{group}/{int(version)}" if group and version is not None else None
    me = identify(record, kind_label="model package", arn_type=ARN_TYPE,
                  name_key="ModelPackageName", arn_key_name="ModelPackageArn", name=name)
    fragment = Fragment()

    specification = as_dict(record.get("InferenceSpecification"))
    containers = [as_dict(c) for c in as_list(specification.get("Containers")) if as_dict(c)]
    mapped = map_containers(fragment, me, containers, where=f"model package {me.name}")

    fragment.node(
        me.id, NodeKind.MODEL_PACKAGE, me.name,
        name=me.name, arn=me.arn, account=me.account, region=me.region,
        group=group,
        version=int(version) if version is not None else None,
        approval_status=text(record, "ModelApprovalStatus"),
        status=text(record, "ModelPackageStatus"),
        description=text(record, "ModelPackageDescription"),
        containers=mapped,
        model_metrics=as_dict(record.get("ModelMetrics")) or None,
        customer_metadata=as_dict(record.get("CustomerMetadataProperties")) or None,
        created=record.get("CreationTime"),
        modified=record.get("LastModifiedTime"),
    )

    group_ref = resource_ref(me, NodeKind.MODEL_PACKAGE_GROUP, "model-package-group", group)
    if group_ref is not None:
        fragment.edge(me.id, group_ref, Relation.MEMBER_OF)
    return fragment
