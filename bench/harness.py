#!/usr/bin/env python3
"""Load harness: loads the bench data set if needed, starts the release server on it, and
measures each scenario with oha (closed loop, then a fixed rate with latency correction), wrk
(cross-check, and the POST with a fresh Idempotency-Key per request) and pgbench (the SQL the
read endpoints issue). Prints a Markdown table and writes every figure to a JSON file.

Standard library only. See bench/README.md for what it needs and how to run it.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
DATA = os.path.join(BENCH, ".data")
BINARY = os.path.join(ROOT, "target", "release", "lienket")
PG_LOG = "/var/log/postgresql"


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def run(cmd, **kw):
    # Shown without the bearer tokens.
    log("$", " ".join(re.sub(r"Bearer \S+", "Bearer …", part) for part in cmd))
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


# --- data ---------------------------------------------------------------------------------------

def pg_admin_url(url):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/postgres", query=""))


def loaded_postgres(port, add_arguments=lambda parser: None):
    """The arguments of a tool that measures one thing on the PostgreSQL data set a harness run
    loaded (`--summary`, `--url`, `--port`, `--binary`, the build it starts, and what
    `add_arguments` adds), and that data set's summary."""
    global BINARY
    parser = argparse.ArgumentParser()
    parser.add_argument("--summary", default=os.path.join(DATA, "summary-postgres.json"))
    parser.add_argument("--url", default="postgres://postgres@127.0.0.1:5432/lienket_bench")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--binary", default=BINARY)
    add_arguments(parser)
    args = parser.parse_args()
    args.database = "postgres"
    BINARY = os.path.abspath(args.binary)
    with open(args.summary) as f:
        return args, json.load(f)


def pg_dbname(url):
    return urllib.parse.urlsplit(url).path.lstrip("/")


def ensure_data(args):
    """Loads the data set unless the summary of an earlier load of the same database is kept."""
    os.makedirs(DATA, exist_ok=True)
    summary_path = os.path.join(DATA, f"summary-{args.database}.json")
    if os.path.exists(summary_path) and not args.reseed:
        with open(summary_path) as f:
            summary = json.load(f)
        if summary["scale"] == args.scale and summary["seed"] == args.seed:
            return summary
    env = dict(os.environ, LIENKET_LOG="warn")
    if args.database == "postgres":
        name = pg_dbname(args.url)
        run(["psql", pg_admin_url(args.url), "-qc", f'DROP DATABASE IF EXISTS "{name}"'])
        run(["psql", pg_admin_url(args.url), "-qc", f'CREATE DATABASE "{name}"'])
        env["DATABASE_URL"] = args.url
    else:
        shutil.rmtree(args.sqlite_dir, ignore_errors=True)
        env.pop("DATABASE_URL", None)
        env["LIENKET_DATA_DIR"] = args.sqlite_dir
    started = time.monotonic()
    out = run([BINARY, "seed-bench", "--scale", str(args.scale), "--seed", str(args.seed)], env=env)
    summary = json.loads(out.stdout)
    summary["load_seconds"] = round(time.monotonic() - started, 1)
    if args.database == "postgres":
        # The planner's default random_page_cost (4) is for spinning disks; on SSDs and a
        # cached data set 1.1 is the usual setting, and it makes PostgreSQL walk the
        # statistics indexes instead of scanning bulletin_recipients whole.
        run(["psql", args.url, "-qc", f'ALTER DATABASE "{pg_dbname(args.url)}" SET random_page_cost = 1.1'])
        run(["psql", args.url, "-qc", "VACUUM ANALYZE"])
    with open(summary_path, "w") as f:
        json.dump(summary, f, indent=2)
    log(f"loaded in {summary['load_seconds']} s")
    return summary


def signing_key():
    path = os.path.join(DATA, "signing.pem")
    if not os.path.exists(path):
        run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", path])
    return path


# --- server -------------------------------------------------------------------------------------

