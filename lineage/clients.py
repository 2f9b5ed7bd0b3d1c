"""Create the boto3 SageMaker clients the crawler reads through, one per account and region.

A client reads with a profile's credentials, or with a role assumed through STS. Assumed-role
credentials are botocore `RefreshableCredentials`, so botocore fetches new ones before they
expire (botocore refreshes 15 minutes before expiry, and blocks for it at 10 minutes).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError, NoRegionError, ProfileNotFound

from lineage.errors import LineageError

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 60
ROLE_SESSION_SECONDS = 3600
SESSION_NAME_PREFIX = "sagemaker-lineage"
# IAM role ARNs: arn:<partition>:iam::<12-digit account>:role/<path and name>.
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+$")


class ClientSetupError(LineageError):
    """A SageMaker client cannot be created from the given profile, region or endpoint."""


def make_client(
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    *,
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
    read_timeout: float = READ_TIMEOUT_SECONDS,
    role_arn: str | None = None,
    sts_client: Any = None,
    service: str = "sagemaker",
) -> Any:
    """Return a boto3 SageMaker client (or a client of `service`, such as "cloudtrail") for
    the crawler.

    botocore's own retries are switched off (one attempt per call) because the crawler retries
    with its own backoff and counts every attempt. Two retry layers would multiply the attempts
    and hide throttling from the report. Timeouts are in seconds. `endpoint_url` points the
    client at another server, such as a local mock. With `role_arn`, the client reads with
    that role, assumed through `sts_client` (default: an STS client of the profile's session).
    Raises ClientSetupError when the profile does not exist, the role ARN is invalid or no
    region is configured.
    """
    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as err:
        raise ClientSetupError(
            f"AWS profile {profile!r} not found; list profiles with `aws configure list-profiles`"
        ) from err
    if role_arn is not None:
        session = assume_role_session(session, role_arn, sts_client=sts_client)

    # botocore's "max_attempts" counts retries after the first request, so {"max_attempts": 1}
    # still sends two requests; "total_max_attempts" counts the first one too.
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        user_agent_extra="sagemaker-lineage",
    )
    try:
        client = session.client(service, endpoint_url=endpoint_url, config=config)
    except NoRegionError as err:
        raise ClientSetupError(
            "no AWS region configured; pass a region (for example us-east-1) or set AWS_REGION"
        ) from err
    except (BotoCoreError, ValueError) as err:
        raise ClientSetupError(f"cannot create a {service} client: {err}") from err

    logger.info(
        "%s client for region %s%s",
        service,
        client.meta.region_name,
        f" at {endpoint_url}" if endpoint_url else "",
    )
    return client


def role_account(role_arn: str) -> str:
    """Return the account id of an IAM role ARN; raise ClientSetupError when it is invalid."""
    match = _ROLE_ARN.match(role_arn)
    if match is None:
        raise ClientSetupError(
            f"invalid role ARN {role_arn!r}; expected arn:aws:iam::<12-digit account>:role/<name>"
        )
    return match.group(1)


def session_name() -> str:
    """Return an STS role session name that says who assumed the role, and when."""
    return f"{SESSION_NAME_PREFIX}-{int(time.time())}"


def assume_role_session(
    base: boto3.session.Session,
    role_arn: str,
    *,
    sts_client: Any = None,
    duration_seconds: int = ROLE_SESSION_SECONDS,
) -> boto3.session.Session:
    """Return a session whose credentials come from assuming `role_arn` with `base`.

    The credentials are RefreshableCredentials: each refresh calls sts:AssumeRole again with a
    new session name. `sts_client` replaces the STS client made from `base`, for tests with a
    botocore Stubber.
    """
    role_account(role_arn)
    sts = sts_client if sts_client is not None else base.client("sts")
    fetch = _assume_role_fetcher(sts, role_arn, duration_seconds)
    try:
        credentials = RefreshableCredentials.create_from_metadata(
            metadata=fetch(), refresh_using=fetch, method="assume-role"
        )
    except ClientError as err:
        raise ClientSetupError(
            f"cannot assume role {role_arn}: {err}; check that the role trusts your identity "
            "and that you may call sts:AssumeRole on it"
        ) from err

    botocore_session = botocore.session.get_session()
    resolver = botocore_session.get_component("credential_provider")
    resolver.insert_before("env", _FixedProvider(credentials))
    return boto3.session.Session(botocore_session=botocore_session, region_name=base.region_name)


def _assume_role_fetcher(
    sts: Any, role_arn: str, duration_seconds: int
) -> Callable[[], dict[str, str]]:
    def fetch() -> dict[str, str]:
        name = session_name()
        logger.info("assuming role %s as session %s", role_arn, name)
        response = sts.assume_role(RoleArn=role_arn, RoleSessionName=name,
                                   DurationSeconds=duration_seconds)
        issued = response["Credentials"]
        return {
            "access_key": issued["AccessKeyId"],
            "secret_key": issued["SecretAccessKey"],
            "token": issued["SessionToken"],
            "expiry_time": issued["Expiration"].isoformat(),
        }

    return fetch


class _FixedProvider(CredentialProvider):
    """A credential provider that returns credentials made elsewhere (an assumed role)."""

    METHOD = "assume-role"
    CANONICAL_NAME = "lineage-assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


class RefreshingClient:
    """A client that delegates to `factory()`'s client and can replace it with a new one.

    A wrapper that must stay the same object while credentials change (such as the recording
    writer of `lineage crawl --record`) wraps this instead of the boto3 client.
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._client = factory()

    @property
    def meta(self) -> Any:
        return self._client.meta

    def refresh(self) -> RefreshingClient:
        """Replace the client with a new one from the factory and return self."""
        self._client = self._factory()
        return self

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._client, name)
