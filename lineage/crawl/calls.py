"""Call SageMaker operations with retries and read paginated listings.

Every API call of the crawler goes through `Caller.call`. It counts each attempt in the crawl
report and retries throttling, server errors and timeouts with exponential backoff and jitter.
It turns the final error into a `CallFailure` with a `FailureKind` the crawler can act on.
Before each attempt it waits for the account-region's shared `RateLimiter`, when it has one,
and it stops sending calls once the crawl's `Budget` runs out. `paginate` is the one loop over
`NextToken` for every list and search operation.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

from lineage.crawl.ratelimit import RateLimiter
from lineage.crawl.result import CrawlReport

logger = logging.getLogger(__name__)

THROTTLING_CODES = frozenset({
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
})
SERVER_ERROR_CODES = frozenset({
    "InternalFailure",
    "InternalServerError",
    "InternalError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
})
DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied"})
UNSUPPORTED_CODES = frozenset({"UnknownOperation", "UnknownOperationException", "InvalidAction"})
NOT_FOUND_CODES = frozenset({"ResourceNotFound", "ResourceNotFoundException"})
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})

# SageMaker Describe* calls report a missing resource as ValidationException with one of these
# phrases ("Could not find model ...", "Requested resource not found.", "... does not exist.").
_NOT_FOUND_MESSAGE = re.compile(r"could not find|not found|does not exist", re.IGNORECASE)

_TIMEOUT_ERRORS = (
    ConnectTimeoutError,
    ReadTimeoutError,
    EndpointConnectionError,
    ConnectionClosedError,
)

DEFAULT_PAGE_SIZE = 100


class FailureKind(str, Enum):
    """Why a call failed, in the terms the crawler decides on."""

    NOT_FOUND = "not found"
    DENIED = "access denied"
    THROTTLED = "throttled"
    UNAVAILABLE = "server error or timeout"
    UNSUPPORTED = "operation not supported"
    INVALID = "invalid request"
    EXPIRED = "credentials expired"
    OUT_OF_BUDGET = "crawl budget ran out"
    OTHER = "error"

    @property
    def retryable(self) -> bool:
        return self in (FailureKind.THROTTLED, FailureKind.UNAVAILABLE)


class CallFailure(Exception):
    """An API call that failed for good (after retries, when the error was retryable)."""

    def __init__(
        self, operation: str, kind: FailureKind, code: str, message: str, attempts: int
    ) -> None:
        self.operation = operation
        self.kind = kind
        self.code = code
        self.message = message
        self.attempts = attempts
        super().__init__(f"{operation} failed with {code}: {message}")


def error_code(err: Exception) -> str:
    """Return the AWS error code of a ClientError, or the exception class name otherwise."""
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Code", "Unknown"))
    return type(err).__name__


def error_message(err: Exception) -> str:
    if isinstance(err, ClientError):
        return str(err.response.get("Error", {}).get("Message", ""))
    return str(err)


def classify_error(err: Exception) -> FailureKind:
    """Sort a botocore exception into the failure kinds the crawler handles differently."""
    if isinstance(err, _TIMEOUT_ERRORS):
        return FailureKind.UNAVAILABLE
    if isinstance(err, ParamValidationError):
        # The installed botocore does not know a parameter or operation the crawler sends.
        return FailureKind.UNSUPPORTED
    if not isinstance(err, ClientError):
        return FailureKind.OTHER

    code = error_code(err)
    status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in THROTTLING_CODES:
        return FailureKind.THROTTLED
    if code in SERVER_ERROR_CODES or status >= 500:
        return FailureKind.UNAVAILABLE
    if code in DENIED_CODES:
        return FailureKind.DENIED
    if code in UNSUPPORTED_CODES:
        return FailureKind.UNSUPPORTED
    if code in NOT_FOUND_CODES:
        return FailureKind.NOT_FOUND
    if code in EXPIRED_CODES:
        return FailureKind.EXPIRED
    if code == "ValidationException":
        if _NOT_FOUND_MESSAGE.search(error_message(err)):
            return FailureKind.NOT_FOUND
        return FailureKind.INVALID
    return FailureKind.OTHER


@dataclass
class Budget:
    """Limits of one crawl: pages per listing and a deadline on the monotonic clock.

    When the deadline passes, calls are no longer sent. A listing that reaches `max_pages`
    stops before its next page. The crawl keeps what it read and reports itself as partial.
    """

    max_pages: int | None = None
    deadline: float | None = None
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def of(cls, max_pages: int | None = None, max_seconds: float | None = None) -> Budget:
        """Return a budget of `max_pages` per listing and `max_seconds` from now.

        None means no limit.
        """
        deadline = time.monotonic() + max_seconds if max_seconds is not None else None
        return cls(max_pages=max_pages, deadline=deadline)

    def out_of_time(self) -> bool:
        return self.deadline is not None and self.clock() >= self.deadline

    def pages_left(self, pages_read: int) -> bool:
        return self.max_pages is None or pages_read < self.max_pages


@dataclass
class Caller:
    """Send API calls through one client, with retries, counting every attempt in `report`.

    A retry re-sends the same arguments, so a retried page keeps its NextToken. The delay before
    retry n (n = 1, 2, ...) is drawn from [d/2, d] with d = min(max_delay, base_delay * 2**(n-1))
    seconds ("equal jitter"), so concurrent crawlers do not retry in step.

    Every attempt first waits for `limiter`, which is shared by all callers of one account and
    region, and reports throttling and successes to it. When a call fails with an expired
    token and `refresh_client` is set, the caller replaces its client with
    `refresh_client()` (new credentials) and sends the call once more. Thread-safe: threads of
    one crawl share a caller.
    """

    client: Any
    report: CrawlReport
    sleep: Callable[[float], None] = time.sleep
    max_attempts: int = 8
    base_delay: float = 0.5
    max_delay: float = 20.0
    jitter: Callable[[], float] = field(default=random.random)
    limiter: RateLimiter | None = None
    refresh_client: Callable[[], Any] | None = None
    budget: Budget = field(default_factory=Budget)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _client_generation: int = field(default=0, repr=False)

    def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """Call `operation` with `kwargs`; raise CallFailure when it fails for good."""
        attempt = 0
        refreshed = False
        while True:
            if self.budget.out_of_time():
                raise CallFailure(operation, FailureKind.OUT_OF_BUDGET, "BudgetExhausted",
                                  "the crawl's time budget ran out", attempt)
            client, generation = self.client, self._client_generation
            method = getattr(client, operation, None)
            if method is None:
                raise CallFailure(
                    operation, FailureKind.UNSUPPORTED, "UnknownOperation",
                    f"the client has no method {operation}; upgrade boto3", 0,
                )

            attempt += 1
            if self.limiter is not None:
                self.limiter.acquire(operation)
            self._count(operation)
            try:
                response = method(**kwargs)
            except (ClientError, BotoCoreError) as err:
                kind = classify_error(err)
                if kind is FailureKind.THROTTLED:
                    self._count_throttle(operation)
                can_refresh = self.refresh_client is not None and not refreshed
                if kind is FailureKind.EXPIRED and can_refresh:
                    refreshed = True
                    self._refresh(generation, operation)
                    self._count_retry()
                    continue
                if not kind.retryable or attempt >= max(1, self.max_attempts):
                    raise CallFailure(
                        operation, kind, error_code(err), error_message(err), attempt
                    ) from err

                delay = self.backoff(attempt)
                self._count_retry()
                logger.debug(
                    "%s %s (%s), attempt %d of %d; retrying in %.2f s",
                    operation, kind.value, error_code(err), attempt, self.max_attempts, delay,
                )
                self.sleep(delay)
                continue

            if self.limiter is not None:
                self.limiter.on_success(operation)
            return {k: v for k, v in response.items() if k != "ResponseMetadata"}

    def backoff(self, attempt: int) -> float:
        """Return the delay in seconds before retry number `attempt` (1 for the first)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling / 2 + self.jitter() * ceiling / 2

    def _refresh(self, generation: int, operation: str) -> None:
        # Threads that hit the expired token together refresh once: a thread that finds a
        # newer client than the one it called retries with that client.
        assert self.refresh_client is not None
        with self._lock:
            if self._client_generation != generation:
                return
            logger.info("%s failed with an expired token; refreshing credentials", operation)
            self.client = self.refresh_client()
            self._client_generation += 1

    def _count(self, operation: str) -> None:
        with self._lock:
            self.report.count_call(operation)

    def _count_retry(self) -> None:
        with self._lock:
            self.report.retries += 1

    def _count_throttle(self, operation: str) -> None:
        with self._lock:
            self.report.throttled += 1
        if self.limiter is not None:
            self.limiter.on_throttle(operation)


