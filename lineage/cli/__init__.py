"""The `lineage` command: crawl an account, query the lineage graph, run the app.

Exit codes are 0 for success and 1 when the command ran but found nothing: impact matched no
location, not even possibly, or crawl could read no record. Exit code 2 means invalid usage or
input, such as an unknown option or node, an invalid S3 location, or a missing or damaged
recording or store. Errors print one message on stderr, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from lineage import __version__
from lineage.cli.table import visible_lines
from lineage.errors import LineageError

logger = logging.getLogger(__name__)

# Command modules in the order of `lineage --help`. They are imported when the parser is built,
# not with this package: the app imports `lineage.cli.common`, and importing every command
# with it took 0.14 s of the app's cold start (`python -X importtime`, 2 CPUs).
_COMMANDS = ("crawl", "trace", "impact", "listing", "search", "regression", "app")
# Commands written separately may be absent; the others still work without them.
_OPTIONAL_COMMANDS = frozenset({"search", "regression"})

EXIT_OK = 0
EXIT_USAGE = 2

_EPILOG = """exit codes:
  0  success
  1  the command found nothing: impact matched no location (not even possibly),
     crawl could read no record, or regression found no earlier deployment to compare
  2  invalid usage or input: unknown option or node, invalid S3 location, missing or
     damaged recording or store
"""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with one subcommand per command module."""
    parser = argparse.ArgumentParser(
        prog="lineage",
        description="Explore the lineage of SageMaker endpoints, models, training jobs and "
                    "datasets. Query commands read the bundled sample account unless given "
                    "--recording FILE or --db PATH.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log progress to stderr (-vv for debug detail)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMANDS:
        module = _command_module(name)
        if module is not None:
            module.register(subparsers)
    return parser


def _command_module(name: str) -> ModuleType | None:
    """Import the module of command `name`; return None for an optional command not installed."""
    module_name = f"{__name__}.{name}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if name in _OPTIONAL_COMMANDS and err.name == module_name:
            return None
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `lineage` command with `argv` (default: sys.argv[1:]) and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)

    _configure_logging(args.verbose)
    try:
        return int(args.handler(args))
    except LineageError as err:
        # The message may span lines (a search syntax error points at a column with a caret
        # line), so line breaks stay and every other control character is escaped.
        sys.stderr.write(f"lineage {args.command}: error: {visible_lines(err)}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader of our output (such as `head`) went away; that is not an error.
        return EXIT_OK


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING
    if verbosity == 1:
        level = logging.INFO
    elif verbosity >= 2:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # botocore's debug log prints request headers, whose Authorization and
    # X-Amz-Security-Token carry the access key id and the session token.
    for name in _CREDENTIAL_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.INFO))


# Loggers of the AWS SDK whose DEBUG records contain credentials.
_CREDENTIAL_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")
