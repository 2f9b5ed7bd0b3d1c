"""The read-only IAM policy in docs/iam-policy.json covers every call a crawl makes, and no more.

Crawls over the sample recordings, the tuning, pipeline and association recordings, the failure
cases (seeded crawls) and a recording where Search is denied (the list and describe fallback,
with tags) record each operation they call. Each must be a Describe, List, Search, Get or Query
action of the policy.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from lineage.crawl.crawler import crawl
from lineage.crawl.result import RecordKind
from lineage.crawl.specs import SPECS
from lineage.recording import RecordingClient, load_recording
from lineage.source import recording_seeds, sample_recordings
from tests import kinds_recordings
from tests.conftest import CASES_DIR, REPO_ROOT

POLICY = REPO_ROOT / "docs" / "iam-policy.json"
READ_ONLY_VERB = re.compile(r"^(Describe|List|Search|Get|Query)")
ACCOUNT = "111122223333"
REGION = "us-east-1"


def _no_wait(_seconds: float) -> None:
    return None


def _action(operation: str) -> str:
    return "sagemaker:" + "".join(part.capitalize() for part in operation.split("_"))


def _policy_actions() -> dict[str, set[str]]:
    document = json.loads(POLICY.read_text(encoding="utf-8"))
    actions: dict[str, set[str]] = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            service, _, name = action.partition(":")
            actions.setdefault(service, set()).add(name)
    return actions


def _operations(client: RecordingClient) -> set[str]:
    return {operation for operation, _ in client.calls}


def _fallback_document() -> dict[str, Any]:
    """Return a recording in which Search is denied and every kind is listed and described."""
    responses: dict[str, Any] = {
        "search": {"error": {"Code": "AccessDeniedException", "Message": "search denied"}},
        "list_tags": {"Tags": [{"Key": "Project", "Value": "fallback"}]},
    }
    for spec in SPECS.values():
        if spec.list_op is None:
            continue
        name = f"fallback-{spec.arn_type}"
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{spec.arn_type}/{name}"
        summary = {spec.name_field: name, spec.arn_field: arn}
        responses[spec.list_op] = {spec.list_key: [summary]}
        if spec.describe_op:
            responses[spec.describe_op] = dict(summary)
    return {"account": ACCOUNT, "region": REGION, "responses": responses}


def _full_crawl_operations(document: dict[str, Any], **options: Any) -> set[str]:
    client = RecordingClient(document)
    crawl(client, sleep=_no_wait, workers=1, **options)
    return _operations(client)


@pytest.fixture(scope="module")
def called() -> set[str]:
    """Return every operation the crawls of this module call."""
    operations: set[str] = set()
    for path in sample_recordings():
        operations |= _full_crawl_operations(load_recording(path), fetch_tags=True)

    every_kind = set(RecordKind)
    for document in (kinds_recordings.tuning_document(), kinds_recordings.pipeline_document(),
                     kinds_recordings.association_document()):
        operations |= _full_crawl_operations(document, kinds=every_kind)

    operations |= _full_crawl_operations(_fallback_document(), fetch_tags=True)

    for path in sorted(CASES_DIR.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document.get("responses"), dict):
            continue  # a case that is not a recording, such as a bare record
        client = RecordingClient(document)
        seeds = recording_seeds(document) if "search" not in document["responses"] else None
        crawl(client, seeds=seeds, sleep=_no_wait, workers=1)
        operations |= _operations(client)
    return operations


def test_policy_is_valid_iam_json() -> None:
    document = json.loads(POLICY.read_text(encoding="utf-8"))

    assert document["Version"] == "2012-10-17"
    assert all("Sid" in statement for statement in document["Statement"])
    assert {"sagemaker", "cloudtrail", "sts"} == set(_policy_actions())


def test_policy_actions_are_read_only() -> None:
    actions = _policy_actions()

    for name in actions["sagemaker"]:
        assert READ_ONLY_VERB.match(name), f"sagemaker:{name} is not a read-only action"
    assert actions["cloudtrail"] == {"LookupEvents"}
    assert actions["sts"] == {"AssumeRole"}


def test_crawls_reach_the_fallback_path(called: set[str]) -> None:
    assert "search" in called
    assert "list_training_jobs" in called
    assert "describe_training_job" in called
    assert "list_tags" in called
    assert "list_associations" in called
    assert "list_pipeline_executions" in called


def test_policy_covers_every_called_operation(called: set[str]) -> None:
    allowed = _policy_actions()["sagemaker"]

    missing = sorted(_action(operation) for operation in called
                     if _action(operation).partition(":")[2] not in allowed)
    assert missing == []


def test_called_operations_are_read_only(called: set[str]) -> None:
    for operation in called:
        assert READ_ONLY_VERB.match(_action(operation).partition(":")[2]), operation


def test_policy_grants_nothing_unused(called: set[str]) -> None:
    used = {_action(operation).partition(":")[2] for operation in called}

    assert sorted(_policy_actions()["sagemaker"] - used) == []


def test_cloudtrail_and_sts_calls_are_in_policy() -> None:
    # The deployment timeline reads CloudTrail and --role-arn assumes a role. Their clients are
    # made outside the crawler, so the source is checked for the methods it calls.
    sources = {
        "cloudtrail": Path(REPO_ROOT / "lineage" / "crawl" / "cloudtrail.py"),
        "sts": Path(REPO_ROOT / "lineage" / "clients.py"),
    }
    patterns = {
        "cloudtrail": re.compile(r"client\.(\w+)\("),
        "sts": re.compile(r"sts\.(\w+)\("),
    }
    actions = _policy_actions()

    for service, path in sources.items():
        methods = set(patterns[service].findall(path.read_text(encoding="utf-8")))
        assert methods, f"no {service} call found in {path.name}"
        for method in methods:
            name = "".join(part.capitalize() for part in method.split("_"))
            assert name in actions[service], f"{service}:{name} is missing from the policy"
