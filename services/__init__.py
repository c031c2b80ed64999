"""UniSettle\x27s four services; each owns its database and talks to the others by events."""
