"""A recorded account whose free-text fields carry markup, control characters and huge values.

Anyone with SageMaker write access chooses tags, hyperparameters, S3 keys, metric names and
failure reasons, so every surface must show these strings as text. Two recordings a day apart
(`before_document`, `after_document`) let the regression report and its exports run on them:
endpoint `hostile-ep` moves from config v1 (a plain model) to config v2, whose model, training
job, datasets and tags are all hostile. Resource names follow the API's name pattern
(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`), so they stay plain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ACCOUNT = "111122223333"
REGION = "us-east-1"
BUCKET = "hostile-bucket"

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
CLOSE_SCRIPT = "</script><script>alert(2)</script>"
QUOTES = "it's \"quoted\" `code` \\ back"
NEWLINES = "first line\nEVIL forged row\r\nthird"
ANSI = "\x1b[31mred\x1b[0m\x07"
RIGHT_TO_LEFT = "report\u202egnp.exe"
ZERO_WIDTH = "zero\u200bwidth\u200djoin\ufeffbom"
REPLACEMENT = "bad byte \ufffd and escape \\udcff"
MARKDOWN = "**bold** [link](javascript:alert(1)) :red[red] <b>b</b> | cell"
HTML_COMMENT = "<!-- comment --> &amp; &lt;"

# Every short hostile value, by the name used for it in tags and hyperparameters.
HOSTILE: dict[str, str] = {
    "script": SCRIPT,
    "img": IMG,
    "close_script": CLOSE_SCRIPT,
    "quotes": QUOTES,
    "newlines": NEWLINES,
    "ansi": ANSI,
    "rtl": RIGHT_TO_LEFT,
    "zero_width": ZERO_WIDTH,
    "replacement": REPLACEMENT,
    "markdown": MARKDOWN,
    "comment": HTML_COMMENT,
}

# One mebibyte: far above the API's limits (2,500 characters a hyperparameter, 256 a tag value).
HUGE_LENGTH = 1 << 20
HUGE = "H" * (HUGE_LENGTH - 2) + "<>"

ENDPOINT = "hostile-ep"
CONFIG_BEFORE = "hostile-config-v1"
CONFIG_AFTER = "hostile-config-v2"
MODEL_BEFORE = "plain-model-v1"
MODEL_AFTER = "hostile-model-v2"
JOB_BEFORE = "plain-train-v1"
JOB_AFTER = "hostile-train-v2"
# Numeric-looking and maximum-length names, both valid SageMaker names.
JOB_NUMERIC = "20240115"
JOB_LONG = "a" + "-b" * 31

HOSTILE_TRAIN_URI = f"s3://{BUCKET}/{SCRIPT}/train/"
HOSTILE_VALIDATION_URI = f"s3://{BUCKET}/{RIGHT_TO_LEFT}/{NEWLINES}/validation/"
HOSTILE_OUTPUT_PATH = f"s3://{BUCKET}/out/{IMG}"
HOSTILE_ARTIFACT = f"{HOSTILE_OUTPUT_PATH}/{JOB_AFTER}/output/model.tar.gz"
HOSTILE_IMAGE = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{IMG.replace(' ', '/')}:latest"
HOSTILE_METRIC = f"validation:{SCRIPT}"
HOSTILE_METRIC_PROPERTY = f"Metrics.{HOSTILE_METRIC}"
HOSTILE_FAILURE = f"ClientError: {SCRIPT} {IMG}\n{ANSI} {RIGHT_TO_LEFT}"
DESCRIPTION = f"hostile account {SCRIPT} {NEWLINES}"

BEFORE_RECORDED_AT = "2024-06-12T06:00:00+00:00"
AFTER_RECORDED_AT = "2024-06-13T06:00:00+00:00"


def arn(resource: str, name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{resource}/{name}"


def hostile_tags(huge: bool = True) -> list[dict[str, str]]:
    # The huge value comes first, so that tooltips, which show the first ten entries, show it.
    tags = [{"Key": "huge", "Value": HUGE}] if huge else []
    tags += [{"Key": name, "Value": value} for name, value in HOSTILE.items()]
    tags.append({"Key": SCRIPT, "Value": "tag key is markup"})
    return tags


def hostile_hyperparameters() -> dict[str, str]:
    values = {"huge": HUGE, **HOSTILE}
    values[IMG] = "hyperparameter name is markup"
    values["eta"] = "0.3"
    values["json_quoted"] = json.dumps(SCRIPT)
    return values


def training_job(name: str, *, hostile: bool, created: str) -> dict[str, Any]:
    if not hostile:
        return {
            "TrainingJobName": name,
            "TrainingJobArn": arn("training-job", name),
            "TrainingJobStatus": "Completed",
            "HyperParameters": {"eta": "0.2"},
            "AlgorithmSpecification": {"TrainingImage": "xgboost:1", "TrainingInputMode": "File"},
            "InputDataConfig": [_channel("train", f"s3://{BUCKET}/plain/train/")],
            "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/plain-out"},
            "ModelArtifacts": {
                "S3ModelArtifacts": f"s3://{BUCKET}/plain-out/{name}/output/model.tar.gz"
            },
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
            "FinalMetricDataList": [{"MetricName": HOSTILE_METRIC, "Value": 0.91}],
            "CreationTime": created,
            "Tags": [{"Key": "Project", "Value": "plain"}],
        }
    return {
        "TrainingJobName": name,
        "TrainingJobArn": arn("training-job", name),
        "TrainingJobStatus": "Failed" if name != JOB_AFTER else "Completed",
        "FailureReason": HOSTILE_FAILURE,
        "HyperParameters": hostile_hyperparameters(),
        "AlgorithmSpecification": {"TrainingImage": HOSTILE_IMAGE, "TrainingInputMode": "File"},
        "InputDataConfig": [
            _channel("train", HOSTILE_TRAIN_URI),
            _channel("validation", HOSTILE_VALIDATION_URI, "ManifestFile"),
        ],
        "OutputDataConfig": {"S3OutputPath": HOSTILE_OUTPUT_PATH},
        "ModelArtifacts": {"S3ModelArtifacts": f"{HOSTILE_OUTPUT_PATH}/{name}/output/model.tar.gz"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
        "FinalMetricDataList": [
            {"MetricName": HOSTILE_METRIC, "Value": 0.84},
            {"MetricName": NEWLINES, "Value": 1.0},
        ],
        "CreationTime": created,
        "Tags": hostile_tags(),
    }


def _channel(name: str, uri: str, data_type: str = "S3Prefix") -> dict[str, Any]:
    return {
        "ChannelName": name,
        "DataSource": {"S3DataSource": {"S3DataType": data_type, "S3Uri": uri}},
    }


def model(name: str, artifact: str, image: str, *, hostile: bool) -> dict[str, Any]:
    return {
        "Model": {
            "ModelName": name,
            "ModelArn": arn("model", name),
            "PrimaryContainer": {"Image": image, "ModelDataUrl": artifact,
                                 "Environment": dict(HOSTILE) if hostile else {}},
            "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/execution",
            "CreationTime": "2024-06-12T09:40:00+00:00",
            "Tags": hostile_tags(huge=False) if hostile else [],
        }
    }


def endpoint(config: str, modified: str) -> dict[str, Any]:
    return {
        "EndpointName": ENDPOINT,
        "EndpointArn": arn("endpoint", ENDPOINT),
        "EndpointConfigName": config,
        "EndpointStatus": "InService",
        "FailureReason": HOSTILE_FAILURE,
        "ProductionVariants": [{"VariantName": "main", "CurrentWeight": 1.0,
                                "CurrentInstanceCount": 1}],
        "CreationTime": "2024-05-01T09:00:00+00:00",
        "LastModifiedTime": modified,
        "Tags": hostile_tags(),
    }


def endpoint_config(name: str, model_name: str) -> dict[str, Any]:
    return {
        "EndpointConfigName": name,
        "EndpointConfigArn": arn("endpoint-config", name),
        "ProductionVariants": [{"VariantName": "main", "ModelName": model_name,
                                "InitialInstanceCount": 1, "InstanceType": "ml.m5.large",
                                "InitialVariantWeight": 1.0}],
        "DataCaptureConfig": {"EnableCapture": True, "InitialSamplingPercentage": 10,
                              "DestinationS3Uri": f"s3://{BUCKET}/capture/{SCRIPT}/",
                              "CaptureOptions": [{"CaptureMode": "Input"}]},
        "CreationTime": "2024-06-12T10:00:00+00:00",
    }


def _document(config: str, modified: str, recorded_at: str) -> dict[str, Any]:
    plain_artifact = f"s3://{BUCKET}/plain-out/{JOB_BEFORE}/output/model.tar.gz"
    jobs = [
        training_job(JOB_BEFORE, hostile=False, created="2024-05-03T09:15:00+00:00"),
        training_job(JOB_AFTER, hostile=True, created="2024-06-12T08:10:00+00:00"),
        training_job(JOB_NUMERIC, hostile=True, created="2024-01-15T00:00:00+00:00"),
        training_job(JOB_LONG, hostile=False, created="2024-01-16T00:00:00+00:00"),
    ]
    models = [
        model(MODEL_BEFORE, plain_artifact, "xgboost:1", hostile=False),
        model(MODEL_AFTER, HOSTILE_ARTIFACT, HOSTILE_IMAGE, hostile=True),
    ]
    search_pages = {
        "TrainingJob": [{"TrainingJob": job} for job in jobs],
        "Model": [{"Model": record} for record in models],
        "Endpoint": [{"Endpoint": endpoint(config, modified)}],
        "ModelPackage": [],
        "HyperParameterTuningJob": [],
    }
    group = {
        "ModelPackageGroupName": "hostile-group",
        "ModelPackageGroupArn": arn("model-package-group", "hostile-group"),
        "ModelPackageGroupDescription": f"{SCRIPT} {MARKDOWN}",
        "CreationTime": "2024-05-01T09:00:00+00:00",
        "ModelPackageGroupStatus": "Completed",
    }
    return {
        "account": ACCOUNT,
        "region": REGION,
        "recorded_at": recorded_at,
        "description": DESCRIPTION,
        "responses": {
            "search": {"by_args": [
                {"args": {"Resource": resource}, "response": {"Results": results}}
                for resource, results in search_pages.items()
            ]},
            "describe_endpoint_config": {"by_args": [
                {"args": {"EndpointConfigName": CONFIG_BEFORE},
                 "response": endpoint_config(CONFIG_BEFORE, MODEL_BEFORE)},
                {"args": {"EndpointConfigName": CONFIG_AFTER},
                 "response": endpoint_config(CONFIG_AFTER, MODEL_AFTER)},
            ]},
            "list_processing_jobs": {"ProcessingJobSummaries": []},
            "list_transform_jobs": {"TransformJobSummaries": []},
            "list_inference_components": {"InferenceComponents": []},
            "list_model_package_groups": {"ModelPackageGroupSummaryList": [group]},
        },
    }


def before_document() -> dict[str, Any]:
    """The account on the first day: `hostile-ep` serves the plain model through config v1."""
    return _document(CONFIG_BEFORE, "2024-05-03T10:00:00+00:00", BEFORE_RECORDED_AT)


def after_document() -> dict[str, Any]:
    """The account a day later: `hostile-ep` serves the hostile model through config v2."""
    return _document(CONFIG_AFTER, "2024-06-12T10:14:00+00:00", AFTER_RECORDED_AT)


def write_account(folder: Path) -> tuple[Path, Path]:
    """Write both recordings into `folder` and return (before, after) paths."""
    folder.mkdir(parents=True, exist_ok=True)
    before = folder / "hostile-before.json"
    after = folder / "hostile-after.json"
    before.write_text(json.dumps(before_document()), encoding="utf-8")
    after.write_text(json.dumps(after_document()), encoding="utf-8")
    return before, after
