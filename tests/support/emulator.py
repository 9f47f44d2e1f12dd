"""Start the Fivetran emulator as a real process on a free loopback port, and talk to its control API.

Tests, the quick start and the benchmark use the emulator only through HTTP, as any client would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_KEY = "dev-key"
DEFAULT_SECRET = "dev-secret"


@dataclass
class Emulator:
    """A running emulator process: its base URL (`.../v1`), credentials and control endpoints."""

    process: subprocess.Popen[str]
    base_url: str
    api_key: str = DEFAULT_KEY
    api_secret: str = DEFAULT_SECRET
    args: list[str] = field(default_factory=list)

    @property
    def root_url(self) -> str:
        return self.base_url.removesuffix("/v1")

    # -- control endpoints (no auth, loopback only) --------------------------------------------------------
    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.root_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def requests(self) -> list[dict[str, Any]]:
        """Every `/v1` request since start or the last reset: `{"method", "path", "status"}`, in order."""
        return self.control("GET", "/__emulator/requests")["items"]

    def writes(self) -> list[dict[str, Any]]:
        """The logged POST, PATCH and DELETE requests."""
        return [r for r in self.requests() if r["method"] in ("POST", "PATCH", "DELETE")]

    def fault(self, **spec: Any) -> None:
        """Script a fault, e.g. `fault(method="POST", path="^/v1/connections$", status=503, count=1)`."""
        self.control("POST", "/__emulator/faults", spec)

    def clear_faults(self) -> None:
        """Disarm every scripted fault."""
        self.control("DELETE", "/__emulator/faults")

    def reset(self) -> None:
        self.control("POST", "/__emulator/reset", {})

    def set_latency(self, latency: str) -> dict[str, Any]:
        """Delay every `/v1` request by `latency` ("0.2", "0.1-0.3", "0": none); starts a new in-flight peak."""
        report: dict[str, Any] = self.control("POST", "/__emulator/latency", {"latency": latency})
        return report

    def latency(self) -> dict[str, Any]:
        """`{"latency", "in_flight", "peak_in_flight"}`: the setting, and `/v1` requests in flight now and at most."""
        report: dict[str, Any] = self.control("GET", "/__emulator/latency")
        return report

    def add_group(self, group_id: str, name: str | None = None) -> None:
        self.control("POST", "/__emulator/groups", {"id": group_id, "name": name or group_id})

    def complete_connect_card(self, token: str, api_key: str) -> Any:
        return self.control("POST", f"/__emulator/connect-card/{token}", {"api_key": api_key})

    def add_external_secret(self, manager_id: str, name: str, value: str) -> None:
        """Put a secret in an external secrets manager (which then exists) for the setup tests to read."""
        self.control("POST", "/__emulator/external-secrets", {"manager_id": manager_id, "name": name, "value": value})

    def create_connection(self, schema: str, api_key: str, *, config: dict[str, Any] | None = None,
                          **settings: Any) -> dict[str, Any]:
        """A connection made directly in Fivetran (by someone else, or in the dashboard), as the API shows it."""
        status, body = self.api("POST", "/connections", {
            "service": "iterable", "group_id": "warehouse_main", **settings,
            "config": {"schema": schema, "api_key": api_key, **(config or {})}})
        assert status == 201, body
        return body["data"]

    # -- the public API, authenticated, for assertions about what the emulator holds ------------------------
    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """Call the emulated Fivetran API with valid credentials; returns (status, parsed JSON body)."""
        import base64
        import urllib.error

        token = base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode()
        headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read().decode() or "null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read().decode() or "null")

    def connections(self, group_id: str | None = None) -> list[dict[str, Any]]:
        """All connections the emulator holds (optionally in one group), following every page."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = "limit=1000" + (f"&group_id={group_id}" if group_id else "")
            if cursor:
                query += f"&cursor={cursor}"
            status, body = self.api("GET", f"/connections?{query}")
            assert status == 200, body
            items.extend(body["data"]["items"])
            cursor = body["data"].get("next_cursor")
            if not cursor:
                return items

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_emulator(*extra_args: str, port: int = 0, python: str | None = None, cwd: Path | None = None) -> Emulator:
    """Start `python -m fivetran_emulator --port 0 ...` and wait for its first stdout line (the base URL).

    `python` is the interpreter whose installed `fivetran_emulator` runs (default: this one); `cwd` the
    directory it starts in (default: the repository root).
    """
    args = ["--host", "127.0.0.1", "--port", str(port), *extra_args]
    process = subprocess.Popen(
        [python or sys.executable, "-m", "fivetran_emulator", *args],
        cwd=cwd or REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    first_line = process.stdout.readline().strip()
    if not first_line.startswith("http"):
        process.kill()
        raise RuntimeError(f"emulator did not announce its URL (got {first_line!r})")
    # Keep draining stdout so the emulator never blocks on a full pipe.
    import threading

    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    emulator = Emulator(process=process, base_url=first_line, args=args)
    # Keep the credentials in step with --api-key / --api-secret, so `api()` authenticates.
    for flag, attribute in (("--api-key", "api_key"), ("--api-secret", "api_secret")):
        if flag in extra_args[:-1]:
            setattr(emulator, attribute, extra_args[extra_args.index(flag) + 1])
    return emulator
