"""Refunds: refund cases, SLA timers, disputes and the refund guarantee."""
