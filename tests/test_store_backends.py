"""The snapshot store with history, on SQLite and on a private PostgreSQL server.

Every test here runs once per backend. PostgreSQL tests each get a new database on the suite's
server, so they never see each other's snapshots.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from lineage import store as stores
from lineage.crawl.result import RECORD_META, CrawlReport, CrawlResult, RecordKind
from lineage.errors import StoreError
from tests.conftest import REPO_ROOT
from tests.store_targets import fresh_database

ACCOUNT = "111122223333"
T0 = datetime(2024, 6, 10, 6, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield a store location that no other test uses: a SQLite path or a new database URL."""
    if request.param == "sqlite":
        yield str(tmp_path / "lineage.sqlite")
        return

    with fresh_database(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture
def opened(target: str) -> Iterator[stores.Store]:
    with stores.open_store(target, create=True) as store:
        yield store


# --- Saving and reading snapshots --------------------------------------------------------------


def test_store_round_trip_keeps_records_and_report(opened):
    snapshot = opened.save(_result(_endpoint("churn-prod", "cfg-v1"), _config("cfg-v1")),
                           source="unit", taken_at=T0)

    result = opened.result_at(snapshot)

    assert _names(result, RecordKind.ENDPOINT) == ["churn-prod"]
    (endpoint,) = result.of(RecordKind.ENDPOINT)
    assert endpoint["LastModifiedTime"] == datetime(2024, 5, 6, 10, tzinfo=timezone.utc)
    assert endpoint[RECORD_META]["source"] == "search"
    assert result.report.denied == ["Model"]


def test_store_snapshots_list_time_source_counts(opened):
    opened.save(_result(_endpoint("a", "cfg-v1"), _config("cfg-v1")), source="one", taken_at=T0)
    opened.save(_result(_endpoint("a", "cfg-v1")), source="two", taken_at=T0 + DAY)

    infos = opened.snapshots()

    assert [(info.id, info.source) for info in infos] == [(1, "one"), (2, "two")]
    assert infos[0].taken_at == T0
    assert infos[0].counts == {"Endpoint": 1, "EndpointConfig": 1}
    assert infos[1].counts == {"Endpoint": 1}
    assert infos[1].records == 1


def test_store_taken_at_defaults_to_report_finish(opened):
    result = _result(_endpoint("a", "cfg-v1"))
    result.report.finished = T0 + timedelta(hours=3)

    opened.save(result)

    assert opened.snapshots()[0].taken_at == T0 + timedelta(hours=3)


def test_store_naive_taken_at_is_utc(opened):
    opened.save(_result(_endpoint("a", "cfg-v1")), taken_at=datetime(2024, 6, 10, 6, 0))

    assert opened.snapshots()[0].taken_at == T0


def test_store_result_at_time_picks_latest_before(opened):
    _save_story(opened)

    assert _config_of(opened.result_at(T0 + timedelta(hours=1)), "churn-prod") == "cfg-v1"
    assert _config_of(opened.result_at(T0 + DAY), "churn-prod") == "cfg-v2"
    assert _config_of(opened.result_at(None), "churn-prod") == "cfg-v3"
    assert _config_of(opened.result_at(2), "churn-prod") == "cfg-v2"


def test_store_result_at_before_first_snapshot_raises(opened):
    _save_story(opened)

    with pytest.raises(StoreError, match="no snapshot taken at or before") as info:
        opened.result_at(T0 - DAY)

    assert "2024-06-10T06:00:00+00:00" in str(info.value)


def test_store_result_at_unknown_id_lists_ids(opened):
    _save_story(opened)

    with pytest.raises(StoreError, match="no snapshot 9; its snapshots are 1, 2, 3"):
        opened.result_at(9)


def test_store_result_at_empty_store_says_crawl_first(opened):
    with pytest.raises(StoreError, match="no snapshot yet"):
        opened.result_at()


def test_store_result_at_drops_vanished_record(opened):
    opened.save(_result(_endpoint("a", "cfg-v1"), _endpoint("b", "cfg-v1")), taken_at=T0)
    opened.save(_result(_endpoint("a", "cfg-v1")), taken_at=T0 + DAY)

    assert _names(opened.result_at(1), RecordKind.ENDPOINT) == ["a", "b"]
    assert _names(opened.result_at(2), RecordKind.ENDPOINT) == ["a"]


def test_store_result_between_keeps_old_and_new_configs(opened):
    _save_story(opened)

    result = opened.result_between(1, 2)

    assert _names(result, RecordKind.ENDPOINT_CONFIG) == ["cfg-v1", "cfg-v2"]
    assert _config_of(result, "churn-prod") == "cfg-v2"
    assert result.report.started == T0 + DAY


def test_store_result_between_times_include_state_at_start(opened):
    _save_story(opened)

    result = opened.result_between(T0 + timedelta(hours=12), T0 + 2 * DAY)

    assert _names(result, RecordKind.ENDPOINT_CONFIG) == ["cfg-v1", "cfg-v2", "cfg-v3"]
    assert _config_of(result, "churn-prod") == "cfg-v3"


def test_store_result_between_start_before_first_snapshot(opened):
    _save_story(opened)

    result = opened.result_between(T0 - 30 * DAY, 1)

    assert _names(result, RecordKind.ENDPOINT_CONFIG) == ["cfg-v1"]


def test_store_result_between_reversed_bounds_raise(opened):
    _save_story(opened)

    with pytest.raises(StoreError, match="swap the bounds"):
        opened.result_between(3, 1)


def test_store_result_between_out_of_order_snapshots(opened):
    opened.save(_result(_endpoint("a", "cfg-v1"), _config("cfg-v1")), taken_at=T0)
    opened.save(_result(_endpoint("a", "cfg-v3"), _config("cfg-v3")), taken_at=T0 + 2 * DAY)
    # Saved last but taken in between, as when an older recording is imported late.
    opened.save(_result(_endpoint("a", "cfg-v2"), _config("cfg-v2")), taken_at=T0 + DAY)

    assert [info.id for info in opened.snapshots()] == [1, 3, 2]
    assert _config_of(opened.result_at(T0 + DAY), "a") == "cfg-v2"
    assert _names(opened.result_between(1, 3), RecordKind.ENDPOINT_CONFIG) == [
        "cfg-v1", "cfg-v2",
    ]
    assert _config_of(opened.result_at(), "a") == "cfg-v3"


def test_store_record_history_lists_versions(opened):
    _save_story(opened)

    history = opened.record_history(RecordKind.ENDPOINT, "CHURN-PROD")

    assert [(first.id, last.id, record["EndpointConfigName"])
            for first, last, record in history] == [
        (1, 1, "cfg-v1"), (2, 2, "cfg-v2"), (3, 3, "cfg-v3"),
    ]
    assert history[0][0].taken_at == T0


def test_store_record_history_by_arn_and_ranges(opened):
    opened.save(_result(_endpoint("a", "cfg-v1")), taken_at=T0)
    opened.save(_result(_endpoint("a", "cfg-v1")), taken_at=T0 + DAY)
    opened.save(_result(_endpoint("a", "cfg-v2")), taken_at=T0 + 2 * DAY)

    history = opened.record_history(RecordKind.ENDPOINT, _arn("endpoint", "A"))

    assert [(first.id, last.id) for first, last, _ in history] == [(1, 2), (3, 3)]
    assert opened.record_history(RecordKind.ENDPOINT, "other") == []


def test_store_two_handles_share_history(target, opened):
    # A second process (here: a second handle) saving in between must be seen by the next
    # save, or both would extend the same snapshot's ranges.
    with stores.open_store(target) as other:
        opened.save(_result(_endpoint("a", "cfg-v1")), taken_at=T0)
        other.save(_result(_endpoint("a", "cfg-v2")), taken_at=T0 + DAY)
        opened.save(_result(_endpoint("a", "cfg-v2")), taken_at=T0 + 2 * DAY)

    history = opened.record_history(RecordKind.ENDPOINT, "a")

    assert [(first.id, last.id) for first, last, _ in history] == [(1, 1), (2, 3)]


def test_store_concurrent_saves_keep_ranges_consistent(target, opened):
    opened.save(_result(_endpoint("a", "cfg-v1")), taken_at=T0)
    errors: list[BaseException] = []

    def save_from_own_handle(offset: int) -> None:
        try:
            with stores.open_store(target) as own:
                own.save(_result(_endpoint("a", "cfg-v1")), taken_at=T0 + offset * DAY)
        except BaseException as err:  # collected so the main thread can report it
            errors.append(err)

    threads = [threading.Thread(target=save_from_own_handle, args=(n,)) for n in (1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    history = opened.record_history(RecordKind.ENDPOINT, "a")
    assert len(history) == 1
    assert history[0][1].id == max(info.id for info in opened.snapshots())


# --- Transactions ------------------------------------------------------------------------------


def test_store_failure_mid_save_keeps_previous_snapshot(opened):
    opened.save(_result(_endpoint("a", "cfg-v1"), _endpoint("b", "cfg-v1")), taken_at=T0)
    opened._connection = _FailingConnection(opened._connection, "INSERT INTO records")

    with pytest.raises(RuntimeError, match="injected"):
        opened.save(_result(_endpoint("a", "cfg-v1"), _endpoint("c", "cfg-v1")),
                    taken_at=T0 + DAY)

    opened._connection = opened._connection.inner
    assert [info.id for info in opened.snapshots()] == [1]
    assert _names(opened.result_at(), RecordKind.ENDPOINT) == ["a", "b"]
    history = opened.record_history(RecordKind.ENDPOINT, "a")
    assert [(first.id, last.id) for first, last, _ in history] == [(1, 1)]


def test_store_save_after_failed_save_succeeds(opened):
    opened.save(_result(_endpoint("a", "cfg-v1")), taken_at=T0)
    opened._connection = _FailingConnection(opened._connection, "UPDATE records")
    with pytest.raises(RuntimeError, match="injected"):
        opened.save(_result(_endpoint("a", "cfg-v1")), taken_at=T0 + DAY)
    opened._connection = opened._connection.inner

    snapshot = opened.save(_result(_endpoint("a", "cfg-v1")), taken_at=T0 + DAY)

    history = opened.record_history(RecordKind.ENDPOINT, "a")
    assert [(first.id, last.id) for first, last, _ in history] == [(1, snapshot)]


def test_store_killed_process_mid_save_keeps_previous_snapshot(target, opened, tmp_path):
    opened.save(_result(_endpoint("a", "cfg-v1"), _endpoint("b", "cfg-v1")), taken_at=T0)
    records = tmp_path / "records.json"
    records.write_text(json.dumps([_endpoint("a", "cfg-v1"), _endpoint("c", "cfg-v2")],
                                  default=str))

    completed = subprocess.run(
        [sys.executable, "-c", _DYING_SAVE, target, str(records)],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True, text=True,
        timeout=60,
    )

    assert completed.returncode == 3, completed.stderr
    with stores.open_store(target) as reopened:
        assert [info.id for info in reopened.snapshots()] == [1]
        assert _names(reopened.result_at(), RecordKind.ENDPOINT) == ["a", "b"]
        assert reopened.save(_result(_endpoint("a", "cfg-v1")), taken_at=T0 + DAY) > 1


# --- Schema versions and migrations ------------------------------------------------------------


def test_store_new_store_has_current_schema(opened):
    assert opened.schema_version == stores.SCHEMA_VERSION


def test_store_older_schema_is_migrated_on_open(target):
    _write_version_one_store(target)

    with stores.open_store(target) as migrated:
        assert migrated.schema_version == stores.SCHEMA_VERSION
        infos = migrated.snapshots()
        history = migrated.record_history(RecordKind.ENDPOINT, "churn-prod")
        result = migrated.result_at()

    assert [(info.id, info.taken_at) for info in infos] == [(1, T0), (2, T0 + DAY)]
    assert infos[0].counts == {"Endpoint": 1}
    assert [record["EndpointConfigName"] for _, _, record in history] == ["cfg-v1", "cfg-v2"]
    assert _config_of(result, "churn-prod") == "cfg-v2"


def test_store_failed_migration_leaves_store_unchanged(target):
    _write_version_one_store(target, extra_statement="ALTER TABLE records ADD COLUMN name TEXT")

    with pytest.raises(StoreError, match="from schema version 1 to 2 failed") as info:
        stores.open_store(target)

    assert "left unchanged" in str(info.value)
    assert _raw_version(target) == "1"


def test_store_newer_schema_names_store_and_version(target, opened):
    opened.save(_result(_endpoint("a", "cfg-v1")), taken_at=T0)
    opened.close()
    _run_sql(target, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")

    with pytest.raises(StoreError) as info:
        stores.open_store(target)

    message = str(info.value)
    assert "schema version 99" in message
    assert f"version {stores.SCHEMA_VERSION} that this release reads" in message
    assert stores.redact_url(target) in message
    assert "upgrade" in message


def test_store_foreign_database_rejected(target):
    _run_sql(target, "CREATE TABLE unrelated (x INTEGER)")

    with pytest.raises(StoreError, match="not a lineage store"):
        stores.open_store(target, create=True)


def test_store_empty_database_needs_create(target):
    if not target.startswith("postgresql://"):
        Path(target).touch()

    with pytest.raises(StoreError, match="not a lineage store"):
        stores.open_store(target)


def test_store_closed_store_raises(opened):
    opened.close()

    with pytest.raises(StoreError, match="closed"):
        opened.snapshots()


# --- Backend-independent helpers ---------------------------------------------------------------


def test_open_store_memory_keeps_snapshots():
    with stores.open_store(stores.MEMORY, create=True) as memory:
        memory.save(_result(_endpoint("a", "cfg-v1")), taken_at=T0)

        assert [info.id for info in memory.snapshots()] == [1]


def test_open_store_unreachable_postgres_names_url():
    with pytest.raises(StoreError, match="cannot connect") as info:
        stores.open_store("postgresql://user:secret@127.0.0.1:1/none?connect_timeout=2")

    assert "secret" not in str(info.value)
    assert "user:***@127.0.0.1:1" in str(info.value)


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("postgresql://u@h/db", "postgresql://u@h/db"),
    ("postgresql://h/db?sslmode=require", "postgresql://h/db?sslmode=require"),
])
def test_redact_url_hides_password(url, expected):
    assert stores.redact_url(url) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("3", 3),
    ("2024-06-12", datetime(2024, 6, 12, 23, 59, 59, 999999, tzinfo=timezone.utc)),
    ("2024-06-12T06:00:00Z", datetime(2024, 6, 12, 6, tzinfo=timezone.utc)),
    ("2024-06-12T08:00:00+02:00", datetime(2024, 6, 12, 6, tzinfo=timezone.utc)),
    ("2024-06-12T06:00", datetime(2024, 6, 12, 6, tzinfo=timezone.utc)),
])
def test_parse_as_of_forms(text, expected):
    assert stores.parse_as_of(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "-1", "2024-13-01", ""])
