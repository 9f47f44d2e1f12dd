"""A client that handles Fivetran's creation limit the way the Terraform provider does (through go-fivetran).

go-fivetran (`http_utils/http_request.go`, `Request.do`) retries only a 429: it sleeps the integer
`Retry-After` seconds (a missing or non-integer header is an error) and sends again; with the default
`MaxRetryAttempts = 2` the check `attempt > MaxRetryAttempts` (attempt counted from 0) gives up at the
fourth 429 of a request, i.e. after three retries. No client-side throttle, no jitter, no 5xx retries.
Terraform runs 10 resource operations at once by default (`-parallelism=10`).

This is that loop with a plain `requests.Session`, creating connections from a thread pool.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

MAX_RETRY_ATTEMPTS = 2


@dataclass
class Outcome:
    ok: bool
    status: int
    rate_limited: int  # 429 replies this create got
    error: str = ""


class GoFivetranLikeClient:
    def __init__(self, base_url: str, api_key: str, api_secret: str, *,
                 max_retry_attempts: int = MAX_RETRY_ATTEMPTS, pool: int = 64) -> None:
        self.base_url = base_url
        self.max_retry_attempts = max_retry_attempts
        self.session = requests.Session()
        self.session.auth = (api_key, api_secret)
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def create(self, body: dict[str, Any]) -> Outcome:
        data = json.dumps(body).encode()
        headers = {"Accept": "application/json;version=2", "Content-Type": "application/json"}
        attempt, limited = 0, 0
        while True:
            response = self.session.post(f"{self.base_url}/connections", data=data, headers=headers, timeout=90)
            if response.status_code != 429:
                return Outcome(response.ok, response.status_code, limited)
            limited += 1
            if attempt > self.max_retry_attempts:
                return Outcome(False, 429, limited, "rate limit retry max attempts count reached")
            try:
                wait = int(response.headers.get("Retry-After", ""))
            except ValueError:
                return Outcome(False, 429, limited, "Retry-After missing or not an integer")
            time.sleep(wait)
            attempt += 1


def create_many(client: GoFivetranLikeClient, bodies: list[dict[str, Any]], threads: int
                ) -> tuple[float, list[Outcome]]:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(client.create, bodies))
    return time.monotonic() - started, outcomes
