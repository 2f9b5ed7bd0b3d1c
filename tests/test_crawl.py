"""Crawl semantics on recorded responses: pagination, throttling, errors, fallback, tags."""

from __future__ import annotations

import copy
from typing import Any

from lineage.crawl.crawler import crawl
from lineage.crawl.result import RECORD_META, PlaceholderStatus, RecordKind
from lineage.recording import RecordingClient
from tests.conftest import load_case

ACCOUNT = "111122223333"
TRAINING_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/"


def test_full_crawl_follows_empty_pages_to_the_job() -> None:
    result = crawl(_client("C01"), kinds={RecordKind.TRAINING_JOB}, sleep=_no_wait)

    names = [record["TrainingJobName"] for record in result.of(RecordKind.TRAINING_JOB)]
    assert names == ["churn-xgb-2024-05-02"]
    assert result.report.calls["list_training_jobs"] == 3
    assert result.report.partial == []


def test_throttled_page_is_retried_with_same_token() -> None:
    client = _client("C02")

    result = crawl(client, kinds={RecordKind.TRAINING_JOB}, sleep=_no_wait)

    names = [record["TrainingJobName"] for record in result.of(RecordKind.TRAINING_JOB)]
    assert names == ["fraud-lgbm-0602"]
    tokens = [args.get("NextToken") for op, args in client.calls if op == "list_training_jobs"]
    assert tokens == [None, "t1", "t2", "t3", "t3", "t4"]
    assert result.report.throttled == 1
    assert result.report.retries == 1


def test_throttled_describe_becomes_unresolved_placeholder() -> None:
    delays: list[float] = []

    result = crawl(_client("C03"), kinds={RecordKind.PROCESSING_JOB}, sleep=delays.append)

    by_name = {r["ProcessingJobName"]: r for r in result.of(RecordKind.PROCESSING_JOB)}
    assert set(by_name) == {"prep-0001", "prep-0002"}
    described = by_name["prep-0001"]
    assert described[RECORD_META]["source"] == "describe"
    assert described["ProcessingInputs"][0]["S3Input"]["S3Uri"] == "s3://example-bucket/raw/2024-01/"
    throttled = by_name["prep-0002"]
    assert throttled[RECORD_META]["status"] == PlaceholderStatus.THROTTLED.value
    assert throttled[RECORD_META]["source"] == "list"
    assert throttled["ProcessingJobStatus"] == "Completed"
    assert result.report.unresolved == {"ProcessingJob": ["prep-0002"]}
    assert "1 processing job unresolved due to throttling: prep-0002" in result.report.warnings
    assert result.report.calls["describe_processing_job"] == 3 + 8
    assert len(delays) == 2 + 7


def test_model_packages_are_listed_with_both_types() -> None:
    client = _client("C04")

    result = crawl(
        client, kinds={RecordKind.MODEL_PACKAGE, RecordKind.MODEL_PACKAGE_GROUP}, sleep=_no_wait
    )

    list_calls = [args for op, args in client.calls if op == "list_model_packages"]
    assert list_calls
    assert all(args.get("ModelPackageType") == "Both" for args in list_calls)
    packages = result.of(RecordKind.MODEL_PACKAGE)
    assert [p["ModelPackageVersion"] for p in packages] == [3]
    container = packages[0]["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl"].endswith("churn-train-0503/output/model.tar.gz")
    groups = result.of(RecordKind.MODEL_PACKAGE_GROUP)
    assert [g["ModelPackageGroupName"] for g in groups] == ["churn-models"]
    assert groups[0][RECORD_META]["source"] == "list"


def test_deleted_endpoint_config_becomes_placeholder() -> None:
    result = crawl(_client("C14"), seeds=[(RecordKind.ENDPOINT, "legacy-ep")], sleep=_no_wait)

    endpoints = result.of(RecordKind.ENDPOINT)
    assert [e["EndpointName"] for e in endpoints] == ["legacy-ep"]
    assert "DeployedImages" in endpoints[0]["ProductionVariants"][0]
    configs = result.of(RecordKind.ENDPOINT_CONFIG)
    assert [c["EndpointConfigName"] for c in configs] == ["legacy-ep-config-2023"]
    meta = configs[0][RECORD_META]
    assert meta["status"] == PlaceholderStatus.DELETED.value
    assert "Could not find endpoint configuration" in meta["reason"]
    assert result.report.warnings == []


def test_access_denied_describe_is_no_permission() -> None:
    document = _with_responses("C14", describe_endpoint_config={"error": {
        "Code": "AccessDeniedException", "Message": "not authorized"}})

    result = crawl(RecordingClient(document), seeds=[(RecordKind.ENDPOINT, "legacy-ep")])

    meta = result.of(RecordKind.ENDPOINT_CONFIG)[0][RECORD_META]
    assert meta["status"] == PlaceholderStatus.NO_PERMISSION.value


