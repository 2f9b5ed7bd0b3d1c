"""Map a model record to its node, the artifact of every container, and its model package."""

from __future__ import annotations

from typing import Any

from lineage.graph import NodeKind, Relation
from lineage.mappers.base import (
    Fragment,
    Identity,
    artifact_node,
    as_dict,
    as_list,
    compression_flag,
    identify,
    resource_ref,
    text,
)

ARN_TYPE = "model"


def map_model(record: dict[str, Any]) -> Fragment:
    """Return the fragment of one Model record.

    Every container counts, whether the model has a `PrimaryContainer` or an inference pipeline
    in `Containers[]`. Images stay attributes of the model (the `containers` list), not nodes.
    """
    me = identify(record, kind_label="model", arn_type=ARN_TYPE,
                  name_key="ModelName", arn_key_name="ModelArn")
    fragment = Fragment()

    raw_containers = [as_dict(c) for c in as_list(record.get("Containers")) if as_dict(c)]
    primary = as_dict(record.get("PrimaryContainer"))
    if primary and not raw_containers:
        raw_containers = [primary]
    containers = map_containers(fragment, me, raw_containers, where=f"model {me.name}")

    execution = as_dict(record.get("InferenceExecutionConfig"))
    fragment.node(
        me.id, NodeKind.MODEL, me.name,
        name=me.name, arn=me.arn, account=me.account, region=me.region,
        containers=containers,
        mode=_mode(containers),
        pipeline_order=text(execution, "Mode"),
        execution_role=text(record, "ExecutionRoleArn"),
        network_isolation=record.get("EnableNetworkIsolation") is True,
        created=record.get("CreationTime"),
    )
    return fragment


def _mode(containers: list[dict[str, Any]]) -> str:
    if len(containers) > 1:
        return "pipeline"
    if containers and str(containers[0].get("mode") or "").lower() == "multimodel":
        return "multi-model"
    return "single"


def map_containers(
    fragment: Fragment, me: Identity, containers: list[dict[str, Any]], *, where: str
) -> list[dict[str, Any]]:
    """Add a `loads` edge per container artifact and a `from_package` edge per package.

    Returns the containers as attribute dicts: hostname, image, model_data_url (the S3 location
    from `ModelDataUrl` or `ModelDataSource.S3DataSource.S3Uri`), model_package, mode.
    """
    result = []
    for index, container in enumerate(containers):
        hostname = text(container, "ContainerHostname")
        container_where = f"{where} container {hostname or index}"
        mode = text(container, "Mode")
        location, compressed, is_prefix = _model_data(container, mode)

        if location is not None:
            artifact_id = artifact_node(
                fragment, location, where=container_where, compressed=compressed,
                is_prefix=is_prefix,
            )
            if artifact_id is not None:
                fragment.edge(me.id, artifact_id, Relation.LOADS,
                              container=hostname or str(index))

        package = text(container, "ModelPackageName")
        package_ref = resource_ref(me, NodeKind.MODEL_PACKAGE, "model-package", package)
        if package_ref is not None:
            fragment.edge(me.id, package_ref, Relation.FROM_PACKAGE)

        result.append({
            "hostname": hostname,
            "image": text(container, "Image"),
            "model_data_url": location,
            "model_package": package,
            "mode": mode,
            "compressed": compressed,
            "environment": {
                str(k): str(v) for k, v in as_dict(container.get("Environment")).items()
            },
        })
    return result


def _model_data(
    container: dict[str, Any], mode: str | None
) -> tuple[str | None, bool | None, bool]:
    """Return (S3 location, compressed, is_prefix) of a container's model data."""
    multi_model = (mode or "").lower() == "multimodel"
    url = text(container, "ModelDataUrl")
    if url is not None:
        # A multi-model container's ModelDataUrl is the prefix that contains many model archives.
        compressed = True if url.endswith((".tar.gz", ".tgz")) and not multi_model else None
        return url, compressed, multi_model

    source = as_dict(as_dict(container.get("ModelDataSource")).get("S3DataSource"))
    uri = text(source, "S3Uri")
    if uri is None:
        return None, None, False
    data_type = text(source, "S3DataType")
    return uri, compression_flag(source.get("CompressionType")), data_type == "S3Prefix"
