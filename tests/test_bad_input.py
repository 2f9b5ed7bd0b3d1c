"""Damaged, foreign and wrongly typed input files: one clear message, exit code 2, no traceback.

Covers the CLI in process (`lineage.cli.main`) and as a subprocess, and the app (AppTest), which
shows st.error instead of a traceback. Malformed values inside an otherwise valid recording do
not stop the crawl: the bad page or record is skipped with a warning.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lineage.cli import main
from lineage.crawl.crawler import crawl
from lineage.recording import RecordingClient
from lineage.source import load
from tests.conftest import REPO_ROOT

SAMPLE = REPO_ROOT / "sample_data" / "account-after.json"
APP = str(REPO_ROOT / "ui" / "app.py")
APP_TIMEOUT_S = 120


def _truncated(path: Path) -> str:
    path.write_text(SAMPLE.read_text(encoding="utf-8")[:5000], encoding="utf-8")
    return "not valid JSON"


def _list_document(path: Path) -> str:
    path.write_text("[1, 2, 3]", encoding="utf-8")
    return "is not a recording"


def _number_response(path: Path) -> str:
    path.write_text(json.dumps({"responses": {"search": 5}}), encoding="utf-8")
    return "responses.search must be an object"


def _foreign_json(path: Path) -> str:
    path.write_text(json.dumps({"name": "left-pad", "version": "1.3.0"}), encoding="utf-8")
    return "is not a recording"


def _binary(path: Path) -> str:
    path.write_bytes(bytes(range(256)) * 8)
    return "cannot be read"


def _empty(path: Path) -> str:
    path.write_bytes(b"")
    return "not valid JSON"


def _folder(path: Path) -> str:
    path.mkdir()
    return "cannot be read"


BAD_RECORDINGS: dict[str, Callable[[Path], str]] = {
    "truncated": _truncated,
    "list": _list_document,
    "number_response": _number_response,
    "foreign": _foreign_json,
    "binary": _binary,
    "empty": _empty,
    "folder": _folder,
}


def _corrupted_store(path: Path) -> str:
    path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 16)
    return "damaged or not a SQLite store"


def _random_store(path: Path) -> str:
    path.write_bytes(bytes(reversed(range(256))) * 16)
    return "damaged or not a SQLite store"


def _newer_store(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        connection.execute("INSERT INTO meta VALUES ('schema_version', '999')")
    connection.close()
    return "newer than version"


def _foreign_sqlite(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE users (id INTEGER)")
    connection.close()
    return "not a lineage store"


BAD_STORES: dict[str, Callable[[Path], str]] = {
    "corrupted": _corrupted_store,
    "random": _random_store,
    "newer": _newer_store,
    "foreign": _foreign_sqlite,
}


def _bad_file(tmp_path: Path, table: dict[str, Callable[[Path], str]], name: str,
              suffix: str) -> tuple[Path, str]:
    path = tmp_path / f"{name}{suffix}"
    expected = table[name](path)
    return path, expected


def _assert_one_message(err: str, path: Path, expected: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert str(path) in lines[0]
    assert expected in lines[0]


@pytest.mark.parametrize("name", sorted(BAD_RECORDINGS))
@pytest.mark.parametrize("command", [["trace", "churn-prod"], ["impact", "s3://b/k"],
                                     ["search", "--resource", "TrainingJob"]])
def test_bad_recording_cli_exits_2(name: str, command: list[str], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    path, expected = _bad_file(tmp_path, BAD_RECORDINGS, name, ".json")

    code = main([*command, "--recording", str(path)])

    assert code == 2
    _assert_one_message(capsys.readouterr().err, path, expected)


@pytest.mark.parametrize("name", sorted(BAD_RECORDINGS))
def test_bad_recording_crawl_exits_2(name: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    path, expected = _bad_file(tmp_path, BAD_RECORDINGS, name, ".json")
    store = tmp_path / "store.sqlite"

    code = main(["crawl", "--recording", str(path), "--db", str(store)])

    assert code == 2
    _assert_one_message(capsys.readouterr().err, path, expected)


@pytest.mark.parametrize("name", sorted(BAD_STORES))
@pytest.mark.parametrize("command", [["trace", "churn-prod"], ["regression", "churn-prod"]])
def test_bad_store_cli_exits_2(name: str, command: list[str], tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    path, expected = _bad_file(tmp_path, BAD_STORES, name, ".sqlite")

    code = main([*command, "--db", str(path)])

    assert code == 2
    _assert_one_message(capsys.readouterr().err, path, expected)


@pytest.mark.parametrize("name", sorted(BAD_STORES))
def test_bad_store_crawl_exits_2(name: str, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    path, expected = _bad_file(tmp_path, BAD_STORES, name, ".sqlite")

    code = main(["crawl", "--recording", str(SAMPLE), "--db", str(path)])

    assert code == 2
    _assert_one_message(capsys.readouterr().err, path, expected)


@pytest.mark.parametrize(("table", "name", "suffix", "option"), [
    (BAD_RECORDINGS, "truncated", ".json", "--recording"),
    (BAD_RECORDINGS, "binary", ".json", "--recording"),
    (BAD_STORES, "corrupted", ".sqlite", "--db"),
    (BAD_STORES, "newer", ".sqlite", "--db"),
])
def test_bad_file_subprocess_exits_2(table: dict[str, Callable[[Path], str]], name: str,
                                     suffix: str, option: str, tmp_path: Path) -> None:
    path, expected = _bad_file(tmp_path, table, name, suffix)
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), AWS_DEFAULT_REGION="us-east-1")

    finished = subprocess.run(
        [sys.executable, "-m", "lineage.cli", "trace", "churn-prod", option, str(path)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )

    assert finished.returncode == 2
    assert finished.stdout == ""
    _assert_one_message(finished.stderr, path, expected)


@pytest.fixture
def app_args(monkeypatch: pytest.MonkeyPatch):
    """Return a setter for the app's script arguments, with the loader cache cleared."""
    from ui.views import common

    common.load_source.clear()

    def set_args(*args: str) -> None:
        monkeypatch.setattr(sys, "argv", [APP, *args])

    yield set_args
    common.load_source.clear()


