"""Unit tests of the serving mappers: model, endpoint, endpoint config, registry, components."""

from __future__ import annotations

import pytest

from lineage.graph import NodeKind, Relation
from lineage.mappers import MalformedRecordError, Ref
from lineage.mappers.endpoint import map_endpoint
from lineage.mappers.endpoint_config import VIA_INFERENCE_COMPONENTS, map_endpoint_config
from lineage.mappers.inference_component import map_inference_component
from lineage.mappers.model import map_model
from lineage.mappers.model_package import map_model_package
from lineage.mappers.model_package_group import map_model_package_group
from tests.fragment_helpers import fragment_edge as _edge
from tests.fragment_helpers import fragment_ids as _ids
from tests.fragment_helpers import fragment_node as _node

PACKAGE_ARN = "arn:aws:sagemaker:us-east-1:111122223333:model-package/churn-models/3"


def test_model_data_url_loads_artifact() -> None:
    record = {"ModelName": "m", "PrimaryContainer": {
        "Image": "img:1", "ModelDataUrl": "s3://b/models/j1/output/model.tar.gz"}}

    fragment = map_model(record)

    edge = _edge(fragment, "model:m", "s3://b/models/j1/output/model.tar.gz")
    assert edge.relation == Relation.LOADS
    model = _node(fragment, "model:m")
    assert model["mode"] == "single"
    assert model["containers"][0]["image"] == "img:1"
    assert _ids(fragment, NodeKind.IMAGE) == []


def test_model_data_source_prefix_joins_training_artifact_id() -> None:
    record = {"ModelName": "llm", "PrimaryContainer": {"ModelDataSource": {"S3DataSource": {
        "S3Uri": "s3://b/out/llm-ft/output/model/", "S3DataType": "S3Prefix",
        "CompressionType": "None"}}}}

    fragment = map_model(record)

    artifact = _node(fragment, "s3://b/out/llm-ft/output/model")
    assert artifact["compressed"] is False
    assert artifact["is_prefix"] is True
    assert _node(fragment, "model:llm")["containers"][0]["model_data_url"] == (
        "s3://b/out/llm-ft/output/model/"
    )


def test_model_pipeline_every_container() -> None:
    record = {"ModelName": "pipe", "Containers": [
        {"ContainerHostname": "prep", "Image": "spark:3", "ModelDataUrl": "s3://b/a/model.tar.gz"},
        {"ContainerHostname": "xgb", "Image": "xgb:1", "ModelDataUrl": "s3://b/c/model.tar.gz"},
    ], "InferenceExecutionConfig": {"Mode": "Serial"}}

    fragment = map_model(record)

    loads = sorted(e.attrs["container"] for e in fragment.edges if e.relation == Relation.LOADS)
    assert loads == ["prep", "xgb"]
    model = _node(fragment, "model:pipe")
    assert model["mode"] == "pipeline"
    assert model["pipeline_order"] == "Serial"
    assert [c["hostname"] for c in model["containers"]] == ["prep", "xgb"]


def test_model_multi_model_prefix() -> None:
    record = {"ModelName": "mme", "PrimaryContainer": {
        "Mode": "MultiModel", "ModelDataUrl": "s3://b/mme/"}}

    fragment = map_model(record)

    assert _node(fragment, "model:mme")["mode"] == "multi-model"
    assert _node(fragment, "s3://b/mme")["is_prefix"] is True


def test_model_from_package_has_no_artifact() -> None:
    record = {"ModelName": "from-registry", "PrimaryContainer": {"ModelPackageName": PACKAGE_ARN}}

    fragment = map_model(record)

    assert _ids(fragment, NodeKind.ARTIFACT) == []
    [edge] = [e for e in fragment.edges if e.relation == Relation.FROM_PACKAGE]
    assert isinstance(edge.target, Ref)
    assert edge.target.arn == PACKAGE_ARN
    assert edge.target.name == "churn-models/3"


def test_model_empty_containers_no_crash() -> None:
    fragment = map_model({"ModelName": "m", "PrimaryContainer": {}, "Containers": []})

    assert _node(fragment, "model:m")["containers"] == []
    assert fragment.edges == []


def test_model_without_name_is_malformed() -> None:
    with pytest.raises(MalformedRecordError, match="ModelName"):
        map_model({"PrimaryContainer": {"Image": "x"}})


def test_endpoint_live_and_pending_config() -> None:
    record = {"EndpointName": "ep", "EndpointStatus": "Updating", "EndpointConfigName": "cfg-a",
              "PendingDeploymentSummary": {"EndpointConfigName": "cfg-b"}}

    fragment = map_endpoint(record)

    relations = {(e.relation, e.target.name) for e in fragment.edges if isinstance(e.target, Ref)}
    assert relations == {(Relation.USES_CONFIG, "cfg-a"), (Relation.PENDING_CONFIG, "cfg-b")}
    pending = [e for e in fragment.edges if e.relation == Relation.PENDING_CONFIG]
    assert pending[0].attrs["pending"] is True


def test_endpoint_failed_update_keeps_config() -> None:
    record = {"EndpointName": "ep", "EndpointStatus": "InService", "EndpointConfigName": "cfg-v1",
              "FailureReason": "health check failed"}

    fragment = map_endpoint(record)

    endpoint = _node(fragment, "endpoint:ep")
    assert endpoint["update_failed"] is True
    assert endpoint["failure_reason"] == "health check failed"
    assert [e.target.name for e in fragment.edges] == ["cfg-v1"]


