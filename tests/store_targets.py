"""A fresh PostgreSQL database per test on the suite's private server, for store tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """Create an empty database on the server at `server_url`, yield its URL, then drop it."""
    import psycopg

    database = "lineage_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + database
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
