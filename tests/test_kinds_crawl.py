"""Crawl tuning-job children, pipeline executions and lineage associations from recordings."""

from __future__ import annotations

import copy
from typing import Any

from lineage.crawl.calls import Caller
from lineage.crawl.crawler import crawl
from lineage.crawl.extras import (
    LINEAGE_KINDS,
    TUNING_CHILDREN_LABEL,
    expected_children,
    read_extras,
)
from lineage.crawl.result import RECORD_META, CrawlResult, RecordKind
from lineage.recording import RecordingClient
from tests import kinds_recordings as rec
from tests.conftest import load_case

CHILDREN_OP = "list_training_jobs_for_hyper_parameter_tuning_job"
TUNING_KINDS = {RecordKind.TRAINING_JOB, RecordKind.TUNING_JOB}


# --- tuning-job children ------------------------------------------------------------------------


def test_missing_tuning_children_are_listed() -> None:
    client = RecordingClient(rec.tuning_document())

    result = crawl(client, kinds=TUNING_KINDS, sleep=_no_wait)

    names = sorted(job["TrainingJobName"] for job in result.of(RecordKind.TRAINING_JOB))
    assert names == ["hpo-a-001", "hpo-a-002", "hpo-a-003", "hpo-b-001"]
    listed = [args for operation, args in client.calls if operation == CHILDREN_OP]
    assert [args["HyperParameterTuningJobName"] for args in listed] == ["hpo-a", "hpo-a"]
    assert [args.get("NextToken") for args in listed] == [None, "children-2"]
    assert all(args["MaxResults"] == 100 for args in listed)


def test_tuning_child_record_names_its_tuning_job() -> None:
    result = crawl(RecordingClient(rec.tuning_document()), kinds=TUNING_KINDS, sleep=_no_wait)

    child = _by_name(result, RecordKind.TRAINING_JOB, "TrainingJobName")["hpo-a-002"]
    assert child["TuningJobArn"] == rec.arn("hyper-parameter-tuning-job", "hpo-a")
    assert child[RECORD_META]["source"] == "list"
    assert child[RECORD_META]["account"] == rec.ACCOUNT
    assert result.report.counts[RecordKind.TRAINING_JOB.value] == 4


def test_tuning_children_already_crawled_are_kept() -> None:
    result = crawl(RecordingClient(rec.tuning_document()), kinds=TUNING_KINDS, sleep=_no_wait)

    first = _by_name(result, RecordKind.TRAINING_JOB, "TrainingJobName")["hpo-a-001"]
    assert first[RECORD_META]["source"] == "search"
    assert len(result.of(RecordKind.TRAINING_JOB)) == 4


def test_denied_tuning_children_listing_continues() -> None:
    document = rec.tuning_document()
    del document["responses"][CHILDREN_OP]

    result = crawl(RecordingClient(document), kinds=TUNING_KINDS, sleep=_no_wait)

    assert result.report.denied == [TUNING_CHILDREN_LABEL]
    assert len(result.of(RecordKind.TRAINING_JOB)) == 2
    assert len(result.of(RecordKind.TUNING_JOB)) == 2
    assert any(CHILDREN_OP in warning for warning in result.report.warnings)


def test_expected_children_sums_counters() -> None:
    assert expected_children({"TrainingJobStatusCounters": {"Completed": 2, "Stopped": 1}}) == 3
    assert expected_children({"TrainingJobStatusCounters": {}}) is None
    assert expected_children({}) is None


# --- pipelines ----------------------------------------------------------------------------------


