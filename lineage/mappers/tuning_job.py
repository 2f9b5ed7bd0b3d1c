"""Map a hyperparameter tuning job to its node (its training jobs link to it with child_of)."""

from __future__ import annotations

from typing import Any

from lineage.graph import NodeKind
from lineage.mappers.base import Fragment, as_dict, identify, text

ARN_TYPE = "hyper-parameter-tuning-job"


def map_tuning_job(record: dict[str, Any]) -> Fragment:
    """Return the fragment of one HyperParameterTuningJob record (a node and no edges).

    The objective (metric name and Minimize/Maximize) is kept because it shows which direction
    of a metric is better when runs are compared.
    """
    me = identify(record, kind_label="tuning job", arn_type=ARN_TYPE,
                  name_key="HyperParameterTuningJobName",
                  arn_key_name="HyperParameterTuningJobArn")
    fragment = Fragment()
    config = as_dict(record.get("HyperParameterTuningJobConfig"))
    objective = as_dict(config.get("HyperParameterTuningJobObjective"))
    best = as_dict(record.get("BestTrainingJob"))

    fragment.node(
        me.id, NodeKind.TUNING_JOB, me.name,
        name=me.name, arn=me.arn, account=me.account, region=me.region,
        status=text(record, "HyperParameterTuningJobStatus"),
        failure_reason=text(record, "FailureReason"),
        strategy=text(config, "Strategy"),
        objective_metric=text(objective, "MetricName"),
        objective_type=text(objective, "Type"),
        best_training_job=text(best, "TrainingJobName"),
        training_job_counts=as_dict(record.get("TrainingJobStatusCounters")) or None,
        created=record.get("CreationTime"),
        ended=record.get("HyperParameterTuningEndTime"),
    )
    return fragment
