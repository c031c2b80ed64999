"""Part 1: what this machine's Postgres and Kafka do with no UniSettle code in the way."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from plumbing.messaging.kafka_access import KafkaAccess

EVENT_BYTES = 600  # about the size of an OrderPlaced envelope with one line

LEDGER_ROWS = """
create table accounts (account_id text primary key, debits_posted bigint not null default 0,
    credits_posted bigint not null default 0);
create table transfers (transfer_id uuid primary key, seq bigserial unique, debit_account text not null
    references accounts, credit_account text not null references accounts, amount bigint not null,
    kind text not null, code text not null, order_id text, created_at timestamptz not null default now());
create table processed_events (consumer text not null, event_id uuid not null,
    primary key (consumer, event_id));
insert into accounts (account_id) select 'A-' || g from generate_series(0, 99) g;
"""


async def _apply_one(conn: asyncpg.Connection, n: int) -> None:
    """One ledger event: a dedup row, a transfer, two account totals."""
    debit, credit = f"A-{n % 100}", f"A-{(n + 1) % 100}"
    await conn.execute("insert into processed_events values ('bench', $1)", uuid.uuid4())
    await conn.execute(
        "insert into transfers (transfer_id, debit_account, credit_account, amount, kind, code, order_id)"
        " values ($1, $2, $3, 100, 'posted', 'bench', $4)",
        uuid.uuid4(),
        debit,
        credit,
        f"O-{n}",
    )
    await conn.execute("update accounts set debits_posted = debits_posted + 100 where account_id = $1", debit)
    await conn.execute(
        "update accounts set credits_posted = credits_posted + 100 where account_id = $1", credit
    )


async def _apply_batch(conn: asyncpg.Connection, first: int, last: int) -> None:
    """The same rows for events first..last-1, set-based: four statements for the whole batch."""
    numbers = list(range(first, last))
    await conn.execute(
        "insert into processed_events select 'bench', unnest($1::uuid[])", [uuid.uuid4() for _ in numbers]
    )
    await conn.execute(
        """insert into transfers (transfer_id, debit_account, credit_account, amount, kind, code, order_id)
           select id, 'A-' || (n % 100), 'A-' || ((n + 1) % 100), 100, 'posted', 'bench', 'O-' || n
           from unnest($1::uuid[], $2::int[]) as t(id, n)""",
        [uuid.uuid4() for _ in numbers],
        numbers,
    )
    for column, shift in (("debits_posted", 0), ("credits_posted", 1)):
        await conn.execute(
            f"""update accounts a set {column} = {column} + d.total
                from (select 'A-' || ((n + {shift}) % 100) as id, 100 * count(*) as total
                      from unnest($1::int[]) n group by 1) d
                where a.account_id = d.id""",
            numbers,
        )


async def postgres(dsn: str, events: int, batch: int) -> float:
    """Ledger events per second on one connection: one transaction per event (four statements),
    or `batch` events per transaction applied set-based."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(LEDGER_ROWS)
        started = time.perf_counter()
        for first in range(0, events, batch):
            async with conn.transaction():
                if batch == 1:
                    await _apply_one(conn, first)
                else:
                    await _apply_batch(conn, first, min(events, first + batch))
        return events / (time.perf_counter() - started)
    finally:
        await conn.execute("drop table processed_events, transfers, accounts")
        await conn.close()


async def kafka(access: KafkaAccess, topic: str, events: int) -> tuple[float, float]:
    """Raw aiokafka produce and consume rates (events/s) for events of our size."""
    payload = b"x" * EVENT_BYTES
    producer = AIOKafkaProducer(**access.aiokafka(), enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(topic, payload, key=str(n % 1000).encode()) for n in range(events)]
        await asyncio.gather(*futures)
        produced = events / (time.perf_counter() - started)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, **access.aiokafka(), auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        seen, started = 0, 0.0
        while seen < events:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            if batch and not started:
                started = time.perf_counter()
            seen += sum(len(records) for records in batch.values())
        consumed = events / (time.perf_counter() - started)
    finally:
        await consumer.stop()
    return produced, consumed
