"""Aligned plain-text tables for the CLI, with control characters made visible."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

# Unicode categories printed as escapes: controls (Cc), format characters such as bidi
# overrides and zero-width spaces (Cf), and line or paragraph separators (Zl, Zp).
_HIDDEN_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")


def visible(value: Any) -> str:
    """Return `value` as text in which control and invisible characters appear as escapes.

    Resource names, tags and failure reasons come from the account, so a name containing an
    ANSI escape or a newline must not move the cursor or forge table rows.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():
        return text
    return "".join(_escape(char) for char in text)


def visible_lines(value: Any) -> str:
    """Return `value` like `visible()`, but keep its line breaks ("\\n") as line breaks.

    For the tool's own multi-line messages, such as a search syntax error with a caret line
    under the expression. Values quoted with repr() inside the message have their own line
    breaks escaped already; any other control character is still escaped.
    """
    return "\n".join(visible(line) for line in str(value).split("\n"))


def _escape(char: str) -> str:
    if unicodedata.category(char) not in _HIDDEN_CATEGORIES:
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Return rows under headers, each column padded to its widest cell, without a trailing
    newline. Headers and cells pass through `visible()`, because a header can be data too (a
    metric name); None prints as an empty cell.
    """
    headers = [visible(header) for header in headers]
    cells = [[visible(cell) for cell in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in cells:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))

    lines = [_line(headers, widths), _line(["-" * width for width in widths], widths)]
    lines += [_line(row, widths) for row in cells]
    return "\n".join(lines)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
