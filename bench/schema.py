"""What declaring a schema config costs: requests per schema change, and the preview cost of connections that
declare every table and column, against the same connections without one, in the same run.

    venv/bin/python -m bench.schema          # this section alone (about 40 s), table on stdout

Figures:
- requests each schema operation sends through the provider (the emulator's log), beside the least the API
  allows (one whole-schema PATCH per change, whatever the number of items);
- the provider's own check + diff per connection, in process, with the full declaration vs without (ratio);
- `pulumi preview` of a stack of N connections that each declare every table and column vs the same stack
  without (interleaved runs, medians, ratio), and the API requests those previews send (none).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi_fivetran_iterable.catalog import TABLES, column_locked_reason  # noqa: E402

from bench.cli_scale import log  # noqa: E402
from bench.overhead import checked, make_provider, program  # noqa: E402
from tests.support.emulator import Emulator, start_emulator  # noqa: E402
from tests.support.stack import StackProject, connection  # noqa: E402


def full_declaration() -> dict[str, Any]:
    """Every Iterable table and every column Fivetran lets a user change, each with a setting: the largest
    schema config a program can declare (list_user_history blocked, every email column hashed)."""
    tables: dict[str, Any] = {}
    for name, table in TABLES.items():
        columns = {column: {"enabled": True, "hashed": column == "email"} for column in table.columns
                   if column_locked_reason(table, column) is None}
        tables[name] = {"enabled": name != "list_user_history", "columns": columns}
    return {"schema_change_handling": "ALLOW_COLUMNS", "tables": tables}


def _flipped(declaration: dict[str, Any]) -> dict[str, Any]:
    """The same declaration with every column's `hashed` flipped: the largest change one `up` can make."""
    return {**declaration, "tables": {
        name: {**table, "columns": {c: {**s, "hashed": not s["hashed"]} for c, s in table["columns"].items()}}
        for name, table in declaration["tables"].items()}}


def _items(declaration: dict[str, Any]) -> int:
    return sum(1 + len(table.get("columns") or {}) for table in declaration["tables"].values())


def requests_per_schema_operation(emulator: Emulator) -> dict[str, Any]:
    """Each schema operation once through the provider; the requests it sent, from the emulator's log."""
    provider = make_provider(emulator)
    full = full_declaration()
    sent: dict[str, list[str]] = {}

    def record(name: str, action: Any) -> Any:
        before = len(emulator.requests())
        result = action()
        sent[name] = [f"{r['method']} {_generic(r['path'])}" for r in emulator.requests()[before:]]
        return result

    news = checked(provider, {**program("bench_schema"), "schema_config": full})
    created = record("create with a full schema config", lambda: provider.create(news))
    outs = {**created.outs, "__provider": "serialized"}
    record("create with a full schema config, declared paused",
           lambda: provider.create(checked(provider, {**program("bench_schema_paused"), "paused": True,
                                                       "schema_config": full})))
    emulator.api("POST", f"/connections/{created.id}/sync", {})  # Fivetran reads the schema
    one = _flipped({**full, "tables": {"user_history": full["tables"]["user_history"]}})["tables"]
    one["user_history"]["columns"] = {"email": one["user_history"]["columns"]["email"]}
    one_changed = {**full, "tables": {**full["tables"], **one}}
    news_one = checked(provider, {**program("bench_schema"), "schema_config": one_changed})
    updated = record("change one column", lambda: provider.update(created.id, outs, news_one))
    outs = {**updated.outs, "__provider": "serialized"}
    news_all = checked(provider, {**program("bench_schema"), "schema_config": _flipped(one_changed)})
    updated = record(f"change every column ({_items(full) - len(full['tables'])} items)",
                     lambda: provider.update(created.id, outs, news_all))
    outs = {**updated.outs, "__provider": "serialized"}
    record("refresh", lambda: provider.read(created.id, outs))
    news_resync = {**news_all, "resync": {"trigger": "bench", "tables": ["event"]}}
    record("re-sync of one table", lambda: provider.update(created.id, outs, news_resync))
    record("no change (preview)", lambda: provider.diff(created.id, outs, news_all))
    return {"requests": sent, "declared_items": _items(full), "least_per_change": 1}


def _generic(path: str) -> str:
    parts = path.removeprefix("/v1").split("/")
    if len(parts) > 2 and parts[1] == "connections":
        parts[2] = "{id}"
    return "/".join(parts)


