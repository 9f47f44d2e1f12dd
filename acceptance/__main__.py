"""`python -m acceptance --group GROUP_ID [--cleanup [--run RUN_ID]] [--max-requests N]` (what
`scripts/acceptance` runs). See docs/acceptance.md.

Exit status: 0 when no step failed and nothing was left behind; 1 when something failed; 2 when it refused to
start (no `--group`, or the environment names no usable target), having sent nothing; 130 when interrupted
(after cleaning up).
"""

from __future__ import annotations

import argparse
import os
import sys

from .cleanup import clean_group, cleanup_pattern
from .fivetran import ApiError, FivetranApi
from .guard import Guard, Rules
from .run import EXIT_INTERRUPTED, Interrupted, run_suite
from .target import TargetError, resolve

EXIT_REFUSED = 2


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/acceptance",
        description="The provider's acceptance suite, through the real Pulumi CLI, against the account "
                    "FIVETRAN_API_URL names (a local emulator it starts itself when FIVETRAN_API_URL is not set).")
    parser.add_argument("--group", help="the destination group to create the run's connections in (required)")
    parser.add_argument("--cleanup", action="store_true",
                        help="instead of running, delete what earlier runs left in the group (connections whose "
                             "schema is pulumi_acc_<run id>_<role>), and nothing else")
    parser.add_argument("--run", help="with --cleanup: only that run's connections (its id is in the report)")
    parser.add_argument("--max-requests", type=int, default=600,
                        help="the most API requests the run may send (default 600); more are refused")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not (args.group or "").strip():
        print("acceptance: refusing to start without --group GROUP_ID: the suite creates connections only in the "
              "destination group you name. Nothing was sent.", file=sys.stderr)
        return EXIT_REFUSED
    group_id = args.group.strip()
    if args.run and not args.cleanup:
        print("acceptance: --run goes with --cleanup. Nothing was sent.", file=sys.stderr)
        return EXIT_REFUSED
    try:
        if args.cleanup:
            return cleanup(group_id, args.run, args.max_requests)
        return run_suite(group_id, os.environ, max_requests=args.max_requests, out=sys.stdout)
    except (TargetError, ValueError) as error:
        print(f"acceptance: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except RuntimeError as error:  # the run could not be set up (no Pulumi CLI, a stack that would not start)
        print(f"acceptance: could not start: {error}. Nothing was created.", file=sys.stderr)
        return EXIT_REFUSED
    except Interrupted as signal_name:  # before the run had started anything
        print(f"acceptance: interrupted by {signal_name} before it started; nothing was created.", file=sys.stderr)
        return EXIT_INTERRUPTED


def cleanup(group_id: str, run: str | None, max_requests: int) -> int:
    """`--cleanup`: delete the connections of the group with a schema the suite makes; nothing else."""
    schemas = cleanup_pattern(run)
    target = resolve(os.environ, group_id)
    guard = Guard(target.url, Rules(group_id, schemas, list_whole_group=True, max_requests=max_requests))
    api = FivetranApi(guard.url, target.api_key, target.api_secret, group_id, "cleanup")
    try:
        print(f"acceptance cleanup: target {target.description}, group '{group_id}', schemas matching "
              f"{schemas.pattern}", flush=True)
        for note in target.notes:
            print(f"acceptance cleanup: note: {note}", flush=True)
        swept = clean_group(api, schemas)
    except ApiError as error:
        print(f"acceptance cleanup: failed: {error}", flush=True)
        return 1
    finally:
        api.close()
        guard.close()
        target.stop()
    for deleted in swept.deleted:
        print(f"deleted {deleted}")
    for failure in swept.failed:
        print(f"could not delete: {failure}")
    print(f"acceptance cleanup: {len(swept.deleted)} deleted, {len(swept.failed)} failed")
    return 1 if swept.failed else 0


if __name__ == "__main__":
    sys.exit(main())
