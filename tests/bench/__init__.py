"""`make bench`: UniSettle's speed next to the limits of the machine it runs on (not a test)."""
