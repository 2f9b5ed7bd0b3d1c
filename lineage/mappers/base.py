"""Fragments: what one mapper returns for one record, plus the helpers every mapper shares.

A mapper turns one API record (a Search result's inner record or a Describe response) into node
specs and edge specs. An edge end is either a node id the mapper computes itself (an S3 URI, an
image URI, the record's own id) or a `Ref` to another SageMaker resource by kind and name or ARN.
The builder resolves each `Ref` after every fragment is in. Mappers never see a client or the
graph, so they are tested on plain dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lineage.crawl.result import RECORD_META
from lineage.errors import InvalidARNError, InvalidURIError, LineageError
from lineage.graph import NodeKind, Relation
from lineage.identity import (
    artifact_uri,
    canonical_s3_uri,
    is_arn,
    name_from_arn,
    parse_arn,
    parse_s3_uri,
    sagemaker_arn,
)


class MalformedRecordError(LineageError, ValueError):
    """A record lacks the fields needed to identify it, or a field has the wrong type."""


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to a SageMaker resource that another record may describe.

    `account` and `region` are those of the referencing record; the builder uses them to build
    an ARN for a placeholder and to tell a reference into another account.
    """

    kind: NodeKind
    arn_type: str
    name: str | None = None
    arn: str | None = None
    account: str | None = None
    region: str | None = None

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.arn:
            return name_from_arn(self.arn)
        return "?"


