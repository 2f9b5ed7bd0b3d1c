"""Shared set-up of the browser tests: the app on 127.0.0.1, Chromium kept off the network."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
STARTUP_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1600, "height": 1200}

# Flags that keep Chromium off the network: every host name but 127.0.0.1 fails to resolve.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

LOCAL_SCHEMES = ("data", "about", "blob", "chrome", "chrome-extension", "devtools")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_health(port: int, server: subprocess.Popen[bytes]) -> None:
    """Wait until Streamlit's health check returns `ok`; raise if the server exits or times out."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with code {server.returncode} before it was healthy"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"streamlit did not respond at {url} within {STARTUP_TIMEOUT_S} s")


@contextmanager
def running_app(log_path: Path, app_args: list[str] | None = None) -> Iterator[str]:
    """Run `streamlit run ui/app.py` on a free 127.0.0.1 port and yield the app's URL.

    `app_args` go to the app after `--` (for example `--recording FILE`). Streamlit's output
    goes to `log_path`, so a failing test can read it.
    """
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), AWS_DEFAULT_REGION="us-east-1")
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "ui" / "app.py"),
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    if app_args:
        command += ["--", *app_args]

    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_health(port, server)
            yield f"http://127.0.0.1:{port}/"
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def launch_chromium(playwright: Any, profile_dir: Path) -> Any:
    """Launch Debian's Chromium with a fresh profile and the no-network flags."""
    return playwright.chromium.launch_persistent_context(
        str(profile_dir),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_FLAGS,
        viewport=VIEWPORT,
    )


def outside_requests(urls: list[str]) -> list[str]:
    """Return the URLs that went anywhere but 127.0.0.1 (local schemes such as data: excepted)."""
    outside = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            continue
        if parts.hostname != "127.0.0.1":
            outside.append(url)
    return outside


def graph_frame(page: Any, node_id: str) -> Any:
    """Return the frame whose vis-network data contains `node_id`, or None if none does yet."""
    for frame in page.frames:
        try:
            found = frame.evaluate(
                "(id) => typeof network !== 'undefined' && network !== undefined"
                " && network.body.data.nodes.get(id) !== null",
                node_id,
            )
        except Exception:  # a frame that navigated away or has no script context yet
            continue
        if found:
            return frame
    return None


@contextmanager
def chromium_page(profile_dir: Path) -> Iterator[tuple[Any, list[str]]]:
    """Yield a page of a fresh Chromium and the list of URLs it requests; skip without Chromium.

    The list stays filled after the block, for `outside_requests`.
    """
    import pytest

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; `make chromium` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, profile_dir)
        context.on("request", lambda request: requests.append(request.url))
        try:
            page = context.new_page()
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            yield page, requests
        finally:
            context.close()
