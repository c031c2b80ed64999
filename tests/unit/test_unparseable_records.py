"""A record aiokafka cannot parse (a header name that is not UTF-8) becomes a stand-in the
consumer dead-letters by its position, and the records after it in the same batch are still read:
the pinned aiokafka's unpacking, wrapped by `plumbing.messaging.unparseable`, with no broker."""

from __future__ import annotations

from aiokafka import TopicPartition
from aiokafka.consumer.fetcher import PartitionRecords
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.record.memory_records import MemoryRecords

from contracts.registry import REGISTRY
from plumbing.messaging.poison import DeadLetter, decode
from plumbing.messaging.unparseable import tolerate_unparseable_records

TP = TopicPartition("suppliers.events", 3)


def fetched(base: int, values: list[tuple[bytes, str]]) -> PartitionRecords:
    """One fetched batch of records at offsets base, base+1, …; a header name "QQ" is replaced
    by the bytes 0xff 0xfe, which are not UTF-8."""
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=0,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 20,
    )
    for i, (value, header_name) in enumerate(values):
        builder.append(i, timestamp=1, key=b"k", value=value, headers=[(header_name, b"v")])
    raw = bytearray(builder.build())
    data = bytes(raw).replace(b"QQ", b"\xff\xfe")
    # the builder numbers offsets from 0; the batch's base offset is its first 8 bytes
    data = base.to_bytes(8, "big") + data[8:]
    return PartitionRecords(TP, MemoryRecords(data), [], base, None, None, False, 0)


def test_an_unparseable_record_is_handed_out_as_a_stand_in_and_its_fetch_ends_there() -> None:
    tolerate_unparseable_records()
    records = fetched(40, [(b"good 40", "a"), (b"bad 41", "QQ"), (b"good 42", "a")])
    got = list(records)
    assert [(r.offset, r.value) for r in got] == [(40, b"good 40"), (41, b"")]
    assert records.next_fetch_offset == 42  # the next fetch starts after it, and reads 42 again

    letter = decode(got[1], REGISTRY)
    assert isinstance(letter, DeadLetter)
    assert (letter.reason_code, letter.record.offset) == ("malformed_headers", 41)
    assert "could not be read" in letter.reason


def test_the_first_record_of_a_fetch_unparseable_still_moves_the_position() -> None:
    tolerate_unparseable_records()
    records = fetched(9, [(b"bad 9", "QQ"), (b"good 10", "a")])
    assert [(r.offset, r.value) for r in records] == [(9, b"")]
    assert records.next_fetch_offset == 10


def test_installing_twice_changes_nothing() -> None:
    tolerate_unparseable_records()
    tolerate_unparseable_records()
    records = fetched(0, [(b"good", "a"), (b"bad", "QQ")])
    assert [r.offset for r in records] == [0, 1]
