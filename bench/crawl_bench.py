"""Crawl benchmark: our crawler, the naive crawl and DataHub against one throttled mock.

    python -m bench.crawl_bench --account small
    python -m bench.crawl_bench --account large --rate 50 --strategies ours

Every strategy reads the same synthetic account from `bench.mock_sagemaker` on 127.0.0.1, with
the same per-operation token bucket and latency, one after the other (buckets and counts are
reset in between). The table shows, per strategy, the requests the server received, the wall
time, the requests it throttled and the retries the client made. Two lower bounds are computed,
not measured. Each is the time the busiest operation of a plan needs at the mock's rate: the
Search-based plan of our crawler, and the List+Describe plan of the naive crawl. They assume
perfect interleaving of operations and no latency.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import shlex
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import naive
from bench.datahub_recipe import DEFAULT_VENV, datahub_unavailable, run_datahub
from bench.mock_sagemaker import MockConfig, MockSageMaker, Records, records_for

logger = logging.getLogger(__name__)

STRATEGIES = ("ours", "naive", "datahub")
SEARCH_KINDS = ("TrainingJob", "Model", "Endpoint", "ModelPackage", "HyperParameterTuningJob")
PAGE_SIZE = 100


@dataclass
class Row:
    """One line of the result table; None marks a value the strategy does not report."""

    strategy: str
    calls: int | None = None
    seconds: float | None = None
    throttled: int | None = None
    retries: int | None = None
    records: int | None = None
    note: str = ""


def _pages(count: int) -> int:
    return max(1, math.ceil(count / PAGE_SIZE))


def search_plan(records: Records) -> dict[str, int]:
    """Return the minimum calls per operation of a Search-based full crawl of `records`.

    Search pages for the five searchable kinds, one DescribeEndpointConfig per config that an
    endpoint references, and List plus one Describe per processing job, transform job and
    inference component, plus the ListModelPackageGroups pages.
    """
    plan = {"Search": sum(_pages(len(records.get(kind, []))) for kind in SEARCH_KINDS)}

    referenced = set()
    for endpoint in records.get("Endpoint", []):
        referenced.add(endpoint.get("EndpointConfigName"))
        referenced.add(endpoint.get("PendingDeploymentSummary", {}).get("EndpointConfigName"))
    referenced.discard(None)
    plan["DescribeEndpointConfig"] = len(referenced)

    for kind, list_operation, describe_operation in (
        ("ProcessingJob", "ListProcessingJobs", "DescribeProcessingJob"),
        ("TransformJob", "ListTransformJobs", "DescribeTransformJob"),
        ("InferenceComponent", "ListInferenceComponents", "DescribeInferenceComponent"),
    ):
        plan[list_operation] = _pages(len(records.get(kind, [])))
        plan[describe_operation] = len(records.get(kind, []))
    plan["ListModelPackageGroups"] = _pages(len(records.get("ModelPackageGroup", [])))
    return plan


def list_describe_plan(records: Records) -> dict[str, int]:
    """Return the calls per operation of the naive crawl: List pages plus one Describe per item."""
    plan: dict[str, int] = {}
    for step in naive.PLAN:
        count = len(records.get(step.kind, []))
        plan[_api_name(step.list_operation)] = _pages(count)
        plan[_api_name(step.describe_operation)] = count
    return plan


def lower_bound_seconds(plan: dict[str, int], config: MockConfig) -> float:
    """Return the time the busiest operation of `plan` needs at the mock's rate and burst."""
    if not config.rate:
        return 0.0
    burst = config.burst if config.burst is not None else config.rate
    return max((max(0.0, calls - burst) / config.rate for calls in plan.values()), default=0.0)


