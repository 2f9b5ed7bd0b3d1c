"""Dataset verification: which crawled jobs read an S3 location, or a statement that none did."""

from __future__ import annotations

import pytest

from lineage.crawl.result import CrawlResult, RecordKind
from lineage.errors import InvalidURIError
from lineage.search.dataset import verify_dataset
from tests.search_records import training_jobs


@pytest.fixture(scope="module")
def result() -> CrawlResult:
    crawl = CrawlResult()
    for record in training_jobs():
        crawl.add(RecordKind.TRAINING_JOB, record)
    crawl.add(RecordKind.PROCESSING_JOB, {"ProcessingJobName": "prep", "ProcessingInputs": [
        {"InputName": "raw", "S3Input": {"S3Uri": "s3://example-bucket/catdata/raw.csv",
                                         "S3DataType": "S3Prefix"}}]})
    crawl.report.accounts = ["111122223333"]
    return crawl


def test_prefix_lists_every_reader(result):
    check = verify_dataset(result, "s3://example-bucket/catdata/")

    assert {(use.job_name, use.channel) for use in check.uses} == {
        ("job-mixed", "validation"), ("job-cat", "train"), ("prep", "raw")}
    assert check.summary.startswith("3 job(s) read s3://example-bucket/catdata/.")


def test_key_under_prefix_input_matches(result):
    check = verify_dataset(result, "s3://example-bucket/churn/train/part-0.csv")

    assert [(use.job_name, use.match) for use in check.uses] == [("churn-a", "covers query")]


def test_unused_location_states_coverage(result):
    check = verify_dataset(result, "https://example-bucket.s3.amazonaws.com/holdout/")

    assert check.uses == ()
    assert check.summary == (
        "No crawled job read s3://example-bucket/holdout/. Checked 9 training and 1 processing "
        "jobs in account(s) 111122223333."
    )


def test_manifest_input_is_not_a_prefix(result):
    check = verify_dataset(result, "s3://other-bucket/fraud/train.manifest.bak")

    assert check.uses == ()


def test_invalid_location_raises(result):
    with pytest.raises(InvalidURIError):
        verify_dataset(result, "bucket/holdout")
