"""Family 2 (preview and no-op up through the real CLI) and family 4 (provider memory).

One stack per size (10, 100, 300 connections), each in its own destination group of one emulator; the
creates are setup (throttle off) and not part of the figures, except that the provider's memory is sampled
during them too. Then rounds of `pulumi preview` and no-change `pulumi up --yes`, interleaved across the
sizes so that a busy moment of the machine hits every size alike: each timed, with the emulator's request
log read before and after (API requests, goal zero) and the CLI's child processes sampled (peak resident
memory and CPU time of the `python -m pulumi.dynamic` provider process). The 300-connection stack takes
part in fewer rounds (`repeats`) than the small ones; each figure is the median of its rounds.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.clirun import Run, run_watched
from tests.support.emulator import Emulator
from tests.support.stack import StackProject, connection


def declared(i: int, group_id: str = "warehouse_main") -> dict[str, Any]:
    """Connection number i of the benchmark stacks: three shapes, as in the dev stack."""
    name = f"conn-{i:03d}"
    shape = i % 3
    if shape == 0:
        return connection(name, group_id=group_id, sync_frequency=360, config={"account_region": "US"})
    if shape == 1:
        return connection(name, group_id=group_id, sync_frequency=60, config={
            "account_region": "US", "sync_mode": "SelectedEvents", "events": ["emailSend", "emailOpen"],
            "custom_event_sync_mode": "NoEvents"})
    return connection(name, group_id=group_id, paused=True, sync_frequency=1440, daily_sync_time="03:00",
                      config={"account_region": "EU"})


def api_key(name: str) -> str:
    return f"itbl-bench-{name}"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ok(run: Run, what: str) -> Run:
    run.result.check()
    return run


def _unchanged(run: Run, connections: int) -> None:
    """The run changed nothing: the summary lists only `N unchanged` (the connections and the stack itself)."""
    text = run.result.stdout
    tail = text[text.rfind("Resources:"):]
    counts = re.findall(r"^\s+(?:[+~-]\s*)?(\d+) (.+)$", tail.split("Duration:")[0], flags=re.M)
    if counts != [(str(connections + 1), "unchanged")]:
        raise AssertionError(f"{run.result.describe()} was not a no-op:\n{tail}")


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares line through (n, seconds): (intercept_s, slope_s_per_connection)."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


def growth(points: list[tuple[int, float]]) -> dict[str, Any]:
    (n0, t0), (n1, t1) = points[0], points[-1]
    intercept, slope = _fit(points)
    return {
        "seconds_by_size": {str(n): round(t, 3) for n, t in points},
        "fit_intercept_s": round(intercept, 3),
        "fit_slope_s_per_100": round(slope * 100, 3),
        "marginal_ms_per_connection": round((t1 - t0) / (n1 - n0) * 1000, 2),
        "marginal_ms_per_connection_by_step": {
            f"{a}-{b}": round((tb - ta) / (b - a) * 1000, 2)
            for (a, ta), (b, tb) in zip(points, points[1:], strict=False)},
        f"ratio_{n1}_to_{n0}": round(t1 / t0, 2),
    }


# The project refreshes before every preview and up (Pulumi.yaml); this section measures the engine's path
# alone, so it turns that off (the refresh's cost is measured against its floor in bench/floor.py).
NO_REFRESH = "--refresh=false"


def measure(tmp: Path, emulator: Emulator, sizes: tuple[int, ...] = (10, 100, 300),
            repeats: dict[int, int] | None = None) -> tuple[dict[str, Any], StackProject, list[dict[str, Any]]]:
    """Returns the figures, and the largest stack with its declared connections (for `checkdiff`)."""
    repeats = repeats or {10: 3, 100: 3, 300: 2}
    stacks: dict[int, tuple[StackProject, list[dict[str, Any]]]] = {}
    setups: dict[int, Run] = {}
    for n in sizes:
        group = f"bench_{n}"
        emulator.add_group(group, f"Benchmark {n}")
        project = StackProject.create(tmp / str(n), emulator, create_limit="0")
        connections = [declared(i, group) for i in range(n)]
        project.declare_many(connections, {c["name"]: api_key(c["name"]) for c in connections})
        setups[n] = _ok(run_watched(project, "up", "--yes"), "setup up")
        stacks[n] = (project, connections)
        log(f"  setup: up creating {n} connections took {setups[n].seconds:.1f} s")
    for n in sizes:  # the first runs after a cold start pay for caches: not measured
        _ok(run_watched(stacks[n][0], "preview", NO_REFRESH), "warm-up")
    previews: dict[int, list[Run]] = {n: [] for n in sizes}
    ups: dict[int, list[Run]] = {n: [] for n in sizes}
    for round_ in range(max(repeats.get(n, 1) for n in sizes)):
        started = time.monotonic()
        for n in sizes:
            if round_ < repeats.get(n, 1):
                preview = _ok(run_watched(stacks[n][0], "preview", NO_REFRESH), "preview")
                _unchanged(preview, n)
                previews[n].append(preview)
        for n in sizes:
            if round_ < repeats.get(n, 1):
                up = _ok(run_watched(stacks[n][0], "up", "--yes", NO_REFRESH), "no-op up")
                _unchanged(up, n)
                ups[n].append(up)
        log(f"  round {round_ + 1}: " + ", ".join(
            f"{n}: preview {previews[n][-1].seconds:.1f} s, no-op up {ups[n][-1].seconds:.1f} s"
            for n in sizes if round_ < repeats.get(n, 1)) + f" ({time.monotonic() - started:.0f} s)")
    by_size: dict[str, Any] = {}
    for n in sizes:
        by_size[str(n)] = {
            "connections": n,
            "preview_s": _times(previews[n]),
            "noop_up_s": _times(ups[n]),
            "api_requests": {"preview": max(r.api_requests for r in previews[n]),
                             "noop_up": max(r.api_requests for r in ups[n]),
                             "setup_up_creating": setups[n].api_requests},
            "provider_process": {"preview": _median_process(previews[n], "provider"),
                                 "noop_up": _median_process(ups[n], "provider"),
                                 "setup_up_creating": setups[n].processes("provider")},
            "program_process": {"preview": _median_process(previews[n], "program"),
                                "noop_up": _median_process(ups[n], "program")},
            "cpu_all_processes_s": {"preview": round(statistics.median(r.cpu_total_s for r in previews[n]), 3),
                                    "noop_up": round(statistics.median(r.cpu_total_s for r in ups[n]), 3)},
            "setup_up_s": round(setups[n].seconds, 2),
        }
    preview_points = [(int(k), v["preview_s"]["median"]) for k, v in by_size.items()]
    up_points = [(int(k), v["noop_up_s"]["median"]) for k, v in by_size.items()]
    def cpu_points(phase: str, kind: str) -> list[tuple[int, float]]:
        return [(int(k), v["cpu_all_processes_s"][phase] if kind == "all" else v[f"{kind}_process"][phase]["cpu_s"])
                for k, v in by_size.items()]

    figures = {
        "rounds": {str(n): repeats.get(n, 1) for n in sizes},
        "by_size": by_size,
        "growth": {"preview": growth(preview_points), "noop_up": growth(up_points)},
        # CPU per added connection, smallest to largest stack: every process of the run, the provider, the program
        "cpu_marginal_ms_per_connection": {
            phase: {kind: _marginal_ms(cpu_points(phase, kind)) for kind in ("all", "provider", "program")}
            for phase in ("preview", "noop_up")
        },
    }
    largest = max(sizes)
    return figures, stacks[largest][0], stacks[largest][1]


def _marginal_ms(points: list[tuple[int, float]]) -> float:
    (n0, y0), (n1, y1) = points[0], points[-1]
    return round((y1 - y0) / (n1 - n0) * 1000, 3)


def _median_process(runs: list[Run], kind: str) -> dict[str, Any]:
    """Per run: provider processes, peak RSS (max over the runs), CPU seconds (median over the runs)."""
    samples = [r.processes(kind) for r in runs]
    return {"count": max(s["count"] for s in samples),
            "peak_rss_mib": max(s["peak_rss_mib"] for s in samples),
            "cpu_s": round(statistics.median(s["cpu_s"] for s in samples), 3)}


def _times(runs: list[Run]) -> dict[str, Any]:
    values = [r.seconds for r in runs]
    return {"median": round(statistics.median(values), 3), "runs": [round(v, 3) for v in values]}
