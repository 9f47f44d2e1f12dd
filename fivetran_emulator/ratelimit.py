"""Rate limits: the enforced connection-creation limit and the informational hourly request counter."""

from __future__ import annotations

import math
import re
import threading
from collections import deque
from dataclasses import dataclass

# The newest rate-limiting docs' "all requests" figure for paid plans; reported, never enforced.
HOURLY_REQUEST_LIMIT = 20_000


@dataclass(frozen=True)
class CreateLimit:
    """At most `count` successful connection creations in any rolling window of `seconds`."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> CreateLimit | None:
        """Parse `COUNT/SECONDS` (e.g. `20/60`); `0` means no limit (returns None)."""
        if text.strip() == "0":
            return None
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match or int(match[1]) < 1 or int(match[2]) < 1:
            raise ValueError(f"invalid create limit {text!r}: use COUNT/SECONDS such as 20/60, or 0 to turn it off")
        return cls(int(match[1]), int(match[2]))

    def window_start(self, now: float) -> float:
        """Creations at or before this instant no longer count."""
        return now - self.seconds

    def retry_after(self, recent: list[float], now: float) -> int | None:
        """Seconds to wait before the next creation is allowed, or None if one is allowed now.

        `recent` holds the creation times inside the window, oldest first.
        """
        if len(recent) < self.count:
            return None
        # One slot frees when enough of the oldest creations have left the window.
        frees_at = recent[len(recent) - self.count] + self.seconds
        return max(1, math.ceil(frees_at - now))

    def message(self) -> str:
        """The 429 message, in the wording of Fivetran's documented example."""
        return f"No more than {self.count} connections can be created in {self.seconds} seconds"


class HourlyRequests:
    """Counts `/v1` requests in a rolling hour for the `X-Rate-Limit-Remaining` header."""

    def __init__(self, limit: int = HOURLY_REQUEST_LIMIT) -> None:
        self.limit = limit
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def record(self, now: float) -> int:
        """Count one request at `now`; return how many remain in the last hour's window."""
        with self._lock:
            self._times.append(now)
            while self._times and self._times[0] <= now - 3600:
                self._times.popleft()
            return max(0, self.limit - len(self._times))

    def clear(self) -> None:
        """Forget every counted request."""
        with self._lock:
            self._times.clear()
