"""Explore on a large generated account in a real browser: a bounded graph, and a fold that
expands one page when clicked.

The account has 10,000 training jobs, 10% of them training on one hub dataset (about 1,000
jobs), which keeps the test near a minute; `bench/app_bench.py` measures the 100k-job account.
Streamlit listens on 127.0.0.1 and Chromium runs with the flags that keep it off the network.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from lineage.cli import main
from lineage.render import DEFAULT_MAX_NODES, DEFAULT_PAGE_SIZE, DEFAULT_SIBLING_LIMIT
from lineage.synthetic import AccountSpec, generate_account, hub_dataset_uri
from tests.browser_support import (
    PAGE_TIMEOUT_MS,
    chromium_page,
    outside_requests,
    running_app,
)

pytestmark = pytest.mark.browser

SPEC = AccountSpec(
    training_jobs=10_000, models=500, endpoints=100, datasets=500, processing_jobs=100,
    tuning_jobs=50, children_per_tuning_job=10, transform_jobs=10, model_packages=20,
    hub_dataset_share=0.1,
)
HUB = hub_dataset_uri(SPEC)
FOLD_ID = f"fold:downstream:training_job:{HUB}"


@pytest.fixture(scope="module")
def large_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Crawl the account's recording into a store, start the app on it, yield the app's URL.

    The crawl writes the store's graph cache, so the app reads the graph as it does on a large
    account: node details come from the cache file when a view needs them.
    """
    folder = tmp_path_factory.mktemp("large-app")
    recording = folder / "account.json"
    recording.write_text(json.dumps(generate_account(SPEC)), encoding="utf-8")
    database = folder / "store.sqlite"
    code = main(["crawl", "--recording", str(recording), "--db", str(database),
                 "--no-cloudtrail", "--json"])
    assert code == 0
    assert list(folder.glob("store.sqlite.graph-1-*.pickle")), "the crawl wrote no graph cache"

    with running_app(folder / "streamlit.log", ["--db", str(database)]) as url:
        yield url


def _frame_with(page, condition: str):
    """Return the first frame where the JavaScript `condition` holds, polling until timeout."""
    deadline = time.monotonic() + PAGE_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for frame in page.frames:
            try:
                if frame.evaluate(condition, FOLD_ID):
                    return frame
            except Exception:  # a frame that navigated away or has no script context yet
                continue
        time.sleep(0.5)
    raise AssertionError(f"no graph frame met {condition!r} in time")


# The drawn nodes that edges do not link to the hub, except the "not drawn" summary node.
_LOOSE_NODES = """(hub) => {
    const links = new Map();
    for (const edge of network.body.data.edges.get()) {
        for (const [a, b] of [[edge.from, edge.to], [edge.to, edge.from]]) {
            if (!links.has(a)) links.set(a, []);
            links.get(a).push(b);
        }
    }
    const reached = new Set([hub]);
    const queue = [hub];
    while (queue.length) {
        for (const other of links.get(queue.shift()) || []) {
            if (!reached.has(other)) { reached.add(other); queue.push(other); }
        }
    }
    return network.body.data.nodes.getIds().filter(
        (id) => !reached.has(id) && !String(id).startsWith('summary:'));
}"""


def _hub_job_count(frame) -> int:
    return frame.evaluate(
        """(hub) => network.body.data.edges.get().filter(
               (edge) => edge.to === hub && String(edge.from).includes(':training-job/')
           ).length""",
        HUB,
    )


def _click_node(page, frame, node_id: str) -> None:
    """Click a node of the graph frame with the mouse, where the browser draws it."""
    frame.frame_element().scroll_into_view_if_needed()
    frame.evaluate(
        "(id) => network.moveTo({position: network.getPosition(id), scale: 1.0})", node_id
    )
    time.sleep(0.3)
    point = frame.evaluate(
        """(id) => {
               const dom = network.canvasToDOM(network.getPosition(id));
               const box = document.getElementById('mynetwork').getBoundingClientRect();
               return {x: box.left + dom.x, y: box.top + dom.y};
           }""",
        node_id,
    )
    box = frame.frame_element().bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def test_hub_fold_expands_one_page_on_click(large_app_url: str, tmp_path: Path) -> None:
    with chromium_page(tmp_path / "chromium-profile") as (page, requests):
        page.goto(f"{large_app_url}?focus={quote(HUB, safe='')}")

        before = _frame_with(
            page, "(fold) => typeof network !== 'undefined' && nodes.get(fold) !== null"
        )
        before.wait_for_selector("#mynetwork canvas")
        drawn_before = before.evaluate("() => network.body.data.nodes.length")
        loose_before = before.evaluate(_LOOSE_NODES, HUB)
        fold_before = before.evaluate("(fold) => nodes.get(fold)", FOLD_ID)
        jobs_before = _hub_job_count(before)

        _click_node(page, before, FOLD_ID)
        after = _frame_with(
            page,
            "(fold) => typeof network !== 'undefined' && nodes.get(fold) !== null"
            " && nodes.get(fold).label.includes('(page 1 of')",
        )
        after.wait_for_selector("#mynetwork canvas")
        drawn_after = after.evaluate("() => network.body.data.nodes.length")
        fold_after = after.evaluate("(fold) => nodes.get(fold)", FOLD_ID)
        jobs_after = _hub_job_count(after)
        url_after = page.url

    folded_before = int(fold_before["label"].split(" ", 1)[0])
    folded_after = int(fold_after["label"].split(" ", 1)[0])
    # Bounded: the hub's ~1,000 jobs and everything made from them are not all drawn.
    assert drawn_before <= DEFAULT_MAX_NODES
    assert drawn_after <= DEFAULT_MAX_NODES
    # Readable: every drawn node is linked to the hub through drawn edges.
    assert loose_before == []
    assert jobs_before == DEFAULT_SIBLING_LIMIT - 1
    assert folded_before > 500
    # One page of the fold is drawn next to the hub, and leaves the fold.
    assert jobs_after == jobs_before + DEFAULT_PAGE_SIZE
    assert folded_after == folded_before - DEFAULT_PAGE_SIZE
    assert "expand=" in url_after
    assert outside_requests(requests) == []
