"""Import a Python file of the repository that is not in a package (scripts/lib/*.py, tools/*.py) by its path."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.support.emulator import REPO_ROOT


def module_at(relative_path: str) -> ModuleType:
    """The module in `REPO_ROOT / relative_path`, freshly loaded."""
    path = REPO_ROOT / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
