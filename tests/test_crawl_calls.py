"""Tests of the call wrapper (retries, error kinds) and the generic paginator."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from lineage.crawl.calls import Caller, CallFailure, FailureKind, classify_error, paginate
from lineage.crawl.result import CrawlReport
from lineage.recording import RecordingClient, client_error
from tests.conftest import load_case


@pytest.mark.parametrize(
    ("code", "message", "status", "expected"),
    [
        ("ThrottlingException", "Rate exceeded", 400, FailureKind.THROTTLED),
        ("Throttling", "", 400, FailureKind.THROTTLED),
        ("ThrottledException", "", 400, FailureKind.THROTTLED),
        ("RequestLimitExceeded", "", 400, FailureKind.THROTTLED),
        ("TooManyRequestsException", "", 429, FailureKind.THROTTLED),
        ("InternalFailure", "", 500, FailureKind.UNAVAILABLE),
        ("ServiceUnavailable", "", 503, FailureKind.UNAVAILABLE),
        ("SomethingNew", "", 502, FailureKind.UNAVAILABLE),
        ("AccessDeniedException", "not authorized", 400, FailureKind.DENIED),
        ("UnknownOperationException", "", 400, FailureKind.UNSUPPORTED),
        ("ValidationException", 'Could not find model "m".', 400, FailureKind.NOT_FOUND),
        ("ValidationException", "Requested resource not found.", 400, FailureKind.NOT_FOUND),
        ("ValidationException", "ModelPackage x does not exist.", 400, FailureKind.NOT_FOUND),
        ("ValidationException", "1 validation error detected", 400, FailureKind.INVALID),
        ("ResourceNotFound", "", 400, FailureKind.NOT_FOUND),
        ("ResourceInUse", "", 400, FailureKind.OTHER),
    ],
)
def test_classify_error_by_code_and_message(
    code: str, message: str, status: int, expected: FailureKind
) -> None:
    assert classify_error(client_error(code, message, "Op", status)) is expected


def test_classify_read_timeout_as_unavailable() -> None:
    err = ReadTimeoutError(endpoint_url="http://127.0.0.1:1/")
    assert classify_error(err) is FailureKind.UNAVAILABLE


def test_caller_retries_throttling_then_returns() -> None:
    client = _ScriptedClient([
        client_error("ThrottlingException", "Rate exceeded", "DescribeModel"),
        client_error("InternalFailure", "oops", "DescribeModel", 500),
        {"ModelName": "m", "ResponseMetadata": {"HTTPStatusCode": 200}},
    ])
    report = CrawlReport()
    delays: list[float] = []
    caller = Caller(client, report, sleep=delays.append, jitter=lambda: 1.0)

    response = caller.call("describe_model", ModelName="m")

    assert response == {"ModelName": "m"}
    assert report.calls == {"describe_model": 3}
    assert report.retries == 2
    assert report.throttled == 1
    assert delays == [0.5, 1.0]
    assert client.requests == [{"ModelName": "m"}] * 3


def test_caller_gives_up_after_max_attempts() -> None:
    client = _ScriptedClient([client_error("ThrottlingException", "Rate exceeded", "X")] * 5)
    report = CrawlReport()
    caller = Caller(client, report, sleep=lambda _: None, max_attempts=3)

    with pytest.raises(CallFailure) as raised:
        caller.call("describe_model", ModelName="m")

    assert raised.value.kind is FailureKind.THROTTLED
    assert raised.value.attempts == 3
    assert report.calls == {"describe_model": 3}
    assert report.retries == 2


def test_caller_does_not_retry_access_denied() -> None:
    client = _ScriptedClient([client_error("AccessDeniedException", "no", "X")])
    caller = Caller(client, CrawlReport(), sleep=_fail_on_sleep)

    with pytest.raises(CallFailure) as raised:
        caller.call("describe_model", ModelName="m")

    assert raised.value.kind is FailureKind.DENIED
    assert raised.value.attempts == 1


def test_caller_reports_missing_client_method_as_unsupported() -> None:
    caller = Caller(object(), CrawlReport())

    with pytest.raises(CallFailure) as raised:
        caller.call("list_inference_components")

    assert raised.value.kind is FailureKind.UNSUPPORTED


def test_backoff_grows_and_is_capped() -> None:
    caller = Caller(None, CrawlReport(), max_delay=4.0, jitter=lambda: 1.0)
    assert [caller.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]


def test_backoff_jitter_stays_in_upper_half() -> None:
    caller = Caller(None, CrawlReport(), jitter=lambda: 0.0)
    assert caller.backoff(3) == 1.0


def test_paginate_walks_empty_pages_with_token() -> None:
    client = RecordingClient(load_case("C01"))
    caller = Caller(client, CrawlReport(), sleep=_fail_on_sleep)

    listing = paginate(caller, "list_training_jobs", "TrainingJobSummaries")

    assert [item["TrainingJobName"] for item in listing.items] == ["churn-xgb-2024-05-02"]
    assert listing.pages == 3
    assert listing.complete
    tokens = [args.get("NextToken") for _, args in client.calls]
    assert tokens == [None, "tok-1", "tok-2"]
    assert all(args["MaxResults"] == 100 for _, args in client.calls)


def test_paginate_retries_same_token_after_throttling() -> None:
    client = RecordingClient(load_case("C02"))
    report = CrawlReport()
    caller = Caller(client, report, sleep=lambda _: None)

    listing = paginate(caller, "list_training_jobs", "TrainingJobSummaries")

    assert [item["TrainingJobName"] for item in listing.items] == ["fraud-lgbm-0602"]
    tokens = [args.get("NextToken") for _, args in client.calls]
    assert tokens == [None, "t1", "t2", "t3", "t3", "t4"]
    assert report.throttled == 1


def test_paginate_stops_on_repeated_token() -> None:
    client = RecordingClient({"responses": {"list_models": {"pages": [
        {"Models": [{"ModelName": "a"}], "NextToken": "same"},
        {"Models": [{"ModelName": "b"}], "NextToken": "same"},
        {"Models": [{"ModelName": "never"}]},
    ]}}})
    caller = Caller(client, CrawlReport())

    listing = paginate(caller, "list_models", "Models")

    assert [item["ModelName"] for item in listing.items] == ["a", "b"]
    assert listing.repeated_token == "same"
    assert not listing.complete


def test_paginate_keeps_pages_read_before_failure() -> None:
    client = RecordingClient({"responses": {"list_models": {"pages": [
        {"Models": [{"ModelName": "a"}], "NextToken": "t1"},
        {"error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
    ]}}})
    caller = Caller(client, CrawlReport(), sleep=lambda _: None, max_attempts=4)

    listing = paginate(caller, "list_models", "Models")

    assert [item["ModelName"] for item in listing.items] == ["a"]
    assert listing.pages == 1
    assert listing.failure is not None
    assert listing.failure.kind is FailureKind.THROTTLED
    assert len(client.calls) == 1 + 4


class _ScriptedClient:
    """A client whose calls return the next scripted response or raise the next scripted error."""

    def __init__(self, script: list[Any]) -> None:
        self.script = list(script)
        self.requests: list[dict[str, Any]] = []

    def describe_model(self, **kwargs: Any) -> dict[str, Any]:
        self.requests.append(kwargs)
        item = self.script.pop(0)
        if isinstance(item, ClientError):
            raise item
        return item


def _fail_on_sleep(seconds: float) -> None:
    raise AssertionError(f"unexpected retry wait of {seconds} s")
