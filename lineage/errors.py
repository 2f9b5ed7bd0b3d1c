"""Exceptions raised by the lineage library.

Every error the library raises on purpose derives from `LineageError`, so a surface (CLI, app)
can catch that one class, print its message and exit without a traceback.
"""

from __future__ import annotations


class LineageError(Exception):
    """Base class for errors whose message is meant for the user."""


class InvalidURIError(LineageError, ValueError):
    """A string is not an S3 location in any form the tool understands."""


class InvalidARNError(LineageError, ValueError):
    """A string is not a well-formed ARN."""


class RecordingError(LineageError):
    """A recording file is missing, truncated, not JSON or not in the recording format."""


class NodeNotFoundError(LineageError, KeyError):
    """A node name or ARN does not match any node of the graph."""

    def __init__(self, query: str, suggestions: list[str] | None = None) -> None:
        self.query = query
        self.suggestions = suggestions or []
        message = f"no node matches {query!r}"
        if self.suggestions:
            message += "; did you mean: " + ", ".join(self.suggestions) + "?"
        else:
            message += ("; list node names with `lineage list` (add --kind KIND for one kind, "
                        "and the same --recording or --db)")
        super().__init__(message)

    def __str__(self) -> str:
        # KeyError.__str__ would repr() the message and wrap it in quotes.
        return str(self.args[0])


class StoreError(LineageError):
    """A store cannot be opened, read or written."""


class SearchError(LineageError, ValueError):
    """A search expression or its parameters are invalid."""
