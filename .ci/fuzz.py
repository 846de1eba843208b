"""Contract fuzzing: starts the service on a scratch database with the demo data and runs
schemathesis against its OpenAPI document, as three users at once (see `.ci/schemathesis.toml`):
the coordinators of Gia Lâm and of Lệ Thủy, who belong to different liaison clusters and are
peers for the object-level authorization check, and the admin for the operations only an admin
may call.

    python3 .ci/fuzz.py BINARY ST [--database-url URL] [--max-time SECONDS] [--seed N] [-- ST-OPTIONS]

BINARY is the `lienket` executable, ST the `st` executable of schemathesis; options after `--` go
to `st run` (e.g. `--phases coverage --include-path-regex clusters` to narrow a rerun). Exits
non-zero when schemathesis reports a failure or the server cannot be started."""

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, path, token=None, data=None, headers=None, method=None):
    request = urllib.request.Request(base + path, data=data, headers=headers or {}, method=method)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def login_payload(username, password):
    return urllib.parse.urlencode({"grant_type": "password", "username": username, "password": password})


def token(base, username, password):
    status, body = call(
        base,
        "/api/v1/auth/token",
        data=login_payload(username, password).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200:
        sys.exit(f"login of {username} failed: {status} {body!r}")
    return body["access_token"]


def wait_ready(base, server, log_path):
    for _ in range(240):
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(base + "/health/ready", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    sys.stderr.write(open(log_path, encoding="utf-8").read())
    sys.exit("the server did not become ready")


def second_coordinator(base, admin):
    """Creates the coordinator of Lệ Thủy district police, a member of another cluster than the
    Gia Lâm coordinator's; returns the password."""
    status, body = call(base, "/api/v1/units?q=" + urllib.parse.quote("Lệ Thủy"), admin)
    units = [u for u in body["items"] if u["name"] == "Công an huyện Lệ Thủy"] if status == 200 else []
    if len(units) != 1:
        sys.exit(f"cannot find the Lệ Thủy district police: {status} {body!r}")
    password = secrets.token_urlsafe(18)
    user = {
        "username": "coordinator.lethuy",
        "display_name": "Điều phối viên Lệ Thủy",
        "unit_id": units[0]["id"],
        "roles": ["coordinator"],
        "clearance": "confidential",
        "password": password,
    }
    status, body = call(
        base,
        "/api/v1/users",
        admin,
        data=json.dumps(user).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": secrets.token_hex(16)},
    )
    if status != 201:
        sys.exit(f"cannot create the second coordinator: {status} {body!r}")
    return password


def wfc_entry(name, username, password):
    return {
        "name": name,
        "loginEndpointAuth": {
            "endpoint": "/api/v1/auth/token",
            "verb": "POST",
            "contentType": "application/x-www-form-urlencoded",
            "payloadRaw": login_payload(username, password),
            "token": {
                "extractFrom": "body",
                "extractSelector": "/access_token",
                "sendIn": "header",
                "sendName": "Authorization",
                "sendTemplate": "Bearer {token}",
            },
        },
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("st")
    parser.add_argument("--database-url")
    parser.add_argument("--max-time", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    extra = argv[split + 1 :]

    work = tempfile.mkdtemp(prefix="lienket-fuzz-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = os.path.join(work, "server.log")
    env = {
        **os.environ,
        "LIENKET_BIND": f"127.0.0.1:{port}",
        "LIENKET_DATA_DIR": work,
        "LIENKET_LOG_FORMAT": "json",
        "LIENKET_LOG": "warn",
        "LIENKET_ACCESS_TOKEN_TTL_SECS": "3600",
        # The fuzzer logs in again whenever a token is refused; the limits are not under test here.
        "LIENKET_LOGIN_LIMIT_PER_ADDRESS": "100000",
        "LIENKET_LOGIN_LIMIT_PER_ACCOUNT": "100000",
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen([args.binary], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(base, server, log_path)
        logins = dict(re.findall(r"username=(\S+)\s+password=(\S+)", open(log_path, encoding="utf-8").read()))
        admin = token(base, "admin", logins["admin"])
        logins["coordinator.lethuy"] = second_coordinator(base, admin)
        auth_path = os.path.join(work, "auth.json")
        with open(auth_path, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "auth": [
                        wfc_entry("gialam", "coordinator.gialam", logins["coordinator.gialam"]),
                        wfc_entry("lethuy", "coordinator.lethuy", logins["coordinator.lethuy"]),
                        wfc_entry("admin", "admin", logins["admin"]),
                    ]
                },
                f,
            )
        command = [
            args.st,
            "--config-file",
            os.path.join(HERE, "schemathesis.toml"),
            "run",
            base + "/api-docs/openapi.json",
            "--seed",
            str(args.seed),
            "--max-time",
            str(args.max_time),
            "--report",
            "junit",
            "--report-dir",
            os.path.join(work, "report"),
            *extra,
        ]
        print("running:", " ".join(command), flush=True)
        result = subprocess.run(
            command,
            env={**os.environ, "LIENKET_FUZZ_AUTH": auth_path, "SCHEMATHESIS_HOOKS": os.path.join(HERE, "fuzz_hooks.py")},
        )
        if server.poll() is not None:
            sys.stderr.write(open(log_path, encoding="utf-8").read())
            sys.exit("the server died during the run")
        return result.returncode
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
