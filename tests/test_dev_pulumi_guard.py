"""How `scripts/dev-pulumi` reads a command line (scripts/lib/dev_pulumi_guard.py), as pulumi's flag parser does:
the forms a stack can be named in, and the values that only look like flags. Through the real script and CLI, in
every form: tests/cli/test_dev_helpers.py."""

from __future__ import annotations

import shlex
from types import ModuleType

import pytest

from tests.support.modules import module_at


def guard() -> ModuleType:
    return module_at("scripts/lib/dev_pulumi_guard.py")


@pytest.mark.parametrize("line", [
    "preview --diff", "up --yes --skip-preview", "up -y -m 'a message'", "up -ym message", "up --message stack",
    "-v 3 preview", "--color never preview", "-s dev preview", "preview -sdev", "preview -s=dev", "preview --stack=dev",
    "preview -ysdev", "stack", "stack ls", "stack output connections --show-secrets", "stack select dev",
    "stack rm dev --yes --preserve-config", "config set --secret --path apiKeys.marketing-us KEY", "cancel dev",
    "destroy --yes", "refresh --yes", "state delete urn",
])
def test_lines_that_stay_on_the_dev_stack_pass(line: str) -> None:
    guard().check(shlex.split(line))


@pytest.mark.parametrize(("line", "said"), [
    ("stack init prod", "not 'prod'"), ("stack init", "without a name"), ("stack select -csprod", "not 'prod'"),
    ("up -ys prod", "not 'prod'"), ("up -ys=prod", "not 'prod'"), ("up --stack dev --stack prod", "not 'prod'"),
    ("up -- prod", "takes no argument"), ("stack rm -- prod", "not 'prod'"), ("preview --stack", "needs a value"),
    ("config cp -d prod", "config cp"), ("state move --dest prod", "state move"), ("stack rename prod", "stack rename"),
    ("-C /elsewhere up", "another project"), ("up --config-file x.yaml", "another stack file"),
    ("new python", "not 'new'"), ("login s3://bucket", "not 'login'"), ("cancel prod", "not 'prod'"),
    ("up -mships", "spell that flag out"),
])
def test_lines_that_could_reach_another_stack_are_refused_saying_why(line: str, said: str) -> None:
    module = guard()
    with pytest.raises(module.Refused, match=said.replace("(", r"\(")):
        module.check(shlex.split(line))