def test_other_validation_error_warns_and_continues() -> None:
    document = _with_responses("C14", describe_endpoint_config={"error": {
        "Code": "ValidationException", "Message": "1 validation error detected: bad name"}})

    result = crawl(RecordingClient(document), seeds=[(RecordKind.ENDPOINT, "legacy-ep")])

    assert len(result.of(RecordKind.ENDPOINT)) == 1
    meta = result.of(RecordKind.ENDPOINT_CONFIG)[0][RECORD_META]
    assert meta["status"] == PlaceholderStatus.FAILED.value
    warning = " ".join(result.report.warnings)
    assert "describe_endpoint_config" in warning
    assert "legacy-ep-config-2023" in warning


def test_search_records_carry_tags_without_list_tags() -> None:
    client = _client("C24")

    result = crawl(client, kinds={RecordKind.TRAINING_JOB}, fetch_tags=True)

    records = result.of(RecordKind.TRAINING_JOB)
    assert [r["TrainingJobName"] for r in records] == ["Churn-XGB-0503"]
    assert {t["Key"]: t["Value"] for t in records[0]["Tags"]} == {
        "Project": "churn", "Owner": "team-a"}
    assert records[0][RECORD_META]["source"] == "search"
    assert "list_tags" not in result.report.calls


def test_fallback_tags_use_arn_from_describe() -> None:
    client = RecordingClient(_c24_without_search())

    result = crawl(client, kinds={RecordKind.TRAINING_JOB}, fetch_tags=True)

    records = result.of(RecordKind.TRAINING_JOB)
    assert {t["Key"]: t["Value"] for t in records[0]["Tags"]} == {
        "Project": "churn", "Owner": "team-a"}
    tag_calls = [args for op, args in client.calls if op == "list_tags"]
    assert [args["ResourceArn"] for args in tag_calls] == [TRAINING_ARN + "Churn-XGB-0503"] * 2
    assert [args.get("NextToken") for args in tag_calls] == [None, "tag-tok-1"]


def test_fallback_skips_tags_unless_requested() -> None:
    client = RecordingClient(_c24_without_search())

    result = crawl(client, kinds={RecordKind.TRAINING_JOB})

    assert "Tags" not in result.of(RecordKind.TRAINING_JOB)[0]
    assert "list_tags" not in result.report.calls


def test_denied_listing_marks_kind_denied() -> None:
    client = RecordingClient({"account": ACCOUNT, "responses": {}})

    result = crawl(client, kinds={RecordKind.PROCESSING_JOB, RecordKind.TRAINING_JOB})

    assert result.report.denied == ["TrainingJob", "ProcessingJob"]
    assert result.records == {}
    assert result.report.accounts == [ACCOUNT]


def test_failing_page_marks_kind_partial() -> None:
    client = RecordingClient({"responses": {"search": {"pages": [
        {"Results": [{"Endpoint": {"EndpointName": "ep-1", "EndpointConfigName": "c"}}],
         "NextToken": "p2"},
        {"error": {"Code": "ServiceUnavailable", "Message": "try later",
                   "HTTPStatusCode": 503}},
    ]}}})

    result = crawl(client, kinds={RecordKind.ENDPOINT}, sleep=_no_wait, max_attempts=3)

    assert [e["EndpointName"] for e in result.of(RecordKind.ENDPOINT)] == ["ep-1"]
    assert result.report.partial == ["Endpoint: stopped at page 2"]
    assert result.report.calls["search"] == 1 + 3


def test_model_search_unwraps_dashboard_record() -> None:
    client = RecordingClient({"responses": {"search": {"by_args": [
        {"args": {"Resource": "Model"}, "response": {"Results": [{"Model": {
            "Model": {"ModelName": "m1",
                      "ModelArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/m1",
                      "PrimaryContainer": {"Image": "img"}},
            "Endpoints": [{"EndpointName": "ep"}]}}]}},
    ]}}})

    result = crawl(client, kinds={RecordKind.MODEL})

    models = result.of(RecordKind.MODEL)
    assert [m["ModelName"] for m in models] == ["m1"]
    assert "Endpoints" not in models[0]
    assert "list_models" not in result.report.calls


def test_endpoint_configs_described_once_per_name() -> None:
    endpoints = [
        {"Endpoint": {"EndpointName": f"ep-{n}", "EndpointConfigName": "Shared-Config"}}
        for n in range(3)
    ]
    endpoints.append({"Endpoint": {
        "EndpointName": "ep-updating", "EndpointConfigName": "shared-config",
        "PendingDeploymentSummary": {"EndpointConfigName": "next-config"}}})
    client = RecordingClient({"responses": {
        "search": {"by_args": [{"args": {"Resource": "Endpoint"},
                                "response": {"Results": endpoints}}]},
        "describe_endpoint_config": {"by_args": [
            {"args": {"EndpointConfigName": "Shared-Config"},
             "response": {"EndpointConfigName": "Shared-Config", "ProductionVariants": []}},
            {"args": {"EndpointConfigName": "next-config"},
             "response": {"EndpointConfigName": "next-config", "ProductionVariants": []}},
        ]},
    }})

    result = crawl(client, kinds={RecordKind.ENDPOINT, RecordKind.ENDPOINT_CONFIG})

    config_calls = [a["EndpointConfigName"] for op, a in client.calls
                    if op == "describe_endpoint_config"]
    assert config_calls == ["Shared-Config", "next-config"]
    assert len(result.of(RecordKind.ENDPOINT_CONFIG)) == 2


