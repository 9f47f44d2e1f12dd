"""docs/reference.md: every input, output, type, setting and error of the package, in the form of the Pulumi
Registry's API docs, written from the package's own typed classes (run from the repository root):

    venv/bin/python tools/reference.py            rewrite docs/reference.md
    venv/bin/python tools/reference.py --check    exit 1, saying so, when docs/reference.md is not what it writes

Names, types, which inputs are required, secret or replace the connection, defaults, enum values and the order of
everything come from the code (`args.py`, `outputs.py`, `resource.py`, `group.py`, `enums.py`, the model's
defaults, `settings.py`, the error classes); each description is the docstring beside its field, so an editor
shows the same text on hover. `tests/test_reference.py` runs `--check`'s comparison.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from collections.abc import Iterator
from dataclasses import MISSING, fields
from enum import StrEnum
from pathlib import Path
from typing import Any, get_type_hints

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "reference.md"
sys.path.insert(0, str(ROOT / "provider"))

import pulumi_fivetran_iterable as package  # noqa: E402
from pulumi_fivetran_iterable import (  # noqa: E402
    args,
    enums,
    errors,
    group,
    model,
    operations,
    outputs,
    program_check,
    provider,
    resource,
    schema_operations,
    settings,
)

# The argument classes, in the order the reference lists them, with the model class holding their defaults.
SUPPORTING = [
    (args.IterableConfigArgs, model.IterableConfig),
    (args.ConnectCardConfigArgs, model.ConnectCardConfig),
    (args.DestinationConfigurationArgs, model.DestinationConfiguration),
    (args.ExternalSecretsKeysConfigArgs, model.ExternalSecretsKeysConfig),
    (args.ScheduleArgs, model.Schedule),
    (args.SchemaConfigArgs, model.SchemaConfig),
    (args.TableConfigArgs, model.TableConfig),
    (args.ColumnConfigArgs, model.ColumnConfig),
    (args.ResyncArgs, model.Resync),
]
OUTPUT_TYPES = [outputs.ConnectionStatus, outputs.SetupTestResult]
ENUMS = [member for _, member in inspect.getmembers(enums, inspect.isclass)
         if issubclass(member, StrEnum) and member is not StrEnum]
TYPE = f"pulumi-python:{resource.IterableConnection._resource_type_name}"
GROUP_TYPE = f"pulumi-python:{group.DestinationGroup._resource_type_name}"
EXAMPLE = '''\
import pulumi
from pulumi_fivetran_iterable import (
    AccountRegion, ColumnConfigArgs, DestinationGroup, HistoricalSyncLimit, IterableConfigArgs, IterableConnection,
    IterableConnectionArgs, SchemaConfigArgs, SyncMode, TableConfigArgs,
)

warehouse = DestinationGroup("warehouse", name="Main warehouse")
marketing = IterableConnection("marketing", IterableConnectionArgs(
    group_id=warehouse.group_id,
    sync_frequency=60,
    config=IterableConfigArgs(
        schema="iterable_marketing",
        api_key=pulumi.Config().require_secret("iterableApiKey"),
        account_region=AccountRegion.US,
        sync_mode=SyncMode.SELECTED_EVENTS,
        events=["emailSend", "emailOpen", "emailClick"],
        historical_sync_limit=HistoricalSyncLimit.DATE_LIMIT,
        historical_sync_limit_date="2024-01-01",
    ),
    schema_config=SchemaConfigArgs(tables={
        "list_user_history": TableConfigArgs(enabled=False),
        "user_history": TableConfigArgs(columns={"email": ColumnConfigArgs(hashed=True)}),
    }),
))
pulumi.export("webhook", marketing.webhook_endpoint)
'''


class Undocumented(Exception):
    """A field without the docstring the reference needs."""


def field_docs(cls: type) -> dict[str, str]:
    """The docstrings written after each annotated field of a class (also inside its `if TYPE_CHECKING:`)."""
    node = _class_node(cls)
    body: list[ast.stmt] = []
    for stmt in node.body:
        body.extend(stmt.body if isinstance(stmt, ast.If) else [stmt])
    docs: dict[str, str] = {}
    for stmt, after in zip(body, body[1:], strict=False):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and isinstance(after, ast.Expr) \
                and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str):
            docs[stmt.target.id] = " ".join(after.value.value.split())
    return docs


def _class_node(cls: type) -> ast.ClassDef:
    """The class's definition in its module's source: the one with fields, where a class is defined twice (once
    for type checkers, `if TYPE_CHECKING:`, once for run time)."""
    tree = ast.parse(inspect.getsource(inspect.getmodule(cls)))  # type: ignore[arg-type]
    found = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == cls.__name__]
    with_fields = [n for n in found if any(isinstance(stmt, ast.AnnAssign) for stmt in ast.walk(n))]
    return (with_fields or found)[0]


def annotations_of(cls: type) -> dict[str, str]:
    """Each field's annotation as written (the package uses `from __future__ import annotations`)."""
    node = _class_node(cls)
    found: dict[str, str] = {}
    for stmt in ast.walk(node):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            found[stmt.target.id] = ast.unparse(stmt.annotation)
    return found


