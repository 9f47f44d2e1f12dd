"""Adopting a connection whose key the program already knows (Terraform set it), without sending the key.

`adopt_without_sending_key: true` says the declared `config.api_key` is the one the connection holds, so the
adoption sends nothing when every other setting matches, never sends the key when something else differs,
and a later rollback can restore everything. Against the emulator, where a key starting with `invalid` fails
the setup tests: sending the wrong key would show.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_fivetran_iterable.provider import ProviderError

from tests.support.emulator import Emulator
from tests.test_provider import API_KEY, checked, create, make_provider, program

SETTINGS: dict[str, Any] = {"sync_frequency": 60, "paused": False}
CONFIG = {"sync_mode": "SelectedEvents", "events": ["emailOpen", "emailSend"]}


@pytest.fixture
def provider(emulator: Emulator):
    return make_provider(emulator)


def terraforms_connection(emulator: Emulator, api_key: str = API_KEY, **settings: Any) -> dict[str, Any]:
    """The connection as Terraform made it, with the key the Terraform state holds."""
    return emulator.create_connection("iterable_marketing", api_key, config=CONFIG,
                                      **{**SETTINGS, "run_setup_tests": True, **settings})


def adopt(provider: Any, **overrides: Any) -> tuple[str, dict[str, Any]]:
    config = {**CONFIG, **overrides.pop("config", {})}
    return create(provider, adopt_existing=True, adopt_without_sending_key=True,
                  **{**SETTINGS, **overrides}, config=config)


def test_adopting_a_connection_as_terraform_left_it_sends_nothing(provider, emulator) -> None:
    theirs = terraforms_connection(emulator)
    before = len(emulator.requests())

    connection_id, outs = adopt(provider)

    sent = emulator.requests()[before:]
    assert connection_id == theirs["id"]
    assert [r["method"] for r in sent] == ["GET"], "one lookup by group and schema, and nothing else"
    assert outs["config"]["api_key"] == API_KEY and outs["adopt_without_sending_key"] is True
    assert outs["status"]["setup_state"] == "connected"


def test_without_the_option_adoption_sends_the_declared_key_and_tests_it(provider, emulator) -> None:
    """The reason for the option: Fivetran never returns a stored key, so adoption cannot compare it."""
    terraforms_connection(emulator)
    before = len(emulator.requests())
    create(provider, adopt_existing=True, **SETTINGS, config=CONFIG)
    assert [r["method"] for r in emulator.requests()[before:] if r["method"] != "GET"] == ["PATCH"]


def test_a_differing_setting_is_sent_without_the_key(provider, emulator) -> None:
    # Fivetran holds a working key; the program's copy is wrong. Sending it would fail the setup tests.
    terraforms_connection(emulator, api_key="the-key-fivetran-holds", sync_frequency=360)
    connection_id, outs = adopt(provider, config={"api_key": "invalid-stale-copy"})
    (live,) = emulator.connections()
    assert live["sync_frequency"] == 60, "the differing setting was applied"
    assert live["status"]["setup_state"] == "connected", "the key was not sent"
    assert outs["sync_frequency"] == 60


def test_a_failed_adoption_restores_every_setting_it_changed(provider, emulator) -> None:
    # The connection's own key fails its tests; the events change makes the adoption run them.
    theirs = terraforms_connection(emulator, api_key="invalid-their-key")
    with pytest.raises(ProviderError) as raised:
        adopt(provider, config={"api_key": "invalid-their-key", "events": ["emailClick"]})
    message = str(raised.value)
    assert "previous settings were restored" in message and "was not adopted" in message
    assert "could not be restored" not in message, "the key was never sent, so nothing of it is lost"
    (live,) = emulator.connections()
    assert live["id"] == theirs["id"] and live["config"]["events"] == CONFIG["events"]


def test_a_key_rotation_after_the_adoption_rolls_back_to_the_adopted_key(provider, emulator) -> None:
    terraforms_connection(emulator)
    connection_id, outs = adopt(provider)
    news = checked(provider, program(adopt_existing=True, adopt_without_sending_key=True, **SETTINGS,
                                     config={**CONFIG, "api_key": "invalid-rotated-key"}))
    with pytest.raises(ProviderError, match="rolled back") as raised:
        provider.update(connection_id, outs, news)
    assert "could not be restored" not in str(raised.value)
    (live,) = emulator.connections()
    assert live["status"]["setup_state"] == "connected", "the adopted key was sent back and passes"


def test_the_option_is_refused_where_it_means_nothing(provider) -> None:
    without_adoption = provider.check({}, program(adopt_without_sending_key=True))
    without_key = provider.check({}, {**program(adopt_existing=True, adopt_without_sending_key=True,
                                                connect_card_config={"redirect_uri": "https://example.com/done"}),
                                      "config": {"schema": "iterable_marketing"}})
    for result in (without_adoption, without_key):
        (failure,) = result.failures
        assert failure.reason.startswith("adopt_without_sending_key: is only allowed with adopt_existing: true")


def test_taking_a_connection_over_sends_no_refused_create(provider, emulator) -> None:
    """With adopt_existing, the connection is looked up before any POST; a new one is still one POST."""
    terraforms_connection(emulator)
    create(provider, adopt_existing=True, **SETTINGS, config=CONFIG)
    new_id, _ = create(provider, adopt_existing=True, config={"schema": "iterable_new"})
    methods = [(r["method"], r["status"]) for r in emulator.requests() if r["method"] == "POST"]
    assert methods == [("POST", 201), ("POST", 201)], "Terraform's create and the new one: no refused POST"
    assert new_id in {c["id"] for c in emulator.connections()}