def test_parse_as_of_rejects_other_text(text):
    with pytest.raises(StoreError, match="invalid snapshot reference"):
        stores.parse_as_of(text)


# --- Helpers -----------------------------------------------------------------------------------


def _arn(kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:{kind}/{name}"


def _meta() -> dict[str, str]:
    return {"account": ACCOUNT, "region": "us-east-1", "source": "search"}


def _endpoint(name: str, config: str) -> dict[str, Any]:
    return {
        "EndpointName": name,
        "EndpointArn": _arn("endpoint", name),
        "EndpointConfigName": config,
        "EndpointStatus": "InService",
        "LastModifiedTime": datetime(2024, 5, 6, 10, tzinfo=timezone.utc),
        RECORD_META: _meta(),
    }


def _config(name: str) -> dict[str, Any]:
    return {
        "EndpointConfigName": name,
        "EndpointConfigArn": _arn("endpoint-config", name),
        "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": f"{name}-model",
                                "InitialVariantWeight": 1.0}],
        RECORD_META: {**_meta(), "source": "describe"},
    }


def _result(*records: dict[str, Any], started: datetime | None = None) -> CrawlResult:
    result = CrawlResult(report=CrawlReport(started=started, accounts=[ACCOUNT],
                                            regions=["us-east-1"], denied=["Model"]))
    for record in records:
        kind = RecordKind.ENDPOINT if "EndpointName" in record else RecordKind.ENDPOINT_CONFIG
        result.add(kind, record)
    return result


