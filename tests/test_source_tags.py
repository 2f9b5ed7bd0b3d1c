"""Loading a recording whose crawl listed tags: the tags reach the graph and its tooltips."""

from __future__ import annotations

from pathlib import Path

from lineage.graph import NodeKind
from lineage.render import tooltip_text
from lineage.source import load
from tests.conftest import load_case

CASES = Path(__file__).resolve().parent / "cases"


def test_recording_with_list_tags_loads_tags() -> None:
    case = load_case("C27")

    loaded = load(recording=CASES / "C27.json")
    job = loaded.graph.resolve("churn-xgb-0503", [NodeKind.TRAINING_JOB])
    attrs = loaded.graph.node(job)

    assert attrs["tags"] == {"owner": "<img src=x onerror=alert(1)>", "Team": "R+D @ets/ml"}
    assert tooltip_text(job, attrs) == case["expected_tooltip_text"]
