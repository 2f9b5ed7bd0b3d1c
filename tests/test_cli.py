"""The `lineage` command end to end: crawl, trace, impact and app over recordings."""

from __future__ import annotations

import json
import sqlite3

import pytest

from lineage.cli import build_parser, main
from lineage.cli.app import streamlit_command
from lineage.cli.table import format_table, visible
from tests.conftest import CASES_DIR

C06 = str(CASES_DIR / "C06.json")
C09 = str(CASES_DIR / "C09.json")
C15 = str(CASES_DIR / "C15.json")


@pytest.fixture(autouse=True)
def offline_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_trace_model_prints_chain(capsys):
    code, out, _ = run(capsys, "trace", "llm-ft-0501-model", "--recording", C06)

    assert code == 0
    assert "llm-ft-0501" in out
    assert "s3://example-bucket/llm/data/sft-v3/" in out


def test_trace_json_has_nodes_and_edges(capsys):
    code, out, _ = run(capsys, "trace", "llm-ft-0501-model", "--recording", C06, "--json")

    data = json.loads(out)
    assert code == 0
    assert data["root"]["label"] == "llm-ft-0501-model"
    kinds = {node["kind"] for node in data["nodes"]}
    assert {"model", "artifact", "training_job", "dataset"} <= kinds
    assert all("distance" in node for node in data["nodes"])
    assert {edge["relation"] for edge in data["edges"]} >= {"loads", "produced_by", "trained_on"}


def test_trace_depth_and_direction(capsys):
    code, out, _ = run(capsys, "trace", "s3://example-bucket/llm/data/sft-v3/", "--direction",
                       "down", "--depth", "1", "--recording", C06, "--json")

    labels = {node["label"] for node in json.loads(out)["nodes"]}
    assert code == 0
    assert "llm-ft-0501" in labels
    assert "llm-ft-0501-model" not in labels


def test_trace_unknown_node_exits_2_with_suggestion(capsys):
    code, out, err = run(capsys, "trace", "job-noslsh", "--recording", C09)

    assert code == 2
    assert out == ""
    assert "did you mean" in err
    assert "job-noslash" in err
    assert "Traceback" not in err


def test_trace_endpoint_prints_variants(capsys):
    code, out, _ = run(capsys, "trace", "ep-updating", "--recording", C15)

    assert code == 0
    assert "Endpoint ep-updating: status Updating" in out
    assert "AllTraffic  production" in out
    # The pending config cfg-b could not be read; PendingDeploymentSummary still names its variant.
    assert "AllTraffic  production (pending)  cfg-b" in out


def test_trace_endpoint_json_has_endpoint_trace(capsys):
    code, out, _ = run(capsys, "trace", "ep-failed-update", "--recording", C15, "--json")

    trace = json.loads(out)["endpoint_trace"]
    assert code == 0
    assert trace["failure_reason"].startswith("Failed to update endpoint")
    assert trace["config"]["label"] == "cfg-v1"


def test_impact_no_match_exits_1_with_coverage(capsys):
    code, out, _ = run(capsys, "impact", "s3://example-bucket/holdout/", "--recording", C09)

    assert code == 1
    assert "No dataset or artifact in the crawl matches s3://example-bucket/holdout/" in out
    assert "3 TrainingJob" in out


def test_impact_invalid_uri_exits_2(capsys):
    code, _, err = run(capsys, "impact", "gs://example-bucket/x", "--recording", C09)

    assert code == 2
    assert "unsupported scheme" in err


def test_impact_json_lists_hits(capsys):
    code, out, _ = run(capsys, "impact", "s3://example-bucket/data/train", "--recording", C09,
                       "--json")

    data = json.loads(out)
    assert code == 0
    jobs = {consumer["job"]["label"] for hit in data["hits"] for consumer in hit["consumers"]}
    assert jobs == {"job-noslash", "job-slash"}
    assert "nodes" in data
    assert "edges" in data


def test_missing_recording_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "trace", "x", "--recording", str(tmp_path / "absent.json"))

    assert code == 2
    assert "not found" in err


def test_recording_and_db_are_exclusive(capsys, tmp_path):
    code, _, err = run(capsys, "trace", "x", "--recording", C06, "--db", str(tmp_path / "s"))

    assert code == 2
    assert "not allowed with" in err


def test_unknown_command_exits_2(capsys):
    code, _, _ = run(capsys, "frobnicate")

    assert code == 2


