"""The API probes: open questions the provider's own requests do not settle, asked of Fivetran directly
with one request each, all on one connection the probe step creates (paused, never set up) and deletes.
"""

from __future__ import annotations

from typing import Any

from .context import Run, check, step
from .fivetran import Reply, segment

ITERABLE_DEFAULTS = {"account_region": "US", "sync_mode": "AllEvents", "custom_event_sync_mode": "AllEvents",
                     "events": [], "custom_events": [], "historical_sync_limit": "ALL_TIME",
                     "webhook_auth_type": "NoAuth"}


def _status(reply: Reply) -> str:
    return f"{reply.status} {reply.code or ''}".strip()


class Probe:
    """Requests about the probe connection."""

    def __init__(self, run: Run, connection_id: str) -> None:
        self.run = run
        self.path = f"/connections/{segment(connection_id)}"

    def patch(self, body: dict[str, Any], **options: Any) -> Reply:
        return self.run.api.call("PATCH", self.path, {**body, "run_setup_tests": body.get("run_setup_tests", False)},
                                 retry=False, **options)

    def get(self, suffix: str = "", **options: Any) -> Reply:
        return self.run.api.call("GET", self.path + suffix, **options)


@step("api-probes", "open questions asked of Fivetran directly, on a connection of the run's own",
      needs=("preflight",))
def api_probes(run: Run) -> str:
    made = run.api.create({"service": "iterable", "group_id": run.group_id, "paused": True, "run_setup_tests": False,
                           "destination_schema_names": "FIVETRAN_NAMING",
                           "connect_card_config": {"redirect_uri": "https://example.com/fivetran-probe-done"},
                           "config": {"schema": run.names.schema("probe"), "api_key": run.key}})
    connection_id = run.ids["probe"] = str(made["id"])
    run.guard.learn(connection_id)
    probe = Probe(run, connection_id)
    config = made.get("config") or {}
    defaults = {name: config.get(name, "absent") for name in ITERABLE_DEFAULTS}
    run.answer("iterable-defaults", ", ".join(f"{k} {v}" for k, v in defaults.items()),
               same=defaults == ITERABLE_DEFAULTS)
    schema_status = (made.get("status") or {}).get("schema_status", "absent")
    auth = probe.patch({"auth": {}})
    run.answer("schema-status", f"{schema_status}; auth {{}}: {_status(auth)}",
               same=schema_status == "ready" and auth.ok)

    before_read = probe.get("/schemas")
    run.answer("schema-config-before-read", _status(before_read),
               same=before_read.status == 404 and before_read.code == "NotFound_SchemaConfig")
    reload = run.api.call("POST", f"{probe.path}/schemas/reload", {"exclude_mode": "PRESERVE"}, retry=False)
    run.answer("reload-before-setup", _status(reload), same=reload.status == 409)

    _schedule(run, probe)
    _webhook_secret(run, probe)
    naming = made.get("destination_schema_names", "absent")
    dsn = probe.patch({"destination_schema_names": "SOURCE_NAMING"})
    run.answer("destination-schema-names", f"shown as {naming}; PATCH: {_status(dsn)}",
               same=naming == "FIVETRAN_NAMING" and dsn.status == 400)
    state = probe.get("/state")
    run.answer("state-endpoint", _status(state), same=state.status == 400 and state.code == "NotFunctionConnector")
    wrong = run.api.call("GET", f"/groups/{segment(run.group_id)}", auth=("acceptance-wrong-key", "wrong-secret"),
                         retry=False)
    run.answer("auth-failed", _status(wrong), same=wrong.status == 401 and wrong.code == "AuthFailed")
    accept = probe.get(headers={"Accept": "text/html"}, retry=False)
    media = probe.patch({"paused": True}, headers={"Content-Type": "text/plain"})
    run.answer("headers", f"{_status(accept)}; {_status(media)}", same=(accept.status, media.status) == (406, 415))
    rule = probe.patch({"config": {"sync_mode": "SelectedEvents", "events": []}})
    run.answer("cross-field-rules", _status(rule), same=rule.status == 400)
    unknown, read_only = probe.patch({"config": {"evnts": ["emailSend"]}}), probe.patch(
        {"config": {"endpoint": "https://example.com/hook"}})
    run.answer("unknown-fields", f"{_status(unknown)}; {_status(read_only)}",
               same=unknown.status == 400 and read_only.status == 400)
    empty = run.api.call("PATCH", probe.path, {"run_setup_tests": False}, retry=False)
    renamed = probe.patch({"config": {"schema": run.names.schema("probe") + "_x"}})
    run.answer("patch-rules", f"{_status(empty)}; {_status(renamed)}",
               same=empty.status == 400 and renamed.status == 400)
    card = probe.patch({"connect_card_config": {"redirect_uri": "https://example.com/done"}})
    run.answer("create-only-card", _status(card), same=card.status == 400)
    paging = run.api.call("GET", f"/connections?group_id={segment(run.group_id)}"
                                 f"&schema={segment(run.names.schema('probe'))}&limit=0", retry=False)
    run.answer("paging", _status(paging), same=paging.status == 400)
    if run.working_key:
        masked = probe.patch({"config": {"api_key": "******"}, "run_setup_tests": True})
        passed = masked.ok and all(t.get("status") == "PASSED" for t in masked.data.get("setup_tests") or [{}])
        run.answer("masked-key", "kept the stored key (setup tests pass)" if passed else _status(masked),
                   same=passed)
    else:
        run.answer("masked-key", "not checked: needs a working Iterable key (ACCEPTANCE_ITERABLE_API_KEY)")

    check(run.api.delete(connection_id), f"the probe connection {connection_id} was not there to delete")
    run.gone.add(connection_id)
    gone, again = probe.get(), run.api.call("DELETE", probe.path, retry=False)
    _create_rules(run, made)
    run.answer("missing-connection", f"GET {_status(gone)}; DELETE {_status(again)}",
               same=gone.status == again.status == 404 and str(gone.code).startswith("NotFound_")
               and str(again.code).startswith("NotFound_"))
    return "asked on a connection of the run's own, deleted again"