def test_endpoint_failed_without_variants() -> None:
    fragment = map_endpoint({"EndpointName": "ep", "EndpointStatus": "Failed",
                             "EndpointConfigName": "cfg-x", "FailureReason": "ping failed"})

    endpoint = _node(fragment, "endpoint:ep")
    assert endpoint["variants"] == []
    assert endpoint["update_failed"] is False
    assert endpoint["status"] == "Failed"


def test_endpoint_variant_shapes() -> None:
    record = {"EndpointName": "ep", "EndpointConfigName": "c", "ProductionVariants": [
        {"VariantName": "prod", "CurrentWeight": 1.0,
         "CurrentServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}},
        {"VariantName": "big", "CurrentWeight": 0.0, "CurrentInstanceCount": 2,
         "DeployedImages": [{"SpecifiedImage": "img:3", "ResolvedImage": "img@sha256:00"}]},
    ], "ShadowProductionVariants": [{"VariantName": "shadow", "CurrentInstanceCount": 1}]}

    variants = _node(map_endpoint(record), "endpoint:ep")["variants"]

    assert [v["name"] for v in variants] == ["prod", "big", "shadow"]
    assert variants[0]["summary"] == "serverless 2048 MB"
    assert variants[0]["instance_count"] is None
    assert variants[1]["instance_count"] == 2
    assert variants[1]["deployed_images"] == [{"specified": "img:3", "resolved": "img@sha256:00"}]
    assert [v["shadow"] for v in variants] == [False, False, True]


def test_endpoint_data_capture_dataset() -> None:
    record = {"EndpointName": "ep", "DataCaptureConfig": {"DestinationS3Uri": "s3://b/capture/"}}

    fragment = map_endpoint(record)

    assert _edge(fragment, "s3://b/capture/", "endpoint:ep").relation == Relation.PRODUCED_BY


def test_config_serves_and_shadow() -> None:
    record = {"EndpointConfigName": "cfg",
              "ProductionVariants": [{"VariantName": "prod", "ModelName": "model-v7",
                                      "ServerlessConfig": {"MemorySizeInMB": 2048}}],
              "ShadowProductionVariants": [{"VariantName": "shadow", "ModelName": "model-v8",
                                            "InstanceType": "ml.m5.large",
                                            "InitialInstanceCount": 1,
                                            "InitialVariantWeight": 0.5}],
              "AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://b/async-out/"}}}

    fragment = map_endpoint_config(record)

    serving = {(e.relation, e.target.name, e.attrs["variant"]) for e in fragment.edges}
    assert serving == {(Relation.SERVES, "model-v7", "prod"),
                       (Relation.SERVES_SHADOW, "model-v8", "shadow")}
    config = _node(fragment, "endpoint-config:cfg")
    assert config["async_output"] == "s3://b/async-out/"
    assert config["variants"][0]["summary"] == "serverless 2048 MB"
    assert config["variants"][0]["instance_count"] is None
    assert config["variants"][1]["summary"] == "1 x ml.m5.large"
    assert config["note"] is None


def test_config_variant_without_model() -> None:
    record = {"EndpointConfigName": "cfg-ic", "ProductionVariants": [
        {"VariantName": "AllTraffic", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1}]}

    fragment = map_endpoint_config(record)

    assert fragment.edges == []
    config = _node(fragment, "endpoint-config:cfg-ic")
    assert config["note"] == VIA_INFERENCE_COMPONENTS
    assert config["variants"][0]["note"] == VIA_INFERENCE_COMPONENTS


def test_model_package_versioned_identity_and_edges() -> None:
    record = {"ModelPackageName": "churn-models", "ModelPackageGroupName": "churn-models",
              "ModelPackageVersion": 3, "ModelPackageArn": PACKAGE_ARN,
              "ModelApprovalStatus": "Approved",
              "InferenceSpecification": {"Containers": [
                  {"Image": "xgb:1", "ModelDataUrl": "s3://b/models/t/output/model.tar.gz"}]}}

    fragment = map_model_package(record)

    package = _node(fragment, PACKAGE_ARN)
    assert package["label"] == "churn-models/3"
    assert package["version"] == 3
    assert package["approval_status"] == "Approved"
    assert _edge(fragment, PACKAGE_ARN, "s3://b/models/t/output/model.tar.gz").relation == (
        Relation.LOADS
    )
    [member] = [e for e in fragment.edges if e.relation == Relation.MEMBER_OF]
    assert member.target.name == "churn-models"
    assert member.target.kind == NodeKind.MODEL_PACKAGE_GROUP


def test_model_package_group_node() -> None:
    fragment = map_model_package_group({"ModelPackageGroupName": "churn-models"})

    assert _ids(fragment, NodeKind.MODEL_PACKAGE_GROUP) == ["model-package-group:churn-models"]


def test_inference_component_hosts_and_serves() -> None:
    record = {"InferenceComponentName": "ic-a", "EndpointName": "ep-ic",
              "VariantName": "AllTraffic", "Specification": {"ModelName": "llm-a"}}

    fragment = map_inference_component(record)

    [hosts] = [e for e in fragment.edges if e.relation == Relation.HOSTS]
    assert hosts.source.name == "ep-ic"
    assert hosts.target == "inference-component:ic-a"
    [serves] = [e for e in fragment.edges if e.relation == Relation.SERVES]
    assert serves.source == "inference-component:ic-a"
    assert serves.target.name == "llm-a"
