"""The orders rules: pure Python, no I/O."""
