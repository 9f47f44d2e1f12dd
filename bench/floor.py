"""This provider against the engine's own floor: a null dynamic provider with the same inputs, under the same CLI
and backend, in the same run, at 10, 100, 300 and 1,000 connections.

    venv/bin/python -m bench.floor                 # 10, 100, 300 and 1,000 (about 12 minutes on 2 cores)
    venv/bin/python -m bench.floor --sizes 10 30   # a quick look

Two throwaway projects, each a user's own program (not this repository's stack program, which checks its
entries itself first), declare N resources with identical inputs: `IterableConnection`s, and `NullConnection`s,
whose provider (`null_provider.py`, written next to the program) does nothing but what the engine needs: `check`
returns the inputs, `diff` compares them, and `create`, `read` and `delete` send the one request each needs
(the same POST body, GET and DELETE as ours) with plain `requests`. So the floor of a refresh is the engine plus
one bare GET per connection, and the floor of an `up` of new connections the engine plus one bare POST each.

Figures per size (each the median of interleaved runs, ours then null): `up` of N new connections (from an
empty stack; at 1,000 once), `preview`, no-change `up`, and `refresh`; ratio = ours / null. At the largest size
the same no-change `up`, `refresh` and `destroy` also run with `PULUMI_SKIP_CHECKPOINTS=true` (the engine then
writes the state once at the end instead of after every step).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi_fivetran_iterable.settings import DEFAULT_CREATE_LIMIT  # noqa: E402
from pulumi_fivetran_iterable.throttle import CreateThrottle  # noqa: E402

from bench.cli_scale import log  # noqa: E402
from tests.support.emulator import Emulator, start_emulator  # noqa: E402
from tests.support.pulumi_cli import PulumiCli, PulumiResult  # noqa: E402
from tests.support.stack import users_project  # noqa: E402

GROUP = "warehouse_main"


# The inputs both programs declare per connection (the Iterable key is a secret in both).
PROGRAM_HEAD = """
import pulumi

cfg = pulumi.Config()
count, prefix = cfg.require_int("count"), cfg.require("prefix")
key = cfg.require_secret("iterableKey")


def args(i):
    return dict(group_id="GROUP", sync_frequency=360, paused=False,
                config={"schema": f"{prefix}_{i}", "api_key": key, "sync_mode": "SelectedEvents",
                        "events": ["emailSend", "emailOpen", "emailClick"]})
