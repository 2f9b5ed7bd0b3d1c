"""Unit tests of the job mappers (training, processing, transform, tuning) on plain dicts."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from lineage.crawl.result import RECORD_META
from lineage.graph import NodeKind, Relation
from lineage.mappers import MalformedRecordError, Ref
from lineage.mappers.processing_job import map_processing_job
from lineage.mappers.training_job import map_training_job
from lineage.mappers.transform_job import map_transform_job
from lineage.mappers.tuning_job import map_tuning_job
from tests.fragment_helpers import fragment_edge as _edge
from tests.fragment_helpers import fragment_ids as _ids
from tests.fragment_helpers import fragment_node as _node

JOB_ARN = "arn:aws:sagemaker:us-east-1:111122223333:training-job/churn-xgb-0503"
IMAGE = "111122223333.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7"
TUNING_ARN = "arn:aws:sagemaker:us-east-1:111122223333:hyper-parameter-tuning-job/churn-hpo"


def test_training_job_id_is_record_arn() -> None:
    fragment = map_training_job({"TrainingJobName": "churn-xgb-0503", "TrainingJobArn": JOB_ARN})

    job = _node(fragment, JOB_ARN)
    assert job["kind"] == NodeKind.TRAINING_JOB
    assert job["label"] == "churn-xgb-0503"
    assert job["account"] == "111122223333"


def test_training_job_id_synthesised_from_meta() -> None:
    record = {"TrainingJobName": "j1",
              RECORD_META: {"account": "111122223333", "region": "eu-west-1"}}

    fragment = map_training_job(record)

    assert _ids(fragment, NodeKind.TRAINING_JOB) == [
        "arn:aws:sagemaker:eu-west-1:111122223333:training-job/j1"
    ]


def test_training_job_numeric_name_gets_namespaced_id() -> None:
    fragment = map_training_job({"TrainingJobName": "20240115"})

    assert _ids(fragment, NodeKind.TRAINING_JOB) == ["training-job:20240115"]


@pytest.mark.parametrize(
    "record", [{}, {"TrainingJobStatus": "Completed"}, {"TrainingJobName": ""}]
)
def test_training_job_without_name_is_malformed(record: dict[str, Any]) -> None:
    with pytest.raises(MalformedRecordError, match="TrainingJobName"):
        map_training_job(record)


def test_training_job_non_dict_is_malformed() -> None:
    with pytest.raises(MalformedRecordError, match="list"):
        map_training_job([])  # type: ignore[arg-type]


def test_training_job_attributes() -> None:
    start = datetime(2024, 5, 3, 10, 0, tzinfo=timezone.utc)
    end = datetime(2024, 5, 3, 10, 30, tzinfo=timezone.utc)
    record = {
        "TrainingJobName": "churn-xgb-0503", "TrainingJobArn": JOB_ARN,
        "TrainingJobStatus": "Failed", "FailureReason": "AlgorithmError: <oom> & more",
        "TrainingStartTime": start, "TrainingEndTime": end,
        "HyperParameters": {"eta": "\"0.1\"", "objective": "binary:logistic"},
        "FinalMetricDataList": [
            {"MetricName": "validation:auc", "Value": 0.91},
            {"MetricName": "broken", "Value": "n/a"},
        ],
        "AlgorithmSpecification": {"TrainingImage": IMAGE},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2},
        "Tags": [{"Key": "Project", "Value": "churn"}],
        "TuningJobArn": TUNING_ARN,
        "OutputDataConfig": {"S3OutputPath": "s3://example-bucket/models"},
    }

    job = _node(map_training_job(record), JOB_ARN)

    assert job["status"] == "Failed"
    assert job["failure_reason"] == "AlgorithmError: <oom> & more"
    assert job["duration_seconds"] == 1800.0
    assert job["hyperparameters"] == {"eta": "\"0.1\"", "objective": "binary:logistic"}
    assert job["hyperparameters_decoded"] == {"eta": "0.1", "objective": "binary:logistic"}
    assert job["metrics"] == {"validation:auc": 0.91}
    assert job["algorithm"] == IMAGE
    assert job["instance_type"] == "ml.m5.xlarge"
    assert job["instance_count"] == 2
    assert job["tags"] == {"Project": "churn"}
    assert job["output_path"] == "s3://example-bucket/models"
    assert job["tuning_job"] == TUNING_ARN


def test_training_job_edges() -> None:
    record = {
        "TrainingJobName": "j1", "TrainingJobArn": JOB_ARN,
        "AlgorithmSpecification": {"TrainingImage": "img:1"},
        "HyperParameters": {"eta": "0.2"},
        "TuningJobArn": TUNING_ARN,
        "ModelArtifacts": {"S3ModelArtifacts": "s3://example-bucket/models/j1/output/model.tar.gz"},
        "InputDataConfig": [
            {"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": "s3://example-bucket/data/train/"}}},
        ],
    }

    fragment = map_training_job(record)

    train = _edge(fragment, JOB_ARN, "s3://example-bucket/data/train/")
    assert train.relation == Relation.TRAINED_ON
    artifact = "s3://example-bucket/models/j1/output/model.tar.gz"
    assert _edge(fragment, artifact, JOB_ARN).relation == Relation.PRODUCED_BY
    assert _node(fragment, artifact)["compressed"] is True
    assert _edge(fragment, JOB_ARN, "img:1").relation == Relation.RUNS
    parameters = f"{JOB_ARN}#hyperparameters"
    assert _edge(fragment, JOB_ARN, parameters).relation == Relation.CONFIGURED_WITH
    assert _node(fragment, parameters)["raw"] == {"eta": "0.2"}
    tuning = [e for e in fragment.edges if e.relation == Relation.CHILD_OF]
    assert len(tuning) == 1
    assert isinstance(tuning[0].target, Ref)
    assert tuning[0].target.arn == TUNING_ARN
    assert tuning[0].target.kind == NodeKind.TUNING_JOB


@pytest.mark.parametrize(
    "data_type", ["S3Prefix", "ManifestFile", "AugmentedManifestFile", "S3Object"]
)
def test_training_channel_keeps_s3_data_type(data_type: str) -> None:
    uri = "s3://example-bucket/manifests/train.manifest"
    record = {"TrainingJobName": "j1", "InputDataConfig": [
        {"ChannelName": "train",
         "DataSource": {"S3DataSource": {"S3DataType": data_type, "S3Uri": uri}}}
    ]}

    fragment = map_training_job(record)

    dataset = _node(fragment, uri)
    assert dataset["data_type"] == data_type
    assert dataset["is_prefix"] is (data_type == "S3Prefix")
    assert _edge(fragment, "training-job:j1", uri).attrs["data_type"] == data_type


def test_training_channel_s3a_and_slash_kept() -> None:
    record = {"TrainingJobName": "j1", "InputDataConfig": [
        {"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": "s3a://example-bucket/data/train/"}}}
    ]}

    fragment = map_training_job(record)

    assert _ids(fragment, NodeKind.DATASET) == ["s3://example-bucket/data/train/"]


@pytest.mark.parametrize(
    ("file_system", "expected"),
    [
        ({"FileSystemId": "fs-0123", "FileSystemType": "EFS", "DirectoryPath": "/data/train"},
         "efs://fs-0123/data/train"),
        ({"FileSystemId": "fs-0456", "FileSystemType": "FSxLustre", "DirectoryPath": "/fsx/x"},
         "fsx-lustre://fs-0456/fsx/x"),
    ],
)
def test_training_channel_file_system(file_system: dict[str, str], expected: str) -> None:
    record = {"TrainingJobName": "j1", "InputDataConfig": [
        {"ChannelName": "train", "DataSource": {"FileSystemDataSource": file_system}}
    ]}

    fragment = map_training_job(record)

    dataset = _node(fragment, expected)
    assert dataset["data_type"] == "FileSystem"
    assert dataset["file_system_type"] == file_system["FileSystemType"]
    assert _edge(fragment, "training-job:j1", expected).attrs["channel"] == "train"


def test_training_channel_other_source_kind() -> None:
    arn = "arn:aws:sagemaker:us-east-1:111122223333:dataset/d1"
    record = {"TrainingJobName": "j1", "InputDataConfig": [
        {"ChannelName": "train", "DataSource": {"DatasetSource": {"DatasetArn": arn}}}
    ]}

    fragment = map_training_job(record)

    assert _node(fragment, arn)["data_type"] == "DatasetSource"


def test_training_two_channels_same_prefix_two_edges() -> None:
    source = {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/data/"}}
    record = {"TrainingJobName": "j1", "InputDataConfig": [
        {"ChannelName": "train", "DataSource": source},
        {"ChannelName": "validation", "DataSource": source},
    ]}

    fragment = map_training_job(record)

    trained_on = [e for e in fragment.edges if e.relation == Relation.TRAINED_ON]
    channels = sorted(e.attrs["channel"] for e in trained_on)
    assert channels == ["train", "validation"]


def test_training_bad_channel_uri_warns_not_raises() -> None:
    record = {"TrainingJobName": "j1", "InputDataConfig": [
        {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "gs://x/y"}}},
        "not-a-channel",
    ]}

    fragment = map_training_job(record)

    assert _ids(fragment, NodeKind.DATASET) == []
    assert any("gs://x/y" in warning for warning in fragment.warnings)


def test_training_uncompressed_artifact_is_prefix() -> None:
    record = {
        "TrainingJobName": "llm-ft",
        "OutputDataConfig": {"S3OutputPath": "s3://b/out", "CompressionType": "NONE"},
        "ModelArtifacts": {"S3ModelArtifacts": "s3://b/out/llm-ft/output/model"},
    }

    artifact = _node(map_training_job(record), "s3://b/out/llm-ft/output/model")

    assert artifact["compressed"] is False
    assert artifact["is_prefix"] is True


def test_training_algorithm_name_is_image_node() -> None:
    algorithm = "arn:aws:sagemaker:us-east-1:444455556666:algorithm/vendor-algo"
    record = {"TrainingJobName": "j1", "AlgorithmSpecification": {"AlgorithmName": algorithm}}

    fragment = map_training_job(record)

    assert _node(fragment, algorithm)["kind"] == NodeKind.IMAGE
    assert _node(fragment, "training-job:j1")["algorithm"] == algorithm


def test_training_wrong_types_ignored() -> None:
    record = {"TrainingJobName": "j1", "InputDataConfig": "oops", "HyperParameters": ["x"],
              "FinalMetricDataList": {"a": 1}, "Tags": "t", "ResourceConfig": None}

    job = _node(map_training_job(record), "training-job:j1")

    assert job["channels"] == []
    assert job["hyperparameters"] == {}
    assert job["metrics"] == {}
    assert job["tags"] == {}


PROCESSING = {
    "ProcessingJobName": "eval-0502", "ProcessingJobStatus": "Completed",
    "TrainingJobArn": "arn:aws:sagemaker:us-east-1:111122223333:training-job/old-train",
    "AppSpecification": {"ImageUri": "img:eval"},
    "ProcessingInputs": [
        {"InputName": "model", "S3Input": {"S3Uri": "s3://b/models/old/model.tar.gz",
                                           "S3DataType": "S3Prefix"}},
        {"InputName": "athena", "DatasetDefinition": {"AthenaDatasetDefinition": {
            "Catalog": "AwsDataCatalog", "Database": "sales"}}},
        {"InputName": "code"},
    ],
    "ProcessingOutputConfig": {"Outputs": [
        {"OutputName": "report", "S3Output": {"S3Uri": "s3://b/eval/report/"}},
        {"OutputName": "features", "FeatureStoreOutput": {"FeatureGroupName": "fg-1"}},
    ]},
}


def test_processing_job_reads_and_produces() -> None:
    fragment = map_processing_job(PROCESSING)
    job = "processing-job:eval-0502"

    read = _edge(fragment, job, "s3://b/models/old/model.tar.gz")
    assert read.relation == Relation.READS
    assert read.attrs["channel"] == "model"
    assert _edge(fragment, job, "athena://AwsDataCatalog/sales").relation == Relation.READS
    written = _edge(fragment, "s3://b/eval/report/", job)
    assert written.relation == Relation.PRODUCED_BY
    assert written.attrs["channel"] == "report"
    assert _edge(fragment, "feature-group:fg-1", job).relation == Relation.PRODUCED_BY
    assert _edge(fragment, job, "img:eval").relation == Relation.RUNS
    assert any("code" in warning for warning in fragment.warnings)


def test_processing_job_evaluates_training_job() -> None:
    fragment = map_processing_job(PROCESSING)

    evaluates = [e for e in fragment.edges if e.relation == Relation.EVALUATES]
    assert len(evaluates) == 1
    assert evaluates[0].source == "processing-job:eval-0502"
    assert isinstance(evaluates[0].target, Ref)
    assert evaluates[0].target.name == "old-train"
    assert evaluates[0].target.kind == NodeKind.TRAINING_JOB


def test_processing_job_without_inputs() -> None:
    fragment = map_processing_job({"ProcessingJobName": "p", "ProcessingInputs": None})

    assert _ids(fragment, NodeKind.PROCESSING_JOB) == ["processing-job:p"]
    assert fragment.edges == []


def test_transform_job_edges() -> None:
    record = {
        "TransformJobName": "batch-1", "ModelName": "churn-model",
        "TransformInput": {"DataSource": {"S3DataSource": {
            "S3DataType": "ManifestFile", "S3Uri": "s3://b/in/batch.manifest"}}},
        "TransformOutput": {"S3OutputPath": "s3://b/out/batch-1/"},
    }

    fragment = map_transform_job(record)
    job = "transform-job:batch-1"

    assert _edge(fragment, job, "s3://b/in/batch.manifest").relation == Relation.READS
    assert _node(fragment, "s3://b/in/batch.manifest")["data_type"] == "ManifestFile"
    assert _edge(fragment, "s3://b/out/batch-1/", job).relation == Relation.PRODUCED_BY
    uses = [e for e in fragment.edges if e.relation == Relation.USES_MODEL]
    assert isinstance(uses[0].target, Ref)
    assert uses[0].target.name == "churn-model"


def test_tuning_job_objective() -> None:
    record = {
        "HyperParameterTuningJobName": "churn-hpo", "HyperParameterTuningJobArn": TUNING_ARN,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {
                "Type": "Maximize", "MetricName": "validation:auc",
            },
        },
        "BestTrainingJob": {"TrainingJobName": "churn-hpo-003"},
    }

    tuning = _node(map_tuning_job(record), TUNING_ARN)

    assert tuning["kind"] == NodeKind.TUNING_JOB
    assert tuning["objective_metric"] == "validation:auc"
    assert tuning["objective_type"] == "Maximize"
    assert tuning["best_training_job"] == "churn-hpo-003"
