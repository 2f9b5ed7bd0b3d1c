"""Impact queries over the recorded failure cases, through load(), the crawler and the builder."""

from __future__ import annotations

import pytest

from lineage.queries.impact import impact
from lineage.source import load
from tests.conftest import CASES_DIR, load_case


def _graph(case: str):
    return load(CASES_DIR / f"{case}.json").graph


def _consumer_jobs(result) -> set[str]:
    return {consumer.job.label for hit in result.hits for consumer in hit.consumers}


@pytest.mark.parametrize("spelling", load_case("C08")["query"]["reverse_any_of"])
def test_impact_every_spelling_finds_job(spelling):
    result = impact(_graph("C08"), spelling)

    assert _consumer_jobs(result) == {"sales-fcst-q1"}
    assert result.location == "s3://example-bucket/data/q1 sales+returns.csv"


@pytest.mark.parametrize(
    "query_case", load_case("C09")["query_cases"], ids=lambda case: case["reverse"]
)
def test_impact_key_name_prefix_semantics(query_case):
    result = impact(_graph("C09"), query_case["reverse"])

    assert sorted(_consumer_jobs(result)) == sorted(query_case["expect_jobs"])


def test_impact_object_in_prefix_is_covers_query():
    result = impact(_graph("C09"), "s3://example-bucket/data/train/part-0.csv")

    matches = {hit.uri: hit.match for hit in result.hits}
    assert matches == {
        "s3://example-bucket/data/train": "covers query",
        "s3://example-bucket/data/train/": "covers query",
    }


def test_impact_prefix_without_slash_warns_sibling():
    result = impact(_graph("C09"), "s3://example-bucket/data/train")

    assert [hit.match for hit in result.hits] == ["exact", "exact"]
    (warning,) = result.warnings
    assert "trailing slash" in warning


def test_impact_unresolved_manifest_is_possible():
    result = impact(_graph("C10"), load_case("C10")["query"]["reverse"])

    assert result.hits == []
    assert {possible.job.label for possible in result.possible} == {"img-cls-0301"}
    assert {possible.channel for possible in result.possible} == {"train", "validation"}
    assert "known to match" in result.coverage_statement


def test_impact_pipeline_model_reached_by_both_paths():
    graph = _graph("C17")
    result = impact(graph, load_case("C17")["query"]["reverse"])

    models = {ref.label for ref in result.downstream["models"]}
    artifacts = {ref.id for ref in result.downstream["artifacts"]}
    assert models == {"inference-pipeline-0601"}
    assert artifacts == {
        "s3://example-bucket/sparkml/prep-0601/output/model.tar.gz",
        "s3://example-bucket/models/xgb-0601/output/model.tar.gz",
    }
    assert {ref.label for ref in result.downstream["jobs"]} == {"prep-0601", "xgb-0601"}


def test_impact_uncompressed_model_found_without_slash():
    result = impact(_graph("C06"), "s3://example-bucket/llm/data/sft-v3")

    assert {ref.label for ref in result.downstream["models"]} == {"llm-ft-0501-model"}