""".replace("GROUP", GROUP)

OURS_PROGRAM = PROGRAM_HEAD + '''
from pulumi_fivetran_iterable import IterableConnection, IterableConnectionArgs

for i in range(count):
    IterableConnection(f"c{i}", IterableConnectionArgs(**args(i)))
'''

NULL_PROGRAM = PROGRAM_HEAD + '''
from null_provider import NullConnection

for i in range(count):
    NullConnection(f"c{i}", args(i))
'''

NULL_PROVIDER = textwrap.dedent('''
    """A dynamic provider that does only what the engine needs, and the one request each operation sends."""

    import threading

    import pulumi
    import pulumi.dynamic as dynamic
    from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider


    class NullProvider(dynamic.ResourceProvider):
        serialize_as_secret_always = False

        def __init__(self):
            super().__init__()
            self.__setstate__({})

        def __getstate__(self):
            return {}

        def __setstate__(self, state):
            self._config, self._session, self._lock = {}, None, threading.Lock()

        def configure(self, req):
            self._config = {name: req.config.get(f"fivetran:{name}") for name in ("apiUrl", "apiKey", "apiSecret")}

        def _http(self):
            import requests

            with self._lock:
                if self._session is None:
                    self._session = requests.Session()
                    self._session.auth = (self._config["apiKey"], self._config["apiSecret"])
                    self._session.headers["Accept"] = "application/json"
                return self._session

        def _url(self, path):
            return self._config["apiUrl"] + path

        def check(self, olds, news):
            return dynamic.CheckResult(news, [])

        def diff(self, id_, olds, news):
            changed = {k: v for k, v in olds.items() if k != "__provider"} != {
                k: v for k, v in news.items() if k != "__provider"}
            return dynamic.DiffResult(changes=changed)

        def create(self, props):
            body = {"service": "iterable", "group_id": props["group_id"], "paused": props["paused"],
                    "sync_frequency": int(props["sync_frequency"]), "run_setup_tests": True,
                    "config": props["config"]}
            reply = self._http().post(self._url("/connections"), json=body, timeout=30)
            reply.raise_for_status()
            return dynamic.CreateResult(reply.json()["data"]["id"], {k: v for k, v in props.items()
                                                                      if k != "__provider"})

        def read(self, id_, props):
            reply = self._http().get(self._url(f"/connections/{id_}"), timeout=30)
            reply.raise_for_status()
            return dynamic.ReadResult(id_, props)

        def update(self, id_, olds, news):
            return dynamic.UpdateResult({k: v for k, v in news.items() if k != "__provider"})

        def delete(self, id_, props):
            self._http().delete(self._url(f"/connections/{id_}"), timeout=30)


    _SERIALIZED = []  # the provider pickled once per program, as IterableConnection does (see its registration)


    class NullConnection(dynamic.Resource, module="bench", name="NullConnection"):
        def __init__(self, name, props, opts=None):
            if not _SERIALIZED:
                _SERIALIZED.append(serialize_provider(NullProvider()))
            pulumi.CustomResource.__init__(self, f"pulumi-python:{self._resource_type_name}", name,
                                           {**props, PROVIDER_KEY: _SERIALIZED[0]}, opts)
''')


@dataclass
class Project:
    """One throwaway project (ours or null) with its stack, bound to the emulator."""

    name: str
    cli: PulumiCli
    emulator: Emulator
    times: dict[str, list[float]] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)

    @classmethod
    def create(cls, tmp: Path, name: str, program: str, emulator: Emulator, count: int) -> Project:
        cli = users_project(tmp / name, emulator, program, stack="bench", name=f"floor-{name}",
                            plaintext={"fivetran:createLimit": "0", "count": str(count), "prefix": f"floor_{name}"},
                            secret={"iterableKey": "itbl-floor-key-0001"},
                            files={"null_provider.py": NULL_PROVIDER} if name == "null" else None)
        return cls(name, cli, emulator)

    def set_count(self, count: int) -> None:
        self.cli.run("config", "set", "count", str(count)).check()

    def run(self, label: str, *args: str, env: dict[str, str] | None = None) -> PulumiResult:
        before = len(self.emulator.requests())
        cli = dataclasses.replace(self.cli, extra_env={**self.cli.extra_env, **env}) if env else self.cli
        result = cli.run(*args, timeout=3600)
        if not result.ok:
            raise RuntimeError(f"{self.name}: {label} failed\n{result.transcript()[-4000:]}")
        self.times.setdefault(label, []).append(result.duration_s)
        self.requests[label] = len(self.emulator.requests()) - before
        return result


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def measure_size(tmp: Path, emulator: Emulator, n: int, rounds: int, create_rounds: int,
                 checkpoint_variants: bool) -> dict[str, Any]:
    """Every figure at one size: ours and null, interleaved."""
    pair = [Project.create(tmp / str(n), name, program, emulator, n)
            for name, program in (("ours", OURS_PROGRAM), ("null", NULL_PROGRAM))]
    for round_ in range(create_rounds):
        for project in pair:
            if round_:
                project.run("destroy", "destroy", "--yes", "--skip-preview")
            project.run("up_new", "up", "--yes", "--skip-preview")
        log(f"   {n}: up of new connections, round {round_ + 1}: "
            + ", ".join(f"{p.name} {p.times['up_new'][-1]:.1f} s" for p in pair))
    for project in pair:  # a first run after the creates warms caches: not measured
        project.run("warm-up", "preview")
    for _ in range(rounds):
        for label, args in (("preview", ("preview",)), ("noop_up", ("up", "--yes", "--skip-preview")),
                            ("refresh", ("refresh", "--yes", "--skip-preview"))):
            for project in pair:
                project.run(label, *args)
    log(f"   {n}: " + "; ".join(f"{label} {pair[0].times[label][-1]:.1f}/{pair[1].times[label][-1]:.1f} s"
                                for label in ("preview", "noop_up", "refresh")) + " (ours/null, last round)")
    figures: dict[str, Any] = {"connections": n, "rounds": rounds, "create_rounds": create_rounds}
    for label in ("up_new", "preview", "noop_up", "refresh"):
        ours, null = _median(pair[0].times[label]), _median(pair[1].times[label])
        figures[label] = {"ours_s": ours, "null_s": null, "ratio": round(ours / null, 2),
                          "requests": {"ours": pair[0].requests[label], "null": pair[1].requests[label]}}
    if checkpoint_variants:
        figures["skip_checkpoints"] = _checkpoint_variants(pair)
    for project in pair:
        project.run("destroy_final", "destroy", "--yes", "--skip-preview")
    return figures


def _checkpoint_variants(pair: list[Project]) -> dict[str, Any]:
    """No-change `up`, `refresh` and `destroy` with `PULUMI_SKIP_CHECKPOINTS=true`, beside the default."""
    env = {"PULUMI_SKIP_CHECKPOINTS": "true"}
    found: dict[str, Any] = {}
    for label, args in (("noop_up", ("up", "--yes", "--skip-preview")), ("refresh", ("refresh", "--yes",
                                                                                     "--skip-preview"))):
        for project in pair:
            project.run(f"{label}_skip", *args, env=env)
        found[label] = {p.name: {"default_s": _median(p.times[label]), "skip_checkpoints_s":
                                 _median(p.times[f"{label}_skip"])} for p in pair}
    for project in pair:
        project.run("destroy_skip", "destroy", "--yes", "--skip-preview", env=env)
        project.run("up_new_skip", "up", "--yes", "--skip-preview", env=env)
    found["destroy_then_up_new"] = {p.name: {"up_new_default_s": _median(p.times["up_new"]),
                                             "up_new_skip_checkpoints_s": _median(p.times["up_new_skip"]),
                                             "destroy_skip_checkpoints_s": _median(p.times["destroy_skip"])}
                                    for p in pair}
    return found


def growth(by_size: dict[str, Any], label: str, side: str) -> float:
    """Least-squares seconds per 100 connections."""
    points = [(int(n), figures[label][f"{side}_s"]) for n, figures in by_size.items()]
    if len(points) < 2:
        return 0.0
    mean_n = statistics.mean(n for n, _ in points)
    mean_t = statistics.mean(t for _, t in points)
    slope = sum((n - mean_n) * (t - mean_t) for n, t in points) / sum((n - mean_n) ** 2 for n, _ in points)
    return round(slope * 100, 2)


def modeled_create(n: int, engine_s: float, create_limit: str = DEFAULT_CREATE_LIMIT) -> dict[str, Any]:
    """An `up` of `n` new connections under the provider's default create throttle, modeled rather than run.

    The throttle (`limit` creates per `window_s`, plus its margin) lets the last batch start
    `(ceil(n / limit) - 1) * (window_s + margin_s)` after the first create; the engine's own work
    (`engine_s`, the same `up` measured with no limit) mostly overlaps that waiting, so it is the most it
    can add. Section 3 measures the same shape at 60 creates: 1.00x its limit floor.
    """
    throttle = CreateThrottle.parse(create_limit)
    assert throttle is not None, "model a throttled create"
    waiting_s = (math.ceil(n / throttle.limit) - 1) * (throttle.window_s + throttle.margin_s)
    return {"connections": n, "create_limit": create_limit, "limit_wait_s": round(waiting_s, 1),
            "engine_without_limit_s": engine_s, "at_most_s": round(waiting_s + engine_s, 1)}


def measure(tmp: Path, sizes: tuple[int, ...]) -> dict[str, Any]:
    by_size: dict[str, Any] = {}
    with start_emulator("--group", f"{GROUP}:Main warehouse", "--create-limit", "0") as emulator:
        for n in sizes:
            started = time.monotonic()
            emulator.reset()
            rounds = 3 if n <= 100 else 2 if n <= 300 else 1
            by_size[str(n)] = measure_size(tmp, emulator, n, rounds, create_rounds=2 if n <= 100 else 1,
                                           checkpoint_variants=n == max(sizes))
            log(f"   {n} connections measured in {time.monotonic() - started:.0f} s")
    largest = str(max(sizes))
    return {"by_size": by_size,
            "modeled_create": modeled_create(int(largest), by_size[largest]["up_new"]["ours_s"]),
            "growth_s_per_100": {label: {side: growth(by_size, label, side) for side in ("ours", "null")}
                                 for label in ("up_new", "preview", "noop_up", "refresh")}}


def table_lines(section: dict[str, Any], number: int = 6) -> list[str]:
    lines = [f"{number}. This provider vs a null dynamic provider with the same inputs (same CLI, backend, run); "
             "ratio = ours / null",
             f"   {'conns':>5}  {'up of new':>17}  {'preview':>17}  {'no-change up':>17}  {'refresh':>17}"]
    for n, f in section["by_size"].items():
        cells = [f"{f[k]['ours_s']:6.2f}/{f[k]['null_s']:6.2f} {f[k]['ratio']:4.2f}"
                 for k in ("up_new", "preview", "noop_up", "refresh")]
        lines.append(f"   {n:>5}  " + "  ".join(f"{c:>17}" for c in cells))
    g = section["growth_s_per_100"]
    lines.append("   growth per 100 connections (s, ours/null): " + ", ".join(
        f"{label} {g[label]['ours']:.2f}/{g[label]['null']:.2f}" for label in ("up_new", "preview", "noop_up",
                                                                                  "refresh")))
    largest = max(section["by_size"], key=int)
    skip = section["by_size"][largest].get("skip_checkpoints")
    if skip:
        parts = []
        for label in ("noop_up", "refresh"):
            parts.append(f"{label} " + ", ".join(f"{side} {v['default_s']:.1f} -> {v['skip_checkpoints_s']:.1f} s"
                                                 for side, v in skip[label].items()))
        parts.append("up of new " + ", ".join(f"{side} {v['up_new_default_s']:.1f} -> "
                                              f"{v['up_new_skip_checkpoints_s']:.1f} s"
                                              for side, v in skip["destroy_then_up_new"].items()))
        lines.append(f"   PULUMI_SKIP_CHECKPOINTS=true at {largest}: " + "; ".join(parts))
    model = section.get("modeled_create") or modeled_create(int(largest),
                                                            section["by_size"][largest]["up_new"]["ours_s"])
    lines.append(f"   up of {model['connections']} new connections under the default create throttle "
                 f"{model['create_limit']} (modeled): {model['limit_wait_s'] / 60:.1f} min of waiting for the limit, "
                 f"plus at most the {model['engine_without_limit_s']:.0f} s the same up takes without it")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 300, 1000])
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    try:
        section = measure(tmp, tuple(args.sizes))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join(table_lines(section)))
    if args.out:
        args.out.write_text(json.dumps(section, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
