"""The provider's own time per resource in `check` and `diff`, on the property bags of a real stack.

The bags come from the stack's checkpoint (`pulumi stack export --show-secrets`: each connection's inputs and
outputs) and from the stack's declaration (what the program sends as `news`). They are replayed the way the
engine calls a no-op preview (see docs reference 1.4): `check(olds=state inputs, news=program inputs)`, then
`diff(id, olds=state outputs, news=checked inputs)`.

Two measurements:
- in process: `IterableConnectionProvider().check/diff` called directly, many times: the provider's own code;
- over gRPC: the same calls through the SDK's provider server (`python -m pulumi.dynamic`, started by the
  engine stand-in in tests/support/engine.py), round trip from this process: what the engine pays per call
  (protobuf, deserialisation, the cached provider) minus the engine itself.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Mapping
from typing import Any

from pulumi_fivetran_iterable.provider import IterableConnectionProvider

from tests.support.stack import StackProject

SECRET_SIG = "4dabf18193072939515e22adb298388d"


def unwrap(value: Any) -> Any:
    """A checkpoint value with secrets shown (`stack export --show-secrets`) as the provider receives it."""
    if isinstance(value, Mapping):
        if SECRET_SIG in value:
            return unwrap(json.loads(value["plaintext"])) if "plaintext" in value else value.get("value")
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def bags(project: StackProject, declared: list[dict[str, Any]], api_keys: Mapping[str, str]
         ) -> list[dict[str, Any]]:
    """One entry per connection: name, id, state inputs, state outputs, and the program's `news`."""
    exported = json.loads(project.run("stack", "export", "--show-secrets").check().stdout)
    by_name = {entry["name"]: entry for entry in declared}
    out = []
    for resource in exported["deployment"]["resources"]:
        if not resource["type"].endswith("IterableConnection"):
            continue
        name = resource["urn"].rsplit("::", 1)[1]
        entry = dict(by_name[name])
        entry.pop("name")
        entry["config"] = {**entry["config"], "api_key": api_keys[name]}
        inputs, outputs = unwrap(resource["inputs"]), unwrap(resource["outputs"])
        news = {**entry, "__provider": inputs["__provider"]}
        out.append({"name": name, "id": resource["id"], "inputs": inputs, "outputs": outputs, "news": news})
    return out


def _summary(samples_us: list[float]) -> dict[str, float]:
    ordered = sorted(samples_us)
    return {
        "calls": len(ordered),
        "median_ms": round(statistics.median(ordered) / 1000, 4),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] / 1000, 4),
        "max_ms": round(ordered[-1] / 1000, 4),
    }


def in_process(resources: list[dict[str, Any]], rounds: int = 10) -> dict[str, Any]:
    provider = IterableConnectionProvider()
    check_us: list[float] = []
    diff_us: list[float] = []
    per_resource_us: list[float] = []
    changes = 0
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for r in resources:
            t0 = clock()
            result = provider.check(r["inputs"], r["news"])
            t1 = clock()
            news = {**result.inputs, "__provider": r["news"]["__provider"]}
            t2 = clock()
            diff = provider.diff(r["id"], r["outputs"], news)
            t3 = clock()
            check_us.append((t1 - t0) / 1000)
            diff_us.append((t3 - t2) / 1000)
            per_resource_us.append((t1 - t0 + t3 - t2) / 1000)
            changes += bool(diff.changes) or bool(result.failures)
    return {"check": _summary(check_us), "diff": _summary(diff_us),
            "check_plus_diff": _summary(per_resource_us), "resources": len(resources), "rounds": rounds,
            "calls_reporting_changes_or_failures": changes}


def over_grpc(resources: list[dict[str, Any]], config: dict[str, str], rounds: int = 3) -> dict[str, Any]:
    from tests.support.engine import EngineStandIn

    check_us: list[float] = []
    diff_us: list[float] = []
    clock = time.perf_counter_ns
    strip = lambda bag: {k: v for k, v in bag.items() if k != "__provider"}  # noqa: E731 (stand-in adds it)
    with EngineStandIn.start(config) as engine:
        for _ in range(rounds):
            for r in resources:
                t0 = clock()
                reply = engine.check(r["name"], strip(r["inputs"]), strip(r["news"]))
                t1 = clock()
                diff = engine.diff(r["name"], r["id"], r["outputs"], reply.inputs, r["inputs"])
                t2 = clock()
                check_us.append((t1 - t0) / 1000)
                diff_us.append((t2 - t1) / 1000)
                if reply.failures or diff.changes == diff.DIFF_SOME:
                    raise AssertionError(f"{r['name']}: a no-op check/diff reported a change: {reply.failures}")
    return {"check": _summary(check_us), "diff": _summary(diff_us), "resources": len(resources), "rounds": rounds}
