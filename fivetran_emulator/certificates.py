"""`/v1/connections/{id}/certificates` and `.../fingerprints`: the TLS certificates and SSH fingerprints a
connection's owner approved.

An Iterable connection reaches Iterable's public API, so nothing asks for approval; the endpoints exist
because clients manage them for every connection, and they keep what is approved per connection.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from werkzeug.routing import Rule

from . import ids, rules
from .connections import Connections
from .envelope import KIND, Call, Reply, noun, page_of, require_object, success
from .errors import ApiError
from .fields import text
from .store import Record


class Certificates:
    """Both kinds, `certificates` and `fingerprints`, kept in the connection's record."""

    def __init__(self, connections: Connections) -> None:
        self.connections = connections

    def rules(self) -> list[Rule]:
        rules_: list[Rule] = []
        for what in ("certificates", "fingerprints"):
            base = f"/v1/{KIND}/<connection_id>/{what}"
            rules_ += [
                Rule(base, methods=["GET"], endpoint=self.list_approved, defaults={"what": what}),
                Rule(base, methods=["POST"], endpoint=self.approve, defaults={"what": what}),
                Rule(f"{base}/<hash_>", methods=["GET"], endpoint=self.get_approved, defaults={"what": what}),
                Rule(f"{base}/<hash_>", methods=["DELETE"], endpoint=self.revoke, defaults={"what": what}),
            ]
        return rules_

    def list_approved(self, call: Call, kind: str, connection_id: str, what: str) -> Reply:
        record = self.connections.load(kind, connection_id)
        return success(f"{noun(kind)} {what} retrieved successfully", page_of(record.get(what) or [], call))

    def get_approved(self, call: Call, kind: str, connection_id: str, what: str, hash_: str) -> Reply:
        record = self.connections.load(kind, connection_id)
        return success(f"{noun(kind)} {what[:-1]} details retrieved successfully",
                       self._find(record, what, hash_, connection_id))

    def approve(self, call: Call, kind: str, connection_id: str, what: str) -> Reply:
        """Approve a certificate (`{hash, encoded_cert}`) or a fingerprint (`{hash, public_key}`)."""
        value_name = "encoded_cert" if what == "certificates" else "public_key"
        body = require_object(call, f'{{"hash": "...", "{value_name}": "..."}}')
        hash_, value = text("hash", body.get("hash")), text(value_name, body.get(value_name))
        approved = self._details(what, hash_, value, self.connections.connected_by)

        def add(current: Record) -> Record:
            current[what] = [item for item in current.get(what) or [] if item["hash"] != hash_] + [approved]
            return current

        self.connections.update(kind, connection_id, add)
        noun_ = "certificate" if what == "certificates" else "fingerprint"
        return success(f"The {noun_} has been approved", approved, status=201)

    def revoke(self, call: Call, kind: str, connection_id: str, what: str, hash_: str) -> Reply:
        def remove(current: Record) -> Record:
            self._find(current, what, hash_, connection_id)
            current[what] = [item for item in current.get(what) or [] if item["hash"] != hash_]
            return current

        self.connections.update(kind, connection_id, remove)
        noun_ = "Certificate" if what == "certificates" else "Fingerprint with hash"
        return success(f"{noun_} '{hash_}' has been revoked for connection with id '{connection_id}'")

    @staticmethod
    def _find(record: Record, what: str, hash_: str, connection_id: str) -> dict[str, Any]:
        for item in record.get(what) or []:
            if item["hash"] == hash_:
                return dict(item)
        kind = "Certificate" if what == "certificates" else "Fingerprint"
        raise ApiError(404, f"NotFound_{kind}", f"{kind} with hash '{hash_}' is not approved for connection "
                                               f"'{connection_id}'.")

    @staticmethod
    def _details(what: str, hash_: str, value: str, user_id: str) -> dict[str, Any]:
        details = {"id": base64.urlsafe_b64encode(hash_.encode()).decode().rstrip("="), "hash": hash_,
                   "validated_date": rules.timestamp(), "validated_by": user_id}
        if what == "fingerprints":
            return {**details, "public_key": value}
        return {**details, "name": f"Certificate {ids.fingerprint_hash(value)[:8]}", "type": "TLS",
                "public_key": f"Public key of the certificate {hash_}",
                "sha1": hashlib.sha1(value.encode()).hexdigest(),  # noqa: S324 - a fingerprint, not security
                "sha256": hashlib.sha256(value.encode()).hexdigest()}
