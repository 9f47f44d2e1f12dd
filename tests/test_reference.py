"""docs/reference.md is what tools/reference.py writes from the package's typed classes: every input, output, type,
enum, setting and error, each with the docstring beside it in the code. Change a field or its docstring, and this
fails until the reference is written again (`venv/bin/python tools/reference.py`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from types import ModuleType

import pytest
from pulumi_fivetran_iterable import args, enums, model, provider

from tests.support.emulator import REPO_ROOT
from tests.support.modules import module_at


def generator() -> ModuleType:
    return module_at("tools/reference.py")


def test_the_reference_is_what_the_code_says() -> None:
    written = (REPO_ROOT / "docs" / "reference.md").read_text()
    assert written == generator().render(), "docs/reference.md is not current: run venv/bin/python tools/reference.py"


def test_it_names_every_input_output_and_enum_value() -> None:
    reference = generator().render()
    for cls in (args.IterableConnectionArgs, args.IterableConfigArgs, args.ScheduleArgs, args.SchemaConfigArgs,
                args.TableConfigArgs, args.ColumnConfigArgs, args.ResyncArgs, args.ConnectCardConfigArgs,
                args.ExternalSecretsKeysConfigArgs, args.DestinationConfigurationArgs):
        for item in fields(cls):
            assert f"- **`{item.name}`**" in reference, f"{cls.__name__}.{item.name}"
    for name in provider.COMPUTED_OUTPUTS:
        assert f"- **`{name}`**" in reference, name
    for enum in (enums.AccountRegion, enums.WeekDay, enums.SchemaChangeHandling):
        for member in enum:
            assert f'`{member.name}` = `"{member.value}"`' in reference
    anchors = set(re.findall(r"\]\(#([a-z0-9-]+)\)", reference))
    headings = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", reference,
                                                                                              re.M)}
    assert anchors <= headings, anchors - headings


@dataclass(kw_only=True)
class _HalfDocumented:
    enabled: bool | None = None
    """Documented."""
    hashed: bool | None = None


def test_a_field_without_a_docstring_is_refused() -> None:
    module = generator()
    with pytest.raises(module.Undocumented, match="_HalfDocumented.hashed has no docstring"):
        list(module.properties(_HalfDocumented, model.ColumnConfig))
