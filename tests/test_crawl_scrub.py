"""Scrubbing accounts, buckets and roles out of a recording."""

from __future__ import annotations

from lineage.crawl.scrub import Scrubber, scrub

DOCUMENT = {
    "account": "111122223333",
    "responses": {"describe_training_job": {
        "TrainingJobName": "churn-xgb",
        "TrainingJobArn": "arn:aws:sagemaker:us-east-1:111122223333:training-job/churn-xgb",
        "RoleArn": "arn:aws:iam::111122223333:role/service/SageMakerExecution",
        "AlgorithmSpecification": {
            "TrainingImage": "111122223333.dkr.ecr.us-east-1.amazonaws.com/xgb:1"},
        "ModelArtifacts": {"S3ModelArtifacts": "s3://example-bucket/models/churn-xgb/output/model.tar.gz"},
        "InputDataConfig": [
            {"DataSource": {"S3DataSource": {"S3Uri": "https://example-bucket.s3.us-east-1.amazonaws.com/data/"}}},
            {"DataSource": {"S3DataSource": {"S3Uri": "https://s3.amazonaws.com/other-bucket/x/"}}},
            {"DataSource": {"S3DataSource": {"S3Uri": "s3a://sagemaker-us-east-1-111122223333/y/"}}},
        ],
        "HyperParameters": {"epochs": "10", "seed": "123456789012345"},
        "SourceArn": "arn:aws:sagemaker:us-east-1:444455556666:model-package/vendor/1",
    }},
}


def test_scrub_removes_accounts_buckets_and_roles() -> None:
    text = str(scrub(DOCUMENT))

    for secret in ("111122223333", "444455556666", "example-bucket", "other-bucket",
                   "SageMakerExecution", "sagemaker-us-east-1-"):
        assert secret not in text


def test_scrub_is_consistent_across_spellings() -> None:
    job = scrub(DOCUMENT)["responses"]["describe_training_job"]

    artifact_bucket = job["ModelArtifacts"]["S3ModelArtifacts"].split("/")[2]
    https_uri = job["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    assert https_uri.startswith(f"https://{artifact_bucket}.s3.us-east-1.amazonaws.com/data/")
    account = job["TrainingJobArn"].split(":")[4]
    assert job["AlgorithmSpecification"]["TrainingImage"].startswith(f"{account}.dkr.ecr.")
    assert job["RoleArn"].startswith(f"arn:aws:iam::{account}:role/service/")
    assert scrub(DOCUMENT)["account"] == account


def test_scrub_keeps_names_keys_and_other_numbers() -> None:
    job = scrub(DOCUMENT)["responses"]["describe_training_job"]

    assert job["TrainingJobName"] == "churn-xgb"
    assert job["TrainingJobArn"].endswith(":training-job/churn-xgb")
    artifact = job["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact.endswith("/models/churn-xgb/output/model.tar.gz")
    assert job["HyperParameters"] == {"epochs": "10", "seed": "123456789012345"}


def test_scrub_does_not_change_input() -> None:
    before = str(DOCUMENT)

    scrub(DOCUMENT)

    assert str(DOCUMENT) == before


def test_scrubber_keeps_stand_ins_across_documents() -> None:
    scrubber = Scrubber()

    first = scrubber.scrub({"uri": "s3://example-bucket/a"})
    second = scrubber.scrub({"uri": "s3://other-bucket/b", "again": "s3://example-bucket/c"})

    assert first["uri"].split("/")[2] == second["again"].split("/")[2]
    assert second["uri"].split("/")[2] != second["again"].split("/")[2]
