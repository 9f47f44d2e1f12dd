"""What the suite copies from the repository is what was committed, not what a user has since edited: the docs
invite editing `stacks/Pulumi.dev.yaml`, and `./scripts/test` must pass after it. Shown in a scratch repository
made from this one's last commit, whose stack file and program are then edited in its working tree."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.committed import export_committed

GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"]


def test_a_clone_and_a_stack_project_take_the_committed_files_not_the_edited_ones(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    export_committed(repo)
    for command in (["init", "--quiet"], ["add", "-A"], ["commit", "--quiet", "-m", "as committed"]):
        subprocess.run([*GIT, *command], cwd=repo, check=True, capture_output=True, timeout=120)
    stack_file = repo / "stacks" / "Pulumi.dev.yaml"
    committed = stack_file.read_text()
    assert "sync_frequency: 60\n" in committed
    # What the guide invites: a schedule changed in the stack file, and an edit of the program, not committed.
    stack_file.write_text(committed.replace("sync_frequency: 60\n", "sync_frequency: 30\n", 1))
    (repo / "__main__.py").write_text("raise SystemExit('an edit in progress')\n")

    code = textwrap.dedent('''
        import sys
        from pathlib import Path
        from tests.support.clone import Clone
        from tests.support.committed import committed_text, copy_committed
        target = Path(sys.argv[1])
        clone = Clone.make(target / "clone")
        print((clone.root / "stacks" / "Pulumi.dev.yaml").read_text() == committed_text("stacks/Pulumi.dev.yaml"))
        program = copy_committed("__main__.py", target / "project" / "__main__.py")
        print(program.read_text() == committed_text("__main__.py"))
        print("sync_frequency: 60" in (clone.root / "stacks" / "Pulumi.dev.yaml").read_text())
    ''')
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=repo, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"], done.stdout
    assert "an edit in progress" not in (tmp_path / "project" / "__main__.py").read_text()
