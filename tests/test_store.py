"""SQLite snapshot store: round trips, snapshot ranges and damaged files."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest

from lineage import store
from lineage.crawl.result import RECORD_META, CrawlReport, CrawlResult, RecordKind
from lineage.errors import StoreError

ARN = "arn:aws:sagemaker:us-east-1:111122223333:training-job/{}"


def _job(name: str, status: str = "Completed", **extra: object) -> dict[str, object]:
    return {
        "TrainingJobName": name,
        "TrainingJobArn": ARN.format(name),
        "TrainingJobStatus": status,
        "CreationTime": datetime(2024, 5, 2, 10, 0, tzinfo=timezone.utc),
        RECORD_META: {"account": "111122223333", "region": "us-east-1", "source": "search"},
        **extra,
    }


def _result(*jobs: dict[str, object], finished: datetime | None = None) -> CrawlResult:
    report = CrawlReport(finished=finished or datetime(2024, 6, 1, tzinfo=timezone.utc),
                         accounts=["111122223333"], regions=["us-east-1"], denied=["Model"])
    result = CrawlResult(report=report)
    for job in jobs:
        result.add(RecordKind.TRAINING_JOB, job)
    return result


def _names(result: CrawlResult) -> list[str]:
    return sorted(str(job["TrainingJobName"]) for job in result.of(RecordKind.TRAINING_JOB))


def test_store_round_trip_keeps_records(tmp_path):
    path = tmp_path / "lineage.sqlite"
    store.save(_result(_job("a"), _job("b")), path)

    loaded = store.load_latest(path)

    assert _names(loaded) == ["a", "b"]
    job = next(j for j in loaded.of(RecordKind.TRAINING_JOB) if j["TrainingJobName"] == "a")
    assert job["CreationTime"] == datetime(2024, 5, 2, 10, 0, tzinfo=timezone.utc)
    assert job[RECORD_META]["source"] == "search"


def test_store_round_trip_keeps_report(tmp_path):
    path = tmp_path / "lineage.sqlite"
    store.save(_result(_job("a")), path)

    report = store.load_latest(path).report

    assert report.denied == ["Model"]
    assert report.accounts == ["111122223333"]
    assert report.finished == datetime(2024, 6, 1, tzinfo=timezone.utc)


def test_store_latest_snapshot_drops_vanished_record(tmp_path):
    path = tmp_path / "lineage.sqlite"
    first = store.save(_result(_job("a"), _job("b")), path)
    second = store.save(_result(_job("a")), path)

    opened = store.open_store(path)

    assert _names(opened.load_latest()) == ["a"]
    assert _names(opened.snapshot(first).result) == ["a", "b"]
    assert second == first + 1


def test_store_unchanged_record_extends_range(tmp_path):
    path = tmp_path / "lineage.sqlite"
    store.save(_result(_job("a")), path)
    store.save(_result(_job("a")), path)
    store.save(_result(_job("a", status="Stopped")), path)

    rows = sqlite3.connect(path).execute(
        "SELECT first_snapshot, last_snapshot FROM records ORDER BY first_snapshot"
    ).fetchall()

    assert rows == [(1, 2), (3, 3)]


def test_store_changed_record_as_of_snapshot(tmp_path):
    path = tmp_path / "lineage.sqlite"
    store.save(_result(_job("a")), path)
    store.save(_result(_job("a", status="Stopped")), path)
    opened = store.open_store(path)

    (before,) = opened.snapshot(1).result.of(RecordKind.TRAINING_JOB)
    (after,) = opened.snapshot(2).result.of(RecordKind.TRAINING_JOB)

    assert before["TrainingJobStatus"] == "Completed"
    assert after["TrainingJobStatus"] == "Stopped"


def test_store_name_case_is_one_resource(tmp_path):
    path = tmp_path / "lineage.sqlite"
    store.save(_result(_job("Churn-XGB")), path)
    lower = _job("Churn-XGB")
    lower["TrainingJobArn"] = ARN.format("churn-xgb")
    store.save(_result(lower), path)

    count = sqlite3.connect(path).execute("SELECT COUNT(DISTINCT key) FROM records").fetchone()

    assert count == (1,)


def test_store_lists_snapshots(tmp_path):
    path = tmp_path / "lineage.sqlite"
    store.save(_result(_job("a"), _job("b")), path, source="recording x.json")
    store.save(_result(_job("a")), path, source="aws us-east-1")

    infos = store.open_store(path).snapshots()

    assert [(i.id, i.source, i.records) for i in infos] == [
        (1, "recording x.json", 2), (2, "aws us-east-1", 1),
    ]
    assert infos[0].taken_at == datetime(2024, 6, 1, tzinfo=timezone.utc)
    assert infos[0].counts == {"TrainingJob": 2}


def test_store_missing_file_is_not_created(tmp_path):
    path = tmp_path / "absent.sqlite"

    with pytest.raises(StoreError, match="not found"):
        store.load_latest(path)
    assert not path.exists()


def test_store_empty_store_says_crawl_first(tmp_path):
    path = tmp_path / "lineage.sqlite"
    store.open_store(path, create=True)

    with pytest.raises(StoreError, match="no snapshot yet"):
        store.load_latest(path)


def test_store_corrupt_file_names_file(tmp_path):
    path = tmp_path / "lineage.sqlite"
    path.write_bytes(b"this is not a database file at all" * 100)

    with pytest.raises(StoreError) as info:
        store.load_latest(path)

    assert str(path) in str(info.value)
    assert "move it aside" in str(info.value)


def test_store_foreign_sqlite_file_rejected(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x)")

    with pytest.raises(StoreError, match="not a lineage store"):
        store.save(_result(_job("a")), path)


def test_store_newer_schema_rejected(tmp_path):
    path = tmp_path / "lineage.sqlite"
    store.save(_result(_job("a")), path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")

    with pytest.raises(StoreError) as info:
        store.load_latest(path)

    assert "schema version 99" in str(info.value)
    assert "upgrade" in str(info.value)


def test_store_default_path_respects_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))

    assert store.default_path() == tmp_path / "sagemaker-lineage" / "lineage.sqlite"


def test_store_default_path_ignores_relative_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path))

    assert store.default_path() == tmp_path / ".local" / "share" / "sagemaker-lineage" / (
        "lineage.sqlite"
    )


def test_store_record_key_falls_back_to_name_then_hash():
    named = store.record_key(RecordKind.MODEL, {"ModelName": "Churn"})
    hashed = store.record_key(RecordKind.ASSOCIATION, {"SourceArn": "x", "DestinationArn": "y"})

    assert named == "name:churn"
    assert hashed.startswith("sha256:")
