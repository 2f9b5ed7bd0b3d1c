"""The benchmark mock with the time filters an incremental crawl sends, and boto3 clients for it.

The mock itself rejects any SearchExpression and ignores list filters. `FilteringApi` adds the
one filter form the incremental crawler sends (a single `GreaterThanOrEqualTo` on a timestamp
field) and `LastModifiedTimeAfter`/`CreationTimeAfter` on list calls, so the tests can count
the calls of a second crawl against an account that changed in between.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config

from bench import mock_sagemaker
from bench.mock_sagemaker import Account, ApiError, MockSageMaker, SageMakerApi

_LIST_TIME_FILTERS = {
    "LastModifiedTimeAfter": "LastModifiedTime",
    "CreationTimeAfter": "CreationTime",
}


class FilteringApi(SageMakerApi):
    """The mock's API with timestamp filters on Search and on list calls."""

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        expression = body.get("SearchExpression")
        if not expression:
            return super()._search(body)

        filters = expression.get("Filters") or []
        if len(filters) != 1 or filters[0].get("Operator") != "GreaterThanOrEqualTo":
            raise ApiError("ValidationException",
                           "This mock evaluates only one GreaterThanOrEqualTo filter.")
        field = filters[0]["Name"]
        since = _time(filters[0]["Value"])
        kind = str(body.get("Resource"))
        matching = [r for r in self.account.records[kind] if _at_or_after(r, field, since)]

        records = mock_sagemaker._sorted(matching, body.get("SortBy"), body.get("SortOrder"))
        page, token = self._page(f"Search:{kind}:{since.isoformat()}", records, body)
        members = mock_sagemaker._search_members(kind)
        results = []
        for record in page:
            inner: dict[str, Any] = mock_sagemaker._pick(record, members)
            if kind == "Model":
                inner = {"Model": inner,
                         "Endpoints": self.account.endpoints_serving(record["ModelName"])}
            results.append({kind: inner})
        response: dict[str, Any] = {"Results": results}
        if token:
            response["NextToken"] = token
        return response

    def _list(self, spec: Any, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        response = super()._list(spec, operation, body)
        for argument, field in _LIST_TIME_FILTERS.items():
            if argument in body:
                # NOTE: filters after paging, so a filtered page may be short or empty while a
                # NextToken remains, as AWS list calls also do.
                since = _time(body[argument])
                key, _ = mock_sagemaker._list_key(operation)
                names = {
                    str(r.get(spec.name_key)) for r in self.account.records[spec.kind]
                    if _after(r, field, since)
                }
                response[key] = [item for item in response[key]
                                 if str(item.get(spec.name_key)) in names]
        return response


@pytest.fixture(autouse=True)
def offline_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set dummy credentials, and aim any client built without an endpoint at 127.0.0.1:9."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def start_mock(
    records: dict[str, list[dict[str, Any]]], config: mock_sagemaker.MockConfig
) -> MockSageMaker:
    """Start a mock on 127.0.0.1 that evaluates the incremental crawler's time filters."""
    mock = MockSageMaker(records, config)
    mock.api = FilteringApi(Account(records), config.default_page_size)
    return mock.start()


def replace_records(mock: MockSageMaker, records: dict[str, list[dict[str, Any]]]) -> None:
    """Serve `records` from now on, as if the account changed."""
    mock.api = FilteringApi(Account(records), mock.config.default_page_size)


def mock_client(mock: MockSageMaker) -> Any:
    """Return a boto3 SageMaker client for the mock, with botocore's retries off."""
    return boto3.client(
        "sagemaker", region_name="us-east-1", endpoint_url=mock.endpoint_url,
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


def _time(value: Any) -> datetime:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value).astimezone()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _at_or_after(record: dict[str, Any], field: str, since: datetime) -> bool:
    value = record.get(field)
    return isinstance(value, datetime) and value >= since


def _after(record: dict[str, Any], field: str, since: datetime) -> bool:
    value = record.get(field)
    return isinstance(value, datetime) and value > since

