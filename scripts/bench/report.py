#!/usr/bin/env python3
"""Renders docs/BENCHMARKS.md from the results that scripts/bench/run.sh collected.

Input: a TSV file, one line per wrk run:
    backend  kind  connections  peak_rss_kib  BENCH_RESULT-json
(the JSON is what scripts/bench/common.lua's done() prints). Writes the Markdown report to
--markdown and prints the result tables to stdout.
"""

import argparse
import json
import sys

TARGET_RPS = 10_000
TARGET_RSS_MIB = 64
GENERIC_RPS = 500

BACKEND_TITLES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
KIND_ORDER = ["get_by_id", "list_50", "funding", "coverage", "create", "login"]
KIND_REQUESTS = {
    "get_by_id": "`GET /api/v1/municipalities/{id}` with a bearer token",
    "list_50": "`GET /api/v1/organisations?limit=50&active=true` with a bearer token "
    "(a filtered list of up to 50)",
    "funding": "`GET /api/v1/funding?year=2021` with a bearer token (the funding overview over "
    "the 17 demo positions' histories and the rates, computed per request)",
    "coverage": "`GET /api/v1/coverage?dimension=target_group` with a bearer token (the "
    "municipality × target group matrix over every demo offer, computed per request)",
    "create": "`POST /api/v1/municipalities` with a bearer token (admin) and a unique name "
    'per request, body `{"name":"Bench-…","kind":"town","rhine_side":"left"}`; expects 201',
    "login": "`POST /api/v1/auth/login` as admin (argon2 password hash: slow on purpose)",
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--results", required=True)
    p.add_argument("--idle-rss", required=True)
    p.add_argument("--notes", required=True)
    p.add_argument("--skipped", default="")
    p.add_argument("--date", required=True)
    p.add_argument("--nproc", required=True)
    p.add_argument("--uname", required=True)
    p.add_argument("--cpu", required=True)
    p.add_argument("--mem-kib", type=int, required=True)
    p.add_argument("--commit", required=True)
    p.add_argument("--busy", default="")
    p.add_argument("--wrk-version", default="")
    p.add_argument("--binary", default="target/release/kim")
    p.add_argument("--seconds", type=int, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--connections", type=int, required=True)
    p.add_argument("--login-connections", type=int, required=True)
    p.add_argument("--timeout", required=True)
    p.add_argument("--markdown", required=True)
    return p.parse_args()


def read_results(path):
    runs = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            backend, kind, connections, peak_kib, result = line.split("\t", 4)
            run = json.loads(result)
            run["connections"] = int(connections)
            run["peak_kib"] = int(peak_kib)
            runs.setdefault(backend, {})[kind] = run
    return runs


def read_idle(path):
    idle = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                idle[parts[0]] = int(parts[1])
    return idle


def mib(kib):
    return kib / 1024


def ms(us):
    return f"{us / 1000:.2f} ms"


def kinds_of(backend_runs):
    known = [k for k in KIND_ORDER if k in backend_runs]
    return known + sorted(k for k in backend_runs if k not in KIND_ORDER)


def failures(run):
    """Non-2xx responses, plus socket errors (connect, read, write, timeout) when there were any."""
    text = f"{run['non2xx']:,}"
    errors = run["socket_errors"]
    total = sum(errors.values())
    if total:
        detail = ", ".join(f"{n} {what}" for what, n in errors.items() if n)
        text += f" (+{total:,} socket errors: {detail})"
    return text


def table(backend_runs):
    lines = [
        "| kind | requests/s | p50 | p99 | non-2xx | peak RSS (MiB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in kinds_of(backend_runs):
        run = backend_runs[kind]
        lines.append(
            f"| {kind} | {run['rps']:,.0f} | {ms(run['p50_us'])} | {ms(run['p99_us'])} "
            f"| {failures(run)} | {mib(run['peak_kib']):.1f} |"
        )
    return lines


def statuses_line(backend_runs):
    parts = []
    for kind in kinds_of(backend_runs):
        run = backend_runs[kind]
        parts.append(
            f"{kind} ({run['connections']} connections): {run['requests']:,} requests, "
            f"{run['non2xx']:,} with status 400 or above"
        )
    return "Responses: " + "; ".join(parts) + "."


def verdicts(runs):
    """Lines saying whether the targets were met, per backend."""
    lines = [
        "| target | " + " | ".join(BACKEND_TITLES.get(b, b) for b in runs) + " |",
        "| --- | " + " | ".join("---" for _ in runs) + " |",
    ]

    def mark(ok):
        return "met" if ok else "**not met**"

    cells = []
    for backend_runs in runs.values():
        run = backend_runs.get("get_by_id")
        if run is None:
            cells.append("not measured")
            continue
        ok = run["rps"] >= TARGET_RPS and run["non2xx"] == 0
        cells.append(f"{run['rps']:,.0f} req/s: {mark(ok)}")
    lines.append(f"| ≥ {TARGET_RPS:,} authenticated get-by-id requests/s | " + " | ".join(cells) + " |")

    cells = []
    for backend_runs in runs.values():
        peak = max((r["peak_kib"] for k, r in backend_runs.items() if k != "login"), default=0)
        cell = f"{mib(peak):.1f} MiB: {mark(mib(peak) <= TARGET_RSS_MIB)}"
        login = backend_runs.get("login")
        if login is not None:
            cell += f" (during login: {mib(login['peak_kib']):.1f} MiB)"
        cells.append(cell)
    lines.append(
        f"| ≤ {TARGET_RSS_MIB} MiB peak RSS under load (all kinds but login) | "
        + " | ".join(cells)
        + " |"
    )
    return lines


def main():
    a = parse_args()
    runs = read_results(a.results)
    idle = read_idle(a.idle_rss)
    with open(a.notes, encoding="utf-8") as f:
        notes = [line.rstrip("\n") for line in f if line.strip()]

    out = []
    w = out.append
    w("# Benchmarks")
    w("")
    w("<!-- Generated by scripts/bench/run.sh (`make bench`). Do not edit by hand: run it again. -->")
    w("")
    w("How fast the KIM API answers and how much memory it needs under load, measured with")
    w("[wrk](https://github.com/wg/wrk) against the release build of `kim serve`, on SQLite and on")
    w("PostgreSQL. Each database is fresh: `kim migrate`, then `kim seed --demo`.")
    w("")
    w("Targets, on either database:")
    w("")
    w(f"- at least **{TARGET_RPS:,} authenticated get-by-id requests per second**;")
    w(f"- at most **{TARGET_RSS_MIB} MiB resident memory (RSS) under load**.")
    w("")
    w("Login hashes the password with argon2, which is slow on purpose: it is reported, not")
    w(f"targeted. For scale: a generic low-code REST backend answers about {GENERIC_RPS} requests")
    w("per second on this 2-core machine.")
    w("")
    if runs:
        w("## Verdict")
        w("")
        out.extend(verdicts(runs))
        w("")
    w("## How it was run")
    w("")
    w("- Command: `make bench` (runs `scripts/bench/run.sh`; knobs: `BENCH_SECONDS`,")
    w("  `BENCH_CONNECTIONS`, `BENCH_LOGIN_CONNECTIONS`, `BENCH_THREADS`, `BENCH_SKIP_POSTGRES=1`).")
    w(f"- Date: {a.date}")
    w(
        f"- Machine: {a.nproc} CPUs ({a.cpu}), {a.mem_kib / 1024 / 1024:.1f} GiB memory, {a.uname}. "
        "wrk and the server share these CPUs, so wrk's own work takes a part of them."
    )
    if a.busy:
        w(
            f"- CPU busy with other work in the second before the runs: {a.busy}%. Other work on "
            "the machine (a compiler, a test suite) takes CPU from the server and lowers the numbers."
        )
    w(f"- Git commit: `{a.commit}`")
    w(
        f"- wrk {a.wrk_version}: `-t{a.threads} -c{a.connections} -d{a.seconds}s "
        f"--timeout {a.timeout} --latency` for get_by_id, list_50, funding, coverage and create; "
        f"`-t{a.threads} -c{a.login_connections} -d{a.seconds}s --timeout {a.timeout} --latency` "
        "for login. The runs follow one another on one server process per database, in the "
        "order of the table."
    )
    w(
        f"- Server: `{a.binary} serve` (release build) on 127.0.0.1, "
        "`RUST_LOG=warn`, `KIM_LOG_FORMAT=json`, "
        "`KIM_LOGIN_MAX_FAILURES=1000000` (so that the login run is never locked out)."
    )
    w("")
    w("Requests:")
    w("")
    for kind in KIND_ORDER:
        w(f"- **{kind}**: {KIND_REQUESTS[kind]}.")
    w("")
    w("Columns: requests/s counts every completed request; p50 and p99 are wrk's latency")
    w("percentiles; non-2xx counts the responses with status 400 or above (wrk's own count: a Lua")
    w("hook per response would slow wrk, which shares the two cores with the server), plus socket")
    w("errors and timeouts where there were any; peak RSS is the highest")
    w("resident memory of the server process during that run: the largest `VmRSS` in")
    w("`/proc/<pid>/status` sampled every 0.2 s, or `VmHWM` (the peak since the process started)")
    w("when that rose during the run.")
    w("")

    printed = []
    for backend, backend_runs in runs.items():
        title = BACKEND_TITLES.get(backend, backend)
        w(f"## {title}")
        w("")
        rows = table(backend_runs)
        out.extend(rows)
        printed.append(f"{title}:")
        printed.extend(rows)
        printed.append("")
        w("")
        w(statuses_line(backend_runs))
        if backend in idle:
            w("")
            w(f"Server RSS when ready, before any load: {mib(idle[backend]):.1f} MiB.")
        w("")
    if a.skipped:
        w(f"_{a.skipped}_")
        w("")
        printed.append(a.skipped)
        printed.append("")

    if notes:
        w("## Anomalies")
        w("")
        w("What the benchmark saw go other than expected:")
        w("")
        for note in notes:
            w(f"- {note}")
        w("")
        printed.append("Anomalies:")
        printed.extend(f"- {note}" for note in notes)
        printed.append("")

    with open(a.markdown, "w", encoding="utf-8") as f:
        f.write("\n".join(out).rstrip("\n") + "\n")
    sys.stdout.write("\n".join(printed).rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
