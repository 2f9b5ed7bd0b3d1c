"""Tests of the adaptive rate limiter and of the call wrapper's use of it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from lineage.crawl.calls import Budget, Caller, CallFailure, FailureKind, paginate
from lineage.crawl.ratelimit import RateLimiter
from lineage.crawl.result import CrawlReport
from lineage.recording import client_error


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def test_limiter_spaces_calls_at_configured_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4.0, clock=clock, sleep=clock.sleep)

    send_times = []
    for _ in range(5):
        limiter.acquire("search")
        send_times.append(clock())

    assert send_times == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])


def test_limiter_keeps_operations_apart() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1.0, clock=clock, sleep=clock.sleep)

    limiter.acquire("search")
    waited = limiter.acquire("list_processing_jobs")

    assert waited == 0.0
    assert clock() == 0.0


def test_limiter_halves_rate_on_throttle() -> None:
    limiter = RateLimiter(2.0)

    limiter.on_throttle("search")

    assert limiter.rate("search") == pytest.approx(1.0)
    assert limiter.rate("describe_model") == pytest.approx(2.0)
    assert limiter.throttle_events == 1


def test_limiter_recovers_slowly_up_to_configured_rate() -> None:
    limiter = RateLimiter(2.0, increase_fraction=0.1)
    limiter.on_throttle("search")

    limiter.on_success("search")
    after_one = limiter.rate("search")
    for _ in range(100):
        limiter.on_success("search")

    assert after_one == pytest.approx(1.2)
    assert limiter.rate("search") == pytest.approx(2.0)


def test_limiter_never_drops_below_min_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1.0, min_rate=0.25, clock=clock, sleep=clock.sleep)

    for _ in range(10):
        limiter.on_throttle("search")
        clock.sleep(10.0)

    assert limiter.rate("search") == pytest.approx(0.25)


def test_limiter_lowers_once_for_simultaneous_throttles() -> None:
    clock = FakeClock()
    limiter = RateLimiter(8.0, clock=clock, sleep=clock.sleep)

    for _ in range(5):
        limiter.on_throttle("search")
    after_burst = limiter.rate("search")
    clock.sleep(1.0)
    limiter.on_throttle("search")

    assert after_burst == pytest.approx(4.0)
    assert limiter.rate("search") == pytest.approx(2.0)
    assert limiter.throttle_events == 6


def test_limiter_waits_after_throttle() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2.0, clock=clock, sleep=clock.sleep)
    limiter.acquire("search")
    clock.sleep(5.0)

    limiter.on_throttle("search")
    waited = limiter.acquire("search")

    assert waited == pytest.approx(1.0)


def test_limiter_shared_by_threads_keeps_spacing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10.0, clock=clock, sleep=lambda seconds: None)
    reserved: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            waited = limiter.acquire("describe_processing_job")
            with lock:
                reserved.append(clock() + waited)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    slots = sorted(reserved)
    assert len(slots) == 100
    assert slots == pytest.approx([i * 0.1 for i in range(100)])


@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_limiter_rejects_non_positive_rate(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(rate)


def test_caller_lowers_limiter_rate_on_throttling() -> None:
    client = _ScriptedClient([
        client_error("ThrottlingException", "Rate exceeded", "Search"),
        {"Results": []},
    ])
    limiter = RateLimiter(2.0, sleep=lambda seconds: None)
    report = CrawlReport()
    caller = Caller(client, report, sleep=lambda seconds: None, limiter=limiter)

    caller.call("search", Resource="TrainingJob")

    assert report.throttled == 1
    assert report.retries == 1
    assert limiter.throttle_events == 1
    assert limiter.rate("search") < 2.0


def test_caller_refreshes_client_once_on_expired_token() -> None:
    expired = _ScriptedClient([
        client_error("ExpiredTokenException", "The security token included in the request is "
                     "expired", "DescribeModel"),
    ])
    fresh = _ScriptedClient([{"ModelName": "m"}])
    refreshes: list[int] = []

    def refresh() -> Any:
        refreshes.append(1)
        return fresh

    report = CrawlReport()
    caller = Caller(expired, report, refresh_client=refresh)

    response = caller.call("describe_model", ModelName="m")

    assert response == {"ModelName": "m"}
    assert len(refreshes) == 1
    assert caller.client is fresh
    assert report.calls == {"describe_model": 2}


def test_caller_gives_up_when_refreshed_token_expires_again() -> None:
    error = client_error("ExpiredToken", "expired", "DescribeModel")
    report = CrawlReport()
    caller = Caller(_ScriptedClient([error]), report,
                    refresh_client=lambda: _ScriptedClient([error]))

    with pytest.raises(CallFailure) as raised:
        caller.call("describe_model", ModelName="m")

    assert raised.value.kind is FailureKind.EXPIRED
    assert report.calls == {"describe_model": 2}


def test_caller_without_refresh_reports_expired_token() -> None:
    caller = Caller(_ScriptedClient([client_error("ExpiredToken", "expired", "Search")]),
                    CrawlReport())

    with pytest.raises(CallFailure) as raised:
        caller.call("search", Resource="Model")

    assert raised.value.kind is FailureKind.EXPIRED
    assert raised.value.attempts == 1


def test_caller_sends_nothing_after_deadline() -> None:
    clock = FakeClock()
    client = _ScriptedClient([{"Results": []}])
    report = CrawlReport()
    caller = Caller(client, report, budget=Budget(deadline=1.0, clock=clock))
    clock.sleep(2.0)

    with pytest.raises(CallFailure) as raised:
        caller.call("search", Resource="Model")

    assert raised.value.kind is FailureKind.OUT_OF_BUDGET
    assert report.calls == {}


def test_paginate_stops_at_page_budget() -> None:
    pages = [{"Models": [{"ModelName": f"m{i}"}], "NextToken": f"t{i}"} for i in range(5)]
    report = CrawlReport()
    caller = Caller(_ScriptedClient(pages), report, budget=Budget(max_pages=3))

    listing = paginate(caller, "list_models", "Models")

    assert listing.pages == 3
    assert listing.out_of_pages
    assert not listing.complete
    assert [item["ModelName"] for item in listing.items] == ["m0", "m1", "m2"]
    assert report.calls == {"list_models": 3}


def test_paginate_within_page_budget_is_complete() -> None:
    pages = [{"Models": [{"ModelName": "m0"}], "NextToken": "t0"}, {"Models": []}]
    caller = Caller(_ScriptedClient(pages), CrawlReport(), budget=Budget(max_pages=2))

    listing = paginate(caller, "list_models", "Models")

    assert listing.complete
    assert listing.pages == 2


class _ScriptedClient:
    """Return the next scripted response, or raise the next scripted error, for any operation."""

    def __init__(self, script: list[Any]) -> None:
        self._script = list(script)

    def __getattr__(self, operation: str) -> Any:
        if operation.startswith("_"):
            raise AttributeError(operation)

        def call(**kwargs: Any) -> Any:
            item = self._script.pop(0) if len(self._script) > 1 else self._script[0]
            if isinstance(item, Exception):
                raise item
            return item

        return call
