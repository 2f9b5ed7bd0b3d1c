"""Shared fixtures: the real-world failure cases and recording clients built from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lineage.recording import RecordingClient

CASES_DIR = Path(__file__).parent / "cases"
REPO_ROOT = Path(__file__).resolve().parent.parent


def load_case(name: str) -> dict[str, Any]:
    """Return the fixture of one failure case (C01, C02, ...) as stored in tests/cases."""
    return json.loads((CASES_DIR / f"{name}.json").read_text())


@pytest.fixture
def case_client():
    """Return a factory: case name -> RecordingClient replaying that case's responses."""

    def make(name: str) -> RecordingClient:
        return RecordingClient(load_case(name), source=f"case {name}")

    return make


@pytest.fixture(scope="session")
def postgres_url():
    """Return the URL of a private PostgreSQL server on 127.0.0.1 that the suite started."""
    from tests.postgres_server import find_postgres_bin, running_postgres

    if find_postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed; `make test` installs Debian's postgresql")
    with running_postgres() as url:
        yield url


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory):
    """Start a moto server on 127.0.0.1 with an empty state and yield its URL.

    moto keeps its backends per process, so two modules that each start a server would see each
    other's resources; the state is reset before and after each module. The environment gets
    dummy credentials and no AWS config files, so nothing can reach a real account.
    """
    import urllib.request

    from moto import server as moto_server

    empty = tmp_path_factory.mktemp("aws") / "none"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
            "AWS_EC2_METADATA_DISABLED": "true",
        }.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)

        server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"

        def reset() -> None:
            request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
            urllib.request.urlopen(request, timeout=10).close()

        reset()
        try:
            yield url
        finally:
            reset()
            server.stop()


def _load_hypothesis_profile() -> None:
    """Make property tests reproducible in CI; local runs keep exploring new examples."""
    import os

    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI"):
        settings.load_profile("ci")


_load_hypothesis_profile()
