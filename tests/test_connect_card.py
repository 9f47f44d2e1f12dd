"""The Connect Card path: the account owner types the Iterable key into a Fivetran-hosted form, so the key
never passes through the program or its state."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from pulumi_fivetran_iterable.provider import IterableConnectionProvider

from tests.support.emulator import Emulator
from tests.support.failures import paths
from tests.test_provider import checked, make_provider

CARD = {"redirect_uri": "https://example.com/iterable-connected", "hide_setup_guide": True}


@pytest.fixture
def provider(emulator: Emulator) -> IterableConnectionProvider:
    return make_provider(emulator)


def program(*, api_key: str | None = None, card: dict[str, Any] | None = CARD, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"schema": "iterable_card", **overrides.pop("config", {})}
    if api_key:
        config["api_key"] = api_key
    props: dict[str, Any] = {"group_id": "warehouse_main", "config": config, "__provider": "p", **overrides}
    if card:
        props["connect_card_config"] = card
    return props


def token_of(uri: str) -> str:
    """The card's token: the `auth` query parameter of the URI, as in Fivetran's Connect Card links."""
    return parse_qs(urlparse(uri).query)["auth"][0]


def create_with_card(provider: IterableConnectionProvider) -> tuple[str, dict[str, Any]]:
    result = provider.create(checked(provider, program()))
    return result.id, {**result.outs, "__provider": "p"}


def test_neither_key_nor_card_is_rejected_at_check_naming_the_field(provider) -> None:
    failures = provider.check({}, program(card=None)).failures
    assert paths(failures) == ["config.api_key"]
    assert "connect_card_config" in failures[0].reason


def test_create_through_a_card_returns_its_uri_and_is_not_a_failure(provider, emulator) -> None:
    connection_id, outs = create_with_card(provider)
    assert outs["connect_card_uri"].startswith("http")
    assert outs["status"]["setup_state"] == "incomplete"
    assert "api_key" not in outs["config"]
    live = emulator.connections()
    assert [c["id"] for c in live] == [connection_id]


def test_completed_card_shows_connected_on_refresh_with_no_diff(provider, emulator) -> None:
    connection_id, outs = create_with_card(provider)
    emulator.complete_connect_card(token_of(outs["connect_card_uri"]), "itbl-typed-by-owner")
    result = provider.read(connection_id, outs)
    assert result.outs["status"]["setup_state"] == "connected"
    assert "api_key" not in result.inputs["config"]
    diff = provider.diff(connection_id, result.outs, checked(provider, program()))
    assert diff.changes is False


def test_switching_from_card_to_declared_key_is_an_in_place_update(provider, emulator) -> None:
    connection_id, outs = create_with_card(provider)
    news = checked(provider, program(api_key="itbl-declared", card=None))
    diff = provider.diff(connection_id, outs, news)
    assert diff.changes is True and not diff.replaces
    result = provider.update(connection_id, outs, news)
    assert result.outs["status"]["setup_state"] == "connected"
    assert "connect_card_uri" not in result.outs
    assert [c["id"] for c in emulator.connections()] == [connection_id]


def test_switching_from_declared_key_to_card_issues_a_card_in_place(provider, emulator) -> None:
    result = provider.create(checked(provider, program(api_key="itbl-declared", card=None)))
    outs = {**result.outs, "__provider": "p"}
    news = checked(provider, program())
    diff = provider.diff(result.id, outs, news)
    assert diff.changes is True and not diff.replaces
    updated = provider.update(result.id, outs, news)
    assert updated.outs["connect_card_uri"].startswith("http")
    # The connection keeps working with the key it has until the owner completes the card.
    assert updated.outs["status"]["setup_state"] == "connected"
    assert [c["id"] for c in emulator.connections()] == [result.id]


def test_a_changed_card_config_issues_a_new_card(provider, emulator) -> None:
    connection_id, outs = create_with_card(provider)
    news = checked(provider, program(card={"redirect_uri": "https://example.com/elsewhere"}))
    assert provider.diff(connection_id, outs, news).changes is True
    updated = provider.update(connection_id, outs, news)
    new_uri = updated.outs["connect_card_uri"]
    assert new_uri != outs["connect_card_uri"] and "elsewhere" in new_uri
    assert token_of(new_uri) != token_of(outs["connect_card_uri"])


def test_adopting_a_card_connection_already_as_declared_sends_only_a_new_card(provider, emulator) -> None:
    connection_id, _ = create_with_card(provider)
    before = len(emulator.requests())
    adopted = make_provider(emulator).create(checked(provider, program(adopt_existing=True)))
    assert adopted.id == connection_id
    sent = [(r["method"], r["path"], r["status"]) for r in emulator.requests()[before:]]
    assert sent == [("GET", "/v1/connections", 200),
                    ("POST", f"/v1/connections/{connection_id}/connect-card", 200)]
    assert adopted.outs["connect_card_uri"].startswith("http") and adopted.outs["schema"] == "iterable_card"
