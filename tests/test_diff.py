"""Lineage diff over hand-built graphs: pairing, datasets, images, hyperparameters, metrics."""

from __future__ import annotations

import json

import pytest

from lineage.errors import NodeNotFoundError
from lineage.graph import LineageGraph, NodeKind, Relation
from lineage.identity import artifact_uri
from lineage.queries.diff import (
    ChangeStatus,
    DiffError,
    ImageRef,
    decoded_value,
    diff,
)
from lineage.queries.metrics import DirectionSource
from tests.conftest import load_case
from tests.diff_graphs import (
    SKLEARN,
    XGBOOST_1_5,
    XGBOOST_1_7,
    add_config,
    add_model,
    add_training_job,
    add_tuning_job,
    arn,
    check_case_diff,
    churn_story,
    container,
    model_data,
    variant,
)


def by_name(entries: list, name: str):
    matches = [entry for entry in entries if getattr(entry, "name", None) == name]
    assert len(matches) == 1, f"expected one entry named {name!r}, got {matches}"
    return matches[0]


def two_jobs(before: dict, after: dict) -> LineageGraph:
    graph = LineageGraph()
    add_training_job(graph, "job-before", **before)
    add_training_job(graph, "job-after", **after)
    return graph


# --- pairing -----------------------------------------------------------------------------------


def test_config_diff_pairs_variant_model_and_job() -> None:
    result = diff(churn_story(), "churn-prod-config-v1", "churn-prod-config-v2")

    assert result.kind is NodeKind.ENDPOINT_CONFIG
    pairs = {(pairing.kind, pairing.before, pairing.after) for pairing in result.pairings}
    assert (NodeKind.MODEL, arn("model", "churn-model-a"), arn("model", "churn-model-b")) in pairs
    assert (
        NodeKind.TRAINING_JOB,
        arn("training-job", "churn-train-a"),
        arn("training-job", "churn-train-b"),
    ) in pairs
    assert by_name(result.serving, "model").before == "churn-model-a"
    assert by_name(result.serving, "model").after == "churn-model-b"
    assert by_name(result.serving, "training job").after == "churn-train-b"
    assert all(entry.scope == "variant AllTraffic" for entry in result.datasets)


def test_config_diff_accepts_arns() -> None:
    graph = churn_story()

    result = diff(
        graph,
        arn("endpoint-config", "churn-prod-config-v1").upper(),
        arn("endpoint-config", "churn-prod-config-v2"),
    )

    assert result.before == arn("endpoint-config", "churn-prod-config-v1")


def test_variants_pair_by_name_then_position() -> None:
    graph = LineageGraph()
    for job in ("job-a", "job-b", "job-c", "job-d"):
        add_training_job(graph, job)
        add_model(graph, f"model-{job}", [container(job)])
    add_config(
        graph,
        "config-1",
        [variant("blue", "model-job-a", weight=0.5), variant("green", "model-job-b", weight=0.5)],
    )
    add_config(
        graph,
        "config-2",
        [variant("green", "model-job-c", weight=0.9), variant("canary", "model-job-d", weight=0.1)],
    )

    result = diff(graph, "config-1", "config-2")

    model_rows = {
        entry.scope: (entry.before, entry.after)
        for entry in result.serving
        if entry.name == "model"
    }
    assert model_rows["variant green"] == ("model-job-b", "model-job-c")
    assert model_rows["variant blue -> canary"] == ("model-job-a", "model-job-d")
    weight = next(
        entry
        for entry in result.serving
        if entry.name == "weight" and entry.scope == "variant green"
    )
    assert weight.status is ChangeStatus.CHANGED
    assert weight.relative_change == pytest.approx(0.8)


def test_shadow_variant_paired_separately() -> None:
    graph = LineageGraph()
    for job in ("job-a", "job-b", "job-c"):
        add_training_job(graph, job)
        add_model(graph, f"model-{job}", [container(job)])
    add_config(graph, "config-1", [variant("main", "model-job-a")])
    add_config(
        graph,
        "config-2",
        [variant("main", "model-job-b"), variant("main", "model-job-c", shadow=True)],
    )

    result = diff(graph, "config-1", "config-2")

    scopes = {entry.scope: entry for entry in result.serving if entry.name == "model"}
    assert scopes["variant main"].after == "model-job-b"
    assert scopes["shadow variant main"].status is ChangeStatus.ADDED
    assert scopes["shadow variant main"].after == "model-job-c"