@dataclass
class Listing:
    """The result of a paginated read: the items of the pages read, and why it stopped early.

    `out_of_pages` is set when the page budget ended the listing while a NextToken remained.
    """

    items: list[dict[str, Any]]
    pages: int
    failure: CallFailure | None = None
    repeated_token: str | None = None
    out_of_pages: bool = False

    @property
    def complete(self) -> bool:
        return self.failure is None and self.repeated_token is None and not self.out_of_pages


def report_incomplete(
    report: CrawlReport, listing: Listing, operation: str, subject: str, partial_label: str
) -> None:
    """Record in the report why a listing stopped early, if it did, and that its items are kept.

    `subject` names what was listed in the warning ("TrainingJob", "pipeline p1");
    `partial_label` starts the report's `partial` entry.
    """
    page = listing.pages + 1
    if listing.out_of_pages or (
        listing.failure is not None and listing.failure.kind is FailureKind.OUT_OF_BUDGET
    ):
        limit = "page budget" if listing.out_of_pages else "time budget"
        report.partial.append(f"{partial_label}: stopped at page {page} ({limit} ran out)")
        report.warn(
            f"{operation} for {subject} stopped at page {page} because the crawl's "
            f"{limit} ran out; kept the {len(listing.items)} items of the pages before it"
        )
    elif listing.failure is not None:
        failure = listing.failure
        report.partial.append(f"{partial_label}: stopped at page {page}")
        report.warn(
            f"{operation} for {subject} stopped at page {page} after {failure.attempts} "
            f"attempts ({failure.code}: {failure.message}); kept the {len(listing.items)} "
            "items of the pages before it"
        )
    elif listing.repeated_token is not None:
        report.partial.append(
            f"{partial_label}: stopped after page {listing.pages} (repeated NextToken)"
        )
        report.warn(
            f"{operation} for {subject} returned NextToken {listing.repeated_token!r} a "
            f"second time at page {listing.pages}; stopped there to avoid an endless loop"
        )


