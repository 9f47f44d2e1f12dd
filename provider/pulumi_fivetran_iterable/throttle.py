"""A client-side limit on connection creates, so bulk creates stay under Fivetran's creation rate limit.

Fivetran limits how many connections an account may create per rolling window (documented as 20 per
minute) and answers 429 beyond it. Waiting on our side first costs the same time but no failed requests,
and keeps the retry budget for real trouble.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class CreateThrottle:
    """A thread-safe rolling-window limiter: at most `limit` creates in any `window_s` seconds.

    Call `acquire()` right before each create request; it blocks until the create fits the window. When
    Fivetran still answers 429, `defer(retry_after)` holds every thread back for that long.

    `margin_s` is added to the window against clock skew between us and Fivetran; keep it small, since a
    burst of N creates takes `(ceil(N / limit) - 1) * (window_s + margin_s)` seconds.
    """

    def __init__(
        self,
        limit: int,
        window_s: float,
        *,
        margin_s: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or not window_s > 0 or margin_s < 0:
            raise ValueError(f"a create throttle needs limit >= 1 and window_s > 0, got {limit}/{window_s}")
        self.limit = limit
        self.window_s = float(window_s)
        self.margin_s = float(margin_s)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._grants: deque[float] = deque()  # start times of the creates still inside the window
        self._blocked_until = -math.inf

    @classmethod
    def parse(cls, text: str) -> CreateThrottle | None:
        """Parse `"COUNT/SECONDS"` (e.g. `"20/60"`); `"0"` (or a count of 0) means no throttle: None."""
        spec = text.strip()
        if spec == "0":
            return None
        problem = f"create limit must look like 'COUNT/SECONDS' (e.g. '20/60') or '0', got {text!r}"
        count_text, _, seconds_text = spec.partition("/")
        try:
            count, seconds = int(count_text), float(seconds_text)
        except ValueError:
            raise ValueError(problem) from None
        if count == 0:
            return None
        if count < 0 or not 0 < seconds < math.inf:
            raise ValueError(problem)
        return cls(count, seconds)

    def acquire(self) -> float:
        """Block until one more create fits the window, record it, and return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                span = self.window_s + self.margin_s
                while self._grants and self._grants[0] + span <= now:
                    self._grants.popleft()
                ready_at = self._blocked_until
                if len(self._grants) >= self.limit:
                    ready_at = max(ready_at, self._grants[0] + span)
                if ready_at <= now:
                    self._grants.append(now)
                    return waited
            # Sleep outside the lock, then look again: another thread may have taken the slot, or a 429
            # may have pushed everyone back.
            self._sleep(ready_at - now)
            waited += ready_at - now

    def defer(self, seconds: float) -> None:
        """Hold every create back for `seconds` from now (Fivetran answered 429 with this Retry-After)."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + max(0.0, seconds))

    def floor_s(self, creates: int) -> float:
        """The least wall time `creates` creates can take under this limit (without the margin)."""
        return max(0, math.ceil(creates / self.limit) - 1) * self.window_s

    def __repr__(self) -> str:
        return f"CreateThrottle({self.limit}, {self.window_s:g})"
