"""Latency of a year of the busiest cluster's statistics, one request at a time (no load): the
figure the < 100 ms p50 target is about. Needs the data set loaded by `harness.py --database
postgres` (or by `lienket seed-bench`, its JSON summary saved to a file) and the release build.

    python3 bench/statistics_latency.py [--summary bench/.data/summary-postgres.json]
        [--url postgres://postgres@127.0.0.1:5432/lienket_bench] [--requests 50]

Starts the server, logs in as the data set's analyst, sends 10 warm-up requests and then
`--requests` more, and prints their p50, p90 and minimum in milliseconds as JSON."""

import argparse
import json
import os
import statistics
import subprocess
import time
import urllib.parse
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--summary", default=os.path.join(BENCH, ".data", "summary-postgres.json"))
    parser.add_argument("--url", default="postgres://postgres@127.0.0.1:5432/lienket_bench")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--port", type=int, default=18099)
    args = parser.parse_args()
    summary = json.load(open(args.summary))
    base = f"http://127.0.0.1:{args.port}"
    key = os.path.join(BENCH, ".data", "signing.pem")
    if not os.path.exists(key):
        os.makedirs(os.path.dirname(key), exist_ok=True)
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key], check=True)
    env = dict(
        os.environ,
        LIENKET_BIND=f"127.0.0.1:{args.port}",
        LIENKET_DEMO="off",
        LIENKET_LOG="warn",
        LIENKET_JWT_SIGNING_KEY_FILE=key,
        DATABASE_URL=args.url,
        LIENKET_ACCESS_TOKEN_TTL_SECS="3600",
    )
    server = subprocess.Popen([os.path.join(ROOT, "target", "release", "lienket"), "serve"], env=env, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/health/ready", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        user = next(u for u in summary["users"] if u["role"] == "analyst")
        form = {"grant_type": "password", "username": user["username"], "password": user["password"]}
        login = urllib.request.Request(base + "/api/v1/auth/token", data=urllib.parse.urlencode(form).encode())
        token = json.load(urllib.request.urlopen(login))["access_token"]
        cluster = summary["busiest_cluster"]
        url = f"{base}/api/v1/clusters/{cluster['id']}/statistics?period={cluster['year']}"
        times = []
        for i in range(10 + args.requests):
            started = time.perf_counter()
            urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": "Bearer " + token})).read()
            if i >= 10:
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(json.dumps({
            "requests": len(times),
            "p50_ms": round(statistics.median(times), 1),
            "p90_ms": round(times[max(int(len(times) * 0.9) - 1, 0)], 1),
            "min_ms": round(times[0], 1),
        }))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
