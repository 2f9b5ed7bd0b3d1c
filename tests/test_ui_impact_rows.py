"""Table rows of the Dataset impact page: built one page at a time."""

from __future__ import annotations

import pytest

from lineage.graph import NodeKind
from lineage.queries.common import NodeRef
from lineage.queries.impact import impact
from lineage.source import load
from ui.views import impact as page


@pytest.fixture(scope="module")
def sample():
    return load()


def test_ref_rows_make_only_requested_rows(sample, monkeypatch) -> None:
    refs = [NodeRef(id=node_id, kind="training_job", label=node_id, status=None)
            for node_id in sample.graph.nodes_of_kind(NodeKind.TRAINING_JOB)]
    status_reads: list[str] = []
    status = page._node_status
    monkeypatch.setattr(page, "_node_status",
                        lambda graph, ref: status_reads.append(ref.id) or status(graph, ref))

    rows = page._ref_rows(sample.graph, refs)
    status_reads.clear()
    first_page = rows[0:2]

    assert len(rows) == len(refs)
    assert [row["id"] for row in first_page] == [ref.id for ref in refs[:2]]
    assert status_reads == [ref.id for ref in refs[:2]]


def test_ref_rows_cells_and_status_column(sample) -> None:
    graph = sample.graph
    job = next(graph.nodes_of_kind(NodeKind.TRAINING_JOB))
    dataset = next(node for node in graph.nodes_of_kind(NodeKind.DATASET)
                   if not graph.attribute(node, "status"))
    job_ref = NodeRef(id=job, kind="training_job", label="job", status=None)
    dataset_ref = NodeRef(id=dataset, kind="dataset", label="data", status=None)

    with_status = page._ref_rows(graph, [dataset_ref, job_ref])
    without_status = page._ref_rows(graph, [dataset_ref])

    assert with_status[1] == {"name": "job", "kind": "training job",
                              "status": str(graph.attribute(job, "status")), "id": job}
    assert with_status[0]["status"] is None
    assert "status" not in without_status[0]
    assert list(without_status) == [without_status[0]]


def test_match_rows_list_each_consumer(sample) -> None:
    result = impact(sample.graph, "s3://example-ml-data/")
    hit = next(hit for hit in result.hits if hit.consumers)

    row = page._match_row((hit, hit.consumers[0]))
    empty = page._match_row((hit, None))

    assert row["read by"] == hit.consumers[0].job.label
    assert row["location"] == hit.uri
    assert empty["read by"] == ""
    assert empty["channel"] == ""

