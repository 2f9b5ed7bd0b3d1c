"""Benchmark the explorer on a large synthetic account: build, memory, queries, pages, app.

Run it with `python -m bench.app_bench --preset large` (the default). It writes the account's
recording and a SQLite store of its crawl into `--workdir` once, then measures each figure in
a fresh child process and prints it beside its floor:

- graph load from the store, against a bare `networkx.MultiDiGraph.add_edges_from` of the
  same edges with their attributes (floor: 1.5 times the bare build). It is measured twice:
  the first load reads the records, builds the graph and writes the graph cache, and a second
  load reads that cache;
- resident memory of the process that loaded the graph from the cache (floor: 500 MB), and
  after it also read the records that search needs;
- impact p95 for typical datasets (5 ms) and the hub dataset (300 ms), trace p95 (5 ms);
- HTML size of a 300-node view against its node and edge JSON plus one vis-network (1.5x);
- time for headless Chromium to draw that page (1 s);
- app cold start with `--db` on the account (5 s), with the graph cache the first load
  wrote, and a warm rerun (100 ms), with AppTest;
- the same cold start with a real server (5 s): from starting `streamlit run` to the hub
  view's graph drawn in headless Chromium, and to the page idle (graph drawn, script run
  finished, every element shown), the median of three new servers. `--skip-browser` skips it.

Chromium runs with the flags that keep it off the network; every server and browser in this
script listens on or talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.browser_support import CHROMIUM, CHROMIUM_FLAGS

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent

# Floors of the large account, from the scale target of the app.
BUILD_RATIO_FLOOR = 1.5
MEMORY_FLOOR_MB = 500
IMPACT_TYPICAL_FLOOR_MS = 5
IMPACT_HUB_FLOOR_MS = 300
TRACE_FLOOR_MS = 5
HTML_RATIO_FLOOR = 1.5
DRAW_FLOOR_S = 1.0
COLD_START_FLOOR_S = 5.0
WARM_RERUN_FLOOR_MS = 100

QUERY_RUNS = 200
HUB_RUNS = 20
DRAW_RUNS = 5
RERUNS = 5
SERVER_RUNS = 3


def p95(values: list[float]) -> float:
    """Return the 95th percentile of `values` (nearest rank)."""
    ordered = sorted(values)
    rank = max(int(round(0.95 * len(ordered))) - 1, 0)
    return ordered[rank]


def timed(function: Callable[[], Any]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def rss_mb() -> float:
    """Return the resident set size of this process now, from /proc (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# --- preparing the account --------------------------------------------------------------------


def prepare(preset_name: str, workdir: Path) -> tuple[Path, Path]:
    """Write the recording and the store of a preset once; return their paths."""
    from lineage import synthetic

    workdir.mkdir(parents=True, exist_ok=True)
    recording = workdir / f"{preset_name}.json"
    store_path = workdir / f"{preset_name}.sqlite"
    if not recording.exists():
        seconds = timed(lambda: synthetic.write_recording(synthetic.preset(preset_name), recording))
        print(f"wrote {recording} in {seconds:.1f} s", flush=True)
    if not store_path.exists():
        _run_child("save", str(recording), str(store_path))
    return recording, store_path


def _save_store(recording: str, store_path: str) -> dict[str, Any]:
    from lineage import store
    from lineage.crawl.crawler import crawl
    from lineage.recording import RecordingClient, load_recording

    start = time.perf_counter()
    client = RecordingClient(load_recording(Path(recording)), source=recording)
    result = crawl(client, account=client.account, region=client.region)
    crawled = time.perf_counter() - start
    with store.open_store(store_path, create=True) as opened:
        opened.save(result, source=f"recording {Path(recording).name}")
    return {"crawl_s": crawled, "save_s": time.perf_counter() - start - crawled}


# --- measurements in a fresh process -----------------------------------------------------------


def remove_graph_caches(store_path: Path) -> list[Path]:
    """Delete the graph caches of a store file, so that the next load builds the graph."""
    removed = sorted(store_path.parent.glob(f"{store_path.name}.graph-*.pickle"))
    for path in removed:
        path.unlink()
    return removed


def _measure_graph(store_path: str, hub: str, html_out: str) -> dict[str, Any]:
    import networkx as nx

    from lineage.graph import NodeKind
    from lineage.queries.impact import impact
    from lineage.queries.trace import trace
    from lineage.render import render
    from lineage.source import load

    remove_graph_caches(Path(store_path))
    baseline_mb = rss_mb()
    start = time.perf_counter()
    loaded = load(db=store_path)
    build_s = time.perf_counter() - start
    graph = loaded.graph
    memory_mb = rss_mb()

    edges = list(graph.edges())
    start = time.perf_counter()
    bare = nx.MultiDiGraph()
    bare.add_edges_from(edges)
    bare_s = time.perf_counter() - start
    del bare, edges

    rng = random.Random(7)
    uris = (
        (node_id, str(graph.attribute(node_id, "uri") or ""))
        for node_id in graph.nodes_of_kind(NodeKind.DATASET)
    )
    datasets = [uri for node_id, uri in uris if uri.startswith("s3://") and node_id != hub]
    impact(graph, datasets[0])  # builds the location index once, as the app's first query does
    typical = [timed(lambda: impact(graph, rng.choice(datasets))) for _ in range(QUERY_RUNS)]
    hub_times = [timed(lambda: impact(graph, hub)) for _ in range(HUB_RUNS)]
    hub_result = impact(graph, hub)
    endpoints = list(graph.nodes_of_kind(NodeKind.ENDPOINT))
    trace_times = [timed(lambda: trace(graph, rng.choice(endpoints))) for _ in range(QUERY_RUNS)]

    # The Explore view of the hub draws one piece around the hub, which folds its 10,000 jobs
    # and so draws few nodes. The Dataset impact page's graph of the hub, which has no focus,
    # fills the 300-node cap, so its page is the one measured for size and drawing time.
    selection = list(graph.neighbourhood(hub, 6, "both"))
    start = time.perf_counter()
    hub_view = render(graph, selection, focus=hub)
    render_s = time.perf_counter() - start
    impact_nodes = hub_result.node_ids()
    start = time.perf_counter()
    rendered = render(graph, impact_nodes)
    impact_render_s = time.perf_counter() - start
    Path(html_out).write_text(rendered.html, encoding="utf-8")

    return {
        "nodes": len(graph),
        "edges": graph.number_of_edges(),
        "build_s": build_s,
        "bare_s": bare_s,
        "memory_mb": memory_mb,
        "baseline_mb": baseline_mb,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # The first load of a large snapshot builds its graph in a child process.
        "build_child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "impact_typical_ms": p95(typical) * 1000,
        "impact_hub_ms": p95(hub_times) * 1000,
        "hub_jobs": len(hub_result.downstream.get("jobs", [])),
        "hub_downstream": sum(len(refs) for refs in hub_result.downstream.values()),
        "trace_ms": p95(trace_times) * 1000,
        "view_selected": len(impact_nodes),
        "view_nodes": rendered.node_count,
        "impact_render_s": impact_render_s,
        "hub_view_selected": len(selection),
        "hub_view_nodes": hub_view.node_count,
        "hub_view_folded": hub_view.folded,
        "view_edges": rendered.edge_count,
        "render_s": render_s,
    }


def _measure_cached_load(store_path: str) -> dict[str, Any]:
    from lineage.source import load

    baseline_mb = rss_mb()
    start = time.perf_counter()
    loaded = load(db=store_path)
    load_s = time.perf_counter() - start
    memory_mb = rss_mb()
    if loaded.graph.meta.get("snapshot") is None or len(loaded.graph) == 0:
        raise RuntimeError(f"the cached load of {store_path} returned no graph")

    start = time.perf_counter()
    records = sum(len(items) for items in loaded.result.records.values())
    records_s = time.perf_counter() - start
    return {
        "cached_load_s": load_s,
        "cached_memory_mb": memory_mb,
        "cached_baseline_mb": baseline_mb,
        "records": records,
        "records_s": records_s,
        "records_memory_mb": rss_mb(),
    }


def _measure_app(store_path: str, hub: str) -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    app = str(REPO_ROOT / "ui" / "app.py")
    sys.argv = [app, "--db", store_path]
    at = AppTest.from_file(app, default_timeout=600)
    at.query_params["focus"] = hub
    start = time.perf_counter()
    at.run()
    cold_s = time.perf_counter() - start
    cold_memory_mb = rss_mb()
    if at.exception:
        raise RuntimeError(f"the app failed on its first run: {at.exception[0].value}")
    drawn = next((c.value for c in at.caption if str(c.value).startswith("Drawn:")), "")

    reruns = [timed(at.run) for _ in range(RERUNS)]

    # A view not drawn before, on the loaded graph: the first view's cache entries are dropped.
    import ui.views.common as common
    import ui.views.explore as explore

    explore.explore_view.clear()
    common._rendered.clear()
    new_view_s = timed(at.run)
    return {
        "cold_s": cold_s,
        "cold_memory_mb": cold_memory_mb,
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "warm_ms": statistics.median(reruns) * 1000,
        "new_view_s": new_view_s,
        "caption": drawn,
    }


CHILD_TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "save": _save_store,
    "graph": _measure_graph,
    "cached": _measure_cached_load,
    "app": _measure_app,
}