def _unwrap(text: str, wrapper: str) -> str:
    """`pulumi.Input[X]` -> `X`, everywhere, brackets matched."""
    while (start := text.find(wrapper + "[")) >= 0:
        depth, index = 0, start + len(wrapper)
        for index in range(start + len(wrapper), len(text)):
            depth += {"[": 1, "]": -1}.get(text[index], 0)
            if depth == 0:
                break
        text = text[:start] + text[start + len(wrapper) + 1:index] + text[index + 1:]
    return text


def shown(annotation: str) -> str:
    """The type as the reference shows it: no `Input`, no `None`, no Literal twins or TypedDict forms."""
    text = _unwrap(_unwrap(annotation, "pulumi.Input"), "pulumi.Output")
    text = re.sub(r"\s*\|\s*\w+Literal\b", "", text)
    text = re.sub(r"\s*\|\s*\w+ArgsDict\b", "", text)
    text = re.sub(r"\b(\w+Args)Dict\b", r"\1", text)  # typed as exactly the dict: the class is the same
    text = re.sub(r"\s*\|\s*None\b", "", text)
    return text.replace("Sequence[", "list[").replace("Mapping[", "dict[")


def linked(type_text: str) -> str:
    """The type in code, each of the package's own types in it a link to its section."""
    parts = re.split(r"(\b[A-Z]\w+\b)", type_text)
    rendered = [f"[`{part}`](#{part.lower()})" if part in _SECTIONS else (f"`{part}`" if part else "")
                for part in parts]
    return "".join(rendered)


_SECTIONS = {cls.__name__ for cls, _ in SUPPORTING} | {cls.__name__ for cls in OUTPUT_TYPES} | \
    {cls.__name__ for cls in ENUMS}


def default_of(model_class: type, name: str) -> str | None:
    """The default the provider fills in, as a literal, or None when the input has none of its own."""
    for field_name, info in model_class.model_fields.items():  # type: ignore[attr-defined]
        if (info.alias or field_name) == name:
            value = info.default
            if info.is_required() or value is None:
                return None
            if isinstance(value, StrEnum):
                return f'"{value.value}"'
            if isinstance(value, bool):
                return "True" if value else "False"
            return repr(value)
    raise Undocumented(f"{model_class.__name__} has no field {name!r}")


def properties(cls: type, model_class: type, prefix: str = "") -> Iterator[str]:
    """One entry per field: name, type, flags, description (Registry style)."""
    docs, written = field_docs(cls), annotations_of(cls)
    for item in fields(cls):
        doc = docs.get(item.name)
        if not doc:
            raise Undocumented(f"{cls.__name__}.{item.name} has no docstring")
        path = f"{prefix}{item.name}"
        flags = []
        if item.default is MISSING:
            flags.append("required")
        if path in model.IMMUTABLE_PATHS:
            flags.append("changing it replaces the connection")
        if path == "config.api_key":
            flags.append("secret")
        default = default_of(model_class, item.name)
        if default is not None:
            flags.append(f"default `{default}`")
        flag_text = f" *({'; '.join(flags)})*" if flags else ""
        yield f"- **`{item.name}`** {linked(shown(written[item.name]))}{flag_text}  \n  {doc}"


def typed_dict_entries(cls: type) -> Iterator[str]:
    docs, written = field_docs(cls), annotations_of(cls)
    for name in get_type_hints(cls):
        if not docs.get(name):
            raise Undocumented(f"{cls.__name__}.{name} has no docstring")
        yield f"- **`{name}`** `{shown(written[name])}`  \n  {docs[name]}"


def doc_of(obj: Any) -> str:
    return " ".join((inspect.getdoc(obj) or "").split())


