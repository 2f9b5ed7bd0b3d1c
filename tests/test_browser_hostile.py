"""The app on the hostile account in headless Chromium: nothing runs, nothing leaves 127.0.0.1.

Streamlit serves `--recording` of the hostile account on 127.0.0.1. The Explore page opens on
the hostile endpoint, whose details table contains a 1 MB tag value and whose graph contains
the hostile training job. No dialog may open (an `alert(1)` that ran would), no request may go
anywhere but 127.0.0.1, the sidebar and the graph canvas must be drawn, and the tooltip of the
hostile job must show its markup as text.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import hostile_account as hostile
from tests.browser_support import (
    PAGE_TIMEOUT_MS,
    chromium_page,
    graph_frame,
    outside_requests,
    running_app,
)

pytestmark = pytest.mark.browser

HOSTILE_JOB = hostile.arn("training-job", hostile.JOB_AFTER)
ENDPOINT_ID = hostile.arn("endpoint", hostile.ENDPOINT)


@pytest.fixture
def hostile_app_url(tmp_path: Path) -> Iterator[str]:
    """Start the app on the hostile recording on a free 127.0.0.1 port and yield its URL."""
    _, recording = hostile.write_account(tmp_path / "account")
    with running_app(tmp_path / "streamlit.log", ["--recording", str(recording)]) as url:
        yield url


def _wait_for_frame(page):
    deadline = time.monotonic() + PAGE_TIMEOUT_MS / 1000
    frame = graph_frame(page, ENDPOINT_ID)
    while frame is None and time.monotonic() < deadline:
        time.sleep(0.5)
        frame = graph_frame(page, ENDPOINT_ID)
    return frame


def _hover_node(page, frame, node_id: str) -> None:
    # Centre the node, then point at it; bounding boxes are in page coordinates already.
    position = frame.evaluate(
        "(id) => { const at = network.getPositions([id])[id];"
        " network.moveTo({position: at, scale: 1, animation: false});"
        " return network.canvasToDOM(at); }",
        node_id,
    )
    canvas = frame.locator("#mynetwork").bounding_box()
    x, y = canvas["x"] + position["x"], canvas["y"] + position["y"]
    page.mouse.move(x - 5, y - 5)
    page.mouse.move(x, y, steps=5)


def test_hostile_account_runs_nothing(hostile_app_url: str, tmp_path: Path) -> None:
    dialogs: list[str] = []
    with chromium_page(tmp_path / "chromium-profile") as (page, requests):
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        started = time.monotonic()
        page.goto(hostile_app_url)

        frame = _wait_for_frame(page)
        assert frame is not None, "no graph frame with the hostile endpoint appeared"
        frame.wait_for_selector("#mynetwork canvas")
        page.get_by_text("Details").first.wait_for()
        loaded_seconds = time.monotonic() - started

        sidebar_visible = page.locator('[data-testid="stSidebar"]').is_visible()
        job_drawn = frame.evaluate(
            "(id) => network.body.data.nodes.get(id) !== null", HOSTILE_JOB
        )
        _hover_node(page, frame, HOSTILE_JOB)
        frame.wait_for_selector("div.vis-tooltip", state="visible", timeout=15_000)
        tooltip_text = frame.inner_text("div.vis-tooltip")
        # innerText turns each line break into a <br>; any other element came from data.
        tooltip_elements = frame.evaluate(
            "() => [...document.querySelectorAll('div.vis-tooltip *')]"
            ".map((element) => element.tagName).filter((tag) => tag !== 'BR')"
        )
        injected = sum(
            other.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length")
            for other in page.frames
        )
        # The page still responds after the 1 MB values were drawn.
        responsive = page.evaluate("() => document.readyState")

    assert dialogs == []
    assert outside_requests(requests) == []
    assert sidebar_visible
    assert job_drawn
    assert hostile.SCRIPT in tooltip_text
    assert hostile.IMG in tooltip_text
    assert tooltip_elements == []
    assert injected == 0
    assert responsive == "complete"
    assert loaded_seconds < PAGE_TIMEOUT_MS / 1000
