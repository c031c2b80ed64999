"""Settlement's money handlers as they were before the money path was decided in memory and
written set-based: one event per transaction, one statement per movement. Kept only as the oracle
the set-based path is compared with (tests/integration/settlement/test_money_path_differential.py);
the service does not use it."""
