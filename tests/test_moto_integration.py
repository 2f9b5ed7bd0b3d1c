"""Crawl a moto SageMaker server over HTTP with a real boto3 client.

moto 5.2 limits what this can check: its `search` rejects Resource="Model" and
"HyperParameterTuningJob" (AWS accepts both), so those kinds go through list and describe here.
It ignores MaxResults, and it has no inference component operations.
"""

from __future__ import annotations

from typing import Any

import pytest

moto_server = pytest.importorskip("moto.server")

from lineage.clients import make_client  # noqa: E402
from lineage.crawl.crawler import crawl  # noqa: E402
from lineage.crawl.result import RECORD_META, CrawlResult, RecordKind  # noqa: E402

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1"
JOB = "churn-train-0503"
TRAIN_DATA = "s3://example-bucket/data/train/"


@pytest.fixture(scope="module")
def endpoint_url(moto_url: str) -> str:
    """Return the URL of the suite's moto server, with this module's account created."""
    _create_account(make_client(region=REGION, endpoint_url=moto_url))
    return moto_url


@pytest.fixture(scope="module")
def crawled(endpoint_url: str) -> CrawlResult:
    client = make_client(region=REGION, endpoint_url=endpoint_url)
    return crawl(client, sleep=lambda _: None, max_attempts=2)


def test_make_client_disables_botocore_retries(endpoint_url: str) -> None:
    client = make_client(region=REGION, endpoint_url=endpoint_url)

    assert client.meta.config.retries["total_max_attempts"] == 1
    assert client.meta.endpoint_url == endpoint_url
    assert client.meta.region_name == REGION


def test_training_job_read_by_search_with_tags(crawled: CrawlResult) -> None:
    jobs = {j["TrainingJobName"]: j for j in crawled.of(RecordKind.TRAINING_JOB)}

    job = jobs[JOB]
    assert job[RECORD_META]["source"] == "search"
    assert {t["Key"]: t["Value"] for t in job["Tags"]} == {"Project": "churn"}
    assert job["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == TRAIN_DATA
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == _artifact()


def test_model_falls_back_to_list_and_describe(crawled: CrawlResult) -> None:
    models = {m["ModelName"]: m for m in crawled.of(RecordKind.MODEL)}

    assert models["churn-model"][RECORD_META]["source"] == "describe"
    assert models["churn-model"]["PrimaryContainer"]["ModelDataUrl"] == _artifact()
    assert crawled.report.calls["list_models"] >= 1
    assert any("search for Model" in warning for warning in crawled.report.warnings)


def test_endpoint_and_config_are_read(crawled: CrawlResult) -> None:
    endpoints = [e["EndpointName"] for e in crawled.of(RecordKind.ENDPOINT)]
    configs = crawled.of(RecordKind.ENDPOINT_CONFIG)

    assert endpoints == ["churn-ep"]
    assert [c["EndpointConfigName"] for c in configs] == ["churn-config"]
    assert configs[0]["ProductionVariants"][0]["ModelName"] == "churn-model"
    assert crawled.report.calls["describe_endpoint_config"] == 1


def test_jobs_and_registry_are_read(crawled: CrawlResult) -> None:
    processing = [p["ProcessingJobName"] for p in crawled.of(RecordKind.PROCESSING_JOB)]
    packages = crawled.of(RecordKind.MODEL_PACKAGE)
    groups = [g["ModelPackageGroupName"] for g in crawled.of(RecordKind.MODEL_PACKAGE_GROUP)]

    assert processing == ["prep-1"]
    assert [p["ModelPackageGroupName"] for p in packages] == ["churn-models"]
    assert groups == ["churn-models"]


def test_report_names_account_and_region(crawled: CrawlResult) -> None:
    report = crawled.report

    assert report.accounts == ["123456789012"]
    assert report.regions == [REGION]
    assert report.denied == []
    assert report.counts[RecordKind.TRAINING_JOB.value] == 1
    # moto returns HTTP 500 for the unimplemented list_inference_components, so that kind
    # is retried and then marked partial while the rest of the crawl goes on.
    assert report.partial == ["InferenceComponent: stopped at page 1"]


def test_graph_joins_endpoint_to_dataset(crawled: CrawlResult) -> None:
    build = pytest.importorskip("lineage.build")
    from lineage.graph import NodeKind, Relation

    graph = build.build_graph(crawled)
    endpoint = graph.resolve("churn-ep", kinds=[NodeKind.ENDPOINT])

    config = _follow(graph, endpoint, Relation.USES_CONFIG)
    model = _follow(graph, config, Relation.SERVES)
    artifact = _follow(graph, model, Relation.LOADS)
    job = _follow(graph, artifact, Relation.PRODUCED_BY)
    dataset = _follow(graph, job, Relation.TRAINED_ON)
    assert graph.kind(config) is NodeKind.ENDPOINT_CONFIG
    assert graph.kind(model) is NodeKind.MODEL
    assert graph.kind(artifact) is NodeKind.ARTIFACT
    assert graph.kind(job) is NodeKind.TRAINING_JOB
    assert graph.node(job)["label"] == JOB
    assert dataset == TRAIN_DATA


def _follow(graph: Any, node: str, relation: Any) -> str:
    targets = [t for _, t, data in graph.out_edges(node) if data.get("relation") == relation]
    assert len(targets) == 1, f"{node} has {len(targets)} {relation.value} edges"
    return targets[0]


def _artifact() -> str:
    return f"s3://example-bucket/models/{JOB}/output/model.tar.gz"


def _create_account(client: Any) -> None:
    """Create one chain endpoint -> config -> model -> artifact -> job -> dataset, and more."""
    client.create_training_job(
        TrainingJobName=JOB,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": TRAIN_DATA}}}],
        OutputDataConfig={"S3OutputPath": "s3://example-bucket/models"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        HyperParameters={"eta": "0.1"},
        Tags=[{"Key": "Project", "Value": "churn"}],
    )
    client.create_model(
        ModelName="churn-model",
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": _artifact()},
        ExecutionRoleArn=ROLE,
    )
    client.create_endpoint_config(
        EndpointConfigName="churn-config",
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "churn-model",
                             "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}],
    )
    client.create_endpoint(EndpointName="churn-ep", EndpointConfigName="churn-config")
    client.create_processing_job(
        ProcessingJobName="prep-1",
        ProcessingResources={"ClusterConfig": {
            "InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}},
        AppSpecification={"ImageUri": IMAGE},
        RoleArn=ROLE,
        ProcessingInputs=[{"InputName": "raw", "S3Input": {
            "S3Uri": "s3://example-bucket/raw/", "LocalPath": "/opt/ml/processing/input",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "train", "S3Output": {
            "S3Uri": TRAIN_DATA, "LocalPath": "/opt/ml/processing/train",
            "S3UploadMode": "EndOfJob"}}]},
    )
    client.create_model_package_group(ModelPackageGroupName="churn-models")
    client.create_model_package(
        ModelPackageGroupName="churn-models",
        InferenceSpecification={
            "Containers": [{"Image": IMAGE, "ModelDataUrl": _artifact()}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )


def test_moto_server_listens_on_loopback(endpoint_url: str) -> None:
    assert endpoint_url.startswith("http://127.0.0.1:")
