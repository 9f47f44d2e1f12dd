"""Reading a Terraform or OpenTofu state: the Iterable connections that Fivetran's provider manages in it.

Takes a state file (`terraform.tfstate`, format version 4) or the output of `terraform show -json` /
`tofu show -json`, with the provider at either registry address, and gathers what each connection's
resources say (`fivetran_connector` or `fivetran_connection` with `fivetran_connection_config`, its
`fivetran_connector_schedule`, its `fivetran_connector_schema_config`) into the inputs of one
`IterableConnection`. What `IterableConnection` cannot take is kept as a note with its reason, never
dropped in silence. Pure: no HTTP, no Pulumi; the Iterable keys stay in memory (`CarriedConnection.api_key`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The provider, at either registry (or a mirror of one): `<host>/fivetran/fivetran`.
PROVIDER = re.compile(r'(?:^|\[")(?P<address>[^"\[\]]+/fivetran/fivetran)(?:"\]|$)')
CONNECTIONS = ("fivetran_connector", "fivetran_connection")
COMPANIONS = ("fivetran_connection_config", "fivetran_connector_schedule", "fivetran_connector_schema_config")
# The Iterable config fields `IterableConnection` takes (besides `schema` and `api_key`).
CONFIG_FIELDS = ("account_region", "sync_mode", "events", "custom_event_sync_mode", "custom_events",
                 "historical_sync_limit", "historical_sync_limit_date", "historic_sync_time_frame",
                 "webhook_auth_type")
# Config fields Fivetran computes for Iterable: read-only, nothing to carry over.
COMPUTED_CONFIG = ("endpoint", "project_type", "webhook_secret")
# Connection-level settings of both connection resources, with this provider's defaults (left out when equal).
SETTINGS = {"networking_method": "Directly", "proxy_agent_id": None, "private_link_id": None,
            "hybrid_deployment_agent_id": None, "data_delay_sensitivity": "NORMAL", "data_delay_threshold": None,
            "run_setup_tests": True, "trust_certificates": False, "trust_fingerprints": False}
SOURCE_SCHEMA = "iterable"  # as `catalog.SOURCE_SCHEMA`, which would import the rules


class StateError(Exception):
    """The state cannot be read, or holds no Iterable connection; the message says why and what to do."""


@dataclass(frozen=True)
class Resource:
    """One resource instance of the state: its address (`fivetran_connector.marketing["us"]`) and values."""

    address: str
    type: str
    name: str
    values: Mapping[str, Any]


@dataclass
class CarriedConnection:
    """One connection as `IterableConnection` inputs, the state's addresses it came from, and notes."""

    name: str
    addresses: list[str]
    group_id: str
    schema: str
    api_key: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    schema_config: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    scheduled: bool = False  # a fivetran_connector_schedule says how it syncs


@dataclass
class Reading:
    """What a state holds: the connections to carry over, and what stays behind (with the reason)."""

    connections: list[CarriedConnection]
    left_behind: list[str]


def read_state(path: Path) -> Reading:
    """The Iterable connections of the state at `path`; `StateError` when there are none."""
    try:
        document = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StateError(f"{path}: cannot read it as a Terraform state ({error}); pass terraform.tfstate, or "
                         "the output of `terraform show -json` (or `tofu show -json`)") from None
    resources = list(fivetran_resources(document, path))
    reading = gather(resources)
    if not reading.connections:
        found = ", ".join(reading.left_behind) or "no resource of Fivetran's provider"
        raise StateError(f"{path}: no Fivetran connection of service 'iterable' in this state ({found}); "
                         "pass the state of the configuration that declares them")
    return reading


def fivetran_resources(document: Any, path: Path) -> Iterator[Resource]:
    """The managed resources of Fivetran's provider in either state format."""
    if isinstance(document, Mapping) and document.get("version") == 4 and "resources" in document:
        for item in document["resources"]:
            if item.get("mode") == "managed" and PROVIDER.search(item.get("provider", "")):
                module = f"{item['module']}." if item.get("module") else ""
                for instance in item.get("instances") or []:
                    key = instance.get("index_key")
                    address = f"{module}{item['type']}.{item['name']}{_index(key)}"
                    yield Resource(address, item["type"], _instance_name(item["name"], key),
                                   instance.get("attributes") or {})
    elif isinstance(document, Mapping) and "format_version" in document:
        for item in _modules((document.get("values") or {}).get("root_module") or {}):
            if item.get("mode") == "managed" and PROVIDER.search(item.get("provider_name", "")):
                yield Resource(item["address"], item["type"], _instance_name(item["name"], item.get("index")),
                               item.get("values") or {})
    else:
        version = document.get("version") if isinstance(document, Mapping) else None
        raise StateError(f"{path}: not a state this tool reads (state format version {version}); pass a state of "
                         "format version 4 (Terraform 0.12 and later, OpenTofu), or `terraform show -json` output")


