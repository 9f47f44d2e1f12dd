"""The acceptance suite's safety mechanisms on their own: what the guard lets through to Fivetran, how it
passes replies (and lost replies) on, which target the environment names, and which schemas `--cleanup` may
delete. The whole suite through the real CLI is `tests/cli/test_acceptance.py`."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from acceptance.cleanup import cleanup_pattern
from acceptance.context import Names, schema_pattern
from acceptance.guard import GUARD_CODE, Guard, Rules
from acceptance.target import TargetError, resolve
from tests.support.emulator import Emulator

GROUP = "warehouse_main"
RUN = "abcd1234"


def rules(**options: Any) -> Rules:
    return Rules(GROUP, schema_pattern(RUN), **options)


def refusal(r: Rules, method: str, path: str, body: dict[str, Any] | None = None,
            **query: str) -> str | None:
    return r.refusal(method, path, {k: [v] for k, v in query.items()}, json.dumps(body or {}).encode())


def test_the_run_creates_only_its_own_schemas_in_its_own_group() -> None:
    r = rules()
    ours = {"service": "iterable", "group_id": GROUP, "config": {"schema": f"pulumi_acc_{RUN}_main"}}
    assert refusal(r, "POST", "/v1/connections", ours) is None
    other_schema = {**ours, "config": {"schema": "iterable_marketing"}}
    assert "not one of the run's" in (refusal(r, "POST", "/v1/connections", other_schema) or "")
    other_run = {**ours, "config": {"schema": "pulumi_acc_zzzz9999_main"}}
    assert refusal(r, "POST", "/v1/connections", other_run)
    other_group = {**ours, "group_id": "warehouse_eu"}
    assert "not the run's group" in (refusal(r, "POST", "/v1/connections", other_group) or "")


def test_connections_are_reached_only_once_fivetran_showed_them_to_be_the_runs() -> None:
    r = rules()
    assert "not created by this run" in (refusal(r, "GET", "/v1/connections/calm_ridge") or "")
    # A list reply names the run's connection and someone else's: only the run's is learned.
    r.learn({"data": {"items": [
        {"id": "calm_ridge", "schema": f"pulumi_acc_{RUN}_adopt", "group_id": GROUP},
        {"id": "their_own", "schema": "iterable_marketing", "group_id": GROUP},
        {"id": "lookalike", "schema": "pulumi_acc_marketing", "group_id": GROUP},
        {"id": "elsewhere", "schema": f"pulumi_acc_{RUN}_main", "group_id": "warehouse_eu"},
    ]}})
    assert r.known_ids == {"calm_ridge"}
    for method in ("GET", "PATCH", "DELETE"):
        assert refusal(r, method, "/v1/connections/calm_ridge") is None
        assert refusal(r, method, "/v1/connections/calm_ridge/schemas") is None
        assert refusal(r, method, "/v1/connections/their_own")
        assert refusal(r, method, "/v1/connections/lookalike/schemas")
    # An id cannot sneak in through an encoded slash or a look-alike path.
    assert refusal(r, "DELETE", "/v1/connections/calm_ridge%2F..%2Ftheir_own")
    assert refusal(r, "DELETE", "/v1/connectors/calm_ridge")


def test_lists_are_filtered_to_the_runs_schemas_except_in_cleanup() -> None:
    schema = f"pulumi_acc_{RUN}_main"
    assert refusal(rules(), "GET", "/v1/connections", group_id=GROUP, schema=schema) is None
    assert refusal(rules(), "GET", f"/v1/groups/{GROUP}/connections", schema=schema) is None
    assert refusal(rules(), "GET", "/v1/connections", group_id=GROUP)
    assert refusal(rules(), "GET", "/v1/connections", group_id=GROUP, schema="iterable_marketing")
    assert refusal(rules(), "GET", "/v1/connections", group_id="warehouse_eu", schema=schema)
    assert refusal(rules(), "GET", "/v1/groups")
    assert refusal(rules(list_whole_group=True), "GET", "/v1/connections", group_id=GROUP) is None
    assert refusal(rules(list_whole_group=True), "GET", "/v1/connections", group_id="warehouse_eu")


def test_cleanup_matches_only_the_schemas_the_suite_makes() -> None:
    every_run, one_run = cleanup_pattern(None), cleanup_pattern(RUN)
    assert every_run.match(f"pulumi_acc_{RUN}_main") and every_run.match("pulumi_acc_zzzz9999_badwarn")
    assert one_run.match(f"pulumi_acc_{RUN}_probe") and not one_run.match("pulumi_acc_zzzz9999_probe")
    for someone_elses in ("iterable_marketing", "pulumi_acc_marketing", "pulumi_acc_abcd123_main",
                          "x_pulumi_acc_abcd1234_main", "pulumi_acc_abcd1234_"):
        assert not every_run.match(someone_elses), someone_elses
    assert cleanup_pattern(f"pulumi_acc_{RUN}_").pattern == one_run.pattern
    with pytest.raises(ValueError, match="not a run id"):
        cleanup_pattern("../etc")
    assert all(Names.for_run(RUN).pattern.match(schema) for schema in Names.for_run(RUN).all())


@pytest.mark.parametrize(("environ", "error"), [
    ({"FIVETRAN_API_URL": "https://api.fivetran.com/v1"}, "FIVETRAN_API_KEY and FIVETRAN_API_SECRET are not"),
    ({"FIVETRAN_API_URL": "https://api.fivetran.com/v1", "FIVETRAN_API_KEY": "k"}, "FIVETRAN_API_SECRET is not"),
    ({"FIVETRAN_API_URL": "api.fivetran.com", "FIVETRAN_API_KEY": "k", "FIVETRAN_API_SECRET": "s"}, "not an http"),
])
def test_a_url_without_its_credentials_is_refused_before_anything_is_sent(environ: dict[str, str],
                                                                           error: str) -> None:
    with pytest.raises(TargetError, match=error):
        resolve(environ, GROUP)


def test_a_url_with_credentials_is_that_account() -> None:
    target = resolve({"FIVETRAN_API_URL": "https://api.fivetran.com/v1/", "FIVETRAN_API_KEY": "k",
                      "FIVETRAN_API_SECRET": "s"}, GROUP)
    assert (target.url, target.emulator) == ("https://api.fivetran.com/v1", None)
    assert "a Fivetran account" in target.description and "api_secret" not in repr(target)


def test_credentials_without_a_url_start_an_emulator_and_say_so() -> None:
    target = resolve({"FIVETRAN_API_KEY": "real-key", "FIVETRAN_API_SECRET": "real-secret"}, GROUP)
    try:
        assert target.url.startswith("http://127.0.0.1:") and target.is_emulator_started_here
        assert (target.api_key, target.api_secret) != ("real-key", "real-secret")
        assert "not used" in target.notes[0] and "FIVETRAN_API_URL=https://api.fivetran.com/v1" in target.notes[0]
        group = requests.get(f"{target.url}/groups/{GROUP}", auth=(target.api_key, target.api_secret), timeout=10)
        assert group.json()["data"]["id"] == GROUP
    finally:
        target.stop()


def test_the_guard_passes_replies_on_and_loses_a_lost_reply_too(emulator: Emulator) -> None:
    guard = Guard(emulator.base_url, rules())
    try:
        session = requests.Session()
        session.auth = (emulator.api_key, emulator.api_secret)
        body = {"service": "iterable", "group_id": GROUP, "run_setup_tests": False,
                "config": {"schema": f"pulumi_acc_{RUN}_main", "api_key": "itbl-key"}}
        created = session.post(f"{guard.url}/connections", json=body, timeout=10)
        assert created.status_code == 201 and created.headers["Date"]  # Fivetran's Date, which the provider reads
        assert "Server" not in created.headers  # nothing of the guard's own
        connection_id = created.json()["data"]["id"]
        assert session.get(f"{guard.url}/connections/{connection_id}", timeout=10).status_code == 200

        someone = emulator.create_connection("iterable_marketing", "their-key")
        refused = session.delete(f"{guard.url}/connections/{someone['id']}", timeout=10)
        assert (refused.status_code, refused.json()["code"]) == (403, GUARD_CODE)
        assert emulator.api("GET", f"/connections/{someone['id']}")[0] == 200

        emulator.fault(method="PATCH", path=connection_id, drop_connection=True, after_commit=True, count=1)
        with pytest.raises(requests.ConnectionError):
            session.patch(f"{guard.url}/connections/{connection_id}", json={"paused": True}, timeout=10)
        assert emulator.api("GET", f"/connections/{connection_id}")[1]["data"]["paused"] is True

        log = [(e.method, e.status, e.code) for e in guard.entries()]
        assert log == [("POST", 201, None), ("GET", 200, None), ("DELETE", 403, GUARD_CODE), ("PATCH", 0, None)]
        assert not [r for r in emulator.requests() if r["method"] == "DELETE"]  # the refusal never left
        assert "itbl-key" not in repr(guard.entries())
    finally:
        guard.close()


def test_the_guard_stops_at_its_request_budget(emulator: Emulator) -> None:
    guard = Guard(emulator.base_url, rules(max_requests=2))
    try:
        auth = (emulator.api_key, emulator.api_secret)
        statuses = [requests.get(f"{guard.url}/groups/{GROUP}", auth=auth, timeout=10).status_code for _ in range(3)]
        assert statuses == [200, 200, 403]
        assert len(emulator.requests()) == 2
    finally:
        guard.close()
