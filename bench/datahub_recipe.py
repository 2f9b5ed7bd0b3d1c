"""Run DataHub's SageMaker source against the mock, for the side-by-side crawl benchmark.

DataHub (`acryl-datahub[sagemaker]` from PyPI, about 180 MB) is installed in its own virtual
environment so that its dependencies leave the project's environment unchanged. Install it with

    python3 -m venv /tmp/datahub-venv
    /tmp/datahub-venv/bin/pip install 'acryl-datahub[sagemaker]'

This file has two halves:
- `run_datahub()` runs in the benchmark's process. It writes the recipe and starts this file as a
  script under the DataHub environment's Python, with the environment that points boto3 at the
  mock.
- `main()` is that script. It allows network connections to loopback addresses only, then runs
  the ingestion pipeline through DataHub's Python API with a file sink. It does not use the
  `datahub` command line, which looks up the newest release on PyPI after every run.
The script half imports only the standard library at module level, so it runs in either
environment.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_VENV = Path("/tmp/datahub-venv")
INSTALL_COMMAND = (
    "python3 -m venv /tmp/datahub-venv && "
    "/tmp/datahub-venv/bin/pip install 'acryl-datahub[sagemaker]'"
)


def recipe(sink_file: Path, region: str = "us-east-1") -> dict[str, Any]:
    """Return the ingestion recipe: the SageMaker source with its defaults and a file sink.

    Feature groups are off because the mock serves none. Jobs, models, endpoints and package
    groups are on, as by default. The SageMaker endpoint comes from the environment variable
    AWS_ENDPOINT_URL_SAGEMAKER, because DataHub 1.7 does not pass its `aws_endpoint_url`
    setting to the SageMaker client.
    """
    return {
        "pipeline_name": "sagemaker-benchmark",
        "source": {
            "type": "sagemaker",
            "config": {
                "aws_region": region,
                "extract_feature_groups": False,
            },
        },
        "sink": {"type": "file", "config": {"filename": str(sink_file)}},
    }


@dataclass
class DataHubRun:
    """Outcome of one DataHub ingestion run, from its own report."""

    ok: bool
    seconds: float
    error: str = ""
    version: str = ""
    report: dict[str, Any] = field(default_factory=dict)


def datahub_unavailable(venv: Path = DEFAULT_VENV) -> str:
    """Return why DataHub cannot run from `venv`, or an empty string when it can."""
    python = venv / "bin" / "python"
    if not python.is_file():
        return f"no Python at {python}; install DataHub with: {INSTALL_COMMAND}"
    check = subprocess.run(
        [str(python), "-c", "import datahub.ingestion.source.aws.sagemaker"],
        capture_output=True, text=True, timeout=120,
    )
    if check.returncode != 0:
        last_line = (check.stderr.strip().splitlines() or ["unknown error"])[-1]
        return f"DataHub's SageMaker source does not import from {venv}: {last_line}"
    return ""


def run_datahub(
    endpoint_url: str,
    work_dir: Path,
    venv: Path = DEFAULT_VENV,
    timeout: float = 3600.0,
) -> DataHubRun:
    """Run DataHub's SageMaker ingestion against the mock at `endpoint_url`.

    Raises ValueError when `endpoint_url` is not on a loopback address. A run that exceeds
    `timeout` seconds is stopped and reported as failed.
    """
    host = endpoint_url.split("//", 1)[-1].split(":", 1)[0]
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"endpoint {endpoint_url!r} is not on a loopback address")

    work_dir.mkdir(parents=True, exist_ok=True)
    recipe_file = work_dir / "datahub-recipe.json"
    summary_file = work_dir / "datahub-summary.json"
    recipe_file.write_text(json.dumps(recipe(work_dir / "datahub-events.json"), indent=1))
    summary_file.unlink(missing_ok=True)

    environment = dict(os.environ)
    environment.update({
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ENDPOINT_URL_SAGEMAKER": endpoint_url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "DATAHUB_TELEMETRY_ENABLED": "false",
    })
    command = [str(venv / "bin" / "python"), str(Path(__file__).resolve()),
               "--recipe", str(recipe_file), "--summary", str(summary_file)]
    logger.info("running DataHub: %s", " ".join(command))

    started = time.monotonic()
    try:
        completed = subprocess.run(command, env=environment, capture_output=True, text=True,
                                   timeout=timeout)
    except subprocess.TimeoutExpired:
        return DataHubRun(ok=False, seconds=time.monotonic() - started,
                          error=f"timed out after {timeout:.0f} s")
    seconds = time.monotonic() - started
    (work_dir / "datahub-output.log").write_text(completed.stdout + completed.stderr)

    if not summary_file.is_file():
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return DataHubRun(ok=False, seconds=seconds,
                          error=f"exit code {completed.returncode}: {last_line}")
    summary = json.loads(summary_file.read_text())
    return DataHubRun(ok=bool(summary["ok"]), seconds=seconds, error=summary.get("error", ""),
                      version=summary.get("version", ""), report=summary.get("report", {}))


def allow_loopback_only() -> None:
    """Make every later socket connection or name lookup outside loopback raise OSError.

    DataHub and its dependencies have code paths that reach the internet by default
    (telemetry, release checks, cloud metadata). This guard stops them in this process.
    """
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def check(address: Any) -> None:
        if not is_loopback_address(address):
            raise OSError(f"connection to {address!r} blocked: only loopback is allowed")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return original_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (None, "localhost") and not _is_loopback_literal(host):
            raise socket.gaierror(f"lookup of {host!r} blocked: only loopback is allowed")
        return original_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign, assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign, assignment]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]


def is_loopback_address(address: Any) -> bool:
    """Return whether a socket address may be connected to: loopback IP, or a Unix socket path."""
    if not isinstance(address, tuple):
        return True
    return address[0] == "localhost" or _is_loopback_literal(address[0])


def _is_loopback_literal(host: Any) -> bool:
    try:
        text = host.decode() if isinstance(host, bytes) else str(host)
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run a DataHub recipe with network access to loopback addresses only.",
    )
    parser.add_argument("--recipe", required=True, help="recipe file (JSON)")
    parser.add_argument("--summary", required=True, help="file to write the run summary to (JSON)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    allow_loopback_only()
    from datahub import __version__
    from datahub.ingestion.run.pipeline import Pipeline

    summary: dict[str, Any] = {"ok": False, "version": __version__}
    try:
        pipeline = Pipeline.create(json.loads(Path(args.recipe).read_text()))
        pipeline.run()
        report = pipeline.source.get_report()
        summary["report"] = json.loads(report.as_json())
        summary["ok"] = not report.failures
        if report.failures:
            summary["error"] = f"{len(report.failures)} failures in the source report"
    except Exception as err:  # noqa: BLE001 (any failure of the run is the measured outcome)
        logger.exception("DataHub ingestion failed")
        summary["error"] = f"{type(err).__name__}: {err}"
    Path(args.summary).write_text(json.dumps(summary, indent=1, default=str))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
