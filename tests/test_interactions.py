"""Promises kept where features meet: key sources with rollbacks and adoption, the schema config with unpausing,
webhook secrets with rollbacks, replacements with Fivetran's one-connection-per-schema rule, values unknown at
preview inside lists, and a create whose clean-up fails.

Each scenario is driven through the real provider server with the olds the engine really hands back (the
outputs of the previous step, numbers as floats), against the emulator, and checks what Fivetran holds
afterwards, not only what the provider says.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from pulumi.output import Unknown
from pulumi.runtime.proto import provider_pb2
from pulumi_fivetran_iterable.provider import IterableConnectionProvider, ProviderError

from tests.support.emulator import Emulator
from tests.support.engine import UNKNOWN, EngineStandIn, partial_outputs
from tests.test_provider import checked, make_provider

VAULT, SECRET, VAULT_KEY = "esm_vault", "ITERABLE_API_KEY", "itbl-key-kept-in-the-vault"
FAILING_SECRET = "ITERABLE_KEY_THAT_FAILS"
CARD = {"redirect_uri": "https://example.com/iterable-connected"}
BLOCKED = {"tables": {"list_user_history": {"enabled": False},
                      "user_history": {"columns": {"email": {"hashed": True}}}}}


@pytest.fixture
def engine(emulator: Emulator) -> Iterator[EngineStandIn]:
    emulator.add_external_secret(VAULT, SECRET, VAULT_KEY)
    emulator.add_external_secret(VAULT, FAILING_SECRET, "invalid-key-in-the-vault")
    config = {"fivetran:apiKey": emulator.api_key, "fivetran:apiSecret": emulator.api_secret,
              "fivetran:apiUrl": emulator.base_url, "fivetran:createLimit": "0"}
    with EngineStandIn.start(config) as stand_in:
        yield stand_in


def program(**overrides: Any) -> dict[str, Any]:
    config = {"schema": "iterable_meet", "api_key": "itbl-meet-canary-4e1", **overrides.pop("config", {})}
    return {"group_id": "warehouse_main", "config": config, **overrides}


def keyless(**overrides: Any) -> dict[str, Any]:
    props = program(**overrides)
    del props["config"]["api_key"]
    return props


def from_vault(secret: str = SECRET, **overrides: Any) -> dict[str, Any]:
    return keyless(external_secrets_manager_id=VAULT, external_secrets_keys_config={"api_key": secret}, **overrides)


class Stack:
    """One resource's history through the engine: what the state holds after each step."""

    def __init__(self, engine: EngineStandIn, name: str = "c") -> None:
        self.engine, self.name = engine, name
        self.id, self.outs, self.inputs = "", {}, {}
        self.recorded: dict[str, Any] | None = None  # what the last failed update had the engine record

    def up(self, news: dict[str, Any]) -> provider_pb2.DiffResponse | None:
        checked_inputs = self.engine.check(self.name, self.inputs, news)
        assert checked_inputs.failures == [], checked_inputs.failures
        if not self.id:
            self.id, self.outs = self.engine.create(self.name, checked_inputs.inputs)
            self.inputs = checked_inputs.inputs
            return None
        diff = self.engine.diff(self.name, self.id, self.outs, checked_inputs.inputs, self.inputs)
        self.outs = self.engine.update(self.name, self.id, self.outs, checked_inputs.inputs, self.inputs)
        self.inputs = checked_inputs.inputs
        return diff

    def refresh(self) -> None:
        self.id, self.outs, self.inputs = self.engine.read(self.name, self.id, self.outs, self.inputs)

    def preview(self, news: dict[str, Any]) -> provider_pb2.DiffResponse:
        checked_inputs = self.engine.check(self.name, self.inputs, news)
        assert checked_inputs.failures == [], checked_inputs.failures
        return self.engine.diff(self.name, self.id, self.outs, checked_inputs.inputs, self.inputs)

    def failing_up(self, news: dict[str, Any]) -> str:
        """An `up` that fails: the engine keeps the state as it was, or records the outputs the provider sent with
        the error (an update that wrote part of the change); the error's text."""
        with pytest.raises(grpc.RpcError) as raised:
            self.engine.update(self.name, self.id, self.outs, self.engine.check(self.name, self.inputs, news).inputs,
                               self.inputs)
        self.recorded = partial_outputs(raised.value)
        if self.recorded is not None:
            self.outs = self.recorded
        return raised.value.details()


def live(emulator: Emulator) -> dict[str, Any]:
    (connection,) = emulator.connections()
    return connection


