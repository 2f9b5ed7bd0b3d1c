"""`lineage crawl` against the mock on 127.0.0.1: incremental runs, report file, budget."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.accounts import AccountSpec, generate_records
from bench.mock_sagemaker import MockConfig, MockSageMaker
from lineage.cli import main
from lineage.cli.crawl import ProgressDisplay
from tests.scale_mock import start_mock

SPEC = AccountSpec(training_jobs=120, models=8, endpoints=2, processing_jobs=3, tuning_jobs=1,
                   transform_jobs=1, model_package_groups=1, packages_per_group=2)


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def mock() -> Iterator[MockSageMaker]:
    server = start_mock(generate_records(SPEC), MockConfig(rate=None, latency=(0.0, 0.0)))
    yield server
    server.stop()


def test_second_crawl_is_incremental(mock: MockSageMaker, tmp_path: Path) -> None:
    database, first, second = tmp_path / "s.sqlite", tmp_path / "1.json", tmp_path / "2.json"
    base = ["crawl", "--endpoint-url", mock.endpoint_url, "--region", "us-east-1",
            "--db", str(database), "--rate", "1000"]

    assert main([*base, "--report", str(first)]) == 0
    assert main([*base, "--report", str(second)]) == 0

    full, incremental = json.loads(first.read_text()), json.loads(second.read_text())
    assert incremental["counts"] == full["counts"]
    assert incremental["total_calls"] < full["total_calls"]
    assert not [op for op in incremental["calls"] if op.startswith("describe_")]


def test_full_flag_reads_everything(mock: MockSageMaker, tmp_path: Path) -> None:
    database, report = tmp_path / "s.sqlite", tmp_path / "r.json"
    base = ["crawl", "--endpoint-url", mock.endpoint_url, "--db", str(database),
            "--rate", "1000"]
    main(base)

    assert main([*base, "--full", "--report", str(report)]) == 0

    assert json.loads(report.read_text())["calls"]["describe_processing_job"] == 3


def test_report_file_has_documented_keys(mock: MockSageMaker, tmp_path: Path) -> None:
    report = tmp_path / "r.json"

    main(["crawl", "--endpoint-url", mock.endpoint_url, "--db", str(tmp_path / "s.sqlite"),
          "--rate", "1000", "--report", str(report)])

    data = json.loads(report.read_text())
    for key in ("calls", "retries", "throttled", "counts", "warnings", "denied",
                "by_account_region"):
        assert key in data, key
    assert data["counts"]["TrainingJob"] == SPEC.training_jobs


def test_max_pages_marks_crawl_partial(
    mock: MockSageMaker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["crawl", "--endpoint-url", mock.endpoint_url, "--db", str(tmp_path / "s"),
                 "--rate", "1000", "--max-pages", "1"])

    out = capsys.readouterr().out
    assert code == 0
    assert "TrainingJob: stopped at page 2 (page budget ran out)" in out
    assert "Calls per operation" in out


def test_record_with_two_regions_is_rejected(
    mock: MockSageMaker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["crawl", "--endpoint-url", mock.endpoint_url, "--region", "us-east-1",
                 "--region", "eu-west-1", "--record", str(tmp_path / "r.json"),
                 "--db", str(tmp_path / "s")])

    assert code == 2
    assert "--record writes one account-region" in capsys.readouterr().err


def test_rate_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crawl", "--rate", "0"]) == 2


def test_progress_logs_lines_without_terminal() -> None:
    stream = io.StringIO()
    now = [0.0]
    display = ProgressDisplay(stream, clock=lambda: now[0])

    display.update("1/us-east-1", "TrainingJob", 100)
    now[0] = 31.0
    display.update("1/us-east-1", "TrainingJob", 200)
    display.close()

    lines = stream.getvalue().splitlines()
    assert lines == ["crawl progress: 1/us-east-1 TrainingJob 200"] * 2


def test_progress_draws_bar_per_kind_on_terminal() -> None:
    stream = _Terminal()
    display = ProgressDisplay(stream, clock=lambda: 100.0)

    display.update("", "TrainingJob", 250)
    display.update("", "Model", 5)
    display.close()

    text = stream.getvalue()
    assert "TrainingJob [###" in text
    assert "Model       [#" in text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True