def test_pipeline_containers_pair_by_hostname() -> None:
    graph = LineageGraph()
    for job in ("prep-1", "prep-2", "xgb-1", "xgb-2"):
        add_training_job(graph, job)
    add_model(
        graph,
        "pipeline-1",
        [
            container("prep-1", SKLEARN, hostname="preprocess"),
            container("xgb-1", XGBOOST_1_5, hostname="predict"),
        ],
    )
    # The after model lists its containers in the other order; hostnames still pair them.
    add_model(
        graph,
        "pipeline-2",
        [
            container("xgb-2", XGBOOST_1_7, hostname="predict"),
            container("prep-2", SKLEARN, hostname="preprocess"),
        ],
    )

    result = diff(graph, "pipeline-1", "pipeline-2")

    serving_images = {
        entry.scope: entry for entry in result.images if entry.name == "serving image"
    }
    assert serving_images["container predict"].change == "version"
    assert serving_images["container preprocess"].status is ChangeStatus.EQUAL
    job_pairs = {
        (pairing.scope, pairing.before, pairing.after)
        for pairing in result.pairings
        if pairing.kind is NodeKind.TRAINING_JOB
    }
    assert (
        "container predict",
        arn("training-job", "xgb-1"),
        arn("training-job", "xgb-2"),
    ) in job_pairs
    assert (
        "container preprocess",
        arn("training-job", "prep-1"),
        arn("training-job", "prep-2"),
    ) in job_pairs


def test_containers_without_hostname_pair_by_position() -> None:
    graph = LineageGraph()
    for job in ("a-1", "a-2", "b-1", "b-2"):
        add_training_job(graph, job)
    add_model(graph, "m-1", [container("a-1"), container("b-1")])
    add_model(graph, "m-2", [container("a-2"), container("b-2")])

    result = diff(graph, "m-1", "m-2")

    job_pairs = {
        pairing.scope: (pairing.before, pairing.after)
        for pairing in result.pairings
        if pairing.kind is NodeKind.TRAINING_JOB
    }
    assert job_pairs["container 1"] == (arn("training-job", "a-1"), arn("training-job", "a-2"))
    assert job_pairs["container 2"] == (arn("training-job", "b-1"), arn("training-job", "b-2"))


def test_model_without_training_job_adds_note() -> None:
    graph = LineageGraph()
    add_training_job(graph, "trained")
    add_model(graph, "trained-model", [container("trained")])
    uploaded = "s3://example-ml-models/manual/model.tar.gz"
    graph.add_node(
        arn("model", "uploaded-model"),
        NodeKind.MODEL,
        "uploaded-model",
        containers=[{"hostname": None, "image": XGBOOST_1_7, "model_data_url": uploaded}],
    )
    graph.add_node(artifact_uri(uploaded), NodeKind.ARTIFACT, "model.tar.gz")
    graph.add_edge(arn("model", "uploaded-model"), artifact_uri(uploaded), Relation.LOADS)

    result = diff(graph, "trained-model", "uploaded-model")

    assert by_name(result.serving, "training job").status is ChangeStatus.REMOVED
    assert len(result.notes) == 1
    assert "after model data" in result.notes[0]
    assert result.hyperparameters == []
    assert result.datasets == []


