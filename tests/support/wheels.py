"""The two packages as a user gets them: wheels built from `provider/` and `fivetran_emulator/`, installed into a
venv of their own (no file of this repository in it), once per test session.

    wheels = install_wheels(tmp_dir)
    wheels.python            # the venv's Python, with pulumi-fivetran-iterable and fivetran-emulator installed
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.committed import committed_text
from tests.support.emulator import REPO_ROOT


@dataclass(frozen=True)
class InstalledWheels:
    venv: Path
    wheels: tuple[Path, ...]

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def pinned_dependencies() -> str:
    """The repository's pins as pip constraints: the new venv gets the versions the suite tests (from pip's
    cache), while the wheels still declare their own ranges."""
    lines = committed_text("requirements.txt").splitlines()
    return "\n".join(line for line in lines if "==" in line and not line.startswith("#")) + "\n"


def install_wheels(tmp: Path, venv: Path | None = None) -> InstalledWheels:
    """Build both wheels from the packages' sources and install them into a new venv (`tmp/venv` by default)."""
    dist = tmp / "dist"
    # Built from copies: a build leaves build/ and *.egg-info next to the sources it builds.
    sources = [shutil.copytree(REPO_ROOT / name, tmp / "src" / name, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__")) for name in ("provider", "fivetran_emulator")]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist),
                    *map(str, sources)], check=True, capture_output=True, timeout=600)
    wheels = tuple(sorted(dist.glob("*.whl")))
    assert [w.name.split("-")[0] for w in wheels] == ["fivetran_emulator", "pulumi_fivetran_iterable"], wheels

    venv = venv or tmp / "venv"
    (tmp / "constraints.txt").write_text(pinned_dependencies())
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    installed = InstalledWheels(venv, wheels)
    subprocess.run([str(installed.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-c", str(tmp / "constraints.txt"), *map(str, wheels)],
                   check=True, capture_output=True, timeout=900)
    return installed
