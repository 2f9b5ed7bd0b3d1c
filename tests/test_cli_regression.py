"""The regression, diff and export commands on the sample account's two snapshots."""

from __future__ import annotations

import json

from lineage.cli import main
from sample_data import generate as sample
from tests.conftest import REPO_ROOT

AFTER_RECORDING = str(REPO_ROOT / "sample_data" / sample.AFTER_FILE)


def test_regression_prints_tables_in_order(capsys) -> None:
    code = main(["regression", sample.ENDPOINT])
    out = capsys.readouterr().out

    assert code == 0
    titles = ("Deployment timeline", "Suspects, most likely first", "Diff")
    positions = [out.index(title) for title in titles]
    assert positions == sorted(positions)
    first_row = out.split("Suspects, most likely first")[1].splitlines()[3]
    assert first_row.split()[:3] == ["1", "dataset", "train"]
    assert "Trend of validation:auc (higher is better" in out


def test_regression_json_has_report_keys(capsys) -> None:
    code = main(["regression", sample.ENDPOINT, "--json"])
    data = json.loads(capsys.readouterr().out)

    assert code == 0
    assert data["suspects"][0]["after"] == sample.DATASET_AFTER
    assert {"timeline", "diff", "suspects", "trend", "coverage"} <= set(data)
    names = [entry["name"] for entry in data["diff"]["hyperparameters"]]
    assert names == ["eta"]


def test_regression_all_lists_equal_entries(capsys) -> None:
    main(["regression", sample.ENDPOINT, "--json", "--all"])
    data = json.loads(capsys.readouterr().out)

    statuses = {entry["status"] for entry in data["diff"]["hyperparameters"]}
    assert statuses == {"changed", "equal"}


def test_regression_single_deployment_exits_one(capsys) -> None:
    code = main(["regression", sample.STAGING_ENDPOINT])
    out = capsys.readouterr().out

    assert code == 1
    assert "only one recorded deployment" in out
    assert f"Current lineage of config {sample.STAGING_CONFIG}" in out


def test_regression_unknown_endpoint_suggests(capsys) -> None:
    code = main(["regression", "churn-prd"])
    err = capsys.readouterr().err

    assert code == 2
    assert "did you mean: churn-prod" in err


def test_regression_recording_needs_store(capsys) -> None:
    code = main(["regression", sample.ENDPOINT, "--recording", AFTER_RECORDING])
    err = capsys.readouterr().err

    assert code == 2
    assert "single snapshot" in err
    assert "--db PATH" in err


def test_regression_invalid_time_exits_two(capsys) -> None:
    code = main(["regression", sample.ENDPOINT, "--to", "last tuesday"])

    assert code == 2
    assert "invalid snapshot reference 'last tuesday'" in capsys.readouterr().err


def test_diff_finds_old_config_in_history(capsys) -> None:
    code = main(["diff", sample.CONFIG_BEFORE, sample.CONFIG_AFTER])
    out = capsys.readouterr().out

    assert code == 0
    assert "Suspects, most likely first" in out
    assert sample.DATASET_AFTER in out
    assert "validation:auc (variant champion) went from 0.91 to 0.84" in out


def test_diff_json_lists_suspects(capsys) -> None:
    code = main(["diff", sample.JOB_BEFORE, sample.JOB_AFTER, "--json"])
    data = json.loads(capsys.readouterr().out)

    assert code == 0
    assert data["kind"] == "training_job"
    assert data["suspects"][0]["kind"] == "dataset"


def test_diff_endpoint_names_its_config(capsys) -> None:
    code = main(["diff", sample.ENDPOINT, sample.CONFIG_BEFORE])

    assert code == 2
    assert sample.CONFIG_AFTER in capsys.readouterr().err


def test_export_writes_html_file(tmp_path, capsys) -> None:
    target = tmp_path / "report.html"

    code = main(["export", sample.ENDPOINT, "--format", "html", "--output", str(target)])

    assert code == 0
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "Regression report: endpoint churn-prod" in page
    assert str(target) in capsys.readouterr().err


def test_export_markdown_to_stdout(capsys) -> None:
    code = main(["export", sample.ENDPOINT, "--format", "md"])
    out = capsys.readouterr().out

    assert code == 0
    assert out.startswith("# Regression report: endpoint churn-prod")


def test_export_unwritable_output_exits_two(tmp_path, capsys) -> None:
    target = tmp_path / "missing-folder" / "report.json"

    code = main(["export", sample.ENDPOINT, "--format", "json", "--output", str(target)])

    assert code == 2
    assert "cannot write" in capsys.readouterr().err