def writes(emulator: Emulator, since: int = 0) -> list[tuple[str, str]]:
    return [(r["method"], r["path"].split("/v1", 1)[-1]) for r in emulator.requests()[since:] if r["method"] != "GET"]


def complete_card(emulator: Emulator, outs: dict[str, Any], key: str) -> None:
    emulator.complete_connect_card(outs["connect_card_uri"].rsplit("auth=", 1)[1], key)


def point_at_vault_outside(emulator: Emulator, stack: Stack, secret: str) -> None:
    """Someone points the connection at a secret of the vault in the dashboard (its tests run); a refresh sees it."""
    status, _ = emulator.api("PATCH", f"/connections/{stack.id}", {
        "external_secrets_manager_id": VAULT, "external_secrets_keys_config": {"api_key": secret},
        "run_setup_tests": True})
    assert status == 200
    stack.refresh()


# -- 1. unpausing never comes before the schema config that restricts the first sync --------------------------


def test_an_unpause_with_a_new_schema_config_writes_the_schema_config_first(engine, emulator) -> None:
    stack = Stack(engine)
    stack.up(program(paused=True))  # a paused connection that never synced
    before = len(emulator.requests())
    stack.up(program(paused=False, schema_config=BLOCKED))
    sent = writes(emulator, before)
    unpause = next(i for i, (method, path) in enumerate(sent) if method == "PATCH" and path.endswith(stack.id))
    schema = next(i for i, (_, path) in enumerate(sent) if path.endswith("/schemas"))
    assert schema < unpause, f"the schema config must be in place before the unpause: {sent}"
    assert live(emulator)["paused"] is False


# -- 2. a key that cannot be put back is never replaced under `fail` with a claim of "rolled back" --------------


def test_moving_a_working_card_key_to_a_secrets_manager_is_refused_at_preview(engine, emulator) -> None:
    stack = Stack(engine)
    stack.up(keyless(connect_card_config=CARD))
    complete_card(emulator, stack.outs, "the-owners-working-key")
    stack.refresh()
    before = len(emulator.requests())
    with pytest.raises(grpc.RpcError) as raised:
        stack.preview(from_vault(FAILING_SECRET, connect_card_config=None))
    message = raised.value.details()
    assert "Connect Card" in message and "setup_test_policy: warn" in message and "Traceback" not in message
    details = stack.failing_up(from_vault(FAILING_SECRET))
    assert "Nothing was changed" in details and "rolled back" not in details
    assert writes(emulator, before) == [] and live(emulator)["status"]["setup_state"] == "connected"


def test_under_warn_a_move_off_a_card_key_warns_at_preview_and_says_the_key_is_gone(engine, emulator) -> None:
    stack = Stack(engine)
    stack.up(keyless(connect_card_config=CARD, setup_test_policy="warn"))
    complete_card(emulator, stack.outs, "the-owners-working-key")
    stack.refresh()
    stack.preview(from_vault(FAILING_SECRET, setup_test_policy="warn"))
    assert any("cannot be put back" in w for w in engine.warnings("c"))
    stack.up(from_vault(FAILING_SECRET, setup_test_policy="warn"))
    assert stack.outs["key_source"] == "secrets_manager" and live(emulator)["status"]["setup_state"] == "broken"


def test_adopting_a_working_connection_into_a_secrets_manager_is_refused_under_fail(engine, emulator) -> None:
    theirs = emulator.create_connection("iterable_meet", "their-working-key", paused=False)
    before = len(emulator.requests())
    with pytest.raises(grpc.RpcError) as raised:
        engine.create("c", engine.check("c", {}, from_vault(FAILING_SECRET, adopt_existing=True)).inputs)
    details = raised.value.details()
    assert "set up before this program adopted it" not in details  # the description names the adopted key
    assert "the key the connection had when this program adopted it" in details and "Nothing was changed" in details
    assert [w for w in writes(emulator, before) if w[0] != "POST"] == [], "nothing sent to their connection"
    assert live(emulator)["id"] == theirs["id"] and live(emulator)["status"]["setup_state"] == "connected"


# -- 3. a rolled-back key source leaves the connection working --------------------------------------------------


def test_a_failed_move_to_a_secrets_manager_puts_the_key_back_and_retests(engine, emulator) -> None:
    stack = Stack(engine)
    stack.up(program())
    details = stack.failing_up(from_vault(FAILING_SECRET))
    assert "rolled back" in details
    connection = live(emulator)
    assert connection["status"]["setup_state"] == "connected", "the previous key is back and tested"
    assert not connection.get("external_secrets_keys_config")


