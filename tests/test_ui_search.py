"""The Search page over the bundled sample account: crawl time and search errors as shown."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

PAGE_TIMEOUT_S = 60
# The sample's newest recording was crawled at this time; the Impact page and the CLI state it.
SAMPLE_CRAWLED_AT = "2024-06-13T06:00:00"


def _page() -> None:
    from lineage.source import load
    from ui.views import search

    search.render(load())


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_function(_page, default_timeout=PAGE_TIMEOUT_S)
    at.run()
    assert not at.exception
    return at


def test_verify_dataset_states_recording_time(app: AppTest) -> None:
    app.text_input(key="search_dataset").input("s3://example-ml-data/churn/").run()

    assert not app.exception
    summaries = [t.value for t in app.text if "read s3://example-ml-data/churn/" in t.value]
    assert len(summaries) == 1
    assert f"crawled {SAMPLE_CRAWLED_AT}" in summaries[0]


def test_syntax_error_shows_error_and_caret(app: AppTest) -> None:
    app.radio(key="search_mode").set_value("Text").run()
    app.text_input(key="search_text").input("TrainingJobStatus = ").run()

    assert not app.exception
    assert len(app.error) == 1
    assert "expected a value" in app.error[0].value
    blocks = [block.value for block in app.code if "^" in block.value]
    assert len(blocks) == 1
    assert blocks[0].splitlines()[-1].strip() == "^"
    assert "TrainingJobStatus = " in blocks[0]
