"""The lifecycle steps: preflight, validation at preview, create, schema config before the first sync, a
no-change preview, an update in place, drift, a replacement and the delete.

One connection, `main`, walks through them: created paused (it never syncs), with typed config and a schema
config that blocks a table and hashes a column.
"""

from __future__ import annotations

from typing import Any

from pulumi_fivetran_iterable.args import IterableConfigArgsDict
from pulumi_fivetran_iterable.catalog import SOURCE_SCHEMA
from pulumi_fivetran_iterable.group_listing import carries_what_a_read_needs, differences

from .context import Run, check, described, id_shape, outputs_of, step
from .fivetran import segment
from .project import STACK

READ_ONLY_CONFIG = {"endpoint", "project_type", "webhook_secret"}
EVENTS = ["emailSend", "emailOpen"]
EVENTS_UPDATED = ["emailSend", "emailOpen", "emailClick"]


def main_inputs(run: Run, role: str = "main", **changes: Any) -> dict[str, Any]:
    """The `main` connection as the program declares it (with `changes` on top)."""
    inputs: dict[str, Any] = {
        "group_id": run.group_id,
        "paused": True,  # for its whole life: it never syncs, so it loads no data and is never billed
        "sync_frequency": 360,
        "run_setup_tests": run.tests_key,
        "config": {"schema": run.names.schema(role), "account_region": "US", "sync_mode": "SelectedEvents",
                   "events": EVENTS, "historical_sync_limit": "DATE_LIMIT", "historical_sync_limit_date": "2024-01-01"},
        "schema_config": {"tables": {"list_user_history": {"enabled": False},
                                     "user_history": {"columns": {"email": {"hashed": True}}}}},
    }
    config = changes.pop("config", None)
    inputs.update(changes)
    if config is not None:
        inputs["config"] = {key: value for key, value in {**inputs["config"], **config}.items() if value is not None}
    return inputs


def updated_inputs(run: Run, role: str = "main") -> dict[str, Any]:
    """`main` after the update step: another schedule, one more event, the date limit dropped."""
    return main_inputs(run, role, sync_frequency=720, config={
        "events": EVENTS_UPDATED, "historical_sync_limit": "ALL_TIME", "historical_sync_limit_date": None})


def declared_items_held(schema_config: dict[str, Any], source: str) -> tuple[bool, str]:
    """Whether Fivetran's schema config holds the declared items (list_user_history blocked, email hashed)."""
    schemas = schema_config.get("schemas") or {}
    tables = ((schemas.get(source) or (next(iter(schemas.values())) if len(schemas) == 1 else {})) or {}).get(
        "tables") or {}
    blocked = (tables.get("list_user_history") or {}).get("enabled")
    hashed = (((tables.get("user_history") or {}).get("columns") or {}).get("email") or {}).get("hashed")
    seen = f"list_user_history.enabled={blocked}, user_history.email.hashed={hashed}"
    return blocked is False and hashed is True, seen


@step("preflight", "the credentials and the group are accepted; what the API reports of itself")
def preflight(run: Run) -> str:
    reply = run.api.call("GET", f"/groups/{segment(run.group_id)}")
    check(reply.status != 401, f"Fivetran refused the credentials ({reply.describe()}): check FIVETRAN_API_KEY and "
                               "FIVETRAN_API_SECRET")
    check(reply.status != 404, f"no destination group '{run.group_id}' in this account ({reply.describe()}): check "
                               "--group (Fivetran dashboard > Destinations, or GET /v1/groups)")
    check(reply.ok, f"reading group '{run.group_id}' answered {reply.describe()}")
    limit, remaining = reply.headers.get("X-Rate-Limit"), reply.headers.get("X-Rate-Limit-Remaining")
    run.answer("rate-limits", (f"X-Rate-Limit {limit}" if limit else "no X-Rate-Limit header")
               + (f", X-Rate-Limit-Remaining {remaining}" if remaining else ", no X-Rate-Limit-Remaining header"),
               same=None if limit is None else (limit == "20000" and remaining is not None))
    metadata = run.api.call("GET", "/metadata/connector-types/iterable")
    fields = set((metadata.data.get("config") or {}).get("properties") or {})
    ours = set(IterableConfigArgsDict.__annotations__) | READ_ONLY_CONFIG
    if metadata.ok and fields:
        unknown, unlisted = sorted(fields - ours), sorted(ours - fields)
        run.answer("config-fields", f"{len(fields)} fields; unknown to the provider: {unknown or 'none'}; the "
                                    f"provider's not listed: {unlisted or 'none'}", same=not unknown and not unlisted)
    else:
        run.answer("config-fields", f"no connector-type metadata ({metadata.describe()})", same=False)
    return f"group '{run.group_id}' is '{reply.data.get('name')}'"


