"""The steps for what a team relies on beyond the lifecycle: re-syncs, adoption (and refusing a stranger's
connection), setup tests that fail under `fail` and `warn`, a key rotation rolled back, the Connect Card.
"""

from __future__ import annotations

import re
from typing import Any

from .context import Run, check, described, outputs_of, skip, step
from .lifecycle import declared_items_held, updated_inputs

CARD_REDIRECT = "https://example.com/fivetran-connect-card-done"


def _resync_posts(run: Run, since: int) -> list[Any]:
    return [e for e in run.guard.entries(since) if e.method == "POST" and e.path.endswith("/resync")
            and not e.by_suite]


@step("resync", "a requested whole re-sync is sent once, and not again by the next `up`",
      needs=("update",))
def resync(run: Run) -> str:
    run.needs_working_key()
    inputs = updated_inputs(run)
    run.declare("main", {**inputs, "resync": {"trigger": f"{run.names.prefix}1"}}, run.key)
    try:
        mark = run.guard.mark()
        result = run.project.up()
        posts = _resync_posts(run, mark)
        if not result.ok and posts and 400 <= posts[-1].status < 500:
            run.answers.record("resync-paused", f"refused: {posts[-1].status} {posts[-1].code}", same=False)
            skip(f"Fivetran refused a re-sync of a paused connection ({posts[-1].status} {posts[-1].code}); the "
                 "suite keeps its connections paused so they never sync, so a re-sync cannot be checked here")
        check(result.ok, f"`pulumi up` failed: {run.errors(result)}")
        check(len(posts) == 1, f"`up` sent {len(posts)} re-sync requests: {described(posts)}")
        run.answer("resync-paused", f"accepted ({posts[0].status})", same=True)
        historical = (run.connection("main").get("status") or {}).get("is_historical_sync")
        run.answer("resync-marks-historical", str(historical), same=historical is True)
        again = run.guard.mark()
        run.up()
        check(not _resync_posts(run, again), "the next `up` asked for the same re-sync again")
        writes = run.writes(again)
        check(not writes, f"the next `up` sent {described(writes)}")
    finally:
        run.declare("main", inputs, run.key)  # removing `resync` sends nothing
    return "one POST .../resync; the next `up` sent nothing"


@step("resync-tables", "a table-level re-sync is sent once, or Fivetran's refusal fails `up` saying so",
      needs=("update",))
def resync_tables(run: Run) -> str:
    run.needs_working_key()
    inputs = updated_inputs(run)
    before = run.connection("main")
    run.declare("main", {**inputs, "resync": {"trigger": f"{run.names.prefix}2", "tables": ["campaign_history"]}},
                run.key)
    mark = run.guard.mark()
    result = run.project.up()
    run.declare("main", inputs, run.key)
    posts = _resync_posts(run, mark)
    check(len(posts) == 1, f"`up` sent {len(posts)} re-sync requests: {described(posts)}")
    if result.ok:
        run.answer("resync-tables", f"accepted ({posts[0].status})", same=True)
        return "one POST .../resync with the table's scope, accepted"
    refusal = f"{posts[0].status} {posts[0].code or ''}".strip()
    run.answer("resync-tables", f"refused: {refusal}", same=False)
    said = run.said(result)
    check("re-sync" in said.lower() and (str(posts[0].status) in said or (posts[0].code or "-") in said),
          f"`up` failed without saying that Fivetran refused the table re-sync ({refusal}): {run.errors(result)}")
    after = run.connection("main")
    check(after.get("sync_frequency") == before.get("sync_frequency") and after.get("paused") is True,
          "the refused re-sync left the connection changed")
    return f"Fivetran refused the table re-sync ({refusal}); `up` failed saying so, nothing else changed"


def _adopt_inputs(run: Run, adopt: bool) -> dict[str, Any]:
    inputs: dict[str, Any] = {"group_id": run.group_id, "paused": True, "sync_frequency": 180,
                              "run_setup_tests": run.tests_key, "config": {"schema": run.names.schema("adopt")}}
    if adopt:
        inputs["adopt_existing"] = True
    return inputs


@step("adoption-refused", "a connection made outside Pulumi is not taken without adopt_existing",
      needs=("preflight",))
