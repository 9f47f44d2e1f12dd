"""`/v1/metadata/connector-types`: what the connector type `iterable` takes.

Its `config` is generated from the same table the emulator validates requests with (`fields.ITERABLE_CONFIG`),
so the metadata and the rules cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule

from .envelope import Call, Reply, page_of, success
from .errors import ApiError
from .fields import SECRET_CONFIG_FIELDS, SERVICE, SERVICE_VERSION, config_json_schema

SHORT: dict[str, Any] = {
    "id": SERVICE,
    "name": "Iterable",
    "type": "Marketing",
    "description": "Iterable is a cross-channel marketing platform that powers unified customer experiences.",
    "icons": ["https://fivetran.com/integrations/iterable/resources/iterable.svg"],
    "icon_url": "https://fivetran.com/integrations/iterable/resources/iterable.svg",
    "link_to_docs": "https://fivetran.com/docs/connectors/applications/iterable",
    "link_to_erd": "https://fivetran.com/docs/connectors/applications/iterable#schemainformation",
    "connector_class": "standard",
    "service_status": "general_availability",
    "supported_features": [{"id": feature} for feature in (
        "DATA_BLOCKING", "COLUMN_HASHING", "RE_SYNC", "API_CONFIGURABLE", "AUTHORIZATION_VIA_API")],
}


def iterable_metadata() -> dict[str, Any]:
    """`GET /v1/metadata/connector-types/iterable`: the short form, plus `config`, `auth` and the keys an
    external secrets manager may hold."""
    return {
        **SHORT,
        "service_version": SERVICE_VERSION,
        "config": config_json_schema(),
        "auth": {"type": "object", "properties": {}},
        "external_secrets_keys_config": {
            "type": "object",
            "properties": {name: {"type": "string", "description": f"ESM key for the Iterable {name}"}
                           for name in SECRET_CONFIG_FIELDS},
        },
    }


class Metadata:
    def rules(self) -> list[Rule]:
        return [
            Rule("/v1/metadata/connector-types", methods=["GET"], endpoint=self.list_types),
            Rule("/v1/metadata/connector-types/<service>", methods=["GET"], endpoint=self.get_type),
        ]

    def list_types(self, call: Call) -> Reply:
        """`GET /v1/metadata/connector-types`: the one connector type this emulator serves."""
        return success("Connectors list retrieved successfully", page_of([SHORT], call))

    def get_type(self, call: Call, service: str) -> Reply:
        """`GET /v1/metadata/connector-types/{service}`; 404 for a type the emulator does not serve."""
        if service != SERVICE:
            raise ApiError(404, "NotFound_Service", f"Connector type '{service}' is not served by this API; it "
                                                    f"serves only '{SERVICE}'.")
        return success("Connector type details retrieved successfully", iterable_metadata())