def _save_story(store: stores.Store) -> None:
    """Save three daily snapshots in which churn-prod moves from cfg-v1 to cfg-v2 to cfg-v3."""
    for day, config in enumerate(("cfg-v1", "cfg-v2", "cfg-v3")):
        store.save(_result(_endpoint("churn-prod", config), _config(config),
                           started=T0 + day * DAY), taken_at=T0 + day * DAY)


def _names(result: CrawlResult, kind: RecordKind) -> list[str]:
    field = "EndpointName" if kind is RecordKind.ENDPOINT else "EndpointConfigName"
    return sorted(str(record[field]) for record in result.of(kind))


def _config_of(result: CrawlResult, endpoint: str) -> str:
    (record,) = [r for r in result.of(RecordKind.ENDPOINT) if r["EndpointName"] == endpoint]
    return str(record["EndpointConfigName"])


class _FailingConnection:
    """A connection that raises on the first statement containing `marker`."""

    def __init__(self, inner: Any, marker: str) -> None:
        self.inner = inner
        self.marker = marker

    def execute(self, sql: str, params: Any = ()) -> Any:
        self._check(sql)
        return self.inner.execute(sql, params)

    def cursor(self) -> Any:
        return _FailingCursor(self.inner.cursor(), self)

    def close(self) -> None:
        self.inner.close()

    def _check(self, sql: str) -> None:
        if self.marker in sql:
            raise RuntimeError(f"injected failure before {sql[:30]!r}")


