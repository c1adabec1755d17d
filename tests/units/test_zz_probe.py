import httpx
from tests.factories import Tenant, unit_body
async def test_nul(client: httpx.AsyncClient, tenant: Tenant, backend: str) -> None:
    for overrides in ({"renovated": "a\u0000b"}, {"extracted_from": "x\u0000"}, {"address": {"street_number": "1", "street_name": "A\u0000", "city": "B", "state": "TX", "zip_code": "1"}}):
        r = await client.post("/units", json=unit_body(tenant.account_id, **overrides), headers=tenant.headers)
        print(backend, overrides, r.status_code, r.text[:200])
    r = await client.get("/units", params={"city": "a\u0000"}, headers=tenant.headers)
    print(backend, "query", r.status_code, r.text[:200])
    r = await client.post("/multifamily_properties", json={"community_name": "a\u0000"}, headers=tenant.headers)
    print(backend, "props", r.status_code, r.text[:200])
