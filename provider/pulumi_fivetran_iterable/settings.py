"""Where the provider finds its Fivetran credentials and endpoint: stack config first, then the environment.

- `fivetran:apiKey` / `FIVETRAN_API_KEY`: the Fivetran API key.
- `fivetran:apiSecret` / `FIVETRAN_API_SECRET`: the Fivetran API secret (set it with `--secret`).
- `fivetran:apiUrl` / `FIVETRAN_API_URL`: the API base URL, default `https://api.fivetran.com/v1`.
- `fivetran:createLimit` / `FIVETRAN_CREATE_LIMIT`: the client-side create throttle `COUNT/SECONDS`,
  default `20/60` (Fivetran's documented creation limit), `0` = off.
- `fivetran:requestTimeout` / `FIVETRAN_REQUEST_TIMEOUT`: seconds to wait for a reply, default 90
  (Fivetran's own REST timeout is about 60).
- `fivetran:readByGroup` / `FIVETRAN_READ_BY_GROUP`: `true` lets a refresh read connections from their
  group's connection list (one request per 1,000 connections) instead of one request each; default `false`
  until Fivetran's list is verified to carry everything a read needs (see `group_listing`).

Nothing here is ever pickled: settings are read in the provider process, in `configure`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .client import FivetranClient, FivetranCredentials, RetryPolicy
from .throttle import CreateThrottle

DEFAULT_API_URL = "https://api.fivetran.com/v1"
DEFAULT_CREATE_LIMIT = "20/60"
DEFAULT_REQUEST_TIMEOUT = "90"
DEFAULT_READ_BY_GROUP = "false"

_SOURCES = {
    "api_key": ("fivetran:apiKey", "FIVETRAN_API_KEY"),
    "api_secret": ("fivetran:apiSecret", "FIVETRAN_API_SECRET"),
    "api_url": ("fivetran:apiUrl", "FIVETRAN_API_URL"),
    "create_limit": ("fivetran:createLimit", "FIVETRAN_CREATE_LIMIT"),
    "request_timeout": ("fivetran:requestTimeout", "FIVETRAN_REQUEST_TIMEOUT"),
    "read_by_group": ("fivetran:readByGroup", "FIVETRAN_READ_BY_GROUP"),
}


class MissingCredentialsError(Exception):
    """The Fivetran API key or secret is set neither in stack config nor in the environment."""


@dataclass(frozen=True)
class ProviderSettings:
    api_key: str | None = field(default=None, repr=False)
    api_secret: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    create_limit: str = DEFAULT_CREATE_LIMIT
    request_timeout: str = DEFAULT_REQUEST_TIMEOUT
    read_by_group: str = DEFAULT_READ_BY_GROUP

    @classmethod
    def load(cls, config_get: Callable[[str], str | None], environ: Mapping[str, str] | None = None
             ) -> ProviderSettings:
        """Read each setting from stack config (`config_get("fivetran:apiKey")`), else the environment."""
        environ = os.environ if environ is None else environ
        values: dict[str, str] = {}
        for name, (config_key, env_key) in _SOURCES.items():
            value = config_get(config_key) or environ.get(env_key)
            if value:
                values[name] = value.strip()
        return cls(**values)

    def create_throttle(self) -> CreateThrottle | None:
        """The client-side create throttle, or None when switched off with `0`."""
        try:
            return CreateThrottle.parse(self.create_limit)
        except ValueError as error:
            raise ValueError(f"fivetran:createLimit (or FIVETRAN_CREATE_LIMIT): {error}") from None

    def retry_policy(self) -> RetryPolicy:
        """Retries and timeouts, with the configured read timeout."""
        try:
            timeout = float(self.request_timeout)
        except ValueError:
            timeout = -1.0
        if not timeout > 0:
            raise ValueError(f"fivetran:requestTimeout must be a number of seconds above 0, got "
                             f"{self.request_timeout!r}")
        return RetryPolicy(read_timeout_s=timeout)

    def reads_by_group(self) -> bool:
        """Whether a refresh may read connections from their group's connection list."""
        value = self.read_by_group.lower()
        if value not in ("true", "false"):
            raise ValueError(f"fivetran:readByGroup (or FIVETRAN_READ_BY_GROUP) must be true or false, got "
                             f"{self.read_by_group!r}")
        return value == "true"

    def client(self, *, creates: bool = True) -> FivetranClient:
        """The REST client these settings describe; with the create throttle when it `creates` connections.
        Raises ValueError (or MissingCredentialsError) naming the setting to fix."""
        throttle = self.create_throttle() if creates else None
        return FivetranClient(self.credentials(), retry=self.retry_policy(), create_throttle=throttle)

    def credentials(self) -> FivetranCredentials:
        """The credentials for the client; raises a message naming both ways to set what is missing."""
        missing = [name for name, value in (("apiKey", self.api_key), ("apiSecret", self.api_secret)) if not value]
        if missing:
            config_keys = " and ".join(f"fivetran:{name}" for name in missing)
            env_keys = " and ".join(_SOURCES["api_key" if n == "apiKey" else "api_secret"][1] for n in missing)
            raise MissingCredentialsError(
                f"Fivetran credentials are missing: {config_keys}. Set them in the stack config, both as secrets "
                "(`pulumi config set --secret fivetran:apiKey <key>` and `pulumi config set --secret "
                f"fivetran:apiSecret <secret>`), or export {env_keys} in the shell that runs pulumi"
            )
        assert self.api_key and self.api_secret
        return FivetranCredentials(api_key=self.api_key, api_secret=self.api_secret,
                                   base_url=self.api_url.rstrip("/"))
