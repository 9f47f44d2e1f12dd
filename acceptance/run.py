"""One acceptance run from start to report: the target, the guard, the throwaway project, every step in
order, and the clean-up that always follows, also after a failed step or a SIGINT/SIGTERM.
"""

from __future__ import annotations

import importlib.metadata
import secrets
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TextIO

import pulumi_fivetran_iterable

from . import features, lifecycle, probes, schema_read
from .cleanup import Swept, sweep
from .context import STEPS, Names, Redactor, Run, Step, StepFailed, StepSkipped, new_run_id
from .fivetran import ApiError, FivetranApi
from .guard import Entry, Guard, Rules
from .project import PulumiProject
from .report import FAILED, PASSED, SKIPPED, Outcome, Report, duration, requests_line
from .target import Target, resolve

# The step modules register their steps on import; this is the order they run in.
_MODULES = (lifecycle, features, schema_read, probes)
ORDER = ("preflight", "validation", "create", "schema-config", "schema-read", "no-change", "update", "drift",
         "resync", "resync-tables", "replace", "replace-naming", "adoption-refused", "adoption", "failing-key-create",
         "failing-key-warn", "key-rollback", "connect-card", "unpause-order", "no-change-all", "api-probes", "delete")
EXIT_INTERRUPTED = 130


class Interrupted(BaseException):
    """SIGINT or SIGTERM: stop the steps, clean up, report. (A BaseException, so no step swallows it.)"""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


@contextmanager
def _signals(handler: Callable[[int, FrameType | None], None] | signal.Handlers) -> Iterator[None]:
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def steps_in_order() -> list[Step]:
    by_name = {s.name: s for s in STEPS}
    assert set(by_name) == set(ORDER), f"steps and ORDER disagree: {set(by_name) ^ set(ORDER)}"
    return [by_name[name] for name in ORDER]


def run_suite(group_id: str, environ: Mapping[str, str], *, max_requests: int, out: TextIO) -> int:
    started = time.monotonic()
    run_id = new_run_id()
    names = Names.for_run(run_id)
    redact = Redactor()
    report = Report(redact, out)
    interrupted: str | None = None
    with _signals(_interrupt):
        target = resolve(environ, group_id)
        redact.add(target.api_key, target.api_secret)
        workdir = Path(tempfile.mkdtemp(prefix="fivetran-acceptance-"))
        guard: Guard | None = None
        run: Run | None = None
        try:
            guard = Guard(target.url, Rules(group_id, names.pattern, max_requests=max_requests))
            run = _new_run(target, guard, workdir, group_id, names, environ, redact)
            _header(report, target, run, group_id, run_id)
            interrupted = _steps(run, report)
        except Interrupted as signal_name:
            interrupted = str(signal_name)
        finally:
            with _signals(signal.SIG_IGN):  # the clean-up is not itself interrupted
                swept = _clean(run, guard, names)
                versions = _versions(run, target)
                entries = guard.entries() if guard else []
                if guard:
                    guard.close()
                target.stop()
                shutil.rmtree(workdir, ignore_errors=True)
    for name in ORDER[len(report.outcomes):]:
        report.add(Outcome(name, SKIPPED, 0.0, f"not run: interrupted by {interrupted}"))
    _tail(report, run, swept, versions, entries, time.monotonic() - started, interrupted)
    if interrupted:
        return EXIT_INTERRUPTED
    return 0 if report.counts()[FAILED] == 0 and not swept.failed and not swept.left else 1


def _new_run(target: Target, guard: Guard, workdir: Path, group_id: str, names: Names, environ: Mapping[str, str],
             redact: Redactor) -> Run:
    working_key = (environ.get("ACCEPTANCE_ITERABLE_API_KEY") or "").strip() or None
    if working_key is None and target.is_emulator_started_here:
        working_key = f"acc-itbl-{secrets.token_hex(10)}"  # the emulator passes any key not starting with "invalid"
    project = PulumiProject.create(workdir, api_url=guard.url, api_key=target.api_key, api_secret=target.api_secret)
    api = FivetranApi(guard.url, target.api_key, target.api_secret, group_id, pulumi_fivetran_iterable.__version__)
    run = Run(api=api, guard=guard, project=project, group_id=group_id, names=names, working_key=working_key,
              placeholder_key=f"acc-placeholder-{secrets.token_hex(10)}",
              invalid_key=f"invalid-acc-{secrets.token_hex(10)}", redact=redact)
    redact.add(project.passphrase, working_key, run.placeholder_key, run.invalid_key)
    return run


