"""Checks a freshly started server with demo data. Without a token the API answers 401; the demo
coordinator of Gia Lâm logs in with the password printed at start, finds the 8-unit cluster by
searching "gia lam" and reads its 8 member units each with its parent unit; the demo officer of
Văn Lâm reports an incident there, the coordinator moves it to verifying (and is refused an illegal
move), sends a bulletin about it, and Văn Lâm acknowledges it once; the
coordinator reads the cluster's statistics for the quarter; the read-only demo client
obtains a token; Swagger UI and the security schemes are served."""

import base64
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

base, log_path = sys.argv[1], sys.argv[2]


def call(path, token=None, data=None, headers=None):
    request = urllib.request.Request(base + path, data=data, headers=headers or {})
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def token(fields, headers=None):
    data = urllib.parse.urlencode(fields).encode()
    status, body = call(
        "/api/v1/auth/token",
        data=data,
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
    )
    assert status == 200, (status, body)
    return json.loads(body)["access_token"]


log = open(log_path, encoding="utf-8").read()
password = re.search(r"username=coordinator\.gialam\s+password=(\S+)", log).group(1)
officer_password = re.search(r"username=officer\.vanlam\s+password=(\S+)", log).group(1)
client_id, client_secret = re.search(r"client_id=(\S+) client_secret=(\S+)", log).groups()

status, _ = call("/api/v1/clusters")
assert status == 401, status

coordinator = token({"grant_type": "password", "username": "coordinator.gialam", "password": password})
status, body = call("/api/v1/clusters?q=gia%20lam", coordinator)
clusters = json.loads(body)["items"]
assert [c["name"] for c in clusters] == ["Cụm liên kết đảm bảo ANTT"], clusters
status, body = call("/api/v1/clusters/" + clusters[0]["id"], coordinator)
members = json.loads(body)["members"]
assert len(members) == 8, members
assert all(m["unit"]["parent"]["name"].startswith("Công an") for m in members), members



def post(path, token, body):
    data = json.dumps(body).encode()
    status, answer = call(path, token, data=data, headers={"Content-Type": "application/json"})
    return status, json.loads(answer)


officer = token({"grant_type": "password", "username": "officer.vanlam", "password": officer_password})
cluster = clusters[0]["id"]
status, body = call("/api/v1/incident-categories?code=drugs", officer)
drugs = json.loads(body)["items"][0]["id"]
status, incident = post("/api/v1/incidents", officer, {
    "cluster_id": cluster, "category_id": drugs, "severity": "high",
    "occurred_at": "2025-11-21T21:30:00+07:00", "reported_at": "2025-11-21T23:00:00+07:00",
    "summary": "Nhóm đối tượng tụ tập sử dụng ma túy"})
assert status == 201 and incident["status"] == "reported", (status, incident)
transitions = f"/api/v1/incidents/{incident['id']}/transitions"
status, moved = post(transitions, coordinator, {"to": "verifying", "note": "Xác minh"})
assert status == 200 and moved["allowed_transitions"] == ["verified", "unfounded"], (status, moved)
status, refused = post(transitions, coordinator, {"to": "closed"})
assert status == 409 and refused["detail"].endswith("allowed: verified, unfounded."), (status, refused)
status, bulletin = post("/api/v1/bulletins", coordinator, {
    "cluster_id": cluster, "incident_id": incident["id"], "title": "Tăng cường tuần tra", "body": "Đề nghị phối hợp."})
assert status == 201 and bulletin["pending_count"] == 7, (status, bulletin)
status, body = call("/api/v1/bulletins?inbox=true&unacknowledged=true", officer)
assert bulletin["id"] in [b["id"] for b in json.loads(body)["items"]], body
acknowledgements = f"/api/v1/bulletins/{bulletin['id']}/acknowledgements"
status, acked = post(acknowledgements, officer, {"note": "Đã nhận"})
assert status == 200 and acked["acknowledged_count"] == 1, (status, acked)
status, again = post(acknowledgements, officer, {})
assert status == 409, (status, again)
status, body = call(f"/api/v1/clusters/{cluster}/statistics?period=2025-Q4&compare=previous_period", coordinator)
stats = json.loads(body)
assert status == 200 and stats["comparison"]["period"]["label"] == "2025-Q3", (status, body)
assert any(c["category"]["code"] == "drugs" for c in stats["incidents"]["by_category"]), body
assert stats["timeliness"]["reports"] == stats["incidents"]["total"] >= 1, body

basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
client = token({"grant_type": "client_credentials"}, {"Authorization": "Basic " + basic})
status, body = call("/api/v1/clusters", client)
assert status == 200 and len(json.loads(body)["items"]) == 1, body
status, _ = call("/api/v1/units", client, data=b"{}", headers={"Content-Type": "application/json"})
assert status == 403, status

status, body = call("/swagger-ui/")
assert status == 200 and b"swagger-ui" in body
status, body = call("/api-docs/openapi.json")
assert set(json.loads(body)["components"]["securitySchemes"]) == {"bearer", "password", "client_credentials"}
print(f"8 members: {', '.join(m['unit']['name'] for m in members)}")
