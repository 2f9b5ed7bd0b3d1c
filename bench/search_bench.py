"""Time the search engine and suggestions on 100,000 generated training jobs.

Run: `PYTHONPATH=. python -m bench.search_bench [--jobs N] [--repeat R] [--lazy]`. Prints the
time `SearchIndex.build()` takes to build every index. Then it prints, per typical query, the
first (cold) run and the p50 and p95 of the repeated (warm) runs next to the targets: p95
under 100 ms per search and under 20 ms per suggestion lookup. With `--lazy` the index is not
built up front, so each cold run includes building the columns that query reads. Not part
of the test suite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from lineage.search import SearchIndex, parse_query, suggest

ARN_PREFIX = "arn:aws:sagemaker:us-east-1:111122223333:training-job/"
SEARCH_TARGET_MS = 100.0
SUGGEST_TARGET_MS = 20.0

QUERIES = [
    "Tags.Project = churn",
    'Tags.Project = churn and Metrics."validation:auc" > 0.9',
    "TrainingJobStatus in (Completed, Stopped) and HyperParameters.eta <= 0.1",
    'Metrics."validation:auc" >= 0.95 sort by Metrics."validation:auc" desc',
    "TrainingJobName contains job-0042",
    "CreationTime > 2024-06-01T00:00:00 and ResourceConfig.InstanceType = ml.m5.xlarge",
    "HyperParameters.max_depth >= 8 or Tags.Team = risk",
    'InputDataConfig[ChannelName = train and DataSource.S3DataSource.S3Uri contains "/p07/"]',
    "FailureReason exists",
    "",
]
HINTS = ["Metrics.", "hyperparameters.e", "Tags.P", "Input", "t"]


def generate_jobs(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Return `count` training jobs shaped like Search records, with varied values."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    projects = ["churn", "fraud", "ltv", "demand", "support"]
    statuses = ["Completed"] * 8 + ["Failed", "Stopped"]
    jobs = []
    for number in range(count):
        created = start + timedelta(minutes=7 * number)
        status = rng.choice(statuses)
        job: dict[str, Any] = {
            "TrainingJobName": f"job-{number:06d}",
            "TrainingJobArn": f"{ARN_PREFIX}job-{number:06d}",
            "TrainingJobStatus": status,
            "CreationTime": created,
            "LastModifiedTime": created + timedelta(hours=1),
            "HyperParameters": {
                "eta": f'"{rng.choice([0.01, 0.05, 0.1, 0.2, 0.3])}"',
                "max_depth": str(rng.randint(3, 12)),
                "num_round": str(rng.choice([100, 200, 500])),
            },
            "FinalMetricDataList": [
                {"MetricName": "validation:auc", "Value": round(rng.uniform(0.6, 0.99), 4)},
                {"MetricName": "train:auc", "Value": round(rng.uniform(0.7, 1.0), 4)},
            ],
            "Tags": [{"Key": "Project", "Value": rng.choice(projects)},
                     {"Key": "Team", "Value": rng.choice(["ml", "risk", "growth"])}],
            "ResourceConfig": {"InstanceType": rng.choice(["ml.m5.xlarge", "ml.c5.2xlarge"]),
                               "InstanceCount": rng.randint(1, 4)},
            "InputDataConfig": [
                {"ChannelName": channel, "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"s3://example-bucket/p{rng.randint(0, 20):02d}/{channel}/"}}}
                for channel in ("train", "validation")
            ],
        }
        if status == "Failed":
            job["FailureReason"] = "AlgorithmError: generated failure"
        jobs.append(job)
    return jobs


def _time_ms(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000, help="generated training jobs")
    parser.add_argument("--repeat", type=int, default=20, help="warm runs per query")
    parser.add_argument("--lazy", action="store_true",
                        help="skip SearchIndex.build(), so indexes are built on first use")
    args = parser.parse_args()

    started = time.perf_counter()
    jobs = generate_jobs(args.jobs)
    generated_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    index = SearchIndex({"TrainingJob": jobs})
    indexed_ms = (time.perf_counter() - started) * 1000
    print(f"{args.jobs} jobs generated in {generated_ms:.0f} ms, index created in "
          f"{indexed_ms:.0f} ms")
    if args.lazy:
        print("index build: skipped (--lazy)")
    else:
        stats = index.build()
        print(f"index build: {stats.seconds * 1000:.0f} ms for {stats.property_names} property "
              f"names, {stats.columns} columns and {stats.element_columns} element columns")

    print(f"\n{'query':<92} {'hits':>7} {'cold ms':>8} {'p50 ms':>7} {'p95 ms':>7}")
    warm_all: list[float] = []
    for text in QUERIES:
        request = parse_query(text).to_request("TrainingJob", max_results=100)
        started = time.perf_counter()
        hits = index.search(request)["TotalHits"]["Value"]
        cold = (time.perf_counter() - started) * 1000
        warm = [_time_ms(lambda request=request: index.search(request))
                for _ in range(args.repeat)]
        warm_all.extend(warm)
        print(f"{(text or '(all records)')[:92]:<92} {hits:>7} {cold:>8.1f} "
              f"{statistics.median(warm):>7.1f} {_p95(warm):>7.1f}")
    print(f"\nsearch p95 over all warm runs: {_p95(warm_all):.1f} ms "
          f"(target < {SEARCH_TARGET_MS:.0f} ms)")

    cold_suggest = _time_ms(lambda: suggest(index, "TrainingJob", "Metrics."))
    suggest_runs = [_time_ms(lambda hint=hint: suggest(index, "TrainingJob", hint))
                    for hint in HINTS for _ in range(args.repeat)]
    print(f"suggestions: first call {cold_suggest:.1f} ms, "
          f"then p95 {_p95(suggest_runs):.2f} ms (target < {SUGGEST_TARGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()
