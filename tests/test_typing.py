"""The package's types, as a user's type checker sees them: `mypy --strict` passes a program written against
the installed package, and names a misspelled key and an enum value that does not exist, in an inline dict
literal (`config`, `schedule`, `schema_config`) as in an args class."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROGRAM = Path(__file__).parent / "typing" / "program.py"


def mypy(path: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--cache-dir", str(cache), str(path)],
        cwd=path.parent, capture_output=True, text=True, timeout=300, check=False,
    )


def test_a_program_written_against_the_package_type_checks_strictly(tmp_path: Path) -> None:
    done = mypy(PROGRAM, tmp_path / "cache")
    assert done.returncode == 0, done.stdout + done.stderr


# One mistake each, in an inline dict literal (as the README writes `config`) or in an args class: (what the
# program says, what the mistake makes it say, what mypy's one error must name).
MISTAKES = {
    "config key": ('"events": [', '"evnts": [', 'Extra key "evnts" for TypedDict "IterableConfigArgsDict"'),
    "config enum value": ('"historical_sync_limit": "DATE_LIMIT"', '"historical_sync_limit": "DATE_LIMT"',
                          """expression has type "Literal['DATE_LIMT']", TypedDict item "historical_sync_limit\""""),
    "schedule key": ('"interval": 360', '"intervall": 360', 'Extra key "intervall" for TypedDict "ScheduleArgsDict"'),
    "schedule enum value": ('["MONDAY", "THURSDAY"]', '["MONDAY", "THURSDAI"]',
                            """List item 1 has incompatible type "Literal['THURSDAI']\""""),
    "schema_config key": ('"tables": {"list', '"tabels": {"list',
                          'Extra key "tabels" for TypedDict "SchemaConfigArgsDict"'),
    "schema_config enum value": ('"ALLOW_COLUMNS"', '"ALLOW_COLUMS"',
                                 """expression has type "Literal['ALLOW_COLUMS']", TypedDict item """
                                 '"schema_change_handling"'),
    "args class enum value": ('account_region="US"', 'account_region="XX"',
                              """expression has type "Literal['XX']", TypedDict item "account_region\""""),
    "args class key": ('time_of_day="03:00"', 'time_of_dya="03:00"',
                       'Extra key "time_of_dya" for TypedDict "ScheduleArgs"'),
}


@pytest.mark.parametrize("mistake", MISTAKES, ids=list(MISTAKES))
def test_a_misspelled_key_or_a_wrong_enum_value_is_the_one_error_and_named(tmp_path: Path, mistake: str) -> None:
    good, bad, named = MISTAKES[mistake]
    source = PROGRAM.read_text()
    assert source.count(good) == 1, good
    copy = tmp_path / "program.py"
    copy.write_text(source.replace(good, bad))

    done = mypy(copy, tmp_path / "cache")

    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and named in errors[0], done.stdout + done.stderr
