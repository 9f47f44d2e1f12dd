"""Fivetran's public OpenAPI definition, turned into JSON Schema for the fidelity tests.

`open-api-spec.json.gz` (beside this file, see SOURCE.md) is Fivetran's own OpenAPI 3.0 description of its REST
API. This module loads it, applies the few `SPEC_DEFECTS` (each a named, evidenced, minimal patch at an exact
place in the document; a test checks every one is still needed), and converts an operation's response schema
into a JSON Schema (Draft 2020-12) that `jsonschema` checks strictly:

- `$ref` is resolved inline; a recursive reference is an error (none of the schemas used here is recursive);
- `allOf` is merged into one schema (properties merged recursively, `required` united; any other clash is an
  error rather than a silent choice);
- a `discriminator` whose property is fixed by the caller (`{"service": "iterable"}`) is replaced by the schema
  its `mapping` names for that value (for a connection: `iterable_ConnectorResponseV1`, which is
  `ConnectorResponseV1` + `iterable_config_V1` + `iterable_readonly_config_V1`), and the property is pinned to
  that value with `const`; a discriminator without a fixed value leaves its base schema as it is;
- `nullable: true` adds `"null"` to the type (and `None` to an `enum`); without it `null` fails a typed field;
- a schema with `properties` or `required` but no `type` (the spec's response envelopes) gets `type: object`,
  which is what OpenAPI means and what makes `required` bite;
- `format` stays an annotation (no format checker), `example` is dropped.
"""

from __future__ import annotations

import copy
import functools
import gzip
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

SPEC_FILE = Path(__file__).with_name("open-api-spec.json.gz")
SPEC_REPOSITORY = "fivetran/terraform-provider-fivetran"
SPEC_COMMIT = "4a7e50e046a72568dc043c6c4c2eec4f847b466f"
SPEC_SHA256 = "bef98b7c18bd4eac15ea34ae7e9d662e7a8f854774686592bf4f414f8aad3ea6"  # of the uncompressed file
# The last version (2023-06) that declares the legacy source metadata endpoints, which the current one dropped.
LEGACY_SPEC_FILE = Path(__file__).with_name("open-api-spec-2023-06.json.gz")
LEGACY_SPEC_COMMIT = "2adea3bd22b3dce50ae8b239c2eda9f60182a17d"
LEGACY_SPEC_SHA256 = "b74764d41cf4bb3d843e1b1e74b62b18a52fbede4bc3af554d65ad694f228f17"

METHODS = ("get", "post", "put", "patch", "delete")
ITERABLE = {"service": "iterable"}


# -- loading and addressing -------------------------------------------------------------------------------------
@functools.cache
def _raw_bytes(file: Path = SPEC_FILE) -> bytes:
    with gzip.open(file, "rb") as handle:
        return handle.read()


def raw_spec() -> dict[str, Any]:
    """The spec exactly as Fivetran publishes it (a fresh copy: callers may not change the cached one)."""
    return copy.deepcopy(_raw_spec())


@functools.cache
def _raw_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(_raw_bytes())
    return spec


def raw_sha256(file: Path = SPEC_FILE) -> str:
    import hashlib

    return hashlib.sha256(_raw_bytes(file)).hexdigest()


@functools.cache
def legacy_spec() -> dict[str, Any]:
    """The 2023-06 definition, as published (no patches: only its source metadata operations are used)."""
    spec: dict[str, Any] = json.loads(_raw_bytes(LEGACY_SPEC_FILE))
    return spec


def legacy_response_schema(method: str, path: str) -> dict[str, Any]:
    """The JSON Schema of a legacy operation's 200 answer, from the 2023-06 definition."""
    spec = legacy_spec()
    media = at(spec, path_pointer(method, path, "responses", "200", "content", "application~1json"))
    return to_json_schema(media["schema"], spec=spec)


def escape(segment: str) -> str:
    """One JSON-pointer segment (RFC 6901): `~` as `~0`, `/` as `~1`."""
    return segment.replace("~", "~0").replace("/", "~1")


