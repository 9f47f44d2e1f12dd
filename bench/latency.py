"""At the real API's latency: how many requests a preview, a refresh and an update keep in flight.

    venv/bin/python -m bench.latency                                  # 100 and 1,000 connections, 0.2 and 0.1 s
    venv/bin/python -m bench.latency --sizes 100 --latencies 0.2      # a quick look
    venv/bin/python -m bench.latency --record     # also bench/results/<date>-<machine>-latency.json

The emulator answers in about a millisecond; Fivetran, seen from a CI runner, in a hundred or more. Here every
`/v1` request waits a fixed time (the emulator's `--latency`, changed between runs through its control
endpoint) and the real CLI runs a user's own project (not this repository's stack program) of N connections:

- `preview --refresh` of an unchanged stack (drift detection: one GET per connection), without and with a
  declared schema config (one more GET each);
- `refresh`, and `up` changing every connection (one PATCH each);
- the same previews with `fivetran:readByGroup` on (`FIVETRAN_READ_BY_GROUP=true`: the group's connection
  list serves the reads), at the default `--parallel` only.

Each at latency 0 and at each latency, with the engine's default `--parallel` (8 on this 2-core machine: it
is 4 per CPU) and with `--parallel 16`, interleaved (each round starts at another latency). Figures per run:
wall time, API requests (the emulator's log), the requests in flight at most and on average while any was
(the emulator measures both: the sum of the requests' times over the time at least one was in flight), and

    effective concurrency = requests x latency / (wall at the latency - wall at latency 0)

the requests the latency kept in flight on average while it added to the wall time. The floor is
`requests x latency / parallel`: the least time the latency adds when each of the engine's `--parallel` calls
has one request out at every moment. Where the engine's own work overlaps the waiting, the added time falls
below it (and the effective concurrency above `--parallel`); where it hides the waiting entirely (the `up`:
the engine's state writes take longer than the requests) the added time is noise around zero, shown as
"hidden" when it is not above zero.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import machine  # noqa: E402
from bench.cli_scale import log  # noqa: E402
from tests.support.emulator import REPO_ROOT, Emulator, start_emulator  # noqa: E402
from tests.support.pulumi_cli import PulumiCli, find_pulumi  # noqa: E402
from tests.support.stack import users_project  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"

GROUP = "warehouse_main"
SKIP_CHECKPOINTS = {"PULUMI_SKIP_CHECKPOINTS": "true"}
DEFAULT_PARALLEL = 8  # the CLI's default on this machine (4 per CPU); `pulumi preview --help` says it
LATENCIES = (0.2, 0.1)  # seconds per request: a CI runner's view of Fivetran's API, and its lower end
PARALLELS = (DEFAULT_PARALLEL, 16)
PROGRAM = """
import pulumi
from pulumi_fivetran_iterable import IterableConnection, IterableConnectionArgs

cfg = pulumi.Config()
count, prefix = cfg.require_int("count"), cfg.require("prefix")
frequency = cfg.get_int("frequency") or 360
key = cfg.require_secret("iterableKey")
# One blocked table: a refresh reads the schema config too (one more GET per connection).
schema_config = {"tables": {"list_user_history": {"enabled": False}}} if cfg.get_bool("schemaConfig") else None

for i in range(count):
    IterableConnection(f"c{i}", IterableConnectionArgs(
        group_id="GROUP", sync_frequency=frequency, schema_config=schema_config,
        config={"schema": f"{prefix}_{i}", "api_key": key, "sync_mode": "SelectedEvents",
                "events": ["emailSend", "emailOpen", "emailClick"]}))
