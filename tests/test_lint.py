"""The code stays `ruff` clean (the rules in pyproject.toml): a slip the suite would otherwise let through."""

from __future__ import annotations

import subprocess
import sys

from tests.support.emulator import REPO_ROOT


def test_ruff_finds_nothing() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
