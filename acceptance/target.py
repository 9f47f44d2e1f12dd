"""Which Fivetran API the run talks to, decided from the environment, so that it never reaches a real account
by accident:

| `FIVETRAN_API_URL` | `FIVETRAN_API_KEY` / `_SECRET` | the run talks to |
| --- | --- | --- |
| not set | any (ignored, and the run says so) | a local emulator it starts itself, with credentials of its own |
| set | both set | that URL (Fivetran itself: `https://api.fivetran.com/v1`), with those credentials |
| set | one or both missing | nothing: the run stops before sending anything, naming what is missing |

Unlike the provider, whose default URL is Fivetran's, an unset URL here never means Fivetran: pointing the
suite at an account takes that explicit line.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

FIVETRAN_URL = "https://api.fivetran.com/v1"


class TargetError(Exception):
    """The environment does not name a usable target; nothing was sent."""


@dataclass
class Target:
    url: str
    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    description: str
    emulator: subprocess.Popen[str] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def is_emulator_started_here(self) -> bool:
        return self.emulator is not None

    def stop(self) -> None:
        if self.emulator is not None and self.emulator.poll() is None:
            self.emulator.terminate()
            try:
                self.emulator.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.emulator.kill()
                self.emulator.wait()


def resolve(environ: Mapping[str, str], group_id: str) -> Target:
    """The target the environment names; starts the emulator when no URL is given (see the module's table)."""
    url = (environ.get("FIVETRAN_API_URL") or "").strip().rstrip("/")
    key = (environ.get("FIVETRAN_API_KEY") or "").strip()
    secret = (environ.get("FIVETRAN_API_SECRET") or "").strip()
    if not url:
        notes = []
        if key or secret:
            notes.append("FIVETRAN_API_KEY/FIVETRAN_API_SECRET are set but FIVETRAN_API_URL is not, so they are not "
                         f"used: this run is against a local emulator. To run against Fivetran, also set "
                         f"FIVETRAN_API_URL={FIVETRAN_URL}")
        return start_emulator(group_id, notes)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"FIVETRAN_API_URL is not an http(s) URL: {url!r} (Fivetran's is {FIVETRAN_URL})")
    missing = [name for name, value in (("FIVETRAN_API_KEY", key), ("FIVETRAN_API_SECRET", secret)) if not value]
    if missing:
        raise TargetError(f"FIVETRAN_API_URL is set but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                          "not: export the API key and secret of the account to test (nothing was sent)")
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    where = "a local API (an emulator, or a proxy)" if local else "a Fivetran account"
    return Target(url=url, api_key=key, api_secret=secret, description=f"{url} ({where})")


def start_emulator(group_id: str, notes: list[str]) -> Target:
    """`python -m fivetran_emulator` on a free loopback port, with fresh credentials and the run's group."""
    key, secret = f"acc-{secrets.token_hex(8)}", secrets.token_urlsafe(18)
    process = subprocess.Popen(
        [sys.executable, "-m", "fivetran_emulator", "--host", "127.0.0.1", "--port", "0", "--api-key", key,
         "--api-secret", secret, "--group", f"{group_id}:Acceptance group"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # a Ctrl-C in the terminal must not stop it before the run has cleaned up
    )
    assert process.stdout is not None
    try:
        first = process.stdout.readline().strip()
        if not first.startswith("http"):
            raise TargetError("the local Fivetran emulator did not start (is the fivetran-emulator package installed?)")
    except BaseException:  # also an interruption while it starts: never leave it running
        process.kill()
        process.wait()
        raise
    stdout = process.stdout
    threading.Thread(target=lambda: [None for _ in stdout], daemon=True).start()  # never let its pipe fill
    from fivetran_emulator import __version__ as emulator_version

    return Target(url=first, api_key=key, api_secret=secret, emulator=process, notes=notes,
                  description=f"{first} (fivetran-emulator {emulator_version}, started by this run)")