def _segments(pointer: str) -> list[str]:
    if pointer.startswith("#"):
        pointer = pointer[1:]
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [s.replace("~1", "/").replace("~0", "~") for s in pointer[1:].split("/")]


def at(document: Any, pointer: str) -> Any:
    """The node a JSON pointer (`/components/schemas/X` or `#/components/schemas/X`) names; KeyError if none."""
    node = document
    for segment in _segments(pointer):
        if isinstance(node, list):
            node = node[int(segment)]
        elif isinstance(node, dict) and segment in node:
            node = node[segment]
        else:
            raise KeyError(f"{pointer}: no {segment!r}")
    return node


def _replace(document: Any, pointer: str, value: Any) -> None:
    *parents, last = _segments(pointer)
    parent = at(document, "/" + "/".join(escape(s) for s in parents)) if parents else document
    if last not in parent:
        raise KeyError(f"{pointer}: no {last!r}")
    parent[last] = value


def path_pointer(method: str, path: str, *rest: str) -> str:
    """The pointer of an operation (or something under it): `/paths/~1v1~1groups/get/...`."""
    return "/".join(["/paths", escape(path), method.lower(), *rest])


# -- spec defects -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpecDefect:
    """A place where Fivetran's spec contradicts Fivetran's API, and the smallest patch that makes it agree.

    `present(node)` is true while the node at a location still has the defect: a test asserts it for every
    location, so when Fivetran corrects the spec the entry fails and is removed instead of lingering.
    `patch(node)` returns the corrected node (it gets a copy).
    """

    name: str
    wrong: str
    locations: tuple[str, ...]
    evidence: str
    present: Callable[[Any], bool]
    patch: Callable[[Any], Any]


def _with(node: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**node, **changes}


def _enum_of_strings_on_integer(node: Any) -> bool:
    return node.get("type") == "integer" and bool(node.get("enum")) and all(isinstance(v, str) for v in node["enum"])


def _enum_of_strings_typed_object(node: Any) -> bool:
    return node.get("type") == "object" and bool(node.get("enum")) and all(isinstance(v, str) for v in node["enum"])


def _not_nullable(node: Any) -> bool:
    return node.get("type") == "string" and not node.get("nullable", False)


_CONNECTION = "/components/schemas/ConnectorResponseV1/properties/"
_LISTED_CONNECTION = "/components/schemas/ConnectorResponse/properties/"
_ITERABLE_CONFIG = "/components/schemas/iterable_config_V1/properties/config/properties/"
_ITERABLE_READONLY = "/components/schemas/iterable_readonly_config_V1/properties/config/properties/"
_FINGERPRINT = "#/components/schemas/FingerprintDetailsResponse"
_GO_SDK = "github.com/fivetran/go-fivetran v1.3.5 (the SDK Fivetran's Terraform provider pins at the same commit)"
_TF = f"{SPEC_REPOSITORY}@{SPEC_COMMIT[:7]}"