@step("validation", "invalid config fails `pulumi preview`, naming each field, and sends nothing",
      needs=("preflight",))
def validation(run: Run) -> str:
    run.declare("main", main_inputs(run, "invalid", sync_frequency=45, config={"account_region": "XX"}), run.key)
    mark = run.guard.mark()
    try:
        preview = run.project.preview()
    finally:
        run.declare("main", None)
    check(not preview.result.ok, "`pulumi preview` of invalid config succeeded")
    text = " ".join(preview.messages) + preview.result.text
    for field in ("sync_frequency", "config.account_region"):
        check(field in text, f"the preview's errors do not name {field}: "
                             f"{run.errors(preview.result, preview.messages)}")
    sent = run.guard.entries(mark)
    check(not sent, f"the failed preview sent {len(sent)} request(s): {described(sent)}")
    check(not run.api.find(run.names.schema("invalid")), "a connection with the invalid config exists in Fivetran")
    return "both problems named, no request sent, nothing created"


@step("create", "`up` creates the connection with its typed config, paused", needs=("preflight",))
def create(run: Run) -> str:
    run.declare("main", main_inputs(run), run.key)
    mark = run.guard.mark()
    run.up()
    outputs = outputs_of(run, "main")
    run.ids["main"] = connection_id = str(outputs["connection_id"])
    data = run.connection("main")
    config = data.get("config") or {}
    expected = {"service": "iterable", "schema": run.names.schema("main"), "group_id": run.group_id, "paused": True,
                "sync_frequency": 360}
    for name, value in expected.items():
        check(data.get(name) == value, f"Fivetran holds {name}={data.get(name)!r}, not {value!r}")
    want = {"account_region": "US", "sync_mode": "SelectedEvents", "historical_sync_limit": "DATE_LIMIT",
            "historical_sync_limit_date": "2024-01-01"}
    for name, value in want.items():
        check(config.get(name) == value, f"Fivetran holds config.{name}={config.get(name)!r}, not {value!r}")
    check(sorted(config.get("events") or []) == sorted(EVENTS), f"Fivetran holds config.events={config.get('events')}")
    check(outputs.get("webhook_endpoint") == config.get("endpoint"),
          "the webhook_endpoint output is not the endpoint Fivetran holds")
    posts = [e for e in run.writes(mark) if e.method == "POST" and e.path == "/v1/connections"]
    check(len(posts) == 1, f"`up` sent {len(posts)} creates: {described(posts)}")
    check("paused=True" in posts[0].note, "the connection was not created paused (its schema config comes first)")
    setup_state = (data.get("status") or {}).get("setup_state")
    if run.tests_key:
        check(setup_state == "connected", f"setup_state is {setup_state!r} with a working key, not 'connected'")
    shape = id_shape(connection_id)
    run.answer("ids", shape, same=shape == "word_word")
    unset = {name: data.get(name, "absent")
             for name in ("hybrid_deployment_agent_id", "proxy_agent_id", "private_link_id")}
    run.answer("unset-fields", ", ".join(f"{k} {v}" for k, v in unset.items()),
               same=unset == {"hybrid_deployment_agent_id": "absent", "proxy_agent_id": None, "private_link_id": None})
    run.answer("service-version", str(data.get("service_version")), same=data.get("service_version") == 1)
    run.answer("daily-sync-time", f"{data.get('daily_sync_time')!r} at sync_frequency 360",
               same=data.get("daily_sync_time") is None)
    run.answer("schema-in-config", "yes" if "schema" in config else "no", same="schema" not in config)
    if run.tests_key:
        run.answer("project-type", str(config.get("project_type", "absent")))
    return f"connection {connection_id} created paused; setup_state {setup_state}"


@step("schema-config", "the schema config is in Fivetran before the first sync", needs=("create",))
def schema_config(run: Run) -> str:
    data = run.connection("main")
    check(data.get("paused") is True and not data.get("succeeded_at"), "the connection synced or is not paused")
    reply = run.api.schema_config(run.ids["main"])
    if not reply.ok:
        run.answer("pre-create", f"no schema config after the provider pre-created it: {reply.describe()}", same=False)
        check(False, f"Fivetran shows no schema config: {reply.describe()}")
    held, seen = declared_items_held(reply.data, run.source_schema)
    names = sorted(reply.data.get("schemas") or {})
    run.answer("pre-create", f"accepted; shown under {names}: {seen}", same=held and names == [SOURCE_SCHEMA])
    check(held, f"Fivetran does not hold the declared items: {seen}")
    return f"held before any sync: {seen}"


