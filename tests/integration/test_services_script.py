"""`deploy/services.sh` decides whether a service runs by its process state and command line: a
killed service its parent has not reaped yet (a zombie, which `kill -0` still answers) and an
unrelated process that was given the same pid are both down, so `up` starts the service again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.stack import ROOT

pytestmark = pytest.mark.integration


def status(stack_dir: Path) -> dict[str, str]:
    out = subprocess.run(
        [str(ROOT / "deploy" / "services.sh"), "status"],
        env={**os.environ, "UNISETTLE_STACK_DIR": str(stack_dir)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split()[0]: line.split()[1] for line in out.splitlines()}


def test_a_zombie_or_a_stranger_behind_a_pid_file_is_not_a_running_service(tmp_path: Path) -> None:
    (tmp_path / "services").mkdir()
    # A child that dies and is never reaped by its parent: a zombie with a pid `kill -0` accepts.
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys, time\npid = os.fork()\nif pid == 0: os._exit(0)\n"
            "print(pid, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        assert parent.stdout is not None
        zombie = int(parent.stdout.readline())
        deadline = time.monotonic() + 10
        while Path(f"/proc/{zombie}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline, "the child did not become a zombie"
            time.sleep(0.05)
        os.kill(zombie, 0)  # what the old check asked: it says "alive"
        (tmp_path / "services" / "orders.pid").write_text(f"{zombie}\n")
        (tmp_path / "services" / "settlement.pid").write_text(f"{stranger.pid}\n")
        got = status(tmp_path)
        assert (got["orders"], got["settlement"]) == ("down", "down")
    finally:
        parent.send_signal(signal.SIGKILL)
        stranger.kill()
        parent.wait()
        stranger.wait()
