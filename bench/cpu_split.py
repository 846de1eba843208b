"""Where the machine's CPU goes on the internal cluster read, and on pgbench's replay of its SQL.
Needs a harness run on PostgreSQL before it (the loaded data set and the replay scripts
`bench/.data/cluster_internal*`), the release build, oha and pgbench.

    python3 bench/cpu_split.py [--binary target/release/lienket] [--seconds 8] [--runs 3]

API ÷ pgbench compares two closed loops on the same two cores. For the API, each answer costs
the server, PostgreSQL's backends and the load generator (with the kernel's work for whichever
of them it was done); for pgbench, each replay costs PostgreSQL's backends and pgbench. This
splits both: it runs oha closed at -c 16 on the read (after a 2-s warm-up), then pgbench at
-c 16 on the replay (its values bound as the server binds them, then written into the SQL),
`--runs` times in turn, and reads the CPU time of the server, of every PostgreSQL process, of
oha or pgbench (their own usage, from the kernel, once they exit) and of the whole machine,
from `/proc`. Prints one JSON object per run and side, in microseconds per
answer or per replay."""

import json
import os
import re
import resource
import subprocess
import time

from harness import Server, internal_cluster_reader, loaded_postgres, replay_command
from per_answer import CONNECTIONS, WARM_UP_SECONDS, oha

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid, children=False):
    """User and system seconds of `pid` (with those of its children it has reaped), 0 once it
    is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return sum(int(v) for v in fields[11:15 if children else 13]) / TICK


def postgres_cpu():
    """CPU seconds of every PostgreSQL process alive now, and of the backends that have ended:
    the postmaster reaps them, and the kernel adds their time to its children's."""
    pids = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout.split()
    postmaster = subprocess.run(["pgrep", "-o", "-x", "postgres"], capture_output=True, text=True).stdout.strip()
    return sum(process_cpu(pid, children=pid == postmaster) for pid in pids)


def machine_busy():
    """Seconds the machine's cores spent on anything but idling and waiting for I/O."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICK


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(load, server=None):
    """Runs `load` (which runs a client process to its end); returns what it returns and the CPU
    seconds the client, the server, PostgreSQL and the machine spent meanwhile."""
    pg0, own0, busy0 = postgres_cpu(), children_cpu(), machine_busy()
    server0 = server.cpu_seconds() if server else 0.0
    out = load()
    time.sleep(0.2)  # for the postmaster to reap the backends of connections the client closed
    # The client's figure first: `postgres_cpu` runs children of its own.
    own1, busy1, pg1 = children_cpu(), machine_busy(), postgres_cpu()
    server1 = server.cpu_seconds() if server else 0.0
    return out, {"server": server1 - server0, "postgres": pg1 - pg0, "client": own1 - own0, "machine": busy1 - busy0}


def per(cpu, count):
    split = {name: round(seconds / count * 1e6) for name, seconds in cpu.items()}
    split["rest"] = split["machine"] - split["server"] - split["postgres"] - split["client"]
    return split


def main():
    def options(parser):
        parser.add_argument("--seconds", type=int, default=8)
        parser.add_argument("--runs", type=int, default=3)

    args, summary = loaded_postgres(18095, options)
    server = Server(args)
    try:
        cluster, token = internal_cluster_reader(server.base, summary)
        url = f"{server.base}/api/v1/clusters/{cluster}"
        oha(url, token, "-z", f"{WARM_UP_SECONDS}s")
        for run in range(1, args.runs + 1):
            codes, cpu = measured(lambda: oha(url, token, "-z", f"{args.seconds}s"), server)
            answers = sum(codes.values())
            print(json.dumps({"run": run, "side": "api", "per_second": round(answers / args.seconds, 1),
                              "codes": codes, "us_per_answer": per(cpu, answers)}), flush=True)
            for bound in (True, False):
                replay = replay_command(args.url, "cluster_internal", CONNECTIONS, args.seconds, bound)
                out, cpu = measured(lambda: subprocess.run(replay, capture_output=True, text=True, check=True).stdout)
                transactions = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
                print(json.dumps({"run": run, "side": "pgbench", "values": "bound" if bound else "written in",
                                  "per_second": round(transactions / args.seconds, 1),
                                  "us_per_replay": per(cpu, transactions)}), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