def _run_child(task: str, *args: str) -> dict[str, Any]:
    """Run one task of this module in a new Python process and return its JSON result."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), AWS_DEFAULT_REGION="us-east-1")
    command = [sys.executable, "-m", "bench.app_bench", "--child", task, *args]
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"child task {task} failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- the browser ------------------------------------------------------------------------------


def measure_draw(html_path: Path) -> dict[str, Any]:
    """Time headless Chromium from loading the page to vis-network's first drawing."""
    if not CHROMIUM.exists():
        return {"draw_s": None, "note": f"{CHROMIUM} is missing"}
    from playwright.sync_api import sync_playwright

    html = html_path.read_text(encoding="utf-8")
    # Records the time of the first afterDrawing event, on the page's own clock.
    html = html.replace(
        "drawGraph();",
        "drawGraph(); network.once('afterDrawing', function () {"
        " window.__drawnAt = performance.now(); });",
        1,
    )
    times: list[float] = []
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1600, "height": 1000},
        )
        try:
            for _ in range(DRAW_RUNS):
                page = context.new_page()
                page.set_content(html, wait_until="load")
                page.wait_for_function("() => window.__drawnAt !== undefined", timeout=60_000)
                times.append(page.evaluate("() => window.__drawnAt") / 1000)
                page.close()
        finally:
            context.close()
    return {"draw_s": statistics.median(times), "draw_max_s": max(times)}


