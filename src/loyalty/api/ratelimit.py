"""Per-token rate limiting with the ``limits`` library (moving window, in memory).

One limiter per app instance; with several API replicas, point ``limits`` at a
shared storage (Redis, Memcached) so the window is global.
"""

from __future__ import annotations

import hashlib
import math
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from loyalty.api.errors import RateLimitedError


class TokenRateLimiter:
    def __init__(self, rate: str) -> None:
        self._item = parse(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, token: str) -> None:
        """Count one request for ``token``; raise 429 with Retry-After when over the limit."""
        key = hashlib.sha256(token.encode()).hexdigest()
        if self._limiter.hit(self._item, key):
            return
        reset = self._limiter.get_window_stats(self._item, key).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))
        raise RateLimitedError(
            f"rate limit {self._item} exceeded; retry in {retry_after}s", retry_after=retry_after
        )