def test_a_failed_move_between_secrets_puts_the_first_secret_back(engine, emulator) -> None:
    stack = Stack(engine)
    stack.up(from_vault())
    assert "rolled back" in stack.failing_up(from_vault(FAILING_SECRET))
    connection = live(emulator)
    assert connection["external_secrets_keys_config"] == {"api_key": SECRET}
    assert connection["status"]["setup_state"] == "connected"


def test_a_secrets_manager_set_outside_is_undone_by_sending_the_declared_key_again(engine, emulator) -> None:
    """Someone points the connection at a secrets manager in the dashboard (or a move to one landed while its reply
    was lost): Fivetran dropped the declared key. Refresh records the mapping; the next `up` must clear it and send
    the declared key again, though the state's key and the program's are the same."""
    stack = Stack(engine)
    stack.up(program())
    point_at_vault_outside(emulator, stack, FAILING_SECRET)
    assert live(emulator)["status"]["setup_state"] == "broken"
    assert stack.outs["external_secrets_keys_config"] == {"api_key": FAILING_SECRET}
    stack.up(program())
    connection = live(emulator)
    assert not connection.get("external_secrets_keys_config") and connection["status"]["setup_state"] == "connected"
    assert stack.outs["key_source"] == "declared"


def test_a_failing_key_sent_to_leave_a_secrets_manager_set_outside_puts_that_manager_back(engine, emulator) -> None:
    """The state, refreshed, holds both the declared key and the mapping set outside; a rollback sends back one
    key source, the one Fivetran had (Fivetran refuses a key and a mapping together)."""
    stack = Stack(engine)
    stack.up(program())
    point_at_vault_outside(emulator, stack, SECRET)
    assert live(emulator)["status"]["setup_state"] == "connected"
    details = stack.failing_up(program(config={"api_key": "invalid-rotated"}))
    assert "so the change was rolled back" in details, details
    connection = live(emulator)
    assert connection["external_secrets_keys_config"] == {"api_key": SECRET}
    assert connection["status"]["setup_state"] == "connected"


def test_a_rollback_tests_the_restored_key_even_when_the_previous_program_ran_no_tests(engine, emulator) -> None:
    """The program before switched setup tests off; the change switches them on with a key that fails. The revert
    must still test the key it puts back, or Fivetran's setup state (and the message) speak of the failed key."""
    stack = Stack(engine)
    stack.up(program())
    stack.up(program(run_setup_tests=False))
    details = stack.failing_up(program(run_setup_tests=True, config={"api_key": "invalid-rotated"}))
    assert "so the change was rolled back" in details and "now fails" not in details, details
    assert live(emulator)["status"]["setup_state"] == "connected"


@pytest.mark.parametrize("card_completed", [False, True], ids=["card-never-completed", "card-key-broken"])
def test_a_failed_move_off_a_key_nothing_can_resend_says_the_connection_has_no_key(engine, emulator,
                                                                                    card_completed: bool) -> None:
    """Off a Connect Card (never completed, or completed with a key that fails) to a secret that fails: the revert
    clears the mapping, and there is no key to put back. The message must say so, not that a key was restored."""
    stack = Stack(engine)
    stack.up(keyless(connect_card_config=CARD))
    if card_completed:
        complete_card(emulator, stack.outs, "invalid-typed-into-the-card")
        stack.refresh()
    details = stack.failing_up(from_vault(FAILING_SECRET))
    assert "put back" in details and "key included, were put back" not in details, details
    assert "could not be put back" in details and "now holds no key" in details, details
    assert not live(emulator).get("external_secrets_keys_config")


def test_a_failed_adoption_into_a_secrets_manager_says_their_key_is_gone(engine, emulator) -> None:
    """Someone else's connection whose key fails (so adopting it into a secret is not refused): the secret fails
    too, and their key is gone. The message must say that, not that their settings, key included, came back."""
    theirs = emulator.create_connection("iterable_meet", "their-working-key", paused=False)
    status, _ = emulator.api("PATCH", f"/connections/{theirs['id']}", {"config": {"api_key": "invalid-expired"}})
    assert status == 200 and live(emulator)["status"]["setup_state"] == "broken"
    with pytest.raises(grpc.RpcError) as raised:
        engine.create("c", engine.check("c", {}, from_vault(FAILING_SECRET, adopt_existing=True)).inputs)
    details = raised.value.details()
    assert "it was not adopted" in details and "key included" not in details, details
    assert "the key the connection had when this program adopted it" in details and "now holds no key" in details


