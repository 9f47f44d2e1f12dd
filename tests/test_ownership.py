"""Never touch a connection we cannot prove is ours; never claim to restore what we never held.

The provider against the emulator, in the situations where a create, a rollback or an adoption meets a
connection whose history it does not fully know: a stranger's connection with our schema, a key entered in a
Connect Card, an adopted connection, a rename that adopts the id the same `up` deletes.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi_fivetran_iterable.payloads import create_body
from pulumi_fivetran_iterable.provider import IterableConnectionProvider, ProviderError

from tests.support.emulator import Emulator
from tests.test_provider import checked, create, make_provider, program

CARD = {"redirect_uri": "https://example.com/iterable-connected"}
CREATE = "^/v1/connections$"


@pytest.fixture
def provider(emulator: Emulator) -> IterableConnectionProvider:
    return make_provider(emulator)


def strangers_connection(emulator: Emulator, *, api_key: str, **settings: Any) -> dict[str, Any]:
    """A connection someone else made in the dashboard, before our `up`, with other settings than ours."""
    return emulator.create_connection("iterable_marketing", api_key, config={"account_region": "EU"},
                                      **{"sync_frequency": 1440, "paused": True, **settings})


def card_program(**overrides: Any) -> dict[str, Any]:
    """A connection authorized through a Connect Card: no key in the program."""
    props = program(connect_card_config=CARD, **overrides)
    del props["config"]["api_key"]
    return props


def touched(emulator: Emulator, connection_id: str) -> list[tuple[str, str]]:
    """Every request that addressed the connection itself, or could have changed it."""
    return [(r["method"], r["path"]) for r in emulator.requests()
            if connection_id in r["path"] and r["method"] != "GET"]


def unchanged(emulator: Emulator, before: dict[str, Any]) -> bool:
    status, body = emulator.api("GET", f"/connections/{before['id']}")
    return status == 200 and {k: v for k, v in body["data"].items() if k != "status"} == \
        {k: v for k, v in before.items() if k != "status"}


# -- 1. a lost create reply never claims a stranger's connection -------------------------------------------

CREATE_FAULTS = {
    "503 before commit": {"status": 503},
    "502 before commit": {"status": 502},
    "409 lost": {"drop_connection": True, "after_commit": True},
    "dropped before commit": {"drop_connection": True},
}


@pytest.mark.parametrize("fault", CREATE_FAULTS.values(), ids=CREATE_FAULTS.keys())
@pytest.mark.parametrize("their_key", ["invalid-their-old-key", "their-working-key"], ids=["broken", "working"])
def test_a_lost_create_reply_leaves_a_strangers_connection_alone(provider, emulator, fault, their_key) -> None:
    theirs = strangers_connection(emulator, api_key=their_key)
    emulator.fault(method="POST", path=CREATE, count=1, **fault)

    with pytest.raises(ProviderError) as raised:
        create(provider)  # same group and schema as theirs; every other setting differs

    message = str(raised.value)
    assert "already exists" in message and "adopt_existing: true" in message and theirs["id"] in message
    assert "deleted" not in message and "nothing was created" not in message
    assert touched(emulator, theirs["id"]) == []
    assert unchanged(emulator, theirs)
    assert [c["id"] for c in emulator.connections()] == [theirs["id"]]


def test_a_lost_reply_of_our_own_create_is_still_recognised(provider, emulator) -> None:
    emulator.fault(method="POST", path=CREATE, status=502, count=1, after_commit=True)
    connection_id, outs = create(provider, config={"api_key": "invalid-our-key"}, setup_test_policy="warn")
    assert [c["id"] for c in emulator.connections()] == [connection_id]
    assert outs["status"]["setup_state"] == "incomplete"


def test_failing_tests_after_a_lost_reply_delete_only_the_connection_we_made(provider, emulator) -> None:
    emulator.fault(method="POST", path=CREATE, status=502, count=1, after_commit=True)
    with pytest.raises(ProviderError, match="deleted again"):
        create(provider, config={"api_key": "invalid-our-key"})
    assert emulator.connections() == []


# -- 2. rollbacks restore only what we hold, and say what they could not -------------------------------------


def complete_card(emulator: Emulator, outs: dict[str, Any], api_key: str) -> None:
    token = outs["connect_card_uri"].rsplit("auth=", 1)[1]
    emulator.complete_connect_card(token, api_key)


def test_a_declared_key_over_a_working_card_key_is_refused_under_fail_with_nothing_sent(provider, emulator) -> None:
    created = provider.create(checked(provider, card_program()))
    complete_card(emulator, created.outs, "the-owners-working-key")  # the state still says `incomplete`
    olds = {**created.outs, "__provider": "serialized"}
    news = checked(provider, program(config={"api_key": "invalid-declared-key"}))

    with pytest.raises(ProviderError) as raised:
        provider.update(created.id, olds, news)

    message = str(raised.value)
    assert "Connect Card" in message and "Nothing was changed" in message and "setup_test_policy: warn" in message
    assert "invalid-declared-key" not in message and "rolled back" not in message
    assert not [r for r in emulator.requests() if r["method"] == "PATCH"], "nothing sent"
    (live,) = emulator.connections()
    assert live["status"]["setup_state"] == "connected", "the owner's key still works"


def test_under_warn_a_declared_key_over_a_working_card_key_is_made_and_reported(provider, emulator) -> None:
    created = provider.create(checked(provider, card_program(setup_test_policy="warn")))
    complete_card(emulator, created.outs, "the-owners-working-key")
    olds = {**created.outs, "__provider": "serialized"}
    news = checked(provider, program(setup_test_policy="warn", config={"api_key": "invalid-declared-key"}))

    updated = provider.update(created.id, olds, news)

    assert updated.outs["key_source"] == "declared"
    assert [t["status"] for t in updated.outs["setup_tests"]] and updated.outs["status"]["setup_state"] == "broken"


def test_a_failing_declared_key_over_a_broken_card_key_says_the_card_key_is_gone(provider, emulator) -> None:
    created = provider.create(checked(provider, card_program()))
    complete_card(emulator, created.outs, "invalid-owners-key")  # entered, but it never worked
    olds = {**created.outs, "__provider": "serialized"}
    news = checked(provider, program(config={"api_key": "invalid-declared-key"}))

    with pytest.raises(ProviderError) as raised:
        provider.update(created.id, olds, news)

    message = str(raised.value)
    assert "setup tests failed" in message and "invalid-declared-key" not in message
    assert "could not be put back" in message and "Connect Card" in message
    assert "rolled back" not in message and "Nothing to update" not in message
    patches = [r for r in emulator.requests() if r["method"] == "PATCH"]
    assert [r["status"] for r in patches] == [200], "one PATCH (the key), no empty revert"


def test_a_failing_key_with_other_changes_reverts_the_others_and_says_so(provider, emulator) -> None:
    created = provider.create(checked(provider, card_program(sync_frequency=360)))
    complete_card(emulator, created.outs, "invalid-owners-key")
    olds = {**created.outs, "__provider": "serialized"}
    news = checked(provider, program(sync_frequency=60, config={"api_key": "invalid-declared-key"}))

    with pytest.raises(ProviderError, match="rolled back, but its previous key, if it had one, could not be put back"):
        provider.update(created.id, olds, news)
    (live,) = emulator.connections()
    assert live["sync_frequency"] == 360, "what we held was restored"


def test_adopting_a_working_connection_never_replaces_its_key(provider, emulator) -> None:
    theirs = strangers_connection(emulator, api_key="their-working-key", paused=False, sync_frequency=360)
    connection_id, outs = create(provider, adopt_existing=True, sync_frequency=60,
                                 config={"api_key": "invalid-declared-key", "account_region": "EU"})
    assert connection_id == theirs["id"] and outs["key_source"] == "declared"
    (live,) = emulator.connections()
    assert live["sync_frequency"] == 60 and live["status"]["setup_state"] == "connected", "their key still works"
    status, tested = emulator.api("POST", f"/connections/{connection_id}/test", {})
    assert status == 200 and tested["data"]["status"]["setup_state"] == "connected", "the declared key was not sent"


def test_a_failed_adoption_does_not_claim_the_key_was_restored(provider, emulator) -> None:
    theirs = strangers_connection(emulator, api_key="invalid-their-key", paused=False, sync_frequency=360)
    with pytest.raises(ProviderError) as raised:
        create(provider, adopt_existing=True, sync_frequency=60, config={"api_key": "invalid-declared-key",
                                                                          "account_region": "EU"})
    message = str(raised.value)
    assert "was not adopted" in message and "could not be put back" in message
    assert "previous settings were restored" not in message
    (live,) = emulator.connections()
    assert live["id"] == theirs["id"] and live["sync_frequency"] == 360, "the settings we knew were restored"


# -- 3. one canonical form for olds and news (the engine sends numbers as floats) ----------------------------


def test_a_rollback_from_engine_shaped_olds_restores_the_previous_settings(provider, emulator) -> None:
    connection_id, outs = create(provider, sync_frequency=360)
    engine_olds = {**outs, "sync_frequency": 360.0, "__provider": "serialized"}  # as the engine hands them back
    news = checked(provider, program(sync_frequency=60, config={"api_key": "invalid-rotated-key"}))

    with pytest.raises(ProviderError, match="rolled back"):
        provider.update(connection_id, engine_olds, news)
    (live,) = emulator.connections()
    assert live["sync_frequency"] == 360 and live["status"]["setup_state"] == "connected"
    assert all(r["status"] == 200 for r in emulator.requests() if r["method"] == "PATCH")


# -- 4. adopting the id that the same `up` deletes -----------------------------------------------------------


def test_a_rename_with_adopt_existing_keeps_the_connection(provider, emulator) -> None:
    old_id, old_outs = create(provider)
    new_id, _ = create(provider, adopt_existing=True)  # the renamed resource, in the same `up`
    assert new_id == old_id
    provider.delete(old_id, old_outs)  # the engine deletes the old resource last
    assert [c["id"] for c in emulator.connections()] == [new_id]
    assert not [r for r in emulator.requests() if r["method"] == "DELETE"]


def test_the_exists_error_points_renames_to_aliases(provider, emulator) -> None:
    create(provider)
    with pytest.raises(ProviderError, match=r"aliases"):
        create(make_provider(emulator))


# -- 5. setup tests only when there is a key to test -----------------------------------------------------------


def test_a_card_create_does_not_ask_for_setup_tests() -> None:
    assert create_body(checked(IterableConnectionProvider(), card_program()))["run_setup_tests"] is False
    keyed = checked(IterableConnectionProvider(), program())
    assert create_body(keyed)["run_setup_tests"] is True


def test_a_card_connection_waiting_for_its_card_takes_config_changes(provider, emulator) -> None:
    created = provider.create(checked(provider, card_program()))
    assert created.outs["status"]["setup_state"] == "incomplete"
    olds = {**created.outs, "__provider": "serialized"}
    changed = card_program(config={"sync_mode": "SelectedEvents", "events": ["emailOpen"]})
    updated = provider.update(created.id, olds, checked(provider, changed)).outs
    (live,) = emulator.connections()
    assert live["config"]["events"] == ["emailOpen"] and updated["config"]["events"] == ["emailOpen"]


# -- 7. a preview with a value not known yet -------------------------------------------------------------------


def test_a_declared_daily_sync_time_survives_an_unknown_sync_frequency_in_preview(provider) -> None:
    checked_news = provider.check({}, program(sync_frequency=Unknown(), daily_sync_time="03:00")).inputs
    assert checked_news["daily_sync_time"] == "03:00" and isinstance(checked_news["sync_frequency"], Unknown)
    olds = {**checked(provider, program(sync_frequency=1440, daily_sync_time="03:00")), "connection_id": "x"}
    assert [name for name, value in checked_news.items() if value != olds.get(name)] == ["sync_frequency"]
    known = provider.check({}, program(sync_frequency=1440, daily_sync_time="03:00")).inputs
    assert known["daily_sync_time"] == "03:00"


# -- 8. the smaller ones ---------------------------------------------------------------------------------------


def test_clearing_historic_sync_time_frame_outside_pulumi_shows_as_drift(provider, emulator) -> None:
    connection_id, outs = create(provider, config={"historic_sync_time_frame": "ONE_YEAR"})
    emulator.api("PATCH", f"/connections/{connection_id}", {"config": {"historic_sync_time_frame": None},
                                                            "run_setup_tests": False})
    read = provider.read(connection_id, outs)
    assert "historic_sync_time_frame" not in read.inputs["config"]
    assert provider.diff(connection_id, read.outs, checked(provider, program(
        config={"historic_sync_time_frame": "ONE_YEAR"}))).changes is True


def test_hide_setup_guide_false_is_the_same_as_leaving_it_out(provider, emulator) -> None:
    created = provider.create(checked(provider, card_program()))
    olds = {**created.outs, "__provider": "serialized"}
    explicit = checked(provider, {**card_program(), "connect_card_config": {**CARD, "hide_setup_guide": False}})
    assert provider.diff(created.id, olds, explicit).changes is False
