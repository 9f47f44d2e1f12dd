"""Where the connection's Iterable key comes from: one value that every decision about the key reads.

Fivetran never returns a stored key. So whether a change may replace the key, whether setup tests can run,
whether a failed change can be undone, and what the user is told all depend on one question: where did the
key that Fivetran holds come from, and do we hold what it takes to send it back?

- `declared`: `config.api_key` in the program. The state holds it, so it can be sent back.
- `secrets_manager`: `external_secrets_keys_config` names the secret that holds it. The state holds the name,
  so pointing back at it restores the key (Fivetran reads the secret again).
- `connect_card`: typed into a Connect Card by the Iterable account owner. Only Fivetran holds it.
- `adopted`: the key a connection already had when this program adopted it. Only Fivetran holds it.

The value is recorded in the state's outputs as `key_source` (a state written before it was recorded is read
from its inputs), and Fivetran's setup state says whether there is a key at all and whether it works. Pure
rules: no HTTP, no Pulumi.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .model import KEY_SOURCE_FIELDS

# The output under which the state records the key source (not a program-visible output: see `provider`).
KEY_SOURCE_OUTPUT = "key_source"
# Fivetran's setup states of a connection that holds a key, and of one whose key passes its setup tests.
_KEYED_SETUP_STATES = frozenset({"connected", "broken"})
_WORKING_SETUP_STATE = "connected"


class KeySource(StrEnum):
    DECLARED = "declared"
    SECRETS_MANAGER = "secrets_manager"
    CONNECT_CARD = "connect_card"
    ADOPTED = "adopted"

    @property
    def in_state(self) -> bool:
        """Whether the state holds what it takes to give Fivetran this key: so it can be sent again after it
        was replaced, and the setup tests can check it as soon as it is sent."""
        return self in (KeySource.DECLARED, KeySource.SECRETS_MANAGER)

    def describe(self) -> str:
        """Where the key came from, in the user's words (for messages)."""
        return {
            KeySource.DECLARED: "the key declared in config.api_key",
            KeySource.SECRETS_MANAGER: "the key in your secrets manager (external_secrets_keys_config)",
            KeySource.CONNECT_CARD: ("the key that came with its Connect Card (entered in the card, or the one it had "
                                     "before, which Fivetran keeps until the card is completed)"),
            KeySource.ADOPTED: "the key the connection had when this program adopted it",
        }[self]


def declared_source(inputs: Mapping[str, Any]) -> KeySource:
    """Where the program says the key comes from (validation guarantees exactly one place)."""
    if (inputs.get("config") or {}).get("api_key"):
        return KeySource.DECLARED
    if inputs.get("external_secrets_keys_config"):
        return KeySource.SECRETS_MANAGER
    return KeySource.CONNECT_CARD


def recorded_source(outputs: Mapping[str, Any]) -> KeySource:
    """Where the key Fivetran holds came from, as the state records it."""
    recorded = outputs.get(KEY_SOURCE_OUTPUT)
    if isinstance(recorded, str) and recorded in {source.value for source in KeySource}:
        return KeySource(recorded)
    return declared_source(outputs)  # a state from before the source was recorded: its inputs say it


def holds_key(connection: Mapping[str, Any]) -> bool:
    """Whether Fivetran holds a key for the connection (working or not), by its setup state."""
    return bool(_setup_state(connection) in _KEYED_SETUP_STATES)


def key_works(connection: Mapping[str, Any]) -> bool:
    """Whether the key Fivetran holds passed its setup tests."""
    return _setup_state(connection) == _WORKING_SETUP_STATE


def _setup_state(connection: Mapping[str, Any]) -> Any:
    return (connection.get("status") or {}).get("setup_state")


def sends_key(body: Mapping[str, Any]) -> bool:
    """Whether a connection body gives Fivetran a new key or a new place to read it from (which makes Fivetran
    drop the key it held)."""
    return "api_key" in (body.get("config") or {}) or any(name in body for name in KEY_SOURCE_FIELDS)


def gives_key(body: Mapping[str, Any]) -> bool:
    """Whether a connection body gives Fivetran a key, or the name of the secret to read one from (clearing the
    secrets-manager fields, or sending a null key, gives none: Fivetran is then left without a key)."""
    return bool((body.get("config") or {}).get("api_key")) or bool(body.get("external_secrets_keys_config"))


@dataclass(frozen=True)
class KeyChange:
    """A change of the connection, seen from its key: what Fivetran holds before, and what the change sends."""

    before: KeySource
    after: KeySource
    holds_key: bool  # Fivetran holds a key before the change
    key_works: bool  # ... and it passes its setup tests
    replaces_key: bool  # the change sends a new key, or a new place to read it from

    @property
    def loses_key(self) -> bool:
        """A failed change could not give the connection its previous key back (whatever key it held: a card
        completed with a key that failed leaves Fivetran's setup state as if none had been entered)."""
        return self.replaces_key and not self.before.in_state

    @property
    def loses_working_key(self) -> bool:
        """... and that key works: the change is only made when the user accepts failures (`warn`)."""
        return self.loses_key and self.key_works

    def can_test(self) -> bool:
        """Whether there is a key for the setup tests once the change is made."""
        return self.after.in_state or (self.holds_key and not self.replaces_key)

    def refusal(self, connection_id: str) -> str:
        """Why a change that would lose a working key is not made under `setup_test_policy: fail`."""
        return (f"connection '{connection_id}' holds {self.before.describe()}, and it works. This change gives "
                f"Fivetran {self.after.describe()} instead, so Fivetran drops the key it holds; Fivetran never "
                "returns a stored key, so should the new one fail its setup tests, the working key could not be "
                "put back, as setup_test_policy: fail promises. Nothing was changed. To make the change anyway, "
                "set setup_test_policy: warn (the change is kept whatever the tests say, and their results are "
                "reported), or leave the key source as it is")

    def warning(self, connection_id: str) -> str:
        """What `preview` says of a change it will make that can lose a key (under `warn`)."""
        return (f"connection '{connection_id}': this change replaces {self.before.describe()}, which Fivetran never "
                "returns: should the new key fail its setup tests, the connection keeps the failing key "
                "(setup_test_policy: warn) and the previous one cannot be put back")


def key_change(before: KeySource, connection: Mapping[str, Any], body: Mapping[str, Any],
               new: Mapping[str, Any]) -> KeyChange:
    """The key side of sending `body` (to reach `new`) to a connection whose key came from `before` and whose
    Fivetran view (for its setup state) is `connection`.

    Afterwards the key comes from where `new` says when the change sends a key, and also when the program
    stopped declaring a key the state held (moving to a Connect Card: Fivetran keeps the old key until the card
    is completed, but nothing can send it again); otherwise it comes from where it came from before.
    """
    replaces = sends_key(body)
    now = declared_source(new)
    after = now if replaces or (before.in_state and now is not before) else before
    return KeyChange(before=before, after=after, holds_key=holds_key(connection), key_works=key_works(connection),
                     replaces_key=replaces)
