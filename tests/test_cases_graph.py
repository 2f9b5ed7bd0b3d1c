"""The real-world failure fixtures in tests/cases, built into graphs two ways.

Each check runs on a graph built straight from the fixture's describe responses (no crawler)
and on one built through `crawl(RecordingClient(...), seeds=...)`. Node ids differ between the
two (the crawler adds the account, so ids become ARNs), so checks find nodes by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lineage.build import build_graph
from lineage.crawl.crawler import crawl
from lineage.crawl.result import RECORD_META, CrawlResult, RecordKind
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.identity import canonical_s3_uri
from lineage.recording import RecordingClient, decode_timestamps
from tests.conftest import load_case

_DESCRIBE_KINDS = {
    "describe_training_job": RecordKind.TRAINING_JOB,
    "describe_model": RecordKind.MODEL,
    "describe_endpoint": RecordKind.ENDPOINT,
    "describe_endpoint_config": RecordKind.ENDPOINT_CONFIG,
    "describe_model_package": RecordKind.MODEL_PACKAGE,
    "describe_processing_job": RecordKind.PROCESSING_JOB,
    "describe_transform_job": RecordKind.TRANSFORM_JOB,
    "describe_inference_component": RecordKind.INFERENCE_COMPONENT,
}


def check_uncompressed_model_joins_training_job(graph: LineageGraph) -> None:
    model = _find(graph, "llm-ft-0501-model", NodeKind.MODEL)
    job = _find(graph, "llm-ft-0501", NodeKind.TRAINING_JOB)

    upstream = graph.upstream(model)
    assert job in upstream
    assert "s3://example-bucket/llm/data/sft-v3/" in upstream
    [artifact] = [t for _, t, d in graph.out_edges(model) if d["relation"] == Relation.LOADS]
    assert artifact == "s3://example-bucket/llm/sagemaker-output/llm-ft-0501/output/model"
    assert graph.node(artifact)["compressed"] is False


def check_any_spelling_names_channel_dataset(graph: LineageGraph) -> None:
    job = _find(graph, "sales-fcst-q1", NodeKind.TRAINING_JOB)
    spellings = load_case("C08")["query"]["reverse_any_of"]

    for spelling in spellings:
        dataset = canonical_s3_uri(spelling)
        assert dataset in graph, spelling
        assert job in graph.downstream(dataset), spelling


def check_prefix_datasets_keep_slash(graph: LineageGraph) -> None:
    expected = {
        "job-noslash": "s3://example-bucket/data/train",
        "job-slash": "s3://example-bucket/data/train/",
        "job-partition": "s3://example-bucket/events/year=2024/month=01/",
    }

    for name, dataset in expected.items():
        job = _find(graph, name, NodeKind.TRAINING_JOB)
        assert _targets(graph, job, Relation.TRAINED_ON) == [dataset]
        assert graph.node(dataset)["data_type"] == "S3Prefix"
        assert graph.node(dataset)["is_prefix"] is True


def check_manifest_channels_keep_data_type(graph: LineageGraph) -> None:
    job = _find(graph, "img-cls-0301", NodeKind.TRAINING_JOB)
    train = "s3://example-bucket/manifests/train-2024-03.manifest"
    validation = "s3://example-bucket/gt-output/cats-dogs/manifests/output/output.manifest"

    assert sorted(_targets(graph, job, Relation.TRAINED_ON)) == sorted([train, validation])
    assert graph.node(train)["data_type"] == "ManifestFile"
    assert graph.node(validation)["data_type"] == "AugmentedManifestFile"
    assert graph.node(train)["is_prefix"] is False
    channels = {c["channel"]: c["data_type"] for c in graph.node(job)["channels"]}
    assert channels == {"train": "ManifestFile", "validation": "AugmentedManifestFile"}


def check_reference_outside_crawl_is_external(graph: LineageGraph) -> None:
    job = _find(graph, "eval-0502", NodeKind.PROCESSING_JOB)
    old = "arn:aws:sagemaker:us-east-1:111122223333:training-job/old-train-2023-12-30"

    assert _targets(graph, job, Relation.EVALUATES) == [old]
    assert graph.node(old)["kind"] == NodeKind.EXTERNAL
    assert graph.node(old)["status"]
    assert not any(source == target for source, target, _ in graph.edges())


def check_deleted_config_keeps_endpoint(graph: LineageGraph) -> None:
    endpoint = _find(graph, "legacy-ep", NodeKind.ENDPOINT)

    [config] = _targets(graph, endpoint, Relation.USES_CONFIG)
    assert graph.node(config)["kind"] == NodeKind.EXTERNAL
    assert graph.node(config)["label"] == "legacy-ep-config-2023"
    [variant] = graph.node(endpoint)["variants"]
    assert variant["deployed_images"][0]["resolved"].endswith("@sha256:" + "0" * 64)


def check_endpoint_lifecycle(graph: LineageGraph) -> None:
    failed_update = _find(graph, "ep-failed-update", NodeKind.ENDPOINT)
    updating = _find(graph, "ep-updating", NodeKind.ENDPOINT)
    failed = _find(graph, "ep-failed", NodeKind.ENDPOINT)

    assert _labels(graph, failed_update, Relation.USES_CONFIG) == ["cfg-v1"]
    assert graph.node(failed_update)["update_failed"] is True
    assert _labels(graph, updating, Relation.USES_CONFIG) == ["cfg-a"]
    assert _labels(graph, updating, Relation.PENDING_CONFIG) == ["cfg-b"]
    assert graph.node(failed)["variants"] == []
    assert graph.node(failed)["status"] == "Failed"
    assert "ping health check" in graph.node(failed)["failure_reason"]
    assert graph.find("cfg-v2") is None


def check_variant_shapes(graph: LineageGraph) -> None:
    config = _find(graph, "cfg-serverless-shadow", NodeKind.ENDPOINT_CONFIG)
    components = _find(graph, "cfg-ic", NodeKind.ENDPOINT_CONFIG)
    component = _find(graph, "ic-llm-a", NodeKind.INFERENCE_COMPONENT)

    assert _labels(graph, config, Relation.SERVES) == ["model-v7"]
    assert _labels(graph, config, Relation.SERVES_SHADOW) == ["model-v8"]
    prod = graph.node(config)["variants"][0]
    assert prod["summary"] == "serverless 2048 MB"
    assert prod["instance_count"] is None
    assert graph.node(config)["async_output"] == "s3://example-bucket/async-out/"
    # No crawled endpoint uses this config, so the config itself writes its async output.
    async_writers = [t for _, t, d in graph.out_edges("s3://example-bucket/async-out/")
                     if d["relation"] == Relation.PRODUCED_BY]
    assert async_writers == [config]
    assert graph.node(components)["note"] == "models via inference components"
    assert _labels(graph, component, Relation.SERVES) == ["llm-a-model"]
    hosts = [s for s, _, d in graph.in_edges(component) if d["relation"] == Relation.HOSTS]
    assert [graph.node(h)["label"] for h in hosts] == ["ep-ic"]


def check_pipeline_model_every_container(graph: LineageGraph) -> None:
    model = _find(graph, "inference-pipeline-0601", NodeKind.MODEL)
    prep = _find(graph, "prep-0601", NodeKind.PROCESSING_JOB)
    xgb = _find(graph, "xgb-0601", NodeKind.TRAINING_JOB)

    producers = {}
    for artifact in _targets(graph, model, Relation.LOADS):
        producers[artifact] = [(t, d.get("match")) for _, t, d in graph.out_edges(artifact)
                               if d["relation"] == Relation.PRODUCED_BY]
    assert producers == {
        "s3://example-bucket/sparkml/prep-0601/output/model.tar.gz": [(prep, "prefix")],
        "s3://example-bucket/models/xgb-0601/output/model.tar.gz": [(xgb, "exact")],
    }
    assert model in graph.downstream("s3://example-bucket/data/raw-events/")
    assert graph.node(model)["pipeline_order"] == "Serial"


def check_models_from_packages(graph: LineageGraph) -> None:
    registry = _find(graph, "churn-from-registry", NodeKind.MODEL)
    vendor = _find(graph, "vendor-sentiment", NodeKind.MODEL)

    [package] = _targets(graph, registry, Relation.FROM_PACKAGE)
    assert graph.node(package)["approval_status"] == "Approved"
    assert "s3://example-bucket/models/churn-train-0503/output/model.tar.gz" in (
        graph.upstream(registry)
    )
    [foreign] = _targets(graph, vendor, Relation.FROM_PACKAGE)
    assert graph.node(foreign)["kind"] == NodeKind.EXTERNAL
    assert graph.node(foreign)["status"] == "other account"
    assert graph.node(foreign)["account"] == "444455556666"


def check_hyperparameters_decoded(graph: LineageGraph) -> None:
    raw = graph.node(_find(graph, "raw-api-job", NodeKind.TRAINING_JOB))
    sdk = graph.node(_find(graph, "sdk-job", NodeKind.TRAINING_JOB))

    assert sdk["hyperparameters"]["objective"] == "\"binary:logistic\""
    for name in ("objective", "layers"):
        assert raw["hyperparameters_decoded"][name] == sdk["hyperparameters_decoded"][name]
    assert sdk["hyperparameters_decoded"]["layers"] == "[64, 128]"
    parameters = _targets(graph, _find(graph, "sdk-job", NodeKind.TRAINING_JOB),
                          Relation.CONFIGURED_WITH)
    assert graph.node(parameters[0])["decoded"]["sagemaker_program"] == "train.py"


def check_numeric_names_four_nodes_three_edges(graph: LineageGraph) -> None:
    assert graph.nx.number_of_nodes() == 4
    assert graph.nx.number_of_edges() == 3
    assert all(isinstance(node, str) and not node.isdigit() for node in graph.nx.nodes)
    model = _find(graph, "1234", NodeKind.MODEL)
    assert _find(graph, "20240115", NodeKind.TRAINING_JOB) in graph.upstream(model)


CASES: dict[str, tuple[list[tuple[RecordKind, str]], Callable[[LineageGraph], None]]] = {
    "C06": ([(RecordKind.MODEL, "llm-ft-0501-model")],
            check_uncompressed_model_joins_training_job),
    "C08": ([(RecordKind.TRAINING_JOB, "sales-fcst-q1")], check_any_spelling_names_channel_dataset),
    "C09": ([(RecordKind.TRAINING_JOB, name) for name in ("job-noslash", "job-slash",
                                                          "job-partition")],
            check_prefix_datasets_keep_slash),
    "C10": ([(RecordKind.TRAINING_JOB, "img-cls-0301")], check_manifest_channels_keep_data_type),
    "C12": ([(RecordKind.PROCESSING_JOB, "eval-0502")], check_reference_outside_crawl_is_external),
    "C14": ([(RecordKind.ENDPOINT, "legacy-ep")], check_deleted_config_keeps_endpoint),
    "C15": ([(RecordKind.ENDPOINT, name) for name in ("ep-failed-update", "ep-updating",
                                                      "ep-failed")],
            check_endpoint_lifecycle),
    "C16": ([(RecordKind.ENDPOINT_CONFIG, "cfg-serverless-shadow"),
             (RecordKind.ENDPOINT_CONFIG, "cfg-ic"),
             (RecordKind.INFERENCE_COMPONENT, "ic-llm-a")],
            check_variant_shapes),
    "C17": ([(RecordKind.MODEL, "inference-pipeline-0601"),
             (RecordKind.PROCESSING_JOB, "prep-0601")],
            check_pipeline_model_every_container),
    "C19": ([(RecordKind.MODEL, "churn-from-registry"), (RecordKind.MODEL, "vendor-sentiment")],
            check_models_from_packages),
    "C21": ([(RecordKind.TRAINING_JOB, "raw-api-job"), (RecordKind.TRAINING_JOB, "sdk-job")],
            check_hyperparameters_decoded),
    "C26": ([(RecordKind.MODEL, "1234")], check_numeric_names_four_nodes_three_edges),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_case_graph_from_describe_records(case: str) -> None:
    _, check = CASES[case]

    graph = build_graph(describe_records(case))

    check(graph)
    assert not any(source == target for source, target, _ in graph.edges())


@pytest.mark.parametrize("case", sorted(CASES))
def test_case_graph_through_seeded_crawl(case: str) -> None:
    seeds, check = CASES[case]
    client = RecordingClient(load_case(case), source=f"{case}.json")

    graph = build_graph(crawl(client, seeds=seeds, sleep=lambda seconds: None))

    check(graph)
    assert not any(source == target for source, target, _ in graph.edges())


def test_foreign_package_model_has_no_artifact() -> None:
    graph = build_graph(describe_records("C19"))
    vendor = _find(graph, "vendor-sentiment", NodeKind.MODEL)

    kinds = {graph.kind(node) for node in graph.upstream(vendor)}
    assert NodeKind.ARTIFACT not in kinds


# --- helpers --------------------------------------------------------------------------------------


def describe_records(case: str) -> CrawlResult:
    """Return a CrawlResult holding every successful describe response of a fixture."""
    result = CrawlResult()
    for operation, kind in _DESCRIBE_KINDS.items():
        response = load_case(case)["responses"].get(operation)
        for record in _answers(response):
            record = decode_timestamps(record)
            record[RECORD_META] = {"account": None, "region": "us-east-1", "source": "describe"}
            result.add(kind, record)
    return result


def _answers(response: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(response, dict) or "error" in response:
        return
    if "by_args" in response:
        for entry in response["by_args"]:
            yield from _answers(entry["response"])
    elif "pages" in response:
        answered = [page for page in response["pages"] if "error" not in page]
        if answered:
            yield from _answers(answered[-1])
    else:
        yield response


def _find(graph: LineageGraph, name: str, kind: NodeKind) -> str:
    found = graph.find(name, [kind])
    assert found is not None, f"no {kind.value} named {name!r}"
    assert graph.kind(found) == kind, f"{name!r} is a {graph.kind(found).value}, not {kind.value}"
    return found


def _targets(graph: LineageGraph, node: str, relation: Relation) -> list[str]:
    return [target for _, target, data in graph.out_edges(node) if data["relation"] == relation]


def _labels(graph: LineageGraph, node: str, relation: Relation) -> list[str]:
    return [graph.node(target)["label"] for target in _targets(graph, node, relation)]