def test_a_revert_whose_outcome_is_unknown_says_so(engine, emulator) -> None:
    """The revert reached Fivetran, but every reply was a gateway timeout: the message may not claim either way."""
    stack = Stack(engine)
    stack.up(program())
    path = f"^/v1/connections/{stack.id}$"
    emulator.fault(method="PATCH", path=path, delay_s=0.01, count=1)  # the change itself
    emulator.fault(method="PATCH", path=path, status=504, after_commit=True, count=6)  # the revert, its replies lost
    details = stack.failing_up(program(config={"api_key": "invalid-rotated"}))
    assert "whether Fivetran applied the restore is not known" in details, details
    assert "so the connection holds the new ones" not in details
    assert live(emulator)["status"]["setup_state"] == "connected"  # as it happens, the restore landed


# -- 4. a rollback never rotates the webhook secret ---------------------------------------------------------------


def test_a_rolled_back_change_keeps_the_webhook_auth_type_and_its_secret(engine, emulator) -> None:
    stack = Stack(engine)
    stack.up(program(config={"webhook_auth_type": "Basic"}))
    secret = live(emulator)["config"]["webhook_secret"]
    details = stack.failing_up(program(config={"webhook_auth_type": "OAuth2", "api_key": "invalid-rotated"}))
    assert "rolled back" in details
    connection = live(emulator)
    assert connection["config"]["webhook_auth_type"] == "Basic"
    assert connection["config"]["webhook_secret"] == secret, "the secret registered in Iterable still matches"
    assert connection["status"]["setup_state"] == "connected"


def test_an_auth_type_change_with_a_passing_key_is_sent_after_it_untested(engine, emulator) -> None:
    stack = Stack(engine)
    stack.up(program(config={"webhook_auth_type": "Basic"}))
    before = len(emulator.requests())
    stack.up(program(config={"webhook_auth_type": "OAuth2", "api_key": "itbl-rotated-ok"}))
    patches = [r for r in emulator.requests()[before:] if r["method"] == "PATCH"]
    assert len(patches) == 2, "the tested key change, then the auth type alone"
    assert live(emulator)["config"]["webhook_auth_type"] == "OAuth2"
    assert stack.outs["webhook_secret"] == live(emulator)["config"]["webhook_secret"]


# -- 4b. an update that fails half-way records what it wrote ---------------------------------------------------


def test_a_key_move_whose_resync_is_refused_is_recorded_so_the_next_up_finishes_it(engine, emulator) -> None:
    """Off a card never completed to a declared key, with a re-sync that Fivetran refuses (a sync is running): the
    key is moved and tested, then the update fails. The state must say where the key comes from now, or the next
    `up` refuses to replace "the card's working key", which is the program's own."""
    stack = Stack(engine)
    stack.up(keyless(connect_card_config=CARD))
    target = program(resync={"trigger": "2026-12-02"})
    emulator.fault(method="POST", path=f"^/v1/connections/{stack.id}/resync$", status=409, count=1,
                   message="A sync is running")
    details = stack.failing_up(target)
    assert "only the re-sync did not start" in details, details
    assert stack.recorded is not None, "the update's partial outputs were not sent to the engine"
    assert stack.outs["key_source"] == "declared" and "resync" not in stack.outs
    assert stack.preview(target).changes == provider_pb2.DiffResponse.DIFF_SOME  # the re-sync is still to do
    before = len(emulator.requests())
    stack.up(target)
    assert writes(emulator, before) == [("POST", f"/connections/{stack.id}/resync")], "only what was missing"
    assert live(emulator)["status"]["setup_state"] == "connected"


def test_a_webhook_auth_change_that_fails_after_the_key_moved_is_recorded_and_finished(engine, emulator) -> None:
    stack = Stack(engine)
    stack.up(keyless(connect_card_config=CARD))
    target = program(config={"webhook_auth_type": "Basic"})
    emulator.fault(method="PATCH", path=f"^/v1/connections/{stack.id}$", delay_s=0.01, count=1)  # the key move
    emulator.fault(method="PATCH", path=f"^/v1/connections/{stack.id}$", status=503, count=50)  # then an outage
    details = stack.failing_up(target)
    assert "settings were updated, but then" in details and "Run `pulumi up` again to finish" in details, details
    assert stack.outs["key_source"] == "declared"
    assert stack.outs["config"]["webhook_auth_type"] == "NoAuth", "the auth type was not changed: the state says so"
    emulator.clear_faults()
    stack.up(target)
    connection = live(emulator)
    assert connection["config"]["webhook_auth_type"] == "Basic" and stack.outs["webhook_secret"]
    assert connection["status"]["setup_state"] == "connected" and stack.outs["key_source"] == "declared"


