"""A supplier's profile (供应商画像) from the facts of its orders and payouts, over rolling windows.

Facts are kept per order and per payout, never as counters: an event sets what it says about its
order (placed at, shipped at, the refund it agreed, …), so applying an event twice — a redelivery,
a replay — changes nothing. Every figure is computed from the facts when it is asked for, for the
windows that end then: an order counts in a window when it was placed inside it, a payout when it
was answered inside it.

The score (0 to 100, one decimal) weighs what a buyer and its finance office feel, over the window:

    score = 100 * (0.35 * on-time shipping + 0.20 * receipt confirmed
                   + 0.25 * (1 - refund rate by value) + 0.20 * (1 - dispute rate))

A rate with nothing to measure counts as 1 (a new supplier starts at 100 and earns its figures);
the score is `null` when the window holds no order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Any

WINDOWS = (30, 90, 365)
WEIGHTS = {"on_time": 0.35, "receipt_confirmed": 0.20, "refund_value": 0.25, "dispute": 0.20}
Facts = dict[str, Any]  # one order's or payout's facts, JSON-ready (times as ISO strings)


def apply(order: Facts, fact: Mapping[str, Any]) -> Facts:
    """The order's facts with one more: the same fact again returns the same facts."""
    kind = fact["kind"]
    merged = {**order}
    if kind == "placed":
        merged.update(
            order_id=fact["order_id"],
            university=fact["university"],
            placed_at=fact["at"],
            value_minor=fact["value_minor"],
        )
    elif kind == "paid":
        merged.update(paid_at=fact["at"], ship_by=fact["ship_by"])
    elif kind == "shipped":
        merged["shipped_at"] = fact["at"]
    elif kind == "received":
        merged.update(received_at=fact["at"], auto_confirmed=fact["auto_confirmed"])
    elif kind == "cancelled":
        merged.update(cancelled_at=fact["at"], cancel_reason=fact["reason"])
    elif kind.startswith("refund_"):
        refunds = dict(merged.get("refunds", {}))
        refund = dict(refunds.get(fact["refund_id"], {}))
        if kind == "refund_requested":
            refund["requested_minor"] = fact["amount_minor"]
        elif kind == "refund_completed":
            refund["refunded_minor"] = fact["amount_minor"]
        elif kind == "refund_escalated":
            refund["disputed"] = True
        elif kind == "refund_decided":
            refund.update(disputed=True, decision=fact["decision"])
        refunds[fact["refund_id"]] = refund
        merged["refunds"] = refunds
    else:
        raise ValueError(f"no order fact {kind!r}")
    return merged


def apply_payout(payout: Facts, fact: Mapping[str, Any]) -> Facts:
    return {
        **payout,
        "payout_id": fact["payout_id"],
        "at": fact["at"],
        "amount_minor": fact["amount_minor"],
        "outcome": "settled" if fact["kind"] == "payout_settled" else "failed",
    }


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def window(
    orders: Iterable[Facts], payouts: Iterable[Facts], *, now: datetime, days: int, university: str | None
) -> dict[str, Any]:
    """The figures of the `days` ending at `now` (of one university's trade when it is given).

    Size: one figure per statement, each over the same facts filtered once."""
    since = now - timedelta(days=days)
    inside = [
        o
        for o in orders
        if "placed_at" in o
        and since < _at(o["placed_at"]) <= now  # type: ignore[operator]
        and (university is None or o["university"] == university)
    ]
    due = on_time = shipped = received = auto = 0
    hours: list[float] = []
    refunded_orders = refunded_minor = disputed = 0
    outcomes: dict[str, int] = {}
    for o in inside:
        shipped_at, ship_by, paid_at = _at(o.get("shipped_at")), _at(o.get("ship_by")), _at(o.get("paid_at"))
        # due: shipped, or its ship-by time passed unshipped (and not cancelled before it by the buyer)
        cancelled_early = o.get("cancel_reason") not in (None, "not_shipped_in_time")
        if ship_by is not None and (shipped_at is not None or (ship_by <= now and not cancelled_early)):
            due += 1
            on_time += int(shipped_at is not None and shipped_at <= ship_by)
        if shipped_at is not None:
            shipped += 1
            if paid_at is not None:
                hours.append((shipped_at - paid_at).total_seconds() / 3600)
        if o.get("received_at"):
            received += 1
            auto += int(bool(o.get("auto_confirmed")))
        refunds = o.get("refunds", {}).values()
        money_back = sum(r.get("refunded_minor", 0) for r in refunds)
        refunded_orders += int(money_back > 0)
        refunded_minor += money_back
        if any(r.get("disputed") for r in refunds):
            disputed += 1
        for r in refunds:
            if r.get("decision"):
                outcomes[r["decision"]] = outcomes.get(r["decision"], 0) + 1
    value = sum(o["value_minor"] for o in inside)
    figures: dict[str, Any] = {
        "days": days,
        "orders": len(inside),
        "order_value_minor": value,
        "ship_on_time_rate": _rate(on_time, due),
        "shipped_due": due,
        "median_hours_to_ship": round(median(hours), 2) if hours else None,
        "receipt_confirmed_rate": _rate(received, shipped),
        "auto_confirmed_share": _rate(auto, received),
        "refund_rate_by_count": _rate(refunded_orders, len(inside)),
        "refund_rate_by_value": _rate(refunded_minor, value),
        "refunded_minor": refunded_minor,
        "dispute_rate": _rate(disputed, len(inside)),
        "dispute_outcomes": dict(sorted(outcomes.items())),
    }
    if university is None:
        answered = [p for p in payouts if since < _at(p["at"]) <= now]  # type: ignore[operator]
        figures["payouts"] = {
            "settled": sum(1 for p in answered if p["outcome"] == "settled"),
            "settled_minor": sum(p["amount_minor"] for p in answered if p["outcome"] == "settled"),
            "failed": sum(1 for p in answered if p["outcome"] == "failed"),
        }
    figures["score"] = score(figures)
    return figures


def score(figures: Mapping[str, Any]) -> float | None:
    """The weighted score of a window's figures (module doc), from its rates as shown, rounded
    half up to one decimal; None without orders."""
    if not figures["orders"]:
        return None

    def good(rate: float | None, *, inverse: bool = False) -> Decimal:
        if rate is None:
            return Decimal(1)
        return Decimal(1) - Decimal(str(rate)) if inverse else Decimal(str(rate))

    total = (
        Decimal(str(WEIGHTS["on_time"])) * good(figures["ship_on_time_rate"])
        + Decimal(str(WEIGHTS["receipt_confirmed"])) * good(figures["receipt_confirmed_rate"])
        + Decimal(str(WEIGHTS["refund_value"])) * good(figures["refund_rate_by_value"], inverse=True)
        + Decimal(str(WEIGHTS["dispute"])) * good(figures["dispute_rate"], inverse=True)
    )
    return float((100 * total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def profile(
    supplier_id: str,
    orders: list[Facts],
    payouts: list[Facts],
    *,
    now: datetime | None = None,
    university: str | None = None,
) -> dict[str, Any]:
    """The profile: each window's figures, and for the whole supplier the universities it trades with."""
    now = now or datetime.now(UTC)
    body: dict[str, Any] = {
        "supplier_id": supplier_id,
        "as_of": now.isoformat(),
        "university": university,
        "weights": WEIGHTS,
        "windows": {
            f"{d}d": window(orders, payouts, now=now, days=d, university=university) for d in WINDOWS
        },
    }
    if university is None:
        body["universities"] = sorted({o["university"] for o in orders if "university" in o})
    return body
