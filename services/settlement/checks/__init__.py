"""Operator checks of settlement's money invariants (`unisettle check`)."""
