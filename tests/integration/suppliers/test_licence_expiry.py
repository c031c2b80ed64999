"""The scheduled licence check, run with an injected clock: expiry withdraws hazardous listings
and says so on the broker; renewal restores the right to list them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from contracts.topics import Topic, with_prefix
from services.suppliers import timers
from tests.integration.kafka_io import read_topic
from tests.integration.suppliers.conftest import START, SuppliersApi
from tests.integration.suppliers.journeys import ACETONE, PDF, TIPS, active, ok, upload
from tests.stack import Stack

pytestmark = pytest.mark.integration
SID = "SUP-005"


async def test_expiry_withdraws_hazardous_listings_and_renewal_restores_them(
    api: SuppliersApi, stack: Stack
) -> None:
    expiry = (START + timedelta(days=30)).date()
    await active(api, SID, hazardous_until=expiry.isoformat())
    me = api.supplier(SID)
    ok(await api.http.post(f"/v1/suppliers/{SID}/listings", json=ACETONE, headers=me), 201)
    ok(await api.http.post(f"/v1/suppliers/{SID}/listings", json=TIPS, headers=me), 201)
    ctx = api.app.state.context

    api.clock.advance(timedelta(days=29))
    assert await timers.expire_licences(ctx) == []
    api.clock.advance(timedelta(days=1))
    assert await timers.expire_licences(ctx) == [SID]
    assert await timers.expire_licences(ctx) == []  # once only

    on_sale = ok(await api.http.get("/v1/listings", headers=api.integration))["items"]
    assert [i["sku"] for i in on_sale] == ["CS-0002"]
    record = ok(await api.http.get(f"/v1/suppliers/{SID}", headers=me))
    assert record["hazardous_licence_expired"] is True
    refused = await api.http.post(f"/v1/suppliers/{SID}/listings", json=ACETONE, headers=me)
    assert refused.json()["error"]["code"] == "hazardous_licence_required"

    renewed_until = (api.clock.now() + timedelta(days=365)).date().isoformat()
    ok(await upload(api, SID, "hazardous_licence", PDF + b"%renewed", valid_until=renewed_until), 201)
    relisted = ok(await api.http.post(f"/v1/suppliers/{SID}/listings", json=ACETONE, headers=me), 201)
    assert (relisted["status"], relisted["version"]) == ("active", 2)

    topic = with_prefix(api.topic_prefix, Topic.SUPPLIERS_EVENTS.value)
    events = [json.loads(r.value) for r in await read_topic(stack.kafka, topic, at_least=12)]
    tail = [(e["event_type"].split(".")[1], e["payload"]) for e in events[-4:]]
    assert [t[0] for t in tail] == ["ListingWithdrawn", "LicenceExpired", "LicenceRenewed", "ListingChanged"]
    assert tail[0][1]["reason_code"] == "licence_expired"
    assert tail[1][1]["withdrawn_listing_ids"] == [f"{SID}:RG-0002"]
    assert tail[1][1]["expired_on"] == expiry.isoformat()
