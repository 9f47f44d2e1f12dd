"""Sample the processes a Pulumi CLI run starts: peak resident memory and CPU time of each.

Peak memory is the kernel's high-water mark (`VmHWM` in /proc/PID/status), so a sample taken any time
after the peak sees it; CPU time is the last sample before the process exited (sampled every `interval_s`,
so up to that much CPU at the very end can be missed).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import psutil


def classify(cmdline: list[str]) -> str:
    text = " ".join(cmdline)
    if "pulumi.dynamic" in text:
        return "provider"  # python -u -m pulumi.dynamic: the dynamic provider's process
    if "pulumi-language-python-exec" in text:
        return "program"  # python running __main__.py
    return Path(cmdline[0]).name if cmdline else "?"


def _peak_rss_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


@dataclass
class Sample:
    pid: int
    kind: str
    peak_rss_bytes: int = 0
    cpu_s: float = 0.0


@dataclass
class ProcessWatch:
    """Watch the descendants of `root_pid` until `stop()`."""

    root_pid: int
    interval_s: float = 0.1
    processes: dict[int, Sample] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        try:
            root = psutil.Process(self.root_pid)
        except psutil.Error:
            return
        while True:
            self._sample(root)
            if self._stop.wait(self.interval_s):
                return

    def _sample(self, root: psutil.Process) -> None:
        try:
            children = root.children(recursive=True)
        except psutil.Error:
            return
        for child in children:
            try:
                sample = self.processes.get(child.pid)
                if sample is None:
                    sample = self.processes[child.pid] = Sample(child.pid, classify(child.cmdline()))
                times = child.cpu_times()
                sample.cpu_s = max(sample.cpu_s, times.user + times.system)
                peak = _peak_rss_bytes(child.pid)
                if peak:
                    sample.peak_rss_bytes = max(sample.peak_rss_bytes, peak)
            except psutil.Error:
                continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def of_kind(self, kind: str) -> list[Sample]:
        return [s for s in self.processes.values() if s.kind == kind]
