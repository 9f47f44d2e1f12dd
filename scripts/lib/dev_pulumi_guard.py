"""Which pulumi command lines `scripts/dev-pulumi` lets through: only those that stay on the dev stack.

`scripts/dev-pulumi` gives pulumi the dev stack's local backend and its published passphrase. Any other stack
created, selected or written with them would keep its secrets under a passphrase anyone can read. So this reads
the arguments the way pulumi's flag parser (spf13/pflag) does and refuses, before pulumi runs:

- a stack named by a flag, in every form pflag accepts (`-s x`, `-sx`, `-s=x`, `--stack x`, `--stack=x`, and `s`
  inside a group of one-letter flags such as `-ysx`), unless it is `dev`;
- a stack named as an argument (`stack init|select|rm NAME`), unless it is `dev`; `stack init` without a name
  (pulumi would ask for one), `stack rename`, `stack migrate` and `stack change-secrets-provider`;
- commands that reach beyond the dev stack: `new`, `login`, `logout`, `config cp`, `state move`, `--cwd`/`-C`
  (another project) and `--config-file` (another stack file), and any command not known to stay on the stack.

Where it cannot tell (a value that happens to read like a flag), it refuses and says how to write it plainly.

    python3 scripts/lib/dev_pulumi_guard.py ARGS...    exit 0: allowed; exit 1: refused, the reason on stderr
"""

from __future__ import annotations

import sys

DEV = "dev"
# Commands that work on the selected stack only, with the sub-commands each allows (None: any, or none given).
ALLOWED: dict[str, frozenset[str] | None] = {
    "preview": None,
    "up": None,
    "update": None,
    "refresh": None,
    "destroy": None,
    "cancel": None,
    "import": None,
    "watch": None,
    "about": None,
    "version": None,
    "whoami": None,
    "plugin": None,
    "stack": frozenset({"output", "ls", "list", "history", "export", "import", "tag", "graph", "unselect",
                        "select", "rm", "remove", "delete", "init", "new", "create", "setup"}),
    "config": frozenset({"get", "set", "set-all", "rm", "remove", "delete", "rm-all", "remove-all", "delete-all",
                         "refresh"}),
    "state": frozenset({"delete", "edit", "rename", "protect", "unprotect", "upgrade", "repair", "taint",
                        "untaint"}),
}
# `stack` sub-commands whose arguments name a stack: only `dev` may be named.
NAMING = frozenset({"select", "rm", "remove", "delete", "init", "new", "create", "setup"})
CREATING = frozenset({"init", "new", "create", "setup"})
# Long flags that always take a value, so the word after them is not a command (pulumi's global flags and the
# common ones of preview/up/refresh/destroy). A flag missing here only makes the guard stricter.
VALUE_FLAGS = frozenset({"color", "memprofilerate", "profiling", "tracing", "tracing-header", "verbose",
                         "otel-traces", "message", "config", "target", "target-replace", "replace", "exclude",
                         "parallel", "policy-pack", "policy-pack-config", "plan", "save-plan", "secrets-provider"})
# The commands that run an update, and their one-letter flags that take a value (--config, --message,
# --target, --exclude, --parallel): after `up -m`, the next word is the message.
UPDATES = frozenset({"preview", "up", "update", "refresh", "destroy", "watch"})
UPDATE_VALUE_LETTERS = frozenset("cmtxp")
# Long flags that point pulumi at another project or another stack file.
REFUSED_FLAGS = {"cwd": "runs pulumi in another project", "config-file": "reads and writes another stack file"}
ELSEWHERE = ("For any other stack, run pulumi itself, in a fresh shell, with your own backend and secrets provider "
             "(docs/guide.md, \"A real Fivetran account\").")


class Refused(Exception):
    """A command line `scripts/dev-pulumi` does not run, with the reason."""


