"""The acceptance suite's open questions stay in step with the emulator's README: every choice listed there
names the question the acceptance report answers it under, or why the API cannot settle it, and every question
is settled by a step that exists."""

from __future__ import annotations

import re

from acceptance.questions import BY_KEY, QUESTIONS
from acceptance.run import ORDER, steps_in_order
from tests.support.emulator import REPO_ROOT

README = (REPO_ROOT / "fivetran_emulator" / "README.md").read_text()
# A question of the suite's own, not a choice of the emulator's.
NOT_EMULATOR_CHOICES = {"config-fields"}


def choices() -> list[str]:
    section = README.split("## Choices where the real API is unverified", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- .*?(?=^- |^\S|\Z)", section, re.MULTILINE | re.DOTALL)


def test_every_choice_of_the_emulator_says_how_the_acceptance_suite_settles_it() -> None:
    assert len(choices()) > 25
    for choice in choices():
        brackets = re.findall(r"\[([^\]]+)\]\s*$", choice.strip())
        assert brackets, f"this choice names no question of the acceptance suite: {choice[:80]}"
        for key in re.findall(r"`([a-z-]+)`", brackets[0]):
            assert key in BY_KEY, f"the README names '{key}', which is no question of the suite"


def test_every_question_is_in_the_readme_and_settled_by_a_step_or_named_uncheckable() -> None:
    mentioned = set(re.findall(r"`([a-z]+(?:-[a-z]+)+|ids|schedule|tables|headers|paging)`", README))
    steps = {step.name for step in steps_in_order()}
    assert steps == set(ORDER)
    for question in QUESTIONS:
        assert (question.step is None) != (question.not_checkable is None), question.key
        assert question.step is None or question.step in steps, question.key
        assert question.key in mentioned or question.key in NOT_EMULATOR_CHOICES or question.not_checkable, (
            f"question '{question.key}' is not named in the emulator's README")