def test_help_documents_exit_codes(capsys):
    code, out, _ = run(capsys, "--help")

    assert code == 0
    assert "exit codes" in out


def test_crawl_recording_into_store_then_query(capsys, tmp_path):
    database = tmp_path / "lineage.sqlite"
    report = tmp_path / "report.json"

    code, out, _ = run(capsys, "crawl", "--recording", C06, "--db", str(database),
                       "--report", str(report))

    assert code == 0
    assert "Saved snapshot 1" in out
    assert json.loads(report.read_text())["counts"]
    code, out, _ = run(capsys, "trace", "llm-ft-0501-model", "--db", str(database), "--json")
    assert code == 0
    assert "llm-ft-0501" in {node["label"] for node in json.loads(out)["nodes"]}


def test_crawl_default_store_uses_xdg(capsys, tmp_path):
    code, _, _ = run(capsys, "crawl", "--recording", C09)

    default = tmp_path / "data" / "sagemaker-lineage" / "lineage.sqlite"
    assert code == 0
    assert sqlite3.connect(default).execute("SELECT COUNT(*) FROM snapshots").fetchone() == (1,)


def test_crawl_record_writes_replayable_recording(capsys, tmp_path):
    recorded = tmp_path / "recorded.json"

    code, _, _ = run(capsys, "crawl", "--recording", C06, "--record", str(recorded),
                     "--db", str(tmp_path / "s.sqlite"))

    assert code == 0
    assert "describe_model" in json.loads(recorded.read_text())["responses"]


def test_crawl_nothing_readable_exits_1(capsys, tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text('{"responses": {}}')

    code, _, _ = run(capsys, "crawl", "--recording", str(empty), "--db", str(tmp_path / "s"))

    assert code == 1


def test_crawl_scrub_needs_record(capsys):
    code, _, err = run(capsys, "crawl", "--recording", C06, "--scrub")

    assert code == 2
    assert "--record" in err


def test_query_on_damaged_store_exits_2(capsys, tmp_path):
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"garbage" * 200)

    code, _, err = run(capsys, "trace", "x", "--db", str(damaged))

    assert code == 2
    assert str(damaged) in err


def test_app_command_is_local_and_passes_source(tmp_path):
    args = build_parser().parse_args(["app", "--port", "8600", "--db", str(tmp_path / "s")])

    command = streamlit_command(args)

    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "8600"
    assert command[command.index("--server.headless") + 1] == "true"
    assert command[command.index("--browser.gatherUsageStats") + 1] == "false"
    assert command[-3:] == ["--", "--db", str(tmp_path / "s")]


def test_app_rejects_invalid_port(capsys):
    code, _, err = run(capsys, "app", "--port", "70000")

    assert code == 2
    assert "invalid port" in err


@pytest.mark.parametrize(("raw", "shown"), [
    ("plain-name", "plain-name"),
    ("evil\x1b[31mred", "evil\\x1b[31mred"),
    ("two\nlines", "two\\x0alines"),
    ("bidi\u202eflip", "bidi\\u202eflip"),
    ("café", "café"),
])
def test_visible_escapes_control_characters(raw, shown):
    assert visible(raw) == shown


def test_format_table_aligns_columns():
    table = format_table(["a", "long header"], [("x", 1), ("wider cell", None)])

    lines = table.splitlines()
    assert lines[0] == "a           long header"
    assert lines[2] == "x           1"
    assert lines[3] == "wider cell"


def test_impact_table_lists_first_consumers_of_a_hub(tmp_path, capsys):
    from lineage.synthetic import AccountSpec, generate_account, hub_dataset_uri

    spec = AccountSpec(training_jobs=200, models=20, endpoints=5, datasets=20,
                       processing_jobs=5, tuning_jobs=2, children_per_tuning_job=5,
                       transform_jobs=2, model_packages=2, hub_dataset_share=0.5)
    recording = tmp_path / "account.json"
    recording.write_text(json.dumps(generate_account(spec)), encoding="utf-8")

    code = main(["impact", hub_dataset_uri(spec), "--recording", str(recording)])

    out = capsys.readouterr().out
    hub_row = next(line for line in out.splitlines() if "more (see Downstream)" in line)
    assert code == 0
    assert hub_row.count("(train)") == 5
    # Each reading job still has its own row in the Downstream table.
    downstream = out.split("Downstream", 1)[1]
    assert downstream.count("training_job") >= 90
