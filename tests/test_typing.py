"""The package's types, as a user's type checker sees them: `mypy --strict` passes a program written against
the installed package, and reports a misspelled config key and an enum value that does not exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PROGRAM = Path(__file__).parent / "typing" / "program.py"


def mypy(path: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--cache-dir", str(cache), str(path)],
        cwd=path.parent, capture_output=True, text=True, timeout=300, check=False,
    )


def test_a_program_written_against_the_package_type_checks_strictly(tmp_path: Path) -> None:
    done = mypy(PROGRAM, tmp_path / "cache")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_misspelled_config_key_and_a_wrong_enum_value_are_type_errors(tmp_path: Path) -> None:
    source = PROGRAM.read_text()
    bad = source.replace('"events": [', '"evnts": [').replace('account_region="US"', 'account_region="XX"')
    assert bad.count("evnts") == 1 and bad.count('"XX"') == 1
    copy = tmp_path / "program.py"
    copy.write_text(bad)
    lines = bad.splitlines()

    done = mypy(copy, tmp_path / "cache")

    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 2, done.stdout + done.stderr
    config_error, enum_error = errors
    config_line = int(re.search(r":(\d+): error", config_error)[1])  # type: ignore[index]
    assert lines[config_line - 1].strip() == "config={" and 'Argument "config"' in config_error
    assert 'Argument "account_region"' in enum_error and "Literal['XX']" in enum_error
