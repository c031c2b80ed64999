"""Orders: carts, per-supplier orders, approvals, the order state machine and its timers."""
