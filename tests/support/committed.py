"""The repository's files as committed (HEAD), for tests that read or copy what a user's clone holds.

The docs invite edits (a stack file's schedule, a key, the stack program): such an edit in the working tree must
not change what the suite checks, so tests take `stacks/`, `Pulumi.yaml`, `__main__.py`, `requirements.txt`, the
README and `docs/` from HEAD. The packages' code (`provider/`, `fivetran_emulator/`) and the tests themselves are
what is being developed: those come from the working tree (the venv installs the packages in editable mode).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from functools import cache
from pathlib import Path

from tests.support.emulator import REPO_ROOT


def committed_text(path: str) -> str:
    """A tracked file's text as committed (HEAD)."""
    return _show(path).decode()


@cache
def _show(path: str) -> bytes:
    done = subprocess.run(["git", "show", f"HEAD:{path}"], cwd=REPO_ROOT, capture_output=True, timeout=60)
    if done.returncode != 0:
        raise FileNotFoundError(f"{path} is not in the repository's last commit: {done.stderr.decode().strip()}")
    return done.stdout


def committed_paths(folder: str) -> list[str]:
    """The tracked files under a folder, as committed (HEAD)."""
    done = subprocess.run(["git", "ls-tree", "-r", "--name-only", "HEAD", "--", folder], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=True, timeout=60)
    return done.stdout.split()


def copy_committed(path: str, target: Path) -> Path:
    """Write a tracked file's committed content to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(_show(path))
    return target


def export_committed(target: Path) -> None:
    """Every tracked file of the last commit, with its mode, into `target` (as `git clone` would check it out)."""
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             check=True, timeout=120).stdout
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        # The "tar" filter (Python 3.11.4 and later) keeps modes and refuses paths outside the target.
        tar.extractall(target, **({"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}))