def _create_rules(run: Run, made: dict[str, Any]) -> None:
    """A create with the mask for a key (after the probe connection is gone, so its schema is free again)."""
    masked = run.api.call("POST", "/connections", {
        "service": "iterable", "group_id": run.group_id, "paused": True, "run_setup_tests": False,
        "config": {"schema": run.names.schema("probe"), "api_key": "******"}}, retry=False)
    if masked.ok:  # accepted after all: it is the run's, and goes at once
        run.api.delete(str(masked.data.get("id")))
    card = "a card issued" if (made.get("connect_card") or {}).get("uri") else "no card"
    run.answer("create-rules", f"mask as key: {_status(masked)}; key and card: {card}",
               same=masked.status == 400 and card == "a card issued")


def _schedule(run: Run, probe: Probe) -> None:
    interval = probe.patch({"schedule": {"schedule_type": "INTERVAL", "interval": 120}})
    frequency = interval.data.get("sync_frequency")
    run.answer("schedule", f"{_status(interval)}, sync_frequency {frequency}", same=interval.ok and frequency == 120)
    conflict = probe.patch({"schedule": {"schedule_type": "INTERVAL", "interval": 60}, "sync_frequency": 180})
    run.answer("schedule-conflict", _status(conflict), same=conflict.status == 400)


def _webhook_secret(run: Run, probe: Probe) -> None:
    secrets = []
    for auth_type in ("Basic", "OAuth2"):
        reply = probe.patch({"config": {"webhook_auth_type": auth_type}})
        secret = str((reply.data.get("config") or {}).get("webhook_secret") or "")
        run.redact.add(secret)
        secrets.append((auth_type, reply, secret))
    shown = [f"{t}: {_status(r) if not r.ok else ('masked' if s.strip('*') == '' and s else f'{len(s)} chars')}"
             for t, r, s in secrets]
    (_, _, first), (_, _, second) = secrets
    clear = bool(first.strip("*")) and bool(second.strip("*"))
    run.answer("webhook-secret", "; ".join(shown) + ("; a new one on the change" if clear and first != second else ""),
               same=clear and first != second)