def test_model_from_package_reaches_training_job() -> None:
    graph = LineageGraph()
    add_training_job(graph, "job-1", hyperparameters={"eta": "0.1"})
    add_training_job(graph, "job-2", hyperparameters={"eta": "0.2"})
    for version, job in (("1", "job-1"), ("2", "job-2")):
        package = arn("model-package", f"churn/{version}")
        graph.add_node(package, NodeKind.MODEL_PACKAGE, f"churn/{version}")
        graph.add_edge(package, artifact_uri(model_data(job)), Relation.LOADS)
        model = arn("model", f"from-package-{version}")
        graph.add_node(
            model,
            NodeKind.MODEL,
            f"from-package-{version}",
            containers=[{"hostname": None, "image": None, "model_package": package}],
        )
        graph.add_edge(model, package, Relation.FROM_PACKAGE)

    result = diff(graph, "from-package-1", "from-package-2")

    eta = by_name(result.hyperparameters, "eta")
    assert (eta.before, eta.after) == (0.1, 0.2)
    assert by_name(result.serving, "model package").status is ChangeStatus.CHANGED


# --- datasets --------------------------------------------------------------------------------


def test_dataset_prefix_change_shows_both_uris() -> None:
    result = diff(churn_story(), "churn-train-a", "churn-train-b")

    train = next(entry for entry in result.datasets if entry.channel == "train")
    assert train.status is ChangeStatus.CHANGED
    assert train.before_uri == "s3://example-ml-data/churn/2024-05-01/train/"
    assert train.after_uri == "s3://example-ml-data/churn/2024-06-01/train/"
    assert train.detail == "location changed"
    validation = next(entry for entry in result.datasets if entry.channel == "validation")
    assert validation.status is ChangeStatus.EQUAL


def test_dataset_channels_added_and_removed() -> None:
    graph = two_jobs(
        {"channels": {"train": "s3://b/train/", "test": "s3://b/test/"}},
        {"channels": {"train": "s3://b/train/", "validation": "s3://b/validation/"}},
    )

    result = diff(graph, "job-before", "job-after")

    status = {entry.channel: entry.status for entry in result.datasets}
    assert status == {
        "train": ChangeStatus.EQUAL,
        "test": ChangeStatus.REMOVED,
        "validation": ChangeStatus.ADDED,
    }
    added = next(entry for entry in result.datasets if entry.channel == "validation")
    assert added.before_uri is None
    assert added.after_uri == "s3://b/validation/"


def test_dataset_data_type_change() -> None:
    graph = LineageGraph()
    add_training_job(graph, "job-before", channels={"train": "s3://b/train/"})
    add_training_job(
        graph, "job-after", channels={"train": "s3://b/train.manifest"}, data_type="ManifestFile"
    )

    result = diff(graph, "job-before", "job-after")

    train = result.datasets[0]
    assert train.status is ChangeStatus.CHANGED
    assert train.detail == "location changed and data type changed"
    assert (train.before_data_type, train.after_data_type) == ("S3Prefix", "ManifestFile")


# --- images ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "registry", "repository", "version"),
    [
        (XGBOOST_1_7, "683313688378.dkr.ecr.us-east-1.amazonaws.com", "sagemaker-xgboost", "1.7-1"),
        (
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/team/churn@sha256:abc123",
            "111122223333.dkr.ecr.us-east-1.amazonaws.com",
            "team/churn",
            "sha256:abc123",
        ),
        ("localhost:5000/trainer:dev", "localhost:5000", "trainer", "dev"),
        ("python:3.11", "", "python", "3.11"),
        ("library/python", "", "library/python", ""),
        (
            "arn:aws:sagemaker:us-east-1:865070037744:algorithm/scikit-decision-trees",
            "",
            "scikit-decision-trees",
            "",
        ),
        ("my-algorithm", "", "my-algorithm", ""),
    ],
)
def test_image_ref_parse(text: str, registry: str, repository: str, version: str) -> None:
    image = ImageRef.parse(text)

    assert image.registry == registry
    assert image.repository == repository
    assert image.version == version


def test_image_version_change_reads_as_version() -> None:
    graph = two_jobs({"image": XGBOOST_1_5}, {"image": XGBOOST_1_7})

    result = diff(graph, "job-before", "job-after")

    image = by_name(result.images, "training image")
    assert image.status is ChangeStatus.CHANGED
    assert image.change == "version"
    assert (image.before.version, image.after.version) == ("1.5-1", "1.7-1")
    assert image.after.repository == "sagemaker-xgboost"


