"""Facts about the machine and toolchain a benchmark run came from."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def pulumi_version(pulumi: Path) -> str:
    try:
        return subprocess.run([str(pulumi), "version"], capture_output=True, text=True, timeout=30,
                              env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        return f"unknown ({error})"


def facts(pulumi: Path) -> dict[str, Any]:
    import pulumi as sdk
    import requests

    return {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "pulumi_cli": pulumi_version(pulumi),
        "pulumi_sdk": getattr(sdk, "__version__", None) or _dist_version("pulumi"),
        "requests": requests.__version__,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def slug(machine: dict[str, Any]) -> str:
    """A short file-name tag for the machine, e.g. `2cpu-amd-epyc-7b13`."""
    model = re.sub(r"\((r|tm)\)|cpu|processor|@.*$|\d+-core", "", machine["cpu_model"], flags=re.I)
    words = [w for w in re.split(r"[^a-z0-9]+", model.lower()) if w][:4]
    return f"{machine['logical_cpus']}cpu-" + "-".join(words)