SPEC_DEFECTS: tuple[SpecDefect, ...] = (
    SpecDefect(
        name="sync_frequency_enum_of_strings",
        wrong="`sync_frequency` is `type: integer` but its `enum` lists strings (\"1\", \"5\", ... \"1440\"), so no "
        "value can satisfy both: an integer fails the enum, a string fails the type.",
        locations=(_CONNECTION + "sync_frequency",),
        evidence="The same property's `example` is the integer 1440; the list schema "
        f"`ConnectorResponse.sync_frequency` is a plain integer; {_GO_SDK} decodes it as `SyncFrequency *int` "
        "(connections/common_types.go) and its response fixtures carry `\"sync_frequency\": 1440`; the Terraform "
        f"provider's fixtures ({_TF} fivetran/framework/resources/connector_test.go) carry `\"sync_frequency\": 360`.",
        present=_enum_of_strings_on_integer,
        patch=lambda node: _with(node, enum=[int(v) for v in node["enum"]]),
    ),
    SpecDefect(
        name="config_enums_typed_object",
        wrong="Enumerated config fields are `type: object` with an `enum` of strings: a string value fails the type, "
        "and no object can be in the enum. Systematic in the per-service config schemas (619 such fields in "
        "`*_config_V1`); patched where the emulator's answers go: Iterable's config and the Snowflake "
        "destination's `auth`.",
        locations=tuple(_ITERABLE_CONFIG + name for name in (
            "account_region", "custom_event_sync_mode", "historical_sync_limit", "sync_mode", "webhook_auth_type",
        )) + (_ITERABLE_READONLY + "project_type", "/components/schemas/snowflake_config_V1/properties/config/"
              "properties/auth"),
        evidence="The enum values and the `example`s (\"EU | US\", \"PASSWORD | KEY_PAIR | OAUTH\") are strings; the "
        "spec's own response example for GET /v1/destinations/{destinationId} has `\"auth\": \"PASSWORD\"`; "
        f"Fivetran's Terraform provider at the same commit ({_TF} fivetran/common/fields.json and "
        "destination-fields.json) declares account_region, sync_mode, custom_event_sync_mode, "
        "historical_sync_limit, webhook_auth_type and auth as `\"type\": \"string\"`; "
        f"{_GO_SDK} sends and decodes `sync_mode` as a string (connections/connection_config.go).",
        present=_enum_of_strings_typed_object,
        patch=lambda node: _with(node, type="string"),
    ),
    SpecDefect(
        name="never_synced_timestamps_are_null",
        wrong="`succeeded_at`, `failed_at` and `daily_sync_time` are non-nullable strings, but the API answers `null` "
        "until the first successful / failed sync, and for `daily_sync_time` unless it was set with "
        "`sync_frequency` 1440.",
        locations=tuple(prefix + name for prefix in (_CONNECTION, _LISTED_CONNECTION)
                        for name in ("succeeded_at", "failed_at", "daily_sync_time")),
        evidence="The spec's own descriptions in ConnectorResponseV1 say \"`null` if the connection has never "
        "completed a successful sync\" / \"never experienced a sync failure\" and, for daily_sync_time, "
        "\"`null` otherwise\"; "
        f"{_GO_SDK}'s response fixtures (connections/connection_details_test.go, connection_create_test.go) and the "
        f"Terraform provider's ({_TF} fivetran/framework/resources/connector_test.go, datasources/connection_test.go) "
        "carry `\"succeeded_at\": null, \"failed_at\": null`.",
        present=_not_nullable,
        patch=lambda node: _with(node, nullable=True),
    ),
    SpecDefect(
        name="unset_networking_ids_are_null",
        wrong="`private_link_id` and `proxy_agent_id` are non-nullable strings, but the API answers `null` for a "
        "connection that uses neither.",
        locations=tuple(prefix + name for prefix in (_CONNECTION, _LISTED_CONNECTION)
                        for name in ("private_link_id", "proxy_agent_id")),
        evidence=f"The Terraform provider's connection fixtures ({_TF} fivetran/framework/resources/connector_test.go, "
        "create and PATCH responses) carry `\"private_link_id\": null` and `\"proxy_agent_id\": null` next to "
        "`\"networking_method\": \"Directly\"`.",
        present=_not_nullable,
        patch=lambda node: _with(node, nullable=True),
    ),
    SpecDefect(
        name="listed_config_values_typed_object",
        wrong="In the list schema `ConnectorResponse`, `config` has `additionalProperties: {type: object}`: every "
        "config value would have to be a JSON object, so no connection with a string or list setting (every one) is "
        "valid.",
        locations=(_LISTED_CONNECTION + "config/additionalProperties",),
        evidence="The spec's own per-service config schemas type the same values as strings and arrays "
        f"(iterable_config_V1: api_key string, events array); {_GO_SDK} decodes a listed connection's config as "
        "`map[string]interface{}` (connections/common_types.go); the Terraform provider's list fixtures "
        f"({_TF} fivetran/framework/datasources/connections_test.go) carry string config values.",
        present=lambda node: node == {"type": "object"},
        patch=lambda node: {},
    ),
    SpecDefect(
        name="destination_setup_status_case",
        wrong="`DestinationExtendedResponse.setup_status` enumerates only upper-case values (CONNECTED, ...), while "
        "the destination details endpoint answers lower case (`connected`).",
        locations=("/components/schemas/DestinationExtendedResponse/properties/setup_status",),
        evidence="The spec's own response example for GET /v1/destinations/{destinationId} (`get_response`) has "
        f"`\"setup_status\": \"connected\"`; {_GO_SDK}'s destination details fixture uses \"connected\" "
        f"(destinations/destination_details_test.go); the Terraform provider compares it case-insensitively "
        f"(`strings.ToLower(...SetupStatus) != \"connected\"`, {_TF} fivetran/framework/resources/destination.go) "
        "and its details fixtures use lower case, its list fixtures upper case.",
        present=lambda node: bool(node.get("enum")) and all(v == v.upper() for v in node["enum"]),
        patch=lambda node: _with(node, enum=[*node["enum"], *(v.lower() for v in node["enum"])]),
    ),
    SpecDefect(
        name="partial_table_and_column_updates",
        wrong="`TableUpdateRequest` and `ColumnUpdateRequest` (the bodies of the table and column PATCHes, and their "
        "entries in schema PATCHes) require `enabled`, so an update of only `hashed`, `sync_mode` or a table's "
        "columns is invalid by the spec.",
        locations=("/components/schemas/TableUpdateRequest/required",
                   "/components/schemas/ColumnUpdateRequest/required"),
        evidence=f"{_GO_SDK} types `enabled` as `*bool` with `omitempty` in its table and column updates "
        "(connections/connection_schema_config_table.go, connection_schema_config_column.go), so a table update "
        "that does not set it leaves it out; Fivetran's Terraform provider 1.9.37, which drives those services and "
        "is used against the real API every day, PATCHes a table it keeps enabled without `enabled` when it applies "
        "a `fivetran_connector_schema_config` (run against this emulator, the spec's rule refused it with 400).",
        present=lambda node: node == ["enabled"],
        patch=lambda node: [],
    ),
    SpecDefect(
        name="certificate_approval_status",
        wrong="Approving a connection certificate is documented as 200; the API answers 201 Created.",
        locations=(path_pointer("post", "/v1/connections/{connectionId}/certificates", "responses"),),
        evidence=f"{_GO_SDK} requires 201 for this call and fails on any other status (certificates/"
        "connection_approve.go: `HttpService.Do(ctx, \"POST\", url, ..., 201, &response)`; http_utils/"
        "http_service.go rejects a different status), and Fivetran's Terraform provider at the same commit "
        "approves certificates through it (fivetran/framework/resources/connector_certificate.go); the twin "
        "fingerprint approval is already documented as 201 in the same spec.",
        present=lambda node: "200" in node and "201" not in node,
        patch=lambda node: {("201" if status == "200" else status): value for status, value in node.items()},
    ),
    SpecDefect(
        name="fingerprint_approval_envelope",
        wrong="Approving a connection fingerprint is documented as 201 with a bare `FingerprintDetailsResponse` (and a "
        "content-less 200), without the `{code, message, data}` envelope every other answer has.",
        locations=(path_pointer("post", "/v1/connections/{connectionId}/fingerprints", "responses"),),
        evidence=f"{_GO_SDK} requires 201 and decodes `{{\"code\", \"message\", \"data\": {{hash, public_key, "
        "validated_by, validated_date}}}}` (fingerprints/connection_approve.go, common_types.go `FingerprintResponse`, "
        "and the fixture in connection_approve_test.go); earlier versions of this spec (e.g. b843657, 2025-01-29) "
        "documented the envelope; the certificate twin documents it.",
        present=lambda node: "200" in node and "content" not in node["200"]
        and at(node, "/201/content/application~1json/schema") == {"$ref": _FINGERPRINT},
        patch=lambda node: {
            **{status: value for status, value in node.items() if status != "200"},
            "201": {"description": node["201"].get("description", ""), "content": {"application/json": {"schema": {
                "required": ["code", "data"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                               "data": {"$ref": _FINGERPRINT}},
            }}}},
        },
    ),
)


