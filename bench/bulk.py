"""Family 3, bulk create at the creation limit.

- `pulumi up` of 60 new connections with the emulator's creation limit at 20 per 10 s and the stack's
  `fivetran:createLimit: 20/10` (the provider's client-side throttle).
- The floor: the least time this `up` could take under the limit. Its first create POST comes at `first`
  (engine start, program, the first check; the limit plays no part yet). The limit then holds the 41st
  create back until `first + (ceil(60 / 20) - 1) * 10 s = first + 20 s`. What remains after that, the
  last 20 creates and the end of the run, takes at least `tail`: the time the same `up` against an
  emulator without any limit (run just before) needed from its 41st create POST to its end. So
  floor = first + 20 s + tail, and the figure is wall time / floor (goal <= 1.15): it charges the provider
  for any time lost to pacing (creates later than the limit allows, 429s, waiting) and to a slow finish.
  Request times come from polling the emulator's request log every 50 ms during both runs. Also reported:
  the looser floor "whole `up` without limit + 20 s" the issue suggests; it overstates the floor, since
  under the limit the first 40 creates overlap the waiting, so the ratio to it can fall below 1.
- Failures: the `up` must succeed with all 60 connections in Fivetran and in the state; the 429 replies
  the provider got are counted from the emulator log.
- Comparison: `gofivetran_like` (retry a 429 after Retry-After, give up after three retries, no throttle)
  creating the same 60 connections against a fresh emulator with the same limit, with 4 threads (the SDK's
  Python provider server's 4 workers, which this provider now raises), 10 (Terraform's default parallelism)
  and 60 (all at once); and
  100 connections all at once, beyond what four attempts per create can absorb. The variants run at the
  same time, each against its own emulator (they mostly sleep).
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

from pulumi_fivetran_iterable.payloads import create_body
from pulumi_fivetran_iterable.provider import IterableConnectionProvider

from bench.cli_scale import api_key, declared, log
from bench.clirun import run_watched
from bench.gofivetran_like import GoFivetranLikeClient, create_many
from tests.support.emulator import start_emulator
from tests.support.stack import StackProject

CONNECTIONS = 60
LIMIT_COUNT, LIMIT_SECONDS = 20, 10
GROUP_ARGS = ("--group", "warehouse_main:Main warehouse")
# (threads, creates): the engine's 4 provider workers, Terraform's default 10, all 60 at once, and 100 at once,
# where a client that gives up at the 4th 429 must fail (limit * 4 attempts = 80 < 100).
VARIANTS = ((4, CONNECTIONS), (10, CONNECTIONS), (60, CONNECTIONS), (100, 100))


def limit_floor_s(creates: int = CONNECTIONS) -> float:
    return max(0, math.ceil(creates / LIMIT_COUNT) - 1) * LIMIT_SECONDS


def _stack(tmp: Path, emulator: Any, create_limit: str) -> StackProject:
    project = StackProject.create(tmp, emulator, create_limit=create_limit)
    connections = [declared(i) for i in range(CONNECTIONS)]
    project.declare_many(connections, {c["name"]: api_key(c["name"]) for c in connections})
    return project


def provider_up(tmp: Path) -> dict[str, Any]:
    limit = f"{LIMIT_COUNT}/{LIMIT_SECONDS}"
    with start_emulator(*GROUP_ARGS, "--create-limit", "0") as free, \
            start_emulator(*GROUP_ARGS, "--create-limit", limit) as limited:
        unlimited_stack = _stack(tmp / "unlimited", free, "0")
        limited_stack = _stack(tmp / "limited", limited, limit)
        base = run_watched(unlimited_stack, "up", "--yes", timeline=True)
        base.result.check()
        log(f"  60 creates, no limit: {base.seconds:.1f} s")
        run = run_watched(limited_stack, "up", "--yes", timeline=True)
        log(f"  60 creates at {limit}: {run.seconds:.1f} s (exit {run.result.returncode})")
        statuses = [r["status"] for r in limited.requests()]
        create_posts = sum(1 for r in limited.requests() if r["method"] == "POST" and r["path"] == "/v1/connections")
        in_fivetran = len(limited.connections())
        in_state = len(limited_stack.resources()) if run.result.ok else None
    gate = limit_floor_s() // LIMIT_SECONDS * LIMIT_COUNT  # index of the first create the limit holds back last
    base_creates, run_creates = _create_times(base.timeline), _create_times(run.timeline)
    first, tail = run_creates[0], base.seconds - base_creates[gate]
    floor = first + limit_floor_s() + tail
    loose_floor = base.seconds + limit_floor_s()
    return {
        "connections": CONNECTIONS,
        "emulator_limit": limit,
        "stack_create_limit": limit,
        "up_s": round(run.seconds, 3),
        "limit_floor_s": limit_floor_s(),
        "floor_s": round(floor, 3),
        "ratio_to_floor": round(run.seconds / floor, 3),
        "floor_parts_s": {"first_create": round(first, 3), "limit_floor": limit_floor_s(),
                          f"tail_after_create_{gate + 1}_without_limit": round(tail, 3)},
        "first_create_without_limit_s": round(base_creates[0], 3),
        "up_without_limit_s": round(base.seconds, 3),
        "loose_floor_s": round(loose_floor, 3),
        "ratio_to_loose_floor": round(run.seconds / loose_floor, 3),
        "limited_run_create_times_s": {"first": round(run_creates[0], 3) if run_creates else None,
                                       f"create_{gate + 1}": round(run_creates[gate], 3) if len(run_creates) > gate
                                       else None,
                                       "last": round(run_creates[-1], 3) if run_creates else None},
        "limited_run_first_to_create_41_s": round(run_creates[gate] - run_creates[0], 3)
        if len(run_creates) > gate else None,
        "up_succeeded": run.result.ok,
        "failed_creates": CONNECTIONS - in_fivetran,
        "connections_in_fivetran": in_fivetran,
        "connections_in_state": in_state,
        "rate_limited_replies": statuses.count(429),
        "create_posts": create_posts,
        "api_requests": len(statuses),
        "error_tail": "" if run.result.ok else run.result.stderr[-2000:] + run.result.stdout[-2000:],
    }


def _create_times(timeline: list[tuple[float, dict[str, Any]]]) -> list[float]:
    """When each successful create POST was seen in the emulator's log (seconds since the `up` started)."""
    return [t for t, r in timeline if r["method"] == "POST" and r["path"] == "/v1/connections"
            and 200 <= r["status"] < 300]


