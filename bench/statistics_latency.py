"""Latency of a year of the busiest cluster's statistics, one request at a time (no load): the
figure the < 100 ms p50 target is about. Needs the data set loaded by `harness.py --database
postgres` (or by `lienket seed-bench`, its JSON summary saved to a file) and the release build.

    python3 bench/statistics_latency.py [--summary bench/.data/summary-postgres.json]
        [--url postgres://postgres@127.0.0.1:5432/lienket_bench] [--requests 50]

Starts the server the way the harness does, logs in as the data set's analyst, sends 10 warm-up
requests and then `--requests` more, and prints their p50, p90 and minimum in milliseconds as
JSON."""

import json
import statistics
import time
import urllib.request

from harness import Server, loaded_postgres, user_token

WARM_UP = 10


def main():
    args, summary = loaded_postgres(18099, lambda parser: parser.add_argument("--requests", type=int, default=50))
    server = Server(args)
    try:
        token = user_token(server.base, summary, "analyst")
        cluster = summary["busiest_cluster"]
        url = f"{server.base}/api/v1/clusters/{cluster['id']}/statistics?period={cluster['year']}"
        request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
        times = []
        for i in range(WARM_UP + args.requests):
            started = time.perf_counter()
            urllib.request.urlopen(request, timeout=60).read()
            if i >= WARM_UP:
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(json.dumps({
            "requests": len(times),
            "p50_ms": round(statistics.median(times), 1),
            "p90_ms": round(times[max(int(len(times) * 0.9) - 1, 0)], 1),
            "min_ms": round(times[0], 1),
        }))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
