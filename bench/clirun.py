"""Run the real Pulumi CLI on a `StackProject` while sampling the processes it starts."""

from __future__ import annotations

import resource
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bench.procwatch import ProcessWatch
from tests.support.pulumi_cli import PulumiResult
from tests.support.stack import StackProject

MIB = 2**20


@dataclass
class Run:
    result: PulumiResult
    watch: ProcessWatch
    api_requests: int
    # (seconds since the command started, request) for each API request, when the log was polled
    timeline: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    # CPU seconds of the whole process tree of the command (every process the CLI started and waited for)
    cpu_total_s: float = 0.0

    @property
    def seconds(self) -> float:
        return self.result.duration_s

    def processes(self, kind: str) -> dict[str, Any]:
        found = self.watch.of_kind(kind)
        return {
            "count": len(found),
            "peak_rss_mib": round(max((p.peak_rss_bytes for p in found), default=0) / MIB, 1),
            "cpu_s": round(sum(p.cpu_s for p in found), 3),
        }


class LogPoller:
    """Polls the emulator's request log to timestamp each request (to within `interval_s`)."""

    def __init__(self, emulator: Any, started: float, skip: int, interval_s: float = 0.05) -> None:
        self.emulator, self.started, self.seen, self.interval_s = emulator, started, skip, interval_s
        self.timeline: list[tuple[float, dict[str, Any]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        items = self.emulator.requests()
        now = time.monotonic() - self.started
        self.timeline += [(now, item) for item in items[self.seen:]]
        self.seen = max(self.seen, len(items))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._poll()

    def stop(self) -> list[tuple[float, dict[str, Any]]]:
        self._stop.set()
        self._thread.join()
        self._poll()
        return self.timeline


def run_watched(project: StackProject, *args: str, timeout: float = 600.0, timeline: bool = False) -> Run:
    """`pulumi ARGS --stack S` in the project; wall time, API requests (emulator log delta), process samples,
    and with `timeline` the time each API request was seen."""
    cli = project.cli
    command = [str(cli.pulumi), "--non-interactive", *args, "--stack", project.stack]
    logged_before = len(project.emulator.requests())
    cpu_before = _children_cpu_s()
    started = time.monotonic()
    poller = LogPoller(project.emulator, started, logged_before) if timeline else None
    process = subprocess.Popen(command, cwd=cli.project_dir, env=cli.env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    watch = ProcessWatch(process.pid)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    duration = time.monotonic() - started
    cpu_total = _children_cpu_s() - cpu_before
    watch.stop()
    seen = poller.stop() if poller else []
    result = PulumiResult(tuple(args), process.returncode, stdout, stderr, duration)
    return Run(result, watch, len(project.emulator.requests()) - logged_before, seen, round(cpu_total, 3))


def _children_cpu_s() -> float:
    """User + system CPU of this process's terminated, waited-for descendants (getrusage RUSAGE_CHILDREN)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
