"""Pieces shared by the queries: node references, placeholder detection, JSON-safe values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from lineage.crawl.result import PlaceholderStatus
from lineage.graph import LineageGraph, NodeKind

_PLACEHOLDER_STATUSES = {status.value for status in PlaceholderStatus}


@dataclass(frozen=True, slots=True)
class NodeRef:
    """A node as queries report it: id, kind, display label and, for placeholders, why."""

    id: str
    kind: str
    label: str
    status: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"id": self.id, "kind": self.kind, "label": self.label}
        if self.status is not None:
            result["status"] = self.status
        if self.reason is not None:
            result["reason"] = self.reason
        return result


def node_ref(graph: LineageGraph, node_id: str) -> NodeRef:
    """Return a NodeRef for a node of the graph, with status and reason for placeholders."""
    attrs = graph.brief(node_id)
    status = placeholder_status(attrs)
    return NodeRef(
        id=node_id,
        kind=NodeKind(attrs["kind"]).value,
        label=str(attrs.get("label") or node_id),
        status=status,
        reason=attrs.get("reason") if status else None,
    )


def placeholder_status(attrs: Mapping[str, Any]) -> str | None:
    """Return why a node has no full record, or None for a node read in full.

    Endpoints and jobs also have a `status` attribute (InService, Completed), so only an
    external node or a status from PlaceholderStatus marks a placeholder.
    """
    status = attrs.get("status")
    if isinstance(status, PlaceholderStatus):
        return status.value
    if isinstance(status, str) and status in _PLACEHOLDER_STATUSES:
        return status
    if attrs.get("kind") == NodeKind.EXTERNAL:
        return str(status) if status else "external"
    return None


def jsonable(value: Any) -> Any:
    """Return a copy of a value that `json.dumps` accepts: enums by value, datetimes as ISO."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(jsonable(key)): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(item) for item in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    return value