class Server:
    def __init__(self, args, database_url=None):
        self.base = f"http://127.0.0.1:{args.port}"
        env = dict(
            os.environ,
            LIENKET_BIND=f"127.0.0.1:{args.port}",
            LIENKET_DEMO="off",
            LIENKET_LOG="warn",
            LIENKET_JWT_SIGNING_KEY_FILE=signing_key(),
            LIENKET_ACCESS_TOKEN_TTL_SECS="3600",
            # Token issuing is measured, not the login limits.
            LIENKET_LOGIN_LIMIT_PER_ADDRESS="100000",
            LIENKET_LOGIN_LIMIT_PER_ACCOUNT="100000",
        )
        if args.database == "postgres":
            env["DATABASE_URL"] = database_url or args.url
        else:
            env.pop("DATABASE_URL", None)
            env["LIENKET_DATA_DIR"] = args.sqlite_dir
        self.proc = subprocess.Popen([BINARY, "serve"], env=env, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                urllib.request.urlopen(self.base + "/health/ready", timeout=1)
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise RuntimeError("the server did not become ready")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory(self):
        """(current RSS, peak RSS) in MiB."""
        values = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) / 1024
        return values["VmRSS"], values["VmHWM"]


def call(base, method, path, token=None, body=None, form=None, headers=None):
    data, all_headers = None, dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(base + path, data=data, method=method, headers=all_headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def user_token(base, summary, role):
    user = next(u for u in summary["users"] if u["role"] == role)
    form = {"grant_type": "password", "username": user["username"], "password": user["password"]}
    return call(base, "POST", "/api/v1/auth/token", form=form)["access_token"]


def internal_cluster_reader(base, summary):
    """An internal (not audited) cluster with the most members among the first hundred, and a
    token of an analyst of one of its member units: most clusters are internal, and their reads
    leave no audit event. The analyst is created once and kept with the data set."""
    admin = user_token(base, summary, "admin")
    listed = call(base, "GET", "/api/v1/clusters?classification=internal&limit=100", admin)["items"]
    clusters = [call(base, "GET", f"/api/v1/clusters/{c['id']}", admin) for c in listed]
    cluster = max(clusters, key=lambda c: len(c["members"]))
    analyst = next(u for u in summary["users"] if u["role"] == "analyst")
    username = "bench.analyst.internal"
    try:
        call(base, "POST", "/api/v1/users", admin, body={
            "username": username,
            "display_name": "Bench analyst (internal cluster)",
            "unit_id": cluster["members"][0]["unit_id"],
            "roles": ["analyst"],
            "password": analyst["password"],
        })
    except urllib.error.HTTPError as e:
        # Created by an earlier run on this data set: the login name is taken.
        errors = json.loads(e.read() or b"{}").get("errors", [])
        if e.code != 422 or not any(err.get("code") == "taken" for err in errors):
            raise
    form = {"grant_type": "password", "username": username, "password": analyst["password"]}
    return cluster["id"], call(base, "POST", "/api/v1/auth/token", form=form)["access_token"]


# --- scenarios ----------------------------------------------------------------------------------

def scenarios(base, summary, reader, officer):
    cluster = summary["busiest_cluster"]
    internal, internal_reader = internal_cluster_reader(base, summary)
    incidents = f"/api/v1/incidents?cluster_id={cluster['id']}&limit=50"
    # The cursor of the page that starts 10 000 rows in: walk there in pages of 500.
    cursor = None
    for _ in range(20):
        path = f"/api/v1/incidents?cluster_id={cluster['id']}&limit=500" + (f"&cursor={cursor}" if cursor else "")
        cursor = call(base, "GET", path, reader)["next_cursor"]
    deep = incidents + f"&cursor={cursor}"
    client = summary["client"]
    q = urllib.parse.quote(summary["search_term"])
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    report = {
        "cluster_id": cluster["id"],
        "category_id": cluster["category_id"],
        "severity": "medium",
        "occurred_at": (now - datetime.timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
        "summary": "Phát hiện xe chở hàng lậu qua đường mòn, bàn giao đơn vị bạn xử lý.",
    }
    return [
        {"name": "cluster", "title": "read one cluster with its members", "path": f"/api/v1/clusters/{cluster['id']}", "token": reader, "pgbench": True},
        {"name": "cluster_internal", "title": "read one internal cluster with its members (no audit event)", "path": f"/api/v1/clusters/{internal}", "token": internal_reader, "pgbench": True},
        {"name": "incidents_first", "title": "cluster incidents, first page (50)", "path": incidents, "token": reader, "pgbench": True},
        {"name": "incidents_deep", "title": "cluster incidents, page 10 000 rows deep", "path": deep, "token": reader, "pgbench": True},
        {"name": "unit_search", "title": f"units `q={summary['search_term']}`", "path": f"/api/v1/units?q={q}", "token": reader, "pgbench": True},
        {"name": "statistics_year", "title": f"a year ({cluster['year']}) of the busiest cluster's statistics", "path": f"/api/v1/clusters/{cluster['id']}/statistics?period={cluster['year']}", "token": reader, "pgbench": True},
        {"name": "report_incident", "title": "report an incident (POST, fresh Idempotency-Key each)", "path": "/api/v1/incidents", "token": officer, "method": "POST", "body": report, "unique_key": True},
        {"name": "report_retry", "title": "retry a report (POST, same Idempotency-Key)", "path": "/api/v1/incidents", "token": officer, "method": "POST", "body": report, "headers": {"Idempotency-Key": f"bench-retry-{time.time_ns()}"}},
        {"name": "token_client", "title": "issue a token (client_credentials)", "path": "/api/v1/auth/token", "method": "POST", "form": {"grant_type": "client_credentials", "client_id": client["client_id"], "client_secret": client["client_secret"]}},
    ]


def oha(base, s, connections, seconds, rate=None):
    cmd = ["oha", "--no-tui", "--output-format", "json", "-z", f"{seconds}s", "-m", s.get("method", "GET")]
    if rate:
        cmd += ["-q", str(rate), "--latency-correction", "-c", str(connections * 2)]
    else:
        cmd += ["-c", str(connections)]
    if s.get("token"):
        cmd += ["-H", f"Authorization: Bearer {s['token']}"]
    for k, v in s.get("headers", {}).items():
        cmd += ["-H", f"{k}: {v}"]
    if "body" in s:
        cmd += ["-T", "application/json", "-d", json.dumps(s["body"])]
    if "form" in s:
        cmd += ["-T", "application/x-www-form-urlencoded", "-d", urllib.parse.urlencode(s["form"])]
    out = run(cmd + [base + s["path"]])
    r = json.loads(out.stdout)
    codes = {int(k): v for k, v in r.get("statusCodeDistribution", {}).items()}
    ok = sum(v for k, v in codes.items() if 200 <= k < 300)
    # Requests still in flight when the run ends are cut off by oha itself, not failed.
    transport = {k: v for k, v in r.get("errorDistribution", {}).items() if k != "aborted due to deadline"}
    failed = sum(v for k, v in codes.items() if not 200 <= k < 300) + sum(transport.values())
    p = r["latencyPercentiles"]
    return {
        "tool": "oha",
        "mode": f"fixed {rate}/s" if rate else f"closed -c {connections}",
        "rps": round(ok / r["summary"]["total"], 1),
        "p50_ms": round(p["p50"] * 1000, 2),
        "p99_ms": round(p["p99"] * 1000, 2),
        "ok": ok,
        "errors": failed,
        "codes": codes,
        "transport_errors": transport,
    }


# Each request gets an Idempotency-Key of its own: the thread's id (set in the main Lua state,
# where math.random differs per call) and a counter.
WRK_UNIQUE_KEY = """
counter = 0
setup = function(thread)
  thread:set("id", math.random(1, 2^30))
end
request = function()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = string.format("%s-%d-%d", prefix, id, counter)
  return wrk.format(nil, nil)
end
"""

# Prints the figures as one JSON line.
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("JSON {\\"requests\\": %d, \\"connect\\": %d, \\"read\\": %d, \\"write\\": %d, \\"timeout\\": %d, \\"non2xx\\": %d, \\"p50\\": %d, \\"p99\\": %d, \\"seconds\\": %f}\\n",
    summary.requests, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), summary.duration / 1e6))