@functools.cache
def _patched_spec() -> dict[str, Any]:
    spec = raw_spec()
    for defect in SPEC_DEFECTS:
        for location in defect.locations:
            _replace(spec, location, defect.patch(copy.deepcopy(at(spec, location))))
    return spec


def patched_spec() -> dict[str, Any]:
    """The spec with every `SPEC_DEFECTS` patch applied (a fresh copy)."""
    return copy.deepcopy(_patched_spec())


# -- operations ---------------------------------------------------------------------------------------------------
def operations(spec: Mapping[str, Any] | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (METHOD, path template, operation object) the spec declares."""
    for path, item in (spec or _raw_spec())["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def operation(method: str, path: str, *, patched: bool = True) -> dict[str, Any]:
    spec = _patched_spec() if patched else _raw_spec()
    found: dict[str, Any] = at(spec, path_pointer(method, path))
    return found


def success_status(method: str, path: str) -> int:
    """The 2xx status whose answer has a body schema (exactly one per operation served here)."""
    with_body = [int(status) for status, response in operation(method, path)["responses"].items()
                 if status.startswith("2") and "content" in response]
    if len(with_body) != 1:
        raise AssertionError(f"{method} {path}: expected one 2xx response with a body, found {with_body}")
    return with_body[0]


def declared_statuses(method: str, path: str) -> set[int]:
    return {int(status) for status in operation(method, path)["responses"] if status.isdigit()}


def response_schema(method: str, path: str, status: int,
                    discriminators: Mapping[str, str] = ITERABLE) -> dict[str, Any]:
    """The JSON Schema of an operation's answer for a status (from the patched spec); KeyError if none."""
    response = operation(method, path)["responses"][str(status)]
    media = response["content"]["application/json"]
    return to_json_schema(media["schema"], discriminators)


def request_examples(method: str, path: str) -> list[tuple[str, Any]]:
    """The request-body examples an operation documents: `(name, value)` from `examples`, or `("example", v)`."""
    body = operation(method, path, patched=False).get("requestBody") or {}
    media = (body.get("content") or {}).get("application/json") or {}
    found = [(name, example["value"]) for name, example in (media.get("examples") or {}).items() if "value" in example]
    if "example" in media:
        found.append(("example", media["example"]))
    return found


def response_examples(method: str, path: str) -> list[tuple[int, str, Any]]:
    """The response examples an operation documents: `(status, name, value)`."""
    found = []
    for status, response in operation(method, path, patched=False)["responses"].items():
        media = (response.get("content") or {}).get("application/json") or {}
        for name, example in (media.get("examples") or {}).items():
            if "value" in example:
                found.append((int(status), name, example["value"]))
        if "example" in media:
            found.append((int(status), "example", media["example"]))
    return found


# -- OpenAPI 3.0 schema -> JSON Schema 2020-12 ------------------------------------------------------------------
_DROPPED = ("example", "xml", "externalDocs")
_SUBSCHEMA_MAPS = ("properties", "patternProperties")
_SUBSCHEMAS = ("items", "additionalProperties", "not", "contains", "propertyNames")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "prefixItems")