def check(args: list[str]) -> None:
    """Raise `Refused` unless every stack the command line names is `dev` and the command stays on it."""
    positionals, stacks = _read(args)
    for stack, written in stacks:
        if stack != DEV:
            hint = ""
            if written.startswith("-") and not written.startswith("--") and not written.startswith("-s"):
                hint = (f" ({written}: pulumi reads an `s` in a group of one-letter flags as --stack; if it is a "
                        "value of another flag, spell that flag out, e.g. --message \"...\")")
            raise Refused(f"works on the dev stack only, not '{stack}'{hint}. {ELSEWHERE}")
    if not positionals:
        return
    command, sub, rest = positionals[0], positionals[1] if len(positionals) > 1 else None, positionals[2:]
    if command not in ALLOWED:
        raise Refused(f"runs only commands that stay on the dev stack ({', '.join(sorted(ALLOWED))}), not "
                      f"'{command}'. {ELSEWHERE}")
    subs = ALLOWED[command]
    if subs is not None and sub is not None and sub not in subs:
        raise Refused(f"does not run `{command} {sub}`: it could reach a stack other than dev. {ELSEWHERE}")
    if command in UPDATES and sub is not None:
        # `up TEMPLATE` makes a new project and stack from a template; the others take no argument.
        raise Refused(f"does not run `{command} {sub}`: `{command}` takes no argument here (`up TEMPLATE` would make "
                      f"a new project and stack). {ELSEWHERE}")
    if command == "cancel":
        for name in positionals[1:]:
            if name != DEV:
                raise Refused(f"works on the dev stack only, not '{name}' (`cancel {name}`). {ELSEWHERE}")
    if command == "stack" and sub in NAMING:
        for name in rest:
            if name != DEV:
                raise Refused(f"works on the dev stack only, not '{name}' (`stack {sub} {name}`). {ELSEWHERE}")
        if sub in CREATING and not rest:
            raise Refused(f"`stack {sub}` without a name would ask for one; the only stack here is dev. {ELSEWHERE}")


def _read(args: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """The positional arguments, and every (stack, as written) named by a flag, as pflag parses them."""
    positionals: list[str] = []
    stacks: list[tuple[str, str]] = []
    index = 0

    def next_value(flag: str) -> str:
        nonlocal index
        if index >= len(args):
            raise Refused(f"{flag} needs a value")
        index += 1
        return args[index - 1]

    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":  # pflag: everything after it is an argument
            positionals.extend(args[index:])
            break
        if arg.startswith("--"):
            name, has_value, value = arg[2:].partition("=")
            if name in REFUSED_FLAGS:
                raise Refused(f"does not take --{name}: it {REFUSED_FLAGS[name]}. {ELSEWHERE}")
            if name == "stack":
                stacks.append((value if has_value else next_value(arg), arg))
            elif name in VALUE_FLAGS and not has_value:
                next_value(arg)
            continue
        if arg.startswith("-") and len(arg) > 1:
            # A group of one-letter flags (`-ysdev`): pflag reads letters as switches until one takes a value,
            # which is the rest of the group (after an optional `=`) or else the next argument. Whether a letter
            # takes a value depends on the command (`-c` is --config of `up` but --create of `stack select`), so
            # every letter but `s` is read as a switch here: an `s` is found wherever pflag could see one (at
            # worst inside a value, and then the guard refuses, saying so).
            letters = arg[1:].split("=", 1)[0]
            if "C" in letters.split("s", 1)[0]:
                raise Refused(f"does not take -C: it {REFUSED_FLAGS['cwd']}. {ELSEWHERE}")
            if "s" in letters:
                rest = arg[1 + letters.index("s") + 1:]
                stacks.append((rest.removeprefix("=") if rest else next_value(arg), arg))
            elif "=" not in arg and (letters[-1:] == "v" or (positionals and positionals[0] in UPDATES
                                                              and letters[-1:] in UPDATE_VALUE_LETTERS)):
                next_value(arg)  # `-v 3` (pulumi's --verbose), `up -m "why"`: a value, not an argument
            continue
        positionals.append(arg)
    return positionals, stacks


def main(argv: list[str]) -> int:
    try:
        check(argv)
    except Refused as refusal:
        print(f"dev-pulumi: {refusal}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