def _api_name(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


def run_ours(mock: MockSageMaker, rate: float | None) -> Row:
    """Crawl the mock with `lineage.crawl.crawler.crawl` through `lineage.clients.make_client`.

    The crawl gets a rate limiter at the mock's rate, as `lineage crawl --rate` sets it; with
    no mock rate the crawl is unlimited.
    """
    try:
        from lineage.clients import make_client
        from lineage.crawl.crawler import crawl
        from lineage.crawl.ratelimit import RateLimiter
    except ImportError as err:
        return Row("ours", note=f"not run: {err}")

    mock.reset_stats()
    limiter = RateLimiter(rate) if rate else None
    started = time.monotonic()
    result = crawl(
        make_client(region="us-east-1", endpoint_url=mock.endpoint_url), limiter=limiter
    )
    seconds = time.monotonic() - started
    stats = mock.stats()

    report = result.report
    # The crawler counts every attempt it makes; requests beyond its first attempts are
    # retries, including any that botocore made inside one of those attempts.
    first_attempts = report.total_calls - report.retries
    notes = []
    if report.partial:
        notes.append(f"partial: {'; '.join(report.partial)}")
    if report.denied:
        notes.append(f"denied: {', '.join(report.denied)}")
    if report.warnings:
        notes.append(f"{len(report.warnings)} warnings")
    unresolved = sum(len(names) for names in report.unresolved.values())
    if unresolved:
        notes.append(f"{unresolved} unresolved")
    return Row("ours", calls=stats["total_calls"], seconds=seconds,
               throttled=stats["total_throttled"], retries=stats["total_calls"] - first_attempts,
               records=sum(report.counts.values()), note="; ".join(notes))


def run_naive(mock: MockSageMaker, max_seconds: float) -> Row:
    """Run the naive List+Describe crawl with a default boto3 client (legacy retries)."""
    import boto3

    mock.reset_stats()
    client = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=mock.endpoint_url)
    result = naive.naive_crawl(client, max_seconds=max_seconds)
    stats = mock.stats()

    notes = []
    if result.failed:
        noun = "call" if len(result.failed) == 1 else "calls"
        notes.append(f"{len(result.failed)} {noun} failed after retries")
    if result.stopped_early:
        notes.append(f"stopped at the {max_seconds:.0f} s budget")
    return Row("naive", calls=stats["total_calls"], seconds=result.seconds,
               throttled=stats["total_throttled"], retries=result.retries,
               records=sum(result.records.values()), note="; ".join(notes))


def run_datahub_row(mock: MockSageMaker, work_dir: Path, venv: Path, max_seconds: float) -> Row:
    """Run DataHub's SageMaker source against the mock, or explain why it cannot run."""
    reason = datahub_unavailable(venv)
    if reason:
        return Row("datahub", note=f"not run: {reason}")

    mock.reset_stats()
    run = run_datahub(mock.endpoint_url, work_dir, venv=venv, timeout=max_seconds)
    stats = mock.stats()

    # Resources read, as DataHub counts them. Its datasets_scanned counts S3 locations, which
    # are not SageMaker resources, and it reads no endpoint configs or model packages.
    scanned = sum(int(run.report.get(key, 0)) for key in (
        "jobs_scanned", "models_scanned", "endpoints_scanned", "groups_scanned",
    ))
    note = f"acryl-datahub {run.version}" if run.version else ""
    if not run.ok:
        note = f"{note}; failed: {run.error}".lstrip("; ")
    # DataHub does not report its retries; each throttled request was retried unless the
    # run gave up, so the retry column stays empty.
    return Row("datahub", calls=stats["total_calls"], seconds=run.seconds,
               throttled=stats["total_throttled"], records=scanned, note=note)


def machine() -> dict[str, Any]:
    """Return the facts a reader needs to compare timings: CPUs, CPU model, RAM, versions."""
    import boto3

    cpu_model = ""
    memory_kib = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
                break
    except OSError:
        logger.debug("no /proc on this system; CPU model and RAM left empty")
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model or platform.processor(),
        "ram_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "boto3": boto3.__version__,
        "platform": platform.platform(),
    }