def check_diff_in_process(rounds: int = 300) -> dict[str, Any]:
    """The provider's check + diff of one no-change connection, with the full declaration and without."""
    from pulumi_fivetran_iterable.provider import IterableConnectionProvider

    provider = IterableConnectionProvider()
    result: dict[str, Any] = {}
    for label, extra in (("without", {}), ("full", {"schema_config": full_declaration()})):
        news = {**program("bench_cost"), **extra}
        stored = {**provider.check({}, news).inputs, "service": "iterable", "__provider": "serialized"}
        samples = []
        for _ in range(rounds):
            started = time.perf_counter_ns()
            checked_inputs = provider.check(stored, news).inputs
            diff = provider.diff("id", stored, {**checked_inputs, "__provider": "serialized"})
            samples.append((time.perf_counter_ns() - started) / 1e6)
            assert diff.changes is False
        result[label] = statistics.median(samples)
    result["ratio"] = result["full"] / result["without"]
    return {"median_ms": {k: round(v, 4) for k, v in result.items() if k != "ratio"},
            "ratio": round(result["ratio"], 2), "rounds": rounds}


def preview_cost(tmp: Path, emulator: Emulator, connections: int = 15, rounds: int = 3) -> dict[str, Any]:
    """`pulumi preview` of N connections declaring every table and column vs N without, interleaved."""
    full = full_declaration()
    projects = {}
    for label, extra in (("without", {}), ("full", {"schema_config": full})):
        project = StackProject.create(tmp / label, emulator)
        entries = [connection(f"{label}-{i}", paused=True, **extra) for i in range(connections)]
        project.declare_many(entries, {e["name"]: f"itbl-key-{label}-{i}" for i, e in enumerate(entries)})
        log(f"   setup: up of {connections} connections ({label} schema config)")
        project.up().check()
        projects[label] = project
    times: dict[str, list[float]] = {"without": [], "full": []}
    requests = {"without": 0, "full": 0}
    for _ in range(rounds):
        for label, project in projects.items():
            before = len(emulator.requests())
            started = time.monotonic()
            result = project.preview("--expect-no-changes", "--refresh=false").check()  # the engine path alone
            times[label].append(time.monotonic() - started)
            requests[label] += len(emulator.requests()) - before
            assert result.ok
    medians = {label: statistics.median(values) for label, values in times.items()}
    return {"connections": connections, "rounds": rounds, "declared_items_per_connection": _items(full),
            "median_s": {k: round(v, 2) for k, v in medians.items()},
            "ratio": round(medians["full"] / medians["without"], 2), "api_requests": requests}


def measure(tmp: Path, emulator: Emulator, connections: int = 15, rounds: int = 3) -> dict[str, Any]:
    emulator.reset()
    figures = {"requests": requests_per_schema_operation(emulator), "check_diff": check_diff_in_process()}
    emulator.reset()
    figures["preview"] = preview_cost(tmp, emulator, connections, rounds)
    return figures


def table_lines(section: dict[str, Any], number: int = 5) -> list[str]:
    r, cd, p = section["requests"], section["check_diff"], section["preview"]
    lines = [f"{number}. Schema config: requests per schema operation (least the API allows per change: "
             f"{r['least_per_change']}; the full declaration has {r['declared_items']} tables and columns)"]
    for operation, sent in r["requests"].items():
        lines.append(f"   {operation:<52} {len(sent):>2}  {', '.join(sent) or '-'}")
    lines += [
        f"   provider check + diff of one connection, in process (median of {cd['rounds']}): full declaration "
        f"{cd['median_ms']['full']:.3f} ms vs none {cd['median_ms']['without']:.3f} ms, ratio {cd['ratio']:.2f}",
        f"   pulumi preview of {p['connections']} connections (median of {p['rounds']}, interleaved): each with the "
        f"full declaration {p['median_s']['full']:.2f} s vs none {p['median_s']['without']:.2f} s, ratio "
        f"{p['ratio']:.2f}; API requests {p['api_requests']['full']} and {p['api_requests']['without']}",
    ]
    return lines


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-schema-") as tmp, \
            start_emulator("--group", "warehouse_main:Main warehouse", "--create-limit", "0") as emulator:
        section = measure(Path(tmp), emulator)
    print("\n".join(table_lines(section)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
