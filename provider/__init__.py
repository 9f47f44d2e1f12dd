"""A Pulumi dynamic provider for Fivetran connections of service `iterable`.

    from provider import IterableConnection, IterableConnectionArgs
"""

from provider.resource import (
    IterableConfigArgs,
    IterableConnection,
    IterableConnectionArgs,
    IterableConnectionProvider,
)
from provider.version import __version__

__all__ = [
    "IterableConfigArgs",
    "IterableConnection",
    "IterableConnectionArgs",
    "IterableConnectionProvider",
    "__version__",
]
