"""The crawl benchmark's parts: call plans, lower bounds, the naive crawl and the DataHub guard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from bench import crawl_bench
from bench.accounts import AccountSpec, generate_records
from bench.datahub_recipe import is_loopback_address, recipe
from bench.mock_sagemaker import MockConfig, MockSageMaker
from bench.naive import naive_crawl

SPEC = AccountSpec(training_jobs=120, models=12, endpoints=3, processing_jobs=5, tuning_jobs=2,
                   transform_jobs=2, model_package_groups=1, packages_per_group=2)


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict[str, Any]]]:
    return generate_records(SPEC)


@pytest.fixture
def mock(records: dict[str, list[dict[str, Any]]]) -> Iterator[MockSageMaker]:
    with MockSageMaker(records, MockConfig(rate=None, latency=(0.0, 0.0))) as server:
        yield server


def test_search_plan_counts_pages_and_describes(records: dict[str, Any]) -> None:
    plan = crawl_bench.search_plan(records)

    # Training jobs take 2 pages; models, endpoints, packages and tuning jobs 1 each.
    assert plan["Search"] == 6
    assert plan["DescribeEndpointConfig"] == SPEC.endpoints
    assert plan["DescribeProcessingJob"] == SPEC.processing_jobs
    assert plan["ListProcessingJobs"] == 1
    assert plan["DescribeInferenceComponent"] == 0
    assert plan["ListInferenceComponents"] == 1


def test_list_describe_plan_describes_every_item(records: dict[str, Any]) -> None:
    plan = crawl_bench.list_describe_plan(records)

    assert plan["ListTrainingJobs"] == 2
    assert plan["DescribeTrainingJob"] == SPEC.training_jobs
    assert plan["DescribeEndpointConfig"] == 2 * SPEC.endpoints
    assert plan["DescribeModelPackage"] == 2


def test_lower_bound_uses_busiest_operation() -> None:
    plan = {"Search": 12, "DescribeProcessingJob": 50}

    seconds = crawl_bench.lower_bound_seconds(plan, MockConfig(rate=2.0, burst=2))

    assert seconds == pytest.approx(24.0)
    assert crawl_bench.lower_bound_seconds(plan, MockConfig(rate=None)) == 0.0


def test_naive_crawl_describes_everything(mock: MockSageMaker, records: dict[str, Any]) -> None:
    client = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=mock.endpoint_url)

    result = naive_crawl(client)

    expected = {kind: len(items) for kind, items in records.items() if items}
    assert result.records == expected
    assert result.failed == []
    assert result.retries == 0
    assert mock.stats()["total_calls"] == sum(crawl_bench.list_describe_plan(records).values())


def test_naive_crawl_counts_retries(records: dict[str, Any]) -> None:
    config = MockConfig(rate=50.0, burst=1, latency=(0.0, 0.0))
    small = {kind: items[:3] for kind, items in records.items()}
    with MockSageMaker(small, config) as server:
        client = boto3.client("sagemaker", region_name="us-east-1",
                              endpoint_url=server.endpoint_url)
        result = naive_crawl(client)
        stats = server.stats()

    assert stats["total_throttled"] > 0
    assert result.retries == stats["total_throttled"]
    assert result.attempts == stats["total_calls"]


def test_naive_crawl_stops_at_budget(mock: MockSageMaker) -> None:
    client = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=mock.endpoint_url)

    result = naive_crawl(client, max_seconds=0.0)

    assert result.stopped_early is True
    assert sum(result.records.values()) == 0


def test_our_crawl_makes_search_plan_calls(mock: MockSageMaker, records: dict[str, Any]) -> None:
    pytest.importorskip("lineage.crawl.crawler")

    row = crawl_bench.run_ours(mock, mock.config.rate)

    assert row.calls == sum(crawl_bench.search_plan(records).values())
    assert row.retries == 0
    # Only the configs that endpoints reference are read; older configs are not.
    referenced_configs = crawl_bench.search_plan(records)["DescribeEndpointConfig"]
    other_records = sum(len(items) for kind, items in records.items() if kind != "EndpointConfig")
    assert row.records == other_records + referenced_configs
    assert row.note == ""


def test_format_table_marks_missing_values() -> None:
    rows = [crawl_bench.Row("naive", calls=1228, seconds=5.66, throttled=0, retries=0,
                            records=1209),
            crawl_bench.Row("datahub", note="not run: missing")]

    table = crawl_bench.format_table(rows).splitlines()

    assert table[2] == "| naive | 1,228 | 5.7 | 0 | 0 | 1,209 |  |"
    assert table[3] == "| datahub | - | - | - | - | - | not run: missing |"


@pytest.mark.parametrize("address, allowed", [
    (("127.0.0.1", 443), True),
    (("::1", 443, 0, 0), True),
    (("localhost", 80), True),
    ("/run/some.sock", True),
    (("192.0.2.10", 443), False),
    (("169.254.169.254", 80), False),
    (("pypi.org", 443), False),
])
def test_loopback_guard_address_check(address: Any, allowed: bool) -> None:
    assert is_loopback_address(address) is allowed


def test_datahub_recipe_uses_file_sink(tmp_path: Path) -> None:
    document = recipe(tmp_path / "events.json")

    assert document["source"]["type"] == "sagemaker"
    assert document["source"]["config"]["extract_feature_groups"] is False
    assert document["sink"] == {"type": "file",
                                "config": {"filename": str(tmp_path / "events.json")}}


def test_cli_rejects_unknown_strategy() -> None:
    with pytest.raises(SystemExit):
        crawl_bench.parse_arguments(["--strategies", "ours,fastest"])
