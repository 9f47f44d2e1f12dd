"""Upgrade a stack's state written by version 0.1, whose import name was `provider`.

    pulumi stack export --file state.json
    python -m pulumi_fivetran_iterable.upgrade state.json
    pulumi stack import --file state.json

Every dynamic resource keeps its provider in the state as a pickled class reference, and `refresh` and
`destroy` load it from there. A 0.1 state references `provider.resource.IterableConnectionProvider` and
`provider.group.DestinationGroupProvider`, which no longer exist, so those commands fail with "No module
named 'provider'" and a plain `up` does not rewrite them (it keeps the outputs of unchanged resources). This
rewrites each such reference to this package's class; nothing else in the state changes and nothing is sent
to Fivetran. Afterwards `pulumi preview` shows no changes.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi.dynamic as dynamic

from .group import DestinationGroupProvider
from .provider import IterableConnectionProvider
from .registration import serialized

PACKAGE = __name__.partition(".")[0]
PROVIDERS: dict[str, type[dynamic.ResourceProvider]] = {
    "pulumi-python:dynamic/fivetran:IterableConnection": IterableConnectionProvider,
    "pulumi-python:dynamic/fivetran:DestinationGroup": DestinationGroupProvider,
}


def pickled_elsewhere(props: Mapping[str, Any]) -> bool:
    """True when the pickled provider in `props` references a class outside this package."""
    pickle = props.get("__provider")
    if not isinstance(pickle, str):
        return False
    try:
        return PACKAGE.encode() not in base64.b64decode(pickle, validate=True)
    except (ValueError, binascii.Error):
        return False


def upgrade_state(state: dict[str, Any]) -> int:
    """Rewrite, in place, every provider reference of this package's resources that points elsewhere.

    Returns how many references were rewritten (inputs and outputs count separately).
    """
    references = {token: serialized(cls) for token, cls in PROVIDERS.items()}  # what registration stores
    rewritten = 0
    for resource in (state.get("deployment") or {}).get("resources") or []:
        reference = references.get(resource.get("type"))
        if reference is None:
            continue
        for side in ("inputs", "outputs"):
            props = resource.get(side)
            if isinstance(props, dict) and pickled_elsewhere(props):
                props["__provider"] = reference
                rewritten += 1
    return rewritten


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("state", type=Path, help="a file written by `pulumi stack export --file`; rewritten in place")
    path = parser.parse_args(argv).state
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        print(f"upgrade: cannot read {path} as an exported stack: {error}", file=sys.stderr)
        return 1
    rewritten = upgrade_state(state)
    path.write_text(json.dumps(state, indent=4) + "\n")
    print(f"upgrade: rewrote {rewritten} provider reference(s) in {path}; now run `pulumi stack import --file "
          f"{path}`" if rewritten else f"upgrade: nothing to rewrite in {path}; the state is already current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
