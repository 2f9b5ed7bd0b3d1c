"""regression() on the sample account's two snapshots and on a store written in a test."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest

from lineage.crawl.result import CrawlResult, RecordKind
from lineage.errors import LineageError, NodeNotFoundError
from lineage.queries.regression import (
    RegressionError,
    RegressionReport,
    diff_rows,
    regression,
    resolve_time,
    suspect_rows,
    timeline_rows,
)
from lineage.queries.suspects import SuspectKind
from lineage.source import load
from lineage.store import open_store
from sample_data import generate as sample


@pytest.fixture(scope="module")
def sample_store():
    return load().store


@pytest.fixture(scope="module")
def story(sample_store) -> RegressionReport:
    return regression(sample_store, sample.ENDPOINT)


def test_story_compares_both_configs(story) -> None:
    assert story.before is not None
    assert story.before.config_name == sample.CONFIG_BEFORE
    assert story.after.config_name == sample.CONFIG_AFTER
    assert [point.config_name for point in story.timeline] == [
        sample.CONFIG_BEFORE,
        sample.CONFIG_AFTER,
    ]


def test_story_first_suspect_is_dataset(story) -> None:
    first = story.suspects[0]

    assert first.kind is SuspectKind.DATASET
    assert first.name == "train"
    assert first.before == sample.DATASET_BEFORE
    assert first.after == sample.DATASET_AFTER


def test_story_lists_eta_change(story) -> None:
    eta = [suspect for suspect in story.suspects if suspect.name == "eta"]

    assert len(eta) == 1
    assert eta[0].kind is SuspectKind.HYPERPARAMETER
    assert (eta[0].before, eta[0].after) == (float(sample.ETA_BEFORE), float(sample.ETA_AFTER))


def test_story_trend_shows_auc_drop(story) -> None:
    trend = story.trend

    assert trend is not None
    assert trend.metric == "validation:auc"
    assert trend.direction.text == "higher is better"
    champion = [point for point in trend.points if point.group == sample.MAIN_VARIANT]
    assert [point.value for point in champion] == [sample.AUC_BEFORE, sample.AUC_AFTER]
    assert champion[-1].regression is True


def test_story_diff_marks_auc_regression(story) -> None:
    rows = diff_rows(story.diff)
    auc = [row for row in rows if row["name"] == "validation:auc"]

    assert len(auc) == 1
    assert auc[0]["detail"].startswith("regression (higher is better)")


def test_story_dates_switch_by_cloudtrail_event(story) -> None:
    # The sample's UpdateEndpoint event dates the switch, not the crawl that first saw it.
    assert story.after.since == sample.ENDPOINT_MODIFIED_AFTER
    assert story.after.start == sample.ENDPOINT_MODIFIED_AFTER
    assert story.after.first_snapshot == 2


def test_story_changed_nodes_cover_both_jobs(story) -> None:
    changed = set(story.changed)

    assert any(node.endswith(f"training-job/{sample.JOB_BEFORE}") for node in changed)
    assert any(node.endswith(f"training-job/{sample.JOB_AFTER}") for node in changed)
    assert sample.DATASET_AFTER in changed


def test_story_to_dict_has_contract_keys(story) -> None:
    data = json.loads(json.dumps(story.to_dict()))

    for key in ("timeline", "diff", "suspects", "trend", "coverage"):
        assert key in data
    assert [suspect["kind"] for suspect in data["suspects"]][0] == "dataset"
    for suspect in data["suspects"]:
        assert set(suspect) >= {"kind", "name", "before", "after", "reason"}
    assert data["coverage"]["snapshot_ids"] == [1, 2]
    assert data["coverage"]["crawled_at"] == [
        sample.BEFORE_RECORDED_AT.isoformat(),
        sample.AFTER_RECORDED_AT.isoformat(),
    ]


def test_timeline_rows_mark_compared(story) -> None:
    rows = timeline_rows(story.timeline, story.before, story.after)

    assert [row["compared"] for row in rows] == ["before", "after"]
    assert rows[-1]["live until"] == "now"


def test_suspect_rows_rank_from_one(story) -> None:
    rows = suspect_rows(story)

    assert [row["rank"] for row in rows] == list(range(1, len(rows) + 1))


def test_single_deployment_shows_current_lineage(sample_store) -> None:
    report = regression(sample_store, sample.STAGING_ENDPOINT)

    assert report.before is None
    assert report.diff is None
    assert report.suspects == []
    assert "only one recorded deployment" in report.notes[0]
    assert report.after_config in report.lineage["after"]


def test_to_snapshot_one_has_nothing_earlier(sample_store) -> None:
    report = regression(sample_store, sample.ENDPOINT, to="1")

    assert report.after.config_name == sample.CONFIG_BEFORE
    assert report.before is None
    assert report.coverage["snapshot_ids"] == [1]


def test_unknown_endpoint_suggests_close_name(sample_store) -> None:
    with pytest.raises(NodeNotFoundError) as raised:
        regression(sample_store, "churn-prd")

    assert "churn-prod" in raised.value.suggestions


def test_invalid_time_is_lineage_error(sample_store) -> None:
    with pytest.raises(LineageError, match="yesterday"):
        regression(sample_store, sample.ENDPOINT, to="yesterday")


def test_unknown_snapshot_id_lists_known(sample_store) -> None:
    with pytest.raises(RegressionError, match="snapshot ids are 1, 2"):
        resolve_time("7", sample_store.snapshots())


def test_time_before_first_deployment_raises(sample_store) -> None:
    early = sample.ENDPOINT_MODIFIED_BEFORE - timedelta(days=1)

    with pytest.raises(RegressionError, match="before the first recorded deployment"):
        regression(sample_store, sample.ENDPOINT, to=early)


def test_from_picks_older_deployment(tmp_path) -> None:
    # Three crawls: v1, then v2, then v1 again (a rollback). --from at the first crawl compares
    # the rollback with the first deployment, so nothing upstream differs.
    before = load(recording=_sample_file(sample.BEFORE_FILE)).result
    after = load(recording=_sample_file(sample.AFTER_FILE)).result
    rollback_at = sample.AFTER_RECORDED_AT + timedelta(days=1)
    rollback = _rolled_back(after, sample.CONFIG_BEFORE, rollback_at)
    store = open_store(tmp_path / "lineage.sqlite", create=True)
    crawls = (
        (before, sample.BEFORE_RECORDED_AT),
        (after, sample.AFTER_RECORDED_AT),
        (rollback, rollback_at),
    )
    for result, taken_at in crawls:
        store.save(result, source="test", taken_at=taken_at)

    default = regression(store, sample.ENDPOINT)
    chosen = regression(store, sample.ENDPOINT, from_="1")

    assert [point.config_name for point in default.timeline] == [
        sample.CONFIG_BEFORE,
        sample.CONFIG_AFTER,
        sample.CONFIG_BEFORE,
    ]
    assert default.before is not None
    assert default.before.config_name == sample.CONFIG_AFTER
    assert default.suspects[0].after == sample.DATASET_BEFORE
    assert chosen.diff is None
    assert "both points fall in deployments of config" in chosen.notes[0]


def _sample_file(name: str):
    from tests.conftest import REPO_ROOT

    return REPO_ROOT / "sample_data" / name


def _rolled_back(result: CrawlResult, config: str, taken_at) -> CrawlResult:
    rolled = CrawlResult(report=copy.deepcopy(result.report))
    for kind, records in result.records.items():
        for record in records:
            record = copy.deepcopy(record)
            if kind == RecordKind.ENDPOINT and record.get("EndpointName") == sample.ENDPOINT:
                record["EndpointConfigName"] = config
                record["LastModifiedTime"] = taken_at - timedelta(hours=2)
            rolled.add(kind, record)
    return rolled