def test_pipeline_executions_are_read_with_steps() -> None:
    client = RecordingClient(rec.pipeline_document())

    result = crawl(client, kinds={RecordKind.PIPELINE_EXECUTION}, sleep=_no_wait)

    executions = _by_name(result, RecordKind.PIPELINE_EXECUTION, "PipelineExecutionArn")
    assert sorted(executions) == [rec.EXECUTION_1, rec.EXECUTION_2]
    first = executions[rec.EXECUTION_1]
    assert first["PipelineName"] == rec.PIPELINE
    assert first["PipelineArn"] == rec.arn("pipeline", rec.PIPELINE)
    assert [s["StepName"] for s in first["PipelineExecutionSteps"]] == [
        "Train", "ChurnRepackModel-0", "Register", "CheckAUC"]
    assert first["PipelineExecutionDisplayName"] == "nightly-0501"


def test_pipeline_listings_follow_every_page() -> None:
    client = RecordingClient(rec.pipeline_document())

    crawl(client, kinds={RecordKind.PIPELINE_EXECUTION}, sleep=_no_wait)

    assert _tokens(client, "list_pipelines") == [None, "pipelines-2"]
    assert _tokens(client, "list_pipeline_executions") == [None, "executions-2", None]
    step_calls = [args for op, args in client.calls if op == "list_pipeline_execution_steps"]
    assert [(a["PipelineExecutionArn"], a.get("NextToken")) for a in step_calls] == [
        (rec.EXECUTION_1, None), (rec.EXECUTION_1, "steps-2"), (rec.EXECUTION_2, None)]


def test_pipelines_are_not_read_by_default() -> None:
    client = RecordingClient(rec.pipeline_document())

    result = crawl(client, sleep=_no_wait)

    assert "list_pipelines" not in result.report.calls
    assert "list_associations" not in result.report.calls
    assert result.of(RecordKind.PIPELINE_EXECUTION) == []


def test_denied_lineage_kinds_are_reported() -> None:
    client = RecordingClient({"account": rec.ACCOUNT, "responses": {}})

    result = crawl(client, kinds=set(LINEAGE_KINDS), sleep=_no_wait)

    assert result.report.denied == ["PipelineExecution", "Association"]
    assert result.report.calls == {"list_pipelines": 1, "list_associations": 1}
    assert result.records == {}


def test_denied_executions_of_every_pipeline_mark_kind_denied() -> None:
    document = rec.pipeline_document()
    del document["responses"]["list_pipeline_executions"]

    result = crawl(RecordingClient(document), kinds={RecordKind.PIPELINE_EXECUTION},
                   sleep=_no_wait)

    assert result.report.denied == ["PipelineExecution"]
    assert result.report.calls["list_pipeline_executions"] == 2
    assert result.of(RecordKind.PIPELINE_EXECUTION) == []


def test_failed_steps_listing_keeps_execution() -> None:
    document = rec.pipeline_document()
    steps = document["responses"]["list_pipeline_execution_steps"]["by_args"]
    steps[1]["response"] = {"error": {"Code": "InternalFailure", "Message": "try later"}}

    result = crawl(RecordingClient(document), kinds={RecordKind.PIPELINE_EXECUTION},
                   sleep=_no_wait, max_attempts=2)

    first = _by_name(result, RecordKind.PIPELINE_EXECUTION, "PipelineExecutionArn")[
        rec.EXECUTION_1]
    assert [s["StepName"] for s in first["PipelineExecutionSteps"]] == [
        "Train", "ChurnRepackModel-0"]
    assert any("stopped at page 2" in entry for entry in result.report.partial)


def test_recrawl_replaces_execution_of_previous_snapshot() -> None:
    result = crawl(RecordingClient(rec.pipeline_document()),
                   kinds={RecordKind.PIPELINE_EXECUTION}, sleep=_no_wait)
    stale = copy.deepcopy(result.of(RecordKind.PIPELINE_EXECUTION)[0])
    stale["PipelineExecutionStatus"] = "Executing"

    previous = CrawlResult()
    previous.add(RecordKind.PIPELINE_EXECUTION, stale)
    caller = Caller(RecordingClient(rec.pipeline_document()), previous.report, sleep=_no_wait)
    read_extras(caller, previous, {RecordKind.PIPELINE_EXECUTION},
                account=rec.ACCOUNT, region=rec.REGION)

    executions = previous.of(RecordKind.PIPELINE_EXECUTION)
    assert len(executions) == 2
    assert executions[0]["PipelineExecutionStatus"] == "Succeeded"


