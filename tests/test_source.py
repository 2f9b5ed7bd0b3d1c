"""load(): the sample account, recordings, stores and the seeds of Search-less recordings."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from lineage import store
from lineage.crawl.result import RecordKind
from lineage.errors import LineageError, RecordingError, StoreError
from lineage.graph import NodeKind
from lineage.source import SAMPLE_DIR, Loaded, default_recording, load, recording_seeds
from tests.conftest import CASES_DIR, load_case
from tests.store_targets import fresh_database


def test_load_default_is_sample_account():
    loaded = load()

    assert loaded.source == str(SAMPLE_DIR)
    assert loaded.description.startswith("recording account-after.json, recorded")
    assert loaded.graph.find("churn-prod") is not None
    assert loaded.report is loaded.result.report


def test_load_default_stores_both_sample_snapshots():
    loaded = load()

    assert loaded.store is not None
    infos = loaded.store.snapshots()
    assert [info.source for info in infos] == [
        "recording account-before.json", "recording account-after.json",
    ]
    assert [info.taken_at for info in infos] == [
        datetime(2024, 6, 12, 6, tzinfo=timezone.utc),
        datetime(2024, 6, 13, 6, tzinfo=timezone.utc),
    ]
    assert loaded.as_of == infos[-1]


def test_load_as_of_first_snapshot():
    before = load(as_of=1)
    after = load()

    assert _serving_config(before) == "churn-prod-config-v1"
    assert _serving_config(after) == "churn-prod-config-v2"
    assert before.as_of is not None and before.as_of.id == 1
    assert "snapshot 1 of 2" in before.description


def test_load_as_of_date_text():
    loaded = load(as_of="2024-06-12")

    assert loaded.as_of is not None
    assert loaded.as_of.id == 1
    assert loaded.graph.meta["coverage"]["crawled_at"] == "2024-06-12T06:00:00+00:00"


def test_load_default_as_of_before_first_snapshot_raises():
    with pytest.raises(StoreError, match="no snapshot taken at or before"):
        load(as_of=datetime(2024, 1, 1, tzinfo=timezone.utc))


def test_load_default_graph_matches_direct_recording_crawl():
    stored = load()
    direct = load(recording=SAMPLE_DIR / "account-after.json")

    assert sorted(stored.graph.nx.nodes) == sorted(direct.graph.nx.nodes)
    assert stored.graph.nx.number_of_edges() == direct.graph.nx.number_of_edges()


def test_load_recording_rejects_as_of():
    with pytest.raises(LineageError, match="as_of"):
        load(recording=CASES_DIR / "C06.json", as_of=1)


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
    assert loaded.store is not None
    assert loaded.as_of is not None and loaded.as_of.id == 1


def test_load_store_as_of_older_snapshot(tmp_path):
    path = tmp_path / "lineage.sqlite"
    for name in ("account-before.json", "account-after.json"):
        crawled = load(recording=SAMPLE_DIR / name)
        store.save(crawled.result, path, source=f"recording {name}")

    loaded = load(db=path, as_of=1)

    assert _serving_config(loaded) == "churn-prod-config-v1"
    assert _serving_config(load(db=path)) == "churn-prod-config-v2"


@pytest.mark.postgres
def test_load_postgres_store_as_of(postgres_url):
    with fresh_database(postgres_url) as url:
        with store.open_store(url, create=True) as opened:
            for name in ("account-before.json", "account-after.json"):
                crawled = load(recording=SAMPLE_DIR / name)
                opened.save(crawled.result, source=f"recording {name}")

        before = load(db=url, as_of=1)
        after = load(db=url)
        for loaded in (before, after):
            assert loaded.store is not None
            loaded.store.close()

    assert _serving_config(before) == "churn-prod-config-v1"
    assert _serving_config(after) == "churn-prod-config-v2"
    assert after.source == url
    assert "snapshot 2 of 2" in after.description


def test_load_store_as_of_unknown_id_lists_snapshots(tmp_path):
    path = tmp_path / "lineage.sqlite"
    store.save(load(CASES_DIR / "C06.json").result, path)

    with pytest.raises(StoreError, match="no snapshot 7; its snapshots are 1"):
        load(db=path, as_of="7")


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


def _serving_config(loaded: Loaded) -> str:
    endpoint = loaded.graph.find("churn-prod")
    assert endpoint is not None
    configs = [node for node in loaded.graph.nx.successors(endpoint)
               if loaded.graph.nx.nodes[node]["kind"] == NodeKind.ENDPOINT_CONFIG]
    assert len(configs) == 1
    return str(loaded.graph.nx.nodes[configs[0]]["label"])
