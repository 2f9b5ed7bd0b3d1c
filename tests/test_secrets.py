"""Credentials never reach a recording, the logs or the output, and the app binds 127.0.0.1.

A live crawl runs against a moto server on 127.0.0.1 with credentials set in the environment.
It writes a recording with `--record` and logs at debug level. Neither the secret values nor
anything shaped like an access key or session token may appear in the files, output or logs.
"""

from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from lineage.cli import app as app_command
from lineage.cli import main

ACCESS_KEY = "AKIAIOSFODNN7SECRETX"
SECRET_KEY = "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"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKENsecretvalue0123456789"

SECRET_PATTERNS = [
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"ASIA[0-9A-Z]{16}"),
    re.compile(r"aws_session_token", re.IGNORECASE),
    re.compile(r"aws_secret_access_key", re.IGNORECASE),
    re.compile(r"X-Amz-Security-Token", re.IGNORECASE),
]


def _leaks(text: str) -> list[str]:
    found = [secret for secret in (ACCESS_KEY, SECRET_KEY, SESSION_TOKEN) if secret in text]
    found += [pattern.pattern for pattern in SECRET_PATTERNS if pattern.search(text)]
    return found


@pytest.fixture
def secret_environment(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    _create_resources(moto_url)
    return moto_url


def _create_resources(url: str) -> None:
    client = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1",
                          config=Config(retries={"max_attempts": 1}))
    client.create_model(
        ModelName="secret-test-model",
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1",
                          "ModelDataUrl": "s3://bucket/job/output/model.tar.gz"},
        ExecutionRoleArn="arn:aws:iam::123456789012:role/execution",
    )


def test_live_crawl_keeps_credentials_out(
    secret_environment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    recording = tmp_path / "recording.json"
    report = tmp_path / "report.json"
    argv = ["-vv", "crawl", "--endpoint-url", secret_environment, "--region", "us-east-1",
            "--record", str(recording), "--report", str(report),
            "--db", str(tmp_path / "store.sqlite"), "--json",
            # moto rejects unimplemented operations with HTTP 500, which the crawler retries.
            "--max-seconds", "8"]

    with caplog.at_level(logging.DEBUG):
        code = main(argv)
    captured = capsys.readouterr()

    assert code in (0, 1), captured.err
    assert "secret-test-model" in recording.read_text(encoding="utf-8")
    assert _leaks(recording.read_text(encoding="utf-8")) == []
    assert _leaks(report.read_text(encoding="utf-8")) == []
    assert _leaks(captured.out) == []
    assert _leaks(captured.err) == []
    assert _leaks(caplog.text) == []


def test_app_command_binds_loopback() -> None:
    args = argparse.Namespace(address="127.0.0.1", port=8501, recording=None, db=None)
    parser = argparse.ArgumentParser()
    app_command.register(parser.add_subparsers())
    defaults = parser.parse_args(["app"])

    command = app_command.streamlit_command(defaults)

    assert defaults.address == "127.0.0.1"
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert app_command.streamlit_command(args)[command.index("--server.address") + 1] == (
        "127.0.0.1"
    )
    assert command[command.index("--browser.gatherUsageStats") + 1] == "false"