def paginate(
    caller: Caller,
    operation: str,
    result_key: str,
    args: dict[str, Any] | None = None,
    page_size: int | None = DEFAULT_PAGE_SIZE,
    on_page: Callable[[int, int], None] | None = None,
) -> Listing:
    """Read every page of a list or search operation.

    Follows NextToken until a response has none. An empty page that carries a token does not
    end the listing, because filtered SageMaker list calls return such pages. A token seen
    before ends it, so a service that repeats a token cannot loop forever. A page that fails
    after retries ends it too, and so does the caller's page budget. The items of the pages
    already read are kept in the result. `on_page(pages_read, items_so_far)` is called after
    each page.
    """
    request = dict(args or {})
    if page_size is not None:
        request["MaxResults"] = page_size

    items: list[dict[str, Any]] = []
    seen_tokens: set[str] = set()
    pages = 0
    while True:
        if pages and not caller.budget.pages_left(pages):
            return Listing(items, pages, out_of_pages=True)
        try:
            response = caller.call(operation, **request)
        except CallFailure as failure:
            return Listing(items, pages, failure=failure)

        page_items = response.get(result_key) or []
        if not isinstance(page_items, list):
            # A malformed page (a hand-edited recording, a broken mock) ends this listing only.
            message = (f"{result_key} is {type(page_items).__name__}, expected a list; "
                       "the response is malformed")
            return Listing(items, pages, failure=CallFailure(
                operation, FailureKind.OTHER, "InvalidResponse", message, 1))
        pages += 1
        kept = [item for item in page_items if isinstance(item, dict)]
        if len(kept) < len(page_items):
            caller.report.warn(
                f"{operation} page {pages}: skipped {len(page_items) - len(kept)} items of "
                f"{result_key} that are not objects"
            )
        items.extend(kept)
        logger.debug("%s page %d: %d items so far", operation, pages, len(items))
        if on_page is not None:
            on_page(pages, len(items))

        token = response.get("NextToken")
        if not token:
            return Listing(items, pages)
        if token in seen_tokens:
            return Listing(items, pages, repeated_token=str(token))
        seen_tokens.add(token)
        request["NextToken"] = token