def adoption_refused(run: Run) -> str:
    made = run.api.create({"service": "iterable", "group_id": run.group_id, "paused": True, "run_setup_tests": False,
                           "sync_frequency": 360, "config": {"schema": run.names.schema("adopt"), "api_key": run.key}})
    connection_id = run.ids["adopt"] = str(made["id"])
    run.guard.learn(connection_id)
    run.declare("adopt", _adopt_inputs(run, adopt=False), run.key)
    mark = run.guard.mark()
    try:
        result = run.up_failing()
    finally:
        run.declare("adopt", None)
    check("adopt_existing" in run.said(result), f"the error does not point to adopt_existing: {run.errors(result)}")
    creates = [e for e in run.guard.entries(mark) if e.method == "POST" and e.path == "/v1/connections"]
    if creates:
        refusal = f"{creates[0].status} {creates[0].code or ''}".strip()
        run.answer("duplicate-schema", refusal, same=creates[0].status == 409 and creates[0].code == "Conflict")
    touched = [e for e in run.writes(mark) if e.names(connection_id)]
    check(not touched, f"the provider wrote to the connection it did not create: {described(touched)}")
    check(run.connection("adopt").get("sync_frequency") == 360, "the connection made outside Pulumi was changed")
    return f"refused, pointing to adopt_existing; {connection_id} untouched"


@step("adoption", "with adopt_existing the same connection is taken over and brought to the program",
      needs=("adoption-refused",))
def adoption(run: Run) -> str:
    run.declare("adopt", _adopt_inputs(run, adopt=True), run.key)
    run.up()
    connection_id = str(outputs_of(run, "adopt")["connection_id"])
    check(connection_id == run.ids["adopt"], f"adopted {connection_id}, not {run.ids['adopt']}")
    check(run.connection("adopt").get("sync_frequency") == 180, "the adopted connection's schedule is not 180")
    found = run.api.find(run.names.schema("adopt"))
    check(len(found) == 1, f"{len(found)} connections with the adopted schema")
    return f"{connection_id} adopted (no second connection), sync_frequency 360 => 180"


@step("failing-key-create", "under setup_test_policy fail, a key that fails its setup tests leaves nothing",
      needs=("preflight",))
def failing_key_create(run: Run) -> str:
    run.declare("badfail", {"group_id": run.group_id, "paused": True, "run_setup_tests": True,
                            "setup_test_policy": "fail", "config": {"schema": run.names.schema("badfail")}},
                run.invalid_key)
    mark = run.guard.mark()
    try:
        result = run.up_failing()
    finally:
        run.declare("badfail", None)
    said = run.said(result)
    check("setup tests failed" in said, f"the error does not report failed setup tests: {run.errors(result)}")
    tests = list(dict.fromkeys(re.findall(r"'([^']+)' (FAILED|JOB_FAILED|WARNING)", said)))
    run.answer("setup-tests", ", ".join(f"'{title}' {status}" for title, status in tests) or "none named",
               same=tests == [("Validating API key", "FAILED")])
    check(not run.api.find(run.names.schema("badfail")), "the connection that failed its tests is still in Fivetran")
    run.gone.update(e.path.rsplit("/", 1)[-1] for e in run.writes(mark) if e.method == "DELETE")
    return f"`up` failed naming {len(tests)} failed test(s); the connection was deleted again"


@step("failing-key-warn", "under warn the connection is kept with the results reported, its schema config first",
      needs=("preflight",))
def failing_key_warn(run: Run) -> str:
    # Unpaused on purpose (to see the schema config written before the unpause): it cannot sync, its key fails.
    run.declare("badwarn", {"group_id": run.group_id, "paused": False, "run_setup_tests": True,
                            "setup_test_policy": "warn", "config": {"schema": run.names.schema("badwarn")},
                            "schema_config": {"tables": {"list_user_history": {"enabled": False}}}},
                run.invalid_key)
    mark = run.guard.mark()
    run.up()
    outputs = outputs_of(run, "badwarn")
    connection_id = run.ids["badwarn"] = str(outputs["connection_id"])
    failed = [t for t in outputs.get("setup_tests") or [] if t.get("status") != "PASSED"]
    check(failed, "the outputs report no failed setup test")
    data = run.connection("badwarn")
    check((data.get("status") or {}).get("setup_state") != "connected", "a failing key left the connection connected")
    check(data.get("paused") is False, "the connection was left paused")
    reply = run.api.schema_config(connection_id)
    check(reply.ok, f"no schema config for the connection: {reply.describe()}")
    blocked = declared_items_held(reply.data, run.source_schema)[1].split(",")[0]
    check(blocked.endswith("False"), f"Fivetran holds {blocked}")
    writes = run.writes(mark)
    order = [("create" if e.path == "/v1/connections" else "schema" if e.path.endswith("/schemas")
              else "unpause" if "paused=False" in e.note else "other") for e in writes]
    check("create" in order and "schema" in order and "unpause" in order
          and order.index("create") < order.index("schema") < order.index("unpause"),
          f"not created paused, then schema config, then unpaused: {described(writes)}")
    return f"kept with {len(failed)} failed test(s) reported; created paused, schema config, then unpaused"


