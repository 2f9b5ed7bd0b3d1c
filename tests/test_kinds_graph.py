"""Pipeline executions, repack jobs, tuning children and associations in the built graph."""

from __future__ import annotations

from typing import Any

import pytest

from lineage.build import build_graph
from lineage.crawl.crawler import crawl
from lineage.crawl.result import RECORD_META, CrawlResult, PlaceholderStatus, RecordKind
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.mappers import MalformedRecordError, Ref
from lineage.mappers.association import map_association
from lineage.mappers.pipeline import map_pipeline_execution
from lineage.queries.trace import endpoint_trace
from lineage.recording import RecordingClient
from tests import kinds_recordings as rec
from tests.conftest import load_case

PIPELINE_KINDS = {RecordKind.TRAINING_JOB, RecordKind.MODEL_PACKAGE, RecordKind.PIPELINE_EXECUTION}
TRAIN = rec.arn("training-job", rec.TRAIN_JOB)
REPACK = rec.arn("training-job", rec.REPACK_JOB)


# --- pipeline mapper ----------------------------------------------------------------------------


def test_pipeline_execution_maps_steps_to_edges() -> None:
    record = _execution_record()

    fragment = map_pipeline_execution(record)

    [node] = fragment.nodes
    assert node.id == rec.EXECUTION_1
    assert node.kind == NodeKind.PIPELINE_EXECUTION
    assert node.label == f"{rec.PIPELINE} nightly-0501"
    assert node.attrs["pipeline_name"] == rec.PIPELINE
    sources = [(_ref(edge.source).arn, edge.attrs["step"]) for edge in fragment.edges]
    assert sources == [(TRAIN, "Train"), (rec.PACKAGE, "Register")]
    assert all(edge.target == rec.EXECUTION_1 for edge in fragment.edges)
    assert all(edge.relation == Relation.STEP_OF for edge in fragment.edges)


def test_pipeline_step_summaries_keep_types() -> None:
    node = map_pipeline_execution(_execution_record()).nodes[0]

    steps = {step["name"]: step for step in node.attrs["steps"]}
    assert steps["Train"]["type"] == "TrainingJob"
    assert steps["Train"]["resource"] == TRAIN
    assert steps["CheckAUC"]["type"] == "Condition"
    assert steps["CheckAUC"]["resource"] is None


def test_quality_check_step_links_processing_job() -> None:
    record = _execution_record(steps=[{
        "StepName": "DataQuality", "StepStatus": "Succeeded",
        "Metadata": {"QualityCheck": {"CheckType": "DATA_QUALITY",
                                      "CheckJobArn": rec.arn("processing-job", "dq-check-1")}},
    }])

    [edge] = map_pipeline_execution(record).edges

    assert _ref(edge.source).kind == NodeKind.PROCESSING_JOB
    assert _ref(edge.source).arn == rec.arn("processing-job", "dq-check-1")


def test_pipeline_execution_without_arn_is_malformed() -> None:
    with pytest.raises(MalformedRecordError, match="PipelineExecutionArn"):
        map_pipeline_execution({"PipelineName": rec.PIPELINE})


# --- pipelines in the graph ---------------------------------------------------------------------


def test_pipeline_steps_join_crawled_resources() -> None:
    graph = _pipeline_graph()

    step_of = {(source, target): data for source, target, data in graph.edges()
               if data["relation"] == Relation.STEP_OF}
    assert step_of[(TRAIN, rec.EXECUTION_1)]["step"] == "Train"
    assert step_of[(REPACK, rec.EXECUTION_1)]["step"] == "ChurnRepackModel-0"
    assert step_of[(rec.PACKAGE, rec.EXECUTION_1)]["match"] == "arn"
    assert step_of[(TRAIN, rec.EXECUTION_2)]["cached"] is True
    assert graph.kind(rec.PACKAGE) == NodeKind.MODEL_PACKAGE
    assert graph.node(rec.EXECUTION_2)["status"] == "Failed"


def test_package_traces_through_repack_to_training() -> None:
    graph = _pipeline_graph()

    upstream = graph.upstream(rec.PACKAGE)

    assert REPACK in upstream
    assert TRAIN in upstream
    assert f"{rec.BUCKET}/churn/features/" in upstream


def test_repack_job_names_original_job() -> None:
    graph = _pipeline_graph()

    attrs = graph.node(REPACK)
    assert attrs["repack"] is True
    assert attrs["repack_of"] == [TRAIN]
    edges = [data for _, target, data in graph.out_edges(REPACK)
             if target == rec.TRAINED_MODEL and data["relation"] == Relation.TRAINED_ON]
    assert [(e["channel"], e["match"]) for e in edges] == [("training", "repack")]
    assert "repack" not in graph.node(TRAIN)