""".replace("GROUP", GROUP)

BY_GROUP = {"FIVETRAN_READ_BY_GROUP": "true"}
# (label, stack, pulumi arguments, environment): the steps measured at every latency and parallelism.
STEPS: tuple[tuple[str, str, tuple[str, ...], dict[str, str]], ...] = (
    ("preview", "plain", ("preview", "--refresh"), {}),
    ("preview_schema", "schema", ("preview", "--refresh"), {}),
    ("refresh", "plain", ("refresh", "--yes", "--skip-preview"), {}),
    ("update", "plain", ("up", "--yes", "--skip-preview"), {}),
    ("preview_by_group", "plain", ("preview", "--refresh"), BY_GROUP),
    ("preview_schema_by_group", "schema", ("preview", "--refresh"), BY_GROUP),
)


@dataclass
class Stack:
    """One throwaway project and stack of N connections, bound to the emulator."""

    name: str
    cli: PulumiCli
    emulator: Emulator
    frequency: int = 360
    runs: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def create(cls, tmp: Path, name: str, emulator: Emulator, count: int, schema_config: bool) -> Stack:
        cli = users_project(tmp / name, emulator, PROGRAM, stack="bench", name=f"latency-{name}",
                            plaintext={"fivetran:createLimit": "0", "count": str(count), "prefix": f"lat_{name}",
                                       "schemaConfig": str(schema_config).lower()},
                            secret={"iterableKey": "itbl-latency-key-0001"})
        stack = cls(name, cli, emulator)
        # Setup, not measured: the engine writes its state once at the end instead of after every create.
        stack.command("up", "--yes", "--skip-preview", env=SKIP_CHECKPOINTS)
        return stack

    def command(self, *args: str, env: dict[str, str] | None = None) -> tuple[float, int]:
        """Run one pulumi command; its wall time and the API requests it sent."""
        before = len(self.emulator.requests())
        cli = dataclasses.replace(self.cli, extra_env={**self.cli.extra_env, **(env or {})})
        result = cli.run(*args, timeout=3600).check()
        return result.duration_s, len(self.emulator.requests()) - before

    def step(self, label: str, args: tuple[str, ...], env: dict[str, str], latency: float, parallel: int
             ) -> dict[str, Any]:
        if label == "update":  # every connection changes: one PATCH each
            self.frequency = 720 if self.frequency == 360 else 360
            self.cli.run("config", "set", "frequency", str(self.frequency)).check()
        self.emulator.set_latency(f"{latency:g}")  # also starts the in-flight counts anew
        wall, requests = self.command(*args, "--parallel", str(parallel), env=env)
        seen = self.emulator.latency()
        in_flight = seen["request_s"] / seen["busy_s"] if seen["busy_s"] else 0.0
        run = {"step": label, "latency_s": latency, "parallel": parallel, "wall_s": round(wall, 2),
               "requests": requests, "peak_in_flight": seen["peak_in_flight"],
               "average_in_flight": round(in_flight, 2)}
        self.runs.append(run)
        return run

    def destroy(self) -> None:
        self.emulator.set_latency("0")
        self.command("destroy", "--yes", "--skip-preview", env=SKIP_CHECKPOINTS)


def measure_size(tmp: Path, emulator: Emulator, n: int, latencies: tuple[float, ...], parallels: tuple[int, ...],
                 rounds: int) -> dict[str, Any]:
    """Every step at every latency and parallelism, `rounds` times, interleaved; medians and the figures."""
    started = time.monotonic()
    stacks = {"plain": Stack.create(tmp / str(n), "plain", emulator, n, schema_config=False),
              "schema": Stack.create(tmp / str(n), "schema", emulator, n, schema_config=True)}
    log(f"   {n}: two stacks of {n} connections created in {time.monotonic() - started:.0f} s")
    for stack in stacks.values():  # a first run warms caches: not measured
        stack.command("preview", "--refresh")
    order = (0.0, *latencies)
    for round_ in range(rounds):
        # Each round starts at another latency, so a machine that gets busier or quieter over the run does not
        # favour one of them.
        for latency in order[round_ % len(order):] + order[:round_ % len(order)]:
            for parallel in parallels:
                for label, stack_name, args, env in STEPS:
                    if env is BY_GROUP and parallel != parallels[0]:
                        continue
                    run = stacks[stack_name].step(label, args, env, latency, parallel)
                    log(f"   {n}: round {round_ + 1}, latency {latency:g} s, --parallel {parallel}: {label} "
                        f"{run['wall_s']:.1f} s, {run['requests']} requests, at most {run['peak_in_flight']} "
                        "in flight")
    for stack in stacks.values():
        stack.destroy()
    runs = [run for stack in stacks.values() for run in stack.runs]
    return {"connections": n, "rounds": rounds, "figures": figures(runs, latencies, parallels), "runs": runs}


def figures(runs: list[dict[str, Any]], latencies: tuple[float, ...], parallels: tuple[int, ...]
            ) -> list[dict[str, Any]]:
    """Per step, latency and parallelism: median wall time and requests, and the effective concurrency."""
    def median(step: str, latency: float, parallel: int, key: str) -> float:
        values = [r[key] for r in runs if (r["step"], r["latency_s"], r["parallel"]) == (step, latency, parallel)]
        return statistics.median(values) if values else float("nan")

    out = []
    for label, _, _, _ in STEPS:
        for parallel in parallels:
            base = median(label, 0.0, parallel, "wall_s")
            if base != base:  # not measured at this parallelism
                continue
            for latency in latencies:
                wall = median(label, latency, parallel, "wall_s")
                requests = int(median(label, latency, parallel, "requests"))
                added = wall - base
                waited = requests * latency
                out.append({
                    "step": label, "parallel": parallel, "latency_s": latency, "wall_s": round(wall, 2),
                    "wall_without_latency_s": round(base, 2), "added_s": round(added, 2), "requests": requests,
                    "peak_in_flight": int(median(label, latency, parallel, "peak_in_flight")),
                    "average_in_flight": round(median(label, latency, parallel, "average_in_flight"), 1),
                    "effective_concurrency": round(waited / added, 1) if added > 0 else None,
                    "floor_added_s": round(waited / parallel, 2),
                })
    return out


def measure(tmp: Path, sizes: tuple[int, ...], latencies: tuple[float, ...], parallels: tuple[int, ...],
            rounds: int | None = None) -> dict[str, Any]:
    by_size: dict[str, Any] = {}
    with start_emulator("--group", f"{GROUP}:Main warehouse", "--create-limit", "0") as emulator:
        for n in sizes:
            started = time.monotonic()
            emulator.reset()
            by_size[str(n)] = measure_size(tmp, emulator, n, latencies, parallels,
                                         rounds=rounds or (3 if n <= 100 else 1))
            log(f"   {n} connections measured in {time.monotonic() - started:.0f} s")
    return {"latencies_s": list(latencies), "parallels": list(parallels), "by_size": by_size}


STEP_NAMES = {
    "preview": "preview --refresh",
    "preview_schema": "  with a schema config",
    "refresh": "refresh",
    "update": "up, every connection changed",
    "preview_by_group": "preview, readByGroup",
    "preview_schema_by_group": "  with a schema config",
}


def table_lines(section: dict[str, Any], number: int = 7) -> list[str]:
    lines = [f"{number}. At the real API's latency (emulator --latency): wall s at the latency / without it, API "
             "requests, requests in flight at most", "   and on average while any was (emulator), effective "
             "concurrency = requests x latency / added s, floor = requests x latency / parallel"]
    for n, size in section["by_size"].items():
        lines.append(f"   {n} connections ({size['rounds']} round{'s' if size['rounds'] > 1 else ''}, medians)")
        lines.append(f"   {'step':<30} {'lat s':>5} {'par':>3} {'wall s':>13} {'req':>5} {'peak':>4} {'avg':>5} "
                     f"{'eff. conc.':>10} {'added s':>8} {'floor s':>8}")
        for f in size["figures"]:
            concurrency = "hidden" if f["effective_concurrency"] is None else f"{f['effective_concurrency']:.1f}"
            lines.append(f"   {STEP_NAMES[f['step']]:<30} {f['latency_s']:>5g} {f['parallel']:>3} "
                         f"{f['wall_s']:>6.1f} / {f['wall_without_latency_s']:<4.1f} {f['requests']:>5} "
                         f"{f['peak_in_flight']:>4} {f.get('average_in_flight', 0):>5.1f} {concurrency:>10} "
                         f"{f['added_s']:>8.1f} {f['floor_added_s']:>8.1f}")
    lines.append("   (hidden: the engine's own work, not the requests, sets the time)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--latencies", type=float, nargs="+", default=list(LATENCIES))
    parser.add_argument("--parallel", type=int, nargs="+", default=list(PARALLELS))
    parser.add_argument("--rounds", type=int, help="rounds per size (default 3 up to 100 connections, else 1)")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--record", action="store_true",
                        help="also write bench/results/<date>-<machine>-latency.json (the run to commit)")
    args = parser.parse_args(argv)
    facts = machine.facts(find_pulumi())
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO_ROOT, capture_output=True,
                            text=True).stdout.strip()
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    try:
        section = measure(tmp, tuple(args.sizes), tuple(args.latencies), tuple(args.parallel), args.rounds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    facts["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    command = "venv/bin/python -m bench.latency " + " ".join(argv if argv is not None else sys.argv[1:])
    report = {"command": command.strip(), "commit": commit, "machine": facts,
              "total_s": round(time.monotonic() - started, 1), "latency": section}
    print("\n".join(table_lines(section)))
    text = json.dumps(report, indent=2) + "\n"
    if args.out:
        args.out.write_text(text)
    if args.record:
        dated = RESULTS / f"{facts['date_utc'][:10]}-{machine.slug(facts)}-latency.json"
        dated.write_text(text)
        print(f"recorded as {dated.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