end
"""


SOCKET_ERRORS = ("connect", "read", "write", "timeout")


def wrk(base, s, connections, seconds):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        if s.get("unique_key"):
            # Keys never repeat across runs either: a key replayed with another body is refused.
            f.write(f'prefix = "bench-{time.time_ns()}"\n' + WRK_UNIQUE_KEY)
        f.write(WRK_DONE)
        if "body" in s:
            body = json.dumps(s["body"], ensure_ascii=False)
            f.write(f'wrk.method = "POST"\nwrk.body = [==[{body}]==]\nwrk.headers["Content-Type"] = "application/json"\n')
        script = f.name
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script]
    if s.get("token"):
        cmd += ["-H", f"Authorization: Bearer {s['token']}"]
    out = run(cmd + [base + s["path"]])
    os.unlink(script)
    line = next(l for l in out.stdout.splitlines() if l.startswith("JSON "))
    r = json.loads(line[5:])
    ok = r["requests"] - r["non2xx"]
    return {
        "tool": "wrk",
        "mode": f"closed -c {connections}",
        "rps": round(ok / r["seconds"], 1),
        "p50_ms": round(r["p50"] / 1000, 2),
        "p99_ms": round(r["p99"] / 1000, 2),
        "ok": ok,
        "errors": sum(r[k] for k in SOCKET_ERRORS) + r["non2xx"],
        # wrk counts a request unanswered after its 2 s timeout as a timeout error.
        "socket_errors": {k: r[k] for k in SOCKET_ERRORS if r[k]},
    }


def measured(server, fn):
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    result = fn()
    cpu1, t1 = server.cpu_seconds(), time.monotonic()
    rss, peak = server.memory()
    result["server_cpu_percent"] = round(100 * (cpu1 - cpu0) / (t1 - t0))
    result["rss_mib"] = round(rss, 1)
    result["peak_rss_mib"] = round(peak, 1)
    return result


# --- pgbench: the SQL each read issues ----------------------------------------------------------

def capture_sql(args, summary, scenario_list):
    """Runs each read once against a server whose connections log every statement; returns the
    statements of each, as `parse_log` reads them."""
    url = args.url + ("&" if "?" in args.url else "?") + "options=" + urllib.parse.quote("-c log_statement=all")
    server = Server(args, database_url=url)
    logs = sorted((os.path.join(PG_LOG, f) for f in os.listdir(PG_LOG) if f.endswith(".log")), key=os.path.getmtime)
    path = logs[-1]
    statements = {}
    try:
        for s in scenario_list:
            if not s.get("pgbench"):
                continue
            start = os.path.getsize(path)
            # The tokens the scenarios were measured with; they outlive that server.
            headers = {"Authorization": f"Bearer {s['token']}"}
            urllib.request.urlopen(urllib.request.Request(server.base + s["path"], headers=headers), timeout=60).read()
            time.sleep(0.3)
            with open(path, errors="replace") as f:
                f.seek(start)
                statements[s["name"]] = parse_log(f.read())
    finally:
        server.stop()
    return statements


def parse_log(text):
    """Statements from a PostgreSQL log with `log_statement = all`: each as its SQL, with `$n`
    where the server bound a value, and those values as the log quotes them."""
    out = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.search(r"LOG:  (?:execute [^:]*|statement): (.*)$", line)
        if not m:
            continue
        sql = m.group(1)
        # A connection the server opened during the request introduces itself first (its
        # Nagle's-algorithm check): that is the connection's cost, not the read's.
        if "inet_client_port()" in sql:
            continue
        if re.match(r"(?i)(BEGIN|COMMIT|ROLLBACK|SET |SHOW )", sql) or "pg_catalog" in sql:
            # Transaction control stays: pgbench runs the same round trips.
            if not re.match(r"(?i)(BEGIN|COMMIT|ROLLBACK)", sql):
                continue
        params = {}
        if i + 1 < len(lines) and "DETAIL:  parameters:" in lines[i + 1]:
            for name, value in re.findall(r"\$(\d+) = (NULL|'(?:[^']|'')*')", lines[i + 1]):
                params[int(name)] = value
        out.append((sql, params))
    return out


def written_in(sql, params, keep=lambda value: False):
    """`sql` with its parameters written in, but for those `keep` picks: their `$n` stay. The log
    quotes every value; a quoted number would reach PostgreSQL as text (and `SUM(CASE … THEN
    '1' …)` has no text form), so whole numbers go in bare."""
    def value(m):
        v = params.get(int(m.group(1)))
        if v is None or keep(v):
            return m.group(0)
        return v[1:-1] if re.fullmatch(r"'\d+'", v) else v
    return re.sub(r"\$(\d+)", value, sql)


def audit_insert(sql):
    """An audited read appends to the audit trail: replayed, each of its events takes the next
    sequence number and a fresh id, as the server would."""
    rows = iter(range(1, 1 << 30))
    return re.sub(
        r"\('?\d+'?, '[0-9a-f-]+',",
        lambda _: f"((SELECT COALESCE(MAX(seq), 0) + {next(rows)} FROM audit_events), gen_random_uuid(),",
        sql,
    )


def replay(statements, bound=True):
    """A read's statements as a pgbench script and the `-D` definitions it needs.

    Bound (the default), each statement keeps its parameters, as the server sends them: pgbench
    -M prepared binds each `:variable` as a parameter of the prepared statement, so PostgreSQL
    plans and runs it as it does the server's. Only the values pgbench cannot bind as the server
    does are written in: NULL, and whole numbers (pgbench sends parameters without a type, and
    PostgreSQL takes an untyped value where no column gives it one, as in `SUM(CASE … THEN $1 …)`,
    for text). Written in (`bound=False`), every value is part of the SQL: PostgreSQL then plans
    each statement for its values, once."""
    lines, defines = [], []
    for k, (sql, params) in enumerate(statements, 1):
        if sql.startswith('INSERT INTO "audit_events"'):
            lines.append(audit_insert(written_in(sql, params)))
            continue
        if not bound:
            lines.append(written_in(sql, params))
            continue
        bindable = lambda v: v != "NULL" and not re.fullmatch(r"'\d+'", v)
        sql = written_in(sql, params, keep=bindable)
        for n, v in params.items():
            if bindable(v):
                defines += ["-D", f"s{k}_{n}=" + v[1:-1].replace("''", "'")]
        lines.append(re.sub(r"\$(\d+)", lambda m: f":s{k}_{m.group(1)}", sql))
    return ";\n".join(lines) + ";\n", defines


def replay_script(name, bound=True):
    return os.path.join(DATA, f"{name}.sql" if bound else f"{name}.written-in.sql")


def save_replay(name, statements):
    """Writes the replay scripts of `name`, bound and written in, for `replay_command`."""
    for bound in (True, False):
        text, defines = replay(statements, bound)
        with open(replay_script(name, bound), "w") as f:
            f.write(text)
        if bound:
            with open(os.path.join(DATA, f"{name}.defines.json"), "w") as f:
                json.dump(defines, f)


def replay_command(url, name, connections, seconds, bound=True):
    """The pgbench command that replays the statements `save_replay` saved for `name`."""
    defines = []
    if bound:
        with open(os.path.join(DATA, f"{name}.defines.json")) as f:
            defines = json.load(f)
    return ["pgbench", "-n", "-M", "prepared", "-f", replay_script(name, bound), *defines,
            "-c", str(connections), "-j", "2", "-T", str(seconds), url]


def pgbench(args, name, bound=True):
    out = run(replay_command(args.url, name, args.connections, args.seconds, bound) + ["-r"])
    tps = float(re.search(r"tps = ([\d.]+)", out.stdout).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", out.stdout).group(1))
    script = replay_script(name, bound)
    with open(script) as f:
        statements = sum(1 for line in f if line.strip())
    return {"tps": round(tps, 1), "latency_avg_ms": latency, "statements": statements,
            "values": "bound" if bound else "written in", "script": os.path.relpath(script, ROOT)}


def paired_ratios(args, chosen, names, results):
    """API ÷ pgbench measured in pairs: the API's closed loop and pgbench on the same SQL run back
    to back, `--pairs` times per read. The machine's speed drifts over minutes; a pair shares it,
    and the median of the pairs' ratios is what the targets are judged on."""
    server = Server(args)
    try:
        # The same requests as measured before, tokens included (they outlive the run).
        by_name = {s["name"]: s for s in chosen}
        for name in names:
            log(f"== {name}: {args.pairs} pairs")
            pairs = []
            for _ in range(args.pairs):
                api = oha(server.base, by_name[name], args.connections, args.seconds)
                db = pgbench(args, name)["tps"]
                pairs.append({"api_rps": api["rps"], "api_errors": api["errors"], "pgbench_tps": db, "ratio": round(api["rps"] / db, 3)})
            results["scenarios"][name]["pairs"] = pairs
            results["scenarios"][name]["paired_ratio_median"] = round(statistics.median(p["ratio"] for p in pairs), 3)
    finally:
        server.stop()


