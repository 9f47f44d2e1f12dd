"""The emulated Iterable setup tests and what their outcome does to `status.setup_state`.

Rule (contract): an `api_key` that starts with `invalid` fails; any other passes; no key at all fails. The key
is the connection's `config.api_key`, or the secret an external secrets manager holds for it (the caller
resolves it; `None` when there is none).
"""

from __future__ import annotations

import copy
from typing import Any

from .rules import project_type

Record = dict[str, Any]

CONNECTING = "Connecting to Iterable"
VALIDATING = "Validating API key"


def results(config: dict[str, Any], api_key: str | None, missing: str | None = None) -> list[dict[str, str]]:
    """The setup-test results for this config and key: `[{"title", "status", "message"}, ...]`.

    `missing` explains why there is no key, when that is not simply that none was set.
    """
    host = "api.eu.iterable.com" if config.get("account_region") == "EU" else "api.iterable.com"
    connecting = {"title": CONNECTING, "status": "PASSED", "message": ""}
    if missing:
        return [connecting, {"title": VALIDATING, "status": "FAILED", "message": missing}]
    if not api_key:
        return [
            connecting,
            {
                "title": VALIDATING,
                "status": "FAILED",
                "message": "No API key is set. Set 'config.api_key' to an Iterable server-side API key, "
                "or complete the connection's Connect Card.",
            },
        ]
    if api_key.startswith("invalid"):
        return [
            connecting,
            {
                "title": VALIDATING,
                "status": "FAILED",
                "message": f"Iterable rejected the API key (HTTP 401 from https://{host}). Create a server-side "
                f"API key in Iterable (Integrations > API keys) for the project in region "
                f"{config.get('account_region', 'US')} and set 'config.api_key' to it.",
            },
        ]
    return [connecting, {"title": VALIDATING, "status": "PASSED", "message": ""}]


def next_setup_state(current: str, passed: bool) -> str:
    """`connected` after passing; after failing, `broken` if it had been connected, else `incomplete`."""
    if passed:
        return "connected"
    return "broken" if current in ("connected", "broken") else "incomplete"


def run(record: Record, api_key: str | None, missing: str | None = None) -> Record:
    """The connection with fresh `setup_tests` for `api_key`, and the `setup_state` they imply."""
    updated = copy.deepcopy(record)
    tests = results(updated["config"], api_key, missing)
    passed = all(test["status"] in ("PASSED", "SKIPPED") for test in tests)
    updated["setup_tests"] = tests
    updated["status"]["setup_state"] = next_setup_state(updated["status"]["setup_state"], passed)
    if api_key:  # the tests read the key wherever it lives, and with it the project it belongs to
        updated["config"]["project_type"] = project_type(api_key)
    return updated
