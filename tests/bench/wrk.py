"""Saturating an HTTP endpoint with `wrk` (a C load generator: it is not the bottleneck), and what
it measured: requests done without error per second, p50/p99, and the CPU wrk itself used."""

from __future__ import annotations

import json
import os
import resource
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPTS = Path(__file__).parent / "wrk"


@dataclass
class Saturation:
    rate: float  # answers without error per second
    errors: int
    p50_ms: float
    p99_ms: float
    threads: int
    generator_cpu: float  # wrk's CPU seconds per second of the run (1.0 = one core)


def saturate(
    url: str, script: str, env: dict[str, str], *, connections: int, seconds: float, threads: int = 2
) -> Saturation:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "-s",
            str(SCRIPTS / script),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **env, "UNISETTLE_WRK_REPORT": str(SCRIPTS / "report.lua")},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    good = report["requests"] - report["errors"]
    return Saturation(
        good / report["seconds"],
        report["errors"],
        report["p50"],
        report["p99"],
        threads,
        cpu / report["seconds"],
    )