# Runs in every frame before the page's own scripts. pyvis's template declares `var network`
# and assigns the vis.Network to it, so a setter on that global receives the network as soon as
# it exists and stores the wall-clock time of its first drawing on the top page.
_DRAWN_AT_SCRIPT = """
(() => {
  if (window === window.top) return;
  let current;
  Object.defineProperty(window, 'network', {
    configurable: true,
    get() { return current; },
    set(value) {
      current = value;
      if (value && typeof value.once === 'function') {
        value.once('afterDrawing', () => {
          if (window.top.__graphDrawnAt === undefined) {
            window.top.__graphDrawnAt = performance.timeOrigin + performance.now();
          }
        });
      }
    },
  });
})();
"""

# Polled on every animation frame of the top page: the wall-clock time once the graph is drawn,
# Streamlit's script run has finished and no element still shows the skeleton that Streamlit
# 1.67 draws while an element's code loads, else null.
_IDLE_AT_SCRIPT = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (window.__graphDrawnAt === undefined || !app) return null;
  if (app.dataset.testScriptState !== 'notRunning') return null;
  if (document.querySelector('[data-testid="stSkeleton"]') !== null) return null;
  return performance.timeOrigin + performance.now();
}
"""


def measure_server_cold_start(store_path: Path, hub: str, workdir: Path) -> dict[str, Any]:
    """Time `streamlit run` on the store from process start to the hub view in Chromium.

    Each run starts a new server and opens the page in a new browser profile, with the hub in
    the `focus` query parameter. Chromium is launched before the server starts, as a reader's
    browser is already open. The page is loaded once the health check returns `ok`, which
    `running_app` polls every 0.3 s, so a figure can include up to 0.3 s of that polling.

    NOTE: with Streamlit 1.67 the first iframe of a page loads its frontend code on demand.
    The graph frame was seen to appear only when the next message from the script reached the
    browser, 0.5-1 s after the frame's own message. The Explore page therefore sends a frame
    with a loading message before it computes the view.
    """
    if not CHROMIUM.exists():
        return {"drawn_s": None, "idle_s": None, "note": f"{CHROMIUM} is missing"}
    from playwright.sync_api import sync_playwright

    from tests.browser_support import PAGE_TIMEOUT_MS, launch_chromium, running_app

    url_query = "?" + urlencode({"focus": hub})
    runs: list[dict[str, float]] = []
    with sync_playwright() as playwright:
        for run in range(SERVER_RUNS):
            with tempfile.TemporaryDirectory() as profile:
                context = launch_chromium(playwright, Path(profile))
                try:
                    context.add_init_script(_DRAWN_AT_SCRIPT)
                    page = context.new_page()
                    page.set_default_timeout(PAGE_TIMEOUT_MS)
                    log_path = workdir / f"server-cold-start-{run}.log"
                    started = time.time()
                    with running_app(log_path, ["--db", str(store_path)]) as url:
                        healthy = time.time()
                        page.goto(url + url_query)
                        idle_at = page.wait_for_function(
                            _IDLE_AT_SCRIPT, polling="raf", timeout=PAGE_TIMEOUT_MS
                        ).json_value()
                        drawn_at = page.evaluate("() => window.__graphDrawnAt")
                finally:
                    context.close()
            runs.append(
                {
                    "healthy_s": healthy - started,
                    "drawn_s": drawn_at / 1000 - started,
                    "idle_s": idle_at / 1000 - started,
                }
            )
            logger.info("server cold start run %d: %s", run, runs[-1])
    return {
        name: statistics.median(run[name] for run in runs)
        for name in ("healthy_s", "drawn_s", "idle_s")
    }


def html_budget(html_path: Path) -> dict[str, Any]:
    """Compare a page's size with its node and edge JSON plus one copy of vis-network."""
    import pyvis

    html = html_path.read_text(encoding="utf-8")
    data = 0
    for name in ("nodes", "edges"):
        match = re.search(rf"{name} = new vis\.DataSet\((\[.*?\])\);", html, re.DOTALL)
        if match:
            data += len(json.dumps(json.loads(match.group(1))).encode("utf-8"))
    vis_script = (
        Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"
    )
    vis_size = vis_script.stat().st_size
    size = len(html.encode("utf-8"))
    return {
        "html_bytes": size,
        "data_bytes": data,
        "vis_bytes": vis_size,
        "html_ratio": size / (data + vis_size),
    }


