"""The provider strings that stacks made before 0.2.0 hold in their state.

Version 0.1 imported the provider as `provider` (a folder next to the program), so its pickles reference
`provider.resource.IterableConnectionProvider` and `provider.group.DestinationGroupProvider`. These are built
here the way the SDK builds them, from stand-in classes registered under those module names only while
pickling, so nothing named `provider` stays importable.
"""

from __future__ import annotations

import base64
import sys
import types

import pulumi.dynamic as dynamic
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime._serialization import _serialize

CONNECTION_PROVIDER = "provider.resource.IterableConnectionProvider"
GROUP_PROVIDER = "provider.group.DestinationGroupProvider"


def old_provider_string(reference: str) -> str:
    """The base64 pickle of a stateless provider instance of class `reference` (`module.Class`)."""
    module_name, _, class_name = reference.rpartition(".")

    class Stand(dynamic.ResourceProvider):
        serialize_as_secret_always = False

        def __getstate__(self) -> dict[str, object]:
            return {}

    Stand.__module__, Stand.__qualname__, Stand.__name__ = module_name, class_name, class_name
    parts = module_name.split(".")
    modules = {".".join(parts[:i]): types.ModuleType(".".join(parts[:i])) for i in range(1, len(parts) + 1)}
    setattr(modules[module_name], class_name, Stand)
    for name, module in modules.items():  # each module an attribute of its parent, as after a real import
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(modules[parent], child, module)
    assert not set(modules) & set(sys.modules), "a real module by that name is loaded"
    sys.modules.update(modules)
    try:
        pickle, _ = _serialize(True, serialize_provider, Stand())
    finally:
        for name in modules:
            del sys.modules[name]
    assert module_name.encode() in base64.b64decode(pickle) and len(pickle) < 200, "not a reference"
    return pickle
