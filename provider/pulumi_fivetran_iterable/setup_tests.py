"""Fivetran's setup tests: when a change asks for them, what a failure means, and putting a failed change back.

A change that fails its tests under `setup_test_policy: fail` is undone by sending back what it changed, as
the state held it before. What cannot be sent back is said plainly, never claimed: a key that only Fivetran
held (see `key_source`). A revert that gives the connection back a key, or a place to read it from, runs the
tests again, so Fivetran's setup state says whether the connection works again, and so does the message.
A revert never touches what the change did not send (the webhook auth type is never part of a tested change:
see `operations`). Nothing here knows about Pulumi.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .enums import SetupTestPolicy
from .errors import FivetranError, OutcomeUnknownError, TransportError
from .key_source import KeyChange, gives_key, sends_key
from .model import KEY_SOURCE_FIELDS, TEST_FLAGS

if TYPE_CHECKING:
    from .client import FivetranClient

# Setup-test statuses that mean the connection cannot sync (Fivetran also reports PASSED, SKIPPED, WARNING).
FAILING_TEST_STATUSES = frozenset({"FAILED", "JOB_FAILED"})


def failing_tests(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The setup tests in a connection response that did not pass."""
    return [t for t in data.get("setup_tests") or [] if t.get("status") in FAILING_TEST_STATUSES]


def describe_tests(tests: list[dict[str, Any]]) -> str:
    return "; ".join(f"'{t.get('title', '?')}' {t.get('status')}: {(t.get('message') or 'no message').rstrip('.')}"
                     for t in tests)


def fails_hard(desired: Mapping[str, Any]) -> bool:
    """Whether failing tests undo the change (`fail`, the default) rather than being reported (`warn`)."""
    return bool(desired.get("setup_test_policy", SetupTestPolicy.FAIL) == SetupTestPolicy.FAIL)


def test_flags(desired: Mapping[str, Any], run: bool) -> dict[str, Any]:
    """The test-control flags for a PATCH: always explicit, because Fivetran runs tests unless told not to."""
    if not run:
        return {"run_setup_tests": False}
    return {name: bool(desired.get(name)) for name in TEST_FLAGS}


def retest_flags(before: Mapping[str, Any]) -> dict[str, Any]:
    """The flags for a revert that gives a key back: the tests run whatever `before` said of them (they are how
    Fivetran's setup state learns that the key works again), with the trust `before` gave."""
    return {**test_flags(before, True), "run_setup_tests": True}


def changes_what_tests_check(body: Mapping[str, Any]) -> bool:
    """Whether a PATCH changes the Iterable config or where the key comes from: what setup tests check."""
    return "config" in body or any(name in body for name in KEY_SOURCE_FIELDS)


@dataclass(frozen=True)
class Rollback:
    """How putting the previous settings back went, as sentences for the user."""

    key_lost: str = ""  # what the connection lost: the previous key could not be sent back
    still_failing: str = ""  # the previous key is back, and fails its tests now too (their description)
    error: FivetranError | None = None  # the revert itself failed

    @property
    def complete(self) -> bool:
        """Everything the failed change altered is as it was, and works as it did."""
        return not (self.key_lost or self.still_failing or self.error)

    def explain(self) -> str:
        """What the user must know beyond "rolled back" ('' when the rollback is complete)."""
        if self.error is not None and _outcome_unknown(self.error):
            return (f" Restoring the previous settings failed too ({self.error}), and whether Fivetran applied the "
                    "restore is not known: the connection holds either its previous settings or the new ones. Run "
                    "`pulumi refresh` to see which, fix the cause and run `pulumi up` again.")
        if self.error is not None:
            return (f" Restoring the previous settings failed too ({self.error}), so the connection holds the new "
                    "ones: run `pulumi refresh` to see them, fix the cause and run `pulumi up` again.")
        if self.key_lost:
            return self.key_lost
        if self.still_failing:
            return (" Its previous settings, key included, were put back, but the previous key now fails its setup "
                    f"tests too ({self.still_failing}), so the connection cannot sync until its key works.")
        return ""


def roll_back(client: FivetranClient, connection_id: str, sent: Mapping[str, Any], before: Mapping[str, Any],
              key: KeyChange) -> Rollback:
    """Send back what the failed `sent` body changed, as `before` held it.

    A key `before` does not hold is left out (it cannot be sent); nothing is sent when nothing can be
    restored. When the revert gives a key back (or the secret to read it from), the setup tests run with it,
    whatever `before` said of running them, so their results are the restored key's, not the failed change's.
    """
    revert = _inverse(sent, before)
    retest = gives_key(revert)
    if revert:
        flags = retest_flags(before) if retest else test_flags(before, False)
        try:
            reply = client.modify_connection(connection_id, {**revert, **flags})
        except FivetranError as error:
            return Rollback(error=error)
        if retest and (failed := failing_tests(reply)):
            return Rollback(still_failing=describe_tests(failed))
    if key.loses_key:
        return Rollback(key_lost=_key_lost(key, revert))
    return Rollback()


def _outcome_unknown(error: FivetranError) -> bool:
    """Whether a failed request may have been applied all the same (no reply, or a server error: Fivetran may
    have done the work before its gateway gave up), as against refused."""
    return isinstance(error, (OutcomeUnknownError, TransportError)) or (error.status or 0) >= 500


def _inverse(sent: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    """The PATCH that undoes `sent`: each field it set, back to its value in `before` (null where it had none),
    except a key `before` does not hold. When `sent` moved the key, the whole previous key source goes back
    (a declared key with the secrets-manager fields cleared, or the secrets-manager fields)."""
    moved = sends_key(sent)
    touched = set(sent) | {name for name in KEY_SOURCE_FIELDS if moved and before.get(name) is not None}
    revert: dict[str, Any] = {name: before.get(name) for name in sorted(touched) if name != "config"}
    old_config = before.get("config") or {}
    config_keys = set(sent.get("config") or {}) | ({"api_key"} if moved else set())
    # One key source goes back: a secrets manager `before` names is where Fivetran read the key (a declared key
    # beside it in the state is one Fivetran had dropped), and Fivetran refuses a key and a mapping together.
    key_held = old_config.get("api_key") is not None and not before.get("external_secrets_keys_config")
    config = {key: old_config.get(key) for key in sorted(config_keys) if key != "api_key" or key_held}
    if config:
        revert["config"] = config
    return revert


def _key_lost(key: KeyChange, revert: Mapping[str, Any]) -> str:
    """A revert that clears the secrets-manager fields the change set, and gives no key, leaves no key at all;
    otherwise the connection keeps the key the change gave it."""
    others = "The other changes were rolled back, but its" if revert else "Its"
    cleared = "external_secrets_keys_config" in revert and not gives_key(revert)
    holds = "no key" if cleared else key.after.describe()
    return (f" {others} previous key, if it had one, could not be put back: it was {key.before.describe()}, and "
            f"Fivetran never returns a stored key. The connection now holds {holds} and cannot sync until it has a "
            "key that passes its tests: fix it and run `pulumi up` again (for a Connect Card: remove the key from "
            "the program and complete the card the next `pulumi up` issues).")