def render() -> str:
    out: list[str] = []
    add = out.append
    connection_args = args.IterableConnectionArgs
    add("# Reference: `IterableConnection`, `DestinationGroup` and their types\n")
    add("<!-- Generated by `venv/bin/python tools/reference.py` from the package's typed classes and their "
        "docstrings; do not edit by hand. tests/test_reference.py fails when this file is not what it writes. -->\n")
    add(f"Package `pulumi-fivetran-iterable` {package.__version__}, import `pulumi_fivetran_iterable`. "
        "The user guide is [guide.md](guide.md); the project's overview, the [README](../README.md).\n")
    add("- [IterableConnection](#iterableconnection): [constructor](#create-an-iterableconnection-resource), "
        "[inputs](#inputs), [outputs](#outputs)")
    add("- [DestinationGroup](#destinationgroup)")
    add("- [Supporting types](#supporting-types), [enums](#enums)")
    add("- [Provider configuration](#provider-configuration)")
    add("- [Errors](#errors)\n")

    add("## IterableConnection\n")
    add(f"{doc_of(resource.IterableConnection)} Type token `{TYPE}`; the provider runs in its own process "
        f"(`{provider.IterableConnectionProvider.__module__}.{provider.IterableConnectionProvider.__name__}`, "
        "referenced by the state, holding nothing).\n")
    add("### Example usage\n")
    add(f"```python\n{EXAMPLE}```\n")
    add("## Create an IterableConnection resource\n")
    add("### Constructor syntax\n")
    add("```python\nIterableConnection(resource_name: str,\n                   args: IterableConnectionArgs,\n"
        "                   opts: Optional[ResourceOptions] = None)\n```\n")
    signature = ",\n".join(
        f"    {item.name}: {shown(annotations_of(connection_args)[item.name])}"
        if item.default is MISSING else
        f"    {item.name}: Optional[{shown(annotations_of(connection_args)[item.name])}] = None"
        for item in fields(connection_args))
    add(f"```python\nIterableConnectionArgs(\n{signature})\n```\n")
    add("Every object input takes its `...Args` class or a dict (its `...ArgsDict` `TypedDict` twin, for type "
        "checkers); every enum input takes the `str` enum or its exact string. Any input may be an Output of "
        "another resource.\n")

    add("## IterableConnection resource properties\n")
    add("### Inputs\n")
    add(f"{doc_of(connection_args)} A value not known yet (an Output of another resource) is checked when it is "
        "known.\n")
    out.extend(properties(connection_args, model.ConnectionSpec))
    add("")
    add("### Outputs\n")
    add("All input properties are implicitly available as output properties, with the provider's defaults filled "
        "in (`config.api_key` stays a secret). Additionally, the IterableConnection resource has these output "
        "properties, computed by Fivetran:\n")
    computed_docs, computed_types = field_docs(resource.IterableConnection), annotations_of(resource.IterableConnection)
    for name in provider.COMPUTED_OUTPUTS:
        if not computed_docs.get(name):
            raise Undocumented(f"IterableConnection.{name} has no docstring")
        secret = " *(secret)*" if name in provider.SECRET_OUTPUTS else ""
        add(f"- **`{name}`** {linked(shown(computed_types[name]))}{secret}  \n  {computed_docs[name]}")
    add("")
    add("A change of `group_id`, `config.schema` or `destination_schema_names` replaces the connection (the new one "
        "is created first, the old one deleted last); every other change is an update in place. "
        "`pulumi import` does not work for Python dynamic resources: declare the connection with "
        "`adopt_existing=True` instead.\n")

    add("## DestinationGroup\n")
    add(f"{doc_of(group)} Type token `{GROUP_TYPE}`.\n")
    add("```python\nDestinationGroup(resource_name: str, name: Input[str], opts: Optional[ResourceOptions] = None)\n"
        "```\n")
    add("### Inputs\n")
    add("- **`name`** `str` *(required; changing it looks the group up again)*  \n  The group's name, exactly as "
        "Fivetran shows it; exactly one group of the account must have it.\n")
    add("### Outputs\n")
    group_docs, group_types = field_docs(group.DestinationGroup), annotations_of(group.DestinationGroup)
    for name, doc in group_docs.items():
        add(f"- **`{name}`** `{shown(group_types[name])}`  \n  {doc}")
    add("")

    add("## Supporting types\n")
    for cls, model_class in SUPPORTING:
        add(f"### {cls.__name__}\n")
        add(f"{doc_of(cls)} As a dict: `{cls.__name__}Dict`.\n")
        prefix = "config." if cls is args.IterableConfigArgs else ""
        out.extend(properties(cls, model_class, prefix))
        add("")
    for cls in OUTPUT_TYPES:
        add(f"### {cls.__name__}\n")
        add(f"{doc_of(cls)} (an output: a plain dict in the program)\n")
        out.extend(typed_dict_entries(cls))
        add("")
    add("The other structured outputs (`config`, `schedule`, `schema_config`, ...) have the shape of their inputs "
        "(`IterableConfigOutputs`, `ScheduleOutputs`, `SchemaConfigOutputs`, ... in `outputs.py`).\n")

    add("## Enums\n")
    add("Each is a `str` enum: the member and its value are interchangeable (`AccountRegion.EU == \"EU\"`).\n")
    for cls in ENUMS:
        members = ", ".join(f"`{member.name}` = `\"{member.value}\"`" for member in cls)
        add(f"### {cls.__name__}\n")
        add(f"{doc_of(cls)}\n")
        add(f"{members}\n")

    add("## Provider configuration\n")
    add("Read in the provider process, from stack config first, then the environment; nothing of it is pickled into "
        "the state. Set `fivetran:apiKey` and `fivetran:apiSecret` with `--secret`.\n")
    add("| stack config | environment | default | meaning |")
    add("| --- | --- | --- | --- |")
    meanings = dict(re.findall(r"- `(fivetran:\w+)` / `\w+`: (.+?)(?=\n- |\n\n)", inspect.getdoc(settings) or "",
                               re.S))
    defaults = {"api_url": settings.DEFAULT_API_URL, "create_limit": settings.DEFAULT_CREATE_LIMIT,
                "request_timeout": settings.DEFAULT_REQUEST_TIMEOUT}
    for name, (config_key, env_key) in settings._SOURCES.items():
        if config_key not in meanings:
            raise Undocumented(f"settings.py's docstring does not describe {config_key}")
        meaning = " ".join(meanings[config_key].split())
        add(f"| `{config_key}` | `{env_key}` | {f'`{defaults[name]}`' if name in defaults else 'none'} | "
            f"{meaning} |")
    add("")

    add("## Errors\n")
    add("### At `pulumi preview` (and `up`): bad input\n")
    add("Each problem is one line on its resource, the property path leading the reason and the fix, for example:\n")
    add(f"```\nerror: {TYPE} resource 'marketing' has a problem: config.account_region: must be one of US, EU "
        "(got 'XX')\n```\n")
    add("Where the program declares its connections, every problem of every one of them is shown, each on its "
        "resource, then one line under the stack; the program ends with exit status 32 (Pulumi's \"the program has "
        "shown its error\") before anything reaches the engine:\n")
    add(f"```\nerror: {program_check._summary(4, 3)}\n```\n")
    add("The rules are those of each input above. A value the program passes as an Output is checked by the "
        "provider when the engine knows it (in `preview` when it is known then, otherwise at `up`), and the engine "
        "stops at the first resource whose check fails, so such problems show one resource per run.\n")
    add("A value unknown in `preview` that turns out invalid stops `up` at that connection: `create: invalid inputs: "
        "<path>: <reason>; ...` (or `update: ...`), before anything is sent for it.\n")
    add("### At `pulumi up`, `refresh` and `destroy`\n")
    add("One line naming the operation and the connection, what Fivetran said, and what to do next; never a Python "
        "traceback, never a secret. By kind:\n")
    kinds: list[type] = [settings.MissingCredentialsError, errors.FivetranError,
                         *sorted(errors.FivetranError.__subclasses__(), key=lambda c: c.__name__),
                         *sorted(operations.IterableConnectionError.__subclasses__(), key=lambda c: c.__name__),
                         schema_operations.ResyncRefusedError]
    for kind in kinds:
        doc = doc_of(kind)
        if not doc:
            raise Undocumented(f"{kind.__module__}.{kind.__name__} has no docstring")
        add(f"- **`{kind.__name__}`** ({kind.__module__.rsplit('.', 1)[-1]}.py): {doc}")
    add("")
    add("An update that fails after part of it was written (`the connection's settings were updated, but then: "
        "...`, or a refused re-sync) leaves the state holding what was written, as Pulumi's native providers do: "
        "the engine marks the resource with the error, and the next `up` sends only what is missing.\n")
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if argv == ["--check"]:
        if not OUTPUT.is_file() or OUTPUT.read_text() != text:
            print(f"{OUTPUT.relative_to(ROOT)} is not current: run venv/bin/python tools/reference.py",
                  file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
