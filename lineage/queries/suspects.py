"""Rank the changes in a lineage diff by how likely they are to explain a quality change.

The order follows where regressions usually come from: the training data first, then the
training code and images, then hyperparameters, then the training instance, then tags. Within a
kind, larger relative changes come first. Metric changes are the symptom, so they stay in the
diff's summary and never become suspects. Serving settings (variant weights, serving instance
type) and training time are left out: they change how a model is served or how long it took,
not what it learned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lineage.queries.diff import (
    ChangeStatus,
    DatasetChange,
    FieldChange,
    HyperparameterChange,
    ImageChange,
    LineageDiff,
    to_plain,
)

logger = logging.getLogger(__name__)


class SuspectKind(str, Enum):
    DATASET = "dataset"
    CODE = "code"
    IMAGE = "image"
    HYPERPARAMETER = "hyperparameter"
    INSTANCE = "instance"
    TAGS = "tags"


# Each kind owns a band of scores [tier, tier + 1), so a kind always ranks above the next and
# the fraction orders suspects within a kind by magnitude. A code location that differs only by
# the job name in its path ranks between hyperparameters and instances. The SDK uploads the
# source archive under each job's own name, so such a difference appears in nearly every diff
# and is no evidence that the code changed.
_TIER = {
    SuspectKind.DATASET: 6.0,
    SuspectKind.CODE: 5.0,
    SuspectKind.IMAGE: 5.0,
    SuspectKind.HYPERPARAMETER: 4.0,
    SuspectKind.INSTANCE: 2.0,
    SuspectKind.TAGS: 1.0,
}
_PER_JOB_CODE_TIER = 3.0

# Magnitudes of changes that have no numeric size.
_WHOLE_CHANGE = 1.0
_IMAGE_MAGNITUDE = {"repository": 1.0, "version": 0.6, "registry": 0.2}
_DATA_TYPE_ONLY = 0.5


@dataclass(frozen=True, slots=True)
class Suspect:
    """One change upstream of the compared models that may explain a quality change."""

    kind: SuspectKind
    name: str
    before: Any
    after: Any
    reason: str
    score: float
    scope: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "name": self.name,
            "before": to_plain(self.before),
            "after": to_plain(self.after),
            "reason": self.reason,
            "score": self.score,
            "scope": self.scope,
        }


def rank_suspects(diff: LineageDiff) -> list[Suspect]:
    """Return every non-equal entry of the diff that could change a model, most likely first.

    Ties keep the diff's order (scope, then name), so the ranking is deterministic.
    """
    suspects: list[Suspect] = []
    suspects.extend(_dataset_suspect(entry) for entry in _changed(diff.datasets))
    suspects.extend(_code_suspect(entry) for entry in _changed(diff.code))
    suspects.extend(_image_suspect(entry) for entry in _changed(diff.images))
    suspects.extend(_hyperparameter_suspect(entry) for entry in _changed(diff.hyperparameters))
    suspects.extend(_instance_suspect(entry) for entry in _changed(diff.instances))
    suspects.extend(_tag_suspect(entry) for entry in _changed(diff.tags))

    # sorted() is stable, so equal scores keep the order of the diff.
    return sorted(suspects, key=lambda suspect: -suspect.score)


def _changed(entries: list[Any]) -> list[Any]:
    return [entry for entry in entries if entry.status is not ChangeStatus.EQUAL]


def _score(tier: float, magnitude: float) -> float:
    # Maps any magnitude >= 0 into [tier, tier + 1): a 10x change still ranks below the next
    # kind up, and 0.5 ranks above 0.1.
    bounded = max(magnitude, 0.0)
    return round(tier + bounded / (1.0 + bounded), 6)


def _where(scope: str) -> str:
    return f" in {scope}" if scope else ""


def _dataset_suspect(entry: DatasetChange) -> Suspect:
    channel = f"Channel {entry.channel!r}{_where(entry.scope)}"
    magnitude = _WHOLE_CHANGE
    if entry.status is ChangeStatus.ADDED:
        reason = f"{channel} was added; it reads {entry.after_uri}."
    elif entry.status is ChangeStatus.REMOVED:
        reason = f"{channel} was removed; it read {entry.before_uri}."
    elif entry.before_uri != entry.after_uri:
        reason = f"{channel} now reads {entry.after_uri} instead of {entry.before_uri}."
    else:
        magnitude = _DATA_TYPE_ONLY
        reason = (
            f"{channel} reads {entry.after_uri} as {entry.after_data_type} "
            f"instead of {entry.before_data_type}."
        )
    return Suspect(
        SuspectKind.DATASET,
        entry.channel,
        entry.before_uri,
        entry.after_uri,
        reason,
        _score(_TIER[SuspectKind.DATASET], magnitude),
        entry.scope,
    )


def _code_suspect(entry: HyperparameterChange) -> Suspect:
    label = "Entry point" if entry.name == "sagemaker_program" else "Source archive"
    subject = f"{label} ({entry.name}){_where(entry.scope)}"
    tier = _TIER[SuspectKind.CODE]
    if entry.status is ChangeStatus.ADDED:
        reason = f"{subject} was added: {entry.after}."
    elif entry.status is ChangeStatus.REMOVED:
        reason = f"{subject} was removed; it was {entry.before}."
    elif entry.only_job_name_differs:
        tier = _PER_JOB_CODE_TIER
        reason = (
            f"{subject} moved from {entry.before} to {entry.after}, a per-job upload path; "
            "its contents may be the same."
        )
    else:
        reason = f"{subject} changed from {entry.before} to {entry.after}."
    return Suspect(
        SuspectKind.CODE,
        entry.name,
        entry.before,
        entry.after,
        reason,
        _score(tier, _WHOLE_CHANGE),
        entry.scope,
    )


def _image_suspect(entry: ImageChange) -> Suspect:
    subject = f"The {entry.name}{_where(entry.scope)}"
    before = entry.before.text if entry.before else None
    after = entry.after.text if entry.after else None
    magnitude = _IMAGE_MAGNITUDE.get(entry.change, _WHOLE_CHANGE)
    if entry.before is None and entry.after is not None:
        reason = f"{subject} was added: {entry.after.text}."
    elif entry.after is None and entry.before is not None:
        reason = f"{subject} was removed; it was {entry.before.text}."
    elif entry.before is not None and entry.after is not None and entry.change == "version":
        reason = (
            f"{subject} {entry.after.repository} changed version from "
            f"{entry.before.version or 'untagged'} to {entry.after.version or 'untagged'}."
        )
    elif entry.before is not None and entry.after is not None and entry.change == "registry":
        reason = (
            f"{subject} {entry.after.display} now comes from {entry.after.registry} "
            f"instead of {entry.before.registry}."
        )
    else:
        reason = f"{subject} changed from {before} to {after}."
    return Suspect(
        SuspectKind.IMAGE,
        entry.name,
        before,
        after,
        reason,
        _score(_TIER[SuspectKind.IMAGE], magnitude),
        entry.scope,
    )


def _hyperparameter_suspect(entry: HyperparameterChange) -> Suspect:
    subject = f"Hyperparameter {entry.name}{_where(entry.scope)}"
    magnitude = _WHOLE_CHANGE
    if entry.status is ChangeStatus.ADDED:
        reason = f"{subject} was added with value {_show(entry.after)}."
    elif entry.status is ChangeStatus.REMOVED:
        reason = f"{subject} was removed; it was {_show(entry.before)}."
    else:
        reason = f"{subject} changed from {_show(entry.before)} to {_show(entry.after)}"
        if entry.relative_change is not None:
            magnitude = abs(entry.relative_change)
            reason += f" ({entry.relative_change:+.0%})"
        reason += "."
    return Suspect(
        SuspectKind.HYPERPARAMETER,
        entry.name,
        entry.before,
        entry.after,
        reason,
        _score(_TIER[SuspectKind.HYPERPARAMETER], magnitude),
        entry.scope,
    )


def _instance_suspect(entry: FieldChange) -> Suspect:
    label = (
        "Training instance count" if entry.name == "instance_count" else "Training instance type"
    )
    subject = f"{label}{_where(entry.scope)}"
    magnitude = _WHOLE_CHANGE
    if entry.relative_change is not None:
        magnitude = abs(entry.relative_change)
    if entry.status is ChangeStatus.CHANGED:
        reason = f"{subject} changed from {entry.before} to {entry.after}."
    else:
        reason = f"{subject} is {_show(entry.after)} after and {_show(entry.before)} before."
    return Suspect(
        SuspectKind.INSTANCE,
        entry.name,
        entry.before,
        entry.after,
        reason,
        _score(_TIER[SuspectKind.INSTANCE], magnitude),
        entry.scope,
    )


def _tag_suspect(entry: FieldChange) -> Suspect:
    subject = f"Tag {entry.name}{_where(entry.scope)}"
    if entry.status is ChangeStatus.ADDED:
        reason = f"{subject} was added with value {entry.after!r}."
    elif entry.status is ChangeStatus.REMOVED:
        reason = f"{subject} was removed; it was {entry.before!r}."
    else:
        reason = f"{subject} changed from {entry.before!r} to {entry.after!r}."
    return Suspect(
        SuspectKind.TAGS,
        entry.name,
        entry.before,
        entry.after,
        reason,
        _score(_TIER[SuspectKind.TAGS], _WHOLE_CHANGE),
        entry.scope,
    )


def _show(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
