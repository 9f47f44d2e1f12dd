"""Fivetran's account-wide request limit: what a run has used of it, and waiting out its 429 together.

Fivetran allows an account 20,000 API calls in any rolling hour on paid plans (500 on a trial), shared by
every tool that uses the account (https://fivetran.com/docs/rest-api/rate-limiting). Over it, every call
answers 429 with a `Retry-After` of up to an hour; the message quoted in astronomer/airflow-provider-fivetran-async#148
reads "Max 20000 api calls allowed in one-hour rolling time period". Every answer carries `X-Rate-Limit` (the
account's limit) and `X-Rate-Limit-Remaining` (what is left of it in the current hour).

A refresh reads every connection, one or two requests each, and with `refresh: always` every `preview` and
`up` does too: a stack of 1,000 connections with schema configs sends 2,000 requests per preview, and ten
such previews in an hour lock the account. The provider cannot know in advance how many connections a run
will read (the engine hands it one resource at a time), so it says what it can know, as it happens:

- when this run's own requests pass 5%, 10%, 25% and 50% of the account's hourly limit, how many runs like
  it the hour holds;
- when Fivetran says the account has less left than 20% of its limit, or less than this run has sent so far
  (a second run like it would not fit).

And when Fivetran answers 429 to any request but a create (creates have their own, shorter limit, paced by
`CreateThrottle`), the account is out of calls: every thread of the process holds back for the `Retry-After`
instead of each spending a request to find out, and a call whose budget cannot cover the wait fails at once.

Nothing here knows about Pulumi: the provider shows `notices()` as warnings.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

HOURLY_REQUEST_LIMIT = 20_000  # paid plans; the account's own figure comes with every answer (X-Rate-Limit)
RUN_SHARES = (0.05, 0.10, 0.25, 0.50)  # of the hourly limit: a notice when this run's requests pass each
LOW_REMAINING_SHARE = 0.20
HOW_TO_SEND_FEWER = (
    "A refresh (and every preview and up of a project with `refresh: always`) reads each connection: one "
    "request, two with a schema config. To send fewer: `pulumi preview --refresh=false` where drift need not be "
    "checked, or `fivetran:readByGroup: true`, which reads a group's connections 1,000 to a request"
)


class RequestLimit:
    """This process's share of the account's hourly request limit, and the hold after a 429 (thread-safe)."""

    def __init__(self, hourly_limit: int = HOURLY_REQUEST_LIMIT, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._limit = hourly_limit
        self._sent = 0
        self._shares_told = 0  # how many of RUN_SHARES were told already
        self._low_told = False
        self._notices: list[str] = []
        self._held_until = -math.inf

    # -- waiting out a 429 together --------------------------------------------------------------------------
    def hold(self, seconds: float) -> None:
        """Hold every request of the process back for `seconds` from now (Fivetran answered 429)."""
        with self._lock:
            self._held_until = max(self._held_until, self._clock() + max(0.0, seconds))

    def wait_s(self) -> float:
        """How long a request must still wait before it is sent (0 when it may go now)."""
        with self._lock:
            return max(0.0, self._held_until - self._clock())

    # -- what the run has used -------------------------------------------------------------------------------
    def record(self, headers: Mapping[str, str]) -> None:
        """Count one answer from Fivetran and take in what its rate-limit headers say."""
        limit, remaining = _count(headers.get("X-Rate-Limit")), _count(headers.get("X-Rate-Limit-Remaining"))
        with self._lock:
            self._sent += 1
            if limit:
                self._limit = limit
            while self._shares_told < len(RUN_SHARES) and self._sent >= RUN_SHARES[self._shares_told] * self._limit:
                self._shares_told += 1
                self._notices.append(self._share_notice())
            if remaining is not None and not self._low_told and (
                    remaining < LOW_REMAINING_SHARE * self._limit or remaining < self._sent):
                self._low_told = True
                self._notices.append(self._low_notice(remaining))

    def notices(self) -> list[str]:
        """What the run should be told since the last call (each said once)."""
        with self._lock:
            found, self._notices = self._notices, []
            return found

    @property
    def sent(self) -> int:
        """Answers counted so far in this process."""
        with self._lock:
            return self._sent

    def _share_notice(self) -> str:
        share = self._sent / self._limit
        runs = max(1, math.floor(1 / share))
        requests = f"{self._sent:,} request{'' if self._sent == 1 else 's'}"
        return (f"this run has sent {requests} to the Fivetran API, {share:.0%} of the {self._limit:,} "
                f"the account may send in a rolling hour, shared by every tool that uses it: {runs} runs like this "
                f"one within an hour would use it all, and Fivetran then refuses every call with 429 until the hour "
                f"rolls on. {HOW_TO_SEND_FEWER}")

    def _low_notice(self, remaining: int) -> str:
        return (f"Fivetran says the account has {remaining:,} of its {self._limit:,} API requests per rolling hour "
                f"left, and this run has sent {self._sent:,} so far: when none are left, Fivetran refuses every "
                f"call with 429 (for up to an hour), for this stack and every other tool on the account. "
                f"{HOW_TO_SEND_FEWER}")


def _count(text: str | None) -> int | None:
    try:
        value = int(str(text).strip())
    except ValueError:
        return None
    return value if value >= 0 else None
