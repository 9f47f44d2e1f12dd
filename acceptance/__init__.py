"""The provider's acceptance suite: `scripts/acceptance --group GROUP_ID` drives the real Pulumi CLI through the
lifecycle a team depends on, against a Fivetran account (or the emulator), checks what Fivetran holds after
every step, reports the answers to the emulator's open questions, and leaves nothing behind.

It is a package of its own beside `provider/` (not under `tests/`) because it is a tool users run against their
own accounts, with its own command line and report; the repository's tests run it as users do
(`tests/cli/test_acceptance.py`). It imports the provider package only for facts it ships (its version, its
catalog of Iterable tables, its config fields), never to do the work it checks.
"""