def unchanged(run: Run) -> str:
    """A refreshed `preview --expect-no-changes` plans nothing for any declared connection and writes nothing."""
    mark = run.guard.mark()
    preview = run.preview("--refresh", "--expect-no-changes")
    for name in run.program:
        planned = [op for op in preview.ops(name) if op not in ("refresh", "read", "same")]
        check(not planned, f"the preview plans {planned} for {name}")
    sent = run.guard.entries(mark)
    writes = [e for e in sent if e.writes]
    check(not writes, f"the preview sent writes: {described(writes)}")
    return f"no change for {', '.join(run.program)}; {len(sent)} read(s), no write"


@step("no-change", "a refreshed preview of the unchanged program shows no change and sends no write",
      needs=("create",))
def no_change(run: Run) -> str:
    return unchanged(run)


@step("no-change-all", "the same for everything declared by now (adopted, Connect Card, failing under warn)",
      needs=("create",))
def no_change_all(run: Run) -> str:
    return unchanged(run)


@step("update", "a changed schedule and events update in place (same id), and only what changed is sent",
      needs=("create",))
def update(run: Run) -> str:
    run.declare("main", updated_inputs(run), run.key)
    preview = run.preview()
    change = preview.change("main")
    check(change is not None and change["op"] == "update", f"the preview plans {preview.ops('main')}, not an update")
    mark = run.guard.mark()
    run.up()
    writes = run.writes(mark)
    check(writes and all(e.method == "PATCH" and e.names(run.ids["main"]) for e in writes),
          f"an update in place sent {described(writes)}")
    data = run.connection("main")
    config = data.get("config") or {}
    check(data.get("sync_frequency") == 720, f"sync_frequency is {data.get('sync_frequency')}, not 720")
    check(sorted(config.get("events") or []) == sorted(EVENTS_UPDATED), f"events are {config.get('events')}")
    check(config.get("historical_sync_limit") == "ALL_TIME", "historical_sync_limit is not ALL_TIME")
    kept = config.get("account_region") == "US" and config.get("sync_mode") == "SelectedEvents"
    cleared = config.get("historical_sync_limit_date") in (None, "")
    run.answer("patch-merge", f"keys not sent {'kept' if kept else 'lost'}; the key sent as null "
                              f"{'cleared' if cleared else 'kept: ' + str(config.get('historical_sync_limit_date'))}",
               same=kept and cleared)
    _answer_list_items(run, data)
    sent = [f for f in writes[-1].note.split(",") if f not in ("run_setup_tests", "trust_certificates",
                                                                "trust_fingerprints")]
    return f"PATCH of {', '.join(sent)} only; id unchanged"


def _answer_list_items(run: Run, from_get: dict[str, Any]) -> None:
    """Whether the group's list carries the connection as its own GET does (what `fivetran:readByGroup` relies
    on): the run's own connection, listed by group and schema, beside the GET just made."""
    listed = [item for item in run.api.find(run.names.schema("main")) if item.get("id") == from_get.get("id")]
    if not listed:
        run.answer("list-items", "not in the list filtered by its schema", same=False)
        return
    differing = differences(from_get, listed[0])
    complete = carries_what_a_read_needs(listed[0])
    run.answer("list-items", f"differences from the GET: {', '.join(differing) or 'none'}; carries what a read "
                             f"needs: {'yes' if complete else 'no'}", same=not differing and complete)


@step("drift", "a change made outside Pulumi shows in a refreshed preview, and `up` puts it back",
      needs=("update",))
def drift(run: Run) -> str:
    connection_id = run.ids["main"]
    run.api.data("PATCH", f"/connections/{segment(connection_id)}", {"sync_frequency": 60, "run_setup_tests": False})
    unhash = {"schemas": {run.source_schema: {"tables": {"user_history": {
        "enabled": True, "columns": {"email": {"enabled": True, "hashed": False}}}}}}}
    schema_drift = run.api.call("PATCH", f"/connections/{segment(connection_id)}/schemas", unhash)
    preview = run.preview("--refresh")
    change = preview.change("main")
    check(change is not None and change["op"] == "update", f"the preview plans {preview.ops('main')}, not an update")
    assert change is not None
    before = change.get("oldState", {}).get("outputs", {})
    check(before.get("sync_frequency") == 60,
          f"the refreshed state shows sync_frequency {before.get('sync_frequency')}, not the 60 set outside")
    if schema_drift.ok:
        email = (((before.get("schema_config") or {}).get("tables") or {}).get("user_history") or {}).get(
            "columns", {}).get("email", {})
        check(email.get("hashed") is False, f"the refreshed state shows email as {email}, not unhashed")
    run.up("--refresh")
    check(run.connection("main").get("sync_frequency") == 720, "`up` did not put sync_frequency back to 720")
    if not schema_drift.ok:
        return f"sync_frequency 60 => 720 shown and put back (Fivetran refused the column change: " \
               f"{schema_drift.describe()})"
    held, seen = declared_items_held(run.api.schema_config(connection_id).data, run.source_schema)
    check(held, f"`up` did not put the schema config back: {seen}")
    return "sync_frequency 60 => 720 and email hashed false => true shown, both put back"


