"""The university's time-based execution target (序时进度) as every reader computes it: linear
between the targets it set, from 0 at the grant's period start."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date

from contracts.events.common import ExecutionTarget


def target_rate_bp(period_start: date, targets: Sequence[ExecutionTarget], on: date) -> int:
    """The share of the budget (basis points) that should be spent by `on`."""
    points = [(period_start, 0), *sorted((t.on, t.rate_bp) for t in targets)]
    if on <= points[0][0]:
        return 0
    for (d0, r0), (d1, r1) in itertools.pairwise(points):
        if on <= d1:
            span = (d1 - d0).days or 1
            return r0 + (r1 - r0) * (on - d0).days // span
    return points[-1][1]