def test_a_rolled_back_key_change_records_the_schema_config_written_before_it(engine, emulator) -> None:
    """A new schema config and a key that fails, in one update: the key goes back, the schema config written
    first stays in Fivetran, and the state says so (the next `up` does not write it again)."""
    stack = Stack(engine)
    stack.up(program())
    details = stack.failing_up(program(schema_config=BLOCKED, config={"api_key": "invalid-rotated"}))
    assert "so the change was rolled back" in details and "schema config, written first, is kept" in details
    held = stack.outs["schema_config"]["tables"] if stack.recorded is not None else {}
    assert held["list_user_history"]["enabled"] is False and held["user_history"]["columns"]["email"]["hashed"]
    assert stack.outs["key_source"] == "declared" and stack.outs["config"]["api_key"] == "itbl-meet-canary-4e1"
    assert live(emulator)["status"]["setup_state"] == "connected"
    before = len(emulator.requests())
    stack.up(program(schema_config=BLOCKED))  # the key change given up: nothing is left to write
    assert writes(emulator, before) == [], writes(emulator, before)


def test_an_update_that_fails_before_writing_anything_keeps_the_state(engine, emulator) -> None:
    stack = Stack(engine)
    stack.up(program())
    emulator.fault(method="PATCH", path=f"^/v1/connections/{stack.id}$", status=503, count=50)
    details = stack.failing_up(program(paused=True))
    assert "503" in details and stack.recorded is None


# -- 5 and 6. destination_schema_names: a replacement that can happen, and no replacement for the same value ---


def test_a_destination_schema_names_change_deletes_first_and_says_what_is_lost(engine, emulator) -> None:
    stack = Stack(engine)
    stack.up(program(destination_schema_names="SOURCE_NAMING"))
    diff = stack.preview(program(destination_schema_names="FIVETRAN_NAMING"))
    assert list(diff.replaces) == ["destination_schema_names"] and diff.deleteBeforeReplace
    (warning,) = [w for w in engine.warnings("c") if "is replaced" in w]
    assert "deleted first" in warning and "webhook URL changes" in warning and "full historical sync" in warning
    # The engine then deletes before it creates: Fivetran accepts that order.
    engine.delete("c", stack.id, stack.outs, stack.inputs)
    new_id, _ = engine.create("c", engine.check("c", {}, program(destination_schema_names="FIVETRAN_NAMING")).inputs)
    assert live(emulator)["id"] == new_id and live(emulator)["destination_schema_names"] == "FIVETRAN_NAMING"


def test_a_schema_change_replacement_creates_first(engine, emulator) -> None:
    stack = Stack(engine)
    stack.up(program())
    diff = stack.preview(program(config={"schema": "iterable_meet_v2"}))
    assert list(diff.replaces) == ["config.schema"] and not diff.deleteBeforeReplace
    (warning,) = [w for w in engine.warnings("c") if "is replaced" in w]
    assert "created first" in warning and "webhook_endpoint" in warning


def test_declaring_again_the_naming_a_connection_has_is_no_change(engine, emulator) -> None:
    stack = Stack(engine)
    stack.up(program(destination_schema_names="SOURCE_NAMING"))
    stack.up(program())  # the declaration taken away: nothing changes in Fivetran
    stack.refresh()
    assert stack.outs["destination_schema_names"] == "SOURCE_NAMING", "refresh records the live value"
    diff = stack.preview(program(destination_schema_names="SOURCE_NAMING"))
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE and list(diff.replaces) == []


def test_adopting_then_declaring_the_live_naming_is_no_change(engine, emulator) -> None:
    emulator.create_connection("iterable_meet", "itbl-meet-canary-4e1", paused=False,
                               destination_schema_names="SOURCE_NAMING")
    stack = Stack(engine)
    stack.up(program(adopt_existing=True))
    assert stack.outs["destination_schema_names"] == "SOURCE_NAMING"
    stack.refresh()
    diff = stack.preview(program(adopt_existing=True, destination_schema_names="SOURCE_NAMING"))
    assert list(diff.replaces) == [] and diff.changes == provider_pb2.DiffResponse.DIFF_NONE


