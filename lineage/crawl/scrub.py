"""Replace account ids, bucket names and IAM role names in a recording before it is shared.

The replacement is consistent within one document. Every spelling of one account, bucket or
role becomes the same stand-in everywhere: ARNs, ECR registry hosts, S3 URIs in any form and
bucket names that embed the account id. So a scrubbed recording crawls into the same graph.
Names of SageMaker resources, S3 keys and tags stay as they are; they may still need a review.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# An account id inside an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:`) or an ECR registry host.
_ARN_ACCOUNT = re.compile(r"arn:[\w-]+:[\w-]*:[\w-]*:(\d{12}):")
_ECR_ACCOUNT = re.compile(r"(?<!\d)(\d{12})\.dkr\.ecr\.")
_ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")

# Buckets in s3://, s3a://, s3n:// URIs, virtual-hosted and path-style https URLs.
_S3_URI_BUCKET = re.compile(r"(?P<prefix>\bs3[an]?://)(?P<bucket>[^/\s\"']+)")
_HTTPS_HOST_BUCKET = re.compile(
    r"(?P<prefix>https?://)(?P<bucket>[a-z0-9][a-z0-9.\-]*?)"
    r"(?P<suffix>\.s3[.\-][a-z0-9.\-]*amazonaws\.com)"
)
_HTTPS_PATH_BUCKET = re.compile(
    r"(?P<prefix>https?://s3(?:[.\-][a-z0-9\-]+)*\.amazonaws\.com/)(?P<bucket>[^/\s\"'?]+)"
)

# arn:aws:iam::ACCOUNT:role/optional/path/NAME
_ROLE = re.compile(
    r"(?P<prefix>arn:[\w-]+:iam::\d{12}:role/(?:[\w+=,.@-]+/)*)(?P<role>[\w+=,.@-]+)"
)


@dataclass
class Scrubber:
    """Stand-ins chosen so far; one instance keeps them consistent across documents."""

    accounts: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)

    def scrub(self, document: Any) -> Any:
        """Return a copy of `document` with accounts, buckets and roles replaced."""
        if isinstance(document, dict) and isinstance(document.get("account"), str):
            self._stand_in(self.accounts, document["account"], "account")
        for text in _strings(document):
            self._discover(text)
        return _map_strings(document, self._replace)

    def _discover(self, text: str) -> None:
        for pattern in (_ARN_ACCOUNT, _ECR_ACCOUNT):
            for match in pattern.finditer(text):
                self._stand_in(self.accounts, match.group(1), "account")
        for pattern in (_S3_URI_BUCKET, _HTTPS_HOST_BUCKET, _HTTPS_PATH_BUCKET):
            for match in pattern.finditer(text):
                self._stand_in(self.buckets, match.group("bucket"), "bucket")
        for match in _ROLE.finditer(text):
            self._stand_in(self.roles, match.group("role"), "role")

    def _stand_in(self, table: dict[str, str], value: str, what: str) -> str:
        if value not in table:
            number = len(table) + 1
            if what == "account":
                table[value] = f"{number:012d}"
            else:
                table[value] = f"scrubbed-{what}-{number}"
        return table[value]

    def _replace(self, text: str) -> str:
        # Buckets go first because a bucket name such as sagemaker-us-east-1-111122223333
        # contains an account id. It is replaced whole before the account pass sees it.
        for pattern in (_S3_URI_BUCKET, _HTTPS_HOST_BUCKET, _HTTPS_PATH_BUCKET):
            text = pattern.sub(self._bucket_substitute, text)
        text = _ROLE.sub(
            lambda match: match.group("prefix") + self.roles.get(match.group("role"), "role"),
            text,
        )
        return _ACCOUNT_ID.sub(
            lambda match: self.accounts.get(match.group(0), match.group(0)), text
        )

    def _bucket_substitute(self, match: re.Match[str]) -> str:
        bucket = self.buckets.get(match.group("bucket"), match.group("bucket"))
        suffix = match.groupdict().get("suffix") or ""
        return match.group("prefix") + bucket + suffix


def scrub(document: Any) -> Any:
    """Return a copy of a recording with account ids, bucket names and role names replaced."""
    return Scrubber().scrub(document)


def _strings(value: Any) -> list[str]:
    found: list[str] = []

    def collect(text: str) -> str:
        found.append(text)
        return text

    _map_strings(value, collect)
    return found


def _map_strings(value: Any, function: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {key: _map_strings(item, function) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, function) for item in value]
    if isinstance(value, str):
        return function(value)
    return value
