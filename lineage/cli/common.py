"""Options and output helpers shared by the query commands."""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from typing import Any, TextIO

from lineage.cli.table import _HIDDEN_CATEGORIES, visible
from lineage.source import Loaded, load


def add_source_options(
    parser: argparse.ArgumentParser,
    json_help: str = 'print JSON with "nodes" and "edges" instead of tables',
) -> None:
    """Add --recording, --db and --json to a query command."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--recording", metavar="FILE",
                        help="crawl this recording in memory instead of reading the sample data")
    source.add_argument("--db", metavar="PATH",
                        help="read the newest snapshot of this store (written by `lineage crawl`)")
    parser.add_argument("--json", action="store_true", help=json_help)


def load_source(args: argparse.Namespace) -> Loaded:
    """Load the graph named by --recording or --db, or the sample account without either."""
    return load(recording=args.recording, db=args.db)


def print_json(data: Any, out: TextIO | None = None) -> None:
    """Print `data` as indented JSON; non-ASCII text stays readable, controls are escaped.

    json.dumps escapes only C0 controls, so bidi overrides, zero-width characters and line
    separators are escaped here too: raw, they would reorder or hide text on a terminal.
    """
    stream = out or sys.stdout
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    if not text.isascii():
        text = "".join(_json_visible(char) for char in text)
    stream.write(text + "\n")


def _json_visible(char: str) -> str:
    # Outside strings JSON has only ASCII, so a non-ASCII character is inside a string, where
    # its JSON escape (a surrogate pair above U+FFFF) means the same character.
    if char <= "~" or unicodedata.category(char) not in _HIDDEN_CATEGORIES:
        return char
    return json.dumps(char)[1:-1]


def section(title: str, out: TextIO | None = None) -> None:
    """Print a blank line and a section title."""
    stream = out or sys.stdout
    stream.write(f"\n{visible(title)}\n")


def say(text: str, out: TextIO | None = None) -> None:
    """Print one line of text with control characters made visible."""
    stream = out or sys.stdout
    stream.write(visible(text) + "\n")


def emit(block: str, out: TextIO | None = None) -> None:
    """Print text that is already safe, such as a table from `format_table`, as it is."""
    stream = out or sys.stdout
    stream.write(block + "\n")


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """Return "1 record" or "2 records": the count with the noun in the matching number.

    `plural` defaults to `noun` + "s"; give it for other forms, such as "retries".
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def ref_text(ref: Any) -> str:
    """Return a node reference's label, with its placeholder status when it has one."""
    if ref is None:
        return ""
    return f"{ref.label} ({ref.status})" if ref.status else str(ref.label)
