"""Generate the sample account: two recordings of one SageMaker account, one day apart.

Run from the repository root with `python -m sample_data.generate` (add `--out DIR` to write
elsewhere). Output is deterministic: the background comes from a seeded `AccountSpec` and the
story below uses fixed times.

The story is a regression. In the BEFORE crawl, endpoint `churn-prod` runs config v1, whose main
variant serves a model trained on the 2024-05-01 churn data with eta 0.2 (validation:auc 0.91).
Between the crawls, a new job trains on the 2024-06-01 data with eta 0.3 (validation:auc 0.84),
and `churn-prod` is updated to config v2 serving that model. Config v1 and its model remain.
The constants below name every resource of the story, so tests and docs can refer to them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from lineage.synthetic import (
    LINEAR_LEARNER_IMAGE,
    PROJECTS,
    SKLEARN_IMAGE,
    XGBOOST_IMAGE,
    XGBOOST_PARAMETER_RANGES,
    Account,
    AccountSpec,
    build_account,
    s3_input_channel,
)

logger = logging.getLogger(__name__)

SAMPLE_DIR = Path(__file__).resolve().parent
BEFORE_FILE = "account-before.json"
AFTER_FILE = "account-after.json"

ACCOUNT = "111122223333"
REGION = "us-east-1"
BEFORE_RECORDED_AT = datetime(2024, 6, 12, 6, 0, tzinfo=timezone.utc)
AFTER_RECORDED_AT = datetime(2024, 6, 13, 6, 0, tzinfo=timezone.utc)

# The regression: churn-prod before and after.
ENDPOINT = "churn-prod"
CONFIG_BEFORE = "churn-prod-config-v1"
CONFIG_AFTER = "churn-prod-config-v2"
MAIN_VARIANT = "champion"
CHALLENGER_VARIANT = "challenger"
MAIN_VARIANT_WEIGHT = 0.9
CHALLENGER_VARIANT_WEIGHT = 0.1
JOB_BEFORE = "churn-xgb-20240503-0915"
JOB_AFTER = "churn-xgb-20240612-0810"
MODEL_BEFORE = f"{JOB_BEFORE}-model"
MODEL_AFTER = f"{JOB_AFTER}-model"
CHALLENGER_JOB = "churn-linear-20240502-1400"
CHALLENGER_MODEL = f"{CHALLENGER_JOB}-model"
DATASET_BEFORE = "s3://example-ml-data/churn/2024-05-01/train/"
DATASET_AFTER = "s3://example-ml-data/churn/2024-06-01/train/"
VALIDATION_BEFORE = "s3://example-ml-data/churn/2024-05-01/validation/"
VALIDATION_AFTER = "s3://example-ml-data/churn/2024-06-01/validation/"
PREP_JOB_BEFORE = "churn-prep-2024-05-01"
PREP_JOB_AFTER = "churn-prep-2024-06-01"
ETA_BEFORE = "0.2"
ETA_AFTER = "0.3"
AUC_BEFORE = 0.91
AUC_AFTER = 0.84
ENDPOINT_MODIFIED_BEFORE = datetime(2024, 5, 6, 10, 14, tzinfo=timezone.utc)
ENDPOINT_MODIFIED_AFTER = datetime(2024, 6, 12, 10, 14, tzinfo=timezone.utc)
ENDPOINT_CREATED = datetime(2024, 5, 6, 10, 5, tzinfo=timezone.utc)
# Training jobs created between the two crawls (JOB_AFTER and two more experiments).
JOBS_ADDED_AFTER = (JOB_AFTER, "churn-xgb-20240612-1130", "fraud-xgb-20240612-1400")

# The auditor's question: a holdout set that a split job wrote and nothing trains on.
HOLDOUT_PREFIX = "s3://example-ml-data/churn/holdout/2024-05-01/"
HOLDOUT_SPLIT_JOB = "churn-holdout-split-2024-05-01"

# Tuning: the churn search whose best setting (eta 0.2) JOB_BEFORE was retrained with.
TUNING_JOB = "churn-xgb-hpo-0502"
TUNING_OBJECTIVE = ("Maximize", "validation:auc")
TUNING_CHILD_COUNT = 6

# Batch scoring of the 2024-06-01 churn data with the BEFORE model.
TRANSFORM_JOB = "churn-batch-score-20240602"
SCORING_PREFIX = "s3://example-ml-data/churn/2024-06-01/score/"

# The registry: a versioned package and a model created from it, served on churn-staging.
PACKAGE_GROUP = "churn-models"
PACKAGE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{PACKAGE_GROUP}/1"
PACKAGE_MODEL = "churn-models-v1-staging"
STAGING_ENDPOINT = "churn-staging"
STAGING_CONFIG = "churn-staging-config-v1"

# Fraud: a serial inference pipeline (scikit-learn preprocessing, then XGBoost) with a shadow.
SHADOW_ENDPOINT = "fraud-realtime"
SHADOW_CONFIG = "fraud-realtime-config-v1"
PIPELINE_MODEL = "fraud-pipeline-20240511"
PREPROCESS_JOB = "fraud-preprocess-fit-20240510"
FRAUD_JOB = "fraud-xgb-20240511-0800"
SHADOW_JOB = "fraud-xgb-20240520-0800"
SHADOW_MODEL = f"{SHADOW_JOB}-model"
SHADOW_VARIANT = "shadow-xgb"

# Demand: a serverless endpoint serving a linear-learner regressor.
SERVERLESS_ENDPOINT = "demand-forecast"
SERVERLESS_CONFIG = "demand-forecast-config-v1"
SERVERLESS_JOB = "demand-linear-20240515-1030"
SERVERLESS_MODEL = f"{SERVERLESS_JOB}-model"
SERVERLESS_MEMORY_MB = 2048

# A model whose artifact was uploaded by hand: no training job produced it. SageMaker
# lower-cases the name in the model's ARN.
MANUAL_MODEL = "Churn-Rules-Manual-2023"
MANUAL_ARTIFACT = "s3://example-ml-models/manual-uploads/churn-rules-2023-11/model.tar.gz"

# The background: ordinary activity of six teams from 2024-03-01 to 2024-05-10.
BACKGROUND = AccountSpec(
    account=ACCOUNT,
    region=REGION,
    seed=20240501,
    base_time=datetime(2024, 3, 1, tzinfo=timezone.utc),
    span=timedelta(days=70),
    training_jobs=50,
    models=6,
    endpoints=1,
    datasets=6,
    processing_jobs=7,
    tuning_jobs=0,
    transform_jobs=0,
    model_packages=0,
    failed_share=0.08,
)

CHURN = next(project for project in PROJECTS if project.name == "churn")
FRAUD = next(project for project in PROJECTS if project.name == "fraud")
DEMAND = next(project for project in PROJECTS if project.name == "demand")


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=timezone.utc)


def build_sample(recorded_at: datetime) -> Account:
    """Build the sample account as a crawl at `recorded_at` sees it."""
    account = build_account(BACKGROUND)
    add_churn_data(account)
    add_churn_training(account)
    add_churn_serving(account, recorded_at)
    add_fraud(account)
    add_demand(account)
    add_manual_model(account)
    return account


def build_recordings() -> dict[str, dict[str, Any]]:
    """Return both recordings of the sample account by file name."""
    recordings = {
        BEFORE_FILE: (BEFORE_RECORDED_AT, build_sample(BEFORE_RECORDED_AT).document(
            recorded_at=BEFORE_RECORDED_AT,
            description=(
                f"Sample account {ACCOUNT} in {REGION}, crawled {BEFORE_RECORDED_AT:%Y-%m-%d}: "
                f"{ENDPOINT} runs {CONFIG_BEFORE} (synthetic data)"
            ),
        )),
        AFTER_FILE: (AFTER_RECORDED_AT, build_sample(AFTER_RECORDED_AT).document(
            recorded_at=AFTER_RECORDED_AT,
            description=(
                f"Sample account {ACCOUNT} in {REGION}, crawled {AFTER_RECORDED_AT:%Y-%m-%d}: "
                f"{ENDPOINT} runs {CONFIG_AFTER} (synthetic data)"
            ),
        )),
    }
    for recorded_at, document in recordings.values():
        document["responses"]["lookup_events"] = lookup_events_response(recorded_at)
    return {name: document for name, (_, document) in recordings.items()}


# --- CloudTrail ----------------------------------------------------------------------------

# (event id, event name, time, request parameters) of each deployment call on the story's
# endpoint; a recording holds those made before its `recorded_at`.
DEPLOYER_ARN = f"arn:aws:iam::{ACCOUNT}:user/ml-deployer"
ENDPOINT_EVENTS = (
    ("5d0f3a52-6c1e-4b8a-9f0e-2a7d3c1b0e41", "CreateEndpoint", ENDPOINT_CREATED,
     {"endpointName": ENDPOINT, "endpointConfigName": CONFIG_BEFORE}),
    ("9b7c41e8-3f2d-4e6a-8c5b-7d1e0a9f4c23", "UpdateEndpoint", ENDPOINT_MODIFIED_AFTER,
     {"endpointName": ENDPOINT, "endpointConfigName": CONFIG_AFTER}),
)
LOOKUP_EVENT_NAMES = ("CreateEndpoint", "UpdateEndpoint", "UpdateEndpointWeightsAndCapacities")


def lookup_events_response(recorded_at: datetime) -> dict[str, Any]:
    """Return CloudTrail `lookup_events` responses by event name, as a crawl at `recorded_at`
    reads them (one page each, whatever time window is asked for)."""
    entries = []
    for event_name in LOOKUP_EVENT_NAMES:
        events = [
            cloudtrail_event(event_id, name, when, parameters)
            for event_id, name, when, parameters in ENDPOINT_EVENTS
            if name == event_name and when <= recorded_at
        ]
        entries.append({
            "args": {"LookupAttributes": [
                {"AttributeKey": "EventName", "AttributeValue": event_name},
            ]},
            "response": {"Events": events},
        })
    return {"by_args": entries}


def cloudtrail_event(
    event_id: str, name: str, when: datetime, parameters: dict[str, Any]
) -> dict[str, Any]:
    """Return one LookupEvents event, with its CloudTrail record as a JSON string."""
    time_text = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    detail = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "arn": DEPLOYER_ARN, "accountId": ACCOUNT},
        "eventTime": time_text,
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
        "requestParameters": parameters,
        "responseElements": {
            "endpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ENDPOINT}",
        },
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    }
    return {
        "EventId": event_id,
        "EventName": name,
        "ReadOnly": "false",
        "EventTime": time_text,
        "EventSource": "sagemaker.amazonaws.com",
        "Username": "ml-deployer",
        "Resources": [{"ResourceType": "AWS::SageMaker::Endpoint", "ResourceName": ENDPOINT}],
        "CloudTrailEvent": json.dumps(detail, sort_keys=True),
    }


def render(document: dict[str, Any]) -> str:
    """Serialise a recording exactly as the sample files store it."""
    return json.dumps(document, indent=1) + "\n"


def write_recordings(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in build_recordings().items():
        path = directory / name
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    return written


# --- The churn story ------------------------------------------------------------------------


def add_churn_data(account: Account) -> None:
    """Add the jobs that write the dated churn datasets, the holdout and the scoring data."""
    for label, train, validation, prep in (
        ("2024-05-01", DATASET_BEFORE, VALIDATION_BEFORE, PREP_JOB_BEFORE),
        ("2024-06-01", DATASET_AFTER, VALIDATION_AFTER, PREP_JOB_AFTER),
    ):
        created = datetime.fromisoformat(f"{label}T02:00:00+00:00")
        outputs = {"train": train, "validation": validation}
        if label == "2024-06-01":
            outputs["score"] = SCORING_PREFIX
        account.add_processing_job(
            prep,
            image=SKLEARN_IMAGE,
            created=created,
            duration=timedelta(minutes=18),
            inputs={"raw": f"s3://example-ml-raw/churn/exports/{label}/"},
            outputs=outputs,
            code_uri=f"s3://example-ml-artifacts/{prep}/input/code/preprocess.py",
        )

    account.add_processing_job(
        HOLDOUT_SPLIT_JOB,
        image=SKLEARN_IMAGE,
        created=at(5, 1, 2, 30),
        duration=timedelta(minutes=9),
        inputs={"raw": "s3://example-ml-raw/churn/exports/2024-05-01/"},
        outputs={"holdout": HOLDOUT_PREFIX},
        code_uri=f"s3://example-ml-artifacts/{HOLDOUT_SPLIT_JOB}/input/code/split.py",
    )


def churn_channels(train: str, validation: str) -> list[dict[str, Any]]:
    return [s3_input_channel("train", train), s3_input_channel("validation", validation)]


def xgboost_hyperparameters(eta: str, max_depth: str = "6") -> dict[str, str]:
    return {
        "objective": "binary:logistic",
        "eval_metric": "auc",
        "eta": eta,
        "max_depth": max_depth,
        "num_round": "300",
        "subsample": "0.8",
    }


def add_churn_training(account: Account) -> None:
    """Add the tuning search, JOB_BEFORE, the challenger and the jobs created between crawls."""
    output = "s3://example-ml-models/churn/training-output"
    channels = churn_channels(DATASET_BEFORE, VALIDATION_BEFORE)

    # Children of the tuning job. The best of them has eta 0.2.
    trials = (("0.05", "4", 0.861), ("0.3", "8", 0.874), ("0.2", "6", 0.897),
              ("0.1", "5", 0.883), ("0.4", "7", 0.852), ("0.15", "3", 0.869))
    children = []
    for number, (eta, depth, auc) in enumerate(trials[:TUNING_CHILD_COUNT], start=1):
        hyperparameters = xgboost_hyperparameters(eta, depth)
        hyperparameters["num_round"] = "200"
        hyperparameters["_tuning_objective_metric"] = TUNING_OBJECTIVE[1]
        children.append(account.add_training_job(
            f"{TUNING_JOB}-{number:03d}-{0x3a7c91e0 + number * 0x1111:08x}",
            image=XGBOOST_IMAGE,
            created=at(5, 2, 9) + timedelta(minutes=15 * ((number - 1) // 2)),
            duration=timedelta(minutes=11),
            hyperparameters=hyperparameters,
            channels=channels,
            output_path="s3://example-ml-models/churn/tuning-output",
            metrics={"validation:auc": auc, "train:auc": round(auc + 0.03, 3)},
            tags=CHURN.tags,
            tuning_job=TUNING_JOB,
        ))
    account.add_tuning_job(
        TUNING_JOB,
        objective=TUNING_OBJECTIVE,
        definition={
            "StaticHyperParameters": {
                "objective": "binary:logistic", "eval_metric": "auc", "num_round": "200",
                "subsample": "0.8",
            },
            "AlgorithmSpecification": {"TrainingImage": XGBOOST_IMAGE, "TrainingInputMode": "File"},
            "RoleArn": account.role_arn,
            "InputDataConfig": channels,
            "OutputDataConfig": {"S3OutputPath": "s3://example-ml-models/churn/tuning-output"},
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
                               "VolumeSizeInGB": 30},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
        parameter_ranges=XGBOOST_PARAMETER_RANGES,
        children=children,
        tuned=["eta", "max_depth"],
        created=at(5, 2, 9),
        tags=CHURN.tags,
    )

    account.add_training_job(
        JOB_BEFORE,
        image=XGBOOST_IMAGE,
        created=at(5, 3, 9, 15),
        duration=timedelta(minutes=26),
        hyperparameters=xgboost_hyperparameters(ETA_BEFORE),
        channels=channels,
        output_path=output,
        metrics={"validation:auc": AUC_BEFORE, "train:auc": 0.934},
        instance_type="ml.m5.2xlarge",
        tags=CHURN.tags,
    )
    account.add_training_job(
        CHALLENGER_JOB,
        image=LINEAR_LEARNER_IMAGE,
        created=at(5, 2, 14),
        duration=timedelta(minutes=14),
        hyperparameters={
            "predictor_type": "binary_classifier", "feature_dim": "auto",
            "mini_batch_size": "200", "epochs": "15", "learning_rate": "auto",
        },
        channels=channels,
        output_path=output,
        metrics={
            "train:binary_classification_accuracy": 0.872,
            "validation:binary_classification_accuracy": 0.861,
            "validation:objective_loss": 0.318,
        },
        tags=CHURN.tags,
    )

    # Created between the crawls: JOB_AFTER and two more experiments.
    after_channels = churn_channels(DATASET_AFTER, VALIDATION_AFTER)
    account.add_training_job(
        JOB_AFTER,
        image=XGBOOST_IMAGE,
        created=at(6, 12, 8, 10),
        duration=timedelta(minutes=29),
        hyperparameters=xgboost_hyperparameters(ETA_AFTER),
        channels=after_channels,
        output_path=output,
        metrics={"validation:auc": AUC_AFTER, "train:auc": 0.957},
        instance_type="ml.m5.2xlarge",
        tags=CHURN.tags,
    )
    account.add_training_job(
        JOBS_ADDED_AFTER[1],
        image=XGBOOST_IMAGE,
        created=at(6, 12, 11, 30),
        duration=timedelta(minutes=27),
        hyperparameters=xgboost_hyperparameters("0.1"),
        channels=after_channels,
        output_path=output,
        metrics={"validation:auc": 0.881, "train:auc": 0.921},
        instance_type="ml.m5.2xlarge",
        tags=CHURN.tags,
    )
    account.add_training_job(
        JOBS_ADDED_AFTER[2],
        image=XGBOOST_IMAGE,
        created=at(6, 12, 14),
        duration=timedelta(minutes=31),
        hyperparameters=xgboost_hyperparameters("0.1", "7"),
        channels=churn_channels(
            "s3://example-ml-data/fraud/2024-05-08/train/",
            "s3://example-ml-data/fraud/2024-05-08/validation/",
        ),
        output_path="s3://example-ml-models/fraud/training-output",
        metrics={"validation:auc": 0.947, "train:auc": 0.962},
        tags=FRAUD.tags,
    )


def artifact_of(account: Account, job_name: str) -> str:
    job = next(j for j in account.training_jobs if j["TrainingJobName"] == job_name)
    return str(job["ModelArtifacts"]["S3ModelArtifacts"])


def single_container(image: str, model_data_url: str) -> list[dict[str, Any]]:
    return [{"Image": image, "Mode": "SingleModel", "ModelDataUrl": model_data_url,
             "Environment": {}}]


def add_churn_serving(account: Account, recorded_at: datetime) -> None:
    """Add the churn models, registry, configs v1 and v2, churn-prod as of `recorded_at`, staging.

    `Account.document` leaves out models and configs created after `recorded_at`, so only the
    endpoint, which changes in place, needs `recorded_at` here.
    """
    account.add_model(
        MODEL_BEFORE, created=at(5, 3, 11),
        containers=single_container(XGBOOST_IMAGE, artifact_of(account, JOB_BEFORE)),
        tags=CHURN.tags,
    )
    account.add_model(
        CHALLENGER_MODEL, created=at(5, 2, 15),
        containers=single_container(LINEAR_LEARNER_IMAGE, artifact_of(account, CHALLENGER_JOB)),
        tags=CHURN.tags,
    )
    account.add_model(
        MODEL_AFTER, created=at(6, 12, 9, 40),
        containers=single_container(XGBOOST_IMAGE, artifact_of(account, JOB_AFTER)),
        tags=CHURN.tags,
    )

    capture = f"s3://example-ml-monitoring/{ENDPOINT}/datacapture/"
    for config, main_model, created in (
        (CONFIG_BEFORE, MODEL_BEFORE, at(5, 6, 10)),
        (CONFIG_AFTER, MODEL_AFTER, at(6, 12, 10)),
    ):
        account.add_endpoint_config(
            config,
            variants=[
                {"VariantName": MAIN_VARIANT, "ModelName": main_model,
                 "InitialInstanceCount": 2, "InstanceType": "ml.m5.xlarge",
                 "InitialVariantWeight": MAIN_VARIANT_WEIGHT},
                {"VariantName": CHALLENGER_VARIANT, "ModelName": CHALLENGER_MODEL,
                 "InitialInstanceCount": 1, "InstanceType": "ml.m5.large",
                 "InitialVariantWeight": CHALLENGER_VARIANT_WEIGHT},
            ],
            created=created,
            data_capture_uri=capture,
        )
    updated = recorded_at >= ENDPOINT_MODIFIED_AFTER
    account.add_endpoint(
        ENDPOINT,
        config_name=CONFIG_AFTER if updated else CONFIG_BEFORE,
        created=ENDPOINT_CREATED,
        modified=ENDPOINT_MODIFIED_AFTER if updated else ENDPOINT_MODIFIED_BEFORE,
        tags={**CHURN.tags, "Environment": "production"},
    )

    account.add_model_package_group(
        PACKAGE_GROUP, description="Churn classifiers approved for deployment",
        created=at(5, 4, 8),
    )
    account.add_model_package(
        PACKAGE_GROUP, version=1, image=XGBOOST_IMAGE,
        model_data_url=artifact_of(account, JOB_BEFORE), created=at(5, 4, 8, 30),
        metadata={"training_job": JOB_BEFORE},
    )
    account.add_model_package(
        PACKAGE_GROUP, version=2, image=XGBOOST_IMAGE,
        model_data_url=artifact_of(account, JOB_AFTER), created=at(6, 12, 9, 45),
        approval="PendingManualApproval", metadata={"training_job": JOB_AFTER},
    )
    account.add_model(
        PACKAGE_MODEL, created=at(5, 4, 9),
        containers=[{"ModelPackageName": PACKAGE_ARN, "Environment": {}}],
        tags={**CHURN.tags, "Environment": "staging"},
    )
    account.add_endpoint_config(
        STAGING_CONFIG,
        variants=[{"VariantName": "AllTraffic", "ModelName": PACKAGE_MODEL,
                   "InitialInstanceCount": 1, "InstanceType": "ml.m5.large",
                   "InitialVariantWeight": 1.0}],
        created=at(5, 4, 9, 5),
    )
    account.add_endpoint(
        STAGING_ENDPOINT, config_name=STAGING_CONFIG, created=at(5, 4, 9, 10),
        modified=at(5, 4, 9, 19), tags={**CHURN.tags, "Environment": "staging"},
    )

    account.add_transform_job(
        TRANSFORM_JOB, model_name=MODEL_BEFORE, input_uri=SCORING_PREFIX,
        output_uri="s3://example-ml-predictions/churn/2024-06-01/",
        created=at(6, 2, 3), duration=timedelta(minutes=21),
    )


# --- Fraud, demand and the hand-made model --------------------------------------------------


def add_fraud(account: Account) -> None:
    """Add the fraud pipeline model, its shadow challenger and the endpoint serving both."""
    train = "s3://example-ml-data/fraud/2024-05-08/train/"
    validation = "s3://example-ml-data/fraud/2024-05-08/validation/"
    account.add_processing_job(
        "fraud-prep-2024-05-08",
        image=SKLEARN_IMAGE,
        created=at(5, 8, 2),
        duration=timedelta(minutes=22),
        inputs={"raw": "s3://example-ml-raw/fraud/exports/2024-05-08/"},
        outputs={"train": train, "validation": validation},
        code_uri="s3://example-ml-artifacts/fraud-prep-2024-05-08/input/code/preprocess.py",
    )

    # The SageMaker Python SDK 2.110 and later JSON-encodes hyperparameters, so strings arrive
    # quoted.
    account.add_training_job(
        PREPROCESS_JOB,
        image=SKLEARN_IMAGE,
        created=at(5, 10, 16),
        duration=timedelta(minutes=6),
        hyperparameters={
            "sagemaker_program": '"preprocess.py"',
            "sagemaker_submit_directory":
                f'"s3://example-ml-artifacts/{PREPROCESS_JOB}/source/sourcedir.tar.gz"',
            "sagemaker_container_log_level": "20",
            "sagemaker_job_name": f'"{PREPROCESS_JOB}"',
            "sagemaker_region": f'"{REGION}"',
            "scaler": '"standard"',
            "min_frequency": '"0.01"',
        },
        channels=[s3_input_channel("train", train)],
        output_path="s3://example-ml-models/fraud/training-output",
        tags=FRAUD.tags,
    )
    for name, created, eta, auc in (
        (FRAUD_JOB, at(5, 11, 8), "0.1", 0.944),
        (SHADOW_JOB, at(5, 20, 8), "0.15", 0.951),
    ):
        account.add_training_job(
            name,
            image=XGBOOST_IMAGE,
            created=created,
            duration=timedelta(minutes=35),
            hyperparameters=xgboost_hyperparameters(eta, "7"),
            channels=churn_channels(train, validation),
            output_path="s3://example-ml-models/fraud/training-output",
            metrics={"validation:auc": auc, "train:auc": round(auc + 0.02, 3)},
            tags=FRAUD.tags,
        )

    preprocess_artifact = artifact_of(account, PREPROCESS_JOB)
    account.add_model(
        PIPELINE_MODEL,
        created=at(5, 11, 10),
        containers=[
            {"ContainerHostname": "preprocess", "Image": SKLEARN_IMAGE, "Mode": "SingleModel",
             "ModelDataUrl": preprocess_artifact,
             "Environment": {"SAGEMAKER_PROGRAM": "preprocess.py",
                             "SAGEMAKER_SUBMIT_DIRECTORY": preprocess_artifact,
                             "SAGEMAKER_REGION": REGION}},
            {"ContainerHostname": "xgboost", "Image": XGBOOST_IMAGE, "Mode": "SingleModel",
             "ModelDataUrl": artifact_of(account, FRAUD_JOB), "Environment": {}},
        ],
        tags=FRAUD.tags,
    )
    account.add_model(
        SHADOW_MODEL, created=at(5, 20, 10),
        containers=single_container(XGBOOST_IMAGE, artifact_of(account, SHADOW_JOB)),
        tags=FRAUD.tags,
    )
    account.add_endpoint_config(
        SHADOW_CONFIG,
        variants=[{"VariantName": "pipeline", "ModelName": PIPELINE_MODEL,
                   "InitialInstanceCount": 2, "InstanceType": "ml.m5.xlarge",
                   "InitialVariantWeight": 1.0}],
        shadow_variants=[{"VariantName": SHADOW_VARIANT, "ModelName": SHADOW_MODEL,
                          "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                          "InitialVariantWeight": 1.0}],
        created=at(5, 21, 9),
    )
    account.add_endpoint(
        SHADOW_ENDPOINT, config_name=SHADOW_CONFIG, created=at(5, 21, 9, 5),
        modified=at(5, 21, 9, 16), tags={**FRAUD.tags, "Environment": "production"},
    )


def add_demand(account: Account) -> None:
    """Add the demand regressor and the serverless endpoint serving it."""
    train = "s3://example-ml-data/demand/2024-05-12/train/"
    validation = "s3://example-ml-data/demand/2024-05-12/validation/"
    account.add_processing_job(
        "demand-prep-2024-05-12",
        image=SKLEARN_IMAGE,
        created=at(5, 12, 2),
        duration=timedelta(minutes=12),
        inputs={"raw": "s3://example-ml-raw/demand/exports/2024-05-12/"},
        outputs={"train": train, "validation": validation},
        code_uri="s3://example-ml-artifacts/demand-prep-2024-05-12/input/code/preprocess.py",
    )
    account.add_training_job(
        SERVERLESS_JOB,
        image=LINEAR_LEARNER_IMAGE,
        created=at(5, 15, 10, 30),
        duration=timedelta(minutes=17),
        hyperparameters={
            "predictor_type": "regressor", "feature_dim": "auto",
            "mini_batch_size": "500", "epochs": "20", "learning_rate": "0.05",
        },
        channels=churn_channels(train, validation),
        output_path="s3://example-ml-models/demand/training-output",
        metrics={"validation:rmse": 18.42, "train:objective_loss": 301.7},
        tags=DEMAND.tags,
    )
    account.add_model(
        SERVERLESS_MODEL, created=at(5, 15, 12),
        containers=single_container(LINEAR_LEARNER_IMAGE, artifact_of(account, SERVERLESS_JOB)),
        tags=DEMAND.tags,
    )
    account.add_endpoint_config(
        SERVERLESS_CONFIG,
        variants=[{"VariantName": "AllTraffic", "ModelName": SERVERLESS_MODEL,
                   "ServerlessConfig": {"MemorySizeInMB": SERVERLESS_MEMORY_MB,
                                        "MaxConcurrency": 5}}],
        created=at(5, 15, 12, 5),
    )
    account.add_endpoint(
        SERVERLESS_ENDPOINT, config_name=SERVERLESS_CONFIG, created=at(5, 15, 12, 6),
        modified=at(5, 15, 12, 11), tags={**DEMAND.tags, "Environment": "production"},
    )


def add_manual_model(account: Account) -> None:
    account.add_model(
        MANUAL_MODEL,
        created=at(3, 15, 13),
        containers=single_container(account.ecr_image("churn-rules", "2023.11"), MANUAL_ARTIFACT),
        tags={**CHURN.tags, "Owner": "jonas.berg"},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sample_data.generate",
        description="Write the two recordings of the sample account.",
    )
    parser.add_argument(
        "--out", type=Path, default=SAMPLE_DIR,
        help="directory to write account-before.json and account-after.json to "
             "(default: the sample_data directory)",
    )
    args = parser.parse_args(argv)
    for path in write_recordings(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