def format_table(rows: list[Row]) -> str:
    """Return the rows as a Markdown table."""

    def cell(value: Any, digits: int = 0) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:,.{digits}f}"
        return f"{value:,}"

    lines = [
        "| strategy | requests | wall time (s) | throttled | retries | records | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.strategy} | {cell(row.calls)} | {cell(row.seconds, 1)} | "
            f"{cell(row.throttled)} | {cell(row.retries)} | {cell(row.records)} | {row.note} |"
        )
    return "\n".join(lines)


def _set_environment(endpoint_url: str) -> None:
    # Dummy credentials, and every AWS service default pointed at the mock, so that no client
    # built in this process reaches AWS.
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ENDPOINT_URL_SAGEMAKER": endpoint_url,
        "AWS_EC2_METADATA_DISABLED": "true",
    })


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.crawl_bench",
        description="Compare crawl strategies against a throttled SageMaker mock on 127.0.0.1.",
    )
    parser.add_argument("--account", default="small",
                        help="account size 'small' or 'large', or a recording file "
                             "(default: small)")
    parser.add_argument("--rate", type=float, default=2.0,
                        help="requests per second per operation (default: 2)")
    parser.add_argument("--burst", type=float, default=None,
                        help="token bucket size in requests (default: the rate)")
    parser.add_argument("--latency-ms", type=float, nargs=2, default=(50.0, 200.0),
                        metavar=("MIN", "MAX"), help="latency range per request in milliseconds")
    parser.add_argument("--strategies", default=",".join(STRATEGIES),
                        help="comma-separated strategies to run (default: ours,naive,datahub)")
    parser.add_argument("--max-seconds", type=float, default=3600.0,
                        help="time budget of the naive and DataHub runs, in seconds")
    parser.add_argument("--datahub-venv", type=Path, default=DEFAULT_VENV,
                        help=f"virtual environment with acryl-datahub (default: {DEFAULT_VENV})")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/lineage-crawl-bench"),
                        help="folder for DataHub's recipe, output and log")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)

    chosen = [name.strip() for name in args.strategies.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(STRATEGIES))
    if unknown:
        parser.error(f"unknown strategies {unknown}; choose from {', '.join(STRATEGIES)}")
    args.strategies = chosen
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    config = MockConfig(
        rate=args.rate or None,
        burst=args.burst,
        latency=(args.latency_ms[0] / 1000, args.latency_ms[1] / 1000),
    )
    records = records_for(args.account)
    counts = {kind: len(items) for kind, items in records.items()}
    search_calls = search_plan(records)
    naive_calls = list_describe_plan(records)
    rows = [
        Row("lower bound, Search plan", calls=sum(search_calls.values()),
            seconds=lower_bound_seconds(search_calls, config), note="computed"),
        Row("lower bound, List+Describe plan", calls=sum(naive_calls.values()),
            seconds=lower_bound_seconds(naive_calls, config), note="computed"),
    ]

    with MockSageMaker(records, config) as mock:
        _set_environment(mock.endpoint_url)
        for strategy in args.strategies:
            logger.info("running strategy %s", strategy)
            if strategy == "ours":
                rows.append(run_ours(mock, config.rate))
            elif strategy == "naive":
                rows.append(run_naive(mock, args.max_seconds))
            else:
                rows.append(run_datahub_row(mock, args.work_dir, args.datahub_venv,
                                            args.max_seconds))

    results = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "python -m bench.crawl_bench " + shlex.join(argv if argv is not None
                                                               else sys.argv[1:]),
        "machine": machine(),
        "mock": {"rate": config.rate, "burst": config.burst, "latency_s": config.latency,
                 "default_page_size": config.default_page_size},
        "account": counts,
        "rows": [asdict(row) for row in rows],
    }
    print(json.dumps({key: results[key] for key in ("date", "command", "machine", "mock",
                                                     "account")}, indent=1))
    print(format_table(rows))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