@pytest.mark.parametrize(("table", "name", "suffix", "option"), [
    (BAD_RECORDINGS, "truncated", ".json", "--recording"),
    (BAD_RECORDINGS, "foreign", ".json", "--recording"),
    (BAD_RECORDINGS, "binary", ".json", "--recording"),
    (BAD_STORES, "corrupted", ".sqlite", "--db"),
    (BAD_STORES, "newer", ".sqlite", "--db"),
])
def test_bad_file_app_shows_error(app_args, table: dict[str, Callable[[Path], str]], name: str,
                                  suffix: str, option: str, tmp_path: Path) -> None:
    path, expected = _bad_file(tmp_path, table, name, suffix)
    app_args(option, str(path))

    at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT_S).run()

    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value.replace("\\", "")
    assert path.name in message
    assert expected in message


# --- malformed values inside a valid recording ----------------------------------------------

ENDPOINT_WITH_BAD_FIELDS = {
    "EndpointName": "bad-fields", "EndpointConfigName": "bad-config",
    "ProductionVariants": [5], "PendingDeploymentSummary": "not an object",
}
TRAINING_JOB_WITH_BAD_FIELDS = {
    "TrainingJobName": "bad-job", "InputDataConfig": 5, "HyperParameters": ["a"], "Tags": "x",
    "ModelArtifacts": None, "CreationTime": "not a time", "AlgorithmSpecification": "image",
    "FinalMetricDataList": [{"MetricName": "auc", "Value": "high"}],
}
GOOD_JOB = {"TrainingJobName": "good-job", "TrainingJobStatus": "Completed"}


def _search_document(results: dict[str, object]) -> dict[str, object]:
    return {"account": "111122223333", "responses": {
        "search": {"by_args": [
            *({"args": {"Resource": resource}, "response": {"Results": page}}
              for resource, page in results.items()),
            {"args": {}, "response": {"Results": []}},
        ]},
        "describe_endpoint_config": {"EndpointConfigName": "bad-config",
                                     "ProductionVariants": [{"ModelName": 5}, "x"]},
    }}


def test_search_page_not_a_list_is_skipped() -> None:
    document = _search_document({"TrainingJob": 5, "Model": []})

    result = crawl(RecordingClient(document))

    assert any("Results is int" in warning for warning in result.report.warnings)
    assert result.report.warnings


def test_search_items_not_objects_are_skipped() -> None:
    document = _search_document({"TrainingJob": [7, "text", {"TrainingJob": GOOD_JOB}]})

    result = crawl(RecordingClient(document))

    names = [record["TrainingJobName"] for record in result.records.get(_kind("TrainingJob"), [])]
    assert names == ["good-job"]
    assert any("not objects" in warning for warning in result.report.warnings)


def test_wrongly_typed_fields_do_not_stop_crawl(tmp_path: Path) -> None:
    document = _search_document({
        "Endpoint": [{"Endpoint": ENDPOINT_WITH_BAD_FIELDS}],
        "TrainingJob": [{"TrainingJob": TRAINING_JOB_WITH_BAD_FIELDS},
                        {"TrainingJob": GOOD_JOB}],
    })
    path = tmp_path / "typed.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    loaded = load(recording=path)

    assert loaded.graph.find("good-job")
    assert loaded.graph.find("bad-fields")


def _kind(name: str):
    from lineage.crawl.result import RecordKind

    return RecordKind(name)
