"""load(): the sample account, recordings, stores and the seeds of Search-less recordings."""

from __future__ import annotations

import json

import pytest

from lineage import store
from lineage.crawl.result import RecordKind
from lineage.errors import LineageError, RecordingError
from lineage.source import default_recording, load, recording_seeds
from tests.conftest import CASES_DIR, load_case


def test_load_default_is_sample_account():
    loaded = load()

    assert loaded.source.endswith("account-after.json")
    assert "recorded" in loaded.description
    assert loaded.graph.find("churn-prod") is not None
    assert loaded.report is loaded.result.report


def test_load_recording_time_becomes_crawl_time():
    loaded = load()

    assert loaded.graph.meta["coverage"]["crawled_at"] == loaded.graph.meta["recorded_at"]


def test_load_rejects_both_sources(tmp_path):
    with pytest.raises(LineageError, match="not both"):
        load(recording=CASES_DIR / "C06.json", db=tmp_path / "s.sqlite")


def test_load_missing_recording_raises():
    with pytest.raises(RecordingError, match="not found"):
        load(recording="absent.json")


def test_load_store_snapshot(tmp_path):
    crawled = load(CASES_DIR / "C06.json")
    path = tmp_path / "lineage.sqlite"
    store.save(crawled.result, path, source="recording C06.json")

    loaded = load(db=path)

    assert sorted(loaded.graph.nx.nodes) == sorted(crawled.graph.nx.nodes)
    assert "snapshot 1" in loaded.description


def test_recording_seeds_from_by_args_and_plain_responses():
    seeds = recording_seeds(load_case("C19"))

    assert (RecordKind.MODEL, "churn-from-registry") in seeds
    assert (RecordKind.MODEL, "vendor-sentiment") in seeds
    plain = set(recording_seeds(load_case("C06")))
    assert plain == {
        (RecordKind.TRAINING_JOB, "llm-ft-0501"),
        (RecordKind.MODEL, "llm-ft-0501-model"),
    }


def test_recording_seeds_skip_error_responses():
    seeds = recording_seeds(load_case("C14"))

    assert seeds == [(RecordKind.ENDPOINT, "legacy-ep")]


def test_default_recording_picks_newest(tmp_path):
    dates = (("old.json", "2024-01-01T00:00:00Z"), ("new.json", "2024-06-01T00:00:00Z"))
    for name, when in dates:
        (tmp_path / name).write_text(json.dumps({"recorded_at": when, "responses": {}}))
    (tmp_path / "notes.json").write_text('{"not": "a recording"}')

    assert default_recording(tmp_path).name == "new.json"


def test_default_recording_missing_raises(tmp_path):
    with pytest.raises(LineageError, match="no sample recording"):
        default_recording(tmp_path)
