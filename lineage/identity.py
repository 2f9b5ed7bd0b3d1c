"""Canonical identity of S3 locations, ARNs and hyperparameter values.

Every module that compares an S3 location, an ARN or a hyperparameter goes through the functions
here, so that two spellings of one thing always meet in the graph and in queries.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import unquote, urlsplit

from lineage.errors import InvalidARNError, InvalidURIError

# Schemes that address S3 with the bucket as the host and the key verbatim (no percent-decoding):
# Hadoop's s3a/s3n connectors write the same bucket and key as s3://.
_VERBATIM_SCHEMES = ("s3", "s3a", "s3n")

# Host names of the S3 REST endpoints. Virtual-hosted style puts the bucket in front
# (bucket.s3.amazonaws.com, bucket.s3.us-east-1.amazonaws.com, bucket.s3-us-east-1.amazonaws.com,
# bucket.s3.dualstack.us-east-1.amazonaws.com); path style has no bucket in the host.
_S3_HOST = re.compile(
    r"^(?:(?P<bucket>.+)\.)?s3(?:[.-](?:dualstack\.)?(?P<region>[a-z0-9-]+))?"
    r"\.amazonaws\.com(?:\.cn)?$"
)


# Whitespace other than a space, dropped from both ends of a pasted location.
_PASTE_NOISE = "\t\n\r\f\v"


@dataclass(frozen=True, slots=True, order=True)
class S3Location:
    """A bucket and a key as S3 stores them: the key is decoded and never lower-cased."""

    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def without_trailing_slash(self) -> S3Location:
        return S3Location(self.bucket, self.key.rstrip("/"))

    def __str__(self) -> str:
        return self.uri


def parse_s3_uri(text: str) -> S3Location:
    """Parse any supported spelling of an S3 location into a bucket and a decoded key.

    Accepts s3://, s3a://, s3n:// (key taken verbatim, so `+` stays `+`) and the https forms of
    the S3 console and REST API, virtual-hosted or path style, global or regional (key
    percent-decoded, so `%2B` becomes `+` and `%20` a space). A trailing slash is kept because an
    S3Prefix is a key-name prefix; callers that compare artifacts strip it.

    Leading whitespace and surrounding line breaks or tabs (from a paste) are dropped, but a
    trailing space is kept because an S3 key may end with one.

    Raises InvalidURIError naming the text when it is none of these forms.
    """
    candidate = text.strip(_PASTE_NOISE).lstrip(" ")
    if not candidate.strip():
        raise InvalidURIError("empty S3 location; expected a URI such as s3://bucket/prefix/")

    scheme, separator, rest = candidate.partition("://")
    scheme = scheme.lower()
    if not separator:
        raise InvalidURIError(
            f"invalid S3 location {text!r}: expected s3://bucket/key or an https S3 URL"
        )

    if scheme in _VERBATIM_SCHEMES:
        bucket, _, key = rest.partition("/")
        if not bucket:
            raise InvalidURIError(f"invalid S3 location {text!r}: the bucket name is missing")
        return S3Location(bucket, key)

    if scheme in ("https", "http"):
        return _parse_https_s3_url(text, candidate)

    raise InvalidURIError(
        f"invalid S3 location {text!r}: unsupported scheme {scheme!r}; "
        "use s3://, s3a://, s3n:// or an https S3 URL"
    )


def _parse_https_s3_url(text: str, candidate: str) -> S3Location:
    parts = urlsplit(candidate)
    host = (parts.hostname or "").lower()
    match = _S3_HOST.match(host)
    if match is None:
        raise InvalidURIError(
            f"invalid S3 location {text!r}: host {host!r} is not an S3 endpoint "
            "(expected BUCKET.s3[.REGION].amazonaws.com or s3[.REGION].amazonaws.com/BUCKET)"
        )

    # unquote, not unquote_plus: in a URL path a literal "+" is a plus sign, not a space.
    path = unquote(parts.path.lstrip("/"))
    bucket = match.group("bucket")
    if bucket:
        return S3Location(bucket, path)

    bucket, _, key = path.partition("/")
    if not bucket:
        raise InvalidURIError(f"invalid S3 location {text!r}: the bucket name is missing")
    return S3Location(bucket, key)


def canonical_s3_uri(text: str) -> str:
    """Return the `s3://bucket/key` spelling of any supported S3 location."""
    return parse_s3_uri(text).uri


def artifact_uri(text: str) -> str:
    """Return the node id of a model artifact: its canonical URI without a trailing slash.

    A training job reports an uncompressed artifact as `.../output/model` while the model that
    loads it names the prefix `.../output/model/`, so artifacts compare without the slash.
    Line breaks and tabs left at the end once the slash is gone are dropped as well, because
    `parse_s3_uri` drops them from the end of any text and the id must parse back to itself.
    """
    location = parse_s3_uri(text)
    return S3Location(location.bucket, location.key.rstrip(_ARTIFACT_TRAILING)).uri


# Characters `artifact_uri` removes from the end of a key: slashes and the paste noise that
# `parse_s3_uri` strips from the end of its input.
_ARTIFACT_TRAILING = "/" + _PASTE_NOISE


class MatchKind(str, Enum):
    """The relation between a queried S3 location and a location recorded in the graph."""

    EXACT = "exact"
    # The recorded location is a key-name prefix that covers what was queried.
    RECORDED_COVERS_QUERY = "covers query"
    # The queried prefix covers the recorded location.
    QUERY_COVERS_RECORDED = "within query"


def match_s3(query: S3Location, recorded: S3Location, recorded_is_prefix: bool) -> MatchKind | None:
    """Return how `recorded` matches `query`, or None when neither covers the other.

    Prefixes are key-name prefixes, compared with a plain `startswith` (no slash added):
    `s3://b/data/train` covers `s3://b/data/train_v2/x.csv`, as SageMaker reads it. A location
    that is not a prefix (a single object or a manifest) can only be equal to or within the query.
    """
    if query.bucket != recorded.bucket:
        return None
    if query.key.rstrip("/") == recorded.key.rstrip("/"):
        return MatchKind.EXACT
    if recorded.key.startswith(query.key):
        return MatchKind.QUERY_COVERS_RECORDED
    if recorded_is_prefix and query.key.startswith(recorded.key):
        return MatchKind.RECORDED_COVERS_QUERY
    return None


# --- ARNs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ARN:
    """The parts of an ARN; `resource_id` keeps the spelling it was given."""

    partition: str
    service: str
    region: str
    account: str
    resource_type: str
    resource_id: str

    @property
    def text(self) -> str:
        return (
            f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:"
            f"{self.resource_type}/{self.resource_id}"
        )


def parse_arn(text: str) -> ARN:
    """Split an ARN of the form `arn:PARTITION:SERVICE:REGION:ACCOUNT:TYPE/ID`.

    Raises InvalidARNError naming the text when it has fewer than six colon-separated fields.
    """
    fields = text.strip().split(":", 5)
    if len(fields) != 6 or fields[0] != "arn":
        raise InvalidARNError(
            f"invalid ARN {text!r}: expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE"
        )
    _, partition, service, region, account, resource = fields
    resource_type, slash, resource_id = resource.partition("/")
    if not slash:
        resource_type, _, resource_id = resource.partition(":")
    return ARN(partition, service, region, account, resource_type, resource_id)


def is_arn(text: str) -> bool:
    return text.startswith("arn:") and text.count(":") >= 5


def arn_key(text: str) -> str:
    """Return the comparison key of an ARN: the resource id lower-cased, the rest as given.

    SageMaker names are unique without regard to case and some list calls return them
    lower-cased, so two ARNs that differ only in the case of the name are one resource.
    """
    arn = parse_arn(text)
    return (
        f"arn:{arn.partition}:{arn.service}:{arn.region}:{arn.account}:"
        f"{arn.resource_type}/{arn.resource_id.lower()}"
    )


def sagemaker_arn(resource_type: str, name: str, region: str, account: str) -> str:
    """Build the ARN SageMaker gives a resource of this type and name."""
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    return f"arn:{partition}:sagemaker:{region}:{account}:{resource_type}/{name}"


def name_from_arn(text: str) -> str:
    """Return the resource name of a SageMaker ARN, or the text itself when it is a plain name."""
    if not is_arn(text):
        return text
    return parse_arn(text).resource_id


# --- Hyperparameters ------------------------------------------------------------------------


def decode_hyperparameter(raw: str) -> str:
    """Return a hyperparameter value without the JSON string quoting the SageMaker SDK adds.

    Since SDK 2.110 every value is sent JSON-encoded, so `"\\"0.1\\""` and `"0.1"` are the same
    setting. Only one layer of JSON string quoting is removed; anything else stays as it was.
    """
    text = raw.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            decoded = json.loads(text)
        except ValueError:
            return raw
        if isinstance(decoded, str):
            return decoded
    return raw


def hyperparameter_number(raw: str) -> float | None:
    """Return the decoded value as a number, or None when it is not numeric."""
    text = decode_hyperparameter(raw).strip()
    # float() accepts digit separators ("1_000"), which no JSON or API number uses.
    if "_" in text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return value


# Hyperparameters that the SageMaker SDK and frameworks add for their own use.
FRAMEWORK_HYPERPARAMETER_PREFIX = "sagemaker_"


def is_framework_hyperparameter(name: str) -> bool:
    return name.startswith(FRAMEWORK_HYPERPARAMETER_PREFIX) or name.startswith("_")
