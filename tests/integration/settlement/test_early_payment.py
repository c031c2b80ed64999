"""Early payment against held escrow, on the real database and broker, with hand-computed fen.

Every order here is 10 * ¥28.00 of reagents: gross 28,000 fen, the 60 bp fee 168, so its release
credits the supplier 27,832 (the face). Shipped on 2026-04-10 (the fixed clock) with receipt
confirming itself ten days later, it is paid 11 days early (to the payout run the day after the
release): at 12 % a year the discount is 27,832 * 0.12 * 11 / 365 = 100.65 → 101 fen, and the
supplier receives 27,731 at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contracts.envelope import Envelope
from contracts.events.common import Actor
from contracts.events.orders import OrderShipped
from contracts.events.refunds import RefundRequested
from contracts.events.suppliers import BankAccountChanged, BankAccountVerified, SupplierActivated
from contracts.money import Money
from contracts.topics import Topic, with_prefix
from plumbing.clock import FixedClock
from plumbing.web.auth import Principal, Role
from services.settlement.config import SettlementSettings
from services.settlement.main import build
from tests.factories import line
from tests.integration.kafka_io import produce
from tests.integration.settlement.conftest import GRANT_BODY, START, SettlementApi
from tests.integration.settlement.test_payouts import payees_known, run, supplier_events
from tests.integration.settlement.test_refund_guarantee import agree
from tests.stack import Stack, eventually

pytestmark = pytest.mark.integration
SID = "SUP-002"
FACE, DISCOUNT, ADVANCE = 27_832, 101, 27_731
CAPITAL, LIMIT = 100_000_000, 60_000  # the limit allows two orders' faces (55,664), not three


@pytest.fixture
async def api(stack: Stack, fresh_db: str, topic_prefix: str) -> AsyncIterator[SettlementApi]:
    async with settlement(stack, fresh_db, topic_prefix) as running:
        yield running


@pytest.fixture
async def refusing_bank(stack: Stack, fresh_db: str, topic_prefix: str) -> AsyncIterator[SettlementApi]:
    async with settlement(stack, fresh_db, topic_prefix, bank_simulator_failure_rate=1.0) as running:
        yield running


@asynccontextmanager
async def settlement(
    stack: Stack, fresh_db: str, topic_prefix: str, **more: Any
) -> AsyncIterator[SettlementApi]:
    settings = SettlementSettings(
        database_url=fresh_db,
        http_port=0,
        stack=stack.settings(topic_prefix),
        early_payment_limit_minor=LIMIT,
        early_payment_sweep_seconds=3600,  # settled by the payout runs here, at known moments
        **more,
    )
    clock = FixedClock(START)
    app = build(settings, clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://settlement") as http,
    ):
        running = SettlementApi(app, http, clock, app.state.token_codec, stack, fresh_db, topic_prefix)
        assert (await http.post("/v1/grants", json=GRANT_BODY, headers=running.auth())).status_code == 201
        await payable(running)
        yield running


async def payable(api: SettlementApi) -> None:
    await supplier_events(
        api,
        SID,
        SupplierActivated(supplier_id=SID, legal_name="SUP-002 Co., Ltd."),
        BankAccountChanged(
            supplier_id=SID,
            bank_account_id=f"BA-{SID}",
            bank_name="Bank of Shanghai",
            holder_name="SUP-002 Co., Ltd.",
            account_masked="**** 3445",
        ),
        BankAccountVerified(supplier_id=SID, bank_account_id=f"BA-{SID}", account_masked="**** 3445"),
    )
    await payees_known(api, 1)


def supplier(api: SettlementApi) -> dict[str, str]:
    principal = Principal(subject="sup-admin", role=Role.SUPPLIER, tenant_id="platform", supplier_id=SID)
    return {"Authorization": f"Bearer {api.codec.issue(principal)}"}


def ops(api: SettlementApi) -> dict[str, str]:
    return api.auth(Role.PLATFORM_OPS, "ops-1", "platform")


async def shipped(api: SettlementApi, order_id: str) -> None:
    await api.place(order_id, line("RG-0002", "reagents", 10, 2_800), supplier_id=SID)
    await api.escrow_status(order_id, "held")
    await api.order_event(
        order_id, OrderShipped(order_id=order_id, supplier_id=SID, auto_confirm_at=START + timedelta(days=10))
    )


async def quote(api: SettlementApi, *order_ids: str) -> httpx.Response:
    return await api.http.post(
        f"/v1/suppliers/{SID}/early-payment/quotes",
        json={"order_ids": list(order_ids)},
        headers=supplier(api),
    )


async def quoted(api: SettlementApi, *order_ids: str) -> dict[str, Any]:
    """A quote, once settlement has learnt of the orders' shipping."""
    got: dict[str, Any] = {}

    async def ready() -> bool:
        response = await quote(api, *order_ids)
        got.update(response.json())
        return response.status_code == 201

    await eventually(ready, what=f"a quote for {order_ids}")
    return got


