"""Commands that change what settlement holds: grants, payouts, reconciliation, the guarantee fund."""
