"""Records the Kafka client cannot read at all, so that one of them cannot wedge a partition.

aiokafka decodes every header name as UTF-8 while it parses a fetch; a record whose header name
is not (any client may write one, e.g. `kcat -H $'\\xff=x'`) makes the whole poll raise
`UnicodeDecodeError`, again on every retry. The records of other partitions drained before the
failure are lost from that poll although their positions moved on. So, after such a failure,
every partition goes back to its committed offset and is read one record at a time — the bad
record is within one poll's worth of records of its partition's committed offset — and the
record that cannot be read is dead-lettered as `malformed_headers` by its position.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from plumbing.dead_letters import DeadLetter
from plumbing.logs import get_logger

log = get_logger(__name__)

Polled = dict[TopicPartition, list[ConsumerRecord]]


@dataclass(frozen=True)
class UnreadableRecord:
    """Where a record is that could not be parsed; nothing of its content could be read."""

    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    value: bytes | None = None
    headers: tuple[tuple[str, bytes | None], ...] = ()


async def poll(
    consumer: AIOKafkaConsumer, *, timeout_ms: int, max_records: int, earliest: bool
) -> tuple[Polled, list[DeadLetter]]:
    """One poll; the records that cannot be parsed come back as dead letters instead."""
    try:
        return await consumer.getmany(timeout_ms=timeout_ms, max_records=max_records), []
    except UnicodeDecodeError as exc:
        log.warning("a record cannot be parsed; reading record by record", error=repr(exc))
        return await _record_by_record(consumer, timeout_ms, max_records, earliest)


async def _record_by_record(
    consumer: AIOKafkaConsumer, timeout_ms: int, max_records: int, earliest: bool
) -> tuple[Polled, list[DeadLetter]]:
    polled: Polled = {}
    unreadable: list[DeadLetter] = []
    for tp in sorted(consumer.assignment()):
        committed = await consumer.committed(tp)
        if committed is not None:
            consumer.seek(tp, committed)
        elif earliest:
            await consumer.seek_to_beginning(tp)
        records: list[ConsumerRecord] = []
        while len(records) < max_records:
            try:
                got = await consumer.getmany(tp, timeout_ms=timeout_ms, max_records=1)
            except UnicodeDecodeError as exc:
                offset = await consumer.position(tp)  # one record at a time: it stopped at the bad one
                record = UnreadableRecord(tp.topic, tp.partition, offset)
                reason = f"a header could not be read ({exc}); the record's content is unknown"
                unreadable.append(DeadLetter(record, "malformed_headers", reason))
                consumer.seek(tp, offset + 1)
                continue
            if not got:
                break
            records += got[tp]
        if records:
            polled[tp] = records
    return polled, unreadable


def offsets_after(polled: Polled, letters: list[DeadLetter]) -> dict[TopicPartition, int]:
    """The offsets to commit once a poll (and its unreadable records) are applied."""
    offsets = {tp: records[-1].offset + 1 for tp, records in polled.items() if records}
    for letter in letters:
        tp = TopicPartition(letter.record.topic, letter.record.partition)
        offsets[tp] = max(offsets.get(tp, 0), letter.record.offset + 1)
    return offsets