@pytest.mark.parametrize(
    ("before", "after", "change"),
    [
        (XGBOOST_1_7, SKLEARN, "repository"),
        (XGBOOST_1_7, XGBOOST_1_7.replace("683313688378", "246618743249"), "registry"),
        (XGBOOST_1_7, XGBOOST_1_7, ""),
    ],
)
def test_image_change_kinds(before: str, after: str, change: str) -> None:
    graph = two_jobs({"image": before}, {"image": after})

    image = by_name(diff(graph, "job-before", "job-after").images, "training image")

    assert image.change == change
    assert (image.status is ChangeStatus.EQUAL) == (change == "")


# --- hyperparameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("0.1", 0.1),
        ('"0.1"', 0.1),
        ("6", 6),
        ('"6"', 6),
        ("1e-3", 0.001),
        ("binary:logistic", "binary:logistic"),
        ('"binary:logistic"', "binary:logistic"),
        ("[64, 128]", [64, 128]),
        ('"[64, 128]"', [64, 128]),
        ('{"a": 1}', {"a": 1}),
        ("[not json", "[not json"),
        ("true", "true"),
    ],
)
def test_decoded_value(raw: str, value: object) -> None:
    assert decoded_value(raw) == value


def test_hyperparameters_compare_decoded_values() -> None:
    graph = two_jobs(
        {"hyperparameters": {"eta": "0.10", "layers": "[64,128]", "depth": "4", "gone": "x"}},
        {"hyperparameters": {"eta": '"0.1"', "layers": '"[64, 128]"', "depth": '"5"', "new": "y"}},
    )

    result = diff(graph, "job-before", "job-after")

    status = {entry.name: entry.status for entry in result.hyperparameters}
    assert status == {
        "eta": ChangeStatus.EQUAL,
        "layers": ChangeStatus.EQUAL,
        "depth": ChangeStatus.CHANGED,
        "gone": ChangeStatus.REMOVED,
        "new": ChangeStatus.ADDED,
    }
    depth = by_name(result.hyperparameters, "depth")
    assert depth.relative_change == pytest.approx(0.25)
    assert (depth.raw_before, depth.raw_after) == ("4", '"5"')
    assert by_name(result.hyperparameters, "gone").after is None


def test_hyperparameter_from_zero_has_no_relative_change() -> None:
    graph = two_jobs({"hyperparameters": {"alpha": "0"}}, {"hyperparameters": {"alpha": "1"}})

    alpha = by_name(diff(graph, "job-before", "job-after").hyperparameters, "alpha")

    assert alpha.status is ChangeStatus.CHANGED
    assert alpha.relative_change is None


def test_framework_hyperparameters_hidden_by_default() -> None:
    parameters = {"eta": "0.1", "sagemaker_region": '"us-east-1"', "sagemaker_program": '"a.py"'}
    changed = dict(parameters, sagemaker_region='"eu-west-1"', sagemaker_program='"b.py"')
    graph = two_jobs({"hyperparameters": parameters}, {"hyperparameters": changed})

    hidden = diff(graph, "job-before", "job-after")
    with_framework = diff(graph, "job-before", "job-after", include_framework=True)

    assert [entry.name for entry in hidden.hyperparameters] == ["eta"]
    assert hidden.hidden_hyperparameters == ["sagemaker_region"]
    assert {entry.name for entry in with_framework.hyperparameters} == {"eta", "sagemaker_region"}
    assert with_framework.hidden_hyperparameters == []
    # The entry point is code, compared either way.
    for result in (hidden, with_framework):
        program = by_name(result.code, "sagemaker_program")
        assert (program.before, program.after) == ("a.py", "b.py")
        assert program.only_job_name_differs is False


def test_source_archive_under_job_name_is_flagged() -> None:
    graph = two_jobs(
        {
            "hyperparameters": {
                "sagemaker_submit_directory": '"s3://b/job-before/source/sourcedir.tar.gz"'
            }
        },
        {
            "hyperparameters": {
                "sagemaker_submit_directory": '"s3://b/job-after/source/sourcedir.tar.gz"'
            }
        },
    )

    code = by_name(diff(graph, "job-before", "job-after").code, "sagemaker_submit_directory")

    assert code.status is ChangeStatus.CHANGED
    assert code.only_job_name_differs is True


