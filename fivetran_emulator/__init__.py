"""A local emulator of the Fivetran REST API for connections of service `iterable`.

Start it with `python -m fivetran_emulator`; see README.md in this folder. Nothing here imports the
provider, and the provider imports nothing from here: they meet only over HTTP.
"""

__all__: list[str] = []
