"""Starting and stopping the emulator process: the URL line, speed, flags, signals."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

from tests.support.emulator import REPO_ROOT, Emulator, start_emulator


def test_first_stdout_line_is_the_base_url_and_the_port_is_free(launch: Callable[..., Emulator]) -> None:
    emulator = launch()
    assert emulator.base_url.startswith("http://127.0.0.1:")
    assert emulator.base_url.endswith("/v1")
    port = int(emulator.base_url.removesuffix("/v1").rsplit(":", 1)[1])
    assert port > 0
    response = requests.get(emulator.base_url + "/groups", auth=("dev-key", "dev-secret"), timeout=5)
    assert response.status_code == 200


def test_starts_in_well_under_a_second() -> None:
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        with start_emulator() as emulator:
            timings.append(time.perf_counter() - started)
            assert requests.get(emulator.base_url + "/groups", auth=("dev-key", "dev-secret"), timeout=5).ok
    assert min(timings) < 1.0, timings
    assert max(timings) < 1.5, timings


def test_sigterm_and_sigint_stop_it_cleanly() -> None:
    for stop in (signal.SIGTERM, signal.SIGINT):
        emulator = start_emulator()
        try:
            emulator.process.send_signal(stop)
            assert emulator.process.wait(timeout=5) == 0
        finally:
            emulator.stop()


def test_only_the_configured_key_and_secret_are_accepted(launch: Callable[..., Emulator]) -> None:
    emulator = launch("--api-key", "ops-key", "--api-secret", "ops-secret")
    url = emulator.base_url + "/groups"
    assert requests.get(url, auth=("ops-key", "ops-secret"), timeout=5).status_code == 200
    assert requests.get(url, auth=("dev-key", "dev-secret"), timeout=5).status_code == 401
    assert emulator.api("GET", "/groups")[0] == 200  # the harness follows the flags


def test_group_flags_seed_groups_with_optional_names(launch: Callable[..., Emulator]) -> None:
    emulator = launch("--group", "alpha:Alpha warehouse", "--group", "beta")
    status, body = emulator.api("GET", "/groups")
    assert status == 200
    assert [(g["id"], g["name"]) for g in body["data"]["items"]] == [("alpha", "Alpha warehouse"), ("beta", "beta")]
    assert body["data"]["items"][0]["created_at"].endswith("Z")


def test_bad_flags_exit_with_a_usage_message() -> None:
    for args in (["--create-limit", "fast"], ["--create-limit", "0/60"], ["--group", ":name"]):
        result = subprocess.run(
            [sys.executable, "-m", "fivetran_emulator", *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert result.returncode == 2, args
        assert "usage" in result.stderr.lower()
        assert result.stdout == ""


def test_info_names_the_process_and_its_data_file(launch: Callable[..., Emulator], tmp_path: Path) -> None:
    """What lets the quick start's scripts tell their own emulator from another one answering on the same port."""
    on_disk = launch("--db", str(tmp_path / "data.db"))
    assert on_disk.control("GET", "/__emulator/info") == {"pid": on_disk.process.pid, "db": str(tmp_path / "data.db")}
    assert launch().control("GET", "/__emulator/info")["db"] is None