async def accept(api: SettlementApi, quote_id: str) -> httpx.Response:
    return await api.http.post(
        f"/v1/suppliers/{SID}/early-payment/quotes/{quote_id}/accept", headers=supplier(api)
    )


async def fund(api: SettlementApi) -> dict[str, Any]:
    response = await api.http.get("/v1/financing", headers=ops(api))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def mine(api: SettlementApi) -> dict[str, Any]:
    response = await api.http.get(f"/v1/suppliers/{SID}/early-payments", headers=supplier(api))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_quote_accepted_pays_now_and_the_release_repays_it(api: SettlementApi) -> None:
    await shipped(api, "O-1")
    offer = await quoted(api, "O-1")
    assert offer["lines"] == [
        {
            "order_id": "O-1",
            "face_minor": FACE,
            "days": 11,
            "discount_minor": DISCOUNT,
            "advance_minor": ADVANCE,
        }
    ]
    assert (offer["apr_bp"], offer["status"], offer["payout"]) == (1_200, "quoted", None)

    taken = await accept(api, offer["quote_id"])
    assert taken.status_code == 200, taken.text
    assert taken.json()["payout"]["status"] == "settled"
    again = await accept(api, offer["quote_id"])  # the same answer, nothing paid twice
    assert again.json() == taken.json()
    payouts = (await api.http.get("/v1/payouts", headers=ops(api))).json()
    assert [(p["payout_id"], p["amount"], p["status"]) for p in payouts] == [
        (f"early-{offer['quote_id']}", ADVANCE, "settled")
    ]
    now = await fund(api)
    assert (now["available_minor"], now["advanced_minor"], now["income_minor"]) == (
        CAPITAL - ADVANCE,
        ADVANCE,
        DISCOUNT,
    )
    assert (await mine(api))["owed_minor"] == FACE
    assert await api.check() == []

    await api.receive("O-1", 28_000, supplier_id=SID)  # receipt confirmed: escrow released
    await api.escrow_status("O-1", "released")
    paid = await run(api)
    assert paid["paid"] == {}  # the release repaid the advance; nothing is left to pay out
    after = await fund(api)
    assert (after["available_minor"], after["advanced_minor"], after["income_minor"]) == (
        CAPITAL,
        0,
        DISCOUNT,
    )
    owed = await mine(api)
    assert owed["owed_minor"] == 0
    assert [(e["status"], e["repaid_minor"]) for e in owed["early_payments"]] == [("repaid", FACE)]
    assert await api.check() == []


async def test_a_refund_after_financing_becomes_a_receivable_recovered_from_the_next_release(
    api: SettlementApi,
) -> None:
    await shipped(api, "O-2")
    offer = await quoted(api, "O-2")
    assert (await accept(api, offer["quote_id"])).status_code == 200
    await agree(api, "R-2", "O-2", 28_000)  # refunded in full while held: no release will repay it
    await api.escrow_status("O-2", "refunded")
    assert (await run(api))["paid"] == {}
    broken = await mine(api)
    assert (broken["owed_minor"], broken["receivable_minor"]) == (ADVANCE, ADVANCE)  # what it received
    assert [e["status"] for e in broken["early_payments"]] == ["recovering"]
    assert (await fund(api))["income_minor"] == 0  # no discount on a financing that did not run

    await api.place("O-3", line("RG-0002", "reagents", 10, 2_800), supplier_id=SID)
    await api.receive("O-3", 28_000, supplier_id=SID)
    await api.escrow_status("O-3", "released")
    paid = await run(api)
    assert paid["paid"] == {SID: FACE - ADVANCE}  # 27,832 released, 27,731 recovered first: 101 paid
    done = await mine(api)
    assert done["owed_minor"] == 0 and [e["status"] for e in done["early_payments"]] == ["recovered"]
    assert (await fund(api))["available_minor"] == CAPITAL
    assert await api.check() == []


