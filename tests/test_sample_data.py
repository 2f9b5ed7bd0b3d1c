"""The sample account: files match the generator, shapes match botocore, the story holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lineage.build import build_graph
from lineage.crawl.crawler import crawl
from lineage.crawl.result import CrawlResult
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.identity import artifact_uri, decode_hyperparameter, match_s3, parse_s3_uri
from lineage.recording import RecordingClient, load_recording
from sample_data import generate as story
from tests.conftest import REPO_ROOT
from tests.recordings import search_all, shape_problems

SAMPLE_DIR = REPO_ROOT / "sample_data"
FILES = (story.BEFORE_FILE, story.AFTER_FILE)
SEARCH_RESOURCES = ("TrainingJob", "Model", "Endpoint", "ModelPackage", "HyperParameterTuningJob")


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return {name: load_recording(SAMPLE_DIR / name) for name in FILES}


@pytest.fixture(scope="module")
def before(documents: dict[str, dict[str, Any]]) -> Recorded:
    return Recorded(documents[story.BEFORE_FILE])


@pytest.fixture(scope="module")
def after(documents: dict[str, dict[str, Any]]) -> Recorded:
    return Recorded(documents[story.AFTER_FILE])


# --- The files ----------------------------------------------------------------------------


def test_files_match_generator_output(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "sample_data.generate", "--out", str(tmp_path)],
        cwd=REPO_ROOT, check=True, capture_output=True,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
    )
    for name in FILES:
        regenerated = (tmp_path / name).read_text(encoding="utf-8")
        shipped = (SAMPLE_DIR / name).read_text(encoding="utf-8")
        assert regenerated == shipped, (
            f"sample_data/{name} is out of date; run `python -m sample_data.generate`"
        )


def test_generation_is_deterministic() -> None:
    first = story.build_recordings()
    second = story.build_recordings()
    for name in FILES:
        assert story.render(first[name]) == story.render(second[name])


@pytest.mark.parametrize("name", FILES)
def test_recording_header(documents: dict[str, dict[str, Any]], name: str) -> None:
    document = documents[name]
    assert document["account"] == story.ACCOUNT
    assert document["region"] == story.REGION
    assert document["description"]
    expected = story.BEFORE_RECORDED_AT if name == story.BEFORE_FILE else story.AFTER_RECORDED_AT
    assert document["recorded_at"] == expected.isoformat()


@pytest.mark.parametrize("name", FILES)
def test_responses_match_botocore_shapes(documents: dict[str, dict[str, Any]], name: str) -> None:
    problems = shape_problems(documents[name])
    assert not problems, "\n".join(problems[:5])


@pytest.mark.parametrize("name", FILES)
def test_full_crawl_operations_answered(documents: dict[str, dict[str, Any]], name: str) -> None:
    responses = documents[name]["responses"]
    for operation in (
        "search", "describe_endpoint_config", "list_processing_jobs", "describe_processing_job",
        "list_transform_jobs", "describe_transform_job", "list_model_package_groups",
        "list_inference_components",
    ):
        assert operation in responses, f"{name} has no {operation} responses"


@pytest.mark.parametrize("name", FILES)
def test_every_referenced_config_is_described(
    documents: dict[str, dict[str, Any]], name: str
) -> None:
    recorded = Recorded(documents[name])
    for endpoint in recorded.search("Endpoint"):
        config = recorded.client.describe_endpoint_config(
            EndpointConfigName=endpoint["EndpointConfigName"]
        )
        assert config["EndpointConfigName"] == endpoint["EndpointConfigName"]


@pytest.mark.parametrize("name", FILES)
def test_every_listed_job_is_described(documents: dict[str, dict[str, Any]], name: str) -> None:
    recorded = Recorded(documents[name])
    for summary in recorded.client.list_processing_jobs()["ProcessingJobSummaries"]:
        job = recorded.client.describe_processing_job(
            ProcessingJobName=summary["ProcessingJobName"]
        )
        assert job["ProcessingJobArn"] == summary["ProcessingJobArn"]
    for summary in recorded.client.list_transform_jobs()["TransformJobSummaries"]:
        job = recorded.client.describe_transform_job(TransformJobName=summary["TransformJobName"])
        assert job["TransformJobArn"] == summary["TransformJobArn"]


@pytest.mark.parametrize("name", FILES)
def test_names_are_unique(documents: dict[str, dict[str, Any]], name: str) -> None:
    recorded = Recorded(documents[name])
    for resource, key in (
        ("TrainingJob", "TrainingJobName"), ("Endpoint", "EndpointName"),
        ("HyperParameterTuningJob", "HyperParameterTuningJobName"),
    ):
        names = [record[key].lower() for record in recorded.search(resource)]
        assert len(names) == len(set(names)), f"duplicate {resource} names in {name}"
    model_names = [model["ModelName"].lower() for model in recorded.models()]
    assert len(model_names) == len(set(model_names))


# --- Required content -----------------------------------------------------------------------


def test_counts_meet_minimums(before: Recorded) -> None:
    assert len(before.search("Endpoint")) >= 3
    assert len(before.models()) >= 12
    assert len(before.search("TrainingJob")) >= 60
    assert len(before.client.list_transform_jobs()["TransformJobSummaries"]) >= 1
    assert len(before.search("HyperParameterTuningJob")) >= 1


def test_ab_endpoint_has_weighted_variants(before: Recorded) -> None:
    endpoint = before.endpoint(story.ENDPOINT)
    weights = {v["VariantName"]: v["CurrentWeight"] for v in endpoint["ProductionVariants"]}
    assert weights == {
        story.MAIN_VARIANT: story.MAIN_VARIANT_WEIGHT,
        story.CHALLENGER_VARIANT: story.CHALLENGER_VARIANT_WEIGHT,
    }


def test_serverless_endpoint(before: Recorded) -> None:
    endpoint = before.endpoint(story.SERVERLESS_ENDPOINT)
    variant = endpoint["ProductionVariants"][0]
    assert variant["CurrentServerlessConfig"]["MemorySizeInMB"] == story.SERVERLESS_MEMORY_MB
    assert "CurrentInstanceCount" not in variant
    config = before.config(story.SERVERLESS_CONFIG)
    assert "ServerlessConfig" in config["ProductionVariants"][0]
    assert "InstanceType" not in config["ProductionVariants"][0]


def test_shadow_endpoint(before: Recorded) -> None:
    endpoint = before.endpoint(story.SHADOW_ENDPOINT)
    assert [v["VariantName"] for v in endpoint["ShadowProductionVariants"]] == [
        story.SHADOW_VARIANT
    ]
    config = before.config(story.SHADOW_CONFIG)
    assert config["ShadowProductionVariants"][0]["ModelName"] == story.SHADOW_MODEL
    assert config["ProductionVariants"][0]["ModelName"] == story.PIPELINE_MODEL


def test_pipeline_model_containers_come_from_training_jobs(before: Recorded) -> None:
    model = before.model(story.PIPELINE_MODEL)
    containers = model["Containers"]
    assert "PrimaryContainer" not in model
    assert [c["ContainerHostname"] for c in containers] == ["preprocess", "xgboost"]
    assert model["InferenceExecutionConfig"]["Mode"] == "Serial"
    producers = [before.job_with_artifact(c["ModelDataUrl"]) for c in containers]
    assert [job["TrainingJobName"] for job in producers] == [
        story.PREPROCESS_JOB, story.FRAUD_JOB,
    ]


def test_package_model_names_versioned_package(before: Recorded) -> None:
    model = before.model(story.PACKAGE_MODEL)
    assert model["PrimaryContainer"]["ModelPackageName"] == story.PACKAGE_ARN
    packages = {p["ModelPackageArn"]: p for p in before.search("ModelPackage")}
    package = packages[story.PACKAGE_ARN]
    assert package["ModelPackageGroupName"] == story.PACKAGE_GROUP
    assert package["ModelPackageVersion"] == 1
    groups = before.client.list_model_package_groups()["ModelPackageGroupSummaryList"]
    assert story.PACKAGE_GROUP in [g["ModelPackageGroupName"] for g in groups]


def test_manual_model_has_no_training_job(before: Recorded) -> None:
    model = before.model(story.MANUAL_MODEL)
    assert model["PrimaryContainer"]["ModelDataUrl"] == story.MANUAL_ARTIFACT
    assert before.job_with_artifact(story.MANUAL_ARTIFACT) is None
    assert model["ModelArn"].endswith("model/" + story.MANUAL_MODEL.lower())


def test_tuning_children_point_to_tuning_job(before: Recorded) -> None:
    tuning = before.search_one("HyperParameterTuningJob", story.TUNING_JOB)
    config = tuning["HyperParameterTuningJobConfig"]
    assert config["HyperParameterTuningJobObjective"] == {
        "Type": story.TUNING_OBJECTIVE[0], "MetricName": story.TUNING_OBJECTIVE[1],
    }
    children = [
        job for job in before.search("TrainingJob")
        if job.get("TuningJobArn") == tuning["HyperParameterTuningJobArn"]
    ]
    assert len(children) == story.TUNING_CHILD_COUNT
    best = tuning["BestTrainingJob"]
    assert best["TunedHyperParameters"]["eta"] == story.ETA_BEFORE
    assert best["TrainingJobName"] in [job["TrainingJobName"] for job in children]


def test_builtin_and_custom_images(before: Recorded) -> None:
    jobs = before.search("TrainingJob")
    images = {job["AlgorithmSpecification"]["TrainingImage"] for job in jobs}
    assert story.XGBOOST_IMAGE in images
    assert story.LINEAR_LEARNER_IMAGE in images
    assert any(image.startswith(f"{story.ACCOUNT}.dkr.ecr.") for image in images)


def test_quoted_hyperparameters_present(before: Recorded) -> None:
    quoted = [
        (job["TrainingJobName"], key, value)
        for job in before.search("TrainingJob")
        for key, value in job["HyperParameters"].items()
        if value.startswith('"')
    ]
    assert any(key == "sagemaker_program" for _, key, _ in quoted)
    assert any(not key.startswith("sagemaker_") for _, key, _ in quoted)
    for _, _, value in quoted:
        assert decode_hyperparameter(value) != value


def test_metrics_and_tags_present(before: Recorded) -> None:
    metric_names = {
        metric["MetricName"]
        for job in before.search("TrainingJob")
        for metric in job.get("FinalMetricDataList", [])
    }
    assert {"validation:auc", "train:binary_classification_accuracy", "validation:rmse"} <= (
        metric_names
    )
    tag_keys = {tag["Key"] for job in before.search("TrainingJob") for tag in job["Tags"]}
    assert {"Project", "Owner", "customer", "industry"} <= tag_keys


def test_datasets_produced_by_processing_jobs(before: Recorded) -> None:
    producers = before.dataset_producers()
    assert producers[story.DATASET_BEFORE] == story.PREP_JOB_BEFORE
    assert producers[story.DATASET_AFTER] == story.PREP_JOB_AFTER
    assert producers[story.HOLDOUT_PREFIX] == story.HOLDOUT_SPLIT_JOB


@pytest.mark.parametrize("recording", ["before", "after"])
def test_holdout_prefix_unused_by_training(recording: str, request: pytest.FixtureRequest) -> None:
    recorded: Recorded = request.getfixturevalue(recording)
    holdout = parse_s3_uri(story.HOLDOUT_PREFIX)
    readers = [
        job["TrainingJobName"]
        for job in recorded.search("TrainingJob")
        for uri in _channel_uris(job)
        if match_s3(holdout, parse_s3_uri(uri), recorded_is_prefix=True) is not None
    ]
    assert readers == []


def test_transform_job_reads_scoring_prefix(before: Recorded) -> None:
    job = before.client.describe_transform_job(TransformJobName=story.TRANSFORM_JOB)
    assert job["ModelName"] == story.MODEL_BEFORE
    assert job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == story.SCORING_PREFIX


# --- The regression story -------------------------------------------------------------------


def test_before_endpoint_serves_job_a(before: Recorded) -> None:
    endpoint = before.endpoint(story.ENDPOINT)
    assert endpoint["EndpointConfigName"] == story.CONFIG_BEFORE
    assert endpoint["LastModifiedTime"] == story.ENDPOINT_MODIFIED_BEFORE
    job = before.main_job(story.CONFIG_BEFORE)
    assert job["TrainingJobName"] == story.JOB_BEFORE
    assert story.DATASET_BEFORE in _channel_uris(job)
    assert job["HyperParameters"]["eta"] == story.ETA_BEFORE
    assert _metrics(job)["validation:auc"] == story.AUC_BEFORE


def test_after_endpoint_serves_job_b(after: Recorded) -> None:
    endpoint = after.endpoint(story.ENDPOINT)
    assert endpoint["EndpointConfigName"] == story.CONFIG_AFTER
    assert endpoint["LastModifiedTime"] == story.ENDPOINT_MODIFIED_AFTER
    job = after.main_job(story.CONFIG_AFTER)
    assert job["TrainingJobName"] == story.JOB_AFTER
    assert story.DATASET_AFTER in _channel_uris(job)
    assert story.DATASET_BEFORE not in _channel_uris(job)
    assert job["HyperParameters"]["eta"] == story.ETA_AFTER
    assert _metrics(job)["validation:auc"] == story.AUC_AFTER
    assert story.AUC_AFTER < story.AUC_BEFORE


def test_before_config_and_model_remain_after(after: Recorded) -> None:
    assert after.config(story.CONFIG_BEFORE)["ProductionVariants"][0]["ModelName"] == (
        story.MODEL_BEFORE
    )
    assert after.model(story.MODEL_BEFORE)["ModelName"] == story.MODEL_BEFORE


def test_after_config_absent_before(before: Recorded) -> None:
    names = {model["ModelName"] for model in before.models()}
    assert story.MODEL_AFTER not in names
    with pytest.raises(Exception, match="Could not find"):
        before.client.describe_endpoint_config(EndpointConfigName=story.CONFIG_AFTER)


def test_after_adds_training_jobs(before: Recorded, after: Recorded) -> None:
    before_names = {job["TrainingJobName"] for job in before.search("TrainingJob")}
    after_names = {job["TrainingJobName"] for job in after.search("TrainingJob")}
    assert before_names < after_names
    assert after_names - before_names == set(story.JOBS_ADDED_AFTER)


def test_dashboard_model_lists_serving_endpoint(before: Recorded, after: Recorded) -> None:
    assert [e["EndpointName"] for e in before.dashboard(story.MODEL_BEFORE)["Endpoints"]] == [
        story.ENDPOINT
    ]
    assert after.dashboard(story.MODEL_BEFORE)["Endpoints"] == []


# --- Crawled and built ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def crawls(documents: dict[str, dict[str, Any]]) -> dict[str, CrawlResult]:
    return {
        name: crawl(RecordingClient(document, source=name), sleep=_no_sleep)
        for name, document in documents.items()
    }


@pytest.mark.parametrize("name", FILES)
def test_crawl_report_is_clean(crawls: dict[str, CrawlResult], name: str) -> None:
    report = crawls[name].report
    assert report.denied == []
    assert report.warnings == []
    assert report.partial == []
    assert report.unresolved == {}
    assert report.external == []


@pytest.mark.parametrize("name", FILES)
def test_crawl_reads_every_record(
    crawls: dict[str, CrawlResult], documents: dict[str, dict[str, Any]], name: str
) -> None:
    recorded = Recorded(documents[name])
    counts = crawls[name].report.counts
    for resource in SEARCH_RESOURCES:
        assert counts.get(resource, 0) == len(recorded.search(resource)), resource
    processing = recorded.client.list_processing_jobs()["ProcessingJobSummaries"]
    assert counts["ProcessingJob"] == len(processing)
    assert counts["EndpointConfig"] == len(recorded.search("Endpoint"))


@pytest.mark.parametrize(
    ("name", "config", "job", "dataset", "eta", "auc"),
    [
        (story.BEFORE_FILE, story.CONFIG_BEFORE, story.JOB_BEFORE, story.DATASET_BEFORE,
         story.ETA_BEFORE, story.AUC_BEFORE),
        (story.AFTER_FILE, story.CONFIG_AFTER, story.JOB_AFTER, story.DATASET_AFTER,
         story.ETA_AFTER, story.AUC_AFTER),
    ],
)
def test_graph_chain_of_churn_prod(
    crawls: dict[str, CrawlResult],
    name: str, config: str, job: str, dataset: str, eta: str, auc: float,
) -> None:
    graph = build_graph(crawls[name])
    endpoint = graph.resolve(story.ENDPOINT, [NodeKind.ENDPOINT])

    config_id = _follow(graph, endpoint, Relation.USES_CONFIG)
    assert graph.node(config_id)["label"] == config

    model_id = _follow(graph, config_id, Relation.SERVES, variant=story.MAIN_VARIANT)
    artifact_id = _follow(graph, model_id, Relation.LOADS)
    job_id = _follow(graph, artifact_id, Relation.PRODUCED_BY)
    assert graph.node(job_id)["label"] == job
    assert graph.node(job_id)["hyperparameters_decoded"]["eta"] == eta
    assert graph.node(job_id)["metrics"]["validation:auc"] == auc

    dataset_id = _follow(graph, job_id, Relation.TRAINED_ON, channel="train")
    assert dataset_id == dataset
    producer = _follow(graph, dataset_id, Relation.PRODUCED_BY)
    assert graph.kind(producer) == NodeKind.PROCESSING_JOB


@pytest.mark.parametrize("name", FILES)
def test_graph_holdout_has_no_training_reader(crawls: dict[str, CrawlResult], name: str) -> None:
    graph = build_graph(crawls[name])
    holdout = story.HOLDOUT_PREFIX
    assert graph.kind(holdout) == NodeKind.DATASET
    readers = [
        source for source, _, attrs in graph.in_edges(holdout)
        if attrs["relation"] == Relation.TRAINED_ON
    ]
    assert readers == []
    split_job = _follow(graph, holdout, Relation.PRODUCED_BY)
    assert graph.node(split_job)["label"] == story.HOLDOUT_SPLIT_JOB


def test_graph_pipeline_model_loads_two_artifacts(crawls: dict[str, CrawlResult]) -> None:
    graph = build_graph(crawls[story.BEFORE_FILE])
    model = graph.resolve(story.PIPELINE_MODEL, [NodeKind.MODEL])
    jobs = sorted(
        graph.node(_follow(graph, artifact, Relation.PRODUCED_BY))["label"]
        for _, artifact, attrs in graph.out_edges(model)
        if attrs["relation"] == Relation.LOADS
    )
    assert jobs == sorted([story.PREPROCESS_JOB, story.FRAUD_JOB])


# --- Helpers --------------------------------------------------------------------------------


class Recorded:
    """Read access to one recording through RecordingClient, as the crawler would call it."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.client = RecordingClient(document, source="sample recording")
        self._search: dict[str, list[dict[str, Any]]] = {}

    def search(self, resource: str) -> list[dict[str, Any]]:
        if resource not in self._search:
            self._search[resource] = search_all(self.client, resource)
        return self._search[resource]

    def search_one(self, resource: str, name: str) -> dict[str, Any]:
        key = {"HyperParameterTuningJob": "HyperParameterTuningJobName"}.get(
            resource, f"{resource}Name"
        )
        matches = [record for record in self.search(resource) if record[key] == name]
        assert len(matches) == 1, f"expected one {resource} named {name}, found {len(matches)}"
        return matches[0]

    def endpoint(self, name: str) -> dict[str, Any]:
        return self.search_one("Endpoint", name)

    def dashboard(self, model_name: str) -> dict[str, Any]:
        matches = [r for r in self.search("Model") if r["Model"]["ModelName"] == model_name]
        assert len(matches) == 1
        return matches[0]

    def models(self) -> list[dict[str, Any]]:
        return [record["Model"] for record in self.search("Model")]

    def model(self, name: str) -> dict[str, Any]:
        return dict(self.dashboard(name)["Model"])

    def config(self, name: str) -> dict[str, Any]:
        return self.client.describe_endpoint_config(EndpointConfigName=name)

    def job_with_artifact(self, uri: str) -> dict[str, Any] | None:
        expected = artifact_uri(uri)
        for job in self.search("TrainingJob"):
            artifact = job.get("ModelArtifacts", {}).get("S3ModelArtifacts")
            if artifact and artifact_uri(artifact) == expected:
                return job
        return None

    def main_job(self, config_name: str) -> dict[str, Any]:
        """Return the training job behind the highest-weight variant of a config."""
        variants = self.config(config_name)["ProductionVariants"]
        main = max(variants, key=lambda v: v.get("InitialVariantWeight", 1.0))
        model = self.model(main["ModelName"])
        job = self.job_with_artifact(model["PrimaryContainer"]["ModelDataUrl"])
        assert job is not None, f"no training job produced the model {model['ModelName']}"
        return job

    def dataset_producers(self) -> dict[str, str]:
        producers: dict[str, str] = {}
        listed = self.client.list_processing_jobs()["ProcessingJobSummaries"]
        for summary in listed:
            job = self.client.describe_processing_job(
                ProcessingJobName=summary["ProcessingJobName"]
            )
            for output in job["ProcessingOutputConfig"]["Outputs"]:
                uri = output["S3Output"]["S3Uri"]
                assert uri not in producers, f"{uri} is written by two processing jobs"
                producers[uri] = job["ProcessingJobName"]
        return producers


def _no_sleep(seconds: float) -> None:
    return None


def _follow(graph: LineageGraph, node: str, relation: Relation, **attrs: Any) -> str:
    """Return the one target of `node`'s out-edges with this relation and edge attributes."""
    targets = [
        target for _, target, edge in graph.out_edges(node)
        if edge["relation"] == relation and all(edge.get(k) == v for k, v in attrs.items())
    ]
    assert len(targets) == 1, f"{node} has {len(targets)} {relation.value} edges {attrs}"
    return targets[0]


def _channel_uris(job: dict[str, Any]) -> list[str]:
    return [
        channel["DataSource"]["S3DataSource"]["S3Uri"]
        for channel in job["InputDataConfig"]
        if "S3DataSource" in channel["DataSource"]
    ]


def _metrics(job: dict[str, Any]) -> dict[str, float]:
    return {metric["MetricName"]: metric["Value"] for metric in job["FinalMetricDataList"]}
