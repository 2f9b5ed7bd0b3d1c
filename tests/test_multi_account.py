"""Several accounts and regions in one crawl: targets, role assumption and credential refresh."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from bench.accounts import ACCOUNT_ID, AccountSpec, generate_records
from bench.mock_sagemaker import MockConfig, MockSageMaker
from lineage.clients import ClientSetupError, assume_role_session, make_client, role_account
from lineage.crawl.multi import Target, TargetOptions, crawl_targets, targets_from
from lineage.crawl.result import RECORD_META, RecordKind
from lineage.recording import client_error
from tests.scale_mock import (
    mock_client,
    offline_aws,  # noqa: F401 (autouse: dummy credentials, no AWS)
    start_mock,
)

SPEC = AccountSpec(training_jobs=30, models=6, endpoints=2, processing_jobs=3, tuning_jobs=1,
                   transform_jobs=1, model_package_groups=1, packages_per_group=2)
OTHER_ACCOUNT = "444455556666"
ROLE = f"arn:aws:iam::{OTHER_ACCOUNT}:role/LineageReader"
# The mocks do not throttle, so the limiter need not slow the tests down.
FAST = TargetOptions(rate=1000.0)


@pytest.fixture
def two_accounts() -> Iterator[dict[str, MockSageMaker]]:
    records = generate_records(SPEC)
    config = MockConfig(rate=None, latency=(0.0, 0.0))
    mocks = {
        ACCOUNT_ID: start_mock(records, config),
        OTHER_ACCOUNT: start_mock(_in_account(records, OTHER_ACCOUNT, "eu-west-1"), config),
    }
    yield mocks
    for mock in mocks.values():
        mock.stop()


def test_two_accounts_merge_into_one_result(two_accounts: dict[str, MockSageMaker]) -> None:
    targets = [Target(region="us-east-1", endpoint_url=two_accounts[ACCOUNT_ID].endpoint_url),
               Target(region="eu-west-1", endpoint_url=two_accounts[OTHER_ACCOUNT].endpoint_url)]

    result = crawl_targets(targets, _client_for(two_accounts), options=FAST)

    report = result.report
    assert report.accounts == [ACCOUNT_ID, OTHER_ACCOUNT]
    assert report.regions == ["eu-west-1", "us-east-1"]
    assert report.counts["TrainingJob"] == 2 * SPEC.training_jobs
    scopes = report.by_account_region
    assert set(scopes) == {f"{ACCOUNT_ID}/us-east-1", f"{OTHER_ACCOUNT}/eu-west-1"}
    assert scopes[f"{OTHER_ACCOUNT}/eu-west-1"]["counts"]["TrainingJob"] == SPEC.training_jobs
    assert report.total_calls == sum(part["total_calls"] for part in scopes.values())
    metas = {(r[RECORD_META]["account"], r[RECORD_META]["region"])
             for r in result.of(RecordKind.TRAINING_JOB)}
    assert metas == {(ACCOUNT_ID, "us-east-1"), (OTHER_ACCOUNT, "eu-west-1")}


def test_each_account_crawls_incrementally(two_accounts: dict[str, MockSageMaker]) -> None:
    targets = [Target(region="us-east-1", endpoint_url=two_accounts[ACCOUNT_ID].endpoint_url),
               Target(region="eu-west-1", endpoint_url=two_accounts[OTHER_ACCOUNT].endpoint_url)]
    first = crawl_targets(targets, _client_for(two_accounts), options=FAST)

    second = crawl_targets(targets, _client_for(two_accounts), previous=first,
                           options=FAST)

    assert second.report.counts == first.report.counts
    for part in second.report.by_account_region.values():
        assert not [op for op in part["calls"] if op.startswith("describe_")]
        assert part["calls"]["list_endpoints"] == 1


def test_expired_token_refreshes_client_once(two_accounts: dict[str, MockSageMaker]) -> None:
    mock = two_accounts[ACCOUNT_ID]
    clients_made: list[Any] = []

    def make(target: Target) -> Any:
        client = mock_client(mock)
        if not clients_made:
            _expire_once(client, "describe_processing_job")
        clients_made.append(client)
        return client

    result = crawl_targets([Target(region="us-east-1")], make, options=FAST)

    assert len(clients_made) == 2
    assert result.report.counts["ProcessingJob"] == SPEC.processing_jobs
    assert not [w for w in result.report.warnings if "Expired" in w]


def test_denied_kinds_name_their_account_region(two_accounts: dict[str, MockSageMaker]) -> None:
    def make(target: Target) -> Any:
        client = mock_client(two_accounts[ACCOUNT_ID if target.region == "us-east-1"
                                          else OTHER_ACCOUNT])
        if target.region == "eu-west-1":
            _deny(client, "list_processing_jobs")
        return client

    result = crawl_targets([Target(region="us-east-1"), Target(region="eu-west-1")], make,
                           options=FAST)

    assert result.report.denied == [f"ProcessingJob ({OTHER_ACCOUNT}/eu-west-1)"]
    assert result.report.counts["ProcessingJob"] == SPEC.processing_jobs


def test_targets_are_profiles_times_regions() -> None:
    targets = targets_from(["a", "b"], ["us-east-1", "eu-west-1"])

    assert [(t.profile, t.region) for t in targets] == [
        ("a", "us-east-1"), ("a", "eu-west-1"), ("b", "us-east-1"), ("b", "eu-west-1"),
    ]


def test_targets_are_roles_times_regions() -> None:
    targets = targets_from(["base"], ["us-east-1"], [ROLE, ROLE.replace(OTHER_ACCOUNT, "1" * 12)])

    assert [(t.profile, t.role_arn, t.account) for t in targets] == [
        ("base", ROLE, OTHER_ACCOUNT),
        ("base", ROLE.replace(OTHER_ACCOUNT, "1" * 12), "1" * 12),
    ]


def test_assumed_role_credentials_come_from_sts() -> None:
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
    with Stubber(sts) as stubber:
        stubber.add_response("assume_role", _assume_role_response("ASIAFIRSTEXAMPLE1", hours=1),
                             {"RoleArn": ROLE, "RoleSessionName": ANY, "DurationSeconds": 3600})
        session = assume_role_session(boto3.session.Session(), ROLE, sts_client=sts)

        credentials = session.get_credentials().get_frozen_credentials()

        stubber.assert_no_pending_responses()
    assert credentials.access_key == "ASIAFIRSTEXAMPLE1"
    assert credentials.token == "token-ASIAFIRSTEXAMPLE1"


def test_assumed_role_refreshes_before_expiry() -> None:
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
    with Stubber(sts) as stubber:
        # The first credentials expire in 5 minutes, inside botocore's 10-minute mandatory
        # refresh window, so the next use fetches new ones.
        first = _assume_role_response("ASIAFIRSTEXAMPLE1", hours=5 / 60)
        stubber.add_response("assume_role", first)
        stubber.add_response("assume_role", _assume_role_response("ASIASECONDEXAMPLE", hours=1))
        session = assume_role_session(boto3.session.Session(), ROLE, sts_client=sts)

        credentials = session.get_credentials().get_frozen_credentials()

        stubber.assert_no_pending_responses()
    assert credentials.access_key == "ASIASECONDEXAMPLE"


def test_sagemaker_client_signs_with_assumed_role(two_accounts: dict[str, MockSageMaker]) -> None:
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
    with Stubber(sts) as stubber:
        stubber.add_response("assume_role", _assume_role_response("ASIAROLEEXAMPLE01", hours=1))
        client = make_client(region="us-east-1", role_arn=ROLE, sts_client=sts,
                             endpoint_url=two_accounts[OTHER_ACCOUNT].endpoint_url)
        seen: list[str] = []
        client.meta.events.register(
            "before-send.sagemaker.*",
            lambda request, **_: seen.append(request.headers["Authorization"].decode()),
        )

        client.list_models(MaxResults=1)

    assert "Credential=ASIAROLEEXAMPLE01/" in seen[0]


def test_role_arn_must_be_iam_role() -> None:
    with pytest.raises(ClientSetupError, match="invalid role ARN"):
        role_account("arn:aws:sagemaker:us-east-1:123456789012:model/x")


def _client_for(mocks: dict[str, MockSageMaker]) -> Any:
    def make(target: Target) -> Any:
        return boto3.client(
            "sagemaker", region_name=target.region, endpoint_url=target.endpoint_url,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )

    return make


def _in_account(
    records: dict[str, list[dict[str, Any]]], account: str, region: str
) -> dict[str, list[dict[str, Any]]]:
    """Return a copy of the records with the account id and region replaced in every string."""

    def replace(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(ACCOUNT_ID, account).replace("us-east-1", region)
        if isinstance(value, dict):
            return {key: replace(item) for key, item in value.items()}
        if isinstance(value, list):
            return [replace(item) for item in value]
        return value

    return replace(records)


def _expire_once(client: Any, operation: str) -> None:
    original = getattr(client, operation)
    calls: list[int] = []

    def call(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise client_error("ExpiredTokenException", "The security token included in the "
                               "request is expired", operation)
        return original(**kwargs)

    setattr(client, operation, call)


def _deny(client: Any, operation: str) -> None:
    def call(**kwargs: Any) -> Any:
        raise client_error("AccessDeniedException", "not authorized", operation)

    setattr(client, operation, call)


def _assume_role_response(key: str, hours: float) -> dict[str, Any]:
    return {
        "Credentials": {
            "AccessKeyId": key,
            "SecretAccessKey": f"secret-{key}",
            "SessionToken": f"token-{key}",
            "Expiration": datetime.now(timezone.utc) + timedelta(hours=hours),
        },
        "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:sagemaker-lineage",
                            "Arn": f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/LineageReader/x"},
    }


