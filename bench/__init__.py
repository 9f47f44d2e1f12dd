"""Performance benchmark of the Iterable connection provider ; run `python -m bench.run`."""
