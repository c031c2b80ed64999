"""Publishing as an outside client would: `kcat`, not our own producer code."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path


async def kcat_produce(
    bootstrap: str, topic: str, value: bytes, *, key: bytes = b"outside", headers: tuple[bytes, ...] = ()
) -> None:
    """One record with kcat; each header is `name=value`, or a bare `name` (a null value)."""
    kcat = shutil.which("kcat")
    assert kcat is not None, "kcat is installed by deploy/prerequisites.sh"
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "value"
        body.write_bytes(value)  # a file is one message, whatever bytes it holds
        args: list[str | bytes] = [kcat, "-P", "-b", bootstrap, "-t", topic, "-k", key]
        for h in headers:
            args += ["-H", h]
        process = await asyncio.create_subprocess_exec(
            *args, str(body), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await process.communicate()
    assert process.returncode == 0, (out + err).decode(errors="replace")