def to_json_schema(schema: Mapping[str, Any], discriminators: Mapping[str, str] = ITERABLE,
                   spec: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An OpenAPI 3.0 schema (from the patched spec unless `spec` is given) as a self-contained JSON Schema."""
    converted = _convert(schema, spec or _patched_spec(), dict(discriminators), ())
    converted["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(converted)
    return converted


def _convert(node: Any, spec: Mapping[str, Any], fixed: dict[str, str], trail: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(node, Mapping):
        raise TypeError(f"not a schema at {'/'.join(trail) or 'root'}: {node!r}")
    if "$ref" in node:
        ref = node["$ref"]
        target = at(spec, ref)
        variant = _variant(target, fixed)
        if variant is not None:
            return variant(spec, trail)
        if ref in trail:
            raise ValueError(f"recursive $ref {ref} (via {' -> '.join(trail)})")
        return _convert(target, spec, fixed, (*trail, ref))
    variant = _variant(node, fixed)
    if variant is not None:
        return variant(spec, trail)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED or key in ("discriminator", "nullable", "allOf"):
            continue
        if key in _SUBSCHEMA_MAPS:
            out[key] = {name: _convert(sub, spec, fixed, trail) for name, sub in value.items()}
        elif key in _SUBSCHEMAS and isinstance(value, Mapping):
            out[key] = _convert(value, spec, fixed, trail)
        elif key in _SUBSCHEMA_LISTS:
            out[key] = [_convert(sub, spec, fixed, trail) for sub in value]
        else:
            out[key] = copy.deepcopy(value)
    for part in node.get("allOf", ()):
        out = merge(out, _convert(part, spec, fixed, trail))
    if "type" not in out and ("properties" in out or "required" in out) and not any(
            k in out for k in ("anyOf", "oneOf", "not")):
        out["type"] = "object"
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [*([out["type"]] if isinstance(out["type"], str) else out["type"]), "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _variant(node: Mapping[str, Any], fixed: dict[str, str]) -> Callable[[Mapping[str, Any], tuple[str, ...]],
                                                                         dict[str, Any]] | None:
    """For a schema with a discriminator whose property the caller fixed: how to build the mapped variant."""
    discriminator = node.get("discriminator")
    if not discriminator or discriminator.get("propertyName") not in fixed:
        return None
    name = discriminator["propertyName"]
    value = fixed[name]
    mapping = discriminator.get("mapping") or {}
    if value not in mapping:
        raise KeyError(f"the discriminator on {name!r} has no mapping for {value!r}")
    # The variant includes the base schema again (allOf): inside it, this discriminator is resolved already.
    rest = {k: v for k, v in fixed.items() if k != name}

    def build(spec: Mapping[str, Any], trail: tuple[str, ...]) -> dict[str, Any]:
        variant = _convert({"$ref": mapping[value]}, spec, rest, trail)
        return merge(variant, {"type": "object", "required": [name], "properties": {name: {"const": value}}})

    return build


_FIRST_WINS = ("title", "description", "examples", "default", "$comment")


def merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """`allOf: [a, b]` as one schema: properties merged recursively, `required` united; other clashes are errors."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "properties":
            out[key] = {**out[key], **{n: merge(out[key][n], s) if n in out[key] else s for n, s in value.items()}}
        elif key == "required":
            out[key] = list(dict.fromkeys([*out[key], *value]))
        elif key in _FIRST_WINS or out[key] == value:
            continue
        else:
            raise ValueError(f"allOf: conflicting {key!r}: {out[key]!r} vs {value!r}")
    return out


# -- errors -------------------------------------------------------------------------------------------------------
def documented_error_shape() -> dict[str, Any]:
    """The error body as the spec documents it where it documents one: the JSON Schema every 4xx/5xx example
    in the whole spec satisfies (the same keys, all strings). The operations served here declare their error
    statuses without a body schema, so this is what their error answers are checked against."""
    keys: set[frozenset[str]] = set()
    for method, path, op in operations():
        for status, response in op.get("responses", {}).items():
            if status[:1] not in ("4", "5"):
                continue
            media = (response.get("content") or {}).get("application/json") or {}
            for example in (media.get("examples") or {}).values():
                value = example.get("value")
                if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                    raise AssertionError(f"{method} {path} {status}: error example is not a string map: {value!r}")
                keys.add(frozenset(value))
    if len(keys) != 1:
        raise AssertionError(f"the spec's error examples disagree on their keys: {sorted(map(sorted, keys))}")
    (names,) = keys
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "required": sorted(names), "properties": {n: {"type": "string", "minLength": 1} for n in sorted(names)}}


def violations(schema: Mapping[str, Any], instance: Any) -> list[tuple[str, str]]:
    """Every way `instance` breaks `schema`: `(JSON path, message)`, most specific first, sorted by path."""
    errors = []
    for error in Draft202012Validator(schema).iter_errors(instance):
        for leaf in _leaves(error):
            errors.append((leaf.json_path, leaf.message))
    return sorted(set(errors))


def _leaves(error: Any) -> Iterator[Any]:
    if error.context:
        for sub in error.context:
            yield from _leaves(sub)
    else:
        yield error
