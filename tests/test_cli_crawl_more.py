"""`lineage crawl` options for CloudTrail, lineage kinds and snapshot dates, on recordings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lineage import graphcache
from lineage.cli import main
from lineage.source import SAMPLE_DIR, load
from lineage.store import open_store
from sample_data import generate as sample

AFTER = Path(sample.SAMPLE_DIR) / sample.AFTER_FILE
ACCOUNT = "111122223333"
ENDPOINT_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/ep"


def test_recording_snapshot_dated_by_recorded_at(tmp_path: Path, capsys) -> None:
    db = tmp_path / "store.sqlite"

    assert main(["crawl", "--recording", str(AFTER), "--db", str(db), "--json"]) == 0

    with open_store(db) as store:
        (snapshot,) = store.snapshots()
    assert snapshot.taken_at == sample.AFTER_RECORDED_AT
    assert snapshot.counts["CloudTrailEvent"] == 2


def test_default_crawl_reads_cloudtrail_and_lineage(tmp_path: Path, capsys) -> None:
    report = _crawl(tmp_path, capsys, str(AFTER))

    assert report["calls"]["lookup_events"] == 3
    assert report["calls"]["list_pipelines"] == 1
    assert report["calls"]["list_associations"] == 1
    assert "query_lineage" not in report["calls"]
    # The sample returns empty pages for both listings, so nothing is reported as denied.
    assert report["denied"] == []


def test_no_cloudtrail_sends_no_lookup(tmp_path: Path, capsys) -> None:
    report = _crawl(tmp_path, capsys, str(AFTER), "--no-cloudtrail")

    assert "lookup_events" not in report["calls"]
    assert "CloudTrailEvent" not in report["counts"]


def test_query_lineage_is_opt_in(tmp_path: Path, capsys) -> None:
    recording = tmp_path / "lineage.json"
    recording.write_text(json.dumps(_lineage_recording()))

    without = _crawl(tmp_path, capsys, str(recording))
    with_query = _crawl(tmp_path, capsys, str(recording), "--query-lineage")

    assert without["calls"]["list_associations"] == 1
    assert "query_lineage" not in without["calls"]
    assert with_query["calls"]["query_lineage"] == 1
    assert without["counts"]["Association"] == 1
    assert with_query["counts"]["Association"] == 2


def test_record_keeps_cloudtrail_for_replay(tmp_path: Path, capsys) -> None:
    written = tmp_path / "written.json"
    _crawl(tmp_path, capsys, str(AFTER), "--record", str(written))

    document = json.loads(written.read_text())
    entries = document["responses"]["lookup_events"]["by_args"]
    assert len(entries) == 3
    for entry in entries:
        assert "StartTime" not in entry["args"]
        assert "EndTime" not in entry["args"]
    assert document["recorded_at"] == sample.AFTER_RECORDED_AT.isoformat()

    replayed = _crawl(tmp_path, capsys, str(written))
    assert replayed["counts"]["CloudTrailEvent"] == 2
    assert replayed["calls"]["lookup_events"] == 3


def test_db_help_names_postgresql(capsys) -> None:
    assert main(["crawl", "--help"]) == 0

    text = " ".join(capsys.readouterr().out.split())
    assert "SQLite file or postgresql:// URL" in text
    assert "--no-cloudtrail" in text
    assert "--query-lineage" in text


def test_recording_rejects_cloudtrail_endpoint(tmp_path: Path, capsys) -> None:
    code = main(["crawl", "--recording", str(AFTER), "--db", str(tmp_path / "s.sqlite"),
                 "--cloudtrail-endpoint-url", "http://127.0.0.1:9"])

    assert code != 0
    assert "--cloudtrail-endpoint-url" in capsys.readouterr().err


# --- Helpers -----------------------------------------------------------------------------------


def _crawl(tmp_path: Path, capsys, recording: str, *options: str) -> dict[str, Any]:
    db = tmp_path / f"store-{len(list(tmp_path.glob('store-*')))}.sqlite"
    capsys.readouterr()
    code = main(["crawl", "--recording", recording, "--db", str(db), "--json", *options])
    assert code == 0
    return json.loads(capsys.readouterr().out)["report"]


def _lineage_recording() -> dict[str, Any]:
    """Return a recording with one endpoint, one listed association and one lineage edge."""
    endpoint = {
        "EndpointName": "ep", "EndpointArn": ENDPOINT_ARN, "EndpointConfigName": "cfg",
        "EndpointStatus": "InService", "CreationTime": "2024-06-01T00:00:00Z",
        "LastModifiedTime": "2024-06-01T00:00:00Z",
    }
    action = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:action/deploy"
    context = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:context/ep-context"
    return {
        "account": ACCOUNT,
        "region": "us-east-1",
        "recorded_at": "2024-06-02T00:00:00Z",
        "responses": {
            "search": {"by_args": [
                {"args": {"Resource": "Endpoint"},
                 "response": {"Results": [{"Endpoint": endpoint}]}},
                {"args": {}, "response": {"Results": []}},
            ]},
            "describe_endpoint_config": {"error": {"Code": "ValidationException",
                                                   "Message": "Could not find cfg"}},
            "list_associations": {"AssociationSummaries": [
                {"SourceArn": action, "DestinationArn": context, "AssociationType": "Produced"},
            ]},
            "query_lineage": {"Edges": [
                {"SourceArn": context, "DestinationArn": ENDPOINT_ARN,
                 "AssociationType": "AssociatedWith"},
            ]},
        },
    }


def test_crawl_into_sqlite_builds_graph_cache(tmp_path: Path) -> None:
    database = tmp_path / "store.sqlite"

    code = main(["crawl", "--recording", str(SAMPLE_DIR / "account-after.json"),
                 "--db", str(database), "--no-cloudtrail"])

    assert code == 0
    caches = sorted(tmp_path.glob("store.sqlite.graph-1-*.pickle"))
    assert [path.name for path in caches] == [graphcache.cache_path(database.resolve(), 1).name]
    # The next load reads that cache and matches a build from the records.
    loaded = load(db=database)
    assert loaded._result is None
    assert len(loaded.graph) == len(load(recording=SAMPLE_DIR / "account-after.json").graph)


def test_no_graph_cache_flag_skips_cache(tmp_path: Path) -> None:
    database = tmp_path / "store.sqlite"

    code = main(["crawl", "--recording", str(SAMPLE_DIR / "account-after.json"),
                 "--db", str(database), "--no-cloudtrail", "--no-graph-cache"])

    assert code == 0
    assert list(tmp_path.glob("store.sqlite.graph-*")) == []


def test_seeded_recording_crawl_reads_its_associations(tmp_path: Path) -> None:
    from lineage.crawl.result import PlaceholderStatus
    from tests.conftest import CASES_DIR

    database = tmp_path / "store.sqlite"

    code = main(["crawl", "--recording", str(CASES_DIR / "C12.json"), "--db", str(database),
                 "--no-cloudtrail", "--json"])

    graph = load(db=database).graph
    shared = graph.find("shared-model-xyz")
    assert code == 0
    assert shared is not None
    assert graph.node(shared)["status"] == PlaceholderStatus.OTHER_ACCOUNT.value
    assert [data["relation"].value for _, _, data in graph.out_edges(shared)] == [
        "associated_with"]
