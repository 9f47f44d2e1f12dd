"""The open questions: where Fivetran's public documentation leaves a behaviour open, the emulator made a
choice (its README, "Choices where the real API is unverified"). Each is listed here once, with the step that
settles it against the account the run talks to, or why the API cannot settle it.

A run records what it saw for each question it reaches. `depends` marks the answers the provider relies on:
a different answer there fails the step that saw it; any other difference is reported, for the emulator to
follow.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    key: str
    asks: str
    emulator: str  # the emulator's choice
    step: str | None = None  # the step that settles it
    not_checkable: str | None = None  # why the API cannot settle it (then `step` is None)
    depends: bool = False  # the provider relies on the emulator's answer


_NO_SYNC = "the suite never lets a connection sync (a sync loads data and is billed)"

QUESTIONS: tuple[Question, ...] = (
    # Fields of the current API.
    Question("webhook-secret", "config.webhook_secret with webhook_auth_type Basic/OAuth2",
             "generated, shown in clear, new on each change of auth type", step="api-probes"),
    Question("external-secrets", "an Iterable key read from the account's external secrets manager",
             "external_secrets_keys_config.api_key names the secret", not_checkable=(
                 "needs a secrets manager connected to the account and a secret in it; the API cannot create either")),
    Question("config-fields", "the Iterable config fields Fivetran's connector-type metadata lists",
             "the provider's fields", step="preflight"),
    Question("schedule", "the flexible `schedule`: does INTERVAL n set sync_frequency n?", "yes",
             step="api-probes", depends=True),
    Question("schedule-conflict", "a `schedule` with a sync_frequency that contradicts it", "400",
             step="api-probes"),
    Question("destination-schema-names", "destination_schema_names: kept as given, and in a PATCH",
             "kept and shown as given; 400 in a PATCH (create-only)", step="api-probes"),
    Question("schema-status", "status.schema_status of a new connection; a PATCH of `auth: {}`",
             "ready; accepted", step="api-probes"),
    Question("card-hide-setup-guide", "the Connect Card link carries hide_setup_guide",
             "yes: &hide_setup_guide=true|false", step="connect-card"),
    Question("unset-fields", "unset hybrid_deployment_agent_id / proxy_agent_id / private_link_id in answers",
             "hybrid_deployment_agent_id left out; proxy_agent_id and private_link_id null", step="create"),
    Question("destination-and-user", "the group's destination and the account's user", "invented stand-ins",
             not_checkable="nothing to settle: they are the account's own, and the provider reads neither"),
    Question("state-endpoint", "GET .../state of an Iterable connection", "400 NotFunctionConnector",
             step="api-probes"),
    Question("certificates", "approving a certificate or fingerprint answers 201", "201 with the envelope",
             not_checkable="needs a certificate or SSH key the connection presents; Iterable's has none to approve"),
    # Schema configuration and re-syncs.
    Question("source-schema-name", "the source schema's name in the schema config", "iterable",
             step="schema-read", depends=True),
    Question("tables", "the tables of an Iterable connection", "the 17 of the provider's catalog",
             step="schema-read"),
    Question("locked-items", "what cannot change (enabled_patch_settings.allowed false)",
             "primary-key and _fivetran_* columns; the tables channel and message_type", step="schema-read"),
    Question("schema-config-before-read", "GET .../schemas before the schema is read or pre-created",
             "404 NotFound_SchemaConfig", step="api-probes", depends=True),
    Question("pre-create", "settings pre-created before the first sync (POST .../schemas)",
             "accepted, and shown as given", step="schema-config", depends=True),
    Question("pre-create-applied", "pre-created settings once Fivetran reads the schema", "applied",
             step="schema-read", depends=True),
    Question("reload-before-setup", "POST .../schemas/reload before the setup succeeded", "409",
             step="api-probes"),
    Question("columns-listed", "which columns the schema config lists", "only those whose settings were set",
             step="schema-read"),
    Question("new-items-default", "enable_new_by_default against schema_change_handling",
             "true exactly for ALLOW_ALL", step="schema-read"),
    Question("table-sync-mode", "every table's sync_mode", "SOFT_DELETE", step="schema-read"),
    Question("resync-while-syncing", "a re-sync while a sync runs", "409", not_checkable=_NO_SYNC),
    Question("resync-paused", "a whole re-sync of a paused connection", "accepted", step="resync"),
    Question("resync-marks-historical", "status.is_historical_sync after a whole re-sync", "true", step="resync"),
    Question("resync-tables", "a table-level re-sync (`scope`) of an Iterable connection", "accepted",
             step="resync-tables"),
    # Earlier choices.
    Question("setup-tests", "the setup tests of an Iterable connection, and which fails for a bad key",
             "'Connecting to Iterable', 'Validating API key' (fails)", step="failing-key-create"),
    Question("missing-connection", "GET and DELETE of a connection that no longer exists",
             "404 NotFound_Connection", step="api-probes", depends=True),
    Question("ids", "the shape of connection ids", "word_word", step="create"),
    Question("auth-failed", "the error code for wrong credentials", "401 AuthFailed", step="api-probes"),
    Question("headers", "an unacceptable Accept; a body that is not JSON", "406; 415", step="api-probes"),
    Question("duplicate-schema", "a second connection with a schema taken in the group", "409 Conflict",
             step="adoption-refused", depends=True),
    Question("recreate-after-delete", "a new connection with the group and schema of one just deleted",
             "accepted at once", step="replace-naming", depends=True),
    Question("service-version", "service_version of an Iterable connection", "1", step="create"),
    Question("daily-sync-time", "daily_sync_time when sync_frequency is not 1440", "null", step="create"),
    Question("iterable-defaults", "the Iterable config Fivetran fills in for what is not sent",
             "account_region US, sync_mode AllEvents, custom_event_sync_mode AllEvents, events [], "
             "custom_events [], historical_sync_limit ALL_TIME, webhook_auth_type NoAuth", step="api-probes"),
    Question("cross-field-rules", "Fivetran's own check of events with SelectedEvents", "400", step="api-probes"),
    Question("project-type", "config.project_type for the key used", "derived from the key", step="create"),
    Question("schema-in-config", "config.schema repeated inside `config` in answers", "no (top-level only)",
             step="create"),
    Question("unknown-fields", "an unknown config field; a read-only one (endpoint)", "400; 400",
             step="api-probes"),
    Question("patch-rules", "a PATCH with no persistent field; one with another config.schema", "400; 400",
             step="api-probes"),
    Question("patch-merge", "a PATCH of some config keys keeps the others; `null` clears a key",
             "merged by top-level key; null clears", step="update", depends=True),
    Question("masked-key", "config.api_key sent as the mask `******` in a PATCH", "keeps the stored key",
             step="api-probes"),
    Question("create-rules", "a create with the mask `******` as key; a create with both a key and a Connect Card",
             "400; accepted, with a card", step="api-probes"),
    Question("create-only-card", "connect_card_config in a PATCH", "400 (use the connect-card endpoint)",
             step="api-probes"),
    Question("card-token-reuse", "a Connect Card token after its card was completed", "stays valid",
             not_checkable="completing a card needs a person in Fivetran's web form"),
    Question("sync-now", "POST .../sync completes at once", "instantly", not_checkable=_NO_SYNC),
    Question("other-groups", "lists of an unknown group", "empty list, or 404 under /groups",
             not_checkable="the suite sends nothing about a group but its own, by design"),
    Question("paging", "a list with limit outside 1..1000", "400", step="api-probes"),
    Question("list-items", "a connection listed by group and schema, beside its own GET (fivetran:readByGroup)",
             "the same connection object, with every field a read needs", step="update"),
    Question("rate-limits", "the hourly request limit Fivetran reports (X-Rate-Limit, X-Rate-Limit-Remaining)",
             "20000, not enforced; both headers on every answer",
             step="preflight"),
)

BY_KEY = {question.key: question for question in QUESTIONS}


@dataclass(frozen=True)
class Answer:
    seen: str
    same: bool | None  # as the emulator chose; None when the answer cannot be compared


class Answers:
    """What the run saw, per question."""

    def __init__(self) -> None:
        self._seen: dict[str, Answer] = {}
        self._order: list[str] = []

    def record(self, key: str, seen: str, same: bool | None = None) -> None:
        if key not in BY_KEY:
            raise KeyError(f"no open question '{key}'")
        self._seen[key] = Answer(seen, same)
        self._order.append(key)

    def mark(self) -> int:
        return len(self._order)

    def differing(self, since: int) -> list[str]:
        """Answers recorded since `mark` that differ from what the provider relies on, as sentences."""
        keys = dict.fromkeys(self._order[since:])
        return [f"{BY_KEY[key].asks}: Fivetran answers {self._seen[key].seen}, the provider relies on "
                f"{BY_KEY[key].emulator}" for key in keys
                if BY_KEY[key].depends and self._seen[key].same is False]

    def get(self, key: str) -> Answer | None:
        return self._seen.get(key)

    def lines(self, outcome_of: dict[str, str]) -> list[str]:
        """One line per question: the answer seen (and whether it is the emulator's), or why there is none."""
        lines = []
        for question in QUESTIONS:
            answer = self._seen.get(question.key)
            if answer is not None:
                tag = {True: "same", False: "DIFFERS", None: "seen"}[answer.same]
                lines.append(f"  [{tag}] {question.key}: {answer.seen} (emulator: {question.emulator})")
            elif question.not_checkable:
                lines.append(f"  [not checkable] {question.key}: {question.not_checkable}")
            else:
                why = outcome_of.get(question.step or "", "not run")
                lines.append(f"  [no answer] {question.key}: step {question.step} {why}")
        return lines
