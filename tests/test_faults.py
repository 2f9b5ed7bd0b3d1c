"""Crawls through real boto3 while the benchmark mock injects faults, and saves that survive them.

Each crawl reads a small account as the CLI does: a client from `make_client` (with a short
read timeout), the shared `RateLimiter` and credential refresh through the client factory.
Meanwhile the mock throttles, fails, times out, resets connections, denies or expires calls.
Every result is compared with a fault-free crawl of the same account: a record may be missing
or differ only when the report names it or its kind (denied, unresolved, partial, or a
warning). The store tests check that a save or a crawl that fails part-way leaves the previous
snapshot whole.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.accounts import AccountSpec, generate_records
from bench.mock_sagemaker import Fault, MockConfig, MockSageMaker, load_faults
from lineage import store
from lineage.cli import main as lineage_main
from lineage.clients import make_client
from lineage.crawl import crawler
from lineage.crawl.crawler import crawl
from lineage.crawl.multi import Target, TargetOptions, crawl_targets
from lineage.crawl.ratelimit import RateLimiter
from lineage.crawl.result import RECORD_META, CrawlResult, PlaceholderStatus, RecordKind
from tests.scale_mock import offline_aws  # noqa: F401 (autouse: dummy credentials, no AWS)

# 120 training jobs fill two Search pages of 100, so a fault can end a listing part-way.
SPEC = AccountSpec(training_jobs=120, models=10, endpoints=3, processing_jobs=5, tuning_jobs=2,
                   transform_jobs=2, model_package_groups=1, packages_per_group=2,
                   children_per_tuning_job=3)
READ_TIMEOUT = 1.0
LIMITER_RATE = 50.0
# Retry delays are slept at this fraction of their length, so backoff stays short.
SLEEP_SCALE = 0.05
MAX_ATTEMPTS = 6
QUIET = MockConfig(rate=None, latency=(0.0, 0.002))

Records = dict[str, list[dict[str, Any]]]
RecordKey = tuple[str, str]


@pytest.fixture(scope="module")
def records() -> Records:
    return generate_records(SPEC)


@pytest.fixture(scope="module")
def baseline(records: Records) -> CrawlResult:
    """A crawl of the account with no fault injected."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        patch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        with MockSageMaker(records, QUIET) as mock:
            result = _crawl(mock)
    assert result.report.warnings == []
    assert result.report.retries == 0
    return result


@pytest.fixture
def faulty(records: Records) -> Iterator[Callable[..., MockSageMaker]]:
    """Start a mock of the account with the given fault rules; stop it after the test."""
    started: list[MockSageMaker] = []

    def start(*faults: Fault) -> MockSageMaker:
        mock = MockSageMaker(records, MockConfig(rate=None, latency=(0.0, 0.002), seed=3,
                                                 faults=faults))
        started.append(mock.start())
        return mock

    yield start
    for mock in started:
        mock.stop()


# --- retried faults: the result equals the fault-free crawl ---------------------------------


def test_throttling_storm_is_retried(faulty: Any, baseline: CrawlResult) -> None:
    mock = faulty(Fault("throttle", seconds=0.3))

    result = _crawl(mock)

    injected = mock.faults_injected()["throttle"]
    assert injected >= 1
    assert _records(result) == _records(baseline)
    assert result.report.throttled == injected
    assert result.report.retries == injected
    assert result.report.warnings == []


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_burst_is_retried(
    faulty: Any, baseline: CrawlResult, status: int
) -> None:
    mock = faulty(Fault("server_error", calls=8, status=status))

    result = _crawl(mock)

    assert mock.faults_injected() == {"server_error": 8}
    assert _records(result) == _records(baseline)
    assert result.report.retries == 8
    assert result.report.throttled == 0
    assert result.report.warnings == []


def test_server_error_fraction_is_retried(faulty: Any, baseline: CrawlResult) -> None:
    mock = faulty(Fault("server_error", probability=0.3, calls=10, status=503))

    result = _crawl(mock)

    injected = mock.faults_injected()["server_error"]
    assert 1 <= injected < mock.stats()["total_calls"]
    assert _records(result) == _records(baseline)
    assert result.report.retries == injected


def test_read_timeouts_are_retried(faulty: Any, baseline: CrawlResult) -> None:
    mock = faulty(Fault("timeout", operations=frozenset({"Search", "DescribeProcessingJob"}),
                        calls=3, delay=READ_TIMEOUT * 3))

    result = _crawl(mock)

    assert mock.faults_injected() == {"timeout": 3}
    assert _records(result) == _records(baseline)
    # A slow machine may time out an ordinary request too, so more retries are allowed.
    assert result.report.retries >= 3
    assert result.report.warnings == []