def test_sdk_quoted_hyperparameters_decoded() -> None:
    # Jobs launched with and without the SDK: the same settings arrive quoted and unquoted.
    case = load_case("C21")
    graph = LineageGraph()
    for entry in case["responses"]["describe_training_job"]["by_args"]:
        record = entry["response"]
        name = record["TrainingJobName"]
        graph.add_node(
            arn("training-job", name),
            NodeKind.TRAINING_JOB,
            name,
            hyperparameters=record["HyperParameters"],
        )
    query = next(query for query in case["query_cases"] if "diff" in query)

    result = diff(graph, *query["diff"])

    rows = check_case_diff(result, query)
    assert not any(name.startswith("sagemaker_") for name in rows)
    assert rows["objective"].raw_after == '"binary:logistic"'


# --- instance, time, tags --------------------------------------------------------------------


def test_instance_time_and_tags() -> None:
    graph = two_jobs(
        {
            "instance_type": "ml.m5.xlarge",
            "instance_count": 2,
            "duration_seconds": 600.0,
            "tags": {"Project": "churn", "Owner": "ana"},
        },
        {
            "instance_type": "ml.c5.2xlarge",
            "instance_count": 4,
            "duration_seconds": 300.0,
            "tags": {"Project": "churn", "Stage": "prod"},
        },
    )

    result = diff(graph, "job-before", "job-after")

    instance_type = by_name(result.instances, "instance_type")
    assert (instance_type.before, instance_type.after) == ("ml.m5.xlarge", "ml.c5.2xlarge")
    assert by_name(result.instances, "instance_count").relative_change == pytest.approx(1.0)
    assert by_name(result.training_time, "duration_seconds").relative_change == pytest.approx(-0.5)
    tags = {entry.name: entry.status for entry in result.tags}
    assert tags == {
        "Owner": ChangeStatus.REMOVED,
        "Project": ChangeStatus.EQUAL,
        "Stage": ChangeStatus.ADDED,
    }


def test_tags_in_api_list_shape() -> None:
    graph = two_jobs({}, {})
    graph.node(arn("training-job", "job-before"))["tags"] = [{"Key": "Owner", "Value": "ana"}]
    graph.node(arn("training-job", "job-after"))["tags"] = [{"Key": "Owner", "Value": "ben"}]

    owner = by_name(diff(graph, "job-before", "job-after").tags, "Owner")

    assert (owner.before, owner.after) == ("ana", "ben")


# --- metrics ---------------------------------------------------------------------------------


def test_metric_regression_from_tuning_objective() -> None:
    result = diff(churn_story(), "churn-prod-config-v1", "churn-prod-config-v2")

    auc = by_name(result.metrics, "validation:auc")
    assert (auc.before, auc.after) == (0.91, 0.84)
    assert auc.delta == pytest.approx(-0.07)
    assert auc.direction.higher_is_better is True
    assert auc.direction.source is DirectionSource.TUNING_OBJECTIVE
    assert auc.regression is True
    assert result.regressions == [auc]
    assert "validation:auc" in result.summary()[0]
    assert "regression" in result.summary()[0]


def test_lower_is_better_metric_rising_is_regression() -> None:
    graph = two_jobs(
        {"metrics": {"validation:rmse": 1.0, "validation:mae": 0.5}},
        {"metrics": {"validation:rmse": 1.2, "validation:mae": 0.4}},
    )

    result = diff(graph, "job-before", "job-after")

    rmse = by_name(result.metrics, "validation:rmse")
    mae = by_name(result.metrics, "validation:mae")
    assert rmse.direction.source is DirectionSource.METRIC_NAME
    assert rmse.regression is True
    assert mae.regression is False
    assert "improvement" in mae.sentence()


