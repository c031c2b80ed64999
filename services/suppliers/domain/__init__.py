"""The suppliers rules: pure Python, no I/O."""