@step("key-rollback", "under fail, a key rotation that fails its tests is rolled back and the connection works",
      needs=("replace",))
def key_rollback(run: Run) -> str:
    run.needs_working_key()
    inputs = updated_inputs(run, "v2")
    connection_id = run.ids["v2"]
    run.declare("main", inputs, run.invalid_key)
    mark = run.guard.mark()
    try:
        result = run.up_failing()
    finally:
        run.declare("main", inputs, run.key)
    check("rolled back" in run.said(result), f"the error does not say it was rolled back: {run.errors(result)}")
    patches = [e for e in run.writes(mark) if e.method == "PATCH" and e.names(connection_id)]
    check(len(patches) == 2, f"expected the change and its revert, saw {described(patches)}")
    state = (run.connection("v2").get("status") or {}).get("setup_state")
    check(state == "connected", f"after the rollback the connection's setup_state is {state!r}, not 'connected'")
    return "rolled back (change and revert); setup_state connected again"


@step("connect-card", "without a key, the connection gets a Connect Card link and waits for it",
      needs=("preflight",))
def connect_card(run: Run) -> str:
    run.declare("card", {"group_id": run.group_id, "paused": True, "config": {"schema": run.names.schema("card")},
                         "connect_card_config": {"redirect_uri": CARD_REDIRECT, "hide_setup_guide": True}})
    run.up()
    outputs = outputs_of(run, "card")
    run.ids["card"] = str(outputs["connection_id"])
    card = outputs.get("connect_card") or {}
    check(card.get("present") and card.get("has_token"), "no Connect Card link (with its token) in the outputs")
    hides = card.get("hide_setup_guide")
    run.answer("card-hide-setup-guide", f"hide_setup_guide={hides}" if hides else "not in the link",
               same=hides == "true")
    data = run.connection("card")
    check((data.get("status") or {}).get("setup_state") != "connected", "a card nobody completed is 'connected'")
    redirect = (data.get("connect_card_config") or {}).get("redirect_uri")
    check(redirect == CARD_REDIRECT, f"Fivetran holds redirect_uri {redirect!r}")
    return f"a link to {card.get('host')} (kept secret); setup_state {(data.get('status') or {}).get('setup_state')}"



@step("unpause-order", "a paused connection given a schema config and unpaused in one change gets the schema "
      "config first", needs=("connect-card",))
def unpause_order(run: Run) -> str:
    # The card connection cannot sync while nobody completed its card, so unpausing it loads nothing.
    connection_id = run.ids["card"]
    inputs = {**run.program["card"], "paused": False,
              "schema_config": {"tables": {"list_user_history": {"enabled": False}}}}
    run.declare("card", inputs)
    mark = run.guard.mark()
    run.up()
    writes = [e for e in run.writes(mark) if e.names(connection_id)]
    schema = [i for i, e in enumerate(writes) if e.path.endswith("/schemas")]
    unpause = [i for i, e in enumerate(writes) if "paused=False" in e.note]
    check(schema and unpause, f"expected a schema config write and an unpause, saw {described(writes)}")
    check(schema[0] < unpause[0], f"unpaused before its schema config was written: {described(writes)}")
    data = run.connection("card")
    check(data.get("paused") is False, "the connection is still paused")
    held = declared_items_held(run.api.schema_config(connection_id).data, run.source_schema)[1].split(",")[0]
    check(held.endswith("False"), f"Fivetran holds {held}")
    return "schema config written, then unpaused"
