"""Crawls at scale against the throttling mock on 127.0.0.1: rate limiting, threads, budget."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bench.accounts import AccountSpec, generate_records
from bench.mock_sagemaker import MockConfig, MockSageMaker
from lineage.crawl.calls import Budget
from lineage.crawl.crawler import crawl
from lineage.crawl.ratelimit import RateLimiter
from lineage.crawl.result import RECORD_META, CrawlResult, RecordKind
from tests.scale_mock import (
    mock_client,
    offline_aws,  # noqa: F401 (autouse: dummy credentials, no AWS)
    start_mock,
)

SPEC = AccountSpec(training_jobs=250, models=30, endpoints=4, processing_jobs=12, tuning_jobs=3,
                   transform_jobs=2, model_package_groups=2, packages_per_group=3)
RATE = 10.0


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict[str, Any]]]:
    return generate_records(SPEC)


@pytest.fixture
def throttled_mock(records: dict[str, list[dict[str, Any]]]) -> Iterator[MockSageMaker]:
    mock = start_mock(records, MockConfig(rate=RATE, latency=(0.01, 0.05)))
    yield mock
    mock.stop()


@pytest.fixture
def fast_mock(records: dict[str, list[dict[str, Any]]]) -> Iterator[MockSageMaker]:
    mock = start_mock(records, MockConfig(rate=None, latency=(0.0, 0.0)))
    yield mock
    mock.stop()


def test_limited_crawl_stays_under_one_percent_retries(throttled_mock: MockSageMaker) -> None:
    result = crawl(mock_client(throttled_mock), workers=4, limiter=RateLimiter(RATE))

    report = result.report
    stats = throttled_mock.stats()
    assert report.counts["TrainingJob"] == SPEC.training_jobs
    assert report.counts["ProcessingJob"] == SPEC.processing_jobs
    assert report.retries <= 0.01 * report.total_calls
    assert stats["total_throttled"] == report.throttled
    assert stats["total_calls"] == report.total_calls


def test_unlimited_threads_get_throttled(throttled_mock: MockSageMaker) -> None:
    # Without the limiter, the describe fan-out outruns the mock's per-operation bucket; this
    # shows the first test measures the limiter, not an idle mock.
    result = crawl(mock_client(throttled_mock), workers=8, sleep=lambda seconds: None,
                   max_attempts=20)

    assert result.report.throttled > 0
    assert result.report.counts["ProcessingJob"] == SPEC.processing_jobs


def test_threads_return_same_records_in_same_order(fast_mock: MockSageMaker) -> None:
    serial = crawl(mock_client(fast_mock), workers=1)
    threaded = crawl(mock_client(fast_mock), workers=4)

    assert _names(threaded) == _names(serial)
    assert threaded.report.calls == serial.report.calls
    assert threaded.report.warnings == serial.report.warnings


def test_describe_fan_out_uses_several_threads(fast_mock: MockSageMaker) -> None:
    client = mock_client(fast_mock)
    threads: set[str] = set()
    original = client.describe_processing_job

    def describe(**kwargs: Any) -> Any:
        threads.add(threading.current_thread().name)
        return original(**kwargs)

    client.describe_processing_job = describe
    crawl(client, workers=4, kinds={RecordKind.PROCESSING_JOB})

    assert len(threads) > 1
    assert all(name.startswith("crawl-describe") for name in threads)


def test_page_budget_marks_kind_partial(fast_mock: MockSageMaker) -> None:
    result = crawl(mock_client(fast_mock), budget=Budget(max_pages=1))

    assert result.report.counts["TrainingJob"] == 100
    assert "TrainingJob: stopped at page 2 (page budget ran out)" in result.report.partial
    assert result.report.calls["search"] == 5
    assert result.report.counts["Model"] == SPEC.models


def test_time_budget_keeps_what_was_read(fast_mock: MockSageMaker) -> None:
    clock = _Clock()
    budget = Budget(deadline=1.0, clock=clock)
    client = mock_client(fast_mock)
    original = client.describe_processing_job

    def describe_then_run_out(**kwargs: Any) -> Any:
        clock.now = 2.0
        return original(**kwargs)

    client.describe_processing_job = describe_then_run_out
    result = crawl(client, workers=1, budget=budget,
                   kinds={RecordKind.PROCESSING_JOB, RecordKind.TRANSFORM_JOB})

    full = [r for r in result.of(RecordKind.PROCESSING_JOB) if "status" not in r[RECORD_META]]
    assert len(full) == 1
    assert result.report.calls["describe_processing_job"] == 1
    assert "describe_transform_job" not in result.report.calls
    assert any("time budget ran out" in line for line in result.report.partial)


def test_progress_reports_search_pages(fast_mock: MockSageMaker) -> None:
    seen: list[tuple[str, int]] = []
    lock = threading.Lock()

    def progress(kind: str, count: int) -> None:
        with lock:
            seen.append((kind, count))

    crawl(mock_client(fast_mock), workers=4, progress=progress,
          kinds={RecordKind.TRAINING_JOB, RecordKind.PROCESSING_JOB})

    training = [count for kind, count in seen if kind == "TrainingJob"]
    assert training[:3] == [100, 200, 250]
    assert max(count for kind, count in seen if kind == "ProcessingJob") == SPEC.processing_jobs


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _names(result: CrawlResult) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for kind, records in result.records.items():
        names[kind.value] = [
            str(r.get(f"{kind.value}Arn") or r.get(f"{kind.value}Name")) for r in records
        ]
    return names
