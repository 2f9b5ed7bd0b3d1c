"""Metric direction: whether a higher value of a training metric is better or worse.

A regression report needs to know which way a metric should move. The strongest evidence is a
hyperparameter tuning job's objective (`Maximize` or `Minimize` a named metric), because the
user stated it. Without one, the metric name decides: `validation:rmse` is lower-is-better,
`validation:auc` higher-is-better. A name that matches neither list stays "unknown"; guessing
would turn an improvement into a reported regression.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lineage.graph import LineageGraph, NodeKind, Relation

logger = logging.getLogger(__name__)

# Name parts of metrics that should go down: XGBoost's eval_metric values (rmse, rmsle, mae,
# mape, mphe, logloss, error, merror, mlogloss, *-nloglik, gamma-deviance), the linear learner's
# *_loss metrics, and the usual regression and language-model errors.
LOWER_IS_BETTER = frozenset(
    {
        "loss",
        "error",
        "err",
        "rmse",
        "rmsle",
        "mae",
        "mse",
        "msle",
        "mape",
        "smape",
        "wape",
        "mase",
        "mphe",
        "logloss",
        "mlogloss",
        "merror",
        "nloglik",
        "deviance",
        "entropy",
        "perplexity",
        "wer",
        "cer",
        "fpr",
        "fnr",
        "brier",
        "hinge",
        "huber",
    }
)

# Name parts of metrics that should go up: classification and ranking scores, including XGBoost's
# auc, aucpr, ndcg and map and the linear learner's binary_classification_accuracy, binary_f_beta
# and roc_auc_score.
HIGHER_IS_BETTER = frozenset(
    {
        "auc",
        "aucpr",
        "aupr",
        "accuracy",
        "acc",
        "f1",
        "fbeta",
        "precision",
        "recall",
        "ndcg",
        "map",
        "mrr",
        "r2",
        "bleu",
        "rouge",
        "iou",
        "miou",
        "kappa",
        "mcc",
        "specificity",
        "sensitivity",
        "tpr",
        "tnr",
        "dice",
    }
)

# Separators inside metric names: `validation:binary_classification_accuracy`,
# `train:gamma-nloglik`, `test.f1`, `eval/loss`. The part after `@` is a cut-off (`ndcg@5`,
# `error@0.7`), not a word.
_NAME_PARTS = re.compile(r"[:_\-./\s]+")
# The linear learner's `binary_f_beta` would otherwise split into "f" and "beta".
_F_BETA = re.compile(r"(?<![a-z0-9])f[_-]beta(?![a-z0-9])")


class DirectionSource(str, Enum):
    """The source of a metric direction."""

    TUNING_OBJECTIVE = "tuning objective"
    METRIC_NAME = "metric name"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class MetricDirection:
    """The direction in which a metric should move, and the evidence for it.

    `higher_is_better` is None when neither a tuning objective nor the name decides it.
    """

    higher_is_better: bool | None
    source: DirectionSource
    detail: str = ""

    @property
    def text(self) -> str:
        """Return "higher is better", "lower is better" or "unknown"."""
        if self.higher_is_better is None:
            return "unknown"
        return "higher is better" if self.higher_is_better else "lower is better"

    def to_dict(self) -> dict[str, Any]:
        return {
            "higher_is_better": self.higher_is_better,
            "direction": self.text,
            "source": self.source.value,
            "detail": self.detail,
        }


UNKNOWN_DIRECTION = MetricDirection(None, DirectionSource.UNKNOWN, "")


def direction_from_name(metric_name: str) -> bool | None:
    """Infer from a metric name whether higher is better; None when the name does not say.

    The name is split into words and the last word found in either list decides, because the
    head of a compound name comes last: `auc_loss` is a loss, `error_rate_accuracy` an accuracy.
    """
    decision: bool | None = None
    joined = _F_BETA.sub("fbeta", metric_name.lower())
    for part in _NAME_PARTS.split(joined):
        word = part.split("@", 1)[0]
        if word in LOWER_IS_BETTER or word.endswith("loss") or word.endswith("nloglik"):
            decision = False
        elif word in HIGHER_IS_BETTER:
            decision = True
    return decision


def direction_from_objective(objective_type: str) -> bool | None:
    """Map a tuning objective type (`Maximize` or `Minimize`, any case) to higher_is_better."""
    lowered = objective_type.strip().lower()
    if lowered == "maximize":
        return True
    if lowered == "minimize":
        return False
    return None


def tuning_objective(attrs: dict[str, Any]) -> tuple[str, str] | None:
    """Return (objective type, metric name) from a tuning job node's attributes, or None.

    Accepts the attribute `objective` as the API's `HyperParameterTuningJobObjective` dict
    (`Type`, `MetricName`) or in snake case (`type`, `metric_name`), the flat attributes
    `objective_type` and `objective_metric`, or the raw `HyperParameterTuningJobConfig`.
    """
    objective = attrs.get("objective")
    if not isinstance(objective, dict):
        config = attrs.get("HyperParameterTuningJobConfig")
        if isinstance(config, dict):
            objective = config.get("HyperParameterTuningJobObjective")
    if isinstance(objective, dict):
        objective_type = objective.get("Type") or objective.get("type")
        metric_name = objective.get("MetricName") or objective.get("metric_name")
    else:
        objective_type = attrs.get("objective_type")
        metric_name = attrs.get("objective_metric")

    if isinstance(objective_type, str) and isinstance(metric_name, str) and metric_name:
        return objective_type, metric_name
    return None


def tuning_jobs_of(graph: LineageGraph, training_job: str) -> list[str]:
    """Return the tuning jobs that launched a training job (its child_of edges)."""
    parents: list[str] = []
    for _, target, data in graph.out_edges(training_job):
        if data.get("relation") == Relation.CHILD_OF and target not in parents:
            parents.append(target)

    # A builder that kept only the attribute still names the tuning job.
    named = graph.node(training_job).get("tuning_job")
    if not parents and isinstance(named, str) and named:
        found = graph.find(named, [NodeKind.TUNING_JOB])
        if found is not None:
            parents.append(found)
    return parents


def metric_direction(
    graph: LineageGraph, metric_name: str, training_jobs: list[str] | None = None
) -> MetricDirection:
    """Decide the direction of `metric_name` for metrics reported by these training jobs.

    A tuning job objective naming this metric (exact name, else ignoring case) wins over the
    name lists. The first job in `training_jobs` with such an objective decides, so callers put
    the job they trust most first.
    """
    for job in training_jobs or []:
        if job not in graph:
            continue
        for tuning_job in tuning_jobs_of(graph, job):
            objective = tuning_objective(graph.node(tuning_job))
            if objective is None:
                continue
            objective_type, objective_metric = objective
            if objective_metric.lower() != metric_name.lower():
                continue
            higher = direction_from_objective(objective_type)
            if higher is None:
                logger.debug("tuning job %s has objective type %r", tuning_job, objective_type)
                continue
            label = graph.node(tuning_job).get("label") or tuning_job
            return MetricDirection(
                higher,
                DirectionSource.TUNING_OBJECTIVE,
                f"tuning job {label} {objective_type.lower()}s {objective_metric}",
            )

    higher = direction_from_name(metric_name)
    if higher is None:
        return UNKNOWN_DIRECTION
    return MetricDirection(
        higher, DirectionSource.METRIC_NAME, f"inferred from the name {metric_name}"
    )