class _FailingCursor:
    def __init__(self, inner: Any, owner: _FailingConnection) -> None:
        self.inner = inner
        self.owner = owner

    def executemany(self, sql: str, rows: Any) -> None:
        self.owner._check(sql)
        self.inner.executemany(sql, rows)

    def close(self) -> None:
        self.inner.close()


# Saves the records of argv[2] to the store argv[1] and ends the process with status 3, without
# cleanup, on the first INSERT INTO records: after the snapshot row and the range updates.
_DYING_SAVE = """
import json, os, sys
from lineage import store as stores
from lineage.crawl.result import CrawlResult, RecordKind
from lineage.recording import decode_timestamps

opened = stores.open_store(sys.argv[1])
inner = opened._connection

class Dying:
    def execute(self, sql, params=()):
        return inner.execute(sql, params)
    def cursor(self):
        cursor = inner.cursor()
        class DyingCursor:
            def executemany(self, sql, rows):
                if "INSERT INTO records" in sql:
                    os._exit(3)
                cursor.executemany(sql, rows)
            def close(self):
                cursor.close()
        return DyingCursor()
    def close(self):
        inner.close()

opened._connection = Dying()
result = CrawlResult()
for record in json.load(open(sys.argv[2])):
    result.add(RecordKind.ENDPOINT, decode_timestamps(record))
opened.save(result)
sys.exit(0)
"""


