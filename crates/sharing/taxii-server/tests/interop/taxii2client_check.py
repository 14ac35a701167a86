"""Black-box TAXII 2.1 check of Chainward's server with the real taxii2-client (PyPI).

Usage: python3 taxii2client_check.py <base-url> <user> <password>
Exits non-zero (with a traceback) on the first failed expectation; prints one line per step.
Needs: pip install taxii2-client (tested with 2.3.0).
"""
import sys

try:
    from taxii2client.v21 import Server, as_pages
except ImportError:
    sys.exit("taxii2client is not importable: pip install taxii2-client")
import requests

base, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def indicator(n, modified):
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-%012d" % n,
        "created": "2026-11-20T09:00:00.000Z", "modified": modified,
        "name": "wallet %d" % n, "pattern_type": "stix",
        "pattern": "[cryptocurrency-wallet:value = '0x%040x']" % n,
        "valid_from": "2026-11-20T09:00:00Z", "object_marking_refs": [GREEN],
    }


def wallet(n):
    return {"type": "cryptocurrency-wallet", "spec_version": "2.1",
            "id": "cryptocurrency-wallet--00000000-0000-4000-9000-%012d" % n,
            "value": "0x%040x" % n}


server = Server(base + "/taxii2/", user=user, password=password)
print("discovery:", server.title, [r.url for r in server.api_roots])
assert server.default is not None and server.default.url == base + "/aml1/"
root = server.default
print("api root:", root.title, root.versions, root.max_content_length)
assert root.versions == ["application/taxii+json;version=2.1"]
cols = root.collections
print("collections:", [(c.id, c.can_read, c.can_write) for c in cols])
col = next(c for c in cols if c.can_read and c.can_write)

objects = [indicator(n, "2026-11-20T09:00:00.000Z") for n in range(1, 11)] + [wallet(n) for n in range(1, 6)]
status = col.add_objects({"objects": objects})
print("add:", status.status, status.total_count, status.success_count, status.failure_count, status.pending_count)
assert (status.status, status.total_count, status.success_count, status.failure_count) == ("complete", 15, 15, 0)
again = root.get_status(status.id)
print("get_status:", again.status, again.success_count)
assert again.success_count == 15 and again.id == status.id
# A second version of indicator 1.
st2 = col.add_objects({"objects": [indicator(1, "2026-11-21T09:00:00.000Z")]})
assert st2.success_count == 1

env = col.get_objects()
print("get_objects:", len(env["objects"]), "more:", env.get("more"))
assert len(env["objects"]) == 15 and env.get("more") is False
wallets = col.get_objects(type="cryptocurrency-wallet")
assert sorted(o["value"] for o in wallets["objects"]) == ["0x%040x" % n for n in range(1, 6)]
both = col.get_objects(type=["indicator", "cryptocurrency-wallet"], spec_version="2.1")
assert len(both["objects"]) == 15
ind1 = "indicator--00000000-0000-4000-8000-%012d" % 1
print("get_object:", col.get_object(ind1)["objects"][0]["modified"])
assert col.get_object(ind1)["objects"][0]["modified"] == "2026-11-21T09:00:00.000Z"
assert len(col.get_object(ind1, version="all")["objects"]) == 2
assert col.get_object(ind1, version="first")["objects"][0]["modified"] == "2026-11-20T09:00:00.000Z"
versions = col.object_versions(ind1)["versions"]
print("object_versions:", versions)
assert versions == ["2026-11-20T09:00:00.000Z", "2026-11-21T09:00:00.000Z"]
manifest = col.get_manifest(type="indicator")["objects"]
print("manifest(indicator):", len(manifest))
assert len(manifest) == 10 and all(m["media_type"] == "application/stix+json;version=2.1" for m in manifest)

pages = [len(p.get("objects", [])) for p in as_pages(col.get_objects, per_request=4)]
print("pages(objects, 4):", pages)
assert pages == [4, 4, 4, 3]
pages = [len(p.get("objects", [])) for p in as_pages(col.get_manifest, per_request=6)]
print("pages(manifest, 6):", pages)
assert pages == [6, 6, 3]
seen = [o["id"] for p in as_pages(col.get_objects, per_request=2, version="all") for o in p.get("objects", [])]
print("pages(objects, 2, version=all):", len(seen), "entries")
assert len(seen) == 16 and seen.count(ind1) == 2

col.delete_object(ind1)
try:
    col.get_object(ind1)
    raise AssertionError("deleted object still served")
except requests.exceptions.HTTPError as e:
    assert e.response.status_code == 404
    print("delete_object: then get_object ->", e.response.status_code)
assert len(col.get_objects()["objects"]) == 14
print("interop: OK")
