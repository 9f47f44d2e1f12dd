"""What connections sync, through the real CLI: schema config declared with new connections in one `up`, no
perpetual diff, a dashboard change to a declared column shown by `refresh` and repaired by `up`, undeclared
items left alone, a Connect Card connection whose schema config waits for the card, adoption with a matching
and a differing schema config, bad names and locked items refused by `preview` with no request, a re-sync
shown in `preview` and sent once, and the historical sync a replacement implies said in `preview`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.support.emulator import Emulator
from tests.support.stack import StackProject, connection

pytestmark = pytest.mark.cli

BLOCKED = {"tables": {"LIST_USER_HISTORY": {"enabled": False},
                      "user_history": {"columns": {"email": {"hashed": True}}}}}
CARD = {"redirect_uri": "https://example.com/connected"}


def tables(emulator: Emulator, connection_id: str) -> dict:
    status, body = emulator.api("GET", f"/connections/{connection_id}/schemas")
    assert status == 200, body
    return body["data"]["schemas"]["iterable"]["tables"]


def by_schema(emulator: Emulator) -> dict[str, dict]:
    return {c["schema"]: c for c in emulator.connections()}


def test_schema_config_through_the_cli(tmp_path: Path, emulator: Emulator) -> None:
    project = StackProject.create(tmp_path, emulator)
    entries = [connection("marketing", schema_config=BLOCKED),
               connection("carded", connect_card_config=CARD, schema_config=BLOCKED)]
    project.declare(entries, api_keys={"marketing": "itbl-key-marketing"})

    # One `up` creates both connections with their schema config.
    up = project.up().check()
    output = up.stdout + up.stderr
    assert "is not set up yet" in output and "once its Connect Card is completed" in output, output
    live = by_schema(emulator)
    marketing, carded = live["marketing"], live["carded"]
    assert marketing["paused"] is False and marketing["status"]["setup_state"] == "connected"
    emulator.api("POST", f"/connections/{marketing['id']}/sync", {})  # Fivetran's first sync reads the schema
    assert tables(emulator, marketing["id"])["list_user_history"]["enabled"] is False
    assert tables(emulator, marketing["id"])["user_history"]["columns"]["email"]["hashed"] is True
    project.preview("--expect-no-changes").check()

    # The card's owner completes it; the first sync applies the waiting schema config; nothing differs.
    uri = project.run("stack", "output", "connect_card_uris", "--show-secrets", "--json").check().stdout
    token = parse_qs(urlparse(json.loads(uri)["carded"]).query)["auth"][0]
    emulator.complete_connect_card(token, "itbl-typed-by-the-owner")
    emulator.api("POST", f"/connections/{carded['id']}/sync", {})
    assert tables(emulator, carded["id"])["list_user_history"]["enabled"] is False
    project.run("refresh", "--yes").check()
    project.preview("--expect-no-changes").check()

    # A person unhashes a declared column and disables an undeclared table in the dashboard.
    emulator.api("PATCH", f"/connections/{marketing['id']}/schemas/iterable/tables/user_history/columns/email",
                 {"enabled": True, "hashed": False})
    emulator.api("PATCH", f"/connections/{marketing['id']}/schemas/iterable/tables/event", {"enabled": False})
    project.run("refresh", "--yes").check()
    drift = project.preview("--diff")
    drift.check()
    assert re.search(r"~ hashed +: false => true", drift.stdout) and "1 to update" in drift.stdout, drift.stdout
    assert not re.search(r"^\s*[~+-]? *event *:", drift.stdout, re.MULTILINE), drift.stdout  # undeclared
    project.up().check()
    email = tables(emulator, marketing["id"])["user_history"]["columns"]["email"]
    assert email["hashed"] is True
    assert tables(emulator, marketing["id"])["event"]["enabled"] is False  # undeclared: left as the person set it
    project.preview("--expect-no-changes").check()

    # Bad names and items Fivetran does not let go are refused by `preview`, with nothing sent.
    sent = len(emulator.requests())
    project.declare([connection("marketing", schema_config={"tables": {
        "list_user_histroy": {"enabled": False}, "channel": {"enabled": False},
        "user_history": {"columns": {"emial": {"hashed": True}, "_fivetran_id": {"hashed": True}}}}}),
        entries[1]])
    refused = project.preview()
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "Traceback" not in said
    for needle in ("schema_config.tables.list_user_histroy: is not a table of an Iterable connection; did you "
                   "mean 'list_user_history'?",
                   "schema_config.tables.channel.enabled: cannot be false",
                   "schema_config.tables.user_history.columns.emial: is not a column of the Iterable table "
                   "'user_history'; did you mean 'email'?",
                   "schema_config.tables.user_history.columns._fivetran_id.hashed: cannot be true"):
        assert needle in said, said
    assert [r for r in emulator.requests()[sent:] if r["method"] != "GET"] == []  # only the refresh's reads

    # A re-sync: shown by `preview`, sent by `up` once, not again by the next `up`.
    project.declare([connection("marketing", schema_config=BLOCKED,
                                resync={"trigger": "2026-12-02", "tables": ["user_history"]}), entries[1]])
    preview = project.preview().check()
    assert "historical re-sync of the tables user_history (once" in preview.stdout + preview.stderr
    sent = len(emulator.requests())
    project.up().check()
    project.up().check()
    resyncs = [r for r in emulator.requests()[sent:] if r["path"].endswith("/resync")]
    assert [r["path"] for r in resyncs] == [f"/v1/connections/{marketing['id']}/resync"]

    # A replacement's preview says the new connection starts over with a full historical sync.
    project.declare([connection("marketing", schema="marketing_v2", schema_config=BLOCKED), entries[1]])
    replacing = project.preview().check()
    assert "full historical sync" in replacing.stdout + replacing.stderr


def test_adoption_with_a_matching_and_a_differing_schema_config(tmp_path: Path, emulator: Emulator) -> None:
    # Two connections set up outside Pulumi; one already syncs what the program declares.
    for schema, blocked in (("matching", True), ("differing", False)):
        connection_id = emulator.create_connection(schema, "itbl-theirs")["id"]
        emulator.api("POST", f"/connections/{connection_id}/sync", {})
        if blocked:
            emulator.api("PATCH", f"/connections/{connection_id}/schemas", {"schemas": {"iterable": {
                "enabled": True, "tables": {
                    "list_user_history": {"enabled": False},
                    "user_history": {"enabled": True, "columns": {"email": {"enabled": True, "hashed": True}}}}}}})
    project = StackProject.create(tmp_path, emulator)
    project.declare([connection(name, adopt_existing=True, schema_config=BLOCKED)
                     for name in ("matching", "differing")],
                    api_keys={"matching": "itbl-theirs", "differing": "itbl-theirs"})
    sent = len(emulator.requests())
    up = project.up().check()
    output = up.stdout + up.stderr
    assert "its schema config differs from the program in 2 item(s)" in output, output
    assert "tables.list_user_history.enabled: true -> false" in output
    schema_writes = [r for r in emulator.requests()[sent:] if "/schemas" in r["path"] and r["method"] != "GET"]
    assert schema_writes == []  # adoption reads the schema config and changes nothing of it
    live = by_schema(emulator)
    assert tables(emulator, live["differing"]["id"])["list_user_history"]["enabled"] is True

    # The next preview shows exactly the differing connection; `up` applies it; then nothing differs.
    preview = project.preview().check()
    assert re.search(r"IterableConnection differing update", preview.stdout), preview.stdout
    assert "1 to update" in preview.stdout and "2 unchanged" in preview.stdout, preview.stdout  # and the stack
    project.up().check()
    assert tables(emulator, live["differing"]["id"])["list_user_history"]["enabled"] is False
    project.preview("--expect-no-changes").check()


def test_a_table_resync_fivetran_refuses_through_the_cli(tmp_path: Path, emulator: Emulator) -> None:
    """Fivetran answers 400 to a table-level re-sync for connector types without one: `up` fails saying what
    Fivetran answered and what to do, with the rest of the update done; dropping `tables` gives the whole re-sync,
    which the preview shows and the next `up` requests once."""
    project = StackProject.create(tmp_path, emulator)
    keys = {"marketing": "itbl-key-marketing"}
    project.declare([connection("marketing", resync={"trigger": "2026-12-01"})], api_keys=keys)
    project.up().check()
    connection_id = by_schema(emulator)["marketing"]["id"]
    emulator.control("POST", "/__emulator/table-resync", {"supported": False})

    project.declare([connection("marketing", paused=True, resync={"trigger": "2026-12-02", "tables": ["event"]})],
                    api_keys=keys)
    sent = len(emulator.requests())
    refused = project.up()
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "Traceback" not in said, said
    for needle in ("Fivetran refused to re-sync only the tables event; it answered 400 InvalidInput: Table-level "
                   "re-sync is not supported",
                   "The rest of this update was applied; only the re-sync did not start",
                   "remove resync.tables and keep the new resync.trigger"):
        assert needle in said, said
    writes = [(r["method"], r["path"], r["status"]) for r in emulator.requests()[sent:] if r["method"] != "GET"]
    assert writes[-1] == ("POST", f"/v1/connections/{connection_id}/resync", 400), writes
    assert by_schema(emulator)["marketing"]["paused"] is True  # the rest of the update is in Fivetran

    project.declare([connection("marketing", paused=True, resync={"trigger": "2026-12-02"})], api_keys=keys)
    preview = project.preview().check()
    assert "historical re-sync of every table (once" in preview.stdout + preview.stderr, preview.stdout
    sent = len(emulator.requests())
    project.up().check()
    resyncs = [(r["path"], r["status"]) for r in emulator.requests()[sent:] if r["path"].endswith("/resync")]
    assert resyncs == [(f"/v1/connections/{connection_id}/resync", 200)]
    project.preview("--expect-no-changes").check()