@step("replace", "a new config.schema replaces the connection: the new one first, then the old one deleted",
      needs=("update",))
def replace(run: Run) -> str:
    old = run.ids["main"]
    run.declare("main", updated_inputs(run, "v2"), run.key)
    preview = run.preview()
    change = preview.change("main")
    check(change is not None and change["op"] == "replace", f"the preview plans {preview.ops('main')}, not a replace")
    assert change is not None
    check("config.schema" in (change.get("replaceReasons") or []), f"replaced for {change.get('replaceReasons')}")
    mark = run.guard.mark()
    run.up()
    new = run.ids["v2"] = str(outputs_of(run, "main")["connection_id"])
    check(new != old, "the replacement kept the old id")
    check(run.connection("v2").get("schema") == run.names.schema("v2"), "the new connection has another schema")
    check(run.api.connection(old) is None, f"the old connection {old} still exists")
    run.gone.add(old)
    writes = run.writes(mark)
    created = [i for i, e in enumerate(writes) if e.method == "POST" and e.path == "/v1/connections"]
    deleted = [i for i, e in enumerate(writes) if e.method == "DELETE" and e.names(old)]
    check(created and deleted and created[0] < deleted[0], f"not created before deleted: {described(writes)}")
    held, seen = declared_items_held(run.api.schema_config(new).data, run.source_schema)
    check(held, f"the new connection's schema config is not as declared: {seen}")
    return f"{old} replaced by {new}, created first, with its schema config"


@step("replace-naming", "a new destination_schema_names replaces the connection: the old one deleted first, since "
      "the new one keeps its group and schema", needs=("preflight",))
def replace_naming(run: Run) -> str:
    # Authorized through a Connect Card nobody completes, so neither connection can ever sync.
    card = {"redirect_uri": "https://example.com/fivetran-connect-card-done"}
    inputs = {"group_id": run.group_id, "paused": True, "config": {"schema": run.names.schema("naming")},
              "connect_card_config": card, "destination_schema_names": "SOURCE_NAMING"}
    run.declare("naming", inputs)
    run.up()
    old = run.ids["naming"] = str(outputs_of(run, "naming")["connection_id"])
    run.declare("naming", {**inputs, "destination_schema_names": "FIVETRAN_NAMING"})
    preview = run.preview()
    ops = preview.ops("naming")
    check("replace" in ops, f"the preview plans {ops}, not a replacement")
    said = " ".join(preview.messages)
    check("deleted first" in said, "the preview did not warn that the old connection is deleted first")
    mark = run.guard.mark()
    result = run.project.up()
    writes = run.writes(mark)
    deleted = [i for i, e in enumerate(writes) if e.method == "DELETE" and e.names(old)]
    created = [i for i, e in enumerate(writes) if e.method == "POST" and e.path == "/v1/connections"]
    if deleted:
        run.gone.add(old)
    recreated = result.ok and bool(created)
    run.answer("recreate-after-delete", "accepted" if recreated else f"refused: {run.errors(result)}",
               same=recreated)
    check(result.ok, f"`pulumi up` failed: {run.errors(result)}")
    check(deleted and created and deleted[0] < created[0], f"not deleted before created: {described(writes)}")
    new = run.ids["naming"] = str(outputs_of(run, "naming")["connection_id"])
    check(new != old and run.api.connection(old) is None, f"the old connection {old} is still there")
    naming = run.connection("naming").get("destination_schema_names")
    check(naming == "FIVETRAN_NAMING", f"Fivetran holds destination_schema_names {naming!r}")
    return f"{old} deleted, then {new} created with FIVETRAN_NAMING"


@step("delete", "`pulumi destroy` deletes every connection, and nothing with the run's prefix is left",
      needs=("create",))
def delete(run: Run) -> str:
    managed = {name: (str(o["connection_id"]), str(o["schema"])) for name, o in run.project.outputs().items()}
    mark = run.guard.mark()
    result = run.project.run("destroy", "--yes", "--skip-preview", "--stack", STACK)
    check(result.ok, f"`pulumi destroy` failed: {run.errors(result)}")
    deletes = [e for e in run.writes(mark) if e.method == "DELETE"]
    left = [f"{name} ({cid})" for name, (cid, _) in managed.items() if run.api.connection(cid) is not None]
    check(not left, f"still in Fivetran after destroy: {', '.join(left)}")
    found = [schema for _, schema in managed.values() if run.api.find(schema)]
    check(not found, f"connections with the destroyed schemas remain: {', '.join(found)}")
    run.gone.update(cid for cid, _ in managed.values())
    return f"{len(deletes)} deleted ({', '.join(managed) or 'nothing declared'}); none of them is left"
