"""Map a model package group to its node (its versions link to it with member_of)."""

from __future__ import annotations

from typing import Any

from lineage.graph import NodeKind
from lineage.mappers.base import Fragment, identify, text

ARN_TYPE = "model-package-group"


def map_model_package_group(record: dict[str, Any]) -> Fragment:
    """Return the fragment of one ModelPackageGroup record (a node and no edges)."""
    me = identify(record, kind_label="model package group", arn_type=ARN_TYPE,
                  name_key="ModelPackageGroupName", arn_key_name="ModelPackageGroupArn")
    fragment = Fragment()
    fragment.node(
        me.id, NodeKind.MODEL_PACKAGE_GROUP, me.name,
        name=me.name, arn=me.arn, account=me.account, region=me.region,
        status=text(record, "ModelPackageGroupStatus"),
        description=text(record, "ModelPackageGroupDescription"),
        created=record.get("CreationTime"),
    )
    return fragment