def test_metric_missing_on_one_side_is_never_zero() -> None:
    graph = two_jobs(
        {"metrics": {"validation:auc": 0.9}},
        {"metrics": {"validation:accuracy": 0.8}},
    )

    result = diff(graph, "job-before", "job-after")

    auc = by_name(result.metrics, "validation:auc")
    accuracy = by_name(result.metrics, "validation:accuracy")
    assert auc.status is ChangeStatus.REMOVED
    assert auc.after is None
    assert auc.delta is None
    assert auc.regression is None
    assert auc.to_dict()["after_text"] == "missing"
    assert accuracy.status is ChangeStatus.ADDED
    assert accuracy.before is None
    assert accuracy.to_dict()["before_text"] == "missing"
    assert "only before" in auc.sentence()


def test_unknown_metric_direction_is_not_a_regression() -> None:
    graph = two_jobs({"metrics": {"train:progress": 100.0}}, {"metrics": {"train:progress": 50.0}})

    progress = by_name(diff(graph, "job-before", "job-after").metrics, "train:progress")

    assert progress.status is ChangeStatus.CHANGED
    assert progress.direction.text == "unknown"
    assert progress.regression is None


def test_before_job_objective_fallback() -> None:
    graph = LineageGraph()
    tuning = add_tuning_job(graph, "tune", "Minimize", "validation:custom")
    add_training_job(graph, "job-before", metrics={"validation:custom": 1.0}, tuning_job=tuning)
    add_training_job(graph, "job-after", metrics={"validation:custom": 2.0})

    custom = by_name(diff(graph, "job-before", "job-after").metrics, "validation:custom")

    assert custom.direction.source is DirectionSource.TUNING_OBJECTIVE
    assert custom.regression is True


# --- result shape and errors -----------------------------------------------------------------


def test_identical_lineage_has_no_changes() -> None:
    graph = churn_story()

    result = diff(graph, "churn-prod-config-v1", "churn-prod-config-v1")

    assert not result.has_changes()
    assert result.summary() == []
    changed_only = result.to_dict(changed_only=True)
    assert changed_only["datasets"] == []
    assert changed_only["hyperparameters"] == []


def test_to_dict_is_json_and_filters_equal_rows() -> None:
    result = diff(churn_story(), "churn-prod-config-v1", "churn-prod-config-v2")

    full = result.to_dict()
    changed = result.to_dict(changed_only=True)

    json.dumps(full)
    assert full["kind"] == "endpoint_config"
    assert result.datasets[0].to_dict()["status"] in ("changed", "equal")
    assert result.pairings[0].to_dict()["kind"] == "endpoint_config"
    assert {row["channel"] for row in full["datasets"]} == {"train", "validation"}
    assert [row["channel"] for row in changed["datasets"]] == ["train"]
    assert [row["name"] for row in changed["hyperparameters"]] == ["eta"]
    assert all(row["status"] != "equal" for row in changed["metrics"])
    assert changed["metrics"][0]["direction"]["source"] in ("tuning objective", "metric name")


def test_diff_of_different_kinds_raises() -> None:
    graph = churn_story()

    with pytest.raises(DiffError, match="churn-model-a.*model.*churn-prod-config-v2"):
        diff(graph, "churn-model-a", "churn-prod-config-v2")


def test_diff_of_unsupported_kind_raises() -> None:
    graph = churn_story()
    dataset = "s3://example-ml-data/churn/2024-05-01/train/"

    with pytest.raises(DiffError, match="dataset; pass one of: endpoint_config, model"):
        diff(graph, dataset, "s3://example-ml-data/churn/2024-06-01/train/")


def test_diff_of_endpoint_names_its_config() -> None:
    graph = churn_story()
    graph.add_node(
        arn("endpoint", "churn-prod"),
        NodeKind.ENDPOINT,
        "churn-prod",
        config_name="churn-prod-config-v2",
    )
    graph.add_edge(
        arn("endpoint", "churn-prod"),
        arn("endpoint-config", "churn-prod-config-v2"),
        Relation.USES_CONFIG,
    )

    with pytest.raises(DiffError, match="endpoint.*current config is 'churn-prod-config-v2'"):
        diff(graph, "churn-prod", "churn-prod-config-v1")


def test_diff_of_unknown_name_raises() -> None:
    with pytest.raises(NodeNotFoundError, match="churn-model-z"):
        diff(churn_story(), "churn-model-z", "churn-model-b")
