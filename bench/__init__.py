"""Performance benchmark of the Iterable connection provider (GitHub issue #7); run `python -m bench.run`."""
