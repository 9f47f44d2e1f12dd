"""The performance benchmark, in one command (from the repository root):

    venv/bin/python -m bench.run             # prints the table, writes bench/results/latest.json
    venv/bin/python -m bench.run --record    # also keeps a copy as bench/results/<date>-<machine>.json
    venv/bin/python -m bench.run --quick     # a smaller, faster pass (10 and 30 connections) to try changes

It installs nothing. It needs the venv (`scripts/setup-venv`) and the Pulumi CLI (`pulumi` on PATH or
`.tools/bin/pulumi`, built by `scripts/install-pulumi`), and starts its own emulators on free loopback
ports. It takes about five minutes on 2 cores; every figure is a ratio or a count taken side by side in the
same run, so a busy or slow machine moves the absolute times but much less the figures.

1. Provider overhead   (bench/overhead.py)  create/read/update/delete vs the bare HTTP requests they need.
2. Preview and no-op up (bench/cli_scale.py) 10, 100, 300 connections through the real CLI; plus the
                        provider's own check/diff time per resource (bench/checkdiff.py).
3. Bulk create         (bench/bulk.py)      60 creates at 20 per 10 s, against a floor; and a
                        Terraform-like client (bench/gofivetran_like.py) under the same limit.
4. Memory              peak RSS of the provider process (`python -m pulumi.dynamic`) at 300 connections.
5. Schema config       (bench/schema.py)    requests per schema operation; check/diff and `pulumi preview`
                        of connections declaring every table and column, against the same without.
6. Floor               (bench/floor.py)     up of new connections, preview, no-change up and refresh against a
                        null dynamic provider with the same inputs, at 10, 100, 300 and 1,000 connections.
7. Latency             (bench/latency.py)   preview with drift, refresh and an update of every connection with
                        0.2 s and 0.1 s added to every request, at 100 and 1,000 connections: requests, and how
                        many the run kept in flight against the engine's --parallel 8 and 16.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: `venv/bin/python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import bulk, checkdiff, cli_scale, floor, latency, machine, overhead, schema  # noqa: E402
from bench.cli_scale import log  # noqa: E402
from tests.support.emulator import start_emulator  # noqa: E402
from tests.support.pulumi_cli import PulumiCliNotFound, find_pulumi  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
GOALS = {
    "overhead_ratio_max": 1.3,
    "preview_and_noop_up_api_requests": 0,
    "check_diff_median_ms_max": 2.0,
    "bulk_ratio_to_floor_max": 1.15,
    "bulk_failed_creates": 0,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", action="store_true",
                        help="also write bench/results/<date>-<machine>.json (the run to commit)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for trying changes (not comparable)")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json", help="where to write the JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects and stacks")
    parser.add_argument("--table", type=Path, metavar="JSON", help="only print the table of an earlier run's JSON")
    args = parser.parse_args(argv)
    if args.table:
        print(table(json.loads(args.table.read_text())))
        return 0

    try:
        pulumi = find_pulumi()
    except PulumiCliNotFound as missing:
        print(f"bench: {missing}", file=sys.stderr)
        return 2

    started = time.monotonic()
    sizes = (10, 30) if args.quick else (10, 100, 300)
    repeats = {10: 1, 30: 1} if args.quick else {10: 3, 100: 3, 300: 2}
    pairs = 50 if args.quick else 300
    facts = machine.facts(pulumi)
    command = "venv/bin/python -m bench.run" + (" --quick" if args.quick else "") + (" --record" if args.record else "")
    report: dict[str, Any] = {"command": command, "machine": facts, "goals": GOALS}
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        with start_emulator("--group", "warehouse_main:Main warehouse", "--create-limit", "0") as emulator:
            log(f"[{_t(started)}] 1. provider overhead ({pairs} pairs per operation)")
            report["overhead"] = overhead.measure(emulator, pairs=pairs)
            log(f"[{_t(started)}] 2. preview and no-op up at {', '.join(map(str, sizes))} connections")
            scale, project, declared = cli_scale.measure(tmp / "scale", emulator, sizes, repeats)
            report["preview_noop_up"] = scale
            log(f"[{_t(started)}]    check/diff per resource on the {sizes[-1]}-connection stack's bags")
            resources = checkdiff.bags(project, declared, {c["name"]: cli_scale.api_key(c["name"]) for c in declared})
            config = {"fivetran:apiKey": emulator.api_key, "fivetran:apiSecret": emulator.api_secret,
                      "fivetran:apiUrl": emulator.base_url, "fivetran:createLimit": "0"}
            report["check_diff"] = {"in_process": checkdiff.in_process(resources),
                                    "over_grpc": checkdiff.over_grpc(resources, config)}
            largest = scale["by_size"][str(sizes[-1])]
            report["memory"] = {
                "connections": sizes[-1],
                "provider_peak_rss_mib": max(p["peak_rss_mib"] for p in largest["provider_process"].values()),
                "provider_peak_rss_mib_by_run": {k: v["peak_rss_mib"] for k, v in largest["provider_process"].items()},
                "program_peak_rss_mib_by_run": {k: v["peak_rss_mib"] for k, v in largest["program_process"].items()},
                "provider_peak_rss_mib_by_size": {n: max(p["peak_rss_mib"] for p in s["provider_process"].values())
                                                  for n, s in scale["by_size"].items()},
            }
            log(f"[{_t(started)}] 5. schema config: requests per operation, preview cost of a full declaration")
            report["schema_config"] = schema.measure(tmp / "schema", emulator, rounds=1 if args.quick else 3)
        log(f"[{_t(started)}] 3. bulk create: 60 connections at 20 per 10 s")
        report["bulk"] = {"provider": bulk.provider_up(tmp / "bulk"), "gofivetran_like": None}
        log(f"[{_t(started)}]    the Terraform-like client under the same limit")
        report["bulk"]["gofivetran_like"] = bulk.gofivetran_comparison()
        floor_sizes = (10, 30) if args.quick else (10, 100, 300, 1000)
        log(f"[{_t(started)}] 6. against a null provider at {', '.join(map(str, floor_sizes))} connections")
        report["floor"] = floor.measure(tmp / "floor", floor_sizes)
        latency_sizes = (10, 30) if args.quick else (100, 1000)
        log(f"[{_t(started)}] 7. at the real API's latency, {', '.join(map(str, latency_sizes))} connections")
        report["latency"] = latency.measure(tmp / "latency", latency_sizes, latency.LATENCIES, latency.PARALLELS,
                                            rounds=1 if args.quick else None)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"kept {tmp}")
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["total_s"] = round(time.monotonic() - started, 1)
    report["verdicts"] = verdicts(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"\nfigures written to {_rel(args.out)}")
    if args.record:
        dated = RESULTS / f"{facts['date_utc'][:10]}-{machine.slug(facts)}.json"
        dated.write_text(json.dumps(report, indent=2) + "\n")
        print(f"recorded as {_rel(dated)}")
    return 0


def _t(started: float) -> str:
    return f"{time.monotonic() - started:5.0f} s"


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def verdicts(report: dict[str, Any]) -> dict[str, bool]:
    ops = report["overhead"]["operations"]
    by_size = report["preview_noop_up"]["by_size"]
    cd = report["check_diff"]["in_process"]
    bulk_figures = report["bulk"]["provider"]
    return {
        "overhead_ratio": all(o["ratio"] <= GOALS["overhead_ratio_max"] for o in ops.values()),
        "zero_requests_preview_noop_up": all(
            s["api_requests"]["preview"] == 0 and s["api_requests"]["noop_up"] == 0 for s in by_size.values()),
        "check_diff_under_2ms": cd["check"]["median_ms"] < 2 and cd["diff"]["median_ms"] < 2,
        "bulk_ratio": bulk_figures["ratio_to_floor"] <= GOALS["bulk_ratio_to_floor_max"],
        "bulk_no_failures": bulk_figures["up_succeeded"] and bulk_figures["failed_creates"] == 0,
    }


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def table(r: dict[str, Any]) -> str:
    m, v = r["machine"], r["verdicts"]
    o1 = r["overhead"]
    lines = [
        f"Benchmark: {r['command']}",
        f"machine: {m['cpu_model']}, {m['logical_cpus']} logical CPUs, {m['ram_gib']} GiB RAM, {m['os']}, "
        f"Python {m['python']}, Pulumi CLI {m['pulumi_cli']}, SDK {m['pulumi_sdk']}",
        f"load average start/end: {m['load_average_at_start']} / {m['load_average_at_end']}; "
        f"total {r['total_s']:.0f} s",
        "",
        f"1. Provider overhead vs the same HTTP requests sent bare (emulator on loopback, "
        f"{o1['operations']['read']['pairs']} interleaved pairs each; goal ratio <= 1.3)",
        f"   {'op':<7} {'requests':>8} {'min':>4} {'provider ms':>12} {'bare ms':>8} {'overhead ms':>12} "
        f"{'ratio':>6} {'pairwise':>9}",
    ]
    for op, o in o1["operations"].items():
        lines.append(f"   {op:<7} {o['requests_per_operation']!s:>8} {o1['min_requests'][op]:>4} "
                     f"{o['provider_median_ms']:>12.3f} {o['bare_median_ms']:>8.3f} {o['overhead_median_ms']:>12.3f} "
                     f"{o['ratio']:>6.2f} {o['ratio_pairwise_median']:>9.2f}")
    create = o1["operations"]["create"]
    lines += [f"   [{_mark(v['overhead_ratio'])}] create sends {', '.join(o1['requests_sent']['create'])}",
              f"   create vs the one request it needs (the POST alone, {create['minimum_bare_median_ms']:.3f} ms): "
              f"ratio {create['ratio_to_minimum']:.2f}"]
    s = r["preview_noop_up"]
    lines += ["", "2. Preview and no-change up through the real CLI (median of "
              + ", ".join(f"{k}: {n}" for k, n in s["rounds"].items()) + " runs)",
              f"   {'run':<8} {'conns':>5} {'wall s':>7} {'API req':>8} {'CPU s: all':>11} {'provider':>9} "
              f"{'program':>8} {'provider procs':>15} {'provider peak MiB':>18}"]
    for kind, label in (("preview", "preview"), ("noop_up", "no-op up")):
        for n, row in s["by_size"].items():
            prov, prog = row["provider_process"][kind], row["program_process"][kind]
            lines.append(f"   {label:<8} {n:>5} {row[kind + '_s']['median']:>7.2f} {row['api_requests'][kind]:>8} "
                         f"{row['cpu_all_processes_s'][kind]:>11.2f} {prov['cpu_s']:>9.2f} {prog['cpu_s']:>8.2f} "
                         f"{prov['count']:>15} {prov['peak_rss_mib']:>18.1f}")
    lines.append(f"   [{_mark(v['zero_requests_preview_noop_up'])}] zero API requests")
    for kind, label in (("preview", "preview"), ("noop_up", "no-op up")):
        g = s["growth"][kind]
        ratio_key = next(k for k in g if k.startswith("ratio_"))
        steps = ", ".join(f"{k}: {x:.1f}" for k, x in g["marginal_ms_per_connection_by_step"].items())
        cpu = s["cpu_marginal_ms_per_connection"][kind]
        lines.append(f"   growth, {label}: {g['fit_slope_s_per_100']:+.2f} s per 100 connections (least squares); "
                     f"{g['marginal_ms_per_connection']:.1f} ms per added connection ({steps}); "
                     f"{ratio_key.replace('ratio_', '').replace('_to_', '/')}: {g[ratio_key]:.2f}x")
        lines.append(f"      CPU per added connection: all processes {cpu['all']:.1f} ms, "
                     f"provider {cpu['provider']:.2f} ms, program {cpu['program']:.1f} ms")
    cd, grpc = r["check_diff"]["in_process"], r["check_diff"]["over_grpc"]
    lines += [
        f"   provider's own time per call ({cd['resources']} bags from the stack x {cd['rounds']} rounds, in process): "
        f"check median {cd['check']['median_ms']:.3f} ms (p95 {cd['check']['p95_ms']:.3f}), "
        f"diff median {cd['diff']['median_ms']:.3f} ms (p95 {cd['diff']['p95_ms']:.3f})   "
        f"[{_mark(v['check_diff_under_2ms'])}]",
        f"   the same calls through the SDK's gRPC provider server (round trip): check median "
        f"{grpc['check']['median_ms']:.3f} ms (p95 {grpc['check']['p95_ms']:.3f}), diff median "
        f"{grpc['diff']['median_ms']:.3f} ms (p95 {grpc['diff']['p95_ms']:.3f})",
    ]
    b, g = r["bulk"]["provider"], r["bulk"]["gofivetran_like"]
    parts = b["floor_parts_s"]
    tail = next(x for k, x in parts.items() if k.startswith("tail"))
    lines += [
        "",
        f"3. Bulk create: pulumi up of {b['connections']} new connections, emulator limit {b['emulator_limit']}, "
        f"fivetran:createLimit {b['stack_create_limit']}",
        f"   up {b['up_s']:.1f} s; floor {b['floor_s']:.1f} s = first create at {parts['first_create']:.1f} s "
        f"+ limit {b['limit_floor_s']:.0f} s + last 20 creates and end as fast as without limit {tail:.1f} s; "
        f"ratio {b['ratio_to_floor']:.3f} (goal <= 1.15)   [{_mark(v['bulk_ratio'])}]",
        f"   under the limit, 1st to 41st create {b['limited_run_first_to_create_41_s']:.2f} s (limit: "
        f"{b['limit_floor_s']:.0f} s); same up without limit {b['up_without_limit_s']:.1f} s (first create at "
        f"{b['first_create_without_limit_s']:.1f} s); looser floor {b['up_without_limit_s']:.1f} + "
        f"{b['limit_floor_s']:.0f} = {b['loose_floor_s']:.1f} s, ratio {b['ratio_to_loose_floor']:.3f}",
        f"   failed creates {b['failed_creates']} (up {'succeeded' if b['up_succeeded'] else 'FAILED'}, "
        f"{b['connections_in_fivetran']} in Fivetran, {b['connections_in_state']} in state); 429 replies "
        f"{b['rate_limited_replies']}; create POSTs {b['create_posts']}   [{_mark(v['bulk_no_failures'])}]",
        "   Terraform-like client (go-fivetran: sleeps Retry-After on a 429, gives up at the 4th, no throttle):",
    ]
    for row in g["variants"].values():
        lines.append(f"     {row['threads']:>3} threads, {row['creates']:>3} creates: "
                     f"{row['failed_creates']:>2} failed, "
                     f"{row['rate_limited_replies']:>3} 429 replies (at most {row['most_429s_for_one_create']} "
                     f"for one create), {row['wall_s']:.1f} s = {row['ratio_to_limit_floor']:.2f}x the "
                     f"{row['limit_floor_s']:.0f} s limit floor")
    mem = r["memory"]
    lines += [
        "",
        f"4. Memory: provider process peak RSS at {mem['connections']} connections: "
        f"{mem['provider_peak_rss_mib']:.1f} MiB (by run: "
        + ", ".join(f"{k} {x:.1f}" for k, x in mem["provider_peak_rss_mib_by_run"].items())
        + "; max by stack size: " + ", ".join(f"{k}: {x:.1f}" for k, x in mem["provider_peak_rss_mib_by_size"].items())
        + ")",
    ]
    if "schema_config" in r:  # runs recorded before schema config have no section 5
        lines += ["", *schema.table_lines(r["schema_config"])]
    if "floor" in r:  # nor section 6
        lines += ["", *floor.table_lines(r["floor"])]
    if "latency" in r:  # nor section 7
        lines += ["", *latency.table_lines(r["latency"])]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
