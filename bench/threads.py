"""Where the server's CPU goes by thread during a closed loop of the internal cluster read: CPU
time and context switches of each thread, per answer. Needs the data set loaded by
`harness.py --database postgres` and the release build.

    python3 bench/threads.py [--summary bench/.data/summary-postgres.json]
        [--url postgres://postgres@127.0.0.1:5432/lienket_bench] [--seconds 10]

Starts the server the way the harness does, finds the internal cluster and its reader the way
the `cluster_internal` scenario does, warms up for 3 s, then runs oha closed at -c 16 for
`--seconds` and reads every thread's CPU time and switches (voluntary and not) from /proc before
and after. Prints one JSON object: answers per second, and for each thread and in all the CPU
microseconds and switches per answer."""

import glob
import json
import os
import subprocess

from harness import Server, internal_cluster_reader, loaded_postgres

WARM_UP_SECONDS = 3
CONNECTIONS = 16


def threads(pid):
    """{task id: (name, CPU seconds, context switches)} of every thread of `pid`."""
    found = {}
    tick = os.sysconf("SC_CLK_TCK")
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            with open(task + "/comm") as f:
                name = f.read().strip()
            with open(task + "/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(task + "/status") as f:
                # voluntary_ctxt_switches and nonvoluntary_ctxt_switches
                switches = sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
        except FileNotFoundError:
            continue  # the thread ended between the listing and the read
        found[os.path.basename(task)] = (name, (int(fields[11]) + int(fields[12])) / tick, switches)
    return found


def oha(url, token, seconds):
    command = ["oha", "--no-tui", "--output-format", "json", "-z", f"{seconds}s", "-c", str(CONNECTIONS),
               "-H", f"Authorization: Bearer {token}", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out)["statusCodeDistribution"]


def main():
    args, summary = loaded_postgres(18098, lambda parser: parser.add_argument("--seconds", type=int, default=10))
    server = Server(args)
    try:
        cluster, token = internal_cluster_reader(server.base, summary)
        url = f"{server.base}/api/v1/clusters/{cluster}"
        oha(url, token, WARM_UP_SECONDS)
        before = threads(server.proc.pid)
        codes = oha(url, token, args.seconds)
        after = threads(server.proc.pid)
    finally:
        server.stop()
    answers = sum(codes.values())
    per_thread = []
    for task, (name, cpu, switches) in sorted(after.items()):
        _, cpu_before, switches_before = before.get(task, (name, 0.0, 0))
        per_thread.append({
            "thread": name,
            "cpu_us_per_answer": round((cpu - cpu_before) / answers * 1e6),
            "switches_per_answer": round((switches - switches_before) / answers, 2),
        })
    busy = [t for t in per_thread if t["cpu_us_per_answer"] or t["switches_per_answer"] >= 0.01]
    print(json.dumps({
        "answers_per_second": round(answers / args.seconds, 1),
        "codes": codes,
        "threads": busy,
        "cpu_us_per_answer": sum(t["cpu_us_per_answer"] for t in per_thread),
        "switches_per_answer": round(sum(t["switches_per_answer"] for t in per_thread), 2),
    }, indent=2))


if __name__ == "__main__":
    main()
