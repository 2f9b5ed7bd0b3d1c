"""Hostile strings through the `lineage` command: control characters visible, JSON valid."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from lineage.cli import main
from tests import hostile_account as hostile

# Characters that must never reach a terminal raw: they move the cursor, ring the bell, reorder
# or hide text. A newline ends an output line, so it is the one control allowed.
_HIDDEN_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")

QUERY_COMMANDS = [
    ["trace", hostile.ENDPOINT],
    ["trace", hostile.JOB_AFTER, "--direction", "both"],
    ["trace", hostile.HOSTILE_TRAIN_URI, "--direction", "down"],
    ["impact", f"s3://{hostile.BUCKET}/"],
    ["search", f"TrainingJobName = {hostile.JOB_AFTER}", "--resource", "TrainingJob",
     "--columns", "FailureReason,Tags.script,HyperParameters.newlines"],
    ["suggest", "Tags.", "--resource", "TrainingJob"],
]


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    hostile.write_account(folder)
    return folder


@pytest.fixture(scope="module")
def store(account: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("store") / "lineage.sqlite"
    for name in ("hostile-before.json", "hostile-after.json"):
        code = main(["crawl", "--recording", str(account / name), "--db", str(database)])
        assert code == 0
    return database


def _hidden_characters(text: str) -> list[str]:
    return sorted({
        repr(char) for char in text
        if char != "\n" and unicodedata.category(char) in _HIDDEN_CATEGORIES
    })


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in [*value.keys(), *value.values()] for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


@pytest.mark.parametrize("command", QUERY_COMMANDS, ids=lambda argv: " ".join(argv[:2]))
def test_human_output_shows_controls_as_escapes(
    command: list[str], account: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, [*command, "--recording", str(account / "hostile-after.json")])

    assert code == 0, err
    assert _hidden_characters(out) == []
    assert _hidden_characters(err) == []
    assert not any(line.startswith("EVIL") for line in out.splitlines())


@pytest.mark.parametrize("command", QUERY_COMMANDS, ids=lambda argv: " ".join(argv[:2]))
def test_json_output_is_valid(
    command: list[str], account: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*command, "--recording", str(account / "hostile-after.json"), "--json"]
    code, out, err = _run(capsys, argv)

    assert code == 0, err
    document = json.loads(out)
    assert document
    assert _hidden_characters(out) == []


def test_trace_json_keeps_hostile_values(account: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["trace", hostile.JOB_AFTER, "--direction", "both", "--json",
            "--recording", str(account / "hostile-after.json")]
    code, out, _ = _run(capsys, argv)

    assert code == 0
    strings = _strings(json.loads(out))
    assert hostile.HOSTILE_TRAIN_URI in strings
    assert hostile.HOSTILE_VALIDATION_URI in strings


def test_crawl_report_shows_controls_as_escapes(
    account: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["crawl", "--recording", str(account / "hostile-after.json"),
            "--db", str(tmp_path / "crawl.sqlite")]
    code, out, err = _run(capsys, argv)

    assert code == 0, err
    assert _hidden_characters(out) == []
    assert _hidden_characters(err) == []


def test_regression_shows_controls_as_escapes(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, ["regression", hostile.ENDPOINT, "--db", str(store)])

    assert code == 0, err
    assert hostile.JOB_AFTER in out
    assert _hidden_characters(out) == []
    assert not any(line.startswith("EVIL") for line in out.splitlines())


def test_regression_json_is_valid(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, ["regression", hostile.ENDPOINT, "--db", str(store), "--json"])

    assert code == 0, err
    assert hostile.SCRIPT in _strings(json.loads(out))


@pytest.mark.parametrize("fmt", ["md", "json", "html"])
def test_export_writes_hostile_report(
    fmt: str, store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / f"report.{fmt}"
    argv = ["export", hostile.ENDPOINT, "--format", fmt, "--db", str(store),
            "--output", str(output)]
    code, _, err = _run(capsys, argv)

    assert code == 0, err
    text = output.read_text(encoding="utf-8")
    assert hostile.JOB_AFTER in text
    if fmt == "json":
        assert json.loads(text)
    else:
        assert hostile.SCRIPT not in text
        assert "\x1b" not in text
