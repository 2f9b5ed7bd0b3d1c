"""Create the boto3 SageMaker client the crawler reads through."""

from __future__ import annotations

import logging
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, NoRegionError, ProfileNotFound

from lineage.errors import LineageError

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10
READ_TIMEOUT_SECONDS = 60


class ClientSetupError(LineageError):
    """A SageMaker client cannot be created from the given profile, region or endpoint."""


def make_client(
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    *,
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
    read_timeout: float = READ_TIMEOUT_SECONDS,
) -> Any:
    """Return a boto3 SageMaker client for the crawler.

    botocore's own retries are switched off (one attempt per call) because the crawler retries
    with its own backoff and counts every attempt. Two retry layers would multiply the attempts
    and hide throttling from the report. Timeouts are in seconds. `endpoint_url` points the
    client at another server, such as a local mock. Raises ClientSetupError when the profile
    does not exist or no region is configured.
    """
    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as err:
        raise ClientSetupError(
            f"AWS profile {profile!r} not found; list profiles with `aws configure list-profiles`"
        ) from err

    # botocore's "max_attempts" counts retries after the first request, so {"max_attempts": 1}
    # still sends two requests; "total_max_attempts" counts the first one too.
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        user_agent_extra="sagemaker-lineage",
    )
    try:
        client = session.client("sagemaker", endpoint_url=endpoint_url, config=config)
    except NoRegionError as err:
        raise ClientSetupError(
            "no AWS region configured; pass a region (for example us-east-1) or set AWS_REGION"
        ) from err
    except (BotoCoreError, ValueError) as err:
        raise ClientSetupError(f"cannot create a SageMaker client: {err}") from err

    logger.info(
        "SageMaker client for region %s%s",
        client.meta.region_name,
        f" at {endpoint_url}" if endpoint_url else "",
    )
    return client
