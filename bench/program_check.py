"""What judging connections where the program declares them costs a correct program (run from the repository root):

    venv/bin/python -m bench.program_check [--connections 100] [--rounds 7]

`IterableConnection` runs the provider's rules on the values a program holds (program_check.py), so that one
preview shows every problem. A program without problems pays for that once, by importing the rules (pydantic
among them) into the program process, and per connection, one pass of the rules. Measured side by side:

1. `pulumi preview` of a user's own program declaring N new, valid connections (no refresh, no API request),
   alternately as shipped and with the check switched off by the program's first line, same CLI, backend and
   venv: seconds of each, the CPU seconds of all the processes it ran and of the program process alone (medians
   of the rounds), and their ratios. On a busy machine the CPU ratios are the steadier ones.
2. In a fresh Python: `import pulumi_fivetran_iterable` alone, and followed by the rules' import (the one-time
   cost), median of 7 each; and the rules' time per connection on the benchmark's connections.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: `venv/bin/python bench/program_check.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cli_scale import log  # noqa: E402
from tests.support.emulator import REPO_ROOT, start_emulator  # noqa: E402
from tests.support.pulumi_cli import PulumiCli  # noqa: E402

OFF = "import pulumi_fivetran_iterable.resource as _r; _r.check_declared = lambda *args, **kwargs: None\n"
# The program process's own CPU seconds, written where the benchmark says, when it ends.
PROBE = ("import atexit, os, time\n"
         "atexit.register(lambda: 'PROGRAM_CPU_OUT' in os.environ and\n"
         "                open(os.environ['PROGRAM_CPU_OUT'], 'a').write(f'{time.process_time()}\\n'))\n")
PROGRAM = '''\
import pulumi
from pulumi_fivetran_iterable import IterableConnection, IterableConnectionArgs

key = pulumi.Config().require_secret("iterableApiKey")
for i in range({count}):
    shape = i % 3
    if shape == 0:
        args = IterableConnectionArgs(group_id="warehouse_main", sync_frequency=360,
                                      config={{"schema": f"conn_{{i:03d}}", "api_key": key, "account_region": "US"}})
    elif shape == 1:
        args = IterableConnectionArgs(group_id="warehouse_main", sync_frequency=60, config={{
            "schema": f"conn_{{i:03d}}", "api_key": key, "sync_mode": "SelectedEvents",
            "events": ["emailSend", "emailOpen"], "custom_event_sync_mode": "NoEvents"}})
    else:
        args = IterableConnectionArgs(group_id="warehouse_main", paused=True, sync_frequency=1440,
                                      daily_sync_time="03:00", config={{"schema": f"conn_{{i:03d}}", "api_key": key,
                                                                       "account_region": "EU"}})
    IterableConnection(f"conn-{{i:03d}}", args)
'''


def preview_ratio(tmp: Path, count: int, rounds: int) -> dict[str, Any]:
    """Seconds of `pulumi preview` with the check as shipped and switched off, interleaved."""
    with start_emulator("--group", "warehouse_main:Main warehouse", "--create-limit", "0") as emulator:
        projects: dict[str, PulumiCli] = {}
        for variant, first_line in (("checked", ""), ("unchecked", OFF)):
            root = tmp / variant
            root.mkdir()
            (root / "Pulumi.yaml").write_text(f"name: {variant}\nruntime:\n  name: python\n  options:\n"
                                              "    virtualenv: venv\n")
            (root / "__main__.py").write_text(PROBE + first_line + PROGRAM.format(count=count))
            (root / "venv").symlink_to(REPO_ROOT / "venv")
            cli = PulumiCli.in_tmp(root, tmp / f"{variant}-pulumi")
            cli.init_stack("dev", plaintext={"fivetran:apiUrl": emulator.base_url},
                           secret={"fivetran:apiKey": emulator.api_key, "fivetran:apiSecret": emulator.api_secret,
                                   "iterableApiKey": "itbl-bench-key"})
            cli.run("preview", "--refresh=false").check()  # warm caches, not measured
            projects[variant] = cli
        seconds: dict[str, list[float]] = {variant: [] for variant in projects}
        cpu: dict[str, list[float]] = {variant: [] for variant in projects}
        for round_ in range(rounds):
            order = list(projects) if round_ % 2 == 0 else list(reversed(projects))
            for variant in order:
                before = _children_cpu()
                os.environ["PROGRAM_CPU_OUT"] = str(tmp / f"{variant}-program-cpu.txt")
                result = projects[variant].run("preview", "--refresh=false").check()
                cpu[variant].append(_children_cpu() - before)
                if f"+ {count + 1} to create" not in result.stdout.replace("    ", " "):
                    raise AssertionError(f"{variant}: not a preview of {count} creates:\n{result.stdout[-600:]}")
                seconds[variant].append(result.duration_s)
            log(f"  round {round_ + 1}: " + ", ".join(f"{v} {s[-1]:.2f} s" for v, s in seconds.items()))
        assert emulator.requests() == [], "a preview of new connections sends no request"
    checked, unchecked = (statistics.median(seconds[v]) for v in ("checked", "unchecked"))
    checked_cpu, unchecked_cpu = (statistics.median(cpu[v]) for v in ("checked", "unchecked"))
    program = {v: statistics.median(float(x) for x in (tmp / f"{v}-program-cpu.txt").read_text().split())
               for v in ("checked", "unchecked")}
    return {"connections": count, "rounds": rounds, "checked_s": round(checked, 3),
            "unchecked_s": round(unchecked, 3), "ratio": round(checked / unchecked, 3),
            "checked_cpu_s": round(checked_cpu, 3), "unchecked_cpu_s": round(unchecked_cpu, 3),
            "cpu_ratio": round(checked_cpu / unchecked_cpu, 3),
            "program_cpu_s": {v: round(value, 3) for v, value in program.items()},
            "program_cpu_ratio": round(program["checked"] / program["unchecked"], 3),
            "all_s": {v: [round(s, 3) for s in values] for v, values in seconds.items()}}


def _children_cpu() -> float:
    """CPU seconds (user and system) of every finished child process and its children: the CLI, the engine's
    plugins, the program and the provider."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def import_and_rules(count: int) -> dict[str, Any]:
    """One-time import of the rules, and the rules' time per connection, in fresh Pythons."""
    code = textwrap.dedent('''
        import json, sys, time
        started = time.perf_counter()
        import pulumi_fivetran_iterable
        package = time.perf_counter()
        if sys.argv[1] == "rules":
            import pulumi_fivetran_iterable.validation
        print(json.dumps([package - started, time.perf_counter() - package]))
    ''')
    runs: dict[str, list[list[float]]] = {"package": [], "rules": []}
    subprocess.run([sys.executable, "-c", code, "rules"], capture_output=True, check=True)  # caches written
    for _ in range(7):
        for what in runs:
            done = subprocess.run([sys.executable, "-c", code, what], capture_output=True, text=True, check=True)
            runs[what].append(json.loads(done.stdout))
    per_connection = subprocess.run([sys.executable, "-c", textwrap.dedent(f'''
        import time
        from pulumi_fivetran_iterable.program_check import _held, _is_not_held
        from pulumi_fivetran_iterable.validation import check_inputs
        secret = object()  # stands for the Output a program passes as the key
        shapes = [{{"group_id": "warehouse_main", "sync_frequency": 360,
                    "config": {{"schema": "s", "api_key": secret, "account_region": "US"}}}},
                  {{"group_id": "warehouse_main", "sync_frequency": 60,
                    "config": {{"schema": "s", "api_key": secret, "sync_mode": "SelectedEvents",
                               "events": ["emailSend", "emailOpen"], "custom_event_sync_mode": "NoEvents"}}}},
                  {{"group_id": "warehouse_main", "paused": True, "sync_frequency": 1440, "daily_sync_time": "03:00",
                    "config": {{"schema": "s", "api_key": secret, "account_region": "EU"}}}}]
        check_inputs(_held(shapes[0]), _is_not_held)
        started = time.perf_counter()
        for i in range({count} * 10):
            assert not check_inputs(_held(shapes[i % 3]), _is_not_held)[1]
        print((time.perf_counter() - started) / ({count} * 10))
    ''')], capture_output=True, text=True, check=True)
    package = statistics.median(r[0] for r in runs["package"])
    rules = statistics.median(r[1] for r in runs["rules"])
    return {"package_import_ms": round(package * 1000, 1), "rules_import_ms": round(rules * 1000, 1),
            "rules_ms_per_connection": round(float(per_connection.stdout) * 1000, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.program_check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    # As a user's venv has it: compiled modules cached (pip writes them for installed wheels; here the editable
    # sources get theirs on the warm-up run), so that compiling is not counted as importing.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="bench-program-check-") as tmp:
        started = time.monotonic()
        preview = preview_ratio(Path(tmp), args.connections, args.rounds)
        report = {"preview": preview, "import": import_and_rules(args.connections),
                  "minutes": round((time.monotonic() - started) / 60, 1)}
    print(json.dumps(report, indent=2))
    print(f"preview of {preview['connections']} connections: {preview['checked_s']:.2f} s checked / "
          f"{preview['unchecked_s']:.2f} s unchecked = {preview['ratio']:.3f} (CPU of every process: "
          f"{preview['checked_cpu_s']:.2f} / {preview['unchecked_cpu_s']:.2f} s = {preview['cpu_ratio']:.3f}; of the "
          f"program: {preview['program_cpu_s']['checked']:.3f} / {preview['program_cpu_s']['unchecked']:.3f} s = "
          f"{preview['program_cpu_ratio']:.3f}); "
          "rules: import "
          f"{report['import']['rules_import_ms']} ms once (the package itself {report['import']['package_import_ms']} "
          f"ms), {report['import']['rules_ms_per_connection']} ms per connection")
    return 0


if __name__ == "__main__":
    sys.exit(main())
