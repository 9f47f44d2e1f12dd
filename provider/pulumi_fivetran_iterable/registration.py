"""Registering a dynamic resource with its provider serialized once per program, not once per resource.

`pulumi.dynamic.Resource.__init__` pickles the provider for every resource, and Pulumi's Python SDK (3.x, up to
at least 3.272) wraps pickle's dict writer once more on every such call without unwrapping it: past about 970
dynamic resources in one program, pickling fails with `RecursionError: maximum recursion depth exceeded`. Our
providers pickle to a constant (a reference to their class; they hold nothing when pickled), so the serialized
form is computed once per provider class and reused: a stack of any size registers, and each resource skips
the pickling.
"""

from __future__ import annotations

import threading
from typing import Any

import pulumi
import pulumi.dynamic as dynamic
from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider

_serialized: dict[type, str] = {}
_lock = threading.Lock()


def serialized(provider_class: type[dynamic.ResourceProvider]) -> str:
    """The provider's serialized form, as `dynamic.Resource` would store it in `__provider`, made once."""
    with _lock:
        if provider_class not in _serialized:
            provider = provider_class()
            if getattr(provider, "serialize_as_secret_always", True):
                raise TypeError(f"{provider_class.__name__} must set serialize_as_secret_always = False: only a "
                                "provider that pickles to a constant, with no secret, may be serialized once")
            _serialized[provider_class] = serialize_provider(provider)
        return _serialized[provider_class]


def register_dynamic(resource: dynamic.Resource, provider_class: type[dynamic.ResourceProvider], name: str,
                     props: dict[str, Any], opts: pulumi.ResourceOptions | None) -> None:
    """What `dynamic.Resource.__init__` does, with the provider serialized once (see the module docstring)."""
    if PROVIDER_KEY in props:
        raise ValueError("A dynamic resource must not define the __provider key")
    props[PROVIDER_KEY] = serialized(provider_class)
    pulumi.CustomResource.__init__(resource, f"pulumi-python:{type(resource)._resource_type_name}", name, props,
                                   opts)
