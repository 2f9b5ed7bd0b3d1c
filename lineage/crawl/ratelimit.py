"""An adaptive client-side rate limiter, shared by every call of one account and region.

SageMaker throttles its management APIs per account, region and operation, so the limiter
keeps one token bucket per operation. Each bucket starts at the configured rate (requests/s)
and has room for one token, which spaces calls of one operation evenly instead of sending
bursts. A throttling
error multiplies that operation's rate by `decrease_factor`, and each success adds
`increase_fraction` of the configured rate back, up to the configured rate. This is additive
increase and multiplicative decrease, as in botocore's adaptive retry mode (botocore uses a
CUBIC curve over time instead of a fixed step per success).

Thread-safe: crawler threads of one account-region share one limiter.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

DEFAULT_RATE = 2.0
MIN_RATE = 0.1
DECREASE_FACTOR = 0.5
INCREASE_FRACTION = 0.05


@dataclass
class _Bucket:
    rate: float
    # The earliest monotonic time at which the next request may be sent.
    next_time: float
    # When the rate was last lowered; throttles of calls sent before that change do not count.
    lowered_at: float = float("-inf")


class RateLimiter:
    """Token buckets per operation with adaptive rates; `acquire` blocks until a call may go."""

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        *,
        min_rate: float = MIN_RATE,
        decrease_factor: float = DECREASE_FACTOR,
        increase_fraction: float = INCREASE_FRACTION,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate is {rate}; give a positive number of requests per second")
        if not 0 < decrease_factor < 1:
            raise ValueError(f"decrease_factor is {decrease_factor}; give a value in (0, 1)")
        self.max_rate = rate
        self.min_rate = min(min_rate, rate)
        self.decrease_factor = decrease_factor
        self.increase_step = rate * increase_fraction
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self.throttle_events = 0

    def acquire(self, operation: str) -> float:
        """Wait until `operation` may be sent; return the seconds waited.

        Each caller reserves the next free slot under the lock and then sleeps outside it,
        so waiting threads do not block each other's reservations.
        """
        with self._lock:
            now = self._clock()
            bucket = self._bucket(operation, now)
            send_at = max(now, bucket.next_time)
            bucket.next_time = send_at + 1.0 / bucket.rate
        wait = send_at - now
        if wait > 0:
            self._sleep(wait)
        return wait

    def on_success(self, operation: str) -> None:
        """Raise the operation's rate by one step, up to the configured rate."""
        with self._lock:
            bucket = self._bucket(operation, self._clock())
            bucket.rate = min(self.max_rate, bucket.rate + self.increase_step)

    def on_throttle(self, operation: str) -> None:
        """Lower the operation's rate after a throttling error, down to `min_rate`.

        The rate is lowered at most once per interval of the lowered rate. Several calls in
        flight are often throttled together, and each halving them all would drive the rate
        to the minimum after one short burst of throttling.
        """
        with self._lock:
            now = self._clock()
            bucket = self._bucket(operation, now)
            self.throttle_events += 1
            if now - bucket.lowered_at < 1.0 / bucket.rate:
                return
            lowered = max(self.min_rate, bucket.rate * self.decrease_factor)
            bucket.lowered_at = now
            if lowered < bucket.rate:
                logger.info("%s throttled: lowering its rate from %.2f to %.2f requests/s",
                            operation, bucket.rate, lowered)
            bucket.rate = lowered
            # Calls already reserved keep their slots, but the next one waits a full interval.
            bucket.next_time = max(bucket.next_time, now + 1.0 / lowered)

    def rate(self, operation: str) -> float:
        """Return the current rate of `operation` in requests per second."""
        with self._lock:
            bucket = self._buckets.get(operation)
            return bucket.rate if bucket is not None else self.max_rate

    def _bucket(self, operation: str, now: float) -> _Bucket:
        bucket = self._buckets.get(operation)
        if bucket is None:
            bucket = _Bucket(rate=self.max_rate, next_time=now)
            self._buckets[operation] = bucket
        return bucket
