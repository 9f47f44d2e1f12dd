"""`DestinationGroup`: look up a Fivetran destination group by its name, for its id.

Destinations (and so groups) are usually owned elsewhere; a program that knows a group by its name uses
this resource and passes `group.group_id` to its connections, like any output of another resource. It only
reads: creating it looks the group up, deleting it leaves the group alone.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi.dynamic as dynamic

from .provider import ProviderError, is_unknown
from .registration import register_dynamic

if TYPE_CHECKING:  # imported where used, in the provider process only (see provider.py)
    from .client import FivetranClient
    from .settings import ProviderSettings


class DestinationGroupProvider(dynamic.ResourceProvider):
    """Read-only: resolves a group name to the group's id and keeps that id fresh on refresh."""

    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()
        self.__setstate__({})

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self._settings: ProviderSettings | None = None
        self._client: FivetranClient | None = None
        self._lock = threading.Lock()

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        from .settings import ProviderSettings

        self._settings = ProviderSettings.load(req.config.get)

    def _fivetran(self) -> FivetranClient:
        from .settings import ProviderSettings

        with self._lock:
            if self._client is None:
                try:
                    self._client = (self._settings or ProviderSettings()).client(creates=False)
                except Exception as error:
                    raise ProviderError(str(error)) from None
            return self._client

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        name = news.get("name")
        failures = []
        if not is_unknown(name) and (not isinstance(name, str) or not name.strip()):
            failures.append(dynamic.CheckFailure("name", "is required; set the name of the destination group "
                                                         "as Fivetran shows it"))
        return dynamic.CheckResult({"name": name}, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        changed = is_unknown(news.get("name")) or olds.get("name") != news.get("name")
        return dynamic.DiffResult(changes=changed, replaces=["name"] if changed else [])

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        from .errors import FivetranError

        name = props["name"]
        try:
            groups = self._fivetran().list_groups()
        except FivetranError as error:
            raise ProviderError(f"look up destination group '{name}': {error}") from None
        matches = [g for g in groups if g.get("name") == name]
        if len(matches) != 1:
            known = ", ".join(sorted(repr(g.get("name")) for g in groups)) or "none"
            what = "no" if not matches else f"{len(matches)}"
            raise ProviderError(f"name: {what} destination group named '{name}' in this Fivetran account "
                                f"(groups: {known}); set name to exactly one of them")
        group = matches[0]
        return dynamic.CreateResult(group["id"], _outputs(group))

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        from .errors import FivetranError, NotFoundError

        try:
            group = self._fivetran().get_group(id_)
        except NotFoundError:
            return dynamic.ReadResult(None, {})
        except FivetranError as error:
            raise ProviderError(f"read destination group '{id_}': {error}") from None
        return dynamic.ReadResult(id_, _outputs(group), {"name": group.get("name")})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """The group is not ours: forgetting it is all there is to do."""


def _outputs(group: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": group.get("name"), "group_id": group.get("id"), "created_at": group.get("created_at")}


class DestinationGroup(dynamic.Resource, module="fivetran", name="DestinationGroup"):
    """A destination group looked up by name; `group_id` is its id."""

    if TYPE_CHECKING:  # for type checkers only (see IterableConnection)
        name: pulumi.Output[str]
        """The group's name, as looked up."""
        group_id: pulumi.Output[str]
        """The group's id: pass it to `IterableConnectionArgs(group_id=...)`."""
        created_at: pulumi.Output[str]
        """When the group was created in Fivetran."""

    def __init__(self, resource_name: str, name: pulumi.Input[str],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        register_dynamic(self, DestinationGroupProvider, resource_name,
                         {"name": name, "group_id": None, "created_at": None}, opts)
