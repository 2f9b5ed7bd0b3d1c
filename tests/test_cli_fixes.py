"""The CLI on recordings that describe nothing, unreadable resources in the crawl report,
multi-line errors, trace output, node listing and plural wording."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lineage.cli import main
from lineage.source import crawl_seeds, load
from tests.conftest import CASES_DIR, load_case


@pytest.fixture(autouse=True)
def offline_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def case_path(name: str) -> str:
    return str(CASES_DIR / f"{name}.json")


# A recording with only list responses is crawled in full.


def test_crawl_seeds_none_without_describes() -> None:
    assert crawl_seeds(load_case("C01")) is None
    assert crawl_seeds(load_case("C06"))


@pytest.mark.parametrize(("case", "job"), [("C01", "churn-xgb-2024-05-02"),
                                           ("C02", "fraud-lgbm-0602")])
def test_crawl_list_only_recording_finds_job(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str, job: str
) -> None:
    report_path = tmp_path / "report.json"
    code, out, _ = run(capsys, "crawl", "--recording", case_path(case), "--db",
                       str(tmp_path / "store.sqlite"), "--report", str(report_path))

    report = json.loads(report_path.read_text())
    assert code == 0
    assert report["counts"].get("TrainingJob") == 1
    assert "1 record" in out


def test_trace_list_only_recording_finds_job(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "trace", "churn-xgb-2024-05-02", "--recording",
                         case_path("C01"))

    assert code == 0, err
    assert "churn-xgb-2024-05-02" in out


def test_load_list_only_recording_has_job() -> None:
    loaded = load(recording=case_path("C02"))

    assert loaded.graph.find("fraud-lgbm-0602") is not None
