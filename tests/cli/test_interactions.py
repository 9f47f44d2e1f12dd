"""Where features meet, through the real CLI, in a user's own program: an unpause and a new schema config in one
`up` (the schema config first), a `destination_schema_names` change that really replaces the connection, a
replacement's consequences as a warning on the resource, a plain-text Iterable key warned about, and an update
that fails half-way recorded as far as it went."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.emulator import Emulator
from tests.support.pulumi_cli import PulumiCli, PulumiResult
from tests.support.stack import users_project

pytestmark = pytest.mark.cli

PROGRAM = textwrap.dedent('''
    import pulumi
    from pulumi_fivetran_iterable import IterableConnection, IterableConnectionArgs

    cfg = pulumi.Config()
    key = cfg.require("plainKey") if cfg.get("plainKey") else cfg.require_secret("key")
    connection = IterableConnection("marketing", IterableConnectionArgs(
        group_id="warehouse_main",
        paused=cfg.get_bool("paused") or False,
        destination_schema_names=cfg.get("naming"),
        config={"schema": cfg.get("schema") or "iterable_marketing", "api_key": key},
        schema_config=cfg.get_object("schemaConfig"),
        sync_frequency=cfg.get_int("frequency"),
        resync=cfg.get_object("resync"),
    ))
    pulumi.export("webhook", connection.webhook_endpoint)
''')
BLOCKED = ('{"tables": {"list_user_history": {"enabled": false}, '
           '"user_history": {"columns": {"email": {"hashed": true}}}}}')
KEY = "itbl-interactions-canary-0c7"


@pytest.fixture
def cli(tmp_path: Path, emulator: Emulator) -> Iterator[PulumiCli]:
    yield users_project(tmp_path, emulator, PROGRAM, plaintext={"fivetran:createLimit": "0"}, secret={"key": KEY})


def warnings_of(result: PulumiResult, resource: str = "marketing") -> list[str]:
    """The warnings the CLI lists under the resource in its Diagnostics section."""
    output = result.stdout
    header = f"  pulumi-python:dynamic/fivetran:IterableConnection ({resource}):\n"
    assert "Diagnostics:" in output and header in output, output
    block = output.split("Diagnostics:", 1)[1].split(header, 1)[1].split("\n\n", 1)[0]
    return [line.strip().removeprefix("warning: ") for line in block.splitlines()
            if line.strip().startswith("warning: ")]


def test_an_unpause_with_a_new_schema_config_writes_the_schema_config_first(cli, emulator) -> None:
    cli.run("config", "set", "paused", "true").check()
    cli.run("up", "--yes").check()
    cli.run("config", "set", "paused", "false").check()
    cli.run("config", "set", "schemaConfig", BLOCKED).check()
    before = len(emulator.requests())
    cli.run("up", "--yes").check()
    (connection,) = emulator.connections()
    sent = [(r["method"], r["path"]) for r in emulator.requests()[before:] if r["method"] != "GET"]
    unpause = sent.index(("PATCH", f"/v1/connections/{connection['id']}"))
    assert any(path.endswith("/schemas") for _, path in sent[:unpause]), sent
    assert connection["paused"] is False


def test_a_destination_schema_names_change_replaces_the_connection_and_warns(cli, emulator) -> None:
    cli.run("config", "set", "naming", "SOURCE_NAMING").check()
    cli.run("up", "--yes").check()
    (old,) = emulator.connections()
    cli.run("config", "set", "naming", "FIVETRAN_NAMING").check()

    preview = cli.run("preview").check()
    assert "+-1 to replace" in preview.stdout
    (warning,) = [w for w in warnings_of(preview) if "is replaced" in w]
    assert "deleted first" in warning and "webhook URL changes" in warning and "full historical sync" in warning

    cli.run("up", "--yes").check()
    (new,) = emulator.connections()
    assert new["id"] != old["id"] and new["destination_schema_names"] == "FIVETRAN_NAMING"
    assert cli.stack_outputs()["webhook"] == new["config"]["endpoint"], "the new URL is the output after `up`"
    cli.run("preview", "--expect-no-changes").check()


def test_a_schema_change_warns_on_the_resource_of_what_a_replacement_costs(cli, emulator) -> None:
    cli.run("up", "--yes").check()
    cli.run("config", "set", "schema", "iterable_marketing_v2").check()
    preview = cli.run("preview").check()
    (warning,) = [w for w in warnings_of(preview) if "is replaced" in w]
    assert "created first" in warning and "full historical sync" in warning
    assert "register the new webhook_endpoint" in warning


def test_a_plain_text_key_is_warned_about_on_the_resource(cli, emulator) -> None:
    cli.run("config", "set", "plainKey", KEY).check()  # no --secret: in the stack file as it is
    preview = cli.run("preview").check()
    assert any("config.api_key is a plain string" in w and "--secret" in w for w in warnings_of(preview))
    assert KEY not in preview.stdout + preview.stderr
    cli.run("config", "rm", "plainKey").check()
    preview = cli.run("preview").check()
    assert "plain string" not in preview.stdout


def test_an_update_that_fails_half_way_is_recorded_as_far_as_it_went(cli, emulator) -> None:
    """A schedule change and a re-sync in one `up`, the re-sync refused: the command fails naming it, the state
    holds the new schedule (the engine recorded what the provider wrote), the next `up` sends only the re-sync."""
    cli.run("up", "--yes").check()
    (connection,) = emulator.connections()
    cli.run("config", "set", "frequency", "60").check()
    cli.run("config", "set", "--path", "resync.trigger", "2026-12-02").check()
    emulator.fault(method="POST", path=f"^/v1/connections/{connection['id']}/resync$", status=409, count=1,
                   message="A sync is running")
    failed = cli.run("up", "--yes")
    assert not failed.ok and "only the re-sync did not start" in failed.stdout, failed.transcript()
    (resource,) = [r for r in cli.stack_export()["deployment"]["resources"] if r["type"].endswith("Connection")]
    assert resource["outputs"]["sync_frequency"] == 60 and "resync" not in resource["outputs"], resource["outputs"]
    assert resource.get("initErrors"), "the engine marks the resource with the error"
    assert KEY not in str(cli.stack_export()), "the key stays encrypted in what the failed update recorded"
    before = len(emulator.requests())
    cli.run("up", "--yes").check()
    sent = [(r["method"], r["path"]) for r in emulator.requests()[before:] if r["method"] != "GET"]
    assert sent == [("POST", f"/v1/connections/{connection['id']}/resync")], sent
    cli.run("preview", "--expect-no-changes").check()

