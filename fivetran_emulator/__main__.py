"""Command line: `python -m fivetran_emulator [--host H] [--port N] [--db PATH] [--api-key K] [--api-secret S]
[--group ID[:NAME]]... [--create-limit COUNT/SECONDS] [--refuse-table-resync] [--latency SECONDS|LOW-HIGH]
[--verbose]`.

Prints `http://HOST:PORT/v1` as the first line of standard output once the socket listens, then serves
until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from typing import NoReturn

from werkzeug.serving import make_server

from .app import EmulatorApp, Settings
from .latency import Latency, WithLatency
from .ratelimit import CreateLimit
from .store import Store


def _group(text: str) -> tuple[str, str]:
    group_id, _, name = text.partition(":")
    if not group_id.strip():
        raise argparse.ArgumentTypeError(f"invalid group {text!r}: use ID or ID:NAME")
    return group_id, name or group_id


def _limit(text: str) -> CreateLimit | None:
    try:
        return CreateLimit.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _latency(text: str) -> Latency:
    try:
        return Latency.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_args(argv: list[str] | None = None) -> Settings:
    """Settings from the command line."""
    parser = argparse.ArgumentParser(prog="python -m fivetran_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument("--db", help="SQLite file that keeps data across restarts (default: in memory)")
    parser.add_argument("--api-key", default="dev-key", help="the only accepted API key (default dev-key)")
    parser.add_argument("--api-secret", default="dev-secret", help="the only accepted secret (default dev-secret)")
    parser.add_argument(
        "--group", type=_group, action="append", default=[], metavar="ID[:NAME]", help="seed a group (repeatable)"
    )
    parser.add_argument(
        "--create-limit",
        type=_limit,
        default=CreateLimit(20, 60),
        metavar="COUNT/SECONDS",
        help="connection creations allowed per rolling window (default 20/60; 0 turns it off)",
    )
    parser.add_argument(
        "--refuse-table-resync",
        action="store_true",
        help="answer re-syncs of single tables with 400, as Fivetran answers them for connector types without "
        "table-level re-sync (whole re-syncs still work)",
    )
    parser.add_argument(
        "--latency",
        type=_latency,
        default=Latency(),
        metavar="SECONDS|LOW-HIGH",
        help="delay every /v1 request, fixed (0.2) or uniform in a range (0.1-0.3), like the real API (default 0)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request line to standard error")
    args = parser.parse_args(argv)
    return Settings(
        host=args.host,
        port=args.port,
        db=args.db,
        api_key=args.api_key,
        api_secret=args.api_secret,
        groups=args.group,
        create_limit=args.create_limit,
        refuse_table_resync=args.refuse_table_resync,
        latency=args.latency,
        verbose=args.verbose,
    )


def _stop(signum: int, frame: object) -> NoReturn:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until stopped."""
    settings = parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.INFO if settings.verbose else logging.WARNING)
    # Handlers first: a stop signal that arrives right after the URL line must still end the process cleanly.
    signal.signal(signal.SIGTERM, _stop)
    store = Store(settings.db)
    server = make_server(settings.host, settings.port, WithLatency(EmulatorApp(store, settings), settings.latency),
                         threaded=True)
    try:
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        print(f"http://{host}:{server.server_port}/v1", flush=True)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