def _modules(module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from module.get("resources") or []
    for child in module.get("child_modules") or []:
        yield from _modules(child)


def _index(key: Any) -> str:
    if key is None:
        return ""
    return f"[{key}]" if isinstance(key, int) else f'["{key}"]'


def _instance_name(name: str, key: Any) -> str:
    return name if key is None else f"{name}-{key}"


# ---------------------------------------------------------------------------------------------------------
# Gathering each connection's resources.


def gather(resources: list[Resource]) -> Reading:
    """Each connection with its companions; every other Fivetran resource is left behind, named."""
    left_behind: list[str] = []
    carried: dict[str, CarriedConnection] = {}
    by_schema: dict[tuple[str, str], str] = {}
    for resource in resources:
        if resource.type not in CONNECTIONS:
            continue
        service = resource.values.get("service")
        if service != "iterable":
            left_behind.append(f"{resource.address} (service '{service}': this tool carries over 'iterable' only)")
            continue
        connection = _connection(resource)
        carried[str(resource.values.get("id"))] = connection
        by_schema[(connection.group_id, connection.schema)] = str(resource.values.get("id"))
    companions = [r for r in resources if r.type in COMPANIONS]
    for resource in companions:
        values = resource.values
        target = values.get("connection_id") or values.get("connector_id") or by_schema.get(
            (values.get("group_id"), values.get("connector_name")))
        connection = carried.get(str(target))
        if connection is None:
            left_behind.append(f"{resource.address} (belongs to no Iterable connection of this state)")
            continue
        connection.addresses.append(resource.address)
        {"fivetran_connection_config": _connection_config, "fivetran_connector_schedule": _schedule,
         "fivetran_connector_schema_config": _schema_config}[resource.type](connection, resource)
    for resource in resources:
        if resource.type not in CONNECTIONS and resource.type not in COMPANIONS:
            left_behind.append(f"{resource.address} (not a connection: it stays with Terraform)")
    for connection in carried.values():
        _finish(connection)
    return Reading(_unique_names(list(carried.values())), left_behind)


def _connection(resource: Resource) -> CarriedConnection:
    values = resource.values
    destination = values.get("destination_schema") or {}
    schema = destination.get("name") or values.get("name") or ""
    connection = CarriedConnection(name=resource.name, addresses=[resource.address], group_id=values["group_id"],
                                   schema=schema, api_key=None)
    for other in ("prefix", "table", "table_group_name"):
        if destination.get(other):
            connection.notes.append(f"destination_schema.{other} '{destination[other]}': Iterable writes one "
                                    "schema, named by destination_schema.name; not carried over")
    for name, default in SETTINGS.items():
        value = values.get(name)
        if value is not None and value != default:
            connection.settings[name] = value
    if resource.type == "fivetran_connector":
        _config(connection, resource.address, values.get("config") or {})
        _auth(connection, resource.address, values.get("auth"))
    else:
        _config(connection, resource.address, _json(values.get("config")))
    return connection


def _connection_config(connection: CarriedConnection, resource: Resource) -> None:
    """`fivetran_connection_config`: its config is merged over the connection's create config, as Fivetran does."""
    _config(connection, resource.address, _json(resource.values.get("config")))
    _auth(connection, resource.address, _json(resource.values.get("auth")))
    for name in ("run_setup_tests", "trust_certificates", "trust_fingerprints"):
        value = resource.values.get(name)
        if value is not None:
            connection.settings.pop(name, None)
            if value != SETTINGS[name]:
                connection.settings[name] = value


def _config(connection: CarriedConnection, address: str, config: Mapping[str, Any]) -> None:
    for name, value in config.items():
        if value is None or value == [] or name in COMPUTED_CONFIG:
            continue
        if name == "api_key":
            connection.api_key = str(value)
        elif name == "schema":
            connection.schema = connection.schema or str(value)
        elif name in CONFIG_FIELDS:
            connection.config[name] = sorted(value) if isinstance(value, list) else value
        else:
            connection.notes.append(f"{address}: config.{name} is not an Iterable setting IterableConnection "
                                    "takes; not carried over")


def _auth(connection: CarriedConnection, address: str, auth: Any) -> None:
    if isinstance(auth, Mapping) and any(value not in (None, [], {}) for value in auth.values()):
        names = ", ".join(sorted(name for name, value in auth.items() if value not in (None, [], {})))
        connection.notes.append(f"{address}: auth ({names}) is not carried over: an Iterable connection is "
                                "authorized by config.api_key alone")


def _schedule(connection: CarriedConnection, resource: Resource) -> None:
    values = resource.values
    schedule = {key: value for key, value in (values.get("schedule") or {}).items() if value not in (None, [])}
    settings = connection.settings
    connection.scheduled = True
    for name in ("paused", "pause_after_trial"):
        if values.get(name) is not None:
            settings[name] = str(values[name]).lower() == "true"
    if schedule:
        if "days_of_week" in schedule:
            schedule["days_of_week"] = list(schedule["days_of_week"])
        settings["schedule"] = schedule
        return
    if values.get("sync_frequency") is not None:
        settings["sync_frequency"] = int(values["sync_frequency"])
    if values.get("schedule_type"):
        settings["schedule_type"] = values["schedule_type"]
    if values.get("daily_sync_time") and settings.get("sync_frequency") == 1440:
        settings["daily_sync_time"] = values["daily_sync_time"]


def _schema_config(connection: CarriedConnection, resource: Resource) -> None:
    values = resource.values
    address = resource.address
    if values.get("schemas_json"):
        schemas = _json(values["schemas_json"])
    elif values.get("schemas"):
        schemas = dict(values["schemas"])
    else:
        schemas = {block["name"]: {"enabled": block.get("enabled"),
                                   "tables": {table["name"]: {**table, "columns": {c["name"]: c for c in
                                                                                   table.get("column") or []}}
                                              for table in block.get("table") or []}}
                   for block in values.get("schema") or []}
    config: dict[str, Any] = {}
    handling = values.get("schema_change_handling")
    if handling:
        config["schema_change_handling"] = handling
    for name, schema in schemas.items():
        if name != SOURCE_SCHEMA:
            connection.notes.append(f"{address}: schema '{name}' is not Iterable's source schema "
                                    f"('{SOURCE_SCHEMA}'); not carried over")
            continue
        if _flag(schema.get("enabled")) is False:
            connection.notes.append(f"{address}: the schema '{name}' is disabled; Iterable's only schema cannot be, "
                                    "so this is not carried over")
        tables = {table: settings for table, body in (schema.get("tables") or {}).items()
                  if (settings := _table(connection, address, table, body or {})) is not None}
        if tables:
            config["tables"] = tables
    if handling != "ALLOW_ALL":
        what = "every table" if handling != "BLOCK_ALL" else "every table and column"
        connection.notes.append(
            f"{address}: Terraform also disables {what} its configuration does not name "
            f"(schema_change_handling {handling or 'unset'}); they stay as Fivetran holds them, but "
            "IterableConnection manages only the tables it declares: declare others with enabled: False to keep "
            "them managed")
    connection.schema_config = config or None


def _table(connection: CarriedConnection, address: str, name: str, body: Mapping[str, Any]
           ) -> dict[str, Any] | None:
    """A table's settings as `IterableConnection` declares them (defaults left out); None when it has none."""
    if body.get("sync_mode"):
        connection.notes.append(f"{address}: tables.{name}.sync_mode {body['sync_mode']} is not modelled by "
                                "IterableConnection; Fivetran keeps it, unmanaged")
    out: dict[str, Any] = {}
    if _flag(body.get("enabled")) is False:
        out["enabled"] = False
    columns = {}
    for column, settings in (body.get("columns") or {}).items():
        declared = {key: value for key in ("enabled", "hashed")
                    if (value := _flag((settings or {}).get(key))) is not None and value != (key == "enabled")}
        if declared:
            columns[column] = declared
    if columns:
        out["columns"] = columns
    return out or ({"enabled": True} if body else None)


def _flag(value: Any) -> bool | None:
    """A boolean of the state: `true`, or `"true"` as the provider writes some of them."""
    if isinstance(value, bool) or value is None:
        return value
    return str(value).lower() == "true"


def _finish(connection: CarriedConnection) -> None:
    """What the connection's resources together leave unsaid."""
    settings = connection.settings
    if not connection.scheduled:
        settings.setdefault("paused", True)
        connection.notes.append("no fivetran_connector_schedule: Terraform created it paused and sent no schedule, "
                                "so it is declared paused with Fivetran's default schedule (every 360 minutes); "
                                "check both in the Fivetran dashboard before `pulumi up`, which would apply them")
    if settings.get("data_delay_sensitivity") != "CUSTOM":
        settings.pop("data_delay_threshold", None)  # Fivetran's 0, meaningful only with CUSTOM
    if connection.api_key is None:
        connection.notes.append("no Iterable key in the state (entered in the dashboard or a Connect Card?): set "
                                f"config key '{config_key(connection)}' to it before `pulumi up`, which sends it")


def _json(text: Any) -> dict[str, Any]:
    if not text:
        return {}
    if isinstance(text, Mapping):
        return dict(text)
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _unique_names(connections: list[CarriedConnection]) -> list[CarriedConnection]:
    """Resource names as in Terraform; a name two modules share gets its address's module path in front."""
    counts: dict[str, int] = {}
    for connection in connections:
        counts[connection.name] = counts.get(connection.name, 0) + 1
    for connection in connections:
        if counts[connection.name] > 1:
            modules = [part for part in connection.addresses[0].split(".")[:-2] if part != "module"]
            connection.name = "-".join([*modules, connection.name])
    return sorted(connections, key=lambda c: c.name)


def identifier(connection: CarriedConnection) -> str:
    """The connection's name as a Python identifier (its variable in the program)."""
    name = re.sub(r"\W+", "_", connection.name).strip("_") or "connection"
    return f"connection_{name}" if name[0].isdigit() else name


def config_key(connection: CarriedConnection) -> str:
    """The stack config key that holds the connection's Iterable key."""
    return f"{identifier(connection)}_api_key"
