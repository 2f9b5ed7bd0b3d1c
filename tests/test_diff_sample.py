"""Lineage diff on the sample account: churn-prod moved to a config with a worse model."""

from __future__ import annotations

import pytest

from lineage.build import build_graph
from lineage.crawl.result import CrawlResult
from lineage.graph import LineageGraph
from lineage.queries.diff import ChangeStatus, diff
from lineage.queries.suspects import SuspectKind, rank_suspects
from lineage.source import load
from sample_data import generate as sample
from tests.conftest import REPO_ROOT

SAMPLE_DIR = REPO_ROOT / "sample_data"


@pytest.fixture(scope="module")
def both_crawls() -> LineageGraph:
    """Return one graph of the before and after crawls of the sample account.

    The after crawl alone has no record of the old config, because the crawler describes only
    the configs that an endpoint uses, so the diff needs the records of both crawls.
    """
    merged = CrawlResult()
    for name in (sample.AFTER_FILE, sample.BEFORE_FILE):
        result = load(recording=SAMPLE_DIR / name).result
        for kind, records in result.records.items():
            for record in records:
                merged.add(kind, record)
    return build_graph(merged)


def test_sample_first_suspect_is_training_data(both_crawls) -> None:
    suspects = rank_suspects(diff(both_crawls, sample.CONFIG_BEFORE, sample.CONFIG_AFTER))

    first = suspects[0]
    assert first.kind is SuspectKind.DATASET
    assert first.name == "train"
    assert first.before == sample.DATASET_BEFORE
    assert first.after == sample.DATASET_AFTER
    assert sample.MAIN_VARIANT in first.scope


def test_sample_eta_change_listed(both_crawls) -> None:
    result = diff(both_crawls, sample.CONFIG_BEFORE, sample.CONFIG_AFTER)
    suspects = rank_suspects(result)

    eta = next(suspect for suspect in suspects if suspect.name == "eta")
    assert eta.kind is SuspectKind.HYPERPARAMETER
    assert eta.before == float(sample.ETA_BEFORE)
    assert eta.after == float(sample.ETA_AFTER)
    assert suspects.index(eta) > 0


def test_sample_auc_drop_is_regression(both_crawls) -> None:
    result = diff(both_crawls, sample.CONFIG_BEFORE, sample.CONFIG_AFTER)

    auc = next(
        entry
        for entry in result.metrics
        if entry.name == "validation:auc" and sample.MAIN_VARIANT in entry.scope
    )
    assert (auc.before, auc.after) == (sample.AUC_BEFORE, sample.AUC_AFTER)
    assert auc.direction.text == "higher is better"
    assert auc.regression is True
    assert result.summary()[0].startswith("validation:auc")


def test_sample_unchanged_challenger_variant(both_crawls) -> None:
    result = diff(both_crawls, sample.CONFIG_BEFORE, sample.CONFIG_AFTER)

    challenger = [
        entry for entry in result.serving if entry.scope == f"variant {sample.CHALLENGER_VARIANT}"
    ]
    assert challenger
    assert all(entry.status is ChangeStatus.EQUAL for entry in challenger)
