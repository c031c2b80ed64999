"""Latency percentiles and the printed table."""

from __future__ import annotations

from dataclasses import dataclass


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `samples`."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Row:
    part: str
    measure: str
    value: str
    target: str = ""


class Table:
    def __init__(self) -> None:
        self.rows: list[Row] = []

    def add(self, part: str, measure: str, value: str, target: str = "") -> None:
        self.rows.append(Row(part, measure, value, target))
        print(f"  {part:<22} {measure:<52} {value:>18}  {target}", flush=True)

    def markdown(self) -> str:
        lines = ["| part | measure | value | target |", "|---|---|---|---|"]
        lines += [f"| {r.part} | {r.measure} | {r.value} | {r.target} |" for r in self.rows]
        return "\n".join(lines)
