"""A private PostgreSQL server for the store tests, started from Debian's binaries.

The cluster lives in a temporary folder, listens only on 127.0.0.1 and trusts local connections,
so the tests never touch a system database. initdb refuses to run as root, so as root the server
runs as the `postgres` system user that Debian's package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def find_postgres_bin() -> Path | None:
    """Return the newest Debian PostgreSQL bin folder, or None when the package is missing."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def running_postgres() -> Iterator[str]:
    """Start a throw-away cluster and yield its connection URL; stop and delete it afterwards."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL binaries not found; install Debian's postgresql package")

    folder = Path(tempfile.mkdtemp(prefix="lineage-pg-"))
    data = folder / "data"
    port = _free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres", group="postgres")
    folder.chmod(0o700)

    subprocess.run(
        _as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                         "--auth=trust", "--no-sync"]),
        check=True, capture_output=True,
    )
    options = (f"-c listen_addresses=127.0.0.1 -c port={port} "
               f"-c unix_socket_directories={folder} -c fsync=off")
    subprocess.run(
        _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                         "-l", str(folder / "server.log"), "-w", "start"]),
        check=True, capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