# -- 7. values unknown at preview, inside lists too ----------------------------------------------------------------


def test_an_unknown_table_in_a_resync_list_is_left_for_up(engine) -> None:
    checked_inputs = engine.check("c", {}, program(resync={"trigger": "t", "tables": ["event", UNKNOWN]}))
    assert checked_inputs.failures == []
    assert checked_inputs.inputs["resync"]["tables"] == ["event", UNKNOWN]


def test_a_misspelled_known_name_is_reported_even_when_a_value_inside_is_unknown(engine) -> None:
    props = program(schema_config={"tables": {"evnt": {"enabled": UNKNOWN}}},
                    resync={"trigger": "t", "tables": [UNKNOWN, "list_user_histroy"]})
    failures = dict(engine.check("c", {}, props).failures)
    assert "did you mean 'event'" in failures["schema_config.tables.evnt"]
    assert "did you mean 'list_user_history'" in failures["resync.tables[1]"]
    assert set(failures) == {"schema_config.tables.evnt", "resync.tables[1]"}


# -- 8. a create whose clean-up fails says what failed first and what is left -------------------------------------


def test_a_failed_cleanup_names_the_first_failure_what_is_left_and_the_next_step(emulator: Emulator) -> None:
    provider: IterableConnectionProvider = make_provider(emulator)
    emulator.fault(method="POST", path="/schemas$", status=400, count=1)
    emulator.fault(method="DELETE", path="^/v1/connections/[^/]+$", status=503, count=50)
    props = checked(provider, {**program(schema_config=BLOCKED), "__provider": "serialized"})
    with pytest.raises(ProviderError) as raised:
        provider.create(props)
    message = str(raised.value)
    left = live(emulator)
    assert left["id"] in message and "paused, so it does not sync" in message and left["paused"] is True
    assert "schema" in message.split("could not finish:", 1)[1].split("Deleting it again", 1)[0], "the first cause"
    assert "Deleting it again failed too" in message and "adopt_existing: true" in message


def test_the_next_up_after_a_failed_cleanup_completes_it_by_adoption(emulator: Emulator) -> None:
    provider = make_provider(emulator)
    emulator.fault(method="POST", path="/schemas$", status=400, count=1)
    emulator.fault(method="DELETE", path="^/v1/connections/[^/]+$", status=503, count=50)
    with pytest.raises(ProviderError):
        provider.create(checked(provider, {**program(schema_config=BLOCKED), "__provider": "serialized"}))
    emulator.control("DELETE", "/__emulator/faults")
    adopted = make_provider(emulator).create(
        checked(provider, {**program(schema_config=BLOCKED, adopt_existing=True), "__provider": "serialized"}))
    connection = live(emulator)
    assert adopted.id == connection["id"] and connection["paused"] is False
    assert adopted.outs["schema_config"]["tables"]["list_user_history"]["enabled"] is False


def test_unknown_detection_covers_lists() -> None:
    """The rule the provider applies, offline: an `Unknown` object inside a list is unknown too."""
    provider = IterableConnectionProvider()
    result = provider.check({}, {**program(config={"sync_mode": "SelectedEvents", "events": [Unknown()]}),
                                 "__provider": "serialized"})
    assert result.failures == []


def test_a_replacement_that_depends_on_an_unknown_value_says_it_may_happen(engine, emulator) -> None:
    stack = Stack(engine)
    stack.up(program())
    checked_inputs = engine.check("c", stack.inputs, program(group_id=UNKNOWN))
    diff = engine.diff("c", stack.id, stack.outs, checked_inputs.inputs, stack.inputs)
    assert list(diff.replaces) == ["group_id"]
    (warning,) = [w for w in engine.warnings("c") if "replaced" in w]
    assert "may be replaced: group_id is not known until `up`" in warning


def test_an_unknown_day_of_a_schedule_leaves_what_the_schedule_decides_unknown(engine) -> None:
    """An unknown element of `schedule.days_of_week` (found by the property test of unknown values): the check
    passes, and the inputs a schedule decides are kept unknown rather than failing the preview."""
    schedule = {"schedule_type": "INTERVAL", "interval": 60, "days_of_week": [UNKNOWN]}
    checked_inputs = engine.check("c", {}, program(schedule=schedule))
    assert checked_inputs.failures == []
    assert checked_inputs.inputs["schedule"]["days_of_week"] == [UNKNOWN]
    assert checked_inputs.inputs["sync_frequency"] == UNKNOWN
