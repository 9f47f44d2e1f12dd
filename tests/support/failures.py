"""Check failures as the provider reports them: resource-level (no `property`), the reason starting with the
property path, `config.events: must list ...`, so the CLI prints the path and the fix and no `{<nil>}` (the
engine looks a failure's property up as a top-level input, which a nested path never is)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def split(failure: Any) -> tuple[str, str]:
    """(property path, reason) of one failure."""
    assert failure.property == "", f"a failure with a property prints as `{{<nil>}}`: {failure.property!r}"
    path, _, reason = failure.reason.partition(": ")
    return path, reason


def by_path(failures: Iterable[Any]) -> dict[str, str]:
    return dict(split(failure) for failure in failures)


def paths(failures: Iterable[Any]) -> list[str]:
    return [split(failure)[0] for failure in failures]