@dataclass(slots=True)
class NodeSpec:
    id: str
    kind: NodeKind
    label: str
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class EdgeSpec:
    source: str | Ref
    target: str | Ref
    relation: Relation
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Fragment:
    """The nodes and edges of one record, plus warnings about parts of it that were skipped."""

    nodes: list[NodeSpec] = field(default_factory=list)
    edges: list[EdgeSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def node(self, node_id: str, kind: NodeKind, label: str, **attrs: Any) -> str:
        self.nodes.append(NodeSpec(node_id, kind, label, attrs))
        return node_id

    def edge(
        self, source: str | Ref, target: str | Ref, relation: Relation, **attrs: Any
    ) -> None:
        self.edges.append(EdgeSpec(source, target, relation, attrs))


@dataclass(frozen=True, slots=True)
class Identity:
    """The identity of a record: its node id, name, ARN (when known), account and region."""

    id: str
    name: str
    arn: str | None
    account: str | None
    region: str | None

    def ref(self, kind: NodeKind, arn_type: str, name: str | None = None,
            arn: str | None = None) -> Ref:
        """Return a reference from this record to another resource."""
        return Ref(kind, arn_type, name=name, arn=arn, account=self.account, region=self.region)


# --- reading fields defensively ---------------------------------------------------------------


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(mapping: Mapping[str, Any], key: str) -> str | None:
    """Return a non-empty string field, or None when it is missing, empty or not a string."""
    value = mapping.get(key)
    if isinstance(value, str) and value.strip():
        return value
    return None


def number(mapping: Mapping[str, Any], key: str) -> float | None:
    value = mapping.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def record_meta(record: Mapping[str, Any]) -> dict[str, Any]:
    return as_dict(record.get(RECORD_META))


def identify(
    record: Any, *, kind_label: str, arn_type: str, name_key: str, arn_key_name: str,
    name: str | None = None,
) -> Identity:
    """Return the identity of a record; the node id is its ARN when known.

    The ARN comes from the record, or is built from the account and region the crawler stored
    in the record's metadata. Without either, the id is `<arn-type>:<name>`.

    Raises MalformedRecordError when the record is not a dict or has neither name nor ARN.
    """
    if not isinstance(record, dict):
        raise MalformedRecordError(
            f"{kind_label} record is a {type(record).__name__}, expected a dict from the API"
        )
    meta = record_meta(record)
    arn = text(record, arn_key_name)
    if arn is not None and not is_arn(arn):
        arn = None
    name = name or text(record, name_key)
    # Some fields that carry a name also accept an ARN (ModelPackageName does).
    if name is not None and is_arn(name):
        arn = arn or name
        name = name_from_arn(name)
    name = name or (name_from_arn(arn) if arn else None)
    if not name:
        raise MalformedRecordError(
            f"{kind_label} record has neither {name_key} nor {arn_key_name}; "
            f"present keys: {sorted(k for k in record if k != RECORD_META)}"
        )

    account = meta.get("account") if isinstance(meta.get("account"), str) else None
    region = meta.get("region") if isinstance(meta.get("region"), str) else None
    if arn is not None:
        parsed = parse_arn(arn)
        account, region = parsed.account or account, parsed.region or region
    elif account and region:
        arn = sagemaker_arn(arn_type, name, region, account)

    node_id = arn if arn is not None else f"{arn_type}:{name}"
    return Identity(node_id, name, arn, account, region)


def resource_ref(
    identity: Identity, kind: NodeKind, arn_type: str, value: str | None
) -> Ref | None:
    """Return a reference from a name-or-ARN field value, or None when the value is empty."""
    if not value:
        return None
    if is_arn(value):
        try:
            parse_arn(value)
        except InvalidARNError:
            return identity.ref(kind, arn_type, name=value)
        return identity.ref(kind, arn_type, name=name_from_arn(value), arn=value)
    return identity.ref(kind, arn_type, name=value)


def tags_of(record: Mapping[str, Any]) -> dict[str, str]:
    """Return the `Tags` list of a Search record as a dict (Describe responses have none)."""
    tags: dict[str, str] = {}
    for tag in as_list(record.get("Tags")):
        tag = as_dict(tag)
        key = text(tag, "Key")
        if key is not None:
            value = tag.get("Value")
            tags[key] = value if isinstance(value, str) else ""
    return tags


# --- S3 nodes -----------------------------------------------------------------------------------


def _short_label(uri: str, segments: int) -> str:
    scheme, _, rest = uri.partition("://")
    trailing = "/" if rest.endswith("/") else ""
    parts = [part for part in rest.rstrip("/").split("/") if part]
    if len(parts) <= segments:
        return uri
    return "/".join(parts[-segments:]) + trailing


def dataset_node(
    fragment: Fragment, uri: str, data_type: str | None, *, where: str,
    is_prefix: bool | None = None, **attrs: Any,
) -> str | None:
    """Add a dataset node for an S3 location and return its id, or None (with a warning).

    The id is the canonical `s3://bucket/key` with any trailing slash kept, because an S3Prefix
    is a key-name prefix and `data/train` also covers `data/train_v2/`.
    """
    try:
        node_id = canonical_s3_uri(uri)
    except InvalidURIError as err:
        fragment.warnings.append(f"{where}: {err}")
        return None
    if is_prefix is None:
        is_prefix = data_type in (None, "S3Prefix")
    return fragment.node(
        node_id, NodeKind.DATASET, _short_label(node_id, 2),
        uri=node_id, data_type=data_type, is_prefix=is_prefix, **attrs,
    )


def artifact_node(
    fragment: Fragment, uri: str, *, where: str, compressed: bool | None = None,
    is_prefix: bool = False,
) -> str | None:
    """Add a model-artifact node and return its id, or None (with a warning).

    The id has no trailing slash, so a model's `.../output/model/` prefix and the training job's
    `.../output/model` are one node.
    """
    try:
        node_id = artifact_uri(uri)
        bucket_and_key = parse_s3_uri(uri)
    except InvalidURIError as err:
        fragment.warnings.append(f"{where}: {err}")
        return None
    if compressed is None and bucket_and_key.key.endswith((".tar.gz", ".tgz")):
        compressed = True
    return fragment.node(
        node_id, NodeKind.ARTIFACT, _short_label(node_id, 3),
        uri=node_id, compressed=compressed, is_prefix=is_prefix,
    )


def image_node(fragment: Fragment, image: str, **attrs: Any) -> str:
    """Add a container-image or algorithm node; its id is the URI or ARN as given."""
    label = image.rsplit("/", 1)[-1] if not is_arn(image) else name_from_arn(image)
    return fragment.node(image, NodeKind.IMAGE, label, uri=image, **attrs)


def compression_flag(value: Any) -> bool | None:
    """Map a CompressionType (`None`, `NONE`, `Gzip`, `GZIP`) to compressed True/False."""
    if not isinstance(value, str):
        return None
    return value.lower() != "none"
