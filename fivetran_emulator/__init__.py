"""A local emulator of the Fivetran REST API for connections of service `iterable`.

Start it with `python -m fivetran_emulator` (or the `fivetran-emulator` command); see the README of its
distribution. Nothing here imports the provider, and the provider imports nothing from here: they meet only
over HTTP.
"""

__version__ = "0.2.0"
__all__: list[str] = []