# --- main ---------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    ap.add_argument("--url", default="postgres://postgres@127.0.0.1:5432/lienket_bench", help="PostgreSQL database (dropped and loaded)")
    ap.add_argument("--sqlite-dir", default=os.path.join(DATA, "sqlite"))
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reseed", action="store_true", help="load the data set even if it was loaded before")
    ap.add_argument("--seconds", type=int, default=20, help="length of each run")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--only", help="comma-separated scenario names")
    ap.add_argument("--reads-only", action="store_true")
    ap.add_argument("--pairs", type=int, default=3, help="paired API and pgbench runs per read (PostgreSQL); 0 for none")
    ap.add_argument("--port", type=int, default=18080)
    ap.add_argument("--out", help="JSON results file (default bench/results/<database>-<date>.json)")
    args = ap.parse_args()
    if not os.path.exists(BINARY):
        sys.exit("build the server first: cargo build --release")

    summary = ensure_data(args)
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "database": args.database,
        "scale": args.scale,
        "seed": args.seed,
        "counts": summary["counts"],
        "load_seconds": summary.get("load_seconds"),
        "busiest_cluster": summary["busiest_cluster"],
        "machine": machine(),
        "connections": args.connections,
        "seconds": args.seconds,
        "scenarios": {},
    }
    server = Server(args)
    try:
        reader = user_token(server.base, summary, "analyst")
        officer = user_token(server.base, summary, "officer")
        chosen = scenarios(server.base, summary, reader, officer)
        if args.only:
            chosen = [s for s in chosen if s["name"] in args.only.split(",")]
        if args.reads_only:
            chosen = [s for s in chosen if s.get("method", "GET") == "GET"]
        for s in chosen:
            log(f"== {s['name']}")
            runs = []
            if "Idempotency-Key" in s.get("headers", {}):
                # The original request completes first; the load is its retries.
                call(server.base, "POST", s["path"], s["token"], body=s["body"], headers=s["headers"])
            if s.get("unique_key"):
                closed = measured(server, lambda: wrk(server.base, s, args.connections, args.seconds))
            else:
                closed = measured(server, lambda: oha(server.base, s, args.connections, args.seconds))
            runs.append(closed)
            rate = max(1, int(closed["rps"] / 2))
            if not s.get("unique_key"):
                runs.append(measured(server, lambda: oha(server.base, s, args.connections, args.seconds, rate=rate)))
                if s["name"] in ("cluster", "cluster_internal", "incidents_first"):
                    runs.append(measured(server, lambda: wrk(server.base, s, args.connections, args.seconds)))
            results["scenarios"][s["name"]] = {"title": s["title"], "path": s["path"], "runs": runs}
    finally:
        server.stop()
    if args.database == "postgres":
        names = []
        for name, statements in capture_sql(args, summary, chosen).items():
            if statements:
                save_replay(name, statements)
                names.append(name)
        for name in names:
            results["scenarios"][name]["pgbench"] = pgbench(args, name)
            results["scenarios"][name]["pgbench_written_in"] = pgbench(args, name, bound=False)
        if args.pairs:
            paired_ratios(args, chosen, names, results)
    out = args.out or os.path.join(BENCH, "results", f"{args.database}-{datetime.date.today().isoformat()}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=2, ensure_ascii=False)
    print(table(results))
    log(f"results: {os.path.relpath(out, ROOT)}")


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mib": mem, "kernel": os.uname().release}


def table(results):
    rows = ["| scenario | tool, mode | req/s | p50 ms | p99 ms | errors | server CPU % | peak RSS MiB | pgbench tps | API ÷ pgbench |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, s in results["scenarios"].items():
        bench = s.get("pgbench")
        for i, r in enumerate(s["runs"]):
            tps = bench["tps"] if bench and i == 0 else ""
            ratio = f"{r['rps'] / bench['tps']:.2f}" if bench and i == 0 else ""
            rows.append(f"| {name if i == 0 else ''} | {r['tool']}, {r['mode']} | {r['rps']} | {r['p50_ms']} | {r['p99_ms']} | {r['errors']} | {r['server_cpu_percent']} | {r['peak_rss_mib']} | {tps} | {ratio} |")
    written = {name: s for name, s in results["scenarios"].items() if s.get("pgbench_written_in")}
    if written:
        rows += ["", "| scenario | pgbench tps, values bound | values written in | API ÷ pgbench, bound | written in |", "|---|---:|---:|---:|---:|"]
        for name, s in written.items():
            api, bound, literal = s["runs"][0]["rps"], s["pgbench"]["tps"], s["pgbench_written_in"]["tps"]
            rows.append(f"| {name} | {bound} | {literal} | {api / bound:.2f} | {api / literal:.2f} |")
    paired = {name: s for name, s in results["scenarios"].items() if s.get("pairs")}
    if paired:
        rows += ["", "| scenario | pairs: API req/s ÷ pgbench tps | median ratio |", "|---|---|---:|"]
        for name, s in paired.items():
            pairs = ", ".join(f"{p['api_rps']} ÷ {p['pgbench_tps']} = {p['ratio']:.3f}" for p in s["pairs"])
            rows.append(f"| {name} | {pairs} | {s['paired_ratio_median']:.3f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
