"""The refunds rules: pure Python, no I/O."""