def test_referenced_models_and_packages_are_described() -> None:
    document = copy.deepcopy(load_case("C19"))
    document["responses"]["search"] = {"by_args": [
        {"args": {"Resource": "Endpoint"}, "response": {"Results": [{"Endpoint": {
            "EndpointName": "ep", "EndpointConfigName": "cfg"}}]}},
        {"args": {"Resource": "Model"}, "response": {"Results": []}},
        {"args": {"Resource": "ModelPackage"}, "response": {"Results": []}},
    ]}
    document["responses"]["describe_endpoint_config"] = {"EndpointConfigName": "cfg",
        "ProductionVariants": [{"VariantName": "a", "ModelName": "churn-from-registry"},
                               {"VariantName": "b", "ModelName": "vendor-sentiment"}]}
    kinds = {RecordKind.ENDPOINT, RecordKind.ENDPOINT_CONFIG, RecordKind.MODEL,
             RecordKind.MODEL_PACKAGE}

    result = crawl(RecordingClient(document), kinds=kinds, account=ACCOUNT)

    models = {m["ModelName"] for m in result.of(RecordKind.MODEL)}
    assert models == {"churn-from-registry", "vendor-sentiment"}
    statuses = {p.get("ModelPackageArn"): p[RECORD_META].get("status")
                for p in result.of(RecordKind.MODEL_PACKAGE)}
    foreign = "arn:aws:sagemaker:us-east-1:444455556666:model-package/vendor-sentiment-v2-abc123"
    assert statuses[foreign] == PlaceholderStatus.OTHER_ACCOUNT.value
    assert statuses[f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/churn-models/3"] is None
    assert result.report.external == [foreign]
    assert "describe_training_job" not in result.report.calls


def test_seeded_crawl_guesses_training_job_from_artifact() -> None:
    document = {"responses": {
        "describe_model": load_case("C06")["responses"]["describe_model"],
        "describe_training_job": load_case("C06")["responses"]["describe_training_job"],
    }}
    client = RecordingClient(document)

    result = crawl(client, seeds=[(RecordKind.MODEL, "llm-ft-0501-model")])

    jobs = result.of(RecordKind.TRAINING_JOB)
    assert [j["TrainingJobName"] for j in jobs] == ["llm-ft-0501"]
    assert ("describe_training_job", {"TrainingJobName": "llm-ft-0501"}) in client.calls


def test_seeded_crawl_ignores_wrong_job_guess() -> None:
    document = _with_responses("C06", describe_training_job={"error": {
        "Code": "ValidationException", "Message": "Requested resource not found."}})

    result = crawl(RecordingClient(document), seeds=[(RecordKind.MODEL, "llm-ft-0501-model")])

    assert result.of(RecordKind.TRAINING_JOB) == []
    assert result.report.warnings == []


def test_report_records_times_counts_and_region() -> None:
    result = crawl(_client("C03"), kinds={RecordKind.PROCESSING_JOB}, sleep=_no_wait)

    report = result.report
    assert report.started is not None
    assert report.finished is not None
    assert report.started <= report.finished
    # prep-0002 stays throttled past every retry, so it is a placeholder, not a record.
    assert report.counts == {"ProcessingJob": 1}
    assert report.placeholders == {"ProcessingJob": {"unresolved: throttled": 1}}
    assert report.accounts == [ACCOUNT]
    assert report.regions == ["us-east-1"]
    assert report.to_dict()["total_calls"] == report.total_calls


def test_progress_reports_each_record() -> None:
    seen: list[tuple[str, int]] = []

    crawl(_client("C03"), kinds={RecordKind.PROCESSING_JOB}, sleep=_no_wait,
          progress=lambda kind, count: seen.append((kind, count)))

    assert seen == [("ProcessingJob", 1), ("ProcessingJob", 2)]


def _client(case: str) -> RecordingClient:
    return RecordingClient(load_case(case), source=f"{case}.json")


def _with_responses(case: str, **responses: Any) -> dict[str, Any]:
    document = copy.deepcopy(load_case(case))
    document["responses"].update(responses)
    return document


def _c24_without_search() -> dict[str, Any]:
    """The tags fixture with Search denied and a list call that returns a lower-cased ARN."""
    document = copy.deepcopy(load_case("C24"))
    del document["responses"]["search"]
    document["responses"]["list_training_jobs"] = {"TrainingJobSummaries": [{
        "TrainingJobName": "churn-xgb-0503", "TrainingJobArn": TRAINING_ARN + "churn-xgb-0503",
        "TrainingJobStatus": "Completed"}]}
    return document


def _no_wait(seconds: float) -> None:
    """Skip the retry wait so tests run fast."""
