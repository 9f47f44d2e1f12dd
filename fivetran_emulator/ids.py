"""Identifiers in Fivetran's style: `word_word` ids (e.g. `speak_inexpensive`), tokens, webhook URLs."""

from __future__ import annotations

import hashlib
import secrets
import uuid

_FIRST = (
    "amber",
    "agile",
    "ample",
    "brisk",
    "bold",
    "calm",
    "candid",
    "civic",
    "clever",
    "cosmic",
    "crisp",
    "dapper",
    "daring",
    "deft",
    "eager",
    "early",
    "equal",
    "fair",
    "fancy",
    "fluent",
    "frank",
    "gentle",
    "glad",
    "grand",
    "hardy",
    "hasty",
    "humble",
    "ideal",
    "jolly",
    "keen",
    "kind",
    "lively",
    "lucid",
    "lunar",
    "mellow",
    "merry",
    "mighty",
    "modest",
    "nimble",
    "noble",
    "novel",
    "open",
    "plain",
    "polite",
    "prime",
    "proud",
    "quick",
    "quiet",
    "rapid",
    "ready",
    "regal",
    "rosy",
    "rugged",
    "shiny",
    "silent",
    "simple",
    "sleek",
    "smart",
    "solid",
    "spare",
    "spry",
    "steady",
    "sunny",
    "swift",
    "tidy",
    "tough",
    "urban",
    "vivid",
    "warm",
    "wise",
    "witty",
    "young",
    "zesty",
    "zonal",
    "brave",
    "vast",
)
_SECOND = (
    "anchor",
    "arrow",
    "badge",
    "banner",
    "basin",
    "beacon",
    "breeze",
    "bridge",
    "canyon",
    "cedar",
    "cinder",
    "comet",
    "coral",
    "crane",
    "delta",
    "dune",
    "ember",
    "falcon",
    "fern",
    "fjord",
    "flint",
    "garnet",
    "glacier",
    "grove",
    "harbor",
    "hazel",
    "heron",
    "island",
    "ivory",
    "jasper",
    "kettle",
    "lagoon",
    "lantern",
    "ledger",
    "maple",
    "marble",
    "meadow",
    "mesa",
    "nectar",
    "nimbus",
    "oasis",
    "orbit",
    "otter",
    "pebble",
    "pepper",
    "pine",
    "planet",
    "prairie",
    "quartz",
    "quiver",
    "raven",
    "reef",
    "ridge",
    "river",
    "saddle",
    "sickle",
    "spruce",
    "summit",
    "tundra",
    "valley",
    "velvet",
    "willow",
    "yarrow",
    "zenith",
    "batch",
    "quarterback",
    "mantle",
    "thistle",
    "timber",
)


def word_id() -> str:
    """A random `word_word` id; callers check uniqueness and fall back to `hex_id` after collisions."""
    return f"{secrets.choice(_FIRST)}_{secrets.choice(_SECOND)}"


def hex_id() -> str:
    """A random 32-hex id, the other id shape the real API uses."""
    return secrets.token_hex(16)


def user_id_for_key(api_key: str) -> str:
    """The `connected_by` user id: a stable `word_word` derived from the Fivetran API key."""
    digest = hashlib.sha256(api_key.encode()).digest()
    return f"{_FIRST[digest[0] % len(_FIRST)]}_{_SECOND[digest[1] % len(_SECOND)]}"


def card_token() -> str:
    """A Connect Card token: opaque, URL-safe, unguessable."""
    return secrets.token_urlsafe(24)


def webhook_endpoint() -> str:
    """The read-only Iterable `config.endpoint`: the webhook URL to register in Iterable."""
    return f"https://webhooks.fivetran.com/webhooks/{uuid.uuid4()}"


def webhook_secret() -> str:
    """The read-only Iterable `config.webhook_secret`: what the Iterable side authenticates its webhook calls with."""
    return secrets.token_urlsafe(24)


def fingerprint_hash(value: str) -> str:
    """A short, stable hash of a certificate or public key, as the certificate endpoints name them."""
    return hashlib.sha256(value.encode()).hexdigest()[:40]