async def test_ineligible_orders_are_refused_with_a_stable_code_and_nothing_moves(api: SettlementApi) -> None:
    await shipped(api, "O-4")
    offer = await quoted(api, "O-4")
    assert (await accept(api, offer["quote_id"])).status_code == 200
    await api.place("O-5", line("RG-0002", "reagents", 10, 2_800), supplier_id=SID)  # not shipped
    await api.escrow_status("O-5", "held")
    await shipped(api, "O-6")
    await quoted(api, "O-6")  # shipping known
    await ask_refund(api, "R-6", "O-6")
    before = await api.balances()

    async def refused(order_id: str, code: str) -> None:
        async def says() -> bool:
            response = await quote(api, order_id)
            return response.status_code == 422 and response.json()["error"]["code"] == code

        await eventually(says, what=f"{order_id} refused as {code}")

    await refused("O-4", "already_financed")
    await refused("O-5", "order_not_shipped")
    await refused("O-6", "refund_open")
    await refused("O-404", "order_not_found")
    whole = await quote(api, "O-4", "O-5")
    assert [o["code"] for o in whole.json()["error"]["details"]["orders"]] == [
        "already_financed",
        "order_not_shipped",
    ]
    assert await api.balances() == before
    assert await api.check() == []


async def ask_refund(api: SettlementApi, refund_id: str, order_id: str) -> None:
    asked = RefundRequested(
        refund_id=refund_id,
        order_id=order_id,
        supplier_id=SID,
        grant_id=GRANT_BODY["grant_id"],
        requested_by=Actor(user_id="alice", role="researcher"),
        amount=Money.cny(1_000),
        reason_code="damaged",
        reason="one bottle leaked",
        goods_return_required=False,
        seller_deadline=api.clock.now() + timedelta(days=5),
    )
    envelope = Envelope.of(
        asked,
        producer="refunds",
        aggregate_id=refund_id,
        aggregate_version=1,
        tenant_id="tsinghua",
        correlation_id=refund_id,
    )
    await produce(api.stack.kafka, with_prefix(api.topic_prefix, Topic.REFUNDS_EVENTS.value), [envelope])


async def test_the_limit_holds_under_concurrent_acceptances(api: SettlementApi) -> None:
    for order_id in ("O-7", "O-8", "O-9"):
        await shipped(api, order_id)
    offers = [await quoted(api, order_id) for order_id in ("O-7", "O-8", "O-9")]  # each alone fits
    answers = await asyncio.gather(*(accept(api, o["quote_id"]) for o in offers))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 200, 422], [a.text for a in answers]
    [over] = [a for a in answers if a.status_code == 422]
    assert over.json()["error"]["code"] == "financing_limit_exceeded"
    assert over.json()["error"]["details"] == {
        "owed_minor": 2 * FACE,
        "asked_minor": FACE,
        "limit_minor": LIMIT,
    }
    assert (await mine(api))["owed_minor"] == 2 * FACE <= LIMIT
    assert (await fund(api))["available_minor"] == CAPITAL - 2 * ADVANCE
    assert await api.check() == []


async def test_a_quote_expires_and_a_refused_advance_gives_everything_back(
    refusing_bank: SettlementApi,
) -> None:
    api = refusing_bank
    await shipped(api, "O-10")
    stale = await quoted(api, "O-10")
    api.clock.advance(timedelta(minutes=16))  # quotes hold for 15 minutes
    expired = await accept(api, stale["quote_id"])
    assert expired.status_code == 409 and expired.json()["error"]["code"] == "quote_expired"

    before = await fund(api)
    offer = await quoted(api, "O-10")
    refused = await accept(api, offer["quote_id"])  # the bank refuses the advance
    assert refused.status_code == 200 and refused.json()["payout"]["status"] == "failed", refused.text
    assert await fund(api) == before  # the fund's money and the discount are back
    assert (await mine(api))["owed_minor"] == 0
    assert [e["status"] for e in (await mine(api))["early_payments"]] == ["failed"]
    again = await quoted(api, "O-10")  # the order may be paid early again
    assert again["lines"][0]["face_minor"] == FACE
    assert await api.check() == []