def _write_version_one_store(target: str, extra_statement: str | None = None) -> None:
    """Write a store as release 0.1 did: schema version 1, two snapshots of churn-prod."""
    backend = _backend(target)
    connection = backend.connect(create=True)
    try:
        tx = stores.Transaction(backend, connection)
        backend.begin(connection, write=True)
        stores.MIGRATIONS[0].apply(tx)
        tx.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
        for number, config in ((1, "cfg-v1"), (2, "cfg-v2")):
            taken_at = (T0 + (number - 1) * DAY).isoformat()
            tx.execute("INSERT INTO snapshots (taken_at, source, report) VALUES (?, ?, ?)",
                       (taken_at, "crawl", json.dumps(CrawlReport().to_dict())))
            record = json.dumps(_endpoint("churn-prod", config), default=lambda v: v.isoformat())
            tx.execute("INSERT INTO records (kind, key, record, first_snapshot, last_snapshot) "
                       "VALUES (?, ?, ?, ?, ?)",
                       ("Endpoint", _arn("endpoint", "churn-prod"), record, number, number))
        if extra_statement:
            tx.execute(extra_statement)
        connection.execute("COMMIT")
    finally:
        connection.close()


def _backend(target: str) -> stores.Backend:
    if target.startswith("postgresql://"):
        return stores.PostgresBackend(target)
    return stores.SQLiteBackend(target)


def _run_sql(target: str, statement: str) -> None:
    backend = _backend(target)
    connection = backend.connect(create=True)
    try:
        connection.execute(statement)
    finally:
        connection.close()


def _raw_version(target: str) -> str:
    backend = _backend(target)
    connection = backend.connect(create=False)
    try:
        return str(connection.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
    finally:
        connection.close()
