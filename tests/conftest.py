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
