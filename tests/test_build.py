"""Tests of build_graph: resolving references, placeholders, skipped records, whole-graph joins."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from lineage.build import build_graph
from lineage.crawl.result import RECORD_META, CrawlResult, PlaceholderStatus, RecordKind
from lineage.graph import LineageGraph, NodeKind, Relation

ACCOUNT = "111122223333"
REGION = "us-east-1"


def test_name_reference_resolves_case_insensitively() -> None:
    graph = build_graph(_result(
        (RecordKind.ENDPOINT_CONFIG, {"EndpointConfigName": "cfg", "ProductionVariants": [
            {"VariantName": "prod", "ModelName": "Churn-Model"}]}),
        (RecordKind.MODEL, {"ModelName": "churn-model"}),
    ))

    [(target, data)] = _out(graph, "endpoint-config:cfg", Relation.SERVES)
    assert target == "model:churn-model"
    assert data["match"] == "name"
    assert data["variant"] == "prod"
    assert graph.kind(target) == NodeKind.MODEL


def test_arn_reference_resolves_case_insensitively() -> None:
    tuning_arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/Churn-HPO"
    graph = build_graph(_result(
        (RecordKind.TRAINING_JOB, {"TrainingJobName": "t1",
                                   "TuningJobArn": tuning_arn.lower()}),
        (RecordKind.TUNING_JOB, {"HyperParameterTuningJobName": "Churn-HPO",
                                 "HyperParameterTuningJobArn": tuning_arn}),
    ))

    [(target, data)] = _out(graph, "training-job:t1", Relation.CHILD_OF)
    assert target == tuning_arn
    assert data["match"] == "arn"


def test_arn_reference_name_fallback() -> None:
    graph = build_graph(_result(
        (RecordKind.PROCESSING_JOB, {
            "ProcessingJobName": "eval",
            "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/train-1"}),
        (RecordKind.TRAINING_JOB, {"TrainingJobName": "train-1"}),
    ))

    [(target, data)] = _out(graph, "processing-job:eval", Relation.EVALUATES)
    assert target == "training-job:train-1"
    assert data["match"] == "name"


def test_name_reference_does_not_cross_regions() -> None:
    graph = build_graph(_result(
        (RecordKind.ENDPOINT, {"EndpointName": "ep", "EndpointConfigName": "cfg",
                               RECORD_META: {"account": ACCOUNT, "region": "eu-west-1"}}),
        (RecordKind.ENDPOINT_CONFIG, {"EndpointConfigName": "cfg",
                                      RECORD_META: {"account": ACCOUNT, "region": REGION}}),
    ))

    endpoint = f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:endpoint/ep"
    [(target, _)] = _out(graph, endpoint, Relation.USES_CONFIG)
    assert target == f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:endpoint-config/cfg"
    assert graph.kind(target) == NodeKind.EXTERNAL


def test_unresolved_reference_becomes_one_external_node() -> None:
    graph = build_graph(_result(
        (RecordKind.ENDPOINT_CONFIG, {"EndpointConfigName": "a", "ProductionVariants": [
            {"VariantName": "v", "ModelName": "gone"}]}),
        (RecordKind.ENDPOINT_CONFIG, {"EndpointConfigName": "b", "ProductionVariants": [
            {"VariantName": "v", "ModelName": "GONE"}]}),
    ))

    externals = list(graph.nodes_of_kind(NodeKind.EXTERNAL))
    assert externals == ["model:gone"]
    node = graph.node("model:gone")
    assert node["status"] == PlaceholderStatus.OUTSIDE_CRAWL.value
    assert "not crawled" in node["reason"]
    assert node["ref_kind"] == "model"
    assert graph.meta["report"]["external"] == ["model:gone"]


def test_foreign_account_reference_is_other_account() -> None:
    foreign = "arn:aws:sagemaker:us-east-1:444455556666:model-package/vendor-pkg"
    graph = build_graph(_result(
        (RecordKind.MODEL, {"ModelName": "vendor", "ModelArn":
                            f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/vendor",
                            "PrimaryContainer": {"ModelPackageName": foreign}}),
    ))

    node = graph.node(foreign)
    assert node["kind"] == NodeKind.EXTERNAL
    assert node["status"] == PlaceholderStatus.OTHER_ACCOUNT.value
    assert "444455556666" in node["reason"]


def test_placeholder_record_becomes_external_node() -> None:
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/old-cfg"
    graph = build_graph(_result(
        (RecordKind.ENDPOINT, {"EndpointName": "ep", "EndpointConfigName": "old-cfg",
                               "EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/ep"}),
        (RecordKind.ENDPOINT_CONFIG, {
            "EndpointConfigName": "old-cfg", "EndpointConfigArn": arn,
            RECORD_META: {"account": ACCOUNT, "region": REGION, "source": "describe",
                          "status": PlaceholderStatus.DELETED.value,
                          "reason": "Could not find endpoint configuration"}}),
    ))

    node = graph.node(arn)
    assert node["kind"] == NodeKind.EXTERNAL
    assert node["status"] == PlaceholderStatus.DELETED.value
    assert node["reason"] == "Could not find endpoint configuration"
    [(target, _)] = _out(graph, f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/ep",
                         Relation.USES_CONFIG)
    assert target == arn
    assert graph.meta["coverage"]["placeholders"]["EndpointConfig"] == 1


def test_placeholder_ignored_when_full_record_present() -> None:
    graph = build_graph(_result(
        (RecordKind.MODEL, {"ModelName": "m", RECORD_META: {
            "status": PlaceholderStatus.THROTTLED.value, "reason": "throttled"}}),
        (RecordKind.MODEL, {"ModelName": "m"}),
    ))

    node = graph.node("model:m")
    assert node["kind"] == NodeKind.MODEL
    assert "status" not in node
    assert list(graph.nodes_of_kind(NodeKind.EXTERNAL)) == []


def test_malformed_record_skipped_with_warning() -> None:
    result = _result(
        (RecordKind.MODEL, {"PrimaryContainer": {"Image": "x"}}),
        (RecordKind.MODEL, "not a record"),
        (RecordKind.MODEL, {"ModelName": "good"}),
    )

    graph = build_graph(result)

    assert list(graph.nodes_of_kind(NodeKind.MODEL)) == ["model:good"]
    warnings = graph.meta["warnings"]
    assert len(warnings) == 2
    assert all("skipped a Model record" in warning for warning in warnings)
    assert graph.meta["report"]["warnings"] == warnings
    assert result.report.warnings == []


def test_records_in_any_order_same_graph() -> None:
    records = [
        (RecordKind.ENDPOINT, {"EndpointName": "ep", "EndpointConfigName": "cfg"}),
        (RecordKind.ENDPOINT_CONFIG, {"EndpointConfigName": "cfg", "ProductionVariants": [
            {"VariantName": "v", "ModelName": "m"}]}),
        (RecordKind.MODEL, {"ModelName": "m", "PrimaryContainer": {
            "ModelDataUrl": "s3://b/models/t/output/model.tar.gz"}}),
        (RecordKind.TRAINING_JOB, {"TrainingJobName": "t", "ModelArtifacts": {
            "S3ModelArtifacts": "s3://b/models/t/output/model.tar.gz"}}),
    ]

    forward = build_graph(_result(*records))
    backward = build_graph(_result(*reversed(records)))

    assert _shape(forward) == _shape(backward)
    assert list(forward.nodes_of_kind(NodeKind.EXTERNAL)) == []
    assert forward.upstream("endpoint:ep").keys() >= {"training-job:t", "model:m"}


def test_endpoint_outputs_come_from_live_config_only() -> None:
    graph = build_graph(_result(
        (RecordKind.ENDPOINT, {"EndpointName": "ep", "EndpointConfigName": "live",
                               "PendingDeploymentSummary": {"EndpointConfigName": "next"}}),
        (RecordKind.ENDPOINT_CONFIG, {
            "EndpointConfigName": "live",
            "AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://b/async-out/"}},
            "DataCaptureConfig": {"DestinationS3Uri": "s3://b/capture/"}}),
        (RecordKind.ENDPOINT_CONFIG, {
            "EndpointConfigName": "next",
            "AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://b/next-out/"}}}),
    ))

    produced = {source for source, _, data in graph.in_edges("endpoint:ep")
                if data["relation"] == Relation.PRODUCED_BY}
    assert produced == {"s3://b/async-out/", "s3://b/capture/"}
    assert graph.node("s3://b/async-out/")["kind"] == NodeKind.DATASET
    assert "s3://b/next-out/" not in graph


def test_artifact_inside_processing_output_prefix_joins_job() -> None:
    graph = build_graph(_result(
        (RecordKind.MODEL, {"ModelName": "m", "Containers": [
            {"ContainerHostname": "prep", "ModelDataUrl": "s3://b/spark/prep/output/model.tar.gz"},
            {"ContainerHostname": "xgb", "ModelDataUrl": "s3://b/spark/prep/output-x/model.tar.gz"},
        ]}),
        (RecordKind.PROCESSING_JOB, {"ProcessingJobName": "prep", "ProcessingOutputConfig": {
            "Outputs": [{"OutputName": "model", "S3Output": {"S3Uri": "s3://b/spark/prep/output/"}}]}}),
    ))

    joined = _out(graph, "s3://b/spark/prep/output/model.tar.gz", Relation.PRODUCED_BY)
    assert [(target, data["match"]) for target, data in joined] == [
        ("processing-job:prep", "prefix")
    ]
    # `output/` with its slash does not cover `output-x/`.
    assert _out(graph, "s3://b/spark/prep/output-x/model.tar.gz", Relation.PRODUCED_BY) == []


def test_training_artifact_not_joined_to_processing_prefix() -> None:
    graph = build_graph(_result(
        (RecordKind.TRAINING_JOB, {"TrainingJobName": "t", "ModelArtifacts": {
            "S3ModelArtifacts": "s3://b/models/t/output/model.tar.gz"}}),
        (RecordKind.PROCESSING_JOB, {"ProcessingJobName": "p", "ProcessingOutputConfig": {
            "Outputs": [{"OutputName": "all", "S3Output": {"S3Uri": "s3://b/models/"}}]}}),
    ))

    joined = _out(graph, "s3://b/models/t/output/model.tar.gz", Relation.PRODUCED_BY)
    assert [target for target, _ in joined] == ["training-job:t"]


def test_endpoint_notes_uncrawled_inference_components() -> None:
    records = [
        (RecordKind.ENDPOINT, {"EndpointName": "ep-ic", "EndpointConfigName": "cfg-ic"}),
        (RecordKind.ENDPOINT_CONFIG, {"EndpointConfigName": "cfg-ic", "ProductionVariants": [
            {"VariantName": "AllTraffic", "InstanceType": "ml.g5.2xlarge"}]}),
    ]

    without = build_graph(_result(*records))
    with_components = build_graph(_result(*records, (RecordKind.INFERENCE_COMPONENT, {
        "InferenceComponentName": "ic-a", "EndpointName": "ep-ic", "VariantName": "AllTraffic",
        "Specification": {"ModelName": "llm-a"}})))

    assert "not crawled" in without.node("endpoint:ep-ic")["note"]
    assert with_components.node("endpoint:ep-ic")["note"] == "models via inference components"
    upstream = with_components.upstream("endpoint:ep-ic")
    assert upstream["inference-component:ic-a"] == 1
    assert upstream["model:llm-a"] == 2


def test_coverage_metadata() -> None:
    result = _result(
        (RecordKind.TRAINING_JOB, {"TrainingJobName": "t",
                                   RECORD_META: {"account": ACCOUNT, "region": REGION}}),
        (RecordKind.MODEL, {"ModelName": "m", RECORD_META: {"account": ACCOUNT,
                                                            "region": "eu-west-1"}}),
    )
    result.report.finished = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
    result.report.denied = ["ModelPackage"]

    coverage = build_graph(result).meta["coverage"]

    assert coverage["accounts"] == [ACCOUNT]
    assert coverage["regions"] == ["eu-west-1", REGION]
    assert coverage["counts"] == {"TrainingJob": 1, "Model": 1}
    assert coverage["crawled_at"] == "2024-06-01T12:00:00+00:00"
    assert coverage["denied"] == ["ModelPackage"]


def test_empty_result_builds_empty_graph() -> None:
    graph = build_graph(CrawlResult())

    assert len(graph) == 0
    assert graph.meta["warnings"] == []
    assert graph.meta["coverage"]["counts"] == {}


# --- helpers --------------------------------------------------------------------------------------


def _result(*records: tuple[RecordKind, Any]) -> CrawlResult:
    result = CrawlResult()
    for kind, record in records:
        result.add(kind, record)
    return result


def _out(graph: LineageGraph, node: str, relation: Relation) -> list[tuple[str, dict[str, Any]]]:
    return [(target, data) for _, target, data in graph.out_edges(node)
            if data["relation"] == relation]


def _shape(graph: LineageGraph) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    nodes = sorted((node, graph.kind(node).value) for node in graph.nx.nodes)
    edges = sorted((s, t, data["relation"].value) for s, t, data in graph.edges())
    return nodes, edges
