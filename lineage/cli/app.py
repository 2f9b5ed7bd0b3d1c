"""`lineage app`: run the Streamlit explorer on 127.0.0.1."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

from lineage.errors import LineageError

APP_SCRIPT = Path(__file__).resolve().parents[2] / "ui" / "app.py"
DEFAULT_PORT = 8501


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "app",
        help="open the Streamlit explorer",
        description="Run the Streamlit explorer. It listens on 127.0.0.1 unless --address "
                    "sets another address, and reads the sample account unless given "
                    "--recording or --db.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"TCP port of the web server (default: {DEFAULT_PORT})")
    parser.add_argument("--address", default="127.0.0.1",
                        help="address the web server listens on (default: 127.0.0.1)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--recording", metavar="FILE", help="explore this recording")
    source.add_argument("--db", metavar="PATH", help="explore the newest snapshot of this store")
    parser.set_defaults(handler=run)


def streamlit_command(args: argparse.Namespace, script: Path = APP_SCRIPT) -> list[str]:
    """Return the `streamlit run` command line; source options follow `--` for the app."""
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.headless", "true",
        "--server.address", args.address,
        "--server.port", str(args.port),
        "--browser.gatherUsageStats", "false",
    ]
    app_args: list[str] = []
    if args.recording:
        app_args += ["--recording", str(Path(args.recording).resolve())]
    if args.db:
        app_args += ["--db", str(Path(args.db).expanduser().resolve())]
    if app_args:
        command += ["--", *app_args]
    return command


def run(args: argparse.Namespace) -> int:
    if not APP_SCRIPT.is_file():
        raise LineageError(f"the Streamlit app {APP_SCRIPT} is missing; run `lineage app` from "
                           "a source checkout or reinstall the package")
    if not 0 < args.port < 65536:
        raise LineageError(f"invalid port {args.port}; expected a number from 1 to 65535")
    sys.stderr.write(f"Starting the explorer at http://{args.address}:{args.port}\n")
    try:
        return subprocess.call(streamlit_command(args))
    except KeyboardInterrupt:
        return 0
