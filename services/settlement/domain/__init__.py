"""The settlement rules: pure Python, no I/O."""