# --- associations -------------------------------------------------------------------------------


def test_associations_are_listed_from_every_page() -> None:
    client = RecordingClient(rec.association_document())

    result = crawl(client, kinds=_association_kinds(), sleep=_no_wait)

    assert _tokens(client, "list_associations") == [None, "associations-2", "associations-3"]
    pairs = {(a["SourceArn"], a["DestinationArn"]) for a in result.of(RecordKind.ASSOCIATION)}
    assert (rec.DEPLOY_ACTION, rec.SHARED_ARTIFACT) in pairs
    assert (rec.DATASET_ARTIFACT, rec.arn("training-job", "deleted-train")) in pairs


def test_associations_are_merged_across_operations() -> None:
    result = crawl(RecordingClient(rec.association_document()), kinds=_association_kinds(),
                   sleep=_no_wait)

    records = result.of(RecordKind.ASSOCIATION)
    assert len(records) == 5
    model_on_endpoint = [r for r in records if r["SourceArn"] == rec.MODEL]
    assert len(model_on_endpoint) == 1
    assert model_on_endpoint[0]["SourceType"] == "Model"
    assert model_on_endpoint[0][RECORD_META]["operations"] == ["list_associations",
                                                               "query_lineage"]
    assert all(r[RECORD_META]["account"] == rec.ACCOUNT for r in records)


def test_query_lineage_starts_from_endpoints_and_models() -> None:
    client = RecordingClient(rec.association_document())

    result = crawl(client, kinds=_association_kinds(), sleep=_no_wait)

    queries = [args for op, args in client.calls if op == "query_lineage"]
    assert [(a["StartArns"], a.get("NextToken")) for a in queries] == [
        ([rec.ENDPOINT], None), ([rec.ENDPOINT], "lineage-2"), ([rec.MODEL], None)]
    assert all(a["Direction"] == "Ascendants" and a["IncludeEdges"] for a in queries)
    assert all(a["MaxResults"] == 50 for a in queries)
    assert any("query_lineage failed for 1 start ARN(s) (churn-model)" in warning
               for warning in result.report.warnings)


def test_denied_query_lineage_stops_after_first_call() -> None:
    document = rec.association_document()
    document["responses"]["query_lineage"] = {"error": {
        "Code": "AccessDeniedException", "Message": "not authorized"}}

    result = crawl(RecordingClient(document), kinds=_association_kinds(), sleep=_no_wait)

    assert result.report.calls["query_lineage"] == 1
    assert result.report.denied == []
    assert len(result.of(RecordKind.ASSOCIATION)) == 3


def test_cross_account_association_is_crawled() -> None:
    client = RecordingClient({"responses": _c12_responses()})

    result = crawl(client, kinds={RecordKind.ASSOCIATION}, account=rec.ACCOUNT)

    records = result.of(RecordKind.ASSOCIATION)
    assert [r["DestinationArn"] for r in records] == [rec.SHARED_ARTIFACT]
    assert result.report.accounts == [rec.ACCOUNT]


# --- helpers ------------------------------------------------------------------------------------


def _association_kinds() -> set[RecordKind]:
    return {RecordKind.ENDPOINT, RecordKind.MODEL, RecordKind.ASSOCIATION}


def _c12_responses() -> dict[str, Any]:
    return load_case("C12")["responses"]


def _by_name(result: CrawlResult, kind: RecordKind, field: str) -> dict[str, dict[str, Any]]:
    return {record[field]: record for record in result.of(kind)}


def _tokens(client: RecordingClient, operation: str) -> list[str | None]:
    return [args.get("NextToken") for op, args in client.calls if op == operation]


def _no_wait(_: float) -> None:
    return None
