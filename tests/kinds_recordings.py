"""Recordings for the tuning-children, pipeline and association tests (one account, us-east-1)."""

from __future__ import annotations

from typing import Any

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
REGION = "us-east-1"
BUCKET = "s3://example-bucket"


def arn(resource: str, name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:sagemaker:{REGION}:{account}:{resource}/{name}"


def search(results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Return a `search` response table with one page of records per Search resource."""
    return {"by_args": [
        {"args": {"Resource": resource},
         "response": {"Results": [{resource: record} for record in records]}}
        for resource, records in results.items()
    ]}


def training_job(name: str, **fields: Any) -> dict[str, Any]:
    return {"TrainingJobName": name, "TrainingJobArn": arn("training-job", name),
            "TrainingJobStatus": "Completed", **fields}


def tuning_job(name: str, **counters: int) -> dict[str, Any]:
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobArn": arn("hyper-parameter-tuning-job", name),
        "HyperParameterTuningJobStatus": "Completed",
        "TrainingJobStatusCounters": counters,
    }


def child_summary(name: str, tuning: str) -> dict[str, Any]:
    return {"TrainingJobName": name, "TrainingJobArn": arn("training-job", name),
            "TuningJobName": tuning, "CreationTime": "2024-05-02T10:00:00Z",
            "TrainingJobStatus": "Completed", "TunedHyperParameters": {"eta": "0.1"}}


def tuning_document() -> dict[str, Any]:
    """Tuning job hpo-a launched 3 jobs and the crawl has 1; hpo-b launched 1, in the crawl."""
    jobs = [
        training_job("hpo-a-001", TuningJobArn=arn("hyper-parameter-tuning-job", "hpo-a")),
        training_job("hpo-b-001", TuningJobArn=arn("hyper-parameter-tuning-job", "hpo-b")),
    ]
    tunings = [tuning_job("hpo-a", Completed=2, Stopped=1), tuning_job("hpo-b", Completed=1)]
    children_op = "list_training_jobs_for_hyper_parameter_tuning_job"
    return {"account": ACCOUNT, "responses": {
        "search": search({"TrainingJob": jobs, "HyperParameterTuningJob": tunings}),
        children_op: {"by_args": [
            {"args": {"HyperParameterTuningJobName": "hpo-a"}, "response": {
                "TrainingJobSummaries": [child_summary("hpo-a-001", "hpo-a"),
                                         child_summary("hpo-a-002", "hpo-a")],
                "NextToken": "children-2"}},
            {"args": {"HyperParameterTuningJobName": "hpo-a", "NextToken": "children-2"},
             "response": {"TrainingJobSummaries": [child_summary("hpo-a-003", "hpo-a")]}},
        ]},
    }}


# --- pipelines ----------------------------------------------------------------------------------

PIPELINE = "churn-pipeline"
EXECUTION_1 = arn("pipeline", f"{PIPELINE}/execution/exec1aaaa")
EXECUTION_2 = arn("pipeline", f"{PIPELINE}/execution/exec2bbbb")
TRAIN_JOB = "pipelines-exec1aaaa-Train-x1"
REPACK_JOB = "pipelines-exec1aaaa-ChurnRepackModel-y2"
TRAINED_MODEL = f"{BUCKET}/churn/{TRAIN_JOB}/output/model.tar.gz"
REPACKED_MODEL = f"{BUCKET}/churn/{REPACK_JOB}/output/model.tar.gz"
PACKAGE = arn("model-package", "churn-models/1")


def step(name: str, member: str, resource_arn: str, **extra: Any) -> dict[str, Any]:
    return {"StepName": name, "StepStatus": "Succeeded",
            "Metadata": {member: {"Arn": resource_arn}}, **extra}


def pipeline_document(repack_channel: str | None = None) -> dict[str, Any]:
    """A pipeline run: train, repack (the SDK's RepackModel step), register a package.

    The repack job's `training` channel is the trained model's parent prefix. The SDK passes
    that prefix when the model location is a string. `repack_channel` overrides it.
    """
    train = training_job(
        TRAIN_JOB,
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"{BUCKET}/churn/features/"}}}],
        ModelArtifacts={"S3ModelArtifacts": TRAINED_MODEL},
    )
    repack = training_job(
        REPACK_JOB,
        HyperParameters={"inference_script": '"inference.py"', "model_archive": '"model.tar.gz"',
                         "sagemaker_program": '"_repack_model.py"'},
        InputDataConfig=[{"ChannelName": "training", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix",
            "S3Uri": repack_channel or TRAINED_MODEL.rsplit("/", 1)[0]}}}],
        ModelArtifacts={"S3ModelArtifacts": REPACKED_MODEL},
    )
    package = {
        "ModelPackageName": "churn-models", "ModelPackageGroupName": "churn-models",
        "ModelPackageVersion": 1, "ModelPackageArn": PACKAGE,
        "InferenceSpecification": {"Containers": [{
            "Image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/sklearn:1.2",
            "ModelDataUrl": REPACKED_MODEL}]},
    }
    first_steps = [
        step("Train", "TrainingJob", arn("training-job", TRAIN_JOB)),
        step("ChurnRepackModel-0", "TrainingJob", arn("training-job", REPACK_JOB)),
    ]
    return {"account": ACCOUNT, "responses": {
        "search": search({"TrainingJob": [train, repack], "ModelPackage": [package]}),
        "list_pipelines": {"pages": [
            {"PipelineSummaries": [{"PipelineName": PIPELINE,
                                    "PipelineArn": arn("pipeline", PIPELINE)}],
             "NextToken": "pipelines-2"},
            {"PipelineSummaries": [{"PipelineName": "idle-pipeline",
                                    "PipelineArn": arn("pipeline", "idle-pipeline")}]},
        ]},
        "list_pipeline_executions": {"by_args": [
            {"args": {"PipelineName": PIPELINE}, "response": {
                "PipelineExecutionSummaries": [{
                    "PipelineExecutionArn": EXECUTION_1, "PipelineExecutionStatus": "Succeeded",
                    "PipelineExecutionDisplayName": "nightly-0501",
                    "StartTime": "2024-05-01T02:00:00Z"}],
                "NextToken": "executions-2"}},
            {"args": {"PipelineName": PIPELINE, "NextToken": "executions-2"}, "response": {
                "PipelineExecutionSummaries": [
                    {"PipelineExecutionArn": EXECUTION_1, "PipelineExecutionStatus": "Succeeded"},
                    {"PipelineExecutionArn": EXECUTION_2, "PipelineExecutionStatus": "Failed",
                     "PipelineExecutionFailureReason": "Step Register failed"}]}},
            {"args": {"PipelineName": "idle-pipeline"},
             "response": {"PipelineExecutionSummaries": []}},
        ]},
        "list_pipeline_execution_steps": {"by_args": [
            {"args": {"PipelineExecutionArn": EXECUTION_1},
             "response": {"PipelineExecutionSteps": first_steps, "NextToken": "steps-2"}},
            {"args": {"PipelineExecutionArn": EXECUTION_1, "NextToken": "steps-2"},
             "response": {"PipelineExecutionSteps": [
                 step("Register", "RegisterModel", PACKAGE),
                 {"StepName": "CheckAUC", "StepStatus": "Succeeded",
                  "Metadata": {"Condition": {"Outcome": "True"}}}]}},
            {"args": {"PipelineExecutionArn": EXECUTION_2}, "response": {
                "PipelineExecutionSteps": [step(
                    "Train", "TrainingJob", arn("training-job", TRAIN_JOB),
                    CacheHitResult={"SourcePipelineExecutionArn": EXECUTION_1})]}},
        ]},
    }}


# --- associations -------------------------------------------------------------------------------

ENDPOINT = arn("endpoint", "churn-ep")
MODEL = arn("model", "churn-model")
DATASET_ARTIFACT = arn("artifact", "dataset-1111")
SHARED_ARTIFACT = arn("artifact", "shared-model-xyz", OTHER_ACCOUNT)
DEPLOY_ACTION = arn("action", "model-deployment-abc")
ENDPOINT_CONTEXT = arn("context", "churn-ep-context")


def association(source: str, destination: str, kind: str, **types: str) -> dict[str, Any]:
    return {"SourceArn": source, "DestinationArn": destination, "AssociationType": kind, **types}


def association_document(query_model: dict[str, Any] | None = None) -> dict[str, Any]:
    """Associations listed over three pages (the second empty) and found again by query_lineage.

    query_lineage from the endpoint returns three edges: a listed association again (with
    the name part of its ARNs in other letter case), a self-association and a new edge. From
    the model it returns `query_model`, a ValidationException unless given.
    """
    model_on_endpoint = association(MODEL, ENDPOINT, "ContributedTo",
                                    SourceType="Model", DestinationType="Endpoint")
    return {"account": ACCOUNT, "responses": {
        "search": search({
            "Endpoint": [{"EndpointName": "churn-ep", "EndpointArn": ENDPOINT,
                          "EndpointStatus": "InService"}],
            "Model": [{"Model": {"ModelName": "churn-model", "ModelArn": MODEL}}],
        }),
        "list_associations": {"by_args": [
            {"args": {}, "response": {"AssociationSummaries": [
                model_on_endpoint,
                association(DATASET_ARTIFACT, arn("training-job", "deleted-train"),
                            "ContributedTo", SourceType="DataSet"),
            ], "NextToken": "associations-2"}},
            {"args": {"NextToken": "associations-2"},
             "response": {"AssociationSummaries": [], "NextToken": "associations-3"}},
            {"args": {"NextToken": "associations-3"}, "response": {"AssociationSummaries": [
                association(DEPLOY_ACTION, SHARED_ARTIFACT, "ContributedTo",
                            SourceType="ModelDeployment", DestinationType="Model"),
                dict(model_on_endpoint),
            ]}},
        ]},
        "query_lineage": {"by_args": [
            {"args": {"StartArns": [ENDPOINT]}, "response": {
                "Vertices": [{"Arn": ENDPOINT, "Type": "Endpoint", "LineageType": "Context"}],
                "Edges": [
                    association(MODEL.replace("churn-model", "CHURN-MODEL"),
                                ENDPOINT.replace("churn-ep", "Churn-EP"), "ContributedTo"),
                    association(ENDPOINT, ENDPOINT, "SameAs"),
                ],
                "NextToken": "lineage-2"}},
            {"args": {"StartArns": [ENDPOINT], "NextToken": "lineage-2"}, "response": {
                "Edges": [association(ENDPOINT_CONTEXT, ENDPOINT, "AssociatedWith")]}},
            {"args": {"StartArns": [MODEL]}, "response": query_model or {"error": {
                "Code": "ValidationException", "Message": "Invalid StartArn for lineage"}}},
        ]},
    }}