def _header(report: Report, target: Target, run: Run, group_id: str, run_id: str) -> None:
    report.say(f"acceptance: target {target.description}, group '{group_id}'")
    report.say(f"acceptance: run {run_id}: every connection it creates has a schema starting with "
               f"'{run.names.prefix}' (should a run be killed: scripts/acceptance --group {group_id} --cleanup "
               f"--run {run_id})")
    if run.working_key is None:
        report.say("acceptance: no ACCEPTANCE_ITERABLE_API_KEY: connections run no setup tests with a real key, and "
                   "the steps that need one are skipped")
    for note in target.notes:
        report.say(f"acceptance: note: {note}")


def _steps(run: Run, report: Report) -> str | None:
    """Run every step in order; the signal's name when one interrupted them."""
    status: dict[str, str] = {}
    for step in steps_in_order():
        missing = [need for need in step.needs if status.get(need) != PASSED]
        if missing:
            detail = f"needs {', '.join(missing)}, which did not pass"
            status[step.name] = SKIPPED
            report.add(Outcome(step.name, SKIPPED, 0.0, detail))
            continue
        mark, answers, started = run.guard.mark(), run.answers.mark(), time.monotonic()
        try:
            result, detail = PASSED, step.run(run) or ""
        except StepSkipped as skipped:
            result, detail = SKIPPED, str(skipped)
        except (StepFailed, ApiError) as failure:
            result, detail = FAILED, str(failure)
        except Interrupted as signal_name:
            report.add(Outcome(step.name, FAILED, time.monotonic() - started, f"interrupted by {signal_name}"))
            return str(signal_name)
        except Exception as error:  # a defect of the suite itself, or an answer it did not expect
            result, detail = FAILED, f"unexpected {type(error).__name__}: {error}"
        refused = [e for e in run.guard.entries(mark) if e.refused]
        differing = run.answers.differing(answers)
        if refused:
            result, detail = FAILED, f"the guard refused {len(refused)} request(s) ({refused[0]}); {detail}"
        elif differing and result == PASSED:
            result, detail = FAILED, "; ".join(differing)
        status[step.name] = result
        report.add(Outcome(step.name, result, time.monotonic() - started, detail))
    return None


def _clean(run: Run | None, guard: Guard | None, names: Names) -> Swept:
    if run is None or guard is None:
        return Swept()  # nothing was sent yet
    return sweep(run.api, guard, names, run.gone)


def _versions(run: Run | None, target: Target) -> str:
    cli = run.project.cli_version() if run else "unknown"
    return (f"versions: pulumi-fivetran-iterable {pulumi_fivetran_iterable.__version__}; Pulumi CLI {cli}; "
            f"Pulumi Python SDK {importlib.metadata.version('pulumi')}; API {target.description}, "
            f"REST v1 (Accept: application/json;version=2)")


def _tail(report: Report, run: Run | None, swept: Swept, versions: str, entries: list[Entry], seconds: float,
          interrupted: str | None) -> None:
    if run is not None:
        report.say("open questions (what this account answered; the emulator's choice in brackets):")
        for line in run.answers.lines(report.status_of()):
            report.say(line)
    if swept.deleted:
        report.say(f"clean-up deleted: {', '.join(swept.deleted)}")
    for failure in swept.failed:
        report.say(f"clean-up failed: {failure}")
    left = "nothing" if not swept.left and not swept.failed else ", ".join(swept.left) or "unknown (see above)"
    report.say(f"left behind: {left}")
    report.say(versions)
    report.say(requests_line(entries))
    report.say(f"time: {duration(seconds)}" + (f"; interrupted by {interrupted}" if interrupted else ""))
    report.say(report.last_line())