def gofivetran_comparison() -> dict[str, Any]:
    """The Terraform-like client in each variant, all at once (each against its own emulator)."""
    provider = IterableConnectionProvider()
    bodies = []
    for i in range(max(creates for _, creates in VARIANTS)):
        entry = declared(i)
        entry.pop("name")
        entry["config"] = {**entry["config"], "api_key": api_key(f"conn-{i:03d}")}
        bodies.append(create_body(provider.check({}, entry).inputs))
    limit = f"{LIMIT_COUNT}/{LIMIT_SECONDS}"
    results: dict[str, Any] = {}
    emulators = [start_emulator(*GROUP_ARGS, "--create-limit", limit) for _ in VARIANTS]
    try:
        def one(threads: int, creates: int, emulator: Any) -> None:
            client = GoFivetranLikeClient(emulator.base_url, emulator.api_key, emulator.api_secret, pool=threads)
            seconds, outcomes = create_many(client, bodies[:creates], threads)
            failed = [o for o in outcomes if not o.ok]
            results[f"{threads}x{creates}"] = {
                "threads": threads,
                "creates": creates,
                "wall_s": round(seconds, 3),
                "limit_floor_s": limit_floor_s(creates),
                "ratio_to_limit_floor": round(seconds / limit_floor_s(creates), 3),
                "failed_creates": len(failed),
                "failure_reasons": sorted({o.error or f"HTTP {o.status}" for o in failed}),
                "rate_limited_replies": sum(o.rate_limited for o in outcomes),
                "most_429s_for_one_create": max(o.rate_limited for o in outcomes),
                "connections_in_fivetran": len(emulator.connections()),
            }

        workers = [threading.Thread(target=one, args=(threads, creates, emulator))
                   for (threads, creates), emulator in zip(VARIANTS, emulators, strict=True)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        for emulator in emulators:
            emulator.stop()
    return {"emulator_limit": limit, "max_retry_attempts": 2, "gives_up_at_429_number": 4,
            "variants": {f"{t}x{c}": results[f"{t}x{c}"] for t, c in VARIANTS}}