def test_repack_of_model_itself_needs_no_new_node() -> None:
    graph = _pipeline_graph(repack_channel=rec.TRAINED_MODEL)

    assert graph.node(REPACK)["repack_of"] == [TRAIN]
    assert graph.kind(rec.TRAINED_MODEL) == NodeKind.ARTIFACT
    assert TRAIN in graph.upstream(rec.PACKAGE)


def test_repack_found_by_step_name_alone() -> None:
    document = rec.pipeline_document(repack_channel=rec.TRAINED_MODEL)
    repack = document["responses"]["search"]["by_args"][0]["response"]["Results"][1]
    del repack["TrainingJob"]["HyperParameters"]
    result = crawl(RecordingClient(document), kinds=PIPELINE_KINDS, sleep=_no_wait)

    graph = build_graph(result)

    assert graph.node(REPACK)["repack"] is True
    assert graph.node(REPACK)["repack_of"] == [TRAIN]


def test_repack_of_uncrawled_model_leaves_note() -> None:
    missing = f"{rec.BUCKET}/elsewhere/old-job/output"

    graph = _pipeline_graph(repack_channel=missing)

    attrs = graph.node(REPACK)
    assert attrs["repack"] is True
    assert "repack_of" not in attrs
    assert attrs["note"] == f"re-packs {missing}/model.tar.gz, which is not in the crawl"


