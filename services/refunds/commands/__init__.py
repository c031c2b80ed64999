"""What people ask of refunds: request a refund, and act on a case."""
