"""Server CPU time and socket sends per answer for the internal cluster's read, its member list
and its incident list. Needs the data set loaded by `harness.py --database postgres`, the
release build, oha and strace (`apt-get install strace`).

    python3 bench/per_answer.py [--binary target/release/lienket] [--seconds 8] [--requests 500]

Starts the server the way the harness does and reads as the reader of the `cluster_internal`
scenario: the cluster is internal, so none of these reads writes an audit event. For each
endpoint it warms up for 2 s, runs oha closed at -c 16 for `--seconds` and divides the server's
CPU time by the answers; then it counts the server's `sendto` calls (one per statement, one per
check of a connection going back to the pool, one per HTTP answer) over `--requests` requests
at -c 4 under strace, which is too slow for the CPU figure to mean anything. Prints one JSON
object per endpoint. `--binary` compares builds on the same data."""

import json
import signal
import subprocess
import tempfile
import time

from harness import Server, internal_cluster_reader, loaded_postgres

WARM_UP_SECONDS = 2
CONNECTIONS = 16


def oha(url, token, *limit, connections=CONNECTIONS):
    command = ["oha", "--no-tui", "--output-format", "json", "-c", str(connections),
               "-H", f"Authorization: Bearer {token}", *limit, url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out)["statusCodeDistribution"]


def sends(pid, url, token, requests):
    """`sendto` calls of every thread of `pid` while oha makes `requests` requests."""
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as out:
        tracer = subprocess.Popen(["strace", "-c", "-f", "-e", "trace=sendto", "-o", out.name, "-p", str(pid)],
                                  stderr=subprocess.DEVNULL)
        time.sleep(1)  # strace attaches to every thread before the requests start
        codes = oha(url, token, "-n", str(requests), connections=4)
        time.sleep(0.5)
        tracer.send_signal(signal.SIGINT)
        tracer.wait()
        calls = [line.split() for line in out if line.split()[-1:] == ["sendto"]]
    return sum(codes.values()), int(calls[0][3]) if calls else 0


def main():
    def options(parser):
        parser.add_argument("--seconds", type=int, default=8)
        parser.add_argument("--requests", type=int, default=500)

    args, summary = loaded_postgres(18094, options)
    server = Server(args)
    try:
        cluster, token = internal_cluster_reader(server.base, summary)
        paths = {
            "cluster": f"/api/v1/clusters/{cluster}",
            "members": f"/api/v1/clusters/{cluster}/members",
            "incidents": f"/api/v1/incidents?cluster_id={cluster}&limit=50",
        }
        for name, path in paths.items():
            url = server.base + path
            oha(url, token, "-z", f"{WARM_UP_SECONDS}s")
            before = server.cpu_seconds()
            codes = oha(url, token, "-z", f"{args.seconds}s")
            cpu = server.cpu_seconds() - before
            answers = sum(codes.values())
            traced, sent = sends(server.proc.pid, url, token, args.requests)
            print(json.dumps({
                "endpoint": name,
                "codes": codes,
                "answers_per_second": round(answers / args.seconds, 1),
                "cpu_us_per_answer": round(cpu / answers * 1e6),
                "sends_per_answer": round(sent / traced, 2),
            }))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
