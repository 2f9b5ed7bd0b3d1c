"""Streamlit AppTest runs of the Crawl page on a SQLite store of the sample recordings."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lineage.cli import main as cli_main
from lineage.store import open_store
from sample_data import generate as sample

PAGE_TIMEOUT_S = 120
SAMPLE = Path(sample.SAMPLE_DIR)


def _run_page(db: str) -> None:
    # Runs inside AppTest's script thread, so every name it uses is imported here.
    from lineage.source import load
    from ui.views import crawl

    crawl.render(load(db=db))


@pytest.fixture
def store_path(tmp_path: Path) -> str:
    path = tmp_path / "lineage.sqlite"
    code = cli_main(["crawl", "--recording", str(SAMPLE / sample.BEFORE_FILE), "--db", str(path),
                     "--json"])
    assert code == 0
    return str(path)


def _page(db: str) -> AppTest:
    return AppTest.from_function(_run_page, args=(db,), default_timeout=PAGE_TIMEOUT_S)


def _cells(at: AppTest) -> list[str]:
    return [str(cell) for frame in at.dataframe for column in frame.value.columns
            for cell in frame.value[column]]


def test_page_lists_snapshots_and_report(store_path: str) -> None:
    at = _page(store_path).run()

    assert not at.exception
    cells = _cells(at)
    assert sample.BEFORE_RECORDED_AT.isoformat() in cells
    assert "TrainingJob" in cells
    assert "lookup_events" in cells
    assert "search" in cells
    # The default CLI crawl lists pipelines and associations too.
    assert "list_pipelines" in cells
    assert "list_associations" in cells
    metrics = {metric.label: metric.value for metric in at.metric}
    assert int(metrics["Calls"]) > 0
    assert metrics["Throttled"] == "0"


def test_page_recording_crawl_adds_snapshot(store_path: str) -> None:
    at = _page(store_path).run()
    at.text_input(key="crawl_recording").set_value(str(SAMPLE / sample.AFTER_FILE))
    at.button[0].click().run()

    assert not at.exception
    assert not at.error
    with open_store(store_path) as store:
        snapshots = store.snapshots()
    assert len(snapshots) == 2
    assert snapshots[-1].taken_at == sample.AFTER_RECORDED_AT
    assert snapshots[-1].counts["CloudTrailEvent"] == 2
    texts = [element.value for element in at.text]
    assert f"Saved snapshot {snapshots[-1].id} to {store_path}" in texts


def test_page_recording_crawl_into_new_store(store_path: str, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    at = _page(store_path).run()
    at.text_input(key="crawl_recording").set_value(str(SAMPLE / sample.AFTER_FILE))
    at.radio(key="crawl_target").set_value("Another store (SQLite file or postgresql:// URL)")
    at.text_input(key="crawl_store_path").set_value(str(other))
    at.button[0].click().run()

    assert not at.exception
    with open_store(other) as store:
        assert len(store.snapshots()) == 1
    with open_store(store_path) as store:
        assert len(store.snapshots()) == 1


def test_page_missing_recording_shows_error(store_path: str, tmp_path: Path) -> None:
    at = _page(store_path).run()
    at.text_input(key="crawl_recording").set_value(str(tmp_path / "missing.json"))
    at.button[0].click().run()

    assert not at.exception
    assert len(at.error) == 1
    assert "not found" in at.error[0].value
    with open_store(store_path) as store:
        assert len(store.snapshots()) == 1
