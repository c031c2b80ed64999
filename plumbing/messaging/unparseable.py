"""Records the Kafka client cannot parse become records a consumer can dead-letter, so that one of
them can never wedge a partition — for every consumer built on aiokafka, faust's included.

aiokafka decodes every header name as UTF-8 while it unpacks a fetched batch, record by record. A
record whose header name is not UTF-8 (any client may write one: `kcat -H $'\\xff=x'`) makes the
unpacking raise `UnicodeDecodeError` out of the poll, again on every poll, while the position
stays on that record: the partition is stuck, and a faust worker dies of it.

`tolerate_unparseable_records()` wraps aiokafka's unpacking of a partition's fetched records: when
a record cannot be parsed, it hands out in its place a record with the same topic, partition and
offset, an empty value and one header, `UNPARSEABLE` (the reason), and ends that fetch there. The
position moves past the record, so the rest of its batch is fetched again from the next offset.
`plumbing.messaging.poison.decode` reads that header as the reason to dead-letter the record
(`malformed_headers`); nothing of the record's content could be read.

This replaces a method of the client's internals, so it is tied to the aiokafka version the
project pins (requirements.lock); `tests/unit/test_unparseable_records.py` holds it to that
version's behaviour.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aiokafka import ConsumerRecord
from aiokafka.consumer.fetcher import PartitionRecords

from plumbing.ops.logs import get_logger

log = get_logger(__name__)

# The header of a stand-in record. A client that writes it itself only gets its own record
# dead-lettered, which any record it writes can get anyway.
UNPARSEABLE = "unisettle.unparseable"

_original_unpack = PartitionRecords._unpack_records


def _tolerant_unpack(self: Any) -> Iterator[ConsumerRecord[Any, Any]]:
    records = _original_unpack(self)
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            # Records are unpacked one at a time and the position follows each one handed out, so
            # the next fetch offset is the record that failed. In a compacted topic it may be a gap
            # before it; then the stand-in names an offset that holds nothing, and the next fetch
            # reaches the record itself. Either way every fetch moves on by at least one.
            offset = self.next_fetch_offset
            self.next_fetch_offset = offset + 1
            tp = self._tp
            log.warning(
                "a record cannot be parsed; dead-lettering it by its position",
                topic=tp.topic,
                partition=tp.partition,
                offset=offset,
                error=repr(exc),
            )
            reason = f"a header could not be read ({exc}); the record's content is unknown"
            headers = ((UNPARSEABLE, reason.encode()),)
            yield ConsumerRecord(tp.topic, tp.partition, offset, -1, 0, None, b"", None, -1, 0, headers)
            return  # the rest of this fetch is fetched again from offset + 1
        yield record


def tolerate_unparseable_records() -> None:
    """Install the tolerant unpacking (once per process; calling it again changes nothing)."""
    PartitionRecords._unpack_records = _tolerant_unpack