def test_connection_resets_are_retried(faulty: Any, baseline: CrawlResult) -> None:
    mock = faulty(Fault("reset", probability=0.3, calls=6))

    result = _crawl(mock)

    injected = mock.faults_injected()["reset"]
    assert injected >= 1
    assert _records(result) == _records(baseline)
    assert result.report.retries == injected


def test_expired_token_refreshes_client_and_reads_all(
    faulty: Any, baseline: CrawlResult
) -> None:
    # One expired response: with several in a row, parallel listings could send one call's
    # retry into the same run of faults, and a refreshed token that expires again is an error
    # by design. Expiry of every request signed with old credentials is tested below.
    mock = faulty(Fault("expired", after_calls=5, calls=1))
    clients: list[Any] = []

    result = _crawl(mock, clients_made=clients)

    assert mock.faults_injected() == {"expired": 1}
    assert len(clients) >= 2
    assert _records(result) == _records(baseline)
    assert result.report.warnings == []


def test_expired_credentials_are_replaced_through_targets(
    faulty: Any, baseline: CrawlResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every request signed with the first access key fails, so only a client built with new
    # credentials reads anything.
    mock = faulty(Fault("expired", access_key="first-key"))
    keys = iter(["first-key", "second-key", "third-key"])

    def new_client(target: Target) -> Any:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", next(keys))
        return make_client(target.profile, target.region, target.endpoint_url,
                           connect_timeout=1.0, read_timeout=READ_TIMEOUT)

    target = Target(region="us-east-1", endpoint_url=mock.endpoint_url)
    options = TargetOptions(rate=LIMITER_RATE, max_attempts=MAX_ATTEMPTS)
    result = crawl_targets([target], new_client, options=options)

    assert mock.faults_injected()["expired"] >= 1
    assert _records(result) == _records(baseline)
    assert result.report.partial == []


# --- faults that stay: the report names what was not read -----------------------------------


def test_persistent_describe_errors_are_unresolved(faulty: Any, baseline: CrawlResult) -> None:
    mock = faulty(Fault("server_error", operations=frozenset({"DescribeTransformJob"}),
                        calls=100))

    result = _crawl(mock)

    names = sorted(r["TransformJobName"] for r in baseline.of(RecordKind.TRANSFORM_JOB))
    assert sorted(result.report.unresolved["TransformJob"]) == names
    statuses = {r[RECORD_META]["status"] for r in result.of(RecordKind.TRANSFORM_JOB)}
    assert statuses == {PlaceholderStatus.FAILED.value}
    assert mock.faults_injected() == {"server_error": len(names) * MAX_ATTEMPTS}
    assert _unexplained(result, baseline) == []


def test_failed_search_page_leaves_kind_partial(faulty: Any, baseline: CrawlResult) -> None:
    mock = faulty(Fault("server_error", operations=frozenset({"Search"}),
                        resource="TrainingJob", after_calls=1, calls=100))

    result = _crawl(mock)

    assert result.report.partial == ["TrainingJob: stopped at page 2"]
    assert any("kept the 100 items" in warning for warning in result.report.warnings)
    assert len(result.of(RecordKind.TRAINING_JOB)) == 100
    assert _unexplained(result, baseline) == []


def test_denied_describe_is_named_in_report(faulty: Any, baseline: CrawlResult) -> None:
    mock = faulty(Fault("denied", operations=frozenset({"DescribeProcessingJob"})))

    result = _crawl(mock)

    jobs = result.of(RecordKind.PROCESSING_JOB)
    assert len(jobs) == SPEC.processing_jobs
    assert {r[RECORD_META]["status"] for r in jobs} == {PlaceholderStatus.NO_PERMISSION.value}
    assert result.report.denied == ["ProcessingJob"]
    warning = next(w for w in result.report.warnings if "describe_processing_job" in w)
    for job in jobs:
        assert job["ProcessingJobName"] in warning
    assert _unexplained(result, baseline) == []


def test_denied_search_falls_back_to_describe(faulty: Any, baseline: CrawlResult) -> None:
    mock = faulty(Fault("denied", operations=frozenset({"Search"}), resource="Model"))

    result = _crawl(mock)

    models = result.of(RecordKind.MODEL)
    assert _names(models, "ModelName") == _names(baseline.of(RecordKind.MODEL), "ModelName")
    assert {r[RECORD_META]["source"] for r in models} == {"describe"}
    assert any(w.startswith("search for Model failed with AccessDeniedException")
               for w in result.report.warnings)
    assert result.report.denied == []
    assert _unexplained(result, baseline) == []


def test_denied_listing_skips_kind(faulty: Any, baseline: CrawlResult) -> None:
    mock = faulty(Fault("denied", operations=frozenset({"ListTransformJobs"})))

    result = _crawl(mock)

    assert result.of(RecordKind.TRANSFORM_JOB) == []
    assert result.report.denied == ["TransformJob"]
    assert _unexplained(result, baseline) == []


def test_expired_token_without_refresh_is_partial(
    faulty: Any, baseline: CrawlResult
) -> None:
    mock = faulty(Fault("expired", operations=frozenset({"ListProcessingJobs"})))

    result = _crawl(mock, refresh=False)

    assert result.of(RecordKind.PROCESSING_JOB) == []
    assert result.report.partial == ["ProcessingJob: stopped at page 1"]
    assert any("ExpiredTokenException" in w for w in result.report.warnings)
    assert _unexplained(result, baseline) == []


def test_mixed_faults_leave_only_named_gaps(faulty: Any, baseline: CrawlResult) -> None:
    mock = faulty(
        Fault("throttle", seconds=0.2),
        Fault("reset", probability=0.2, calls=4),
        Fault("server_error", operations=frozenset({"DescribeEndpointConfig"}), calls=100),
        Fault("denied", operations=frozenset({"ListModelPackageGroups"})),
    )

    result = _crawl(mock)

    assert result.report.denied == ["ModelPackageGroup"]
    assert len(result.report.unresolved["EndpointConfig"]) == SPEC.endpoints
    assert _unexplained(result, baseline) == []


# --- saving: the store contains the new snapshot whole or only the previous one -------------


def test_failed_save_keeps_previous_snapshot(
    faulty: Any, baseline: CrawlResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "lineage.db"
    database = store.open_store(path, create=True)
    first = database.save(baseline, source="fault-free")
    before = _records(database.result_at())
    changed = _crawl(faulty(Fault("denied", operations=frozenset({"DescribeProcessingJob"}))))

    with monkeypatch.context() as patch:
        patch.setattr(store.Transaction, "many", _write_then_fail(store.Transaction.many))
        with pytest.raises(RuntimeError, match="injected failure"):
            database.save(changed, source="interrupted")

    assert [info.id for info in database.snapshots()] == [first]
    assert _records(database.result_at()) == before
    database.close()
    with store.open_store(path) as reopened:
        assert [info.id for info in reopened.snapshots()] == [first]
        assert _records(reopened.result_at()) == before
        second = reopened.save(changed, source="retried")
        assert _records(reopened.result_at(second)) == _records(changed)
        assert _records(reopened.result_at(first)) == before


def test_killed_save_keeps_previous_snapshot(baseline: CrawlResult, tmp_path: Path) -> None:
    path = tmp_path / "lineage.db"
    with store.open_store(path, create=True) as database:
        first = database.save(baseline, source="fault-free")
        before = _records(database.result_at())

    # The child process adds a record and dies with os._exit in the middle of its save, so
    # neither Python nor SQLite gets to clean up.
    script = textwrap.dedent(f"""
        import os
        from lineage import store
        from lineage.crawl.result import RECORD_META, RecordKind

        original = store.Transaction.many
        def many_then_exit(self, statement, rows):
            original(self, statement, rows)
            os._exit(17)
        database = store.open_store({str(path)!r})
        result = database.result_at()
        result.add(RecordKind.MODEL, {{"ModelName": "added-before-crash",
                                       RECORD_META: {{"account": None, "region": None,
                                                      "source": "describe"}}}})
        store.Transaction.many = many_then_exit
        database.save(result, source="killed")
    """)
    completed = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parent.parent,
                               capture_output=True, text=True, timeout=60, check=False)

    assert completed.returncode == 17, completed.stderr
    with store.open_store(path) as reopened:
        assert [info.id for info in reopened.snapshots()] == [first]
        assert _records(reopened.result_at()) == before


def test_crawl_that_raises_saves_nothing(
    faulty: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mock = faulty(Fault("server_error", calls=3))
    path = str(tmp_path / "lineage.db")
    command = ["crawl", "--endpoint-url", mock.endpoint_url, "--region", "us-east-1",
               "--db", path, "--rate", str(LIMITER_RATE), "--no-cloudtrail", "--json"]
    assert lineage_main(command) == 0
    with store.open_store(path) as database:
        before = _records(database.result_at())
        snapshots = [info.id for info in database.snapshots()]

    def crash(self: Any) -> None:
        raise RuntimeError("injected failure before the report was finished")

    monkeypatch.setattr(crawler._CrawlSession, "finish", crash)
    with pytest.raises(RuntimeError, match="injected failure"):
        lineage_main(command + ["--full"])

    with store.open_store(path) as database:
        assert [info.id for info in database.snapshots()] == snapshots
        assert _records(database.result_at()) == before


# --- the fault configuration -----------------------------------------------------------------


def test_fault_without_end_is_rejected() -> None:
    with pytest.raises(ValueError, match="never ends"):
        Fault("throttle")


def test_fault_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="fault kind"):
        Fault("slow")


def test_faults_load_from_json(tmp_path: Path) -> None:
    path = tmp_path / "faults.json"
    path.write_text('[{"kind": "denied", "operations": ["Search"], "resource": "Model"}, '
                    '{"kind": "server_error", "calls": 3, "status": 503}]')

    faults = load_faults(str(path))

    assert faults == (
        Fault("denied", operations=frozenset({"Search"}), resource="Model"),
        Fault("server_error", calls=3, status=503),
    )


# --- helpers ----------------------------------------------------------------------------------


def _crawl(
    mock: MockSageMaker, *, refresh: bool = True, clients_made: list[Any] | None = None
) -> CrawlResult:
    """Crawl the mock with a client and rate limiter set up as `lineage crawl` sets them up."""
    made = clients_made if clients_made is not None else []

    def new_client() -> Any:
        client = make_client(region="us-east-1", endpoint_url=mock.endpoint_url,
                             connect_timeout=1.0, read_timeout=READ_TIMEOUT)
        made.append(client)
        return client

    return crawl(new_client(), limiter=RateLimiter(LIMITER_RATE), sleep=_short_sleep,
                 max_attempts=MAX_ATTEMPTS, refresh_client=new_client if refresh else None)


def _short_sleep(seconds: float) -> None:
    time.sleep(seconds * SLEEP_SCALE)


def _write_then_fail(many: Callable[..., None]) -> Callable[..., None]:
    """Wrap Transaction.many so that it writes its rows and then raises, mid-transaction."""
    def many_then_fail(self: Any, statement: str, rows: Any) -> None:
        many(self, statement, rows)
        raise RuntimeError("injected failure after writing rows")

    return many_then_fail


def _records(result: CrawlResult) -> dict[RecordKey, dict[str, Any]]:
    """Return the records of a result by (kind, resource id), without their crawl metadata."""
    keyed: dict[RecordKey, dict[str, Any]] = {}
    for kind, items in result.records.items():
        for record in items:
            keyed[(RecordKind(kind).value, _resource_id(RecordKind(kind), record))] = (
                store.decode_timestamps(
                    {k: v for k, v in store.encode_json(record).items() if k != RECORD_META}
                )
            )
    return keyed


def _resource_id(kind: RecordKind, record: dict[str, Any]) -> str:
    """Return the lower-cased resource id of a record ("model/churn-1" -> "churn-1").

    The store keys a record by its ARN when it has one, and a placeholder made from a name has
    none, so the tests compare by the resource id that both forms contain.
    """
    key = store.record_key(kind, record)
    if key.startswith("name:"):
        return key.removeprefix("name:")
    if key.startswith("arn:"):
        return key.split(":", 5)[5].split("/", 1)[-1].lower()
    return key


def _names(records: list[dict[str, Any]], field: str) -> list[str]:
    return sorted(str(record[field]) for record in records)


def _unexplained(result: CrawlResult, baseline: CrawlResult) -> list[str]:
    """Return the differences from the fault-free crawl that the report does not name.

    A record may be missing when its kind is denied or partial. It may differ when its kind is
    denied, when Search for its kind fell back to describe calls, or when it is a placeholder
    that the report names (in `unresolved` or in a warning).
    """
    report = result.report
    got, expected = _records(result), _records(baseline)
    placeholders = {
        (RecordKind(kind).value, _resource_id(RecordKind(kind), record)): record
        for kind, items in result.records.items() for record in items
        if "status" in record[RECORD_META]
    }
    partial = {line.split(":")[0] for line in report.partial}
    fallback = {kind for kind, _ in expected
                if any(w.startswith(f"search for {kind} failed") for w in report.warnings)}

    problems = [f"{kind} {key} was read but not by the fault-free crawl"
                for kind, key in got.keys() - expected.keys()]
    for kind, key in sorted(expected.keys() - got.keys()):
        if kind not in report.denied and kind not in partial:
            problems.append(f"{kind} {key} is missing and the report does not say why")
    for (kind, key), record in sorted(got.items()):
        if (kind, key) not in expected or record == expected[(kind, key)]:
            continue
        if kind in report.denied or kind in fallback:
            continue
        placeholder = placeholders.get((kind, key))
        named = key in report.unresolved.get(kind, []) or any(
            key in warning for warning in report.warnings)
        if placeholder is None or not named:
            problems.append(f"{kind} {key} differs and the report does not name it")
    return problems