# --- report -----------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="ascii") as info:
            memory_gib = int(info.readline().split()[1]) / 1024 / 1024
    except OSError:
        memory_gib = float("nan")
    return (
        f"{os.cpu_count()} CPUs (nproc), {cpu}, {memory_gib:.1f} GiB RAM, "
        f"Python {platform.python_version()}"
    )


def row(
    name: str,
    value: float | None,
    floor: float,
    unit: str,
    lower_is_better: bool = True,
    note: str = "",
) -> str:
    if value is None:
        return f"| {name} | not measured | {floor:g} {unit} | - | {note} |"
    met = value <= floor if lower_is_better else value >= floor
    verdict = "met" if met else "MISSED"
    return f"| {name} | {value:,.2f} {unit} | {floor:g} {unit} | {verdict} | {note} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.app_bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--preset", default="large", help="account preset (default: large)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "lineage-app-bench",
        help="folder for the recording, store and page (reused between runs)",
    )
    parser.add_argument("--skip-browser", action="store_true", help="do not start Chromium")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        task, *task_args = args.child
        print(json.dumps(CHILD_TASKS[task](*task_args)))
        return 0

    from lineage import synthetic

    started = time.perf_counter()
    _, store_path = prepare(args.preset, args.workdir)
    hub = synthetic.hub_dataset_uri(synthetic.preset(args.preset))
    html_path = args.workdir / f"{args.preset}-hub-view.html"

    # The graph child deletes the store's graph caches and writes a new one with its first
    # load, so the children after it load the graph from that cache.
    graph = _run_child("graph", str(store_path), hub, str(html_path))
    cached = _run_child("cached", str(store_path))
    budget = html_budget(html_path)
    draw: dict[str, Any] = (
        {"draw_s": None, "note": "skipped"} if args.skip_browser else measure_draw(html_path)
    )
    app = _run_child("app", str(store_path), hub)
    server: dict[str, Any] = (
        {"drawn_s": None, "idle_s": None, "note": "skipped"}
        if args.skip_browser
        else measure_server_cold_start(store_path, hub, args.workdir)
    )

    print(f"Machine: {machine()}")
    print(
        f"Date: {datetime.now(timezone.utc):%Y-%m-%d}; command: python -m bench.app_bench "
        f"--preset {args.preset}"
    )
    print(
        f"Graph: {graph['nodes']:,} nodes, {graph['edges']:,} edges; hub {hub} reaches "
        f"{graph['hub_jobs']:,} jobs and {graph['hub_downstream']:,} downstream nodes"
    )
    print()
    print("| figure | measured | floor | result | note |")
    print("|---|---:|---:|---|---|")
    print(
        row(
            "graph load from the store, cache present / bare add_edges_from",
            cached["cached_load_s"] / graph["bare_s"],
            BUILD_RATIO_FLOOR,
            "x",
            note=f"{cached['cached_load_s']:.1f} s vs {graph['bare_s']:.2f} s",
        )
    )
    print(
        row(
            "first load: build and write the cache / bare add_edges_from",
            graph["build_s"] / graph["bare_s"],
            BUILD_RATIO_FLOOR,
            "x",
            note=f"{graph['build_s']:.1f} s vs {graph['bare_s']:.2f} s",
        )
    )
    print(
        row(
            "resident memory after a cached load",
            cached["cached_memory_mb"],
            MEMORY_FLOOR_MB,
            "MB",
            note=f"{cached['cached_baseline_mb']:.0f} MB before; records not read yet",
        )
    )
    print(
        row(
            "resident memory with the records read",
            cached["records_memory_mb"],
            MEMORY_FLOOR_MB,
            "MB",
            note=f"{cached['records']:,} records read on first use in "
            f"{cached['records_s']:.1f} s",
        )
    )
    print(
        row(
            "resident memory after the first load",
            graph["memory_mb"],
            MEMORY_FLOOR_MB,
            "MB",
            note=f"peak {graph['peak_mb']:.0f} MB, {graph['baseline_mb']:.0f} MB before; "
            f"the build process peaked at {graph['build_child_peak_mb']:.0f} MB",
        )
    )
    print(
        row(
            "impact p95, typical dataset",
            graph["impact_typical_ms"],
            IMPACT_TYPICAL_FLOOR_MS,
            "ms",
            note=f"{QUERY_RUNS} random datasets",
        )
    )
    print(
        row(
            "impact p95, hub dataset",
            graph["impact_hub_ms"],
            IMPACT_HUB_FLOOR_MS,
            "ms",
            note=f"{HUB_RUNS} runs",
        )
    )
    print(
        row(
            "trace p95",
            graph["trace_ms"],
            TRACE_FLOOR_MS,
            "ms",
            note=f"{QUERY_RUNS} random endpoints",
        )
    )
    print(
        row(
            "HTML size / (node+edge JSON + vis-network)",
            budget["html_ratio"],
            HTML_RATIO_FLOOR,
            "x",
            note=f"{budget['html_bytes']:,} B page of the hub's impact graph, "
            f"{graph['view_nodes']} nodes drawn of {graph['view_selected']:,}, rendered in "
            f"{graph['impact_render_s']:.2f} s; the Explore view of the hub draws "
            f"{graph['hub_view_nodes']} of {graph['hub_view_selected']:,} "
            f"({graph['hub_view_folded']:,} folded) in {graph['render_s']:.2f} s",
        )
    )
    print(
        row(
            "Chromium draws the view",
            draw.get("draw_s"),
            DRAW_FLOOR_S,
            "s",
            note=draw.get("note", f"median of {DRAW_RUNS}, max {draw.get('draw_max_s', 0):.2f} s"),
        )
    )
    print(
        row(
            "app cold start on the hub view",
            app["cold_s"],
            COLD_START_FLOOR_S,
            "s",
            note="AppTest, graph loaded from the store's graph cache",
        )
    )
    server_note = server.get(
        "note",
        f"streamlit run and Chromium, median of {SERVER_RUNS} new servers; "
        f"the server was healthy after {server.get('healthy_s', 0):.2f} s",
    )
    print(
        row(
            "server cold start to the hub graph drawn",
            server["drawn_s"],
            COLD_START_FLOOR_S,
            "s",
            note=server_note,
        )
    )
    print(
        row(
            "server cold start to the page idle",
            server["idle_s"],
            COLD_START_FLOOR_S,
            "s",
            note=server.get("note", "graph drawn, script run finished, no element loading"),
        )
    )
    print(
        row(
            "resident memory of the app after the hub view",
            app["cold_memory_mb"],
            MEMORY_FLOOR_MB,
            "MB",
            note=f"AppTest process, peak {app['peak_memory_mb']:.0f} MB",
        )
    )
    print(
        row(
            "app warm rerun",
            app["warm_ms"],
            WARM_RERUN_FLOOR_MS,
            "ms",
            note=f"AppTest, median of {RERUNS}",
        )
    )
    print(
        row(
            "first draw of a new view, graph loaded",
            app["new_view_s"],
            COLD_START_FLOOR_S,
            "s",
            note="AppTest, view caches cleared",
        )
    )
    print()
    print(f"Total time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
