"""Family 1, provider overhead: each provider operation against the time of the bare HTTP requests it needs.

In one process, against one emulator (create limit off, provider throttle off: `fivetran:createLimit: "0"`):

1. Calibration (not timed): one create, read, update and delete through the provider, with every HTTP
   request it sends recorded (method, URL, body, Accept/Content-Type). That is both "requests per
   operation" and the template of the bare requests.
2. Timed, interleaved pairs: provider operation, then the same requests sent with a plain
   `requests.Session` (same emulator, same keep-alive pooling), then the other order in the next pair, so
   drift and machine noise hit both sides alike. The bare side also decodes each JSON reply (any client
   must), but builds nothing: its bodies are the provider's recorded bodies with the schema name (create)
   or connection id substituted. Creates get a third arm, the least a create needs: the POST alone
   (`ratio_to_minimum`; what the provider adds to it is its group check and its lookup of the schema).

The figure is median(provider) / median(bare) per operation. The emulator answers in a few milliseconds on
loopback, so this ratio is an upper bound of what a user sees against Fivetran, where each request takes
~100 ms or more and the provider's fixed cost is relatively smaller.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from pulumi.dynamic import Config, ConfigureRequest
from pulumi_fivetran_iterable.provider import IterableConnectionProvider

from tests.support.emulator import Emulator

GROUP = "warehouse_main"
API_KEY = "itbl-bench-key-0001"
PROVIDER_FIELD = {"__provider": "serialized"}
# The least HTTP requests each operation needs (the issue: one for read, update and delete). A create needs
# one POST; the provider also checks the group and looks for an existing connection with the schema first.
MIN_REQUESTS = {"create": 1, "read": 1, "update": 1, "delete": 1}


@dataclass(frozen=True)
class Sent:
    method: str
    url: str
    body: bytes | None
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return "/v1" + self.url.split("/v1", 1)[1].split("?", 1)[0]

    def describe(self) -> str:
        query = ("?" + self.url.split("?", 1)[1]) if "?" in self.url else ""
        return f"{self.method} {self.path}{query}"


@contextmanager
def recording() -> Iterator[list[Sent]]:
    """Record every request any `requests.Session` in this process sends (calibration only, never timed)."""
    recorded: list[Sent] = []
    original = requests.Session.send

    def send(self: requests.Session, request: requests.PreparedRequest, **options: Any) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        headers = {k: v for k, v in request.headers.items() if k in ("Accept", "Content-Type")}
        recorded.append(Sent(request.method or "", request.url or "", body, headers))
        return original(self, request, **options)

    requests.Session.send = send  # type: ignore[method-assign]
    try:
        yield recorded
    finally:
        requests.Session.send = original  # type: ignore[method-assign]


def make_provider(emulator: Emulator) -> IterableConnectionProvider:
    provider = IterableConnectionProvider()
    provider.configure(ConfigureRequest(Config({
        "fivetran:apiKey": emulator.api_key,
        "fivetran:apiSecret": emulator.api_secret,
        "fivetran:apiUrl": emulator.base_url,
        "fivetran:createLimit": "0",
    }, "iterable-connections")))
    return provider


def program(schema: str, sync_frequency: int = 360) -> dict[str, Any]:
    """What the stack program sends for one connection (see `bench.cli_scale.declared`)."""
    return {"group_id": GROUP, "sync_frequency": sync_frequency,
            "config": {"schema": schema, "api_key": API_KEY, "account_region": "US"}, **PROVIDER_FIELD}


def checked(provider: IterableConnectionProvider, props: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, props)
    if result.failures:
        raise AssertionError([(f.property, f.reason) for f in result.failures])
    return {**result.inputs, **PROVIDER_FIELD}


def requests_per_operation(provider: IterableConnectionProvider, schema: str = "bench_calibration"
                           ) -> dict[str, list[Sent]]:
    """One create, read, update (one field changed) and delete through the provider; the requests each sent."""
    sent: dict[str, list[Sent]] = {}
    inputs = checked(provider, program(schema))
    with recording() as log:
        created = provider.create(inputs)
    sent["create"] = log
    connection_id, outs = created.id, {**created.outs, **PROVIDER_FIELD}
    with recording() as log:
        provider.read(connection_id, outs)
    sent["read"] = log
    with recording() as log:
        updated = provider.update(connection_id, outs, checked(provider, program(schema, sync_frequency=60)))
    sent["update"] = log
    outs = {**updated.outs, **PROVIDER_FIELD}
    with recording() as log:
        provider.delete(connection_id, outs)
    sent["delete"] = log
    return sent


class Bare:
    """The same HTTP requests with a plain session: no validation, no model, no retries; decode the reply."""

    def __init__(self, emulator: Emulator) -> None:
        self.session = requests.Session()
        self.session.auth = (emulator.api_key, emulator.api_secret)

    def send(self, sent: Sent) -> Any:
        response = self.session.request(sent.method, sent.url, data=sent.body, headers=sent.headers,
                                        timeout=(10, 90))
        if not response.ok:
            raise AssertionError(f"bare {sent.describe()} -> {response.status_code} {response.text[:200]}")
        return response.json() if response.content else None


def substitute(sent: Sent, old: str, new: str) -> Sent:
    body = sent.body.replace(old.encode(), new.encode()) if sent.body else sent.body
    return Sent(sent.method, sent.url.replace(old, new), body, sent.headers)


def _ms(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter_ns()
    result = function()
    return (time.perf_counter_ns() - started) / 1e6, result


@dataclass
class Pairs:
    provider_ms: list[float]
    bare_ms: list[float]
    requests: list[int]
    minimum_ms: list[float] = field(default_factory=list)  # create only: the one request a create needs

    def summary(self, bare_requests: int) -> dict[str, Any]:
        provider, bare = statistics.median(self.provider_ms), statistics.median(self.bare_ms)
        pairwise = statistics.median(p / b for p, b in zip(self.provider_ms, self.bare_ms, strict=True))
        return {
            "pairs": len(self.provider_ms),
            "provider_median_ms": round(provider, 3),
            "bare_median_ms": round(bare, 3),
            "overhead_median_ms": round(provider - bare, 3),
            "ratio": round(provider / bare, 3),
            "ratio_pairwise_median": round(pairwise, 3),
            "provider_p95_ms": round(_quantile(self.provider_ms, 0.95), 3),
            "bare_p95_ms": round(_quantile(self.bare_ms, 0.95), 3),
            "requests_per_operation": sorted(set(self.requests)) if len(set(self.requests)) > 1
            else self.requests[0],
            "bare_requests_per_operation": bare_requests,
            **({"minimum_bare_median_ms": round(statistics.median(self.minimum_ms), 3),
                "ratio_to_minimum": round(provider / statistics.median(self.minimum_ms), 3)}
               if self.minimum_ms else {}),
        }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(emulator: Emulator, *, pairs: int = 150, warmup: int = 10) -> dict[str, Any]:
    """Family 1 on a running emulator (create limit off); returns the figures for the JSON."""
    provider = make_provider(emulator)
    client = provider.client
    bare = Bare(emulator)
    calibration = requests_per_operation(provider)
    templates = calibration  # the bare side replays exactly these requests
    results: dict[str, Pairs] = {op: Pairs([], [], []) for op in ("create", "read", "update", "delete")}

    def provider_op(op: str, function: Callable[[], Any]) -> Any:
        before = client.request_count
        elapsed, result = _ms(function)
        return elapsed, result, client.request_count - before

    def record(op: str, index: int, run_provider: Callable[[], Any], run_bare: Callable[[], Any],
               run_minimum: Callable[[], Any] | None = None) -> Any:
        """Run one interleaved pair (or triple), the order rotating; keep it unless it is a warm-up."""
        arms = ["provider", "bare"] + (["minimum"] if run_minimum else [])
        shift = index % len(arms)
        timings: dict[str, float] = {}
        for arm in arms[shift:] + arms[:shift]:
            if arm == "provider":
                timings[arm], result, count = provider_op(op, run_provider)
            else:
                timings[arm], _ = _ms(run_bare if arm == "bare" else run_minimum)  # type: ignore[arg-type]
        if index >= warmup:
            results[op].provider_ms.append(timings["provider"])
            results[op].bare_ms.append(timings["bare"])
            results[op].requests.append(count)
            if run_minimum:
                results[op].minimum_ms.append(timings["minimum"])
        return result

    log_before = len(emulator.requests())
    total = warmup + pairs
    # create: distinct schemas on both sides (a schema is unique per group).
    inputs = [checked(provider, program(f"bench_p{i:04d}")) for i in range(total)]
    created: list[tuple[str, dict[str, Any]]] = []
    bare_ids: list[str] = []
    minimum_ids: list[str] = []
    post = next(s for s in templates["create"] if s.method == "POST")
    for i in range(total):
        bare_requests = [substitute(s, "bench_calibration", f"bench_b{i:04d}") for s in templates["create"]]
        minimum_post = substitute(post, "bench_calibration", f"bench_m{i:04d}")

        def bare_create(reqs: list[Sent] = bare_requests) -> None:
            for sent in reqs:
                reply = bare.send(sent)
            bare_ids.append(reply["data"]["id"])

        def minimum_create(sent: Sent = minimum_post) -> None:
            minimum_ids.append(bare.send(sent)["data"]["id"])

        result = record("create", i, lambda i=i: provider.create(inputs[i]), bare_create, minimum_create)
        created.append((result.id, {**result.outs, **PROVIDER_FIELD}))

    # read and update: one connection each side, again and again.
    (p_id, p_outs), b_id = created[0], bare_ids[0]
    calibration_id = templates["read"][0].path.rsplit("/", 1)[1]
    read_req = substitute(templates["read"][0], calibration_id, b_id)
    for i in range(total):
        record("read", i, lambda: provider.read(p_id, p_outs), lambda: bare.send(read_req))

    # update: toggle sync_frequency 360 <-> 60 each time, so every update is a real change (one PATCH).
    news = {360: checked(provider, program("bench_p0000", 360)), 60: checked(provider, program("bench_p0000", 60))}
    patch_to_60 = substitute(templates["update"][0], calibration_id, b_id)
    patch_to_360 = Sent(patch_to_60.method, patch_to_60.url,
                        patch_to_60.body.replace(b'"sync_frequency": 60', b'"sync_frequency": 360')
                        if patch_to_60.body else None, patch_to_60.headers)
    assert patch_to_360.body != patch_to_60.body, "the recorded PATCH body does not carry sync_frequency"
    outs = p_outs
    for i in range(total):
        target = 60 if i % 2 == 0 else 360
        patch = patch_to_60 if target == 60 else patch_to_360

        def provider_update(target: int = target, olds: dict[str, Any] = outs) -> Any:
            return provider.update(p_id, olds, news[target])

        result = record("update", i, provider_update, lambda patch=patch: bare.send(patch))
        outs = {**result.outs, **PROVIDER_FIELD}

    # delete: every connection created above, once each.
    delete_template = templates["delete"][0]
    for i in range(total):
        connection_id, connection_outs = created[i]
        delete_req = substitute(delete_template, calibration_id, bare_ids[i])
        record("delete", i, lambda c=connection_id, o=connection_outs: provider.delete(c, o),
               lambda req=delete_req: bare.send(req))

    logged = len(emulator.requests()) - log_before
    expected = sum(sum(r.requests) for r in results.values()) + sum(
        len(templates[op]) * len(results[op].bare_ms) for op in results) + total  # + the minimum creates
    warm = warmup * sum(2 * len(templates[op]) for op in results)  # warm-up pairs are logged but not kept
    for connection_id in minimum_ids:  # not timed
        bare.send(substitute(delete_template, calibration_id, connection_id))
    figures = {op: results[op].summary(len(templates[op])) for op in results}
    return {
        "method": "interleaved pairs in one process; ratio = median(provider) / median(bare requests)",
        "operations": figures,
        "requests_sent": {op: [s.describe() for s in sent] for op, sent in calibration.items()},
        "min_requests": MIN_REQUESTS,
        "emulator_logged_requests": logged,
        "emulator_log_matches_counts": logged == expected + warm,
    }
