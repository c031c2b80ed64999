"""Publishing as an outside client would: `kcat`, not our own producer code.

Debian's kcat links librdkafka 2.0.2, whose SCRAM exchange Kafka 4 refuses (fixed in librdkafka
2.6.1); kcat is run here on the librdkafka that the confluent-kafka wheel ships
(`deploy/kcat.sh` does the same for operators)."""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from plumbing.messaging.kafka_access import KafkaAccess

ROOT = Path(__file__).resolve().parent.parent


def kcat_args(kafka: KafkaAccess) -> list[str]:
    """kcat's `-b` and `-X` options for this access."""
    args = ["-b", kafka.bootstrap_servers]
    for name, value in kafka.librdkafka().items():
        if name != "bootstrap.servers":
            args += ["-X", f"{name}={value}"]
    return args


@functools.cache
def library_dir() -> str:
    """Where deploy/kcat.sh keeps the current librdkafka (asked once per test run)."""
    return subprocess.run(
        [str(ROOT / "deploy" / "kcat.sh"), "--library-dir"], check=True, capture_output=True, text=True
    ).stdout.strip()


def kcat_env() -> dict[str, str]:
    """kcat's environment: the current librdkafka first on its library path."""
    return {**os.environ, "LD_LIBRARY_PATH": library_dir()}


async def kcat(kafka: KafkaAccess, *args: str | bytes, stdin: bytes | None = None) -> tuple[int, str]:
    """Run kcat as `kafka`'s principal; its exit code and everything it printed."""
    binary = shutil.which("kcat")
    assert binary is not None, "kcat is installed by deploy/prerequisites.sh"
    process = await asyncio.create_subprocess_exec(
        binary,
        *kcat_args(kafka),
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=kcat_env(),
    )
    out, _ = await process.communicate(stdin)
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace")


async def kcat_produce(
    kafka: KafkaAccess,
    topic: str,
    value: bytes,
    *,
    key: bytes = b"outside",
    headers: tuple[bytes, ...] = (),
    partition: int | None = None,
) -> None:
    """One record with kcat (to `partition`, else where its key goes); each header is
    `name=value`, or a bare `name` (a null value)."""
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "value"
        body.write_bytes(value)  # a file is one message, whatever bytes it holds
        args: list[str | bytes] = ["-P", "-t", topic, "-k", key]
        if partition is not None:
            args += ["-p", str(partition)]
        for h in headers:
            args += ["-H", h]
        code, out = await kcat(kafka, *args, str(body))
    assert code == 0, out