def test_endpoint_trace_shows_original_job_behind_repack() -> None:
    result = _pipeline_result()
    model = {"ModelName": "churn-model", "ModelArn": rec.arn("model", "churn-model"),
             "PrimaryContainer": {"ModelPackageName": rec.PACKAGE}}
    result.add(RecordKind.MODEL, _with_meta(model))
    result.add(RecordKind.ENDPOINT_CONFIG, _with_meta({
        "EndpointConfigName": "churn-config",
        "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "churn-model"}]}))
    result.add(RecordKind.ENDPOINT, _with_meta({
        "EndpointName": "churn-ep", "EndpointArn": rec.ENDPOINT,
        "EndpointConfigName": "churn-config", "EndpointStatus": "InService"}))
    graph = build_graph(result)

    trace = endpoint_trace(graph, "churn-ep").to_dict()

    text = repr(trace)
    assert rec.REPACK_JOB in text
    assert rec.TRAIN_JOB in text


# --- tuning children in the graph ---------------------------------------------------------------


def test_listed_tuning_children_are_child_of() -> None:
    result = crawl(RecordingClient(rec.tuning_document()),
                   kinds={RecordKind.TRAINING_JOB, RecordKind.TUNING_JOB}, sleep=_no_wait)

    graph = build_graph(result)

    tuning = rec.arn("hyper-parameter-tuning-job", "hpo-a")
    children = sorted(source for source, target, data in graph.edges()
                      if target == tuning and data["relation"] == Relation.CHILD_OF)
    assert children == [rec.arn("training-job", f"hpo-a-00{n}") for n in (1, 2, 3)]
    assert graph.kind(tuning) == NodeKind.TUNING_JOB


# --- associations -------------------------------------------------------------------------------


def test_association_points_destination_to_source() -> None:
    record = _with_meta(rec.association(rec.MODEL, rec.ENDPOINT, "ContributedTo"))

    [edge] = map_association(record).edges

    assert _ref(edge.source).arn == rec.ENDPOINT
    assert _ref(edge.source).kind == NodeKind.ENDPOINT
    assert _ref(edge.target).arn == rec.MODEL
    assert edge.attrs["association_type"] == "ContributedTo"


def test_self_association_adds_no_edge() -> None:
    same_endpoint = rec.ENDPOINT.replace("churn-ep", "Churn-EP")
    record = _with_meta(rec.association(rec.ENDPOINT, same_endpoint, "SameAs"))

    fragment = map_association(record)

    assert fragment.edges == []
    assert fragment.nodes == []
    assert "to itself" in fragment.warnings[0]


def test_association_without_arn_is_malformed() -> None:
    with pytest.raises(MalformedRecordError, match="DestinationArn"):
        map_association({"SourceArn": rec.MODEL, "DestinationArn": "churn-ep"})


def test_associations_join_crawled_nodes() -> None:
    graph = _association_graph()

    associated = {(s, t): d for s, t, d in graph.edges()
                  if d["relation"] == Relation.ASSOCIATED_WITH}
    model_edge = associated[(rec.ENDPOINT, rec.MODEL)]
    assert model_edge["evidence"] == ["list_associations", "query_lineage"]
    assert graph.kind(rec.ENDPOINT) == NodeKind.ENDPOINT
    assert graph.kind(rec.MODEL) == NodeKind.MODEL
    assert (rec.ENDPOINT, rec.ENDPOINT_CONTEXT) in associated


def test_associations_outside_crawl_become_external() -> None:
    graph = _association_graph()

    deleted = graph.node(rec.arn("training-job", "deleted-train"))
    assert deleted["kind"] == NodeKind.EXTERNAL
    assert deleted["status"] == PlaceholderStatus.OUTSIDE_CRAWL.value
    dataset = graph.node(rec.DATASET_ARTIFACT)
    assert dataset["status"] == PlaceholderStatus.OUTSIDE_CRAWL.value
    assert dataset["lineage_type"] == "DataSet"
    shared = graph.node(rec.SHARED_ARTIFACT)
    assert shared["status"] == PlaceholderStatus.OTHER_ACCOUNT.value
    assert rec.OTHER_ACCOUNT in shared["reason"]


def test_association_graph_has_no_self_loops() -> None:
    graph = _association_graph()

    assert not any(source == target for source, target in graph.nx.edges())
    assert any("to itself" in warning for warning in graph.meta["warnings"])


def test_cross_account_association_fixture_builds() -> None:
    seeded = crawl(RecordingClient(load_case("C12")),
                   seeds=[(RecordKind.PROCESSING_JOB, "eval-0502")], sleep=_no_wait)
    lineage = crawl(RecordingClient(load_case("C12")), kinds={RecordKind.ASSOCIATION},
                    account=rec.ACCOUNT, sleep=_no_wait)
    seeded.records[RecordKind.ASSOCIATION] = lineage.of(RecordKind.ASSOCIATION)

    graph = build_graph(seeded)

    action = rec.DEPLOY_ACTION
    assert graph.node(rec.SHARED_ARTIFACT)["status"] == PlaceholderStatus.OTHER_ACCOUNT.value
    assert graph.node(action)["status"] == PlaceholderStatus.OUTSIDE_CRAWL.value
    assert [d["relation"] for _, _, d in graph.out_edges(rec.SHARED_ARTIFACT)] == [
        Relation.ASSOCIATED_WITH]
    assert [t for _, t, _ in graph.out_edges(rec.SHARED_ARTIFACT)] == [action]
    old_job = rec.arn("training-job", "old-train-2023-12-30")
    assert graph.kind(old_job) == NodeKind.EXTERNAL
    assert not any(source == target for source, target in graph.nx.edges())


# --- helpers ------------------------------------------------------------------------------------


def _pipeline_result(repack_channel: str | None = None) -> CrawlResult:
    document = rec.pipeline_document(repack_channel)
    return crawl(RecordingClient(document), kinds=PIPELINE_KINDS, sleep=_no_wait)


def _pipeline_graph(repack_channel: str | None = None) -> LineageGraph:
    return build_graph(_pipeline_result(repack_channel))


def _association_graph() -> LineageGraph:
    result = crawl(RecordingClient(rec.association_document()),
                   kinds={RecordKind.ENDPOINT, RecordKind.MODEL, RecordKind.ASSOCIATION},
                   sleep=_no_wait)
    return build_graph(result)


def _execution_record(steps: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    default_steps = [
        rec.step("Train", "TrainingJob", TRAIN),
        rec.step("Register", "RegisterModel", rec.PACKAGE),
        {"StepName": "CheckAUC", "StepStatus": "Succeeded",
         "Metadata": {"Condition": {"Outcome": "True"}}},
    ]
    return _with_meta({
        "PipelineExecutionArn": rec.EXECUTION_1, "PipelineName": rec.PIPELINE,
        "PipelineExecutionDisplayName": "nightly-0501", "PipelineExecutionStatus": "Succeeded",
        "PipelineExecutionSteps": default_steps if steps is None else steps,
    })


def _ref(end: str | Ref) -> Ref:
    assert isinstance(end, Ref), f"expected a reference to resolve, got node id {end!r}"
    return end


def _with_meta(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, RECORD_META: {"account": rec.ACCOUNT, "region": rec.REGION,
                                    "source": "list"}}


def _no_wait(_: float) -> None:
    return None
