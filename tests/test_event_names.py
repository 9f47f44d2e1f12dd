"""`config.events` checked against Iterable's event types: an unknown name is a warning naming it and the closest
known type, never an error (Iterable adds event types), and `config.custom_events` (the user's own names) is never
checked."""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

from pulumi.runtime import rpc
from pulumi_fivetran_iterable.catalog import EVENT_TYPES, FIVETRAN_LISTED_EVENTS, event_name_warnings
from pulumi_fivetran_iterable.provider import IterableConnectionProvider

from tests.support.engine import EngineStandIn
from tests.test_provider import program

# Fivetran's Iterable connector page, "Schema notes": "The EVENT table contains information of the following events".
FIVETRAN_PAGE_EVENTS = """Custom Event, Email Send, Email Send Skip, Email Open, Email Click, Email UnSubscribe,
Email Subscribe, Email Bounce, Email Complaint, Hosted Unsubscribe Click, InApp Send, InApp Open, InApp Click,
InApp Close, InApp Delete, InApp Delivery, InApp Send Skip, Inbox Message Impression, Inbox Session, Push Send,
Push Send Skip, Push Bounce, Push Open, Push Uninstall, Purchase, SMS Click, SMS Send, SMS Send Skip, SMS Bounce,
SMS Received, Web Push Click, Web Push Send, Web Push Send Skip"""


def type_of(display_name: str) -> str:
    """`InApp Send Skip` -> `inAppSendSkip`, `SMS Click` -> `smsClick`: Iterable's spelling of a display name."""
    first, *rest = display_name.split()
    return (first.lower() if first.isupper() else first[0].lower() + first[1:]) + "".join(rest)


def test_every_event_fivetran_lists_is_a_known_iterable_event_type() -> None:
    listed = {type_of(name.strip()) for name in FIVETRAN_PAGE_EVENTS.split(",")}
    assert len(listed) == 33 and listed == FIVETRAN_LISTED_EVENTS
    assert set(EVENT_TYPES) >= FIVETRAN_LISTED_EVENTS
    assert len(set(EVENT_TYPES)) == len(EVENT_TYPES) and "user" not in EVENT_TYPES


def test_one_warning_per_unknown_name_naming_it_and_the_closest_known_one() -> None:
    warnings = event_name_warnings(["emailSend", "emailOpn", "webPushClik", "emailUnsubscribe", "purchase"])
    named = [re.search(r"'(\w+)' is not one of Iterable's event types; the closest known one is '(\w+)'", w)
             for w in warnings]
    assert [match.groups() if match else None for match in named] == [
        ("emailOpn", "emailOpen"), ("webPushClik", "webPushClick"), ("emailUnsubscribe", "emailUnSubscribe")]
    assert [w.split(":")[0] for w in warnings] == ["config.events[1]", "config.events[2]", "config.events[3]"]
    assert "config.custom_events" in warnings[0]
    assert event_name_warnings(list(EVENT_TYPES)) == []
    assert event_name_warnings([None, 7]) == []  # not known yet (preview), or not a name: nothing to judge
    assert len(event_name_warnings(["signup"])) == 1  # a name far from every type still names the closest one


def checked_with_warnings(props: dict[str, Any]) -> tuple[list[str], list[str]]:
    """`check` as the engine calls it: the failures, and the warnings it sent for the resource."""
    warned: list[str] = []
    with mock.patch("pulumi_fivetran_iterable.provider.warn", warned.append):
        result = IterableConnectionProvider().check({}, props)
    return [f.reason for f in result.failures], warned


def test_check_warns_about_a_misspelled_event_and_still_passes() -> None:
    failures, warned = checked_with_warnings(program(config={"sync_mode": "SelectedEvents",
                                                             "events": ["emailSend", "emailOpn"]}))
    assert failures == []
    assert len(warned) == 1 and warned[0].startswith("config.events[1]: 'emailOpn' is not one of Iterable's event "
                                                     "types; the closest known one is 'emailOpen'")


def test_custom_events_known_names_and_unknown_values_are_not_warned_about() -> None:
    failures, warned = checked_with_warnings(program(config={
        "sync_mode": "SelectedEvents", "events": ["emailSend", rpc.UNKNOWN],
        "custom_event_sync_mode": "SelectedEvents", "custom_events": ["emailOpn", "signed_up"]}))
    assert failures == [] and warned == []
    failures, warned = checked_with_warnings({**program(), "config": rpc.UNKNOWN})
    assert warned == []


def test_the_warning_is_printed_for_the_engine_to_show(capsys) -> None:
    IterableConnectionProvider().check({}, program(config={"sync_mode": "SelectedEvents", "events": ["smsSnd"]}))
    assert "warning: config.events[0]: 'smsSnd' is not one of Iterable's event types; the closest known one is " \
           "'smsSend'" in capsys.readouterr().out


def test_the_warning_reaches_the_engine_on_the_resource(emulator) -> None:
    config = {"fivetran:apiKey": emulator.api_key, "fivetran:apiSecret": emulator.api_secret,
              "fivetran:apiUrl": emulator.base_url}
    with EngineStandIn.start(config) as engine:
        engine.check("marketing", {}, {k: v for k, v in program(config={"sync_mode": "SelectedEvents",
                                                                        "events": ["smsSnd"]}).items()
                                       if k != "__provider"})
        (warning,) = engine.warnings("marketing")
    assert warning.startswith("config.events[0]: 'smsSnd' is not one of Iterable's event types")
