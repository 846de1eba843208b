"""Checks a freshly started server with demo data: the 8-unit cluster is found by searching
"gia lam", its read lists 8 member units each with its parent unit, and Swagger UI is served."""

import json
import sys
import urllib.request

base = sys.argv[1]


def get(path):
    with urllib.request.urlopen(base + path, timeout=10) as response:
        return response.status, response.read()


status, body = get("/api/v1/clusters?q=gia%20lam")
clusters = json.loads(body)["items"]
assert [c["name"] for c in clusters] == ["Cụm liên kết đảm bảo ANTT"], clusters
status, body = get("/api/v1/clusters/" + clusters[0]["id"])
members = json.loads(body)["members"]
assert len(members) == 8, members
assert all(m["unit"]["parent"]["name"].startswith("Công an") for m in members), members
status, body = get("/swagger-ui/")
assert status == 200 and b"swagger-ui" in body
print(f"8 members: {', '.join(m['unit']['name'] for m in members)}")
